import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buddying.tests.factories import TrustFactory
from matching.models import MatchRun
from matching.services import match_settings_build, shortlist_run

pytestmark = pytest.mark.django_db

ANON, REG, EXEC, OTHER, ADMIN = "anonymous", "regulator", "executive", "other_executive", "admin"
REGULATORS_ONLY = {ANON: 302, REG: 200, EXEC: 404, OTHER: 404, ADMIN: 200}


@pytest.fixture
def run(registry, regulator):
    return shortlist_run(trust=registry["supported"], by=regulator, settings=match_settings_build())


def urls(run):
    return [
        reverse("matching:index"),
        reverse("matching:explorer", kwargs={"ods_code": "RS9"}),
        reverse("matching:run-detail", kwargs={"pk": run.pk}),
        reverse("matching:run-status", kwargs={"pk": run.pk}),
        reverse("matching:wave"),
    ]


@pytest.mark.parametrize("who", [ANON, REG, EXEC, OTHER, ADMIN])
def test_matching_is_for_regulator_staff_and_admins_only(client, persona, run, who):
    if persona[who] is not None:
        client.force_login(persona[who])
    for url in urls(run):
        assert client.get(url).status_code == REGULATORS_ONLY[who], url


def test_an_executive_cannot_run_a_match_even_by_posting(client, executive, registry):
    client.force_login(executive)
    response = client.post(reverse("matching:explorer", kwargs={"ods_code": "RS9"}), {"action": "shortlist"})
    assert response.status_code == 404
    assert not MatchRun.objects.exists()


def _form(**changes):
    data = {
        "weight_cultural_fit": "35",
        "weight_expertise": "30",
        "weight_geography": "15",
        "weight_capacity": "12",
        "weight_structure": "8",
        "min_distance_km": "25",
        "ideal_max_minutes": "120",
        "max_minutes": "180",
        "size": "10",
        "team_size": "3",
        "action": "shortlist",
    }
    data.update(changes)
    return data


def test_running_a_shortlist_records_it_and_shows_ranked_candidates_with_reasons(client, regulator, registry):
    client.force_login(regulator)
    response = client.post(reverse("matching:explorer", kwargs={"ods_code": "RS9"}), _form())
    run = MatchRun.objects.get()
    assert response.url == run.get_absolute_url()
    page = client.get(response.url).content.decode()
    assert "Oxford Example NHS Foundation Trust" in page
    assert "Too near" in page
    assert "Estimated" in page


def test_a_negative_weight_is_a_clear_error_and_runs_nothing(client, regulator, registry):
    client.force_login(regulator)
    response = client.post(reverse("matching:explorer", kwargs={"ods_code": "RS9"}), _form(weight_geography="-5"))
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 0" in response.content.decode()
    assert not MatchRun.objects.exists()


def test_a_trust_without_needs_gets_a_clear_message(client, regulator, registry):
    TrustFactory(ods_code="RC0")
    client.force_login(regulator)
    response = client.post(reverse("matching:explorer", kwargs={"ods_code": "RC0"}), _form())
    assert "RC0 has no improvement needs recorded" in response.content.decode()


def test_the_explorer_offers_a_shortlist_of_ten_and_a_team_of_at_most_three(client, regulator, registry):
    client.force_login(regulator)
    form = client.get(reverse("matching:explorer", kwargs={"ods_code": "RS9"})).context["form"]
    assert (form["size"].value(), form["team_size"].value()) == (10, 3)
    response = client.post(reverse("matching:explorer", kwargs={"ods_code": "RS9"}), _form(action="team"))
    run = MatchRun.objects.latest("pk")
    assert (run.kind, run.settings["k"]) == ("team", 3)
    again = client.get(response.url).context["form"]
    assert (again["size"].value(), again["team_size"].value()) == (10, 3)


def test_the_shortlist_shows_each_trusts_values_in_its_own_words_beside_the_scores(client, regulator, registry):
    from buddying.models import CultureProfile

    CultureProfile.objects.filter(trust=registry["supported"]).update(values_statement="Patients first, always")
    CultureProfile.objects.filter(trust=registry["oxford"]).update(values_statement="Open, kind and learning")
    client.force_login(regulator)
    response = client.post(reverse("matching:explorer", kwargs={"ods_code": "RS9"}), _form())
    page = client.get(response.url).content.decode()
    assert "Southbank Hospitals NHS Trust's values, in its own words" in page
    assert "Patients first, always" in page
    assert "Open, kind and learning" in page


def test_building_a_team_shows_who_leads_on_what(client, regulator, registry):
    client.force_login(regulator)
    response = client.post(
        reverse("matching:explorer", kwargs={"ods_code": "RS9"}), _form(action="team", team_size="2")
    )
    page = client.get(response.url).content.decode()
    assert "Southampton Example NHS Foundation Trust" in page
    assert "Gap" in page


def test_the_wave_page_queues_a_run_and_its_page_shows_progress(
    client, regulator, registry, django_capture_on_commit_callbacks
):
    client.force_login(regulator)
    data = _form(size="2", method="coverage", trusts=["RS9"])
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("matching:wave"), data)
    run = MatchRun.objects.get(kind="wave")
    assert response.url == run.get_absolute_url()
    assert len(callbacks) == 1
    assert "Waiting to start: 0% done" in client.get(response.url).content.decode()
    status = client.get(reverse("matching:run-status", kwargs={"pk": run.pk})).json()
    assert status == {"status": "pending", "progress": 0, "finished": False, "error": ""}


def test_running_and_reading_a_shortlist_takes_the_same_queries_whatever_the_registry_size(client, regulator, registry):
    client.force_login(regulator)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as posted:
            response = client.post(reverse("matching:explorer", kwargs={"ods_code": "RS9"}), _form())
        with CaptureQueriesContext(connection) as read:
            client.get(response.url)
        return len(posted), len(read)

    small = count()
    for n in range(30):
        TrustFactory(ods_code=f"RZ{chr(65 + n % 26)}" if n < 26 else f"RY{n - 26}", latitude=53 + n / 50, longitude=-2)
    assert count() == small
    assert small[1] <= 12
