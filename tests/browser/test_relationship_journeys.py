"""A known relationship, in a real browser: one trust's executive records it, the other trust's executive confirms
it, and the regulator sees it on the supported trust's shortlist as an explained bonus."""

import pytest
from playwright.sync_api import expect

from buddying.tests.factories import ExecutiveFactory, RegulatorFactory
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)

SOUTHBANK = "Southbank Hospitals NHS Trust"
SOUTHAMPTON = "Southampton Example NHS Foundation Trust"
REASON = "Chief executives or chairs have worked together (confirmed by both trusts): adds 5 points to the score"


def test_a_relationship_entered_by_one_trust_and_confirmed_by_the_other_counts_in_the_regulators_shortlist(
    new_page, registry
):
    ExecutiveFactory(username="sam", trust=registry["supported"])
    ExecutiveFactory(username="sue", trust=registry["southampton"])
    RegulatorFactory(username="rosa")

    # Southbank's executive records that the two chief executives worked together.
    sam = new_page("sam")
    sam.goto("/trusts/RS9/")
    expect(sam.get_by_role("heading", name="Known relationships")).to_be_visible()
    sam.get_by_role("link", name="Record a relationship").click()
    assert_accessible(sam)
    sam.get_by_label("Which trust is the relationship with?").select_option(label=f"{SOUTHAMPTON} (RX2)")
    sam.get_by_label("Chief executives or chairs have worked together").check()
    sam.get_by_label("Describe it (optional)").fill("Our chief executives trained together.")
    sam.get_by_role("button", name="Record relationship").click()
    expect(sam.locator(".govuk-notification-banner, .govuk-panel, [role=alert], [role=status]").first).to_contain_text(
        "counts in matching once"
    )
    row = sam.locator("#relationships-table tbody tr", has_text=SOUTHAMPTON)
    expect(row).to_contain_text(f"Waiting for {SOUTHAMPTON} to confirm")
    # The entering side cannot confirm its own entry.
    expect(row.get_by_role("button", name="Confirm")).to_have_count(0)
    assert_accessible(sam)

    # Before Southampton confirms, matching does not count it.
    rosa = new_page("rosa")
    rosa.goto("/matching/trusts/RS9/")
    rosa.get_by_role("button", name="Run shortlist").click()
    expect(rosa.get_by_role("heading", name="Best candidates")).to_be_visible()
    expect(rosa.locator('.app-candidate[data-ods-code="RX2"] .app-relationship')).to_have_count(0)

    # Southampton's executive finds it waiting on their home page and confirms it.
    sue = new_page("sue")
    sue.goto("/")
    sue.get_by_role("link", name="Relationships to confirm").click()
    assert_accessible(sue)
    row = sue.locator("#relationships-table tbody tr", has_text=SOUTHBANK)
    expect(row).to_contain_text("Our chief executives trained together.")
    row.get_by_role("button", name=f"Confirm relationship with {SOUTHBANK}").click()
    row = sue.locator("#relationships-table tbody tr", has_text=SOUTHBANK)
    expect(row).to_contain_text("Confirmed")
    expect(row).to_contain_text("by both trusts")
    assert_accessible(sue)

    # The regulator's shortlist for Southbank now shows it on Southampton, as a positive, explained factor.
    rosa.goto("/matching/trusts/RS9/")
    rosa.get_by_role("button", name="Run shortlist").click()
    expect(rosa.get_by_role("heading", name="Best candidates")).to_be_visible()
    southampton = rosa.locator('.app-candidate[data-ods-code="RX2"]')
    expect(southampton.locator(".app-relationship")).to_contain_text(f"Known relationship {REASON}")
    expect(rosa.locator('.app-candidate[data-ods-code="RX1"] .app-relationship')).to_have_count(0)
    southampton.get_by_text("Why: the score criterion by criterion").click()
    bonus = southampton.locator("tbody tr").filter(has=rosa.locator("th", has_text="Known relationship"))
    cells = bonus.locator("td")
    expect(cells.nth(1)).to_have_text("5")
    expect(cells.nth(2)).to_have_text(REASON)
    expect(rosa.get_by_text("A relationship both trusts confirmed adds 5 points.")).to_be_visible()
    assert_accessible(rosa)

    # Southampton later finds it was recorded in error and removes it, saying why: the shortlist stops counting it.
    sue.get_by_role("link", name=f"Remove the relationship with {SOUTHBANK}").click()
    assert_accessible(sue)
    sue.get_by_role("button", name="Remove the relationship").click()
    expect(sue.locator(".govuk-error-summary")).to_contain_text("Enter why the relationship is removed")
    assert_accessible(sue)
    sue.get_by_label("Why is the relationship removed?").fill("Recorded in error: a different chief executive")
    sue.get_by_role("button", name="Remove the relationship").click()
    expect(sue.locator(".govuk-notification-banner")).to_contain_text(f"Relationship with {SOUTHBANK} removed")
    expect(sue.locator("#relationships-table")).to_have_count(0)
    rosa.goto("/matching/trusts/RS9/")
    rosa.get_by_role("button", name="Run shortlist").click()
    expect(rosa.locator('.app-candidate[data-ods-code="RX2"] .app-relationship')).to_have_count(0)
