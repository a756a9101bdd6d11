from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from matching.models import BuddyCapacity, MatchRun, Sounding, SoundingResponse, Veto


@admin.register(BuddyCapacity)
class BuddyCapacityAdmin(admin.ModelAdmin):
    list_display = [
        "trust",
        "max_concurrent_arrangements",
        "active_arrangements",
        "senior_staff_days_per_month",
        "staff_days_committed",
        "is_potential_acquirer",
    ]
    list_filter = ["is_potential_acquirer"]
    list_select_related = ["trust"]
    search_fields = ["trust__name", "trust__ods_code"]


@admin.register(Veto)
class VetoAdmin(admin.ModelAdmin):
    list_display = ["supported", "vetoed", "reason", "created_by", "created_at"]
    list_select_related = ["supported", "vetoed", "created_by"]


@admin.register(MatchRun)
class MatchRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "status", "supported", "created_by", "source", "created_at", "engine_ms"]
    list_filter = ["kind", "status", "source"]
    list_select_related = ["supported", "created_by"]
    readonly_fields = [field.name for field in MatchRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:  # runs are only ever made by the engine
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: MatchRun | None = None
    ) -> bool:  # the audit record is never edited
        return False


@admin.register(Sounding)
class SoundingAdmin(SimpleHistoryAdmin):
    """Read-only: soundings change through their pages (matching.sounding_views); the history shows who did what."""

    list_display = ["title", "framework", "tier", "status", "reply_by", "created_by", "created_at"]
    list_filter = ["status", "tier"]
    list_select_related = ["framework", "created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(SoundingResponse)
class SoundingResponseAdmin(SimpleHistoryAdmin):
    list_display = ["trust", "sounding", "willingness", "max_concurrent_arrangements", "incentive", "fee_amount"]
    list_filter = ["willingness", "incentive"]
    list_select_related = ["trust", "sounding"]
    search_fields = ["trust__name", "trust__ods_code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False
