"""File formats: formula injection neutralised, unicode kept, XLSX typed cells, PDFs rendered offline."""

import contextlib
import csv
import datetime as dt
import io
import socket
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from reports import exports
from reports.selectors import REPORTS, Column

COLUMNS = (
    Column("text", "Text"),
    Column("when", "When", "date"),
    Column("cost", "Cost", "money"),
    Column("n", "N", "int"),
)

DANGEROUS = ["=cmd|' /C calc'!A0", "+1", "-1", "@SUM(1+1)", "\t=1+1", "\r=1+1", '=HYPERLINK("http://x")']
UNICODE = "Ysbyty Gwynedd \u2013 Bro Ddyfrdwy \u2018quoted\u2019 \U0001f3e5"


def read_csv(chunks) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))


@pytest.mark.parametrize("text", DANGEROUS)
def test_a_cell_that_a_spreadsheet_would_run_is_written_as_text(text):
    assert exports.neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Finance recovery", "", "1 = 1", "a-b", "Ysbyty \u2013 \U0001f3e5", "'quoted"])
def test_ordinary_text_is_left_as_it_is(text):
    assert exports.neutralise(text) == text


def test_csv_neutralises_text_cells_but_not_numbers(tmp_path):
    rows = [(text, dt.date(2027, 1, 2), Decimal("-5.00"), -1) for text in DANGEROUS]
    read = read_csv(exports.csv_stream(COLUMNS, rows))
    assert read[0] == ["Text", "When", "Cost", "N"]
    assert [row[0] for row in read[1:]] == ["'" + text for text in DANGEROUS]
    # Numbers stay numbers (a negative cost is not text someone typed).
    assert read[1][1:] == ["2027-01-02", "-5.00", "-1"]


def test_csv_keeps_unicode_and_marks_utf8_for_excel():
    chunks = list(exports.csv_stream(COLUMNS, [(UNICODE, None, None, None)]))
    assert chunks[0].startswith("\ufeff".encode())
    assert read_csv(chunks)[1] == [UNICODE, "", "", ""]


def test_csv_streams_in_chunks_and_reports_progress():
    seen = []
    chunks = list(
        exports.csv_stream(
            COLUMNS, ((f"row {n}", None, None, n) for n in range(25)), on_rows=seen.append, rows_per_chunk=10
        )
    )
    assert len(chunks) == 4  # header, 10, 10, 5
    assert seen == [10, 20, 25]


def test_no_label_of_our_own_could_be_read_as_a_formula():
    from arrangements.models import Arrangement, Milestone
    from buddying.models import Region

    labels = [
        label
        for choices in (
            Arrangement.Status,
            Arrangement.Tier,
            Arrangement.Origin,
            Arrangement.EndReason,
            Milestone.Rag,
            Region,
        )
        for label in choices.labels
    ]
    labels += [column.label for definition in REPORTS.values() for column in definition.columns]
    assert all(exports.neutralise(label) == label for label in labels)


def test_xlsx_keeps_dangerous_text_exactly_shown_as_text_and_numbers_as_numbers(tmp_path):
    target = tmp_path / "report.xlsx"
    rows = [(text, dt.date(2027, 1, 2), Decimal("1500.50"), 3) for text in DANGEROUS]
    rows.append(("bad\x00control\x07chars", None, None, None))
    assert exports.write_xlsx(COLUMNS, rows, target, title="=Report") == len(rows)
    sheet = load_workbook(target).active
    assert sheet.title == "=Report"
    cells = list(sheet.iter_rows(min_row=2, values_only=False))
    for (text, *_rest), row in zip(rows, cells, strict=False):
        if text in DANGEROUS:
            # Exactly as typed, shown as text by the cell's quote prefix; a carriage return is written as a
            # character reference, so it survives the XML.
            assert row[0].value == text
            assert row[0].quotePrefix
        else:
            assert not row[0].quotePrefix
    assert all(row[0].data_type == "s" for row in cells)
    assert cells[0][1].value.date() == dt.date(2027, 1, 2)  # a real date (openpyxl reads dates as datetimes)
    assert cells[0][1].number_format == "yyyy-mm-dd"
    assert (cells[0][2].value, cells[0][2].number_format) == (1500.5, "#,##0.00")
    assert cells[0][3].value == 3
    assert cells[-1][0].value == "badcontrolchars"  # characters XLSX cannot hold are dropped


def test_a_large_xlsx_is_well_formed_and_read_whole_by_a_streaming_reader(tmp_path):
    """The data rows are written by our serialiser into openpyxl's workbook: check the XML and every row."""
    import zipfile

    from lxml import etree

    target = tmp_path / "report.xlsx"
    moment = dt.datetime(2027, 6, 1, 0, 30, tzinfo=dt.UTC)  # 01:30 BST in London
    rows = [
        (f'<Trust & {n}> "quoted"', dt.date(2027, 1, 1) + dt.timedelta(days=n), Decimal(n) / 4, n) for n in range(2500)
    ]
    rows.append((True, moment, None, None))
    assert exports.write_xlsx(COLUMNS, rows, target, title="Register") == 2501
    with zipfile.ZipFile(target) as package:
        assert package.testzip() is None
        root = etree.fromstring(package.read("xl/worksheets/sheet1.xml"))  # raises if not well-formed
    namespace = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    assert len(root.findall("m:sheetData/m:row", namespace)) == 2502
    sheet = load_workbook(target, read_only=True).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(values) == 2501
    assert values[7] == ('<Trust & 7> "quoted"', dt.datetime(2027, 1, 8), 1.75, 7)  # noqa: DTZ001 (as read)
    assert values[-1][0] is True
    assert values[-1][1] == dt.datetime(2027, 6, 1, 1, 30)  # noqa: DTZ001 - London time, as on the page
    frozen = load_workbook(target).active
    assert (frozen.freeze_panes, frozen["A1"].font.b, frozen.column_dimensions["A"].width) == ("A2", True, 14)


def test_xlsx_keeps_unicode(tmp_path):
    target = tmp_path / "report.xlsx"
    exports.write_xlsx(COLUMNS, [(UNICODE, None, None, None)], target, title="Register")
    sheet = load_workbook(target).active
    assert [cell.value for cell in sheet[1]] == ["Text", "When", "Cost", "N"]
    assert sheet["A2"].value == UNICODE


@contextlib.contextmanager
def network_trap():
    """Records every attempt to look a host up or open a socket connection, and refuses it.

    WeasyPrint catches a fetcher's exceptions and logs them, so a PDF renders even if a fetch was tried: the
    record, not the rendering, is what shows whether the network was touched.
    """
    attempts: list[tuple[str, object]] = []

    def connect(self, address):
        attempts.append(("connect", address))
        raise OSError("no network in this test")

    def connect_ex(self, address):
        attempts.append(("connect", address))
        return 111  # ECONNREFUSED

    def getaddrinfo(host, *args, **kwargs):
        attempts.append(("lookup", host))
        raise socket.gaierror("no network in this test")

    with (
        mock.patch.object(socket.socket, "connect", connect),
        mock.patch.object(socket.socket, "connect_ex", connect_ex),
        mock.patch.object(socket, "getaddrinfo", getaddrinfo),
    ):
        yield attempts


REMOTE_HEAD = (
    '<link rel="stylesheet" href="https://cdn.example.com/x.css">'
    '<style>@import url("http://example.com/y.css"); body { background: url(http://example.com/z.png) }</style>'
)
REMOTE_BODY = (
    '<img src="http://example.com/logo.png"><img src="https://example.com/logo.svg">'
    '<img src="file://example.com/static/x.png"><img src="file:///etc/passwd"><img src="x.png">'
)
REMOTE_HTML = f"<html><head>{REMOTE_HEAD}</head><body><p>Hello \u2013 \u2018world\u2019</p>{REMOTE_BODY}</body></html>"


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_network_trap_catches_weasyprints_own_fetcher():
    """The control: with WeasyPrint's default fetcher the same HTML does try the network, and the trap sees it."""
    from weasyprint import HTML

    with network_trap() as attempts:
        HTML(string=REMOTE_HTML, base_url=None).write_pdf()
    assert ("lookup", "example.com") in attempts


def test_a_pdf_with_remote_images_and_styles_renders_without_touching_the_network(caplog):
    with network_trap() as attempts:
        pdf = exports.render_pdf(REMOTE_HTML)
    assert attempts == []
    assert pdf.startswith(b"%PDF")
    assert "Hello \u2013 \u2018world\u2019" in pdf_text(pdf)
    refused = [record.getMessage() for record in caplog.records if "Refused" in record.getMessage()]
    assert any("https://cdn.example.com/x.css" in message for message in refused)
    assert any("http://example.com/logo.png" in message for message in refused)


@pytest.mark.django_db
def test_an_arrangement_pack_with_remote_references_is_rendered_without_touching_the_network(
    client, regulator, programme, monkeypatch
):
    """The real pack, with hostile references added to its HTML, through the pack page."""
    render = exports.render_pdf
    attempts: list = []

    def render_with_remote_references(html: str) -> bytes:
        assert "</head>" in html and "</body>" in html
        html = html.replace("</head>", REMOTE_HEAD + "</head>").replace("</body>", REMOTE_BODY + "</body>")
        with network_trap() as seen:
            pdf = render(html)
        attempts.extend(seen)
        return pdf

    monkeypatch.setattr(exports, "render_pdf", render_with_remote_references)
    client.force_login(regulator)
    response = client.get(reverse("reports:pack", kwargs={"pk": programme["a"].pk}))
    assert response.status_code == 200
    assert attempts == []
    assert "Finance recovery" in pdf_text(response.content)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "file://example.com/static/reports/js/export-progress.js",  # a file "on" another host
        f"file://{settings.BASE_DIR}/static/../buddying/settings.py",  # out of static by ..
        f"file://{settings.BASE_DIR}/buddying/settings.py",
    ],
)
def test_the_pdf_fetcher_refuses_the_network_and_files_outside_static(url):
    with network_trap() as attempts, pytest.raises(exports.NetworkFetchRefused):
        exports.local_only_fetcher().fetch(url)
    assert attempts == []


def test_the_pdf_fetcher_reads_our_own_static_files():
    path = settings.BASE_DIR / "static" / "reports" / "js" / "export-progress.js"
    with network_trap() as attempts:
        response = exports.local_only_fetcher().fetch(path.as_uri())
    try:
        assert response.read() == path.read_bytes()
    finally:
        response.close()
    assert attempts == []
