"""Call-offs the regulator controls, in a real browser: a buddy who never answers, an answer given by phone, sending
twice, and agreeing a proposal with each buddy's fit and capacity in front."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from arrangements import services
from arrangements.models import CallOff
from arrangements.services import BuddySpec
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory
from matching.models import BuddyCapacity
from tests.browser.conftest import assert_accessible
from tests.browser.pools import make_live_with_finance_members, open_framework

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_pool(registry, areas):
    """A live framework: Oxford, Southampton and Newcastle accredited, all offering finance."""
    regulator = RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan")
    members = [registry[key] for key in ("oxford", "southampton", "newcastle")]
    framework = open_framework(areas=areas, by=regulator)
    return make_live_with_finance_members(framework, members, areas=areas, by=regulator, max_travel_minutes=600)


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


def test_from_special_measures_to_invitations_sent_takes_five_actions(new_page, registry, live_pool):
    """A trust has just gone into special measures (recorded with its needs): from the home page, the regulator
    reaches "Invitations sent" in five actions, each counted here, with every default shown and editable. The
    closing note of issue 10 reports this count (it was 23)."""
    ExecutiveFactory(username="sam", trust=registry["supported"])
    rosa = new_page("rosa")
    actions: list[str] = []

    def act(what: str, locator) -> None:
        actions.append(what)
        locator.click()

    act("open the worklist item", rosa.get_by_role("link", name="Trusts in special measures or recovery with no buddy"))
    act("open the trust", rosa.get_by_role("link", name="Southbank Hospitals NHS Trust"))
    act("choose Find a buddy", rosa.get_by_role("link", name="Find a buddy"))
    # The only live framework, what the support is for and the multi-year tier are filled in from the trust.
    expect(rosa.get_by_label("Trust to support")).to_have_value(str(registry["supported"].pk))
    expect(rosa.get_by_label("Framework")).to_have_value(str(live_pool.pk))
    expect(rosa.get_by_label("What the support is for")).to_have_value("Support out of special measures")
    expect(rosa.get_by_label("Multi-year superbuddy support")).to_be_checked()
    assert_accessible(rosa)
    act("find pool candidates", rosa.get_by_role("button", name="Find pool candidates"))
    # The suggested team is ticked already, each candidate with its fit and free capacity.
    expect(rosa.locator("#candidates .app-candidate")).to_have_count(3)
    expect(rosa.locator("#candidates input[name=invite]:checked")).not_to_have_count(0)
    act("send invitations", rosa.get_by_role("button", name="Send invitations"))
    expect(rosa.locator(".govuk-notification-banner")).to_contain_text("Invitations sent")
    assert_accessible(rosa)

    assert actions == [
        "open the worklist item",
        "open the trust",
        "choose Find a buddy",
        "find pool candidates",
        "send invitations",
    ]
    call_off = CallOff.objects.get()
    assert (call_off.supported, call_off.framework, call_off.tier) == (registry["supported"], live_pool, "superbuddy")
    assert call_off.invitations.exists()
