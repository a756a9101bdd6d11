"""Framework call-offs and the invitations they send. Each view fetches (arrangements.permissions decides what
exists for whom), calls one service from arrangements.services.call_offs, and redirects; the pages' reads are
arrangements.selectors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from arrangements import selectors, services
from arrangements.forms import (
    CallOffInviteForm,
    CallOffStartForm,
    CancelCallOffForm,
    InviteMoreForm,
    PhoneAnswerForm,
    ReplyByForm,
    RespondForm,
    WithdrawInvitationForm,
)
from arrangements.models import CallOff
from arrangements.permissions import (
    can_manage_call_offs,
    get_call_off_or_404,
    get_call_off_party_or_404,
    get_call_off_to_manage_or_404,
)
from arrangements.services import ArrangementError, CallOffAlreadyOpen
from buddying.http import AuthenticatedHttpRequest
from buddying.models import Trust
from matching.models import Framework, MatchRun

# Framework call-offs and invitations -----------------------------------------------------------------------------

# The largest id PostgreSQL and SQLite can compare: a longer number in the query string is simply not found.
_MAX_ID = 2**63 - 1


def _from_query(request: AuthenticatedHttpRequest, name: str, queryset: QuerySet) -> Any:
    """The object named by `?name=<id>`, None when absent; any other value (not a number, unknown) is a 404."""
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > _MAX_ID:
        raise Http404(f"No {name.replace('_', ' ')} matches the given query.")
    return get_object_or_404(queryset, pk=int(value))


def _posted(request: AuthenticatedHttpRequest) -> Any:
    """The posted data, bound even when empty (an empty POST is an answer with nothing chosen, not a blank form)."""
    return request.POST if request.method == "POST" else None


def _start_url(*, supported: Trust, framework: Framework, title: str, tier: str, team_run: MatchRun) -> str:
    query = {
        "supported": supported.pk,
        "framework": framework.pk,
        "title": title,
        "tier": tier,
        "team_run": team_run.pk,
    }
    return f"{reverse('arrangements:call-off-new')}?{urlencode(query)}"


@require_http_methods(["GET", "POST"])
def call_off_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Choose the trust, framework and what the support is for; find the suggested team; then invite any accredited
    member of the framework's pool, each shown with its fit check and free capacity."""
    if not can_manage_call_offs(request.user):
        raise Http404("Page not found.")
    supported = _from_query(request, "supported", Trust.objects.all())
    framework = _from_query(request, "framework", Framework.objects.all())
    team = _from_query(request, "team_run", MatchRun.objects.filter(kind=MatchRun.Kind.TEAM))
    if team is not None and (supported is None or framework is None or team.supported_id != supported.pk):
        raise Http404("No team run matches the given query.")
    initial = selectors.call_off_start_defaults(supported=supported, framework=framework)
    for name in ("title", "tier"):  # as chosen before finding candidates
        if request.GET.get(name):
            initial[name] = request.GET[name][:200]
    action = request.POST.get("action")
    if request.method == "POST" and (action == "find" or team is None):
        form: CallOffStartForm = CallOffStartForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            existing = services.call_off_open_for(supported=data["supported"], framework=data["framework"])
            if existing is not None:
                messages.info(request, str(services.CallOffAlreadyOpen(existing)))
                return redirect(existing)
            try:
                run = services.call_off_find(supported=data["supported"], framework=data["framework"], by=request.user)
            except ArrangementError as error:
                form.add_error(None, str(error))
            else:
                return redirect(
                    _start_url(
                        supported=data["supported"],
                        framework=data["framework"],
                        title=data["title"],
                        tier=data["tier"],
                        team_run=run,
                    )
                )
        return _new_page(request, form, supported=supported)
    if team is None:
        return _new_page(request, CallOffStartForm(initial=initial), supported=supported)

    members = selectors.call_off_invitable(supported=supported, framework=framework)
    if request.method == "POST":
        form = CallOffInviteForm(request.POST, members=members, found_for=(supported, framework))
        if form.is_valid():
            data = form.cleaned_data
            try:
                call_off = services.call_off_start(
                    supported=data["supported"],
                    framework=data["framework"],
                    title=data["title"],
                    tier=data["tier"],
                    by=request.user,
                    chosen=list(data["invite"]),
                    team_run=team,
                    reply_by=data["reply_by"],
                )
            except CallOffAlreadyOpen as error:
                messages.info(request, str(error))
                return redirect(error.call_off)
            except ArrangementError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Invitations sent")
                return redirect(call_off)
        checked = set(request.POST.getlist("invite"))
    else:
        checked = set(selectors.team_suggestion(team))
        form = CallOffInviteForm(
            members=members, found_for=(supported, framework), initial={**initial, "invite": sorted(checked)}
        )
    candidates, problem = selectors.call_off_candidates(supported=supported, framework=framework, team_run=team)
    return _new_page(
        request,
        form,
        supported=supported,
        candidates=candidates,
        problem=problem,
        checked=checked,
        team_run=team,
    )


def _new_page(
    request: AuthenticatedHttpRequest, form: CallOffStartForm, *, supported: Trust | None, **extra: Any
) -> HttpResponse:
    if supported is None and form.is_bound and form.is_valid():
        supported = form.cleaned_data["supported"]
    return render(request, "arrangements/call_off_new.html", {"form": form, "supported": supported, **extra})


@require_http_methods(["GET", "POST"])
def call_off_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    call_off = get_call_off_or_404(request.user, pk)
    page = selectors.call_off_detail(call_off=call_off, user=request.user)
    form = RespondForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        accept, reason = form.cleaned_data["answer"] == "accept", form.cleaned_data["reason"]
        try:
            if page["answering_for_supported"]:
                services.call_off_respond_supported(call_off=call_off, by=request.user, accept=accept, reason=reason)
            elif page["mine"] is not None:
                services.invitation_respond(invitation=page["mine"], by=request.user, accept=accept, reason=reason)
            else:
                raise ArrangementError("There is nothing for you to answer here")
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Answer sent")
            return redirect(call_off)
    return render(
        request,
        "arrangements/call_off_detail.html",
        {"call_off": call_off, "form": form, "can_manage": can_manage_call_offs(request.user), **page},
    )


def invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "arrangements/invitations.html",
        {"rows": selectors.call_off_list(user=request.user)},
    )


# What regulator staff do while a call-off waits ------------------------------------------------------------------


def _closed(request: AuthenticatedHttpRequest, call_off: CallOff) -> HttpResponse | None:
    """A call-off that no longer waits for answers cannot change: back to its page, saying so."""
    if call_off.is_open:
        return None
    messages.error(request, f"This call-off is {call_off.get_status_display().lower()}: it can no longer change")
    return redirect(call_off)


def _form_page(
    request: AuthenticatedHttpRequest,
    call_off: CallOff,
    form: Any,
    *,
    title: str,
    save: Callable[[], Any],
    success: str,
    template: str = "arrangements/call_off_form.html",
    **extra: Any,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, success)
            return redirect(call_off)
    return render(request, template, {"call_off": call_off, "form": form, "title": title, **extra})


@require_http_methods(["GET", "POST"])
def call_off_invite(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Invite more of the framework's pool members, each shown with its fit check and free capacity."""
    call_off = get_call_off_to_manage_or_404(request.user, pk)
    if closed := _closed(request, call_off):
        return closed
    members = selectors.call_off_invitable(
        supported=call_off.supported, framework=call_off.framework, call_off=call_off
    )
    candidates, problem = selectors.call_off_candidates(
        supported=call_off.supported,
        framework=call_off.framework,
        exclude_trust_ids=selectors.call_off_asked_trust_ids(call_off=call_off),
    )
    form = InviteMoreForm(_posted(request), members=members)
    return _form_page(
        request,
        call_off,
        form,
        title="Invite more pool members",
        save=lambda: services.call_off_invite_more(call_off=call_off, by=request.user, invitations=form.specs()),
        success="Invitations sent",
        template="arrangements/call_off_invite.html",
        candidates=candidates,
        problem=problem,
        checked=set(request.POST.getlist("invite")),
    )


@require_http_methods(["GET", "POST"])
def call_off_reply_by(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    call_off = get_call_off_to_manage_or_404(request.user, pk)
    if closed := _closed(request, call_off):
        return closed
    form = ReplyByForm(_posted(request), initial={"reply_by": call_off.reply_by})
    return _form_page(
        request,
        call_off,
        form,
        title="Set the reply-by date",
        save=lambda: services.call_off_set_reply_by(
            call_off=call_off, by=request.user, reply_by=form.cleaned_data["reply_by"]
        ),
        success="Reply-by date saved: those still to answer are told",
    )


@require_http_methods(["GET", "POST"])
def call_off_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    call_off = get_call_off_to_manage_or_404(request.user, pk)
    if closed := _closed(request, call_off):
        return closed
    form = CancelCallOffForm(_posted(request))
    return _form_page(
        request,
        call_off,
        form,
        title="Cancel the call-off",
        save=lambda: services.call_off_cancel(call_off=call_off, by=request.user, reason=form.cleaned_data["reason"]),
        success="Call-off cancelled: every trust asked is told",
    )


@require_http_methods(["GET", "POST"])
def call_off_go_ahead(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Confirm going ahead with the trusts that said yes; those yet to answer are withdrawn and told."""
    call_off = get_call_off_to_manage_or_404(request.user, pk)
    if closed := _closed(request, call_off):
        return closed
    if request.method == "POST":
        try:
            services.call_off_go_ahead(call_off=call_off, by=request.user)
        except ArrangementError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Arrangement proposed with the buddies who said yes")
        return redirect(call_off)
    page = selectors.call_off_detail(call_off=call_off, user=request.user)
    return render(request, "arrangements/call_off_go_ahead.html", {"call_off": call_off, **page})


@require_POST
def call_off_chase(request: AuthenticatedHttpRequest, pk: int, ods_code: str) -> HttpResponse:
    call_off = get_call_off_to_manage_or_404(request.user, pk)
    trust = get_call_off_party_or_404(call_off, ods_code)
    try:
        told = services.call_off_chase(call_off=call_off, trust=trust, by=request.user)
    except ArrangementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{trust.name} chased: {told} {'person' if told == 1 else 'people'} told")
    return redirect(call_off)


@require_http_methods(["GET", "POST"])
def call_off_record_answer(request: AuthenticatedHttpRequest, pk: int, ods_code: str) -> HttpResponse:
    """Record an answer a trust gave by phone, on its behalf, with a note of the call."""
    call_off = get_call_off_to_manage_or_404(request.user, pk)
    if closed := _closed(request, call_off):
        return closed
    trust = get_call_off_party_or_404(call_off, ods_code)
    form = PhoneAnswerForm(_posted(request))
    return _form_page(
        request,
        call_off,
        form,
        title=f"Record {trust.name}'s answer",
        save=lambda: services.call_off_record_answer(
            call_off=call_off,
            trust=trust,
            by=request.user,
            accept=form.cleaned_data["answer"] == "accept",
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        ),
        success=f"{trust.name}'s answer recorded",
        trust=trust,
    )


@require_http_methods(["GET", "POST"])
def call_off_withdraw(request: AuthenticatedHttpRequest, pk: int, ods_code: str) -> HttpResponse:
    call_off = get_call_off_to_manage_or_404(request.user, pk)
    if closed := _closed(request, call_off):
        return closed
    trust = get_call_off_party_or_404(call_off, ods_code, invited_only=True)
    invitation = call_off.invitations.get(trust=trust)
    form = WithdrawInvitationForm(_posted(request))
    return _form_page(
        request,
        call_off,
        form,
        title=f"Withdraw the invitation to {trust.name}",
        save=lambda: services.invitation_withdraw(
            invitation=invitation, by=request.user, reason=form.cleaned_data["reason"]
        ),
        success=f"Invitation to {trust.name} withdrawn: the trust is told",
        trust=trust,
    )
