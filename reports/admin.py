from django.contrib import admin

from reports.models import ExportJob, ExportRecord


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    """The audit trail of exports: read-only, as it is written only by reports.services."""

    list_display = ["created_at", "user", "report", "file_format", "row_count", "filters"]
    list_filter = ["report", "file_format"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # An audit trail no one can edit or delete, superusers included.
        return False


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "requested_by", "report", "file_format", "status", "progress", "rows_written"]
    list_filter = ["status", "report", "file_format"]
    list_select_related = ["requested_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
