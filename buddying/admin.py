from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from buddying.models import (
    CultureProfile,
    ExpertiseArea,
    ImprovementNeed,
    IntegratedCareSystem,
    Notification,
    ServiceLine,
    Trust,
    TrustExpertise,
    User,
)


class TrustExpertiseInline(admin.TabularInline):
    model = TrustExpertise
    extra = 0


class ImprovementNeedInline(admin.TabularInline):
    model = ImprovementNeed
    extra = 0


class CultureProfileInline(admin.StackedInline):
    model = CultureProfile
    extra = 0


@admin.register(Trust)
class TrustAdmin(SimpleHistoryAdmin):
    list_display = ["ods_code", "name", "trust_type", "region", "cqc_rating", "improvement_status", "closed_on"]
    list_filter = ["region", "trust_type", "cqc_rating", "improvement_status", "closed_on"]
    list_select_related = ["ics"]
    search_fields = ["ods_code", "name"]
    filter_horizontal = ["services"]
    inlines = [TrustExpertiseInline, ImprovementNeedInline, CultureProfileInline]


@admin.register(IntegratedCareSystem)
class IntegratedCareSystemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]


admin.site.register(ExpertiseArea)
admin.site.register(ServiceLine)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "trust"]
    list_filter = ["role", "is_staff", "is_active"]
    list_select_related = ["trust"]
    autocomplete_fields = ["trust"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Role", {"fields": ("role", "trust")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Role", {"fields": ("role", "trust")}))


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at", "emailed_at"]
    list_select_related = ["recipient"]
