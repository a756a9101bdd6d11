from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from arrangements.models import (
    Arrangement,
    ArrangementBuddy,
    Event,
    Input,
    Milestone,
    Reminder,
    Review,
    ReviewSubmission,
    TermsOfReference,
    Workstream,
)


class ArrangementBuddyInline(admin.TabularInline):
    model = ArrangementBuddy
    extra = 0
    fields = ["buddy", "role", "staff_days_per_month", "is_open"]
    readonly_fields = ["buddy", "is_open"]


@admin.register(Arrangement)
class ArrangementAdmin(SimpleHistoryAdmin):
    """Read the field-by-field audit trail here ("History"). Changes are made through the service pages."""

    list_display = ["title", "supported", "tier", "origin", "status", "next_review_due"]
    list_filter = ["status", "tier", "origin"]
    list_select_related = ["supported"]
    search_fields = ["title", "supported__name", "supported__ods_code"]
    inlines = [ArrangementBuddyInline]

    def has_change_permission(
        self, request: HttpRequest, obj: Arrangement | None = None
    ) -> bool:  # state changes go through arrangements.services
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ["kind", "subject_key", "due_on", "claimed_at", "sent_at", "recipients"]
    list_filter = ["kind"]


# Their field-by-field history (django-simple-history) is under each record's History button.
admin.site.register([TermsOfReference, Review, ReviewSubmission, Workstream, Milestone, Input], SimpleHistoryAdmin)
admin.site.register(Event)
