"""A regulator explores buddies for a trust in special measures and builds a team, in a real browser."""

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from buddying.models import CultureProfile
from buddying.tests.factories import ImprovementNeedFactory, RegulatorFactory, TrustFactory
from matching import services
from matching.tests.factories import BuddyCapacityFactory
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def ranked_codes(page):
    return page.locator(".app-candidate").evaluate_all("nodes => nodes.map(n => n.dataset.odsCode)")


def criterion_row(page, ods_code, criterion):
    """A candidate's row for one criterion in "Why: the score criterion by criterion", opened as a user would."""
    candidate = page.locator(f'.app-candidate[data-ods-code="{ods_code}"]')
    details = candidate.locator("details")
    if details.get_attribute("open") is None:
        candidate.get_by_text("Why: the score criterion by criterion").click()
    row = candidate.locator("tbody tr").filter(has=page.locator("th", has_text=criterion))
    expect(row).to_be_visible()
    return row


def adds_and_reason(row):
    """What the criterion adds to the score (out of 100), and its reason, as shown."""
    cells = row.locator("td")
    return cells.nth(1).inner_text().strip(), cells.nth(2).inner_text().strip()


def test_changing_a_weight_changes_the_ranking_and_the_reasons(page, registry):
    RegulatorFactory(username="rosa")
    sign_in(page, "rosa")
    page.get_by_role("link", name="Matching").click()
    assert_accessible(page)
    page.get_by_role("link", name="Southbank Hospitals NHS Trust").click()
    assert_accessible(page)

    page.get_by_role("button", name="Run shortlist").click()
    expect(page.get_by_role("heading", name="Best candidates")).to_be_visible()
    first = ranked_codes(page)
    assert set(first) == {"RX1", "RX2", "RX3"}
    # The neighbour is left out as a competitor, and the map shows every candidate.
    page.get_by_text("Why each of these trusts was left out").click()
    expect(page.get_by_role("row", name="Next Door Hospitals NHS Trust")).to_contain_text(
        "Too near: a neighbour or potential competitor"
    )
    expect(page.locator("#candidate-map path.leaflet-interactive")).to_have_count(5)
    weights_before = page.get_by_text("Weights:").inner_text()
    oxford_geography_before = adds_and_reason(criterion_row(page, "RX1", "Geography"))
    assert_accessible(page)

    # Travel matters most now: Oxford, the nearest in the ideal band, comes first.
    first_url = page.url
    page.get_by_label("Geography").fill("300")
    page.get_by_role("button", name="Run shortlist").click()
    expect(page).not_to_have_url(first_url)
    expect(page.get_by_role("heading", name="Best candidates")).to_be_visible()
    second = ranked_codes(page)
    assert second[0] == "RX1"
    assert second != first
    # The explanation follows the weight: geography now adds more to Oxford's score, and the weights say so.
    geography = criterion_row(page, "RX1", "Geography")
    expect(geography).to_contain_text("within the ideal 120 minutes")
    adds_after, reason_after = adds_and_reason(geography)
    adds_before, reason_before = oxford_geography_before
    assert int(adds_after) > int(adds_before), (adds_before, adds_after)
    assert reason_after == reason_before  # the same journey: only its weight changed
    expect(page.get_by_text("Weights:")).not_to_have_text(weights_before)
    assert_accessible(page)


def test_a_team_covers_each_need_with_the_buddy_best_at_it(page, registry):
    RegulatorFactory(username="rosa")
    sign_in(page, "rosa")
    page.goto("/matching/trusts/RS9/")
    page.get_by_label("Most buddies in a team").fill("2")
    page.get_by_role("button", name="Build a team").click()
    expect(page.get_by_role("heading", name="Team of up to 2 buddies")).to_be_visible()
    row = page.locator("tr", has_text="Southampton Example NHS Foundation Trust")
    expect(row).to_contain_text("Maternity")
    # Every member shows its journey and travel band.
    expect(row).to_contain_text("111 km, about 144 minutes by road")
    expect(row.locator(".govuk-tag")).to_have_text("Beyond the ideal travel time")
    expect(page.locator("#team-gap")).to_be_visible()
    assert_accessible(page)


def test_a_wave_runs_in_the_background_and_shows_its_results(page, registry, celery_worker):
    RegulatorFactory(username="rosa")
    sign_in(page, "rosa")
    page.goto("/matching/wave/")
    assert_accessible(page)
    expect(page.get_by_label("Southbank Hospitals NHS Trust (special measures)")).to_be_checked()
    page.get_by_role("button", name="Allocate buddies").click()
    expect(page.locator("#wave-results")).to_be_visible(timeout=30_000)
    expect(page.locator("#wave-results")).to_contain_text("Southbank Hospitals NHS Trust")
    expect(page.locator("#wave-map path.leaflet-interactive")).not_to_have_count(0)
    assert_accessible(page)


def test_a_shortlist_says_what_is_not_known_and_which_eligible_trusts_cannot_help(page, registry):
    CultureProfile.objects.filter(trust__ods_code__in=["RS9", "RX1"]).delete()
    BuddyCapacityFactory(
        trust=TrustFactory(ods_code="RX4", name="Birmingham Example NHS Trust", latitude=52.48, longitude=-1.89)
    )
    RegulatorFactory(username="rosa")
    sign_in(page, "rosa")
    page.goto("/matching/trusts/RS9/")
    page.get_by_role("button", name="Run shortlist").click()
    expect(page.get_by_role("heading", name="Best candidates")).to_be_visible()

    # Said once, at the top: the supported trust has no staff survey profile.
    expect(page.locator("#run-warnings")).to_contain_text("Southbank Hospitals NHS Trust has no staff survey profile")
    expect(page.get_by_text("is not known for any candidate")).to_have_count(1)
    # Oxford's profile is incomplete, and its cultural fit is "Not known", not a score.
    oxford = page.locator('.app-candidate[data-ods-code="RX1"]')
    expect(oxford).to_contain_text("Profile 4 of 5 known: no staff survey profile")
    expect(oxford.locator(".app-travel")).to_contain_text("Within the ideal travel time 84 km, about 109 minutes")
    cultural_fit = criterion_row(page, "RX1", "Cultural fit")
    expect(cultural_fit.locator(".govuk-tag--grey")).to_have_text("Not known")
    expect(cultural_fit.locator(".app-score")).to_have_count(0)
    # Birmingham could be a buddy but covers none of the needs: listed apart, never ranked.
    assert "RX4" not in ranked_codes(page)
    expect(page.get_by_role("heading", name="Eligible, but covers none of the needs (1)")).to_be_visible()
    page.get_by_text("Which trusts, and why none of them is recommended").click()
    page.get_by_role("link", name="Birmingham Example NHS Trust").click()
    expect(page).to_have_url("/trusts/RX4/")
    page.go_back()
    expect(page.get_by_role("heading", name="Best candidates")).to_be_visible()
    assert_accessible(page)


def test_a_pool_only_wave_gives_only_pool_members_and_says_who_is_left_without(page, registry, areas, celery_worker):
    regulator = RegulatorFactory(username="rosa")
    framework = services.framework_create(
        by=regulator,
        name="Superbuddy framework 2027",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[areas["finance"]],
        fees={"superbuddy": Decimal(250_000)},
    )
    framework = services.framework_advance(framework=framework, by=regulator)  # open for applications
    application = services.pool_application_submit(
        framework=framework,
        trust=registry["newcastle"],
        by=regulator,
        route="nominated",
        max_concurrent_arrangements=1,
        senior_staff_days_per_month=Decimal(6),
        max_travel_minutes=600,
        incentive="no-fee",
        services=[],
        offered=[(areas["finance"], 5, "Strong finance")],
    )
    services.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 12, 31))
    services.framework_advance(framework=framework, by=regulator)
    services.framework_advance(framework=framework, by=regulator)  # live
    # A second trust in need of finance: Newcastle has one place, so only one of the two can have it.
    second = TrustFactory(ods_code="RS7", name="Second Example NHS Trust", latitude=51.45, longitude=-2.59)
    ImprovementNeedFactory(trust=second, area=areas["finance"], priority=3)

    sign_in(page, "rosa")
    page.goto("/matching/wave/")
    page.get_by_label("Second Example NHS Trust").check()
    page.get_by_label("Only accredited members of the superbuddy framework pool").check()
    assert_accessible(page)
    page.get_by_role("button", name="Allocate buddies").click()
    expect(page.locator("#wave-results")).to_be_visible(timeout=30_000)

    expect(page.get_by_text("Framework pool members only (any live framework).")).to_be_visible()
    expect(page.locator("#wave-served")).to_have_text("1 of 2 (at most 1 could each have one at once)")
    southbank = page.locator('#wave-results tr[data-ods-code="RS9"]')
    expect(southbank.locator(".app-wave-member")).to_have_count(1)
    member = southbank.locator('.app-wave-member[data-ods-code="RX3"]')
    expect(member).to_contain_text("Newcastle Example NHS Foundation Trust: finance")
    expect(member).to_contain_text("400 km, about 520 minutes by road")
    expect(member.locator(".govuk-tag--red")).to_have_text("Likely to need an overnight stay")
    expect(member).to_contain_text("chosen because")  # the only pool member covering finance
    unserved = page.locator("#wave-unserved")
    expect(unserved).to_contain_text("Second Example NHS Trust")
    expect(unserved.get_by_role("row", name="Second Example NHS Trust")).not_to_contain_text("Not recorded")
    assert_accessible(page)
