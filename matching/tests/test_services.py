import datetime as dt

import pytest
from django.utils import timezone

from buddying.tests.factories import TrustFactory
from matching.engine import EngineInputError
from matching.models import MatchRun
from matching.services import (
    match_settings_build,
    shortlist_run,
    team_run,
    wave_run_create,
    wave_run_execute,
    wave_run_restart,
)
from matching.tests.factories import VetoFactory

pytestmark = pytest.mark.django_db


def test_a_shortlist_run_is_recorded_with_its_inputs_weights_results_and_who_ran_it(registry, regulator):
    settings = match_settings_build(weights={"cultural_fit": 50})
    run = shortlist_run(trust=registry["supported"], by=regulator, settings=settings, k=5)
    run.refresh_from_db()
    assert (run.kind, run.status, run.created_by, run.supported) == (
        "shortlist",
        "done",
        regulator,
        registry["supported"],
    )
    assert run.settings["weights"]["cultural_fit"] == 50
    assert run.settings["k"] == 5
    assert [need["area"] for need in run.inputs["needs"]] == ["finance", "maternity"]
    assert run.inputs["pool_size"] == 5
    ranked = [candidate["ods_code"] for candidate in run.results["ranked"]]
    excluded = {entry["ods_code"]: entry["reasons"] for entry in run.results["excluded"]}
    # The neighbour 4 km away in the same ICS is excluded as a competitor, never ranked.
    assert "RN1" not in ranked
    assert any("Too near" in reason for reason in excluded["RN1"])
    assert "RS9" not in excluded and "RS9" not in ranked  # the trust itself is simply not a candidate
    # Newcastle is hundreds of km away: ranked, but warned about overnight stays.
    newcastle = next(c for c in run.results["ranked"] if c["ods_code"] == "RX3")
    assert newcastle["band"] == "overnight"
    assert any("overnight" in warning for warning in newcastle["warnings"])
    assert {c["ods_code"] for c in run.results["ranked"]} == {"RX1", "RX2", "RX3"}
    assert run.engine_ms is not None


def test_a_vetoed_trust_is_excluded_with_that_reason(registry, regulator):
    VetoFactory(supported=registry["supported"], vetoed=registry["oxford"])
    run = shortlist_run(trust=registry["supported"], by=regulator, settings=match_settings_build())
    excluded = {entry["ods_code"]: entry["reasons"] for entry in run.results["excluded"]}
    assert "Vetoed by the supported trust" in excluded["RX1"]
    assert run.inputs["vetoed"] == ["RX1"]


def test_no_credit_for_maternity_from_a_buddy_without_maternity_services(registry, regulator):
    run = team_run(trust=registry["supported"], by=regulator, settings=match_settings_build(), k=2)
    team = run.results["exact"]
    leads = {member["ods_code"]: [need["area"] for need in member["assigned_needs"]] for member in team["members"]}
    # Southampton runs maternity services and is strong in it; Oxford is strongest in finance.
    assert leads["RX2"] == ["maternity"]
    assert "finance" in leads["RX1"]
    assert team["unmet_needs"] == []
    assert run.results["gap"] is not None


def test_a_trust_with_no_needs_gets_a_clear_message_and_no_run(registry, regulator):
    calm = TrustFactory(ods_code="RC0")
    with pytest.raises(EngineInputError, match="RC0 has no improvement needs recorded"):
        shortlist_run(trust=calm, by=regulator, settings=match_settings_build())
    assert not MatchRun.objects.exists()


def test_a_trust_with_no_location_gets_a_clear_message(registry, regulator):
    supported = registry["supported"]
    supported.latitude = supported.longitude = None
    supported.save()
    with pytest.raises(EngineInputError, match="RS9 has no location"):
        shortlist_run(trust=supported, by=regulator, settings=match_settings_build())


@pytest.mark.parametrize(
    ("weights", "geography", "message"),
    [
        ({"cultural_fit": -1}, {}, "must be a number of 0 or more"),
        ({"cultural_fit": 0, "expertise": 0, "geography": 0, "capacity": 0, "structure": 0}, {}, "At least one weight"),
        ({}, {"ideal_max_minutes": 200, "max_minutes": 100}, "at least the ideal travel time"),
    ],
)
def test_invalid_settings_are_refused_with_a_message(weights, geography, message):
    with pytest.raises(EngineInputError, match=message):
        match_settings_build(weights=weights, geography=geography)


def test_a_wave_runs_once_however_often_its_task_is_delivered(registry, regulator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        run = wave_run_create(trusts=[registry["supported"]], by=regulator, settings=match_settings_build(), k=2)
    assert len(callbacks) == 1  # enqueued after commit, not before
    assert run.status == "pending"
    assert wave_run_execute(run_id=run.pk) is True
    assert wave_run_execute(run_id=run.pk) is False
    run.refresh_from_db()
    assert run.status == "done"
    assert run.progress == 100
    allocation = run.results["allocations"][0]
    assert allocation["ods_code"] == "RS9"
    assert {member["ods_code"] for member in allocation["members"]} <= {"RX1", "RX2", "RX3"}


def _queued_wave(registry, regulator):
    return wave_run_create(trusts=[registry["supported"]], by=regulator, settings=match_settings_build(), k=2)


def test_a_wave_whose_worker_died_is_claimed_again_once_stale(registry, regulator, time_machine):
    run = _queued_wave(registry, regulator)
    MatchRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())
    assert wave_run_execute(run_id=run.pk) is False  # still within its time: someone is running it
    time_machine.move_to(timezone.now() + MatchRun.STALE_AFTER + dt.timedelta(seconds=1))
    assert MatchRun.objects.get(pk=run.pk).can_restart
    assert wave_run_execute(run_id=run.pk) is True
    assert MatchRun.objects.get(pk=run.pk).status == "done"


def test_an_unexpected_error_fails_the_wave_with_a_readable_message_and_it_can_be_started_again(
    registry, regulator, django_capture_on_commit_callbacks
):
    run = _queued_wave(registry, regulator)
    good_settings = run.settings
    broken = {key: value for key, value in good_settings.items() if key != "k"}
    MatchRun.objects.filter(pk=run.pk).update(settings=broken)
    assert wave_run_execute(run_id=run.pk) is True
    run.refresh_from_db()
    assert (run.status, run.can_restart) == ("failed", True)
    assert run.error.startswith("The allocation stopped with an unexpected error")
    MatchRun.objects.filter(pk=run.pk).update(settings=good_settings)
    with django_capture_on_commit_callbacks() as callbacks:
        assert wave_run_restart(run=run) is True
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert (run.status, run.error) == ("pending", "")
    assert wave_run_execute(run_id=run.pk) is True
    assert MatchRun.objects.get(pk=run.pk).status == "done"


def test_a_wave_running_normally_or_done_is_not_started_again(registry, regulator):
    run = _queued_wave(registry, regulator)
    MatchRun.objects.filter(pk=run.pk).update(status="running", started_at=timezone.now())
    assert wave_run_restart(run=run) is False
    MatchRun.objects.filter(pk=run.pk).update(status="done")
    assert wave_run_restart(run=run) is False


def test_a_wave_with_a_trust_without_needs_is_refused_before_it_is_queued(registry, regulator):
    with pytest.raises(EngineInputError, match="RC0 has no improvement needs"):
        wave_run_create(
            trusts=[registry["supported"], TrustFactory(ods_code="RC0")], by=regulator, settings=match_settings_build()
        )
    assert not MatchRun.objects.exists()
