"""Call-offs the regulator controls, in a real browser: a buddy who never answers, an answer given by phone, sending
twice, and agreeing a proposal with each buddy's fit and capacity in front."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from arrangements import services
from arrangements.models import CallOff
from arrangements.services import BuddySpec
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory
from matching import services as pool
from matching.models import BuddyCapacity
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_pool(registry, areas):
    """A live framework: Oxford, Southampton and Newcastle accredited, all offering finance."""
    regulator = RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan")
    framework = pool.framework_create(
        by=regulator,
        name="Superbuddy framework 2027",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[areas["finance"], areas["maternity"]],
        fees={"superbuddy": Decimal(250_000)},
    )
    framework = pool.framework_advance(framework=framework, by=regulator)
    for key in ("oxford", "southampton", "newcastle"):
        application = pool.pool_application_submit(
            framework=framework,
            trust=registry[key],
            by=regulator,
            route="nominated",
            max_concurrent_arrangements=2,
            senior_staff_days_per_month=Decimal(6),
            max_travel_minutes=600,
            incentive="no-fee",
            services=[],
            offered=[(areas["finance"], 4, "Strong finance")],
        )
        pool.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 12, 31))
    pool.framework_advance(framework=framework, by=regulator)
    return pool.framework_advance(framework=framework, by=regulator)  # live


def start_call_off(rosa, *, invite):
    """Rosa finds the pool candidates for Southbank and ticks exactly `invite`."""
    rosa.goto("/arrangements/call-offs/new/")
    rosa.get_by_label("Trust to support").select_option(label="Southbank Hospitals NHS Trust (RS9)")
    rosa.get_by_label("Framework").select_option(label="Superbuddy framework 2027 (live)")
    rosa.get_by_label("What the support is for").fill("Finance recovery")
    rosa.get_by_label("Multi-year superbuddy support").check()
    rosa.get_by_role("button", name="Find pool candidates").click()
    expect(rosa.locator("#candidates .app-candidate")).to_have_count(3)
    for name in (
        "Oxford Example NHS Foundation Trust",
        "Southampton Example NHS Foundation Trust",
        "Newcastle Example NHS Foundation Trust",
    ):
        box = rosa.get_by_label(name, exact=True)
        box.check() if name in invite else box.uncheck()


def test_one_invitee_never_answers_and_the_regulator_goes_ahead_with_those_who_said_yes(new_page, registry, live_pool):
    ExecutiveFactory(username="sam", trust=registry["supported"])
    ExecutiveFactory(username="otto", trust=registry["oxford"])
    ExecutiveFactory(username="sue", trust=registry["southampton"])

    rosa = new_page("rosa")
    start_call_off(rosa, invite={"Oxford Example NHS Foundation Trust", "Southampton Example NHS Foundation Trust"})
    # Every eligible member is shown with its fit and capacity; Newcastle has no one to answer for it.
    newcastle = rosa.locator('.app-candidate[data-ods-code="RX3"]')
    expect(newcastle).to_contain_text("Free capacity: 2 of 2 places free, 6 of 6 senior staff days a month free")
    expect(newcastle).to_contain_text("No registered executive An invitation will wait until someone from")
    expect(rosa.locator('.app-candidate[data-ods-code="RX1"]')).to_contain_text("Score")
    assert_accessible(rosa)
    group = rosa.get_by_role("group", name="Reply by (optional)")
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("12")
    group.get_by_label("Year").fill("2099")
    rosa.get_by_role("button", name="Send invitations").click()
    expect(rosa.locator(".govuk-notification-banner")).to_contain_text("Invitations sent")
    expect(rosa.locator("#reply-by")).to_contain_text("31 December 2099")
    call_off_url = rosa.url
    assert_accessible(rosa)

    # The trust and Oxford say yes; Southampton never answers.
    for username in ("sam", "otto"):
        executive = new_page(username)
        executive.goto(call_off_url)
        executive.get_by_label("Accept").check()
        executive.get_by_role("button", name="Send answer").click()
        expect(executive.locator(".govuk-notification-banner")).to_contain_text("Answer sent")

    # Rosa chases Southampton, then goes ahead without it.
    rosa.reload()
    rosa.get_by_role("button", name="Chase Southampton Example NHS Foundation Trust").click()
    expect(rosa.locator(".govuk-notification-banner")).to_contain_text(
        "Southampton Example NHS Foundation Trust chased: 1 person told"
    )
    expect(rosa.locator("#history")).to_contain_text("Southampton Example NHS Foundation Trust chased")
    rosa.get_by_role("link", name="Go ahead with those who said yes").click()
    expect(rosa.locator("#withdrawn")).to_have_text("Southampton Example NHS Foundation Trust")
    expect(rosa.locator("#going-ahead")).to_have_text("Oxford Example NHS Foundation Trust")
    assert_accessible(rosa)
    rosa.get_by_role("button", name="Go ahead").click()
    expect(rosa.locator("#call-off-status")).to_have_text("Agreed: arrangement proposed")
    expect(rosa.locator("#invitations").get_by_role("row", name="Southampton")).to_contain_text("Withdrawn")
    assert_accessible(rosa)

    # Southampton is told its invitation was withdrawn.
    sue = new_page("sue")
    sue.goto("/arrangements/notifications/")
    expect(
        sue.get_by_role("link", name="Invitation withdrawn: buddying for Southbank Hospitals NHS Trust")
    ).to_be_visible()


def test_the_regulator_records_an_answer_given_by_phone_for_a_trust_with_no_user(new_page, registry, live_pool):
    ExecutiveFactory(username="sam", trust=registry["supported"])
    rosa = new_page("rosa")
    start_call_off(rosa, invite={"Newcastle Example NHS Foundation Trust"})
    rosa.get_by_role("button", name="Send invitations").click()
    expect(rosa.locator(".govuk-warning-text").first).to_contain_text(
        "Newcastle Example NHS Foundation Trust has no registered executive: its answer waits"
    )
    rosa.get_by_role("link", name="Record an answer given by phone for Newcastle Example NHS Foundation Trust").click()
    assert_accessible(rosa)
    rosa.get_by_label("Declined", exact=True).check()
    rosa.get_by_role("button", name="Record the answer").click()
    summary = rosa.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter the reason the trust gave for declining")
    expect(summary).to_contain_text("Enter a note of the call: who gave the answer, and when")
    assert_accessible(rosa)
    rosa.get_by_label("Accepted", exact=True).check()
    rosa.get_by_label("Note of the call").fill("<script>alert('x')</script> Dr N Castle, chief executive, 10am")
    rosa.get_by_role("button", name="Record the answer").click()
    row = rosa.locator("#invitations").get_by_role("row", name="Newcastle")
    expect(row).to_contain_text("Accepted")
    expect(row).to_contain_text(
        "Given by phone, recorded by Rosa Regan: <script>alert('x')</script> Dr N Castle, chief executive, 10am"
    )
    expect(rosa.locator("#history")).to_contain_text(
        "Answer given by phone recorded for Newcastle Example NHS Foundation Trust"
    )
    assert_accessible(rosa)


def test_sending_the_invitations_twice_creates_one_call_off(new_page, registry, live_pool):
    rosa = new_page("rosa")
    start_call_off(rosa, invite={"Oxford Example NHS Foundation Trust"})
    rosa.get_by_role("button", name="Send invitations").click()
    expect(rosa.locator(".govuk-notification-banner")).to_contain_text("Invitations sent")
    first_url = rosa.url
    # The back button and "Send invitations" again: the browser posts the same form a second time.
    rosa.go_back()
    rosa.get_by_label("Oxford Example NHS Foundation Trust", exact=True).check()
    rosa.get_by_role("button", name="Send invitations").click()
    expect(rosa.locator(".govuk-notification-banner")).to_contain_text(
        "already waiting for answers, so no new one was started"
    )
    assert rosa.url == first_url
    assert CallOff.objects.count() == 1
    assert_accessible(rosa)


def test_the_agree_page_shows_each_buddys_fit_and_refuses_a_full_buddy_without_an_override(new_page, registry):
    rosa_user = RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan")
    sam = ExecutiveFactory(username="sam", trust=registry["supported"])
    arrangement = services.arrangement_propose(
        supported=registry["supported"],
        buddies=[BuddySpec(buddy=registry["oxford"]), BuddySpec(buddy=registry["southampton"], role="issue-specific")],
        title="Finance and maternity",
        origin="self-proposed",
        tier="targeted",
        planned_start=dt.date(2027, 1, 4),
        planned_end=dt.date(2027, 12, 31),
        by=sam,
    )
    BuddyCapacity.objects.filter(trust=registry["southampton"]).update(
        max_concurrent_arrangements=1, active_arrangements=1
    )
    assert rosa_user.pk

    rosa = new_page("rosa")
    rosa.goto(arrangement.get_absolute_url())
    expect(rosa.locator("#activation")).to_contain_text(
        "Southampton Example NHS Foundation Trust has no registered executive"
    )
    rosa.get_by_role("link", name="Agree", exact=True).click()
    oxford = rosa.locator('.app-candidate[data-ods-code="RX1"]')
    expect(oxford).to_contain_text("Score")
    expect(oxford).to_contain_text("km, about")
    expect(oxford).to_contain_text("Free capacity: 2 of 2 places free")
    southampton = rosa.locator('.app-candidate[data-ods-code="RX2"]')
    expect(southampton).to_contain_text("No free capacity")
    expect(rosa.locator("#no-capacity")).to_contain_text(
        "Southampton Example NHS Foundation Trust has no free capacity"
    )
    assert_accessible(rosa)

    rosa.get_by_role("button", name="Agree").click()
    expect(rosa.locator(".govuk-error-summary")).to_contain_text(
        "Southampton Example NHS Foundation Trust has no free capacity: agree only with an override and a reason"
    )
    assert_accessible(rosa)
    rosa.get_by_label("Agree anyway, although Southampton Example NHS Foundation Trust has no free capacity").check()
    rosa.get_by_role("button", name="Agree").click()
    expect(rosa.locator(".govuk-error-summary")).to_contain_text(
        "Enter why you agree although the buddy has no free capacity"
    )
    rosa.get_by_label("Why agree although the buddy has no free capacity?").fill(
        "Its maternity lead is freed up next month"
    )
    rosa.get_by_role("button", name="Agree").click()
    expect(rosa.locator("h1 .govuk-tag")).to_have_text("Agreed")
    expect(rosa.locator("#activation")).to_contain_text("No terms of reference have been drafted yet")
    rosa.goto(arrangement.get_absolute_url() + "timeline/")
    expect(rosa.locator(".moj-timeline")).to_contain_text("Its maternity lead is freed up next month")
