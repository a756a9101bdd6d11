"""A regulator and a trust executive use the trust registry in a real browser."""

import pytest
from playwright.sync_api import expect

from buddying.tests.factories import (
    CultureProfileFactory,
    ExecutiveFactory,
    ExpertiseAreaFactory,
    ImprovementNeedFactory,
    RegulatorFactory,
    TrustExpertiseFactory,
    TrustFactory,
)
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def registry():
    finance = ExpertiseAreaFactory(slug="finance", name="Finance")
    failing = TrustFactory(
        ods_code="RF1",
        name="Failing Valley NHS Trust",
        in_special_measures=True,
        region="north-west",
        latitude=53.48,
        longitude=-2.24,
        postcode="M1 1AE",
    )
    strong = TrustFactory(ods_code="RS1", name="Strong City NHS Foundation Trust", region="london")
    for n in range(6):
        TrustFactory(
            ods_code=f"RG{n}",
            name=f"Good Town {n} NHS Trust",
            region="midlands",
            latitude=52.0 + n / 10,
            longitude=-1.5 - n / 10,
        )
    TrustExpertiseFactory(trust=strong, area=finance, strength=5, evidence="Surplus every year since 2015")
    ImprovementNeedFactory(trust=failing, area=finance, notes="Deficit of 40 million pounds")
    CultureProfileFactory(trust=failing)
    return {"failing": failing, "strong": strong}


def test_a_regulator_signs_in_filters_the_directory_and_opens_a_profile(page, registry):
    RegulatorFactory(username="rosa")
    page.goto("/sign-in/")
    assert_accessible(page)
    sign_in(page, "rosa")
    expect(page.get_by_role("heading", name="NHS trust buddying")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Trusts", exact=True).click()
    expect(page.locator("#result-count")).to_have_text("8 trusts found")
    assert_accessible(page)
    page.locator(".moj-filter").get_by_label("Special measures", exact=True).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#result-count")).to_have_text("1 trust found")
    expect(page.locator(".moj-filter").get_by_label("Special measures", exact=True)).to_be_checked()
    assert_accessible(page)
    page.get_by_role("link", name="Failing Valley NHS Trust").click()

    expect(page.get_by_role("heading", name="Failing Valley NHS Trust", level=1)).to_be_visible()
    expect(page.get_by_text("Deficit of 40 million pounds")).to_be_visible()
    expect(page.locator("#culture-chart")).to_have_attribute("data-chart-ready", "9")
    expect(page.locator("#trust-location-map")).to_have_attribute("data-markers-drawn", "1")
    assert_accessible(page)


def test_an_executive_edits_their_own_profile_after_a_validation_error(page, registry):
    ExecutiveFactory(username="eddie", trust=registry["failing"])
    sign_in(page, "eddie")
    # An executive lands on their worklist, which links to their trust's profile.
    expect(page.get_by_role("heading", name="Waiting for you")).to_be_visible()
    page.get_by_role("link", name="Your trust's profile: Failing Valley NHS Trust").click()
    expect(page.get_by_role("heading", name="Failing Valley NHS Trust", level=1)).to_be_visible()
    page.get_by_role("link", name="Edit profile").click()
    assert_accessible(page)

    page.get_by_label("Postcode of the main site").fill("SE1 0QQ")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("We could not find the postcode SE1 0QQ")
    assert_accessible(page)

    page.get_by_label("Postcode of the main site").fill("bd20 6td")
    page.get_by_label("Number of sites").fill("3")
    page.get_by_role("button", name="Save profile").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Profile saved")
    expect(page.get_by_text("BD20 6TD")).to_be_visible()
    assert_accessible(page)


def test_the_map_shows_a_marker_for_every_trust_and_follows_the_filters(page, registry):
    RegulatorFactory(username="rosa")
    sign_in(page, "rosa")
    page.goto("/trusts/map/")
    expect(page.locator("#trust-map")).to_have_attribute("data-markers-drawn", "8")
    expect(page.locator("#trust-map path.leaflet-interactive")).to_have_count(8)
    # The England outline is drawn too (it is not interactive, so it has no leaflet-interactive class).
    expect(page.locator("#trust-map path:not(.leaflet-interactive)")).not_to_have_count(0)
    assert_accessible(page)

    page.locator(".moj-filter").get_by_label("Midlands").check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#marker-count")).to_have_text("6 trusts on the map")
    expect(page.locator("#trust-map path.leaflet-interactive")).to_have_count(6)
    expect(page.locator(".moj-filter").get_by_label("Midlands")).to_be_checked()
    assert_accessible(page)
