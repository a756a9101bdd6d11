"""Pool readiness in a real browser, with a real Celery worker: the regulator simulates readiness from the pool page,
sees the result there, finds a trust to recruit and invites it; the invited trust's executive accepts and applies."""

import pytest
from playwright.sync_api import expect

from buddying.tests.factories import ExecutiveFactory, RegulatorFactory
from matching.models import RecruitmentInvitation
from matching.tests.readiness_data import readiness_pool
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_regulator_simulates_readiness_and_recruits_a_trust_that_accepts(new_page, registry, areas, celery_worker):
    rosa = RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan")
    framework = readiness_pool(registry, areas, rosa)
    ExecutiveFactory(username="sue", trust=registry["southampton"], first_name="Sue", last_name="Smith")

    page = new_page("rosa")
    page.goto(f"/matching/frameworks/{framework.pk}/pool/")
    expect(page.locator("#readiness-summary")).to_contain_text("has not been simulated yet")
    page.get_by_text("Simulate readiness now").click()
    page.get_by_label("Seed (optional)").fill("2027")
    assert_accessible(page)
    page.get_by_role("button", name="Simulate readiness").click()
    # The page polls the run's progress (no inline script) and shows the result when the worker is done.
    expect(page.locator("#readiness-sizes")).to_be_visible(timeout=60_000)
    expect(page.locator("#runs-out-first")).to_contain_text("Maternity")
    expect(page.locator("#readiness-areas")).to_contain_text("Finance")
    assert_accessible(page)

    page.get_by_role("link", name="Back to the pool").click()
    expect(page.locator("#readiness-summary")).to_contain_text("Runs out first")
    expect(page.locator("#readiness-summary")).to_contain_text("Maternity")

    page.go_back()
    page.get_by_role("button", name="Find trusts to recruit").click()
    candidates = page.locator("#recruitment-candidates")
    expect(candidates).to_be_visible(timeout=60_000)
    expect(candidates.locator("tbody tr").first).to_contain_text("Southampton Example NHS Foundation Trust")
    assert_accessible(page)
    candidates.locator('tr[data-ods-code="RX2"]').get_by_role("link", name="Invite to apply").click()
    expect(page.get_by_label("Why the trust is invited")).to_contain_text("maternity (5/5)")
    assert_accessible(page)
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator("#invitation-status")).to_have_text("Waiting for an answer")

    sue = new_page("sue")
    sue.goto("/arrangements/notifications/")  # the in-app inbox; the same message went by email
    sue.get_by_role("link", name="Invitation to apply to join Superbuddy framework 2027").click()
    invitation = RecruitmentInvitation.objects.get()
    expect(sue.locator("h1")).to_contain_text("Invitation to apply to join Superbuddy framework 2027")
    assert_accessible(sue)
    sue.get_by_role("button", name="Accept and apply").click()
    expect(sue.locator("h1")).to_have_text("Apply to join Superbuddy framework 2027")
    invitation.refresh_from_db()
    assert invitation.status == RecruitmentInvitation.Status.ACCEPTED
