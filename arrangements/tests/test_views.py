import pytest
from django.urls import reverse

from arrangements.models import Arrangement
from arrangements.tests.conftest import draft_terms

pytestmark = pytest.mark.django_db

ANON, REG, SUP, BUD, OUT, ADMIN = "anonymous", "regulator", "supported", "buddy", "outsider", "admin"


@pytest.fixture
def people(regulator, executive, buddy_executive, other_executive, admin_user):
    return {ANON: None, REG: regulator, SUP: executive, BUD: buddy_executive, OUT: other_executive, ADMIN: admin_user}


PARTIES_ONLY = {ANON: 302, REG: 200, SUP: 200, BUD: 200, OUT: 404, ADMIN: 200}
PAGES = [
    "arrangements:detail",
    "arrangements:terms-edit",
    "arrangements:workstream-add",
    "arrangements:input-add",
    "arrangements:decline",
    "arrangements:terminate",
] + [("arrangements:tab", tab) for tab in ("terms", "work", "inputs", "reviews", "timeline")]


@pytest.mark.parametrize("who", [ANON, REG, SUP, BUD, OUT, ADMIN])
@pytest.mark.parametrize("page", PAGES, ids=[p if isinstance(p, str) else f"{p[0]}-{p[1]}" for p in PAGES])
def test_only_the_parties_and_the_regulator_see_an_arrangement(client, people, arrangement, who, page):
    if people[who]:
        client.force_login(people[who])
    name, *tab = page if isinstance(page, tuple) else (page,)
    url = reverse(name, kwargs={"pk": arrangement.pk, **({"tab": tab[0]} if tab else {})})
    assert client.get(url).status_code == PARTIES_ONLY[who]


@pytest.mark.parametrize("who", [ANON, REG, SUP, BUD, OUT, ADMIN])
def test_the_list_shows_only_arrangements_the_user_may_see(client, people, arrangement, who):
    if people[who] is None:
        assert client.get(reverse("arrangements:list")).status_code == 302
        return
    client.force_login(people[who])
    response = client.get(reverse("arrangements:list"))
    shown = [item.pk for item in response.context["page"].object_list]
    assert shown == ([] if who == OUT else [arrangement.pk])


def test_an_outsider_posting_a_transition_gets_404_and_changes_nothing(client, other_executive, arrangement):
    client.force_login(other_executive)
    response = client.post(reverse("arrangements:transition", kwargs={"pk": arrangement.pk, "action": "agree"}))
    assert response.status_code == 404
    assert Arrangement.objects.get(pk=arrangement.pk).status == "proposed"


def test_a_refused_transition_shows_why(client, executive, arrangement):
    client.force_login(executive)
    response = client.post(
        reverse("arrangements:transition", kwargs={"pk": arrangement.pk, "action": "agree"}), follow=True
    )
    assert "only regulator staff can" in response.content.decode()
    assert Arrangement.objects.get(pk=arrangement.pk).status == "proposed"


def test_an_executive_sees_the_fit_check_first_then_submits_for_their_own_trust_only(
    client, executive, own_trust, buddy_trust, other_trust, finance
):
    from buddying.tests.factories import ImprovementNeedFactory

    ImprovementNeedFactory(trust=own_trust, area=finance)
    client.force_login(executive)
    data = {
        "supported": other_trust.pk,  # ignored: an executive proposes for their own trust
        "title": "Peer support",
        "lead_buddy": buddy_trust.pk,
        "tier": "light-touch",
        "origin": "self-proposed",
        "planned_start_0": "1",
        "planned_start_1": "1",
        "planned_start_2": "2027",
        "planned_end_0": "1",
        "planned_end_1": "6",
        "planned_end_2": "2027",
    }
    page = client.post(reverse("arrangements:propose"), {**data, "action": "check"}).content.decode()
    assert "Fit check" in page
    assert "Not an accredited member of the superbuddy pool" in page
    assert not Arrangement.objects.exists()
    response = client.post(reverse("arrangements:propose"), {**data, "action": "submit"})
    arrangement = Arrangement.objects.get()
    assert response.url == arrangement.get_absolute_url()
    assert (arrangement.supported, arrangement.origin, arrangement.status) == (own_trust, "self-proposed", "proposed")
    assert arrangement.buddies.get().from_pool is False


def test_a_self_proposal_needs_the_trusts_needs_recorded(client, executive, buddy_trust):
    client.force_login(executive)
    data = {
        "title": "Peer support",
        "lead_buddy": buddy_trust.pk,
        "tier": "light-touch",
        "origin": "self-proposed",
        "planned_start_0": "1",
        "planned_start_1": "1",
        "planned_start_2": "2027",
        "planned_end_0": "1",
        "planned_end_1": "6",
        "planned_end_2": "2027",
        "action": "submit",
    }
    page = client.post(reverse("arrangements:propose"), data).content.decode()
    assert "has no improvement needs recorded" in page
    assert not Arrangement.objects.exists()


def test_a_proposal_with_the_end_before_the_start_is_a_field_error(client, regulator, own_trust, buddy_trust):
    client.force_login(regulator)
    response = client.post(
        reverse("arrangements:propose"),
        {
            "supported": own_trust.pk,
            "title": "T",
            "lead_buddy": buddy_trust.pk,
            "tier": "light-touch",
            "origin": "regulator-suggested",
            "planned_start_0": "1",
            "planned_start_1": "6",
            "planned_start_2": "2027",
            "planned_end_0": "1",
            "planned_end_1": "1",
            "planned_end_2": "2027",
        },
    )
    assert "The planned end date must be the same as or after the planned start date" in response.content.decode()
    assert not Arrangement.objects.exists()


def test_terms_with_an_objective_but_no_target_date_are_refused(client, executive, arrangement):
    client.force_login(executive)
    response = client.post(
        reverse("arrangements:terms-edit", kwargs={"pk": arrangement.pk}),
        {
            "objective_1": "Agree a plan",
            "output_1": "Board approval",
            "scope": "S",
            "supported_commitments": "A",
            "buddy_commitments": "B",
            "governance": "G",
            "meeting_cadence": "monthly",
            "review_every_months": "3",
            "termination_terms": "T",
            "fee": "0",
            "who_pays": "cost-neutral",
        },
    )
    assert "Enter a target date for objective 1" in response.content.decode()
    assert not arrangement.terms_versions.exists()


@pytest.mark.parametrize("rows", [1, 15])
def test_the_arrangement_list_runs_a_fixed_number_of_queries(
    client, regulator, own_trust, rows, django_assert_num_queries
):
    from arrangements.tests.factories import ArrangementBuddyFactory, ArrangementFactory

    for _ in range(rows):
        ArrangementBuddyFactory(arrangement=ArrangementFactory(supported=own_trust))
    client.force_login(regulator)
    # session, user, count, page, buddies (prefetch), buddy trusts (prefetch), unread notifications
    with django_assert_num_queries(7):
        client.get(reverse("arrangements:list"))


def test_the_detail_page_runs_a_fixed_number_of_queries(
    client, regulator, executive, active_arrangement, django_assert_max_num_queries
):
    draft_terms(active_arrangement, executive)
    client.force_login(regulator)
    with django_assert_max_num_queries(30):
        client.get(reverse("arrangements:tab", kwargs={"pk": active_arrangement.pk, "tab": "terms"}))
