"""File formats: CSV streamed row by row, XLSX in openpyxl's write-only mode, PDF with WeasyPrint (offline).

Spreadsheet formula injection: a text cell beginning with = + - @ or a control character (tab,
carriage return...) would be run as a formula by Excel or LibreOffice when the file is opened. Such
cells are written with a leading apostrophe, so they show as the text that was typed. Numbers and
dates are written as numbers and dates, never as text, so they need no such care.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO

from django.conf import settings

from buddying.spreadsheets import FORMULA_TRIGGERS, neutralise
from reports.selectors.lookups import Column

# Characters XML 1.0 (and so XLSX) cannot hold at all: dropped from XLSX cells.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
CSV_ROWS_PER_CHUNK = 1000
PROGRESS_EVERY = 1000


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def _row_preparer(columns: Sequence[Column]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """Turns a row into what csv.writer should write, touching only the cells that need it.

    Text people typed is neutralised. Every other value goes to csv.writer as it is: it writes None
    as empty, and numbers and dates (ISO 8601) with str() in C, which keeps a 100,000-row export fast.
    Money is written as the database sums it (PostgreSQL keeps the two decimal places).
    """
    text = [index for index, column in enumerate(columns) if column.kind not in PLAIN_KINDS]

    def prepare(row: Sequence[Any]) -> Sequence[Any]:
        cells = None
        for index in text:
            value = row[index]
            if value.__class__ is str:
                if value and (value[0] in FORMULA_TRIGGERS or value[0] < " " or value[0] == "\x7f"):
                    cells = cells or list(row)
                    cells[index] = "'" + value
            elif value is not None:
                cells = cells or list(row)
                cells[index] = csv_value(value)
        return row if cells is None else cells

    return prepare


# Kinds whose values are never text people typed: numbers, dates, and the labels of our own choices.
PLAIN_KINDS = frozenset({"label", "int", "number", "date", "money"})


def csv_stream(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    on_rows: Callable[[int], None] | None = None,
    rows_per_chunk: int = CSV_ROWS_PER_CHUNK,
) -> Iterator[bytes]:
    """UTF-8 CSV (with a byte-order mark, so Excel reads the accents) in chunks of `rows_per_chunk` rows.

    Nothing is kept between chunks: memory stays flat however many rows stream through.
    `on_rows(n)` is called after each chunk with the rows written so far (a queued export's progress).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(column.label) for column in columns])
    written = 0
    pending = 0
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    prepare = _row_preparer(columns)
    for row in rows:
        writer.writerow(prepare(row))
        written += 1
        pending += 1
        if pending == rows_per_chunk:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
            if on_rows is not None:
                on_rows(written)
    if pending:
        yield buffer.getvalue().encode("utf-8")
    if on_rows is not None:
        on_rows(written)


def write_csv(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    target: BinaryIO,
    *,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Write the CSV to a binary file; returns the number of data rows."""
    counted = [0]

    def count(n: int) -> None:
        counted[0] = n
        if on_rows is not None:
            on_rows(n)

    for chunk in csv_stream(columns, rows, on_rows=count):
        target.write(chunk)
    return counted[0]


MONEY_FORMAT = "#,##0.00"
NUMBER_FORMAT = "0.0"
DATE_FORMAT = "yyyy-mm-dd"


def xlsx_text(value: str) -> str:
    return XML_ILLEGAL.sub("", neutralise(value))


def write_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    target: str | Path | IO[bytes],
    *,
    title: str,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Write an XLSX with openpyxl's write-only workbook (rows go to a temporary file, not memory).

    Text is neutralised (as in CSV) and stored as text, never as a formula; money, numbers and dates
    are stored as numbers and dates with a display format. Returns the number of data rows.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=xlsx_text(title)[:31] or "Report")
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=xlsx_text(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)

    # One styled cell per formatted column, reused for every row: write-only mode writes each row out
    # as it is appended, so a cell object can be refilled (and a new one per value costs time).
    styled: dict[int, Any] = {}
    for index, column in enumerate(columns):
        number_format = {"money": MONEY_FORMAT, "number": NUMBER_FORMAT, "date": DATE_FORMAT}.get(column.kind)
        if number_format:
            cell = WriteOnlyCell(sheet)
            cell.number_format = number_format
            styled[index] = cell

    written = 0
    for row in rows:
        values: list[Any] = []
        for index, value in enumerate(row):
            if isinstance(value, str):
                values.append(xlsx_text(value))
            elif value is None or index not in styled:
                values.append(value)
            else:
                cell = styled[index]
                cell.value = value
                values.append(cell)
        sheet.append(values)
        written += 1
        if on_rows is not None and written % PROGRESS_EVERY == 0:
            on_rows(written)
    workbook.save(target)
    if on_rows is not None:
        on_rows(written)
    return written


# PDF ------------------------------------------------------------------------------------------------------------


class NetworkFetchRefused(ValueError):
    pass


def _allowed_roots() -> list[Path]:
    """Local folders a PDF may read from: our static files (nothing else, and never the network)."""
    roots = [Path(settings.STATIC_ROOT)]
    for entry in settings.STATICFILES_DIRS:
        roots.append(Path(entry[1] if isinstance(entry, tuple) else entry))
    return [root.resolve() for root in roots]


def local_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL except files under our static folders.

    The pack's CSS is inline and it has no images, so in practice nothing is fetched at all; this
    makes sure a stray <img src="https://..."> in user-entered text cannot reach the network.
    """
    from urllib.parse import unquote, urlparse

    from weasyprint.urls import URLFetcher

    class LocalOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parsed = urlparse(url)
            # file://host/... would make urllib look the host up: only files on this machine.
            if parsed.scheme != "file" or parsed.netloc not in {"", "localhost"}:
                raise NetworkFetchRefused(f"Refused to fetch {url!r}: PDFs are rendered offline")
            path = Path(unquote(parsed.path)).resolve()
            if not any(path.is_relative_to(root) for root in _allowed_roots()):
                raise NetworkFetchRefused(f"Refused to read {path}: not a static file")
            return super().fetch(url, headers)

    return LocalOnlyFetcher()


def render_pdf(html: str) -> bytes:
    """HTML (with its CSS inline) to PDF bytes. base_url=None: relative URLs resolve to nothing."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=local_only_fetcher()).write_pdf()
