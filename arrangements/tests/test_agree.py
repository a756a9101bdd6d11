"""Decisions with the evidence in front: agreeing a proposal shows each buddy's fit check and free capacity; a buddy
with no free capacity is agreed only with an override and a reason. And an agreed arrangement says who it waits for."""

import datetime as dt

import pytest
from django.urls import reverse

from arrangements import services
from arrangements.models import Arrangement, Event
from arrangements.services import ArrangementError, BuddySpec
from arrangements.tests.conftest import draft_terms
from buddying.models import User
from buddying.tests.factories import AdminFactory, ExecutiveFactory, RegulatorFactory, TrustFactory
from matching.models import BuddyCapacity
from matching.tests import conftest as matching_fixtures

pytestmark = pytest.mark.django_db

# The small registry with real geography the matching tests use, so the fit check has real travel to show.
areas, registry = matching_fixtures.areas, matching_fixtures.registry


@pytest.fixture
def people(registry):
    return {
        "rosa": RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan"),
        "sam": ExecutiveFactory(username="sam", trust=registry["supported"]),
        "otto": ExecutiveFactory(username="otto", trust=registry["oxford"]),
        "outsider": ExecutiveFactory(username="outsider", trust=TrustFactory(ods_code="RZZ")),
        "admin": AdminFactory(username="admin"),
    }


@pytest.fixture
def proposal(registry, people):
    """Self-proposed by the supported trust: Oxford to lead, Southampton for maternity."""
    return services.arrangement_propose(
        supported=registry["supported"],
        buddies=[BuddySpec(buddy=registry["oxford"]), BuddySpec(buddy=registry["southampton"], role="issue-specific")],
        title="Finance and maternity",
        origin="self-proposed",
        tier="targeted",
        planned_start=dt.date(2027, 1, 4),
        planned_end=dt.date(2027, 12, 31),
        by=people["sam"],
    )


def fill(trust, places=1):
    BuddyCapacity.objects.filter(trust=trust).update(max_concurrent_arrangements=places, active_arrangements=places)


def test_the_agree_page_shows_each_buddys_fit_check_and_free_capacity(client, proposal, people):
    client.force_login(people["rosa"])
    page = client.get(reverse("arrangements:agree", args=[proposal.pk])).content.decode()
    for name in ("Oxford Example NHS Foundation Trust", "Southampton Example NHS Foundation Trust"):
        assert f'<h3 class="govuk-heading-s govuk-!-margin-bottom-1">{name}</h3>' in page
    assert page.count("<strong>Score ") == 2
    assert "km, about" in page  # the travel band
    assert "Free capacity: 2 of 2 places free, 8 of 8 senior staff days a month free" in page
    assert "Finance" in page  # a reason
    assert "no free capacity" not in page


def test_the_overview_links_to_the_agree_page_instead_of_agreeing_at_once(client, proposal, people):
    client.force_login(people["rosa"])
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert f'href="{reverse("arrangements:agree", args=[proposal.pk])}">Agree</a>' in page


def test_agreeing_a_buddy_with_no_free_capacity_is_refused_naming_it(client, proposal, people, registry):
    fill(registry["southampton"])
    client.force_login(people["rosa"])
    url = reverse("arrangements:agree", args=[proposal.pk])
    page = client.get(url).content.decode()
    assert "Southampton Example NHS Foundation Trust has no free capacity" in page
    response = client.post(url, {})
    assert "Southampton Example NHS Foundation Trust has no free capacity: agree only with an override" in (
        response.content.decode()
    )
    assert Arrangement.objects.get(pk=proposal.pk).status == "proposed"
    page = client.post(url, {"override": "on", "override_reason": " "}).content.decode()
    assert "Enter why you agree although the buddy has no free capacity" in page
    assert Arrangement.objects.get(pk=proposal.pk).status == "proposed"


def test_an_override_with_a_reason_agrees_and_the_reason_is_in_the_timeline(client, proposal, people, registry):
    fill(registry["southampton"])
    client.force_login(people["rosa"])
    response = client.post(
        reverse("arrangements:agree", args=[proposal.pk]),
        {"override": "on", "override_reason": "Its maternity lead is freed up next month"},
    )
    assert response.status_code == 302
    assert Arrangement.objects.get(pk=proposal.pk).status == "agreed"
    event = Event.objects.get(arrangement=proposal, title="Arrangement agreed")
    assert "Agreed although Southampton Example NHS Foundation Trust had no free capacity" in event.description
    assert "Its maternity lead is freed up next month" in event.description


def test_the_agree_service_refuses_a_full_buddy_without_an_override(proposal, people, registry):
    fill(registry["oxford"])
    with pytest.raises(ArrangementError, match="Oxford Example NHS Foundation Trust has no free capacity"):
        services.arrangement_agree(arrangement=proposal, by=people["rosa"])
    assert Arrangement.objects.get(pk=proposal.pk).status == "proposed"


def test_a_buddy_counts_its_other_open_arrangements_as_places_in_use(proposal, people, registry):
    BuddyCapacity.objects.filter(trust=registry["oxford"]).update(max_concurrent_arrangements=1)
    services.arrangement_propose(
        supported=registry["newcastle"],
        buddies=[BuddySpec(buddy=registry["oxford"])],
        title="Elsewhere",
        origin="regulator-suggested",
        tier="targeted",
        planned_start=dt.date(2027, 1, 4),
        planned_end=dt.date(2027, 12, 31),
        by=people["rosa"],
    )
    with pytest.raises(ArrangementError, match="Oxford Example NHS Foundation Trust has no free capacity"):
        services.arrangement_agree(arrangement=proposal, by=people["rosa"])


def test_the_fit_check_says_why_it_cannot_be_made(client, people, registry):
    outside = TrustFactory(ods_code="RQ1", name="No Needs NHS Trust")
    arrangement = services.arrangement_propose(
        supported=outside,
        buddies=[BuddySpec(buddy=registry["oxford"])],
        title="Peer support",
        origin="regulator-suggested",
        tier="targeted",
        planned_start=dt.date(2027, 1, 4),
        planned_end=dt.date(2027, 12, 31),
        by=people["rosa"],
    )
    client.force_login(people["rosa"])
    page = client.get(reverse("arrangements:agree", args=[arrangement.pk])).content.decode()
    assert "The fit cannot be checked:" in page
    assert "Free capacity:" in page


@pytest.mark.parametrize(
    ("who", "get", "post"),
    [
        ("anonymous", 302, 302),
        ("sam", 404, 404),
        ("otto", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_only_regulator_staff_open_the_agree_page_and_no_one_else_changes_anything(
    client, proposal, people, who, get, post
):
    if who != "anonymous":
        client.force_login(people[who])
    url = reverse("arrangements:agree", args=[proposal.pk])
    assert client.get(url).status_code == get
    assert client.post(url, {}).status_code == post
    assert Arrangement.objects.get(pk=proposal.pk).status == "proposed"
    assert not Event.objects.filter(arrangement=proposal, title="Arrangement agreed").exists()


@pytest.mark.parametrize("who", ["rosa", "admin"])
def test_regulator_staff_and_admins_agree_on_the_agree_page(client, proposal, people, who):
    client.force_login(people[who])
    url = reverse("arrangements:agree", args=[proposal.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 302
    assert Arrangement.objects.get(pk=proposal.pk).status == "agreed"


def test_the_agree_page_of_an_agreed_arrangement_says_it_cannot_be_agreed_again(client, proposal, people):
    services.arrangement_agree(arrangement=proposal, by=people["rosa"])
    client.force_login(people["rosa"])
    response = client.post(reverse("arrangements:agree", args=[proposal.pk]), {}, follow=True)
    assert "This arrangement is agreed, so it cannot be agreed" in response.content.decode()


# Activation: who an agreed arrangement waits for ----------------------------------------------------------------


def test_the_overview_names_the_party_with_no_one_to_sign_with_a_link_to_invite_a_user(
    client, proposal, people, registry
):
    services.arrangement_agree(arrangement=proposal, by=people["rosa"])
    client.force_login(people["sam"])
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert (
        "Southampton Example NHS Foundation Trust has no registered executive: the arrangement cannot become active"
        in (page)
    )
    assert "Oxford Example NHS Foundation Trust has no registered executive" not in page
    assert "No terms of reference have been drafted yet" in page
    # The supported trust's executive cannot invite the buddy's people; regulator staff can.
    assert "Regulator staff can invite someone from it" in page
    client.force_login(people["rosa"])
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert f'href="{reverse("people-invite")}?trust=RX2">Invite a user from Southampton' in page


def test_the_overview_lists_who_has_signed_and_who_has_not(client, proposal, people, registry):
    services.arrangement_agree(arrangement=proposal, by=people["rosa"])
    terms = draft_terms(proposal, people["sam"])
    services.terms_sign(terms=terms, by=people["sam"])
    client.force_login(people["otto"])
    page = client.get(proposal.get_absolute_url()).content.decode()
    signatories = page[page.index('id="signatories"') :]
    assert "Signed</strong> Southbank Hospitals NHS Trust" in signatories
    assert "Not signed yet</strong> Oxford Example NHS Foundation Trust" in signatories
    assert "No one to sign</strong> Southampton Example NHS Foundation Trust" in signatories
    assert "Not signed yet</strong> The regulator" in signatories  # special measures: the regulator signs too


def test_an_account_no_one_can_sign_in_with_is_not_a_registered_executive(client, proposal, people, registry):
    User.objects.create(
        username="background", role=User.Role.TRUST_EXECUTIVE, trust=registry["southampton"], password="!unusable"
    )
    services.arrangement_agree(arrangement=proposal, by=people["rosa"])
    client.force_login(people["sam"])
    page = client.get(proposal.get_absolute_url()).content.decode()
    assert "Southampton Example NHS Foundation Trust has no registered executive" in page
