"""Two trusts run an arrangement in a real browser: terms signed on both sides, work programme, review, ending."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from arrangements import services
from arrangements.services import BuddySpec
from buddying.tests.factories import ExecutiveFactory, ExpertiseAreaFactory, RegulatorFactory, TrustFactory
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


def fill_date(page, label, day, month, year):
    group = page.get_by_role("group", name=label)
    group.get_by_label("Day").fill(str(day))
    group.get_by_label("Month").fill(str(month))
    group.get_by_label("Year").fill(str(year))


def expect_error(page, message, field):
    """The error summary shows `message`, and the `field` (a locator) is marked as the one in error."""
    expect(page.locator(".govuk-error-summary")).to_contain_text(message)
    group = field.locator("xpath=ancestor-or-self::*[contains(@class, 'govuk-form-group--error')]").last
    expect(group).to_contain_text(message)


def test_an_arrangement_from_terms_to_ending_shows_on_the_timeline(new_page):
    ExpertiseAreaFactory(slug="finance", name="Finance")
    supported = TrustFactory(ods_code="RS1", name="Struggling Hospitals NHS Trust")
    buddy = TrustFactory(ods_code="RB1", name="Strong Hospitals NHS Foundation Trust", latitude=52.2, longitude=0.12)
    regulator = RegulatorFactory(username="rosa")
    ExecutiveFactory(username="sam", trust=supported, first_name="Sam", last_name="Supported")
    ExecutiveFactory(username="bea", trust=buddy, first_name="Bea", last_name="Buddy")
    arrangement = services.arrangement_propose(
        supported=supported,
        buddies=[BuddySpec(buddy=buddy)],
        title="Finance recovery",
        origin="regulator-suggested",
        tier="targeted",
        planned_start=dt.date(2026, 12, 1),
        planned_end=dt.date(2027, 11, 30),
        by=regulator,
    )
    services.arrangement_agree(arrangement=arrangement, by=regulator)
    url = arrangement.get_absolute_url()

    # The supported trust drafts the terms of reference (an error first, then complete) and signs.
    sam = new_page("sam")
    sam.goto(url + "terms/")
    assert_accessible(sam)
    sam.get_by_role("link", name="Draft terms of reference").click()
    sam.get_by_label("Objective 1", exact=True).fill("Agree a deficit recovery plan")
    sam.get_by_label("Scope", exact=True).fill("Financial controls and the cost improvement programme")
    sam.get_by_role("button", name="Save this version").click()
    expect(sam.locator(".govuk-error-summary")).to_contain_text("Say how you will know objective 1 is met")
    assert_accessible(sam)
    sam.get_by_label("Measurable output for objective 1").fill("Plan approved by the board")
    fill_date(sam, "Target date for objective 1", 31, 3, 2027)
    sam.get_by_label("what the supported trust commits").fill("Director of finance, 2 days a month")
    sam.get_by_label("what the buddy commits").fill("Deputy director of finance, 2 days a month")
    sam.get_by_label("Governance and who it reports to").fill("Both boards' finance committees")
    sam.get_by_label("How either party may end the arrangement").fill("Either party, with a month's notice")
    sam.get_by_role("button", name="Save this version").click()
    expect(sam.locator(".govuk-notification-banner")).to_contain_text("Terms of reference saved")
    sam.get_by_role("button", name="Sign version 1 for your side").click()
    expect(sam.locator("#signatures")).to_contain_text("Signed Struggling Hospitals NHS Trust")
    assert_accessible(sam)

    # The buddy signs: the arrangement becomes active.
    bea = new_page("bea")
    bea.goto(url + "terms/")
    bea.get_by_role("button", name="Sign version 1 for your side").click()
    expect(bea.locator("h1 .govuk-tag")).to_have_text("Active")

    # A workstream and a milestone, each after a form error.
    bea.goto(url + "work/")
    bea.get_by_role("link", name="Add a workstream").click()
    assert_accessible(bea)
    bea.get_by_label("Expertise area").select_option(label="Finance")
    bea.get_by_role("button", name="Add workstream").click()
    expect_error(
        bea, "Enter who leads the workstream at the supported trust", bea.get_by_label("Lead at the supported trust")
    )
    assert_accessible(bea)
    bea.get_by_label("Lead at the supported trust").fill("Sam Supported")
    bea.get_by_label("Lead at the buddy trust").fill("Bea Buddy")
    bea.get_by_role("button", name="Add workstream").click()
    bea.get_by_role("link", name="Add a milestone to Finance").click()
    assert_accessible(bea)
    bea.get_by_label("Milestone").fill("Deficit plan to the board")
    bea.get_by_role("button", name="Add milestone").click()
    expect_error(bea, "Enter the due date", bea.get_by_role("group", name="Due date"))
    assert_accessible(bea)
    fill_date(bea, "Due date", 28, 2, 2027)
    bea.get_by_role("button", name="Add milestone").click()
    expect(bea.get_by_role("cell", name="Deficit plan to the board", exact=True)).to_be_visible()
    assert_accessible(bea)

    # The supported trust submits its side of the quarterly review: the ratings are forgotten first.
    sam.goto(url + "reviews/")
    sam.get_by_role("link", name="Submit your trust's review").click()
    expect(sam.get_by_role("heading", level=1)).to_contain_text("Struggling Hospitals NHS Trust: review due")
    assert_accessible(sam)
    sam.get_by_label("Progress against the agreed objectives").fill("Deficit plan drafted")
    sam.get_by_label("What each side put in").fill("Four visits and two learning days")
    sam.get_by_label("What has been achieved").fill("Board approved the plan")
    sam.get_by_label("Continue with changes").check()
    sam.get_by_role("button", name="Submit your trust's review").click()
    expect_error(
        sam,
        "Choose a rating for the relationship",
        sam.get_by_role("group", name="Struggling Hospitals NHS Trust rates the arrangement").get_by_role(
            "group", name="The relationship"
        ),
    )
    assert_accessible(sam)
    group = sam.get_by_role("group", name="Struggling Hospitals NHS Trust rates the arrangement")
    for question in ("The relationship", "Value for the time put in", "Cultural fit", "Progress"):
        group.get_by_role("group", name=question).get_by_label("4", exact=True).check()
    sam.get_by_role("button", name="Submit your trust's review").click()
    expect(sam.locator(".govuk-notification-banner")).to_contain_text("Your trust's review is submitted")
    assert_accessible(sam)

    # The buddy ends it: not working, with reasons and handover notes.
    bea.goto(url)
    bea.get_by_role("link", name="End the arrangement").click()
    assert_accessible(bea)
    bea.get_by_label("Poor cultural fit").check()
    bea.get_by_role("button", name="End the arrangement").click()
    expect_error(bea, "Enter handover notes", bea.get_by_label("Handover notes"))
    assert_accessible(bea)
    bea.get_by_label("Poor cultural fit").check()
    bea.get_by_label("More about why").fill("Our values differ more than we thought")
    bea.get_by_label("Handover notes").fill("The deficit plan passes to the ICB finance team")
    bea.get_by_role("button", name="End the arrangement").click()
    expect(bea.locator("h1 .govuk-tag")).to_have_text("Ended early")
    # An ended arrangement has no next review, and does not say its dates are still to be set.
    expect(bea.locator("main")).not_to_contain_text("Next review due")
    expect(bea.locator("main")).not_to_contain_text("becomes active")

    bea.goto(url + "timeline/")
    timeline = bea.locator(".moj-timeline")
    for title in (
        "Arrangement ended",
        "Review submitted by Struggling Hospitals NHS Trust",
        "Milestone added: Deficit plan to the board",
        "Workstream added: Finance",
        "Arrangement active",
        "Terms of reference version 1 drafted",
        "Arrangement agreed",
        "Arrangement proposed",
    ):
        expect(timeline).to_contain_text(title)
    expect(timeline).to_contain_text("by Bea Buddy")
    assert_accessible(bea)
