"""Soundings before procurement in a real browser: regulator staff ask two strong trusts whether they would join a
framework, one says yes with a fee and the other maybe with first refusal on an acquisition, and the summary counts
both by area and region and sets the fee asked against the fee scale."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from buddying.models import Region
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory
from matching import services as pool
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def framework(registry, areas):
    """A draft framework, priced at £250,000 a year for each trust given superbuddy support."""
    regulator = RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan")
    registry["oxford"].region = Region.SOUTH_EAST
    registry["oxford"].save()
    registry["southampton"].region = Region.SOUTH_WEST
    registry["southampton"].save()
    return pool.framework_create(
        by=regulator,
        name="Superbuddy framework 2027",
        term_start=dt.date(2027, 1, 1),
        term_end=dt.date(2030, 12, 31),
        lots=[areas["finance"], areas["maternity"]],
        fees={"superbuddy": Decimal(250_000)},
    )


def test_a_regulator_sounds_out_two_trusts_and_the_summary_counts_and_costs_their_answers(
    new_page, registry, framework
):
    ExecutiveFactory(username="olive", trust=registry["oxford"])
    ExecutiveFactory(username="sue", trust=registry["southampton"])

    # Regulator staff open a sounding of two chosen trusts, from the framework's page.
    rosa = new_page("rosa")
    rosa.goto(framework.get_absolute_url())
    rosa.get_by_role("link", name="Soundings before procurement").click()
    assert_accessible(rosa)
    rosa.get_by_role("button", name="Open a sounding").click()
    rosa.get_by_label("Multi-year superbuddy support (fee scale: £250,000 a year for each trust supported)").check()
    rosa.get_by_label("Only the trusts I select").check()
    rosa.get_by_role("button", name="Open the sounding").click()
    expect(rosa.locator(".govuk-error-summary")).to_contain_text("Select at least one trust to ask")
    assert_accessible(rosa)
    rosa.get_by_label("Oxford Example NHS Foundation Trust").check()
    rosa.get_by_label("Southampton Example NHS Foundation Trust").check()
    reply_by = timezone.localdate() + dt.timedelta(days=14)
    group = rosa.get_by_role("group", name="Reply by (optional)")
    group.get_by_label("Day").fill(str(reply_by.day))
    group.get_by_label("Month").fill(str(reply_by.month))
    group.get_by_label("Year").fill(str(reply_by.year))
    rosa.get_by_role("button", name="Open the sounding").click()
    expect(rosa.locator(".govuk-notification-banner")).to_contain_text("Sounding opened: 2 trusts asked")
    expect(rosa.locator("#sounding-replies")).to_have_text("0 of 2 trusts asked")
    summary_url = rosa.url

    # Oxford's executive is told, and answers yes with a fee (first forgetting the amount).
    olive = new_page("olive")
    olive.goto("/arrangements/notifications/")
    olive.get_by_role("link", name="Would your trust join Superbuddy framework 2027?").click()
    assert_accessible(olive)
    olive.get_by_role("button", name="Answer the sounding").click()
    olive.get_by_label("Yes", exact=True).check()
    olive.get_by_label("Most trusts you could support at once").fill("2")
    olive.get_by_label("Finance").check()
    olive.get_by_label("A fee", exact=True).check()
    olive.get_by_role("button", name="Send your answer").click()
    expect(olive.locator(".govuk-error-summary")).to_contain_text(
        "Enter the annual fee you would need for each trust you support"
    )
    assert_accessible(olive)
    olive.get_by_label("Annual fee you would need for each trust you support (£)").fill("300000")
    olive.get_by_label("Your reasons").fill("We would need to backfill two executive posts")
    olive.get_by_role("button", name="Send your answer").click()
    expect(olive.locator(".govuk-notification-banner")).to_contain_text("Answer sent")
    expect(olive.locator("#sounding-answer")).to_contain_text("£300,000 a year for each trust supported")
    assert_accessible(olive)

    # Southampton's executive finds it on the home page's worklist, and answers maybe, wanting first refusal.
    sue = new_page("sue")
    sue.goto("/")
    sue.get_by_role("link", name="Soundings to answer").click()
    assert_accessible(sue)
    sue.get_by_role("link", name="Would you join Superbuddy framework 2027?").click()
    sue.get_by_role("button", name="Answer the sounding").click()
    sue.get_by_label("Maybe", exact=True).check()
    sue.get_by_label("Most trusts you could support at once").fill("1")
    sue.get_by_label("Finance").check()
    sue.get_by_label("Maternity").check()
    sue.get_by_label("First refusal on acquiring the supported trust").check()
    sue.get_by_label("Your reasons").fill("Only with a route to a merger")
    sue.get_by_role("button", name="Send your answer").click()
    expect(sue.locator("#sounding-answer")).to_contain_text("First refusal on acquiring the supported trust")

    # The summary counts both answers by area and by region, and sets the fee asked against the fee scale.
    rosa.goto(summary_url)
    expect(rosa.locator("#sounding-replies")).to_have_text("2 of 2 trusts asked")
    by_area = rosa.locator("#by-area")
    expect(by_area.get_by_role("row", name="Finance")).to_have_text("Finance1121")
    expect(by_area.get_by_role("row", name="Maternity")).to_have_text("Maternity0101")
    by_region = rosa.locator("#by-region")
    expect(by_region.get_by_role("row", name="South East")).to_have_text("South East100020")
    expect(by_region.get_by_role("row", name="South West")).to_have_text("South West010001")
    expect(rosa.locator("#fee-totals")).to_have_text("Total£600,000£500,000")
    expect(rosa.locator("#fee-comparison")).to_have_text(
        "Fees asked come to £600,000 a year, £100,000 more than the £500,000 the fee scale would pay for the "
        "same places."
    )
    expect(
        rosa.locator("#first-refusals").get_by_role("row", name="Southampton Example NHS Foundation Trust")
    ).to_contain_text("Maybe")
    assert_accessible(rosa)

    # Closing makes the answers final: Oxford can no longer change its answer.
    rosa.get_by_role("button", name="Close the sounding").click()
    expect(rosa.locator("#sounding-status")).to_have_text("Closed")
    olive.reload()
    expect(olive.get_by_role("button", name="Change your answer")).to_have_count(0)
    expect(olive.get_by_text("answers can no longer change")).to_be_visible()
