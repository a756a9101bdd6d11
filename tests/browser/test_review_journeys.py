"""Both sides complete a review, each signed in as its own executive; the work programme is corrected and a milestone
turned red tells the other trust."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from arrangements import services
from arrangements.models import Arrangement, Review
from arrangements.services import BuddySpec
from buddying.models import Notification
from buddying.tests.factories import ExecutiveFactory, ExpertiseAreaFactory, RegulatorFactory, TrustFactory
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


def fill_date(page, label, day):
    group = page.get_by_role("group", name=label)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


@pytest.fixture
def running():
    """An active arrangement between Sam's trust (supported) and Bea's (lead buddy), with a finance workstream."""
    finance = ExpertiseAreaFactory(slug="finance", name="Finance")
    supported = TrustFactory(ods_code="RS1", name="Struggling Hospitals NHS Trust")
    buddy = TrustFactory(ods_code="RB1", name="Strong Hospitals NHS Foundation Trust", latitude=52.2, longitude=0.12)
    regulator = RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regulator")
    sam = ExecutiveFactory(username="sam", trust=supported, first_name="Sam", last_name="Supported")
    bea = ExecutiveFactory(username="bea", trust=buddy, first_name="Bea", last_name="Buddy")
    today = timezone.localdate()
    arrangement = services.arrangement_propose(
        supported=supported,
        buddies=[BuddySpec(buddy=buddy)],
        title="Finance recovery",
        origin="regulator-suggested",
        tier="targeted",
        planned_start=today,
        planned_end=today + dt.timedelta(days=365),
        by=regulator,
    )
    services.arrangement_agree(arrangement=arrangement, by=regulator)
    terms = services.terms_draft(
        arrangement=arrangement,
        by=sam,
        fields={
            "scope": "Financial controls",
            "supported_commitments": "Director of finance",
            "buddy_commitments": "Deputy director of finance",
            "governance": "Both boards",
            "termination_terms": "A month's notice",
        },
        objectives=[("Agree a deficit plan", "Plan approved", today + dt.timedelta(days=90))],
    )
    services.terms_sign(terms=terms, by=sam)
    services.terms_sign(terms=terms, by=bea)
    workstream = services.workstream_add(
        arrangement=arrangement, by=sam, area=finance, supported_lead="Sam Supported", buddy_lead="Bea", buddy=None
    )
    services.milestone_add(
        workstream=workstream, by=sam, title="Deficit plan to the board", due_date=today + dt.timedelta(days=30)
    )
    services.milestone_add(
        workstream=workstream, by=sam, title="Duplicate entry", due_date=today + dt.timedelta(days=60)
    )
    return Arrangement.objects.get(pk=arrangement.pk)


def submit_review(page, *, ratings, outcome):
    page.get_by_label("Progress against the agreed objectives").fill("Deficit plan drafted")
    page.get_by_label("What each side put in").fill("Four visits and two learning days")
    page.get_by_label("What has been achieved").fill("Board approved the plan")
    questions = ("The relationship", "Value for the time put in", "Cultural fit", "Progress")
    for question, rating in zip(questions, ratings, strict=True):
        label = {1: "1 - poor", 5: "5 - excellent"}.get(rating, str(rating))
        page.get_by_role("group", name=question).get_by_label(label, exact=True).check()
    page.get_by_label(outcome).check()
    page.get_by_role("button", name="Submit your trust's review").click()


def test_both_sides_complete_a_review_each_as_its_own_executive(new_page, running):
    url = running.get_absolute_url()
    due = running.next_review_due
    due_text = f"{due.day} {due:%B %Y}"

    # The supported trust's executive submits first, after forgetting a rating.
    sam = new_page("sam")
    sam.goto(url + "reviews/")
    expect(sam.locator("#review-due")).to_contain_text(f"Review due {due_text}")
    expect(sam.locator("#review-due")).to_contain_text("Not submitted")
    assert_accessible(sam)
    sam.get_by_role("link", name="Submit your trust's review").click()
    expect(sam.get_by_role("heading", level=1)).to_have_text(f"Struggling Hospitals NHS Trust: review due {due_text}")
    assert_accessible(sam)
    sam.get_by_label("What has been achieved").fill("Board approved the plan")
    sam.get_by_role("button", name="Submit your trust's review").click()
    expect(sam.locator(".govuk-error-summary")).to_contain_text("Choose a rating for the relationship")
    expect(sam.locator(".govuk-error-summary")).to_contain_text("Enter the progress against the agreed objectives")
    assert_accessible(sam)
    submit_review(sam, ratings=(4, 4, 5, 3), outcome="Continue as agreed")
    expect(sam.locator(".govuk-notification-banner")).to_contain_text("Your trust's review is submitted")
    rows = sam.locator("#review-due tbody tr")
    expect(rows.filter(has_text="Struggling Hospitals NHS Trust")).to_contain_text("Submitted")
    expect(rows.filter(has_text="Strong Hospitals NHS Foundation Trust")).to_contain_text("Not submitted")
    expect(sam.get_by_role("link", name="Change your trust's review")).to_be_visible()
    assert_accessible(sam)
    running.refresh_from_db()
    assert running.next_review_due == due  # not moved until both sides have submitted

    # The buddy's executive sees that Sam's trust has submitted, but not its answers, and cannot change them.
    bea = new_page("bea")
    bea.goto(url + "reviews/")
    expect(bea.get_by_text("You can read it once the review is complete")).to_be_visible()
    expect(bea.locator("body")).not_to_contain_text("Board approved the plan")
    submission = Review.objects.get().submissions.get()
    response = bea.goto(f"{url}reviews/submissions/{submission.pk}/edit/")
    assert response.status == 404
    bea.goto(url + "reviews/")
    bea.get_by_role("link", name="Submit your trust's review").click()
    submit_review(bea, ratings=(3, 4, 4, 2), outcome="Continue with changes")
    expect(bea.locator(".govuk-notification-banner")).to_contain_text("Your trust's review is submitted")

    # Complete: both sides' answers show, and the next review falls due.
    review_heading = bea.get_by_role("heading", name=f"Review due {due_text}: continue with changes")
    expect(review_heading).to_be_visible()
    expect(bea.locator("body")).to_contain_text("Board approved the plan")
    running.refresh_from_db()
    assert running.next_review_due > due
    expect(bea.locator("#review-due")).to_contain_text(
        f"Review due {running.next_review_due.day} {running.next_review_due:%B %Y}"
    )
    assert_accessible(bea)

    # The regulator reads both and adds a note; the trusts see it.
    rosa = new_page("rosa")
    rosa.goto(url + "reviews/")
    rosa.get_by_role("link", name=re.compile("Add a note")).click()
    expect(rosa.get_by_role("heading", level=1)).to_have_text(f"Note on the review due {due_text}")
    assert_accessible(rosa)
    rosa.get_by_role("button", name="Save the note").click()
    expect(rosa.locator(".govuk-error-summary")).to_contain_text("Enter the note")
    rosa.get_by_label("Note from the regulator").fill("Good progress: keep both boards sighted")
    rosa.get_by_role("button", name="Save the note").click()
    expect(rosa.locator(".govuk-inset-text").first).to_contain_text("Good progress")
    sam.goto(url + "reviews/")
    expect(sam.locator(".govuk-inset-text").first).to_contain_text("Good progress: keep both boards sighted")
    sam.goto(url + "timeline/")
    expect(sam.locator(".moj-timeline")).to_contain_text("Review complete: continue with changes")
    expect(sam.locator(".moj-timeline")).to_contain_text("Review submitted by Struggling Hospitals NHS Trust")


def test_the_work_programme_is_corrected_and_a_milestone_turned_red_tells_the_other_trust(new_page, running):
    url = running.get_absolute_url()
    bea = new_page("bea")
    bea.goto(url + "work/")
    expect(bea.locator("#milestone-" + str(running.workstreams.get().milestones.first().pk))).to_contain_text("Green")
    assert_accessible(bea)

    # The buddy corrects the workstream's lead.
    bea.get_by_role("link", name="Change the Finance workstream").click()
    expect(bea.get_by_role("heading", level=1)).to_have_text("Change the Finance workstream")
    assert_accessible(bea)
    bea.get_by_label("Lead at the buddy trust").fill("Bea Buddy, deputy chief executive")
    bea.get_by_role("button", name="Save changes").click()
    expect(bea.locator(".govuk-notification-banner")).to_contain_text("Workstream changed")
    expect(bea.locator(".govuk-summary-card")).to_contain_text("Bea Buddy, deputy chief executive")

    # A milestone turns red (after a bad date), shown as a red tag.
    bea.get_by_role("link", name="Change Deficit plan to the board").click()
    expect(bea.get_by_role("heading", level=1)).to_have_text("Change a milestone")
    assert_accessible(bea)
    bea.get_by_role("group", name="Due date").get_by_label("Year").fill("20")
    bea.get_by_label("Red").check()
    bea.get_by_role("button", name="Save changes").click()
    expect(bea.locator(".govuk-error-summary")).to_contain_text("The due date must have a year of 4 numbers")
    assert_accessible(bea)
    fill_date(bea, "Due date", timezone.localdate() + dt.timedelta(days=20))
    bea.get_by_label("Red").check()
    bea.get_by_role("button", name="Save changes").click()
    expect(bea.locator(".govuk-notification-banner")).to_contain_text("Milestone changed")
    expect(bea.locator(".govuk-tag--red", has_text="Red")).to_be_visible()
    assert_accessible(bea)

    # A duplicate milestone is removed, after confirming.
    bea.get_by_role("link", name="Remove Duplicate entry").click()
    expect(bea.get_by_role("heading", level=1)).to_have_text("Remove the milestone “Duplicate entry”?")
    assert_accessible(bea)
    bea.get_by_role("button", name="Remove the milestone").click()
    expect(bea.locator(".govuk-notification-banner")).to_contain_text("Milestone removed: Duplicate entry")
    expect(bea.locator(".govuk-summary-card")).not_to_contain_text("Duplicate entry")

    # The supported trust's executive was told the milestone turned red, and sees each change on the timeline.
    assert Notification.objects.filter(recipient__username="sam", subject__startswith="Milestone red").exists()
    sam = new_page("sam")
    sam.goto("/arrangements/notifications/")
    expect(sam.locator("main")).to_contain_text("Milestone red: Deficit plan to the board")
    assert_accessible(sam)
    sam.goto(url + "timeline/")
    timeline = sam.locator(".moj-timeline")
    for title in (
        "Milestone removed: Duplicate entry",
        "Milestone changed: Deficit plan to the board",
        "Workstream changed: Finance",
    ):
        expect(timeline).to_contain_text(title)
    expect(timeline).to_contain_text("by Bea Buddy")
