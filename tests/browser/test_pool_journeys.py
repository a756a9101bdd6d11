"""The superbuddy pool in a real browser: apply and accredit; call off a team; self-propose with a fit check."""

import pytest
from playwright.sync_api import expect

from buddying.models import Trust
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory
from tests.browser.conftest import assert_accessible
from tests.browser.pools import make_live_with_finance_members, open_framework

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def framework(registry, areas):
    return open_framework(areas=areas, by=RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan"))


@pytest.fixture
def live_pool(registry, framework, areas):
    """Oxford and Southampton accredited, both offering finance only (not maternity), and the framework live."""
    regulator = RegulatorFactory._meta.model.objects.get(username="rosa")
    members = [registry["oxford"], registry["southampton"]]
    return make_live_with_finance_members(framework, members, areas=areas, by=regulator, max_travel_minutes=180)


def test_an_executive_applies_and_a_regulator_accredits(new_page, registry, framework):
    ExecutiveFactory(username="olive", trust=registry["oxford"])
    olive = new_page("olive")
    olive.get_by_role("link", name="Superbuddy pool").click()
    olive.get_by_role("link", name="Superbuddy framework 2027").click()
    assert_accessible(olive)
    olive.get_by_role("link", name="Apply to join the pool").click()
    finance = olive.get_by_role("group", name="Finance")
    finance.get_by_label("Strength").select_option("5")
    olive.get_by_label("Most trusts you could support at once").fill("2")
    olive.get_by_label("Senior staff days a month you can give").fill("-3")
    olive.get_by_label("Furthest travel you will accept").fill("180")
    olive.get_by_label("Willing without a fee").check()
    olive.get_by_role("button", name="Apply to join the pool").click()
    expect(olive.locator(".govuk-error-summary")).to_contain_text("Give evidence for your strength in finance")
    expect(olive.locator(".govuk-error-summary")).to_contain_text(
        "senior staff days a month you can give must be 0 or more"
    )
    assert_accessible(olive)
    olive.get_by_role("group", name="Finance").get_by_label("Evidence").fill(
        "Surplus for five years; top decile cost per case"
    )
    olive.get_by_label("Senior staff days a month you can give").fill("6")
    olive.get_by_role("button", name="Apply to join the pool").click()
    expect(olive.locator("#application-status")).to_have_text("Waiting for a decision")
    application_url = olive.url

    rosa = new_page("rosa")
    rosa.goto(application_url)
    assert_accessible(rosa)
    rosa.get_by_role("link", name="Accredit").click()
    group = rosa.get_by_role("group", name="Accredited until")
    group.get_by_label("Day").fill("31")
    group.get_by_label("Month").fill("12")
    group.get_by_label("Year").fill("2028")
    rosa.get_by_role("button", name="Accredit").click()
    expect(rosa.locator("#application-status")).to_have_text("Accredited")
    # The framework is only open for applications: accredited, but not yet in matching, and the page says so.
    expect(rosa.locator("#application-matching")).to_have_text(
        "In the pool; joins matching when Superbuddy framework 2027 goes live"
    )
    expect(rosa.locator(".moj-timeline")).to_contain_text("by Rosa Regan")
    assert_accessible(rosa)


def test_a_regulator_calls_off_a_team_of_two_and_the_proposed_arrangement_shows_both_buddies(
    new_page, registry, live_pool
):
    ExecutiveFactory(username="sue", trust=registry["southampton"])
    ExecutiveFactory(username="otto", trust=registry["oxford"])
    ExecutiveFactory(username="sam", trust=registry["supported"])

    rosa = new_page("rosa")
    rosa.goto("/arrangements/call-offs/new/")
    assert_accessible(rosa)
    rosa.get_by_label("Trust to support").select_option(label="Southbank Hospitals NHS Trust (RS9)")
    rosa.get_by_label("Framework").select_option(label="Superbuddy framework 2027 (live)")
    rosa.get_by_label("What the support is for").fill("Finance and maternity recovery")
    rosa.get_by_label("Multi-year superbuddy support").check()
    rosa.get_by_role("button", name="Find pool candidates").click()
    expect(rosa.get_by_label("Southampton Example NHS Foundation Trust")).to_be_checked()
    assert_accessible(rosa)
    # Invite a team of two: both accredited members.
    rosa.get_by_label("Oxford Example NHS Foundation Trust").check()
    rosa.get_by_label("Southampton Example NHS Foundation Trust").check()
    rosa.get_by_role("button", name="Send invitations").click()
    invitations = rosa.locator("#invitations")
    for name in ("Southampton Example NHS Foundation Trust", "Oxford Example NHS Foundation Trust"):
        expect(invitations.get_by_role("row", name=name)).to_contain_text("Waiting for an answer")
    expect(invitations.locator("tbody tr")).to_have_count(3)  # the trust itself and the two buddies
    assert_accessible(rosa)
    call_off_url = rosa.url

    # Each invited executive finds the invitation and accepts it.
    for username, trust in (
        ("sue", "Southampton Example NHS Foundation Trust"),
        ("otto", "Oxford Example NHS Foundation Trust"),
    ):
        executive = new_page(username)
        executive.goto("/arrangements/notifications/")
        invitation = executive.get_by_role("link", name="Invitation to buddy Southbank Hospitals NHS Trust")
        expect(invitation).to_be_visible()
        invitation.click()
        assert_accessible(executive)
        executive.get_by_label("Accept").check()
        executive.get_by_role("button", name="Send answer").click()
        expect(executive.locator("#invitations").get_by_role("row", name=trust)).to_contain_text("Accepted")
    # Both buddies said yes, but the challenged trust has not: nothing is proposed yet.
    expect(executive.locator("#call-off-status")).not_to_have_text("Agreed: arrangement proposed")

    # The challenged trust's executive accepts the team: the arrangement is proposed with both buddies.
    sam = new_page("sam")
    sam.goto(call_off_url)
    assert_accessible(sam)
    sam.get_by_label("Accept").check()
    sam.get_by_role("button", name="Send answer").click()
    expect(sam.locator("#call-off-status")).to_have_text("Agreed: arrangement proposed")
    sam.get_by_role("link", name="the arrangement is proposed").click()
    expect(sam.locator("h1 .govuk-tag")).to_have_text("Proposed")
    buddies = sam.locator(".govuk-summary-list__row", has=sam.locator("dt", has_text="Buddies")).locator("li")
    expect(buddies).to_have_count(2)
    expect(buddies.filter(has_text="Southampton Example NHS Foundation Trust")).to_have_count(1)
    expect(buddies.filter(has_text="Oxford Example NHS Foundation Trust")).to_have_count(1)
    expect(buddies.filter(has_text="lead buddy")).to_have_count(1)
    expect(buddies.filter(has_text="issue-specific buddy")).to_have_count(1)
    assert_accessible(sam)


def test_the_pool_page_shows_coverage_with_a_gap_the_member_matrix_and_the_map(new_page, live_pool):
    rosa = new_page("rosa")
    rosa.goto(f"/matching/frameworks/{live_pool.pk}/")
    rosa.get_by_role("link", name="See the pool's coverage").click()
    expect(rosa.get_by_role("heading", name="The pool's coverage")).to_be_visible()
    expect(rosa.locator("#member-count")).to_have_text("2 accredited members")
    # Nobody offers maternity: a gap, highlighted; finance is covered by both.
    coverage = rosa.locator("#coverage")
    expect(coverage.get_by_role("row", name="Maternity")).to_contain_text("Gap")
    expect(coverage.get_by_role("row", name="Maternity").locator(".govuk-tag--red")).to_have_text("Gap")
    expect(coverage.get_by_role("row", name="Finance")).to_contain_text("Covered")
    matrix = rosa.locator("#matrix")
    expect(matrix.locator("tbody tr")).to_have_count(2)
    expect(matrix.get_by_role("row", name="Oxford Example NHS Foundation Trust")).to_contain_text("4")
    expect(rosa.locator("#pool-map")).to_have_attribute("data-markers-drawn", "2")
    expect(rosa.locator("#pool-map path.leaflet-interactive")).to_have_count(2)
    assert_accessible(rosa)


def test_an_executive_self_proposes_and_sees_a_competition_warning_for_a_neighbour(new_page, registry, areas):
    ExecutiveFactory(username="sam", trust=registry["supported"])
    sam = new_page("sam")
    sam.goto("/arrangements/new/")
    assert_accessible(sam)
    sam.get_by_label("What the arrangement is for").fill("Finance peer support")
    sam.get_by_label("Lead buddy").select_option(label="Next Door Hospitals NHS Trust (RN1)")
    sam.get_by_label("Light-touch mentoring").check()
    for label, (day, month, year) in (("Planned start", (1, 2, 2027)), ("Planned end", (31, 7, 2027))):
        group = sam.get_by_role("group", name=label)
        group.get_by_label("Day").fill(str(day))
        group.get_by_label("Month").fill(str(month))
        group.get_by_label("Year").fill(str(year))
    sam.get_by_role("button", name="Check fit").click()
    check = sam.locator(".app-candidate", has_text="Next Door Hospitals NHS Trust")
    expect(check).to_contain_text("Too near: a neighbour or potential competitor")
    expect(check).to_contain_text("Not an accredited member of the superbuddy pool")
    assert_accessible(sam)
    sam.get_by_role("button", name="Submit for regulator agreement").click()
    expect(sam.locator(".govuk-notification-banner")).to_contain_text("Proposal submitted for regulator agreement")
    expect(sam.get_by_text("Outside the pool")).to_be_visible()
    assert Trust.objects.get(ods_code="RS9").supported_arrangements.get().status == "proposed"
