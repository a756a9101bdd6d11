"""The register of informal arrangements: buddying and learning arrangements trusts made themselves, as a page and
as CSV or XLSX, for regulator staff and admins."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from buddying import services
from buddying.models import TrustRelationship
from buddying.tests.factories import ExecutiveFactory, TrustFactory
from reports.models import ExportRecord

pytestmark = pytest.mark.django_db

ANON, REG, EXEC, OTHER, ADMIN = "anonymous", "regulator", "executive", "other_executive", "admin"
REGULATOR_ONLY = {ANON: 302, REG: 200, EXEC: 404, OTHER: 404, ADMIN: 200}
DANGEROUS = '=HYPERLINK("http://example.com")'
Kind = TrustRelationship.Kind


@pytest.fixture
def relationships(regulator, own_trust, other_trust):
    """Confirmed, pending and declined informal arrangements, and relationships that are not arrangements."""
    alpha = TrustFactory(name="Alpha Hospitals NHS Trust", ods_code="RA7")
    services.relationship_create(
        by=regulator, trust=own_trust, other=other_trust, kind=Kind.INFORMAL_BUDDYING, description=DANGEROUS
    )
    waiting = ExecutiveFactory(trust=alpha)
    services.relationship_create(by=waiting, trust=alpha, other=own_trust, kind=Kind.LEARNING, description="Visits")
    declined = services.relationship_create(by=waiting, trust=alpha, other=other_trust, kind=Kind.LEARNING)
    services.relationship_decline(relationship=declined, by=ExecutiveFactory(trust=other_trust))
    services.relationship_create(by=regulator, trust=alpha, other=other_trust, kind=Kind.SHARED_NETWORK)
    services.relationship_create(by=regulator, trust=own_trust, other=alpha, kind=Kind.LEADERS_WORKED_TOGETHER)


def get(client, user, url, **params):
    if user is not None:
        client.force_login(user)
    return client.get(url, params)


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("who", [ANON, REG, EXEC, OTHER, ADMIN])
@pytest.mark.parametrize("file_format", [None, "csv", "xlsx"])
def test_only_regulator_staff_and_admins_see_or_export_the_register(client, persona, who, file_format):
    if file_format is None:
        url = reverse("reports:report", kwargs={"kind": "informal-arrangements"})
        response = get(client, persona[who], url)
    else:
        url = reverse("reports:export", kwargs={"kind": "informal-arrangements"})
        response = get(client, persona[who], url, format=file_format)
    assert response.status_code == REGULATOR_ONLY[who]


def test_the_register_lists_informal_arrangements_confirmed_or_waiting_but_not_declined_ones(
    client, regulator, relationships
):
    page = get(client, regulator, reverse("reports:report", kwargs={"kind": "informal-arrangements"}))
    text = page.content.decode()
    assert "Register of informal arrangements" in text
    assert "Confirmed informal arrangements" in text
    rows = page.context["rows"]
    assert [(row["trust_ods"], row["other_ods"], row["kind"], row["status"]) for row in rows] == [
        ("RA1", "RA7", "Learning arrangement", "Waiting for confirmation"),
        ("RA1", "RB2", "Informal buddying arrangement", "Confirmed"),
    ]
    assert rows[0]["entered_by"] == "Alpha Hospitals NHS Trust"
    assert rows[1]["entered_by"] == "Regulator staff"
    assert rows[1]["answered_on"] is not None and rows[0]["answered_on"] is None


def test_the_csv_guards_a_formula_typed_into_a_description_and_the_export_is_recorded(client, regulator, relationships):
    response = get(client, regulator, reverse("reports:export", kwargs={"kind": "informal-arrangements"}), format="csv")
    assert response["Content-Disposition"].startswith('attachment; filename="informal-arrangements-')
    rows = list(csv.reader(io.StringIO(content(response).decode("utf-8-sig"))))
    assert rows[0][:5] == ["Trust", "ODS code", "With", "ODS code of the other", "Kind"]
    assert len(rows) == 3
    confirmed = next(row for row in rows if row[3] == "RB2")
    assert confirmed[5] == "'" + DANGEROUS
    record = ExportRecord.objects.get()
    assert (record.user, record.report, record.file_format, record.row_count) == (
        regulator,
        "informal-arrangements",
        "csv",
        2,
    )


def test_the_xlsx_shows_a_formula_as_text(client, admin_user, relationships):
    response = get(
        client, admin_user, reverse("reports:export", kwargs={"kind": "informal-arrangements"}), format="xlsx"
    )
    sheet = load_workbook(io.BytesIO(content(response))).active
    descriptions = {row[3].value: row[5] for row in sheet.iter_rows(min_row=2)}
    cell = descriptions["RB2"]
    assert cell.value == DANGEROUS and cell.data_type == "s" and cell.quotePrefix
    assert not descriptions["RA7"].quotePrefix


def test_the_register_runs_the_same_queries_whatever_its_size(client, regulator, relationships):
    url = reverse("reports:report", kwargs={"kind": "informal-arrangements"})
    client.force_login(regulator)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    for n in range(5):
        services.relationship_create(
            by=regulator, trust=TrustFactory(), other=TrustFactory(), kind=Kind.LEARNING, description=f"Row {n}"
        )
    with CaptureQueriesContext(connection) as after:
        response = client.get(url)
    assert len(response.context["rows"]) == 7
    assert len(after) == len(before)
