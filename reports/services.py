"""Writes for reports: the export audit record, and queued exports (created, then run once by a worker)."""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buddying.models import User
from reports import exports, selectors
from reports.filters import apply_filters, filters_from_json
from reports.models import ExportJob, ExportRecord
from reports.permissions import can_view_report, reportable_arrangements

logger = logging.getLogger(__name__)

# Exports with more rows than this are written by a worker; smaller ones download at once.
DEFAULT_ASYNC_ROWS = 5000


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

    # robust: if the broker is down the export stays "waiting to start" and can be started again;
    # the request that asked for it must not fail.
    transaction.on_commit(lambda: run_export.delay(job.pk), robust=True)


def export_job_restart(*, job: ExportJob) -> None:
    """Enqueue a waiting export again (after a broker outage). Does nothing to one that has started."""
    if job.status == ExportJob.Status.PENDING:
        _enqueue(job)


def export_job_execute(*, job_id: int) -> bool:
    """Write a queued export once. Returns False if another worker has claimed it already.

    The claim is a conditional UPDATE (pending -> running), so a task delivered twice writes once.
    The rows are scoped to the person who asked, as they are when they download at once.
    """
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return False
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    name = f"{job.pk}-{secrets.token_hex(8)}.{job.file_format}"
    storage = job.file.storage
    path = None
    try:
        definition = selectors.report_definition(job.report)
        if definition is None or not can_view_report(job.requested_by, job.report):
            raise PermissionError("You can no longer see this report")
        queryset = reportable_arrangements(job.requested_by)
        if definition.filterable:
            report_filter, valid = apply_filters(queryset, filters_from_json(job.filters))
            if not valid:
                raise ValueError("The filters are not valid")
            queryset = report_filter.qs
        context = selectors.Context()
        total = max(job.total_rows, 1)
        last = [0]

        def progress(rows: int) -> None:
            percent = min(99, rows * 100 // total)
            if percent >= last[0] + 5:
                last[0] = percent
                ExportJob.objects.filter(pk=job_id).update(progress=percent, rows_written=rows)

        rows = selectors.report_rows(definition, queryset, context)
        path = storage.path(name)
        os.makedirs(storage.location, exist_ok=True)
        with open(path, "wb") as target:
            if job.file_format == ExportJob.Format.CSV:
                written = exports.write_csv(definition.columns, rows, target, on_rows=progress)
            else:
                written = exports.write_xlsx(definition.columns, rows, target, title=definition.title, on_rows=progress)
    except Exception as error:
        logger.exception("Export %s failed", job_id)
        if path is not None:
            storage.delete(name)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.FAILED, error=str(error) or error.__class__.__name__, finished_at=timezone.now()
        )
        return True
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
    return True
