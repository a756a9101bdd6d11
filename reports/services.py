"""Writes for reports: the export audit record, and queued exports (created, then run once by a worker)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
from typing import Any, cast

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from arrangements.models import ArrangementQuerySet
from buddying import outbox
from buddying.models import User
from reports import exports, selectors
from reports.filters import apply_filters, filters_from_json
from reports.models import EXPORT_STALE_AFTER, ExportJob, ExportRecord
from reports.permissions import can_view_report, reportable_arrangements

logger = logging.getLogger(__name__)

# Exports with more rows than this are written by a worker; smaller ones download at once.
DEFAULT_ASYNC_ROWS = 5000

# What the owner reads on the export's page when it fails (the details go to the log).
UNEXPECTED = "Something went wrong while preparing the file. Try again; if it fails again, contact the service desk."
TOO_LONG = "The file took too long to prepare and was stopped. Try again, or add filters to export fewer rows."


class ExportFailed(Exception):
    """An export that cannot be written, with a reason its owner can read and act on."""


class ExportJobBusy(Exception):
    """Another worker is writing this export. If that worker has died, it can be claimed again at `stale_at`."""

    def __init__(self, *, job_id: int, stale_at: dt.datetime) -> None:
        super().__init__(f"Export {job_id} is being written by another worker until {stale_at:%Y-%m-%d %H:%M:%S%z}")
        self.job_id = job_id
        self.stale_at = stale_at


def async_threshold() -> int:
    return int(getattr(settings, "REPORTS_ASYNC_ROWS", DEFAULT_ASYNC_ROWS))


def download_name(*, file_stem: str, file_format: str, on: Any = None) -> str:
    """'arrangements-register-2026-11-22.csv': the report and the (Europe/London) date."""
    day = on or timezone.localdate()
    return f"{file_stem}-{day:%Y-%m-%d}.{file_format}"


def export_record(
    *,
    user: User,
    report: str,
    file_format: str,
    filters: dict[str, Any],
    row_count: int,
    job: ExportJob | None = None,
) -> ExportRecord:
    """Record an export: who, which report, which filters, how many rows, which format, when."""
    return ExportRecord.objects.create(
        user=user, report=report, file_format=file_format, filters=filters, row_count=row_count, job=job
    )


@transaction.atomic
def export_job_create(
    *, user: User, report: str, file_format: str, filters: dict[str, Any], total_rows: int
) -> ExportJob:
    """Queue a large export; a Celery task writes it after this transaction commits."""
    definition = selectors.report_definition(report)
    if definition is None or file_format not in {ExportJob.Format.CSV, ExportJob.Format.XLSX}:
        raise ValueError(f"Cannot queue a {file_format} export of {report!r}")
    job = ExportJob.objects.create(
        requested_by=user,
        report=report,
        file_format=file_format,
        filters=filters,
        total_rows=total_rows,
        download_name=download_name(file_stem=definition.file_stem, file_format=file_format),
    )
    _enqueue(job)
    return job


def _enqueue(job: ExportJob) -> None:
    from reports.tasks import run_export

    # Through the outbox: if Redis is down the export waits to start and starts once Redis is back;
    # the request that asked for it neither fails nor waits.
    outbox.enqueue(run_export, job.pk)


def export_job_restart(*, job: ExportJob) -> bool:
    """Start an export again, for its owner: one still waiting (after a broker outage), one that failed, or one
    whose worker died mid-export (still "running" past the task's time limit: ExportJobQuerySet.stale).

    A conditional UPDATE back to pending, then the task is enqueued: one being written, or done, is left alone.
    Returns whether it was started again.
    """
    with transaction.atomic():
        restarted = (
            ExportJob.objects.restartable()
            .filter(pk=job.pk)
            .update(
                status=ExportJob.Status.PENDING, progress=0, rows_written=0, error="", started_at=None, finished_at=None
            )
        )
        if restarted:
            _enqueue(job)
    return bool(restarted)


def export_job_claim(*, job_id: int) -> bool:
    """Claim a queued export for this worker: pending (or running but stale) -> running, in one conditional UPDATE.

    Of two workers that try at once, one wins; a job running on a live worker cannot be claimed.
    """
    return bool(
        ExportJob.objects.claimable()
        .filter(pk=job_id)
        .update(
            status=ExportJob.Status.RUNNING,
            started_at=timezone.now(),
            progress=0,
            rows_written=0,
            error="",
            finished_at=None,
        )
    )


def _delete_leftovers(storage: Any, job_id: int) -> None:
    """Half-written files of a worker that died while writing this job (their names start with its id)."""
    if not os.path.isdir(storage.location):
        return
    _folders, files = storage.listdir("")
    for name in files:
        if name.startswith(f"{job_id}-"):
            storage.delete(name)


def export_job_execute(*, job_id: int) -> bool:
    """Write a queued export once. Returns False if it is finished already (or gone).

    The claim is a conditional UPDATE (export_job_claim), so a task delivered twice writes once. A job another
    worker is still writing raises ExportJobBusy, saying when it could be claimed if that worker has died: a task
    redelivered after its worker was lost (reports.tasks.run_export) waits until then and takes it over.
    The rows are scoped to the person who asked, as they are when they download at once.
    Any error while writing marks the job failed with a message its owner can read, and removes the file.
    """
    if not export_job_claim(job_id=job_id):
        current = ExportJob.objects.filter(pk=job_id).values_list("status", "started_at").first()
        if current is not None and current[0] == ExportJob.Status.RUNNING:
            raise ExportJobBusy(job_id=job_id, stale_at=(current[1] or timezone.now()) + EXPORT_STALE_AFTER)
        return False
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    name = f"{job.pk}-{secrets.token_hex(8)}.{job.file_format}"
    storage = job.file.storage
    try:
        _delete_leftovers(storage, job.pk)
        written = _write(job, storage, name)
        with transaction.atomic():
            ExportJob.objects.filter(pk=job_id).update(
                status=ExportJob.Status.DONE,
                progress=100,
                rows_written=written,
                file=name,
                finished_at=timezone.now(),
            )
            export_record(
                user=job.requested_by,
                report=job.report,
                file_format=job.file_format,
                filters=job.filters,
                row_count=written,
                job=job,
            )
    except Exception as error:
        if isinstance(error, ExportFailed):
            message = str(error)
        elif isinstance(error, SoftTimeLimitExceeded):
            logger.warning("Export %s stopped at the time limit", job_id)
            message = TOO_LONG
        else:
            logger.exception("Export %s failed", job_id)
            message = UNEXPECTED
        try:
            storage.delete(name)  # nothing to do if it was never written
        except OSError:
            logger.exception("Could not delete the partial file of export %s", job_id)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, error=message, finished_at=timezone.now()
        )
    return True


def _write(job: ExportJob, storage: Any, name: str) -> int:
    """Write the job's rows to `name` in the exports storage; returns the number of rows."""
    definition = selectors.report_definition(job.report)
    if definition is None or not can_view_report(job.requested_by, job.report):
        raise ExportFailed("You can no longer see this report")
    queryset = reportable_arrangements(job.requested_by)
    if definition.filterable:
        report_filter, valid = apply_filters(queryset, filters_from_json(job.filters))
        if not valid:
            raise ExportFailed("The filters are not valid")
        queryset = cast(ArrangementQuerySet, report_filter.qs)  # the filter's queryset, narrowed
    context = selectors.Context()
    total = max(job.total_rows, 1)
    last = [0]

    def progress(rows: int) -> None:
        percent = min(99, rows * 100 // total)
        if percent >= last[0] + 5:
            last[0] = percent
            ExportJob.objects.filter(pk=job.pk).update(progress=percent, rows_written=rows)

    rows = selectors.report_rows(definition, queryset, context)
    os.makedirs(storage.location, exist_ok=True)
    with open(storage.path(name), "wb") as target:
        if job.file_format == ExportJob.Format.CSV:
            return exports.write_csv(definition.columns, rows, target, on_rows=progress)
        return exports.write_xlsx(definition.columns, rows, target, title=definition.title, on_rows=progress)
