"""File formats: CSV streamed row by row, XLSX built by openpyxl (write-only) with streamed rows, PDF with WeasyPrint.

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
from django.utils import timezone

from buddying.spreadsheets import FORMULA_TRIGGERS, looks_like_formula, neutralise
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
                # buddying.spreadsheets.looks_like_formula, inlined: a call per cell would slow the CSV measurably.
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
    """Text as an XLSX cell holds it: exactly as typed, less the characters XML cannot carry. An inline string is
    never a formula; text that looks like one is also shown as text by the quote prefix on its style."""
    return XML_ILLEGAL.sub("", value)


XLSX_SHEET = "xl/worksheets/sheet1.xml"
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - spreadsheet serial dates have no time zone


def _excel_serial(value: dt.date) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = timezone.localtime(value).replace(tzinfo=None)
        return repr((value - _EXCEL_EPOCH).total_seconds() / 86400)
    return str((value - _EXCEL_EPOCH.date()).days)


def _column_letters(count: int) -> list[str]:
    from openpyxl.utils import get_column_letter

    return [get_column_letter(index) for index in range(1, count + 1)]


def write_xlsx(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    target: str | Path | IO[bytes],
    *,
    title: str,
    on_rows: Callable[[int], None] | None = None,
) -> int:
    """Write an XLSX: openpyxl (write-only) builds the workbook, and the data rows are streamed into its sheet.

    openpyxl writes the package, the styles (bold header, money, number and date formats), the column
    widths, the frozen header and the header row. Its per-cell writing manages about 5,000 rows of the
    register's 26 columns a second, so the data rows are serialised here instead, straight into the
    sheet's <sheetData> as inline strings, numbers and serial dates with openpyxl's style ids: the same
    XML openpyxl writes for those cells, about six times faster, and streamed, so memory stays flat.

    Text is stored exactly as typed, as an inline string (never a formula), with the quote prefix where it looks
    like one, so the spreadsheet shows it as text without changing it; money, numbers and dates
    are stored as numbers and dates with a display format. Returns the number of data rows.
    """
    import zipfile

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=xlsx_text(title)[:31] or "Report")
    sheet.freeze_panes = "A2"
    letters = _column_letters(len(columns))
    for letter, column in zip(letters, columns, strict=True):
        sheet.column_dimensions[letter].width = column.width
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=xlsx_text(column.label))
        cell.font = bold
        cell.quotePrefix = looks_like_formula(column.label)
        header.append(cell)
    sheet.append(header)

    def style_id(number_format: str = "General", *, quote_prefix: bool = False) -> int:
        """The workbook's style id for a number format (asking a cell for it registers it in styles.xml)."""
        cell = WriteOnlyCell(sheet)
        cell.number_format = number_format
        cell.quotePrefix = quote_prefix
        return int(cell.style_id)

    formats = {"money": MONEY_FORMAT, "number": NUMBER_FORMAT, "date": DATE_FORMAT}
    styles = [style_id(formats[column.kind]) if column.kind in formats else 0 for column in columns]
    date_style = style_id(DATE_FORMAT)  # for a date in a column not declared as one
    quoted_style = style_id(quote_prefix=True)  # text that looks like a formula: shown as text, kept exactly
    scaffold = io.BytesIO()
    workbook.save(scaffold)

    written = 0
    with (
        zipfile.ZipFile(scaffold) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out,
    ):
        for info in source.infolist():
            if info.filename != XLSX_SHEET:
                out.writestr(info.filename, source.read(info.filename))
        head, tail = source.read(XLSX_SHEET).decode().split("</sheetData>", 1)
        with out.open(XLSX_SHEET, "w", force_zip64=True) as stream:
            stream.write(head.encode())
            chunk: list[str] = []
            for row in rows:
                number = written + 2  # row 1 is the header
                cells = [f'<row r="{number}">']
                for index, value in enumerate(row):
                    if value is None:
                        continue
                    ref = f"{letters[index]}{number}"
                    if isinstance(value, str):
                        quoted = f' s="{quoted_style}"' if looks_like_formula(value) else ""
                        text = xlsx_text(value).translate(_XML_TEXT)
                        cells.append(
                            f'<c r="{ref}"{quoted} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
                        )
                    elif isinstance(value, bool):
                        cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
                    elif isinstance(value, dt.date):
                        style = styles[index] or date_style
                        cells.append(f'<c r="{ref}" s="{style}" t="n"><v>{_excel_serial(value)}</v></c>')
                    else:
                        style_attribute = f' s="{styles[index]}"' if styles[index] else ""
                        cells.append(f'<c r="{ref}"{style_attribute} t="n"><v>{value}</v></c>')
                cells.append("</row>")
                chunk.append("".join(cells))
                written += 1
                if written % PROGRESS_EVERY == 0:
                    stream.write("".join(chunk).encode())
                    chunk.clear()
                    if on_rows is not None:
                        on_rows(written)
            stream.write("".join(chunk).encode())
            stream.write(("</sheetData>" + tail).encode())
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
        roots.append(Path(str(entry[1] if isinstance(entry, tuple) else entry)))
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
