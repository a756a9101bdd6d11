"""Wave allocations run on a real Celery worker against Redis, once each."""

import time

import pytest

from matching.models import MatchRun
from matching.services import match_settings_build, wave_run_create
from matching.tasks import run_wave_allocation


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the worker")


@pytest.mark.django_db(transaction=True)
def test_a_queued_wave_is_run_by_the_worker_after_commit(registry, regulator, celery_worker):
    run = wave_run_create(trusts=[registry["supported"]], by=regulator, settings=match_settings_build(), k=2)
    done = wait_for(lambda: MatchRun.objects.filter(pk=run.pk, status="done").first())
    assert done.progress == 100
    assert done.results["allocations"][0]["ods_code"] == "RS9"


@pytest.mark.django_db(transaction=True)
def test_a_task_delivered_twice_runs_the_allocation_once(registry, regulator, celery_worker):
    queued = wave_run_create(trusts=[registry["supported"]], by=regulator, settings=match_settings_build(), k=2)
    wait_for(lambda: MatchRun.objects.filter(pk=queued.pk, status="done").exists())
    # A second pending run, delivered twice (as acks_late redelivery after a worker crash would).
    run = MatchRun.objects.create(kind="wave", settings=queued.settings, inputs=queued.inputs, created_by=regulator)
    first, second = run_wave_allocation.delay(run.pk), run_wave_allocation.delay(run.pk)
    outcomes = sorted([first.get(timeout=30), second.get(timeout=30)])
    assert outcomes == [False, True]
    assert MatchRun.objects.get(pk=run.pk).status == "done"
