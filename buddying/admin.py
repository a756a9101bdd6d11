from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from buddying.models import (
    CultureProfile,
    ExpertiseArea,
    ImprovementNeed,
    IntegratedCareSystem,
    Notification,
    ServiceLine,
    SignupInvitation,
    Trust,
    TrustExpertise,
    TrustRelationship,
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


@admin.register(TrustRelationship)
class TrustRelationshipAdmin(SimpleHistoryAdmin):
    """Read-only: relationships are entered and answered on trust pages (buddying.services), which tell the other
    trust; the history shows who entered, confirmed or declined each one."""

    list_display = ["__str__", "kind", "status", "entered_for", "entered_at", "answered_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["trust_a", "trust_b", "entered_for"]
    search_fields = ["trust_a__name", "trust_a__ods_code", "trust_b__name", "trust_b__ods_code"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


admin.site.register(ExpertiseArea)
admin.site.register(ServiceLine)


class _NamedUserForm(forms.ModelForm):
    """Every account has a name (pages name people) and an email (notifications, password reset)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, message in (
            ("first_name", "Enter their first name"),
            ("last_name", "Enter their last name"),
            ("email", "Enter their email address"),
        ):
            if name in self.fields:
                self.fields[name].required = True
                self.fields[name].error_messages["required"] = message


class UserAdminCreationForm(_NamedUserForm, AdminUserCreationForm):
    pass


class UserAdminChangeForm(_NamedUserForm, UserChangeForm):
    pass


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminChangeForm
    add_form = UserAdminCreationForm
    list_display = ["username", "email", "first_name", "last_name", "role", "trust", "last_login"]
    list_filter = ["role", "is_staff", "is_active"]
    list_select_related = ["trust"]
    autocomplete_fields = ["trust"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Role", {"fields": ("role", "trust")}))
    add_fieldsets = (
        (
            None,
            {
                "description": (
                    "To let someone choose their own password, invite them by email from the People page "
                    "(/people/invite/) instead."
                ),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("role", "trust")}),
    )


@admin.register(SignupInvitation)
class SignupInvitationAdmin(SimpleHistoryAdmin):
    """Read only: invitations are sent, sent again and cancelled from the People page."""

    list_display = ["email", "first_name", "last_name", "role", "trust", "created_by", "sent_at", "expires_at"]
    list_filter = ["role"]
    list_select_related = ["trust", "created_by"]
    search_fields = ["email", "first_name", "last_name"]
    exclude = ["token_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SignupInvitation | None = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "created_at", "read_at", "emailed_at"]
    list_select_related = ["recipient"]
