"""A regulator explores buddies for a trust in special measures and builds a team, in a real browser."""

import pytest
from playwright.sync_api import expect

from buddying.tests.factories import RegulatorFactory
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
