"""The export services on their own: the audit record, queueing, claiming once, reclaiming, failing readably."""

import datetime as dt

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from reports import exports, services
from reports.models import EXPORT_STALE_AFTER, ExportJob, ExportRecord

pytestmark = pytest.mark.django_db


def queued(user, **fields):
    values = {
        "requested_by": user,
        "report": "register",
        "file_format": "csv",
        "total_rows": 4,
        "download_name": "arrangements-register-2027-06-15.csv",
    }
    return ExportJob.objects.create(**{**values, **fields})


def test_an_export_record_holds_who_which_report_filters_rows_format_and_when(regulator, clock):
    record = services.export_record(
        user=regulator,
        report="value-for-money",
        file_format="xlsx",
        filters={"status": ["active"], "region": ["london"]},
        row_count=12,
    )
    stored = ExportRecord.objects.get(pk=record.pk)
    assert (stored.user, stored.report, stored.file_format, stored.row_count, stored.job) == (
        regulator,
        "value-for-money",
        "xlsx",
        12,
        None,
    )
    assert stored.filters == {"status": ["active"], "region": ["london"]}
    assert stored.created_at == timezone.now()  # the stopped clock


def test_queueing_an_export_creates_a_waiting_job_and_enqueues_it_after_commit(
    regulator, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = services.export_job_create(
            user=regulator, report="endings", file_format="xlsx", filters={"tier": ["targeted"]}, total_rows=6
        )
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.requested_by, job.report, job.file_format, job.filters, job.total_rows, job.status) == (
        regulator,
        "endings",
        "xlsx",
        {"tier": ["targeted"]},
        6,
        "pending",
    )
    assert job.download_name == "endings-by-reason-2026-09-01.xlsx"


@pytest.mark.parametrize(("report", "file_format"), [("register", "pdf"), ("no-such-report", "csv")])
def test_only_a_known_report_as_csv_or_xlsx_can_be_queued(regulator, report, file_format):
    with pytest.raises(ValueError, match="Cannot queue"):
        services.export_job_create(user=regulator, report=report, file_format=file_format, filters={}, total_rows=9)
    assert not ExportJob.objects.exists()


def test_a_job_is_claimed_once(regulator, clock):
    job = queued(regulator)
    assert services.export_job_claim(job_id=job.pk) is True
    assert services.export_job_claim(job_id=job.pk) is False  # a second delivery does not claim it again
    job.refresh_from_db()
    assert (job.status, job.started_at) == ("running", timezone.now())


def test_executing_twice_writes_the_file_and_the_record_once(programme, regulator):
    job = queued(regulator)
    assert services.export_job_execute(job_id=job.pk) is True
    assert services.export_job_execute(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.rows_written, job.progress) == ("done", 4, 100)
    record = ExportRecord.objects.get()
    assert (record.job, record.user, record.report, record.file_format, record.row_count, record.filters) == (
        job,
        regulator,
        "register",
        "csv",
        4,
        {},
    )


def test_a_missing_job_is_not_executed(db):
    assert services.export_job_execute(job_id=999_999) is False


def test_a_job_running_on_a_live_worker_is_busy_until_its_claim_would_be_stale(programme, regulator):
    started = timezone.now() - dt.timedelta(minutes=5)
    job = queued(regulator, status="running", started_at=started, progress=30)
    assert services.export_job_claim(job_id=job.pk) is False
    with pytest.raises(services.ExportJobBusy) as busy:
        services.export_job_execute(job_id=job.pk)
    assert busy.value.stale_at == started + EXPORT_STALE_AFTER
    job.refresh_from_db()
    assert (job.status, job.progress, job.started_at) == ("running", 30, started)  # left alone


def test_a_job_whose_worker_died_is_reclaimed_and_written(programme, regulator, settings):
    """Running for longer than the task's hard time limit allows: its worker is gone, so a redelivery takes it."""
    job = queued(regulator, status="running", started_at=timezone.now() - EXPORT_STALE_AFTER - dt.timedelta(seconds=1))
    leftover = settings.EXPORTS_DIR / f"{job.pk}-deadbeefdeadbeef.csv"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half a file")
    other_job_file = settings.EXPORTS_DIR / f"{job.pk}0-cafecafecafecafe.csv"
    other_job_file.write_bytes(b"another job's file")

    assert services.export_job_execute(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.rows_written, job.started_at) == ("done", 4, timezone.now())
    assert not leftover.exists()  # the dead worker's half-written file is gone
    assert other_job_file.exists()
    assert ExportRecord.objects.filter(job=job).count() == 1


def test_restarting_starts_again_a_waiting_failed_or_stale_job_only(
    regulator, clock, django_capture_on_commit_callbacks
):
    stale_start = timezone.now() - EXPORT_STALE_AFTER - dt.timedelta(seconds=1)
    cases = {
        "pending": (queued(regulator), True),
        "failed": (queued(regulator, status="failed", error=services.UNEXPECTED), True),
        "stale": (queued(regulator, status="running", started_at=stale_start), True),
        "running": (queued(regulator, status="running", started_at=timezone.now()), False),
        "done": (queued(regulator, status="done", file="1-abc.csv"), False),
    }
    for name, (job, restartable) in cases.items():
        assert job.can_restart is restartable, name
        with django_capture_on_commit_callbacks() as callbacks:
            assert services.export_job_restart(job=job) is restartable, name
        assert len(callbacks) == (1 if restartable else 0), name
        job.refresh_from_db()
        if restartable:
            assert (job.status, job.error, job.started_at, job.progress) == ("pending", "", None, 0), name
        else:
            assert job.status in {"running", "done"}, name


def test_a_job_that_can_no_longer_be_seen_fails_with_the_reason(programme, executive):
    job = queued(executive, report="pool-coverage", total_rows=1)  # regulator staff only
    services.export_job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "You can no longer see this report")


def test_an_unexpected_error_fails_the_job_readably_and_leaves_no_file(programme, regulator, settings, monkeypatch):
    def broken(columns, rows, target, **kwargs):
        target.write(b"partial")
        raise KeyError("internal detail")

    monkeypatch.setattr(exports, "write_csv", broken)
    job = queued(regulator)
    assert services.export_job_execute(job_id=job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.error, job.file.name) == ("failed", services.UNEXPECTED, "")
    assert job.finished_at is not None
    assert list(settings.EXPORTS_DIR.iterdir()) == []
    assert not ExportRecord.objects.exists()


def test_an_export_stopped_at_the_time_limit_says_so(programme, regulator, monkeypatch):
    def too_slow(columns, rows, target, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(exports, "write_csv", too_slow)
    job = queued(regulator)
    services.export_job_execute(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", services.TOO_LONG)
