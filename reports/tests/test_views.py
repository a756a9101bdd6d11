"""Report pages and exports: who may see what, scoping in every format, the audit record, queued exports."""

import csv
import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader

from reports import selectors, services
from reports.models import EXPORT_STALE_AFTER, ExportJob, ExportRecord
from reports.permissions import reportable_arrangements
from reports.tests.conftest import FIFTH_NAME, FOURTH_NAME, INJECTION_TITLE, WELSH_NAME

pytestmark = pytest.mark.django_db

ANON, REG, EXEC, OTHER, ADMIN = "anonymous", "regulator", "executive", "other_executive", "admin"
PEOPLE = [ANON, REG, EXEC, OTHER, ADMIN]
EVERYONE_SIGNED_IN = {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}
REGULATOR_ONLY = {ANON: 302, REG: 200, EXEC: 404, OTHER: 404, ADMIN: 200}
PAGES = [
    ("reports:index", {}, EVERYONE_SIGNED_IN),
    ("reports:register", {}, EVERYONE_SIGNED_IN),
    ("reports:dashboard", {}, EVERYONE_SIGNED_IN),
    *[
        ("reports:report", {"kind": kind}, EVERYONE_SIGNED_IN)
        for kind in ("review-compliance", "endings", "value-for-money", "time-to-agreement", "outcomes")
    ],
    ("reports:report", {"kind": "pool-coverage"}, REGULATOR_ONLY),
    ("reports:report", {"kind": "no-such-report"}, {ANON: 302, REG: 404, EXEC: 404, OTHER: 404, ADMIN: 404}),
]


def get(client, user, url, **params):
    if user is not None:
        client.force_login(user)
    return client.get(url, params)


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content(response).decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple]:
    return xlsx_rows_from(content(response))


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize(("name", "kwargs", "expected"), PAGES, ids=[f"{p[0]}-{p[1]}" for p in PAGES])
def test_report_pages_permission_matrix(client, persona, programme, who, name, kwargs, expected):
    assert get(client, persona[who], reverse(name, kwargs=kwargs)).status_code == expected[who]


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_exports_permission_matrix(client, persona, programme, who, file_format):
    url = reverse("reports:export", kwargs={"kind": "register"})
    assert get(client, persona[who], url, format=file_format).status_code == EVERYONE_SIGNED_IN[who]
    pool = reverse("reports:export", kwargs={"kind": "pool-coverage"})
    assert get(client, persona[who], pool, format=file_format).status_code == REGULATOR_ONLY[who]


def test_an_unknown_format_is_not_found(client, regulator, programme):
    url = reverse("reports:export", kwargs={"kind": "register"})
    assert get(client, regulator, url, format="docx").status_code == 404


@pytest.mark.parametrize(("who", "expected"), [(ANON, 302), (REG, 200), (EXEC, 200), (OTHER, 404), (ADMIN, 200)])
def test_only_the_parties_and_the_regulator_get_an_arrangement_pack(client, persona, programme, who, expected):
    url = reverse("reports:pack", kwargs={"pk": programme["a"].pk})
    assert get(client, persona[who], url).status_code == expected


OTHER_TRUSTS_TEXT = ("Other Hospitals", "Ysbyty", "Fourth Hospitals", INJECTION_TITLE, "Maternity safety")


def test_an_executive_gets_no_row_of_another_trust_in_any_format(client, executive, programme):
    """own_trust's executive: arrangements A and D only. B (other_trust and the Welsh trust) and C (fourth and
    buddy trusts) never appear: not in CSV, XLSX, the register page, the dashboard, or as a PDF pack."""
    client.force_login(executive)
    others = OTHER_TRUSTS_TEXT
    export = reverse("reports:export", kwargs={"kind": "register"})

    rows = csv_rows(client.get(export, {"format": "csv"}))
    assert [row[0] for row in rows[1:]] == [str(programme["a"].pk), str(programme["d"].pk)]
    sheet = xlsx_rows(client.get(export, {"format": "xlsx"}))
    assert [row[0] for row in sheet[1:]] == [programme["a"].pk, programme["d"].pk]
    for kind in ("value-for-money", "review-compliance", "time-to-agreement", "outcomes", "endings"):
        url = reverse("reports:export", kwargs={"kind": kind})
        for file_format in ("csv", "xlsx"):
            text = content(client.get(url, {"format": file_format}))
            body = text.decode("utf-8-sig") if file_format == "csv" else str(xlsx_rows_from(text))
            assert not any(name in body for name in others), (kind, file_format)

    page = client.get(reverse("reports:register"))
    assert [row["reference"] for row in page.context["rows"]] == [programme["a"].pk, programme["d"].pk]
    assert not any(name in page.content.decode() for name in others)
    dashboard = client.get(reverse("reports:dashboard"))
    assert dashboard.context["data"]["total"] == 2
    assert dict(dashboard.context["data"]["endings"]) == {
        "Poor cultural fit": 0,  # B's, for the regulator
        "Unproductive": 0,
        "Capacity": 0,
        "Objectives met": 1,  # D's
        "Acquisition": 0,
        "Other": 0,
    }
    assert {marker["ods_code"] for marker in dashboard.context["data"]["markers"]} == {"RA1", "RC3"}
    assert not any(name in dashboard.content.decode() for name in others)
    for key in ("a", "d"):
        assert client.get(reverse("reports:pack", kwargs={"pk": programme[key].pk})).status_code == 200
    for key in ("b", "c"):
        assert client.get(reverse("reports:pack", kwargs={"pk": programme[key].pk})).status_code == 404


def xlsx_rows_from(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    return list(sheet.iter_rows(values_only=True))


# Scoping in every report and every format. For each report, the columns compared, and the rows the regulator
# and own_trust's executive should get (built from the programme: A and D are the executive's; B and C are not).
SCOPE_COLUMNS = {
    "register": ("reference", "supported", "total_cost"),
    "review-compliance": ("reference", "reviews_done", "compliance"),
    "endings": ("reason", "terminated", "completed", "total", "by_supported", "by_buddy", "by_regulator"),
    "value-for-money": ("reference", "total_cost", "consultancy"),
    "time-to-agreement": ("reference", "days"),
    "outcomes": ("ods", "left_on", "reference"),
}
REASONS = ("Poor cultural fit", "Unproductive", "Capacity", "Objectives met", "Acquisition", "Other")


def expected_rows(kind: str, who: str, p: dict) -> list[tuple]:
    a, b, c, d = (p[key].pk for key in ("a", "b", "c", "d"))
    own = who == EXEC
    if kind == "register":
        rows = [(c, FOURTH_NAME, 0), (b, "Other Hospitals NHS Trust", 80)] if not own else []
        return [*rows, (a, "Own Hospitals NHS Trust", "920.50"), (d, FIFTH_NAME, 250)]
    if kind == "review-compliance":
        # Ended arrangements (B, D) have no next review, so they come after those still running.
        if own:
            return [(a, 1, "Overdue"), (d, 0, "")]
        return [(a, 1, "Overdue"), (c, 0, "Due"), (d, 0, ""), (b, 0, "")]
    if kind == "endings":
        counts = dict.fromkeys(REASONS, (0, 0, 0, 0, 0, 0))
        counts["Objectives met"] = (0, 1, 1, 0, 1, 0)  # D: completed, by its buddy (own_trust)
        if not own:
            counts["Poor cultural fit"] = (1, 0, 1, 1, 0, 0)  # B: ended early by other_trust
        return [(reason, *counts[reason]) for reason in REASONS]
    if kind == "value-for-money":
        if own:
            return [(a, "920.50", 8000), (d, 250, 1000), (None, "1170.50", 9000)]
        return [(c, 0, 0), (b, 80, 3000), (a, "920.50", 8000), (d, 250, 1000), (None, "1250.50", 12000)]
    if kind == "time-to-agreement":
        return [(a, 42)] if own else [(c, 21), (a, 42)]
    if kind == "outcomes":
        other_trust: list[tuple] = [] if own else [("RB2", dt.date(2027, 2, 1), b)]
        return [*other_trust, ("RA1", dt.date(2027, 4, 1), a)]
    raise AssertionError(kind)


def norm(value):
    """One cell as the same value whichever format it came from: CSV text, an XLSX cell, or a page's row."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, (dt.date, Decimal)):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    try:
        return Decimal(value)
    except InvalidOperation:
        pass
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return value


def rows_in(client, kind: str, how: str, settings) -> list[tuple]:
    """The report's rows as the signed-in user gets them: on the page, as a download, or as a queued export."""
    definition = selectors.REPORTS[kind]
    indexes = [definition.keys.index(key) for key in SCOPE_COLUMNS[kind]]
    if how == "page":
        url = reverse("reports:register") if kind == "register" else reverse("reports:report", kwargs={"kind": kind})
        table: Sequence[Sequence[Any]] = [
            [row[key] for key in definition.keys] for row in client.get(url).context["rows"]
        ]
    else:
        file_format = how.removeprefix("queued-")
        settings.REPORTS_ASYNC_ROWS = 0 if how.startswith("queued-") else 5000
        response = client.get(reverse("reports:export", kwargs={"kind": kind}), {"format": file_format})
        if how.startswith("queued-"):
            assert response.status_code == 302
            job = ExportJob.objects.get(pk=int(response.url.rstrip("/").rsplit("/", 1)[1]))
            assert services.export_job_execute(job_id=job.pk) is True
            response = client.get(reverse("reports:export-download", kwargs={"pk": job.pk}))
        data = content(response)
        table = csv_rows_from(data)[1:] if file_format == "csv" else xlsx_rows_from(data)[1:]
    return [tuple(norm(row[index]) for index in indexes) for row in table]


def csv_rows_from(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("how", ["page", "csv", "xlsx", "queued-csv", "queued-xlsx"])
@pytest.mark.parametrize("who", [REG, EXEC])
@pytest.mark.parametrize("kind", list(SCOPE_COLUMNS))
def test_every_report_in_every_format_holds_an_executives_own_rows_and_no_other_trusts(
    client, persona, programme, settings, kind, who, how
):
    """The regulator's rows include other trusts' arrangements (B, C) in every report; own_trust's executive gets
    exactly their own (A, D): the same rows, counts and totals on the page, in CSV and XLSX, queued or not."""
    client.force_login(persona[who])
    expected = [tuple(norm(value) for value in row) for row in expected_rows(kind, who, programme)]
    if how == "page" and kind == "value-for-money":
        expected = expected[:-1]  # the page shows the totals in its summary, not as a row
    assert rows_in(client, kind, how, settings) == expected


@pytest.mark.parametrize("kind", [kind for kind in SCOPE_COLUMNS if kind != "register"])
def test_an_executives_report_pages_summarise_and_show_their_own_arrangements_only(
    client, regulator, executive, programme, kind
):
    url = reverse("reports:report", kwargs={"kind": kind})
    client.force_login(regulator)
    everyone = client.get(url)
    client.force_login(executive)
    own = client.get(url)
    definition = selectors.REPORTS[kind]
    assert own.context["summary"] == definition.summary(reportable_arrangements(executive), selectors.Context())
    assert own.context["summary"] != everyone.context["summary"]  # the regulator's counts include B and C
    page = own.content.decode()
    assert not any(text in page for text in OTHER_TRUSTS_TEXT), kind


def test_the_csv_download_is_streamed_named_and_safe(client, regulator, programme):
    client.force_login(regulator)
    response = client.get(reverse("reports:export", kwargs={"kind": "register"}), {"format": "csv"})
    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="arrangements-register-2027-06-15.csv"'
    rows = {row[0]: row for row in csv_rows(response)[1:]}
    b = rows[str(programme["b"].pk)]
    assert b[1] == "'" + INJECTION_TITLE
    assert b[5] == WELSH_NAME
    assert rows[str(programme["c"].pk)][2] == FOURTH_NAME
    a = rows[str(programme["a"].pk)]
    assert a[16:22] == ["Red", "1500.00", "500.00", "120.50", "300.00", "920.50"]


def test_the_xlsx_download_is_named_and_safe(client, regulator, programme):
    client.force_login(regulator)
    response = client.get(reverse("reports:export", kwargs={"kind": "register"}), {"format": "xlsx"})
    assert response["Content-Disposition"] == 'attachment; filename="arrangements-register-2027-06-15.xlsx"'
    rows = {row[0]: row for row in xlsx_rows(response)[1:]}
    b = rows[programme["b"].pk]
    # Exactly as typed: an XLSX inline string is never a formula (the cell's quote prefix shows it as text).
    assert (b[1], b[5]) == (INJECTION_TITLE, WELSH_NAME)
    assert rows[programme["c"].pk][2] == FOURTH_NAME
    assert rows[programme["a"].pk][21] == 920.5


def test_every_export_is_recorded_with_who_what_filters_and_rows(client, regulator, programme):
    client.force_login(regulator)
    url = reverse("reports:export", kwargs={"kind": "register"})
    content(client.get(url, {"format": "csv", "status": ["active", "paused"], "region": "london", "apply": ""}))
    content(client.get(reverse("reports:export", kwargs={"kind": "endings"}), {"format": "xlsx"}))
    client.get(reverse("reports:pack", kwargs={"pk": programme["a"].pk}))
    first, second, third = ExportRecord.objects.order_by("pk")
    assert (first.user, first.report, first.file_format, first.row_count) == (regulator, "register", "csv", 2)
    assert first.filters == {"status": ["active", "paused"], "region": ["london"]}
    assert (second.report, second.file_format, second.row_count) == ("endings", "xlsx", 6)
    assert (third.report, third.file_format, third.row_count, third.filters) == (
        "pack",
        "pdf",
        1,
        {"arrangement": programme["a"].pk},
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "active"}, {"a", "c"}),
        ({"status": ["terminated", "completed"]}, {"b", "d"}),
        ({"tier": "light-touch"}, {"c", "d"}),
        ({"origin": "self-proposed"}, {"b", "d"}),
        ({"area": "finance"}, {"a"}),
        ({"start_from_0": "1", "start_from_1": "1", "start_from_2": "2027"}, {"b", "c"}),
        ({"start_to_0": "31", "start_to_1": "3", "start_to_2": "2027"}, {"a", "b", "d"}),
        ({"region": "north-west"}, set()),
        # Only running arrangements have a next review; B (ended) still has the date it had.
        ({"review_by_0": "30", "review_by_1": "6", "review_by_2": "2027"}, {"a"}),
        ({"ended_from_0": "1", "ended_from_1": "1", "ended_from_2": "2027"}, {"b"}),
    ],
)
def test_the_register_filters(client, regulator, programme, params, expected):
    client.force_login(regulator)
    names = {programme[key].pk: key for key in ("a", "b", "c", "d")}
    page = client.get(reverse("reports:register"), params)
    assert {names[row["reference"]] for row in page.context["rows"]} == expected
    rows = csv_rows(client.get(reverse("reports:export", kwargs={"kind": "register"}), {**params, "format": "csv"}))
    assert {names[int(row[0])] for row in rows[1:]} == expected


def test_an_export_with_invalid_filters_goes_back_to_the_page_to_show_why(client, regulator, programme):
    client.force_login(regulator)
    url = reverse("reports:export", kwargs={"kind": "register"})
    response = client.get(url, {"format": "csv", "start_from_0": "40", "start_from_1": "2", "start_from_2": "2027"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("reports:register") + "?")
    assert not ExportRecord.objects.exists()


def test_the_pack_pdf_holds_the_terms_work_inputs_and_reviews(client, executive, programme):
    client.force_login(executive)
    response = client.get(reverse("reports:pack", kwargs={"pk": programme["a"].pk}))
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="arrangement-pack-{programme["a"].pk}-2027-06-15.pdf"'
    )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = " ".join(text.split())
    for expected in (
        "Finance recovery",
        "Financial controls, grip and the deficit plan",  # the scope of the latest terms (version 2)
        "Version 2",
        "Agree a deficit plan",  # an objective
        "Plan approved by the board",
        "Deficit plan",  # milestones, with RAG
        "Board report",
        "Board-to-board visit",  # an input
        "continue with changes",  # the review's outcome
        "Board approved the recovery plan",  # what it achieved
        "Share the grip and control checklist",
        "£1,500",
    ):
        assert expected in text, expected


def test_the_pack_pdf_keeps_unicode_and_shows_typed_text_as_it_was_typed(client, regulator, programme):
    client.force_login(regulator)
    response = client.get(reverse("reports:pack", kwargs={"pk": programme["b"].pk}))
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages).split())
    assert WELSH_NAME in text
    assert INJECTION_TITLE in text  # a PDF runs nothing: the title is shown as typed
    assert "@SUM(1+1) learning day" in text


def test_a_large_export_is_queued_and_downloaded_when_ready(
    client, regulator, programme, settings, django_capture_on_commit_callbacks
):
    settings.REPORTS_ASYNC_ROWS = 2
    client.force_login(regulator)
    with django_capture_on_commit_callbacks():  # not run: the job waits for a worker
        response = client.get(
            reverse("reports:export", kwargs={"kind": "register"}),
            {"format": "csv", "tier": ["intensive", "targeted", "light-touch"]},
        )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert (job.status, job.total_rows, job.filters) == (
        "pending",
        4,
        {"tier": ["intensive", "targeted", "light-touch"]},
    )
    assert not ExportRecord.objects.exists()
    page = client.get(job.get_absolute_url())
    assert "Waiting to start" in page.content.decode()
    assert client.get(reverse("reports:export-download", kwargs={"pk": job.pk})).status_code == 404

    assert services.export_job_execute(job_id=job.pk) is True
    assert services.export_job_execute(job_id=job.pk) is False  # claimed once
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows_written) == ("done", 100, 4)
    status = client.get(reverse("reports:export-status", kwargs={"pk": job.pk})).json()
    assert status["finished"] and status["download_url"] == reverse("reports:export-download", kwargs={"pk": job.pk})
    download = client.get(status["download_url"])
    assert download["Content-Disposition"] == 'attachment; filename="arrangements-register-2027-06-15.csv"'
    assert len(csv_rows(download)) == 5
    record = ExportRecord.objects.get()
    assert (record.job, record.row_count, record.user) == (job, 4, regulator)
    assert "Download arrangements-register-2027-06-15.csv" in client.get(job.get_absolute_url()).content.decode()


def test_a_queued_export_is_scoped_to_who_asked_and_only_they_can_fetch_it(
    client, executive, other_executive, regulator, programme, settings
):
    settings.REPORTS_ASYNC_ROWS = 0
    client.force_login(executive)
    client.get(reverse("reports:export", kwargs={"kind": "register"}), {"format": "xlsx"})
    job = ExportJob.objects.get()
    services.export_job_execute(job_id=job.pk)
    rows = xlsx_rows(client.get(reverse("reports:export-download", kwargs={"pk": job.pk})))
    assert [row[0] for row in rows[1:]] == [programme["a"].pk, programme["d"].pk]
    for outsider in (other_executive, regulator):
        client.force_login(outsider)
        for name in ("reports:export-job", "reports:export-status", "reports:export-download"):
            assert client.get(reverse(name, kwargs={"pk": job.pk})).status_code == 404


def test_the_on_commit_callback_enqueues_the_task_that_writes_that_job(
    client, regulator, programme, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The export is enqueued only once the request's transaction commits, and the task it sends writes that job."""
    from buddying.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # the task runs in-process when it is sent
    settings.REPORTS_ASYNC_ROWS = 0
    client.force_login(regulator)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.get(reverse("reports:export", kwargs={"kind": "register"}), {"format": "csv", "status": "active"})
        job = ExportJob.objects.get()
        assert job.status == "pending"  # nothing is sent before the commit
        assert not ExportRecord.objects.exists()
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.rows_written, job.error) == ("done", 2, "")
    assert ExportRecord.objects.get().job == job
    rows = csv_rows(client.get(reverse("reports:export-download", kwargs={"pk": job.pk})))
    assert {int(row[0]) for row in rows[1:]} == {programme["a"].pk, programme["c"].pk}


# The export's own pages: its owner (own_trust's executive) only. Anyone else gets 404, as for a missing export.
OWNER_ONLY = {ANON: 302, REG: 404, EXEC: "owner", OTHER: 404, ADMIN: 404}
JOB_ENDPOINTS = [
    ("reports:export-job", "get", 200),
    ("reports:export-status", "get", 200),
    ("reports:export-download", "get", 200),
    ("reports:export-restart", "post", 302),
]


@pytest.fixture
def owned_job(client, executive, programme, settings):
    """A finished queued export of the register, asked for by own_trust's executive."""
    settings.REPORTS_ASYNC_ROWS = 0
    client.force_login(executive)
    client.get(reverse("reports:export", kwargs={"kind": "register"}), {"format": "csv"})
    job = ExportJob.objects.get()
    services.export_job_execute(job_id=job.pk)
    client.logout()
    job.refresh_from_db()
    assert job.status == "done"
    return job


@pytest.mark.parametrize("who", PEOPLE)
@pytest.mark.parametrize(("name", "method", "owner_gets"), JOB_ENDPOINTS, ids=[e[0] for e in JOB_ENDPOINTS])
def test_export_job_endpoints_permission_matrix(client, persona, owned_job, who, name, method, owner_gets):
    if persona[who] is not None:
        client.force_login(persona[who])
    expected = owner_gets if OWNER_ONLY[who] == "owner" else OWNER_ONLY[who]
    response = getattr(client, method)(reverse(name, kwargs={"pk": owned_job.pk}))
    assert response.status_code == expected
    if expected == 302 and who == ANON:
        assert response.url.startswith(reverse("login"))
    missing = getattr(client, method)(reverse(name, kwargs={"pk": owned_job.pk + 1000}))
    assert missing.status_code == (302 if who == ANON else 404)
    owned_job.refresh_from_db()
    assert owned_job.status == "done"  # a finished export is never started again, whoever asks


def test_a_failed_export_says_why(client, regulator, programme, settings):
    settings.REPORTS_ASYNC_ROWS = 0
    client.force_login(regulator)
    client.get(reverse("reports:export", kwargs={"kind": "register"}), {"format": "csv"})
    job = ExportJob.objects.get()
    job.filters = {"start_from_0": ["99"], "start_from_1": ["1"], "start_from_2": ["2027"]}
    job.save()
    services.export_job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "The filters are not valid")
    assert "The filters are not valid" in client.get(job.get_absolute_url()).content.decode()
    assert not ExportRecord.objects.exists()


def test_an_unexpected_error_fails_the_export_with_a_readable_message_and_it_can_be_tried_again(
    client, regulator, programme, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.REPORTS_ASYNC_ROWS = 0
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the exports folder should be")
    settings.EXPORTS_DIR = blocked  # writing the file fails with an OSError no one planned for
    client.force_login(regulator)
    client.get(reverse("reports:export", kwargs={"kind": "register"}), {"format": "xlsx"})
    job = ExportJob.objects.get()

    assert services.export_job_execute(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", services.UNEXPECTED)
    page = client.get(job.get_absolute_url())
    assert "The export could not be prepared" in page.content.decode()
    assert services.UNEXPECTED in page.content.decode()
    assert str(blocked) not in page.content.decode()  # no internals on the page
    assert page.context["can_restart"]
    status = client.get(reverse("reports:export-status", kwargs={"pk": job.pk})).json()
    assert (status["finished"], status["error"], status["can_restart"]) == (True, services.UNEXPECTED, True)
    assert not ExportRecord.objects.exists()

    settings.EXPORTS_DIR = tmp_path / "exports"
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("reports:export-restart", kwargs={"pk": job.pk}))
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.error) == ("pending", "")
    assert services.export_job_execute(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.rows_written) == ("done", 4)


def running_job(user, *, started_ago):
    return ExportJob.objects.create(
        requested_by=user,
        report="register",
        file_format="csv",
        total_rows=4,
        download_name="arrangements-register-2027-06-15.csv",
        status=ExportJob.Status.RUNNING,
        progress=40,
        started_at=timezone.now() - started_ago,
    )


def test_the_owner_can_restart_an_export_whose_worker_died(
    client, executive, programme, django_capture_on_commit_callbacks
):
    """Still "running" past the task's time limit (and a margin): no worker is writing it any more."""
    job = running_job(executive, started_ago=EXPORT_STALE_AFTER + dt.timedelta(minutes=1))
    client.force_login(executive)
    assert client.get(job.get_absolute_url()).context["can_restart"]
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("reports:export-restart", kwargs={"pk": job.pk}))
    assert response.status_code == 302
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.progress, job.started_at) == ("pending", 0, None)
    assert "started again" in client.get(job.get_absolute_url()).content.decode()
    services.export_job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_written) == ("done", 2)  # scoped to the executive: A and D


def test_an_export_still_being_written_is_not_restarted(
    client, executive, programme, django_capture_on_commit_callbacks
):
    job = running_job(executive, started_ago=EXPORT_STALE_AFTER - dt.timedelta(minutes=1))
    client.force_login(executive)
    assert not client.get(job.get_absolute_url()).context["can_restart"]
    assert not client.get(reverse("reports:export-status", kwargs={"pk": job.pk})).json()["can_restart"]
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("reports:export-restart", kwargs={"pk": job.pk}))
    assert callbacks == []
    job.refresh_from_db()
    assert (job.status, job.progress) == ("running", 40)
    assert "still being prepared" in client.get(job.get_absolute_url()).content.decode()


def test_export_records_cannot_be_deleted_in_admin_even_by_a_superuser(client, admin_user, regulator):
    record = ExportRecord.objects.create(user=regulator, report="register", file_format="csv", row_count=3)
    client.force_login(admin_user)
    changelist = client.get(reverse("admin:reports_exportrecord_changelist"))
    assert changelist.status_code == 200
    assert "delete_selected" not in changelist.content.decode()  # no "delete selected" action either
    delete = reverse("admin:reports_exportrecord_delete", args=[record.pk])
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert ExportRecord.objects.filter(pk=record.pk).exists()


def test_the_dashboard_shows_charts_data_and_the_map(client, regulator, programme):
    client.force_login(regulator)
    data = client.get(reverse("reports:dashboard")).context["data"]
    assert data["total"] == 4
    assert dict(data["by_status"])["Active"] == 2 and dict(data["by_status"])["Ended early"] == 1
    assert dict(data["by_status"])["Completed"] == 1
    assert dict(data["by_tier"]) == {
        "Light-touch mentoring": 2,
        "Targeted issue-specific support": 1,
        "Intensive work programme": 1,
        "Multi-year superbuddy support": 0,
        "Acquisition-linked": 0,
    }
    assert data["reviews"] == [("Done", 1), ("Due", 1), ("Overdue", 1)]
    assert dict(data["endings"])["Poor cultural fit"] == 1 and dict(data["endings"])["Objectives met"] == 1
    assert dict(data["costs"])["Consultancy estimate"] == 12000
    assert len(data["lines"]) == 2  # A and C are active: one line each
    assert {marker["ods_code"] for marker in data["markers"]} == {"RA1", "RC3", "RE5"}


def build(rows, supported):
    """Arrangements with a buddy, terms, an input and a milestone each: every look-up has rows to find."""
    import datetime as dt

    from arrangements.models import Input, Milestone, TermsOfReference, Workstream
    from arrangements.tests.factories import ArrangementBuddyFactory, ArrangementFactory
    from buddying.tests.factories import ExpertiseAreaFactory, TrustFactory

    area = ExpertiseAreaFactory(slug="finance")
    for n in range(rows):
        arrangement = ArrangementFactory(supported=supported, status="active", title=f"Arrangement {n}")
        ArrangementBuddyFactory(arrangement=arrangement, buddy=TrustFactory())
        TermsOfReference.objects.create(
            arrangement=arrangement,
            version=1,
            scope="S",
            supported_commitments="A",
            buddy_commitments="B",
            governance="G",
            termination_terms="T",
        )
        Input.objects.create(arrangement=arrangement, kind="visit", date=dt.date(2027, 1, 1), description="Visit")
        workstream = Workstream.objects.create(arrangement=arrangement, area=area, supported_lead="A", buddy_lead="B")
        Milestone.objects.create(workstream=workstream, title="M", due_date=dt.date(2027, 2, 1), rag="amber")


@pytest.mark.parametrize("rows", [2, 30])
def test_the_register_runs_a_fixed_number_of_queries(client, regulator, own_trust, rows, django_assert_num_queries):
    build(rows, own_trust)
    client.force_login(regulator)
    # session, user, count, page, then for the page: buddies, input sums, workstreams and milestones (RAG),
    # terms; the expertise areas for the filter, unread notifications.
    with django_assert_num_queries(11):
        client.get(reverse("reports:register"))


@pytest.mark.parametrize("rows", [2, 30])
def test_the_dashboard_runs_a_fixed_number_of_queries(client, regulator, own_trust, rows, django_assert_num_queries):
    build(rows, own_trust)
    client.force_login(regulator)
    # session, user, status and tier, reviews, endings, costs, map, unread notifications, the pool's latest readiness
    with django_assert_num_queries(9):
        client.get(reverse("reports:dashboard"))
