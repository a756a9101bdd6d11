import pytest
from django.urls import reverse

from buddying.models import Trust
from buddying.services import relationship_create
from buddying.tests.factories import (
    CultureProfileFactory,
    ExpertiseAreaFactory,
    ImprovementNeedFactory,
    ServiceLineFactory,
    TrustExpertiseFactory,
    TrustFactory,
)

pytestmark = pytest.mark.django_db

ANON, REG, EXEC, OTHER, ADMIN = "anonymous", "regulator", "executive", "other_executive", "admin"

# URL x persona -> expected status. `own` pages belong to the executive's trust (RA1).
MATRIX = [
    ("home", {}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("trust-directory", {}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("trust-map", {}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("trust-detail", {"ods_code": "RA1"}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("trust-detail", {"ods_code": "RZZ"}, {ANON: 302, REG: 404, EXEC: 404, OTHER: 404, ADMIN: 404}),
    ("trust-edit", {"ods_code": "RA1"}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 404, ADMIN: 200}),
    ("trust-culture-edit", {"ods_code": "RA1"}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 404, ADMIN: 200}),
    ("trust-expertise-edit", {"ods_code": "RA1"}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 404, ADMIN: 200}),
    ("trust-needs-edit", {"ods_code": "RA1"}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 404, ADMIN: 200}),
    ("trust-edit", {"ods_code": "RZZ"}, {ANON: 302, REG: 404, EXEC: 404, OTHER: 404, ADMIN: 404}),
    ("admin:index", {}, {ANON: 302, REG: 302, EXEC: 302, OTHER: 302, ADMIN: 200}),
]
CELLS = [(name, kwargs, who, status) for name, kwargs, row in MATRIX for who, status in row.items()]


@pytest.mark.parametrize(
    ("name", "kwargs", "who", "status"), CELLS, ids=[f"{c[0]}-{c[1].get('ods_code', '')}-{c[2]}" for c in CELLS]
)
def test_permission_matrix(client, persona, name, kwargs, who, status):
    user = persona[who]
    if user is not None:
        client.force_login(user)
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == status


@pytest.mark.parametrize("name", ["trust-edit", "trust-culture-edit", "trust-expertise-edit", "trust-needs-edit"])
def test_an_executive_cannot_change_another_trusts_profile(client, other_executive, own_trust, name):
    client.force_login(other_executive)
    response = client.post(
        reverse(name, kwargs={"ods_code": own_trust.ods_code}), {"name": "Hijacked", "postcode": "M1 1AE"}
    )
    assert response.status_code == 404
    own_trust.refresh_from_db()
    assert own_trust.name == "Own Hospitals NHS Trust"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("trust-directory"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_signing_in_with_a_wrong_password_shows_an_error(client, regulator):
    response = client.post(reverse("login"), {"username": "regulator", "password": "wrong"})
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_an_executive_home_page_shows_their_worklist_and_links_to_their_own_trust(client, executive, own_trust):
    client.force_login(executive)
    page = client.get(reverse("home")).content.decode()
    assert "Waiting for you" in page
    assert own_trust.get_absolute_url() in page


def test_another_trusts_needs_and_culture_are_private(client, other_executive, own_trust):
    ImprovementNeedFactory(trust=own_trust, notes="Board does not see safety data")
    CultureProfileFactory(trust=own_trust, values_statement="Our private values")
    TrustExpertiseFactory(trust=own_trust, evidence="Public evidence of strength")
    client.force_login(other_executive)
    page = client.get(own_trust.get_absolute_url()).content.decode()
    assert "Public evidence of strength" in page
    assert "Board does not see safety data" not in page
    assert "Our private values" not in page
    assert "Edit profile" not in page


def test_the_own_executive_and_regulators_see_needs_and_culture(client, executive, regulator, own_trust):
    ImprovementNeedFactory(trust=own_trust, notes="Board does not see safety data")
    CultureProfileFactory(trust=own_trust, values_statement="Our private values")
    for user in (executive, regulator):
        client.force_login(user)
        page = client.get(own_trust.get_absolute_url()).content.decode()
        assert "Board does not see safety data" in page
        assert "Our private values" in page


def _profile_post(trust: Trust, **changes) -> dict:
    data = {
        "name": trust.name,
        "postcode": trust.postcode,
        "number_of_sites": trust.number_of_sites,
        "trust_type": trust.trust_type,
        "region": trust.region,
        "cqc_rating": trust.cqc_rating,
        "oversight_segment": trust.oversight_segment or "",
        "improvement_status": trust.improvement_status,
    }
    data.update(changes)
    return data


def test_a_new_postcode_moves_the_trust_without_a_network_call(client, regulator, own_trust):
    client.force_login(regulator)
    response = client.post(
        reverse("trust-edit", kwargs={"ods_code": "RA1"}), _profile_post(own_trust, postcode="bd206td")
    )
    assert response.status_code == 302
    own_trust.refresh_from_db()
    assert own_trust.postcode == "BD20 6TD"
    assert 53.8 < own_trust.latitude < 54.0


def test_an_unknown_postcode_is_a_field_error_and_changes_nothing(client, regulator, own_trust):
    client.force_login(regulator)
    response = client.post(
        reverse("trust-edit", kwargs={"ods_code": "RA1"}), _profile_post(own_trust, postcode="SE1 0QQ", name="Renamed")
    )
    assert response.status_code == 200
    assert "We could not find the postcode SE1 0QQ" in response.content.decode()
    own_trust.refresh_from_db()
    assert (own_trust.name, own_trust.postcode) == ("Own Hospitals NHS Trust", "SE1 7EH")


def test_special_measures_needs_a_start_date(client, regulator, own_trust):
    client.force_login(regulator)
    response = client.post(
        reverse("trust-edit", kwargs={"ods_code": "RA1"}),
        _profile_post(own_trust, improvement_status="special-measures"),
    )
    assert "Enter the date the trust entered this status" in response.content.decode()
    response = client.post(
        reverse("trust-edit", kwargs={"ods_code": "RA1"}),
        _profile_post(
            own_trust,
            improvement_status="special-measures",
            improvement_status_since_0="17",
            improvement_status_since_1="7",
            improvement_status_since_2="2013",
        ),
    )
    assert response.status_code == 302
    own_trust.refresh_from_db()
    assert own_trust.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES
    assert own_trust.improvement_status_since.isoformat() == "2013-07-17"


def test_an_executive_cannot_change_what_the_regulator_decides(client, executive, own_trust):
    client.force_login(executive)
    maternity = ServiceLineFactory(slug="maternity", name="Maternity")
    response = client.post(
        reverse("trust-edit", kwargs={"ods_code": "RA1"}),
        _profile_post(
            own_trust, cqc_rating="outstanding", oversight_segment="1", number_of_sites="3", services=[maternity.pk]
        ),
    )
    assert response.status_code == 302
    own_trust.refresh_from_db()
    assert own_trust.cqc_rating == Trust.CqcRating.GOOD
    assert own_trust.oversight_segment == 2
    assert own_trust.number_of_sites == 3
    assert list(own_trust.services.all()) == [maternity]


def test_profile_edits_are_recorded_with_who_made_them(client, executive, own_trust):
    client.force_login(executive)
    client.post(reverse("trust-edit", kwargs={"ods_code": "RA1"}), _profile_post(own_trust, number_of_sites="4"))
    latest = own_trust.history.latest("history_date")
    assert latest.history_user == executive
    assert latest.number_of_sites == 4


def test_expertise_is_set_per_area_and_a_note_needs_a_level(client, executive, own_trust):
    finance = ExpertiseAreaFactory(slug="finance", name="Finance")
    digital = ExpertiseAreaFactory(slug="digital", name="Digital")
    client.force_login(executive)
    url = reverse("trust-expertise-edit", kwargs={"ods_code": "RA1"})
    response = client.post(url, {f"level_{finance.pk}": "", f"note_{finance.pk}": "We are good at this"})
    assert "Choose a level for Finance, or remove the note" in response.content.decode()
    assert not own_trust.expertise.exists()
    response = client.post(
        url, {f"level_{finance.pk}": "5", f"note_{finance.pk}": "Surplus for 5 years", f"level_{digital.pk}": ""}
    )
    assert response.status_code == 302
    assert [(e.area.slug, e.strength, e.evidence) for e in own_trust.expertise.all()] == [
        ("finance", 5, "Surplus for 5 years")
    ]


def test_saving_needs_keeps_when_a_need_was_first_recorded(client, regulator, own_trust):
    finance = ExpertiseAreaFactory(slug="finance", name="Finance")
    need = ImprovementNeedFactory(trust=own_trust, area=finance, priority=1)
    client.force_login(regulator)
    client.post(reverse("trust-needs-edit", kwargs={"ods_code": "RA1"}), {f"level_{finance.pk}": "3"})
    updated = own_trust.needs.get()
    assert (updated.priority, updated.recorded_at) == (3, need.recorded_at)


def test_culture_scores_outside_0_to_10_are_field_errors(client, executive, own_trust):
    client.force_login(executive)
    data = {
        "survey_year": "2025",
        "compassionate_inclusive": "11",
        "recognised_rewarded": "6",
        "voice_that_counts": "6",
        "safe_healthy": "6",
        "always_learning": "6",
        "work_flexibly": "6",
        "team": "6",
        "staff_engagement": "6",
        "morale": "6",
        "values_statement": "Kind",
    }
    response = client.post(reverse("trust-culture-edit", kwargs={"ods_code": "RA1"}), data)
    assert "must be 10 or less" in response.content.decode()
    data["compassionate_inclusive"] = "7.5"
    assert client.post(reverse("trust-culture-edit", kwargs={"ods_code": "RA1"}), data).status_code == 302
    assert float(own_trust.culture.compassionate_inclusive) == 7.5


class TestDirectory:
    def test_filters_by_status_region_and_expertise(self, client, regulator):
        finance = ExpertiseAreaFactory(slug="finance", name="Finance")
        failing = TrustFactory(name="Failing NHS Trust", in_special_measures=True, region="north-west")
        TrustFactory(name="Fine NHS Trust", region="north-west")
        strong = TrustFactory(name="Strong NHS Trust", region="london")
        TrustExpertiseFactory(trust=strong, area=finance, strength=5)
        TrustExpertiseFactory(trust=failing, area=finance, strength=2)
        client.force_login(regulator)

        def names(query):
            return [t.name for t in client.get(reverse("trust-directory"), query).context["page"].object_list]

        assert names({"improvement_status": "special-measures"}) == ["Failing NHS Trust"]
        assert names({"region": "north-west"}) == ["Failing NHS Trust", "Fine NHS Trust"]
        assert names({"expertise": finance.pk}) == ["Strong NHS Trust"]
        assert names({"q": "strong"}) == ["Strong NHS Trust"]
        assert names({"sort": "-name"}) == ["Strong NHS Trust", "Fine NHS Trust", "Failing NHS Trust"]

    def test_an_invalid_filter_value_is_an_error_not_a_crash(self, client, regulator):
        client.force_login(regulator)
        response = client.get(reverse("trust-directory"), {"region": "atlantis"})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()

    @pytest.mark.parametrize("rows", [3, 60])
    def test_the_directory_runs_the_same_queries_whatever_the_rows(
        self, client, regulator, django_assert_num_queries, rows
    ):
        area = ExpertiseAreaFactory()
        for _ in range(rows):
            TrustExpertiseFactory(trust=TrustFactory(), area=area)
        client.force_login(regulator)
        # session, user, the chosen expertise area, count, page, expertise choices, service choices,
        # unread notifications
        with django_assert_num_queries(8):
            response = client.get(reverse("trust-directory"), {"per_page": 100, "expertise": area.pk})
        assert response.context["page"].paginator.count == rows

    @pytest.mark.parametrize("rows", [3, 60])
    def test_the_map_runs_the_same_queries_whatever_the_rows(self, client, regulator, django_assert_num_queries, rows):
        TrustFactory.create_batch(rows)
        client.force_login(regulator)
        # session, user, markers, expertise choices, service choices, unread notifications
        with django_assert_num_queries(6):
            response = client.get(reverse("trust-map"))
        assert len(response.context["markers"]) == rows

    def test_a_trust_profile_runs_a_fixed_number_of_queries(self, client, regulator, django_assert_num_queries):
        trust = TrustFactory()
        for n in range(8):
            TrustExpertiseFactory(trust=trust, area=ExpertiseAreaFactory(slug=f"e{n}"))
            ImprovementNeedFactory(trust=trust, area=ExpertiseAreaFactory(slug=f"n{n}"))
        CultureProfileFactory(trust=trust)
        for _ in range(3):
            relationship_create(by=regulator, trust=trust, other=TrustFactory(), kind="shared-network")
        client.force_login(regulator)
        # session, user, existence, trust+ics+culture, services, expertise, needs, marker, known relationships (with
        # both trusts and who entered and answered each), unread notifications
        with django_assert_num_queries(10):
            client.get(trust.get_absolute_url())


def test_regulator_staff_set_type_closure_and_extra_travel_minutes(client, regulator, own_trust):
    own_trust.trust_type = ""
    own_trust.save()
    client.force_login(regulator)
    edit = client.get(reverse("trust-edit", kwargs={"ods_code": "RA1"})).content.decode()
    assert "Not known" in edit
    assert "Extra travel minutes" in edit
    response = client.post(
        reverse("trust-edit", kwargs={"ods_code": "RA1"}),
        _profile_post(
            own_trust,
            trust_type="specialist",
            travel_adjustment_minutes="60",
            closed_on_0="31",
            closed_on_1="3",
            closed_on_2="2030",
        ),
    )
    assert response.status_code == 302
    own_trust.refresh_from_db()
    assert (own_trust.trust_type, own_trust.travel_adjustment_minutes) == ("specialist", 60)
    assert own_trust.closed_on.isoformat() == "2030-03-31"
    # A closure can be cleared again, and an empty travel adjustment means none.
    client.post(reverse("trust-edit", kwargs={"ods_code": "RA1"}), _profile_post(own_trust))
    own_trust.refresh_from_db()
    assert (own_trust.closed_on, own_trust.travel_adjustment_minutes) == (None, 0)


def test_an_impossible_closure_date_or_too_many_travel_minutes_are_field_errors(client, regulator, own_trust):
    client.force_login(regulator)
    response = client.post(
        reverse("trust-edit", kwargs={"ods_code": "RA1"}),
        _profile_post(
            own_trust, travel_adjustment_minutes="601", closed_on_0="31", closed_on_1="2", closed_on_2="2030"
        ),
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"travel_adjustment_minutes", "closed_on"}
    own_trust.refresh_from_db()
    assert (own_trust.closed_on, own_trust.travel_adjustment_minutes) == (None, 0)


def test_oversight_segment_5_is_accepted_and_6_is_a_field_error(client, regulator, own_trust):
    client.force_login(regulator)
    url = reverse("trust-edit", kwargs={"ods_code": "RA1"})
    response = client.post(url, _profile_post(own_trust, oversight_segment="6"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["oversight_segment"]
    assert 'href="#id_oversight_segment' in response.content.decode()
    assert client.post(url, _profile_post(own_trust, oversight_segment="5")).status_code == 302
    own_trust.refresh_from_db()
    assert own_trust.oversight_segment == 5
    assert own_trust.is_receiving_support
    assert "5 (Recovery Support Programme)" in client.get(own_trust.get_absolute_url()).content.decode()


def test_an_executive_cannot_set_type_closure_or_extra_travel_minutes(client, executive, own_trust):
    client.force_login(executive)
    edit = client.get(reverse("trust-edit", kwargs={"ods_code": "RA1"})).content.decode()
    assert "Extra travel minutes" not in edit
    assert "Closed on" not in edit
    response = client.post(
        reverse("trust-edit", kwargs={"ods_code": "RA1"}),
        _profile_post(
            own_trust,
            trust_type="specialist",
            travel_adjustment_minutes="90",
            closed_on_0="1",
            closed_on_1="1",
            closed_on_2="2020",
            oversight_segment="5",
            number_of_sites="2",
        ),
    )
    assert response.status_code == 302
    own_trust.refresh_from_db()
    assert (own_trust.trust_type, own_trust.travel_adjustment_minutes, own_trust.closed_on) == (
        Trust.TrustType.ACUTE_DISTRICT_GENERAL,
        0,
        None,
    )
    assert own_trust.oversight_segment == 2
    assert own_trust.number_of_sites == 2


def test_a_trust_with_no_type_shows_not_known(client, regulator):
    trust = TrustFactory(trust_type="")
    client.force_login(regulator)
    page = client.get(trust.get_absolute_url()).content.decode()
    assert "Not known" in page


def test_a_closed_trust_says_when_it_closed(client, regulator):
    trust = TrustFactory(closed_on="2024-03-31")
    client.force_login(regulator)
    page = client.get(trust.get_absolute_url()).content.decode()
    assert "Closed on 31 March 2024" in page


def test_the_profile_says_what_matching_still_needs_and_where_to_record_it(client, regulator, own_trust):
    TrustExpertiseFactory(trust=own_trust)
    client.force_login(regulator)
    page = client.get(own_trust.get_absolute_url()).content.decode()
    assert "Profile complete: 4 of 5 — missing: staff survey profile" in page
    assert f'href="{reverse("trust-culture-edit", kwargs={"ods_code": "RA1"})}"' in page
    CultureProfileFactory(trust=own_trust)
    assert "Profile complete: 5 of 5." in client.get(own_trust.get_absolute_url()).content.decode()


def test_an_executive_is_told_to_ask_regulator_staff_for_what_only_they_record(client, executive, own_trust):
    Trust.objects.filter(pk=own_trust.pk).update(trust_type="", region="")
    client.force_login(executive)
    page = client.get(own_trust.get_absolute_url()).content.decode()
    assert "Profile complete: 1 of 5 — missing: type, expertise, staff survey profile, region" in page
    assert "Ask regulator staff to record the trust's type" in page


def test_other_trusts_executives_see_no_profile_gaps(client, other_executive, own_trust):
    client.force_login(other_executive)
    assert "Profile complete" not in client.get(own_trust.get_absolute_url()).content.decode()


def test_the_home_page_counts_open_trusts_and_links_to_those_with_no_type(client, regulator, django_assert_num_queries):
    TrustFactory(trust_type="")
    TrustFactory(trust_type="", closed_on="2024-03-31")
    TrustFactory()
    client.force_login(regulator)
    # session, user, the counts, the worklist (one count per kind of work, whatever the numbers, soundings open
    # included), unread notifications
    with django_assert_num_queries(12):
        response = client.get(reverse("home"))
    assert response.context["summary"]["trusts"] == 2
    assert response.context["summary"]["type_not_known"] == 1
    assert "?trust_type=not-known" in response.content.decode()
