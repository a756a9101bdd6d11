"""Report pages and exports: who may see what, scoping in every format, the audit record, queued exports."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import services
from reports.models import ExportJob, ExportRecord
from reports.tests.conftest import FOURTH_NAME, INJECTION_TITLE, WELSH_NAME

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
    return list(load_workbook(io.BytesIO(content(response))).active.iter_rows(values_only=True))


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


def test_an_executive_gets_no_row_of_another_trust_in_any_format(client, executive, programme):
    """own_trust's executive: arrangement A only. B (other_trust and the Welsh trust) and C (fourth and
    buddy trusts) never appear: not in CSV, XLSX, the register page, the dashboard, or as a PDF pack."""
    client.force_login(executive)
    others = ("Other Hospitals", "Ysbyty", "Fourth Hospitals", INJECTION_TITLE, "Maternity safety")
    export = reverse("reports:export", kwargs={"kind": "register"})

    rows = csv_rows(client.get(export, {"format": "csv"}))
    assert [row[0] for row in rows[1:]] == [str(programme["a"].pk)]
    sheet = xlsx_rows(client.get(export, {"format": "xlsx"}))
    assert [row[0] for row in sheet[1:]] == [programme["a"].pk]
    for kind in ("value-for-money", "review-compliance", "time-to-agreement", "outcomes", "endings"):
        url = reverse("reports:export", kwargs={"kind": kind})
        for file_format in ("csv", "xlsx"):
            text = content(client.get(url, {"format": file_format}))
            body = text.decode("utf-8-sig") if file_format == "csv" else str(xlsx_rows_from(text))
            assert not any(name in body for name in others), (kind, file_format)

    page = client.get(reverse("reports:register"))
    assert [row["reference"] for row in page.context["rows"]] == [programme["a"].pk]
    assert not any(name in page.content.decode() for name in others)
    dashboard = client.get(reverse("reports:dashboard"))
    assert dashboard.context["data"]["total"] == 1
    assert {marker["ods_code"] for marker in dashboard.context["data"]["markers"]} == {"RA1", "RC3"}
    assert not any(name in dashboard.content.decode() for name in others)
    for key in ("b", "c"):
        assert client.get(reverse("reports:pack", kwargs={"pk": programme[key].pk})).status_code == 404


def xlsx_rows_from(data: bytes) -> list[tuple]:
    return list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))


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
    assert (b[1], b[5]) == ("'" + INJECTION_TITLE, WELSH_NAME)
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
        ({"status": ["terminated", "completed"]}, {"b"}),
        ({"tier": "light-touch"}, {"c"}),
        ({"origin": "self-proposed"}, {"b"}),
        ({"area": "finance"}, {"a"}),
        ({"start_from_0": "1", "start_from_1": "1", "start_from_2": "2027"}, {"b", "c"}),
        ({"start_to_0": "31", "start_to_1": "3", "start_to_2": "2027"}, {"a", "b"}),
        ({"region": "north-west"}, set()),
    ],
)
def test_the_register_filters(client, regulator, programme, params, expected):
    client.force_login(regulator)
    names = {programme[key].pk: key for key in ("a", "b", "c")}
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
        "£1,500.00",
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
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(
            reverse("reports:export", kwargs={"kind": "register"}),
            {"format": "csv", "tier": ["intensive", "targeted", "light-touch"]},
        )
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response.url == job.get_absolute_url()
    assert len(callbacks) == 1  # the task is enqueued after commit
    assert (job.status, job.total_rows, job.filters) == (
        "pending",
        3,
        {"tier": ["intensive", "targeted", "light-touch"]},
    )
    assert not ExportRecord.objects.exists()
    page = client.get(job.get_absolute_url())
    assert "Waiting to start" in page.content.decode()
    assert client.get(reverse("reports:export-download", kwargs={"pk": job.pk})).status_code == 404

    assert services.export_job_execute(job_id=job.pk) is True
    assert services.export_job_execute(job_id=job.pk) is False  # claimed once
    job.refresh_from_db()
    assert (job.status, job.progress, job.rows_written) == ("done", 100, 3)
    status = client.get(reverse("reports:export-status", kwargs={"pk": job.pk})).json()
    assert status["finished"] and status["download_url"] == reverse("reports:export-download", kwargs={"pk": job.pk})
    download = client.get(status["download_url"])
    assert download["Content-Disposition"] == 'attachment; filename="arrangements-register-2027-06-15.csv"'
    assert len(csv_rows(download)) == 4
    record = ExportRecord.objects.get()
    assert (record.job, record.row_count, record.user) == (job, 3, regulator)
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
    assert [row[0] for row in rows[1:]] == [programme["a"].pk]
    for outsider in (other_executive, regulator):
        client.force_login(outsider)
        for name in ("reports:export-job", "reports:export-status", "reports:export-download"):
            assert client.get(reverse(name, kwargs={"pk": job.pk})).status_code == 404


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


def test_the_dashboard_shows_charts_data_and_the_map(client, regulator, programme):
    client.force_login(regulator)
    data = client.get(reverse("reports:dashboard")).context["data"]
    assert data["total"] == 3
    assert dict(data["by_status"])["Active"] == 2 and dict(data["by_status"])["Ended early"] == 1
    assert dict(data["by_tier"]) == {
        "Light-touch mentoring": 1,
        "Targeted issue-specific support": 1,
        "Intensive work programme": 1,
        "Multi-year superbuddy support": 0,
        "Acquisition-linked": 0,
    }
    assert data["reviews"] == [("Done", 1), ("Due", 1), ("Overdue", 1)]
    assert dict(data["endings"])["Poor cultural fit"] == 1
    assert dict(data["costs"])["Consultancy estimate"] == 11000
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
    # session, user, status and tier, reviews, endings, costs, map, unread notifications
    with django_assert_num_queries(8):
        client.get(reverse("reports:dashboard"))
