"""Reports keep two records: every export made (an audit trail), and large exports queued for a worker."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible


class ReportKind(models.TextChoices):
    REGISTER = "register", "Arrangements register"
    REVIEW_COMPLIANCE = "review-compliance", "Review compliance"
    ENDINGS = "endings", "Endings by reason"
    VALUE_FOR_MONEY = "value-for-money", "Value for money"
    TIME_TO_AGREEMENT = "time-to-agreement", "Time from needs recorded to buddy agreed"
    POOL_COVERAGE = "pool-coverage", "Pool coverage and capacity"
    OUTCOMES = "outcomes", "Outcomes: trusts that left special measures while buddied"
    INFORMAL_ARRANGEMENTS = "informal-arrangements", "Register of informal arrangements"
    PACK = "pack", "Arrangement pack"


class FileFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (XLSX)"
    PDF = "pdf", "PDF"


def _in(field: str, choices: type[models.Choices]) -> Q:
    return Q(**{f"{field}__in": list(choices.values)})


@deconstructible
class ExportsStorage(FileSystemStorage):
    """Files of queued exports, under settings.EXPORTS_DIR (read on every access, so tests can move it).

    Never served at a public URL: reports.views.export_job_download checks who asks first.
    """

    def __init__(self) -> None:
        super().__init__()

    @property
    def base_location(self) -> str:
        return str(settings.EXPORTS_DIR)

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def base_url(self) -> None:  # type: ignore[override]
        return None


class ExportRecord(models.Model):
    """One export someone made: who, which report, with which filters, how many rows, in which format, when."""

    Report = ReportKind
    Format = FileFormat

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    report = models.CharField(max_length=30, choices=ReportKind.choices)
    file_format = models.CharField("format", max_length=10, choices=FileFormat.choices)
    filters = models.JSONField(
        default=dict, blank=True, help_text="The filters as given, for example {'status': ['active']}"
    )
    row_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # Set when the export was too large to download at once and a worker wrote it.
    job = models.OneToOneField("ExportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="record")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_in("report", ReportKind), name="export_record_report_valid"),
            models.CheckConstraint(condition=_in("file_format", FileFormat), name="export_record_format_valid"),
        ]
        indexes = [
            # The reports page lists the signed-in user's recent exports (reports.selectors.recent_exports).
            models.Index(fields=["user", "-created_at"], name="export_record_user_recent_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_report_display()} as {self.get_file_format_display()}: {self.row_count} rows "
            f"by {self.user} on {timezone.localtime(self.created_at):%d %b %Y %H:%M}"
        )


# reports.tasks.run_export's time limits: an export of a few hundred thousand rows takes minutes.
EXPORT_SOFT_TIME_LIMIT = 1800
EXPORT_TIME_LIMIT = 1860
# A worker is killed at the hard limit, so a job still "running" this long after it was claimed has no live
# worker (it died, or was killed mid-export) and may be claimed again. The margin covers clocks and queueing.
EXPORT_STALE_AFTER = dt.timedelta(seconds=EXPORT_TIME_LIMIT + 300)


def _stale_q() -> Q:
    before = timezone.now() - EXPORT_STALE_AFTER
    return Q(status="running") & (Q(started_at__lt=before) | Q(started_at__isnull=True))


class ExportJobQuerySet(models.QuerySet["ExportJob"]):
    # Conditions on the row itself, never a subquery: PostgreSQL re-checks them on the locked row when two
    # workers UPDATE at once, so only one claim wins.

    def stale(self) -> ExportJobQuerySet:
        """Running, but claimed longer ago than a live worker could still be writing it: its worker died."""
        return self.filter(_stale_q())

    def claimable(self) -> ExportJobQuerySet:
        """What a worker may claim (reports.services.export_job_claim): waiting, or running but stale."""
        return self.filter(Q(status="pending") | _stale_q())

    def restartable(self) -> ExportJobQuerySet:
        """What its owner may start again (reports.services.export_job_restart): waiting, failed, or stale."""
        return self.filter(Q(status__in=["pending", "failed"]) | _stale_q())


class ExportJob(models.Model):
    """An export too large to download at once: a Celery task writes the file and reports progress."""

    Report = ReportKind
    Format = FileFormat

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Being prepared"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    report = models.CharField(max_length=30, choices=ReportKind.choices)
    file_format = models.CharField("format", max_length=10, choices=FileFormat.choices)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    total_rows = models.PositiveIntegerField(default=0, help_text="Rows expected when the export was asked for")
    rows_written = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=ExportsStorage(), blank=True, max_length=300)
    download_name = models.CharField(max_length=200, help_text="The file name offered to the browser")
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=_in("report", ReportKind), name="export_job_report_valid"),
            models.CheckConstraint(condition=_in("file_format", FileFormat), name="export_job_format_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed"]), name="export_job_status_valid"
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_job_progress_percent"),
            models.CheckConstraint(condition=~Q(status="done") | ~Q(file=""), name="export_job_done_has_file"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_report_display()} as {self.get_file_format_display()} for {self.requested_by} "
            f"({self.get_status_display().lower()})"
        )

    def get_absolute_url(self) -> str:
        return reverse("reports:export-job", kwargs={"pk": self.pk})

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def is_stale(self) -> bool:
        """Still "running" past the time any live worker could take (ExportJobQuerySet.stale, for one job)."""
        if self.status != self.Status.RUNNING:
            return False
        return self.started_at is None or self.started_at < timezone.now() - EXPORT_STALE_AFTER

    @property
    def can_restart(self) -> bool:
        return self.status in {self.Status.PENDING, self.Status.FAILED} or self.is_stale

    @property
    def path(self) -> Path:
        return Path(self.file.path)
