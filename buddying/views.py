"""Trust registry pages. Each view: fetch, check permission (buddying.permissions), call a service, redirect."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from buddying import permissions, security, selectors, services
from buddying.filters import TrustFilter
from buddying.forms import (
    AccountPasswordChangeForm,
    AccountPasswordResetForm,
    AccountSetPasswordForm,
    CultureProfileForm,
    ExpertiseForm,
    ImprovementNeedsForm,
    InviteForm,
    RelationshipForm,
    RelationshipRemoveForm,
    SignInForm,
    SignupForm,
    TrustProfileForm,
)
from buddying.http import AuthenticatedHttpRequest
from buddying.models import CultureProfile, SignupInvitation, Trust, User
from buddying.worklist import worklist_for

if TYPE_CHECKING:
    from buddying.forms import _PerAreaForm

PAGE_SIZES = (25, 50, 100)


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "buddying/home.html",
        {
            "worklist": worklist_for(user),
            "summary": None if user.is_trust_executive else selectors.registry_summary(),
        },
    )


def _page_size(request: AuthenticatedHttpRequest) -> int:
    try:
        size = int(request.GET.get("per_page", PAGE_SIZES[0]))
    except ValueError:
        return PAGE_SIZES[0]
    return size if size in PAGE_SIZES else PAGE_SIZES[0]


def _query_without(request: AuthenticatedHttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def trust_directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    trust_filter = TrustFilter(request.GET or None, queryset=Trust.objects.for_directory())
    trusts: QuerySet[Trust] = trust_filter.qs
    page = Paginator(trusts, _page_size(request)).get_page(request.GET.get("page"))
    return render(
        request,
        "buddying/trust_directory.html",
        {
            "filter": trust_filter,
            "page": page,
            "page_size": page.paginator.per_page,
            "page_sizes": PAGE_SIZES,
            "current_sort": request.GET.get("sort", "name"),
            "query_without_page": _query_without(request, "page"),
            "query_without_sort": _query_without(request, "page", "sort"),
            "query_for_map": _query_without(request, "page", "per_page", "sort"),
            "sortable_columns": TrustFilter.SORTABLE_COLUMNS,
        },
    )


def trust_map(request: AuthenticatedHttpRequest) -> HttpResponse:
    trust_filter = TrustFilter(request.GET or None, queryset=Trust.objects.all())
    markers = selectors.map_markers(trust_filter.qs.order_by())
    return render(
        request,
        "buddying/trust_map.html",
        {
            "filter": trust_filter,
            "markers": markers,
            "legend": [(label, selectors.STATUS_COLOURS[value]) for value, label in Trust.ImprovementStatus.choices],
            "query_for_directory": _query_without(request, "page"),
        },
    )


def trust_detail(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    try:
        summary = Trust.objects.only("pk").get(ods_code=ods_code)
    except Trust.DoesNotExist:
        raise Http404("No trust matches the given query.") from None
    include_private = permissions.can_view_private_trust_data(request.user, summary)
    trust = selectors.trust_for_profile(ods_code=ods_code, include_private=include_private)
    culture = getattr(trust, "culture", None) if include_private else None
    can_edit = permissions.can_edit_trust(request.user, trust)
    return render(
        request,
        "buddying/trust_detail.html",
        {
            "trust": trust,
            "include_private": include_private,
            "can_edit": can_edit,
            "can_edit_regulated": permissions.is_regulator_or_admin(request.user),
            # Only people who can fill the gaps see them; the culture profile is private to them.
            "completeness": selectors.trust_profile_completeness(trust) if can_edit and include_private else None,
            "culture": culture,
            "culture_scores": culture.scores() if culture else [],
            "marker": selectors.map_markers(Trust.objects.filter(pk=trust.pk)),
            "relationships": selectors.trust_relationships(trust=trust, user=request.user),
            "can_add_relationship": permissions.can_enter_relationship_for(request.user, trust) and not trust.is_closed,
        },
    )


@require_http_methods(["GET", "POST"])
def trust_edit(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = permissions.get_trust_for_edit_or_404(request.user, ods_code)
    regulated = permissions.is_regulator_or_admin(request.user)
    form = TrustProfileForm(request.POST or None, instance=trust, can_edit_regulated_fields=regulated)
    if request.method == "POST" and form.is_valid():
        services.trust_update_profile(
            trust=trust, by=request.user, fields=form.profile_fields(), services=form.cleaned_data["services"]
        )
        messages.success(request, "Profile saved")
        return redirect(trust)
    return render(request, "buddying/trust_form.html", {"trust": trust, "form": form, "title": "Edit profile"})


@require_http_methods(["GET", "POST"])
def trust_culture_edit(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = permissions.get_trust_for_edit_or_404(request.user, ods_code)
    instance = CultureProfile.objects.filter(trust=trust).first()
    form = CultureProfileForm(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        services.culture_profile_save(trust=trust, by=request.user, fields=form.cleaned_data)
        messages.success(request, "Culture profile saved")
        return redirect(trust)
    return render(request, "buddying/trust_form.html", {"trust": trust, "form": form, "title": "Culture profile"})


def _per_area_edit(
    request: AuthenticatedHttpRequest,
    ods_code: str,
    *,
    form_class: type[_PerAreaForm],
    related: str,
    save: Any,
    title: str,
    saved: str,
) -> HttpResponse:
    trust = permissions.get_trust_for_edit_or_404(request.user, ods_code)
    current = {
        entry.area_id: (getattr(entry, form_class.level_attribute), getattr(entry, form_class.note_attribute))
        for entry in getattr(trust, related).all()
    }
    form = form_class(request.POST or None, areas=selectors.expertise_areas(), initial_entries=current)
    if request.method == "POST" and form.is_valid():
        save(trust=trust, by=request.user, entries=form.entries())
        messages.success(request, saved)
        return redirect(trust)
    return render(request, "buddying/trust_form.html", {"trust": trust, "form": form, "title": title})


@require_http_methods(["GET", "POST"])
def trust_expertise_edit(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    return _per_area_edit(
        request,
        ods_code,
        form_class=ExpertiseForm,
        related="expertise",
        save=services.trust_set_expertise,
        title="Expertise",
        saved="Expertise saved",
    )


@require_http_methods(["GET", "POST"])
def trust_needs_edit(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    return _per_area_edit(
        request,
        ods_code,
        form_class=ImprovementNeedsForm,
        related="needs",
        save=services.trust_set_needs,
        title="Improvement needs",
        saved="Improvement needs saved",
    )


# Known relationships between trusts: recorded from a trust's page, answered by the other trust's executives.


@require_http_methods(["GET", "POST"])
def trust_relationship_new(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    """Record a relationship of this trust with another. An executive may do so for their own trust only (another
    trust's page is a 404); it then waits for the other trust to confirm it."""
    trust = permissions.get_trust_for_edit_or_404(request.user, ods_code)
    form = RelationshipForm(request.POST or None, trust=trust)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            relationship = services.relationship_create(
                by=request.user,
                trust=trust,
                other=data["other"],
                kind=data["kind"],
                description=data["description"],
                started_on=data["started_on"],
                ended_on=data["ended_on"],
            )
        except PermissionDenied:
            raise Http404("No trust matches the given query.") from None
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            if relationship.is_confirmed:
                messages.success(request, f"Relationship with {data['other'].name} recorded")
            else:
                messages.success(
                    request,
                    f"Relationship with {data['other'].name} recorded. It counts in matching once "
                    f"{data['other'].name} confirms it; their executives have been told.",
                )
            return redirect(reverse("trust-detail", kwargs={"ods_code": trust.ods_code}) + "#relationships")
    return render(request, "buddying/trust_form.html", {"trust": trust, "form": form, "title": "Record a relationship"})


def _relationship_answer(request: AuthenticatedHttpRequest, pk: int, *, confirm: bool) -> HttpResponse:
    relationship = permissions.get_relationship_to_answer_or_404(request.user, pk)
    # Back to the page it was answered from: the answering trust's (an executive's own trust, or the trust regulator
    # staff answered for).
    answering = relationship.answering_trust
    entered_for = relationship.other_than(answering.pk) if answering else relationship.trust_a
    try:
        if confirm:
            services.relationship_confirm(relationship=relationship, by=request.user)
        else:
            services.relationship_decline(relationship=relationship, by=request.user)
    except services.RelationshipNotPending as answered:
        messages.error(
            request, f"The relationship with {entered_for.name} was not changed: it is already {answered.status}"
        )
    else:
        verb = "confirmed" if confirm else "declined"
        messages.success(request, f"Relationship with {entered_for.name} {verb}")
    page = answering or relationship.trust_a
    return redirect(reverse("trust-detail", kwargs={"ods_code": page.ods_code}) + "#relationships")


@require_POST
def relationship_confirm(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _relationship_answer(request, pk, confirm=True)


@require_POST
def relationship_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _relationship_answer(request, pk, confirm=False)


@require_http_methods(["GET", "POST"])
def relationship_remove(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Remove a relationship recorded in error or no longer true, with a reason: an executive of either trust, or
    regulator staff (anyone else: 404)."""
    relationship = permissions.get_relationship_to_remove_or_404(request.user, pk)
    own = request.user.trust_id in {relationship.trust_a_id, relationship.trust_b_id}
    page = relationship.trust_b if own and request.user.trust_id == relationship.trust_b_id else relationship.trust_a
    other = relationship.other_than(page.pk)
    form = RelationshipRemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.relationship_remove(relationship=relationship, by=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, f"Relationship with {other.name} removed: matching no longer counts it")
        return redirect(reverse("trust-detail", kwargs={"ods_code": page.ods_code}) + "#relationships")
    title = f"Remove the relationship with {other.name} ({relationship.get_kind_display().lower()})"
    return render(request, "buddying/trust_form.html", {"trust": page, "form": form, "title": title})


# People: invitations by email, signing up from one, the People page, your account and passwords.

PEOPLE_PAGE_SIZE = 50
# Signing someone in straight after they chose a password: the backend that checks passwords (there may be
# others, such as a lockout checker, that cannot sign anyone in).
SIGN_IN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Regulator staff and admins: every account and invitation; an executive: their own trust's."""
    permissions.require_can_see_people(request.user)
    page = Paginator(selectors.people_visible_to(request.user), PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "buddying/people.html",
        {
            "page": page,
            "query_without_page": _query_without(request, "page"),
            "invitations": list(selectors.open_invitations_visible_to(request.user)),
            "sees_everyone": permissions.is_regulator_or_admin(request.user),
        },
    )


def _safe_next(request: AuthenticatedHttpRequest) -> str:
    """Where to go after inviting (e.g. back to a call-off), if it is a page of this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


@require_http_methods(["GET", "POST"])
def people_invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Invite someone by email. `?trust=<ODS>` chooses the trust (another page links here for a trust with
    no executive); an executive may name only their own trust (any other is a 404, and nothing is sent)."""
    user = request.user
    roles = permissions.invitable_roles(user)
    if not roles:
        raise Http404("Page not found.")
    requested_ods = (request.POST.get("trust") or request.GET.get("trust") or "").strip()
    fixed_trust = None
    initial: dict[str, Any] = {}
    if not permissions.is_regulator_or_admin(user):
        fixed_trust = user.trust
        if fixed_trust is None or (requested_ods and requested_ods != fixed_trust.ods_code):
            raise Http404("No trust matches the given query.")
    elif request.method == "GET" and requested_ods:
        trust = Trust.objects.open().filter(ods_code=requested_ods).first()
        if trust is not None:
            initial = {"trust": trust, "role": User.Role.TRUST_EXECUTIVE}
    form = InviteForm(request.POST or None, roles=roles, fixed_trust=fixed_trust, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.signup_invitation_create(
                by=user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                role=data["role"],
                trust=data["trust"],
            )
        except PermissionDenied:
            raise Http404("No trust matches the given query.") from None
        except ValidationError as error:
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.full_name} at {invitation.email}. "
                f"The link works for {settings.SIGNUP_INVITATION_DAYS} days.",
            )
            return redirect(_safe_next(request) or "people")
    return render(
        request,
        "buddying/people_invite.html",
        {
            "form": form,
            "fixed_trust": fixed_trust,
            "next": _safe_next(request),
            "days": settings.SIGNUP_INVITATION_DAYS,
        },
    )


@require_POST
def people_invitation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = permissions.get_invitation_for_manage_or_404(request.user, pk)
    try:
        invitation = services.signup_invitation_resend(invitation=invitation, by=request.user)
    except services.InvitationNotUsable as refused:
        messages.error(request, f"The invitation to {invitation.full_name} was not sent again: it is {refused.state}")
    else:
        messages.success(
            request,
            f"A new sign-up link is on its way to {invitation.full_name}; the old link no longer works.",
        )
    return redirect("people")


@require_http_methods(["GET", "POST"])
def people_invitation_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = permissions.get_invitation_for_manage_or_404(request.user, pk)
    if request.method == "POST":
        try:
            services.signup_invitation_cancel(invitation=invitation, by=request.user)
        except services.InvitationNotUsable as refused:
            messages.error(
                request, f"The invitation to {invitation.full_name} was not cancelled: it is {refused.state}"
            )
        else:
            messages.success(request, f"Invitation to {invitation.full_name} cancelled: their link no longer works")
        return redirect("people")
    return render(request, "buddying/people_invitation_cancel.html", {"invitation": invitation})


def _signup_unusable(request: HttpRequest, invitation: SignupInvitation | None, token: str) -> HttpResponse:
    return render(
        request,
        "buddying/people_signup_unusable.html",
        {"invitation": invitation, "state": invitation.state if invitation else None, "token": token},
        status=404 if invitation is None else 410,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def people_signup(request: HttpRequest, token: str) -> HttpResponse:
    """The link in an invitation email: see who invited you, choose a password, and you are signed in."""
    invitation = selectors.signup_invitation_for_token(token)
    if invitation is None or invitation.state != SignupInvitation.State.WAITING:
        return _signup_unusable(request, invitation, token)
    form = SignupForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.signup_invitation_accept(invitation=invitation, password=form.cleaned_data["new_password1"])
        except services.InvitationNotUsable:
            invitation.refresh_from_db()
            return _signup_unusable(request, invitation, token)
        except ValidationError:
            form.add_error(
                None,
                "An account with your email address already exists: sign in, or reset your password with "
                "'Forgotten your password?'",
            )
        else:
            login(request, user, backend=SIGN_IN_BACKEND)
            messages.success(request, f"Your account is ready, {user.first_name}. You are signed in.")
            return redirect("home")
    return render(request, "buddying/people_signup.html", {"invitation": invitation, "form": form})


@login_not_required
@require_POST
def people_signup_new_link(request: HttpRequest, token: str) -> HttpResponse:
    """From an expired link: ask the inviter for a new one (once)."""
    invitation = selectors.signup_invitation_for_token(token)
    if invitation is None:
        return _signup_unusable(request, None, token)
    services.signup_invitation_request_new_link(invitation=invitation)
    return redirect("people-signup", token=token)


def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "registration/account.html")


class AccountPasswordChangeView(auth_views.PasswordChangeView):
    form_class = AccountPasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)  # keeps this session signed in; other sessions are signed out
        messages.success(self.request, "Your password has been changed")
        return response


class AccountPasswordResetView(auth_views.PasswordResetView):
    form_class = AccountPasswordResetForm
    template_name = "registration/password_reset_form.html"


class AccountPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class AccountPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = AccountSetPasswordForm
    template_name = "registration/password_reset_confirm.html"
    post_reset_login = True
    post_reset_login_backend = SIGN_IN_BACKEND
    success_url = reverse_lazy("home")

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        security.sign_in_failures_forget(username=form.user.get_username())
        messages.success(self.request, "Your password has been changed. You are signed in.")
        return response
