"""Reports in a real browser: filter the register, download CSV and Excel, see the dashboard, queue a big export."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from arrangements import services
from arrangements.services import BuddySpec
from arrangements.tests.conftest import draft_terms
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory, TrustFactory
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def programme(settings, tmp_path):
    """Two active arrangements (with costs) and one still proposed, made through the services."""
    settings.EXPORTS_DIR = tmp_path / "exports"
    regulator = RegulatorFactory(username="rosa")
    places = [
        ("RS1", "Struggling Hospitals NHS Trust", 51.50, -0.12),
        ("RB1", "Strong Hospitals NHS Foundation Trust", 52.20, 0.12),
        ("RS2", "Ysbyty Gwynedd \u2013 Bro Ddyfrdwy", 53.21, -4.16),
        ("RB2", "Leeds Example NHS Trust", 53.80, -1.55),
    ]
    trusts = [TrustFactory(ods_code=code, name=name, latitude=lat, longitude=lng) for code, name, lat, lng in places]
    executives = [ExecutiveFactory(trust=trust) for trust in trusts]
    made = []
    for supported, buddy, title, activate in (
        (0, 1, "Finance recovery", True),
        (2, 3, "=cmd|' /C calc'!A0", True),
        (0, 3, "Maternity safety", False),
    ):
        arrangement = services.arrangement_propose(
            supported=trusts[supported],
            buddies=[BuddySpec(buddy=trusts[buddy])],
            title=title,
            origin="regulator-suggested",
            tier="targeted",
            planned_start=dt.date(2027, 1, 1),
            planned_end=dt.date(2027, 12, 31),
            by=regulator,
        )
        if activate:
            services.arrangement_agree(arrangement=arrangement, by=regulator)
            terms = draft_terms(arrangement, executives[supported], fee=Decimal(1200))
            services.terms_sign(terms=terms, by=executives[supported])
            services.terms_sign(terms=terms, by=executives[buddy])
            services.input_record(
                arrangement=arrangement,
                by=executives[buddy],
                fields={
                    "kind": "visit",
                    "date": dt.date(2027, 1, 15),
                    "description": "Board-to-board visit",
                    "people_supported": 5,
                    "people_buddy": 3,
                    "staff_days": Decimal(3),
                    "travel_cost": Decimal("240.00"),
                    "consultancy_estimate": Decimal(9000),
                },
            )
        made.append(arrangement)
    return made


def downloaded(page, button_name: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_filter_the_register_and_download_it_as_csv_and_excel(page, programme):
    sign_in(page, "rosa")
    page.get_by_role("link", name="Reports").click()
    assert_accessible(page)
    page.get_by_role("link", name="Arrangements register").click()
    expect(page.locator("#result-count")).to_contain_text("3 arrangements found")
    assert_accessible(page)

    page.get_by_role("group", name="Status").get_by_label("Active", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#result-count")).to_contain_text("2 arrangements found")
    expect(page.locator("#register-table")).not_to_contain_text("Maternity safety")
    assert_accessible(page)

    name, data = downloaded(page, "Download CSV of the arrangements register")
    assert name.startswith("arrangements-register-") and name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Reference", "Arrangement", "Supported trust"]
    assert sorted(row[1] for row in rows[1:]) == ["'=cmd|' /C calc'!A0", "Finance recovery"]
    assert {row[9] for row in rows[1:]} == {"Active"}

    name, data = downloaded(page, "Download Excel (XLSX) of the arrangements register")
    assert name.endswith(".xlsx")
    sheet = list(load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True))
    assert len(sheet) == 3
    assert {row[4] for row in sheet[1:]} == {"London"}
    assert "Ysbyty Gwynedd \u2013 Bro Ddyfrdwy" in {row[2] for row in sheet[1:]}


def test_the_dashboard_draws_its_charts_and_a_line_per_active_pairing(page, programme):
    sign_in(page, "rosa")
    page.goto("/reports/dashboard/")
    # Each chart's canvas says how many bars or slices it drew (the same rows as its table).
    for chart, drawn in {"status": "7", "tier": "5", "reviews": "3", "endings": "6", "costs": "4"}.items():
        expect(page.locator(f"#{chart}-chart")).to_have_attribute("data-chart-ready", drawn)
    expect(page.locator("#status-table")).to_contain_text("Active")
    expect(page.locator("#dashboard-map")).to_have_attribute("data-markers-drawn", "4")
    # Two active arrangements: two lines (the map's lines are drawn 2px wide; markers and the outline are not).
    expect(page.locator('#dashboard-map path[stroke-width="2"]')).to_have_count(2)
    assert_accessible(page)


def test_a_large_export_is_prepared_in_the_background_then_downloaded(page, programme, settings, celery_worker):
    settings.REPORTS_ASYNC_ROWS = 1
    sign_in(page, "rosa")
    page.goto("/reports/register/")
    page.get_by_role("button", name="Download CSV of the arrangements register").click()
    expect(page.get_by_role("heading", name="Arrangements register")).to_be_visible()
    expect(page.get_by_role("heading", name="Your file is ready")).to_be_visible(timeout=30_000)
    assert_accessible(page)
    name, data = downloaded(page, "Download arrangements-register-")
    assert name.endswith(".csv")
    assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) == 4


def test_programme_reports_follow_the_filters(page, programme):
    sign_in(page, "rosa")
    page.goto("/reports/")
    page.get_by_role("link", name="Review compliance").click()
    expect(page.get_by_role("heading", name="Review compliance", level=1)).to_be_visible()
    # Only started arrangements have reviews to hold: the two active ones.
    expect(page.locator("#result-count")).to_have_text("2 rows")
    page.locator(".moj-filter").get_by_role("group", name="Status").get_by_label("Active", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"status=active"))
    expect(page.locator(".moj-filter").get_by_label("Active", exact=True)).to_be_checked()
    expect(page.locator("#result-count")).to_have_text("2 rows")
    expect(page.locator("#report-summary")).to_contain_text("Active arrangements with the next review due")
    assert_accessible(page)
    page.locator(".moj-filter").get_by_label("Active", exact=True).uncheck()
    page.locator(".moj-filter").get_by_label("Proposed", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("Nothing to show for these filters yet.")).to_be_visible()
    assert_accessible(page)

    page.goto("/reports/")
    page.get_by_role("link", name="Value for money").click()
    expect(page.locator("#result-count")).to_have_text("3 rows")
    page.locator(".moj-filter").get_by_role("group", name="Status").get_by_label("Active", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#result-count")).to_have_text("2 rows")
    expect(page.locator("main table")).to_contain_text("Finance recovery")
    expect(page.locator("main table")).not_to_contain_text("Maternity safety")
    expect(page.locator("#report-summary")).to_contain_text("A consultancy would have charged")
    assert_accessible(page)
    # A date that does not exist is explained, and the page stays accessible.
    group = page.locator(".moj-filter").get_by_role("group", name="Planned start on or after")
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("2")
    group.get_by_label("Year").fill("2027")
    page.get_by_role("button", name="Apply filters").click()
    group = page.locator(".moj-filter").get_by_role("group", name="Planned start on or after")
    in_error = group.locator("xpath=ancestor-or-self::*[contains(@class, 'govuk-form-group--error')]").last
    expect(in_error.locator(".govuk-error-message")).to_be_visible()
    assert_accessible(page)
