from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from reports.models import ExportJob, ExportRecord


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    """The audit trail of exports: read-only, as it is written only by reports.services."""

    list_display = ["created_at", "user", "report", "file_format", "row_count", "filters"]
    list_filter = ["report", "file_format"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ExportRecord | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ExportRecord | None = None) -> bool:
        # An audit trail no one can edit or delete, superusers included.
        return False


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "requested_by", "report", "file_format", "status", "progress", "rows_written"]
    list_filter = ["status", "report", "file_format"]
    list_select_related = ["requested_by"]
    # The file is never served at a public URL (ExportsStorage has none; only reports.views.export_job_download
    # gives it, to the person who asked), so the page names it and links to that view rather than the file itself,
    # which Django admin would try to link to and fail.
    fields = [
        "requested_by",
        "report",
        "file_format",
        "filters",
        "status",
        "progress",
        "total_rows",
        "rows_written",
        "file_name",
        "download_name",
        "error",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = fields  # type: ignore[assignment]  # django-stubs type `fields` as groups; these are names

    @admin.display(description="file")
    def file_name(self, job: ExportJob) -> str:
        if not job.file:
            return "No file yet"
        return format_html(
            '{} (<a href="{}">the export\'s page</a>)', job.file.name, reverse("reports:export-job", args=[job.pk])
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ExportJob | None = None) -> bool:
        return False
