import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buddying.models import CultureProfile, Trust
from buddying.tests.factories import ExpertiseAreaFactory, ImprovementNeedFactory, TrustFactory
from matching.models import MatchRun
from matching.services import match_settings_build, shortlist_run, wave_run_create, wave_run_execute
from matching.tests.factories import BuddyCapacityFactory

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
    assert "must be 0 or more" in response.content.decode()
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


# What each run page shows of the engine's results (issue 9) -------------------------------------------------------


def _shortlist_page(client, regulator, **changes) -> str:
    client.force_login(regulator)
    response = client.post(reverse("matching:explorer", kwargs={"ods_code": "RS9"}), _form(**changes))
    return client.get(response.url).content.decode()


def _candidate_block(page: str, ods_code: str) -> str:
    """One ranked candidate's part of the shortlist page."""
    start = page.index(f'<div class="app-candidate" data-ods-code="{ods_code}">')
    ends = [page.find(marker, start + 1) for marker in ('<div class="app-candidate"', ">On the map</h2>")]
    return page[start : min(end for end in ends if end != -1)]


def test_a_run_warning_is_shown_once_at_the_top_of_the_shortlist(client, regulator, registry):
    CultureProfile.objects.filter(trust=registry["supported"]).delete()
    page = _shortlist_page(client, regulator)
    warning = (
        "Southbank Hospitals NHS Trust has no staff survey profile, "
        "so cultural fit (35% of the score) is not known for any candidate"
    )
    assert page.count(warning) == 1
    assert page.index('id="run-warnings"') < page.index("Best candidates")


def test_a_criterion_with_missing_data_is_shown_as_not_known_with_its_reason_and_no_score_bar(
    client, regulator, registry
):
    CultureProfile.objects.filter(trust=registry["oxford"]).delete()
    oxford = _candidate_block(_shortlist_page(client, regulator), "RX1")
    assert "Profile 4 of 5 known: no staff survey profile" in oxford
    cultural_fit = oxford[oxford.index("Cultural fit</th>") : oxford.index("Expertise coverage</th>")]
    assert '<strong class="govuk-tag govuk-tag--grey">Not known</strong>' in cultural_fit
    assert "Not known: no staff survey profile recorded" in cultural_fit
    assert "app-score" not in cultural_fit
    assert "Profile 5 of 5 known" in _candidate_block(_shortlist_page(client, regulator), "RX2")


def _in_recovery(ods_code: str) -> None:
    Trust.objects.filter(ods_code=ods_code).update(
        improvement_status=Trust.ImprovementStatus.RECOVERY, improvement_status_since="2026-01-05"
    )


def test_each_candidate_shows_its_travel_band_and_flags(client, regulator, registry):
    _in_recovery("RX3")
    page = _shortlist_page(client, regulator, include_receiving_support="on")
    assert "Within the ideal travel time</strong> 84 km, about 109 minutes by road" in _candidate_block(page, "RX1")
    assert "govuk-tag--orange" in _candidate_block(page, "RX2")  # far: 144 minutes
    newcastle = _candidate_block(page, "RX3")
    assert "Likely to need an overnight stay</strong> 400 km, about 520 minutes" in newcastle
    assert "Receiving support itself: in recovery or oversight segment 4 or 5" in newcastle


def test_trusts_receiving_support_are_left_out_unless_the_regulator_includes_them(client, regulator, registry):
    _in_recovery("RX3")
    page = _shortlist_page(client, regulator)
    assert 'data-ods-code="RX3"' not in page
    assert "Receiving support itself: in recovery or oversight segment 4 or 5" in page  # why it was left out
    assert MatchRun.objects.latest("pk").settings["include_receiving_support"] is False

    page = _shortlist_page(client, regulator, include_receiving_support="on")
    run = MatchRun.objects.latest("pk")
    assert run.settings["include_receiving_support"] is True
    assert 'data-ods-code="RX3"' in page
    assert "trusts receiving support themselves included (flagged)" in page
    # Run again from the run's page: the box is still ticked.
    assert client.get(run.get_absolute_url()).context["form"]["include_receiving_support"].value() is True


def test_eligible_trusts_covering_no_need_are_listed_apart_with_links(client, regulator, registry):
    BuddyCapacityFactory(
        trust=TrustFactory(ods_code="RX4", name="Birmingham Example NHS Trust", latitude=52.48, longitude=-1.89)
    )
    page = _shortlist_page(client, regulator)
    assert 'data-ods-code="RX4"' not in page
    section = page[page.index('id="not-covering-heading"') :]
    assert "Eligible, but covers none of the needs (1)" in section
    assert f'href="{reverse("trust-detail", args=["RX4"])}">Birmingham Example NHS Trust</a>' in section


def test_needs_already_covered_by_current_buddies_are_said_in_an_inset(client, regulator, run):
    run.results["met_by_existing"] = [
        {
            "area": "finance",
            "name": "Finance",
            "buddy": {"ods_code": "RX1", "name": "Oxford Example NHS Foundation Trust"},
        }
    ]
    run.save(update_fields=["results"])
    client.force_login(regulator)
    page = client.get(run.get_absolute_url()).content.decode()
    inset = page[page.index('id="met-by-existing"') :]
    assert "Already covered by current buddies" in inset
    assert "Finance: <a" in inset and "Oxford Example NHS Foundation Trust</a>" in inset


def test_names_on_the_shortlist_are_escaped(client, regulator, registry):
    Trust.objects.filter(ods_code="RX1").update(name="Oxford <script>alert(1)</script> Trust")
    page = _shortlist_page(client, regulator)
    assert "<script>alert(1)</script>" not in page
    assert "Oxford &lt;script&gt;alert(1)&lt;/script&gt; Trust" in page


def test_each_team_member_shows_its_travel_band_and_why_a_far_member_was_chosen(client, regulator, registry):
    client.force_login(regulator)
    response = client.post(
        reverse("matching:explorer", kwargs={"ods_code": "RS9"}),
        _form(action="team", team_size="2", ideal_max_minutes="60", max_minutes="90"),
    )
    page = client.get(response.url).content.decode()
    for code, travel, need in (
        ("RX1", "84 km, about 109 minutes", "Finance"),
        ("RX2", "111 km, about 144 minutes", "Maternity"),
    ):
        row = page[page.index(f'<tr class="govuk-table__row" data-ods-code="{code}">') :]
        row = row[: row.index("</tr>")]
        assert (
            '<strong class="govuk-tag app-tag--sentence govuk-tag--red">Likely to need an overnight stay</strong>'
            in row
        )
        assert travel in row
        warning = row[row.index("<strong>Beyond 90 minutes") : row.index("</strong></p>")]
        assert "chosen because" in warning and need in warning
    assert "Travel bands: within the ideal travel time up to 60 minutes" in page


def _wave(regulator, *trusts, **settings):
    return wave_run_create(
        trusts=list(trusts), by=regulator, settings=match_settings_build(**settings), k=1, run_now=True
    )


def test_the_wave_page_shows_trusts_served_against_the_most_servable_and_why_each_unserved_trust_has_none(
    client, regulator, registry, areas
):
    nobody_covers = ExpertiseAreaFactory(slug="estates", name="Estates and facilities")
    stranded = TrustFactory(ods_code="RS8", name="Stranded Example NHS Trust", latitude=52.2, longitude=0.12)
    ImprovementNeedFactory(trust=stranded, area=nobody_covers, priority=3)
    run = _wave(regulator, registry["supported"], stranded)
    client.force_login(regulator)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "Trusts given a buddy" in page
    assert "1 of 2 (at most 1 could each have one at once)" in page
    unserved = page[page.index('id="wave-unserved"') : page.index('id="wave-results"')]
    assert "Stranded Example NHS Trust" in unserved
    assert "No trust in the pool covers any of its needs at the covering strength" in unserved
    assert "Method: Best teams" in page
    served = page[page.index('<tr class="govuk-table__row" data-ods-code="RS9">') :]
    served = served[: served.index("</tr>")]
    assert "km, about" in served and "govuk-tag" in served


def test_a_wave_recorded_before_unserved_reasons_were_kept_still_shows(client, regulator, registry):
    run = MatchRun.objects.create(
        kind=MatchRun.Kind.WAVE,
        status=MatchRun.Status.DONE,
        created_by=regulator,
        settings={"k": 1, "method": "coverage", "pool_only": False},
        inputs={"trusts": ["RS9", "RX1"]},
        results={
            "method": "coverage",
            "objective": 0.5,
            "upper_bound": None,
            "exact": True,
            "unallocated": ["RX1"],
            "load": {},
            "elapsed_ms": 3.0,
            "allocations": [
                {
                    "ods_code": "RS9",
                    "name": "Southbank Hospitals NHS Trust",
                    "latitude": 51.498,
                    "longitude": -0.1189,
                    "coverage": 0.5,
                    "unmet_needs": [],
                    "members": [
                        {
                            "ods_code": "RX2",
                            "name": "Southampton Example NHS Foundation Trust",
                            "latitude": 50.9,
                            "longitude": -1.4,
                            "total": 0.8,
                            "assigned_needs": [{"area": "maternity", "name": "Maternity"}],
                        }
                    ],
                },
                {
                    "ods_code": "RX1",
                    "name": "Oxford Example NHS Foundation Trust",
                    "latitude": 51.75,
                    "longitude": -1.26,
                    "coverage": 0,
                    "unmet_needs": [],
                    "members": [],
                },
            ],
        },
        progress=100,
    )
    client.force_login(regulator)
    response = client.get(run.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Trusts given a team" in page and "1 of 2" in page
    unserved = page[page.index('id="wave-unserved"') : page.index('id="wave-results"')]
    assert "Oxford Example NHS Foundation Trust" in unserved
    assert "Not recorded for this run" in unserved


def test_the_wave_form_offers_pool_only_and_the_run_says_so(
    client, regulator, registry, django_capture_on_commit_callbacks
):
    client.force_login(regulator)
    page = client.get(reverse("matching:wave")).content.decode()
    assert "Only accredited members of the superbuddy framework pool" in page
    assert "Include trusts that are receiving support themselves" in page
    data = _form(size="2", method="coverage", trusts=["RS9"], pool_only="on", include_receiving_support="on")
    with django_capture_on_commit_callbacks():
        response = client.post(reverse("matching:wave"), data)
    run = MatchRun.objects.get(kind="wave")
    wave_run_execute(run_id=run.pk)  # what the queued task does
    assert (run.settings["pool_only"], run.settings["include_receiving_support"]) == (True, True)
    page = client.get(response.url).content.decode()
    assert "Framework pool members only (any live framework)." in page
    # No trust is an accredited pool member here, so none can be given: the page says why.
    assert "0 of 1 (at most 0 could each have one at once)" in page
    assert "Every trust that covers its needs is excluded for it" in page


def test_a_wave_can_be_limited_to_one_frameworks_pool(
    client, regulator, registry, areas, django_capture_on_commit_callbacks
):
    from arrangements.tests.test_call_offs import live_pool

    first = live_pool(name="Framework A", members=[registry["oxford"]], regulator=regulator, finance=areas["finance"])
    live_pool(name="Framework B", members=[registry["southampton"]], regulator=regulator, finance=areas["finance"])
    client.force_login(regulator)
    assert "Any live framework" in client.get(reverse("matching:wave")).content.decode()
    # Choosing a framework makes the wave pool-only, with that framework's members alone.
    data = _form(size="2", method="coverage", trusts=["RS9"], framework=str(first.pk))
    with django_capture_on_commit_callbacks():
        response = client.post(reverse("matching:wave"), data)
    run = MatchRun.objects.get(kind="wave")
    wave_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert (run.settings["pool_only"], run.settings["framework"]) == (True, first.pk)
    (allocation,) = run.results["allocations"]
    assert [member["ods_code"] for member in allocation["members"]] == ["RX1"]
    assert "Members of the Framework A pool only." in client.get(response.url).content.decode()

    bad = client.post(reverse("matching:wave"), _form(size="2", method="coverage", trusts=["RS9"], framework="99999"))
    assert "Select a framework pool from the list" in bad.content.decode()
    assert MatchRun.objects.filter(kind="wave").count() == 1


def test_a_shortlist_recorded_before_completeness_and_labels_were_kept_still_shows(client, regulator, run):
    for key in ("warnings", "not_covering", "met_by_existing"):
        del run.results[key]
    for candidate in run.results["ranked"]:
        for key in ("missing", "completeness", "flags", "band_label"):
            del candidate[key]
        for criterion in candidate["criteria"]:
            del criterion["known"]
    run.save(update_fields=["results"])
    client.force_login(regulator)
    response = client.get(run.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Not known" not in page and "Profile 5 of 5 known" not in page
    assert "Within the ideal travel time</strong> 84 km" in page  # the label from the band alone
