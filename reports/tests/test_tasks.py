"""Queued exports run on a real Celery worker against Redis, once each."""

import datetime as dt
import time

import pytest
from django.db import transaction
from django.utils import timezone

from arrangements.tests.factories import ArrangementBuddyFactory, ArrangementFactory
from buddying.tests.factories import TrustFactory
from reports import services
from reports.models import EXPORT_STALE_AFTER, ExportJob, ExportRecord
from reports.tasks import run_export


def wait_for(predicate, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for the worker")


@pytest.fixture
def arrangements(transactional_db):
    """Three arrangements of one trust (made without the reports tests' stopped clock: the worker runs in real time)."""
    supported = TrustFactory()
    return [ArrangementBuddyFactory(arrangement=ArrangementFactory(supported=supported)).arrangement for _ in range(3)]


@pytest.mark.django_db(transaction=True)
def test_a_queued_export_is_written_by_the_worker_after_commit(arrangements, regulator, celery_worker):
    with transaction.atomic():
        job = services.export_job_create(user=regulator, report="register", file_format="csv", filters={}, total_rows=3)
    done = wait_for(lambda: ExportJob.objects.filter(pk=job.pk, status="done").first())
    assert (done.progress, done.rows_written) == (100, 3)
    text = done.file.open("rb").read().decode("utf-8-sig")
    assert text.count("\n") == 4
    assert ExportRecord.objects.get(job=done).row_count == 3


@pytest.mark.django_db(transaction=True)
def test_an_export_delivered_twice_is_written_once(arrangements, regulator, celery_worker):
    job = ExportJob.objects.create(
        requested_by=regulator, report="register", file_format="xlsx", total_rows=3, download_name="r.xlsx"
    )
    first, second = run_export.delay(job.pk), run_export.delay(job.pk)
    assert sorted([first.get(timeout=30), second.get(timeout=30)]) == [False, True]
    assert ExportJob.objects.get(pk=job.pk).status == "done"
    assert ExportRecord.objects.filter(job=job).count() == 1


def running_job(user, *, started_at):
    return ExportJob.objects.create(
        requested_by=user,
        report="register",
        file_format="csv",
        total_rows=3,
        download_name="r.csv",
        status="running",
        progress=40,
        started_at=started_at,
    )


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_export_takes_over_a_job_whose_worker_died(arrangements, regulator, celery_worker):
    """The job was claimed longer ago than the hard time limit allows: that worker is gone, so this one writes it."""
    job = running_job(regulator, started_at=timezone.now() - EXPORT_STALE_AFTER - dt.timedelta(minutes=1))
    assert run_export.delay(job.pk).get(timeout=30) is True
    done = ExportJob.objects.get(pk=job.pk)
    assert (done.status, done.rows_written, done.progress) == ("done", 3, 100)
    assert ExportRecord.objects.filter(job=done).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_export_waits_while_another_worker_may_still_be_writing_it(
    arrangements, regulator, celery_worker
):
    """Delivered again (its first worker lost, or a duplicate) while the claim is fresh: the task retries later,
    when the claim would be stale, rather than giving up (which would leave the job running forever)."""
    job = running_job(regulator, started_at=timezone.now())
    result = run_export.delay(job.pk)
    wait_for(lambda: result.state == "RETRY")
    assert ExportJob.objects.filter(pk=job.pk, status="running", progress=40).exists()  # left to its worker
    assert not ExportRecord.objects.exists()
