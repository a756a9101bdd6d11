"""Queued exports run on a real Celery worker against Redis, once each."""

import time

import pytest
from django.db import transaction

from arrangements.tests.factories import ArrangementBuddyFactory, ArrangementFactory
from buddying.tests.factories import TrustFactory
from reports import services
from reports.models import ExportJob, ExportRecord
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
