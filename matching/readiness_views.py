"""Pool readiness and recruitment pages: regulator staff run simulations and invite strong trusts to apply; the
invited trust's executives answer (matching.permissions decides who sees what)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from buddying.http import AuthenticatedHttpRequest
from buddying.models import Trust
from matching import readiness_selectors
from matching.engine import EngineInputError
from matching.forms import ReasonForm
from matching.models import Framework, MatchRun, RecruitmentInvitation
from matching.permissions import can_answer_invitation, get_recruitment_invitation_or_404, regulator_required
from matching.readiness_forms import InvitationForm, ReadinessForm
from matching.services import readiness as services


@regulator_required
@require_POST
def readiness_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=pk)
    form = ReadinessForm(request.POST)
    if form.is_valid():
        try:
            run = services.readiness_run_create(
                framework=framework, by=request.user, draws=form.cleaned_data["draws"], seed=form.cleaned_data["seed"]
            )
        except EngineInputError as error:
            messages.error(request, str(error))
        else:
            return redirect(run)
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect("matching:pool", pk=framework.pk)


@regulator_required
def readiness_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(MatchRun.objects.with_people(), pk=pk, kind__in=MatchRun.POOL_KINDS)
    framework = Framework.objects.filter(pk=run.settings.get("framework")).first()
    context: dict[str, Any] = {"run": run, "framework": framework}
    if run.kind == MatchRun.Kind.RECRUITMENT:
        if run.status == MatchRun.Status.DONE:
            invitations = readiness_selectors.invitations_for(run=run)
            context["candidates"] = [
                {
                    **candidate,
                    "invitation": invitations.get(candidate["ods_code"]),
                    "gain_points": _points(candidate["gain"]["estimate"], signed=True),
                    "gain_se_points": _points(candidate["gain"]["se"]),
                }
                for candidate in (run.results or {})["candidates"]
            ]
        return render(request, "matching/run_recruitment.html", context)
    return render(request, "matching/run_readiness.html", context)


def _points(share: float | None, *, signed: bool = False) -> str:
    """A change in a share as percentage points: 0.0123 -> '+1.2 points'."""
    if share is None:
        return ""
    return f"{share * 100:{'+' if signed else ''}.1f} points"


@regulator_required
@require_POST
def readiness_restart(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(MatchRun, pk=pk, kind__in=MatchRun.POOL_KINDS)
    services.pool_run_restart(run=run)
    return redirect(run)


@regulator_required
@require_POST
def recruitment_start(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    readiness = get_object_or_404(MatchRun, pk=pk, kind=MatchRun.Kind.READINESS)
    try:
        run = services.recruitment_run_create(readiness=readiness, by=request.user)
    except EngineInputError as error:
        messages.error(request, str(error))
        return redirect(readiness)
    return redirect(run)


@regulator_required
@require_http_methods(["GET", "POST"])
def invitation_create(request: AuthenticatedHttpRequest, pk: int, ods_code: str) -> HttpResponse:
    run = get_object_or_404(MatchRun, pk=pk, kind=MatchRun.Kind.RECRUITMENT, status=MatchRun.Status.DONE)
    candidate = next((c for c in (run.results or {})["candidates"] if c["ods_code"] == ods_code), None)
    if candidate is None:
        raise Http404("Page not found.")
    trust = get_object_or_404(Trust, ods_code=ods_code)
    framework = get_object_or_404(Framework, pk=run.settings["framework"])
    form = InvitationForm(request.POST or None, initial={"why": "; ".join(candidate["reasons"]) + "."})
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.recruitment_invitation_send(
                framework=framework, trust=trust, by=request.user, why=form.cleaned_data["why"], run=run
            )
        except services.RecruitmentError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, f"Invitation sent to {trust.name}")
            return redirect(invitation)
    return render(
        request,
        "matching/recruitment_invite.html",
        {"form": form, "trust": trust, "framework": framework, "run": run, "candidate": candidate},
    )


def invitation_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_recruitment_invitation_or_404(request.user, pk)
    return render(
        request,
        "matching/recruitment_invitation.html",
        {
            "invitation": invitation,
            "may_answer": can_answer_invitation(request.user, invitation)
            and invitation.status == RecruitmentInvitation.Status.SENT,
            "application_url": services.application_url(invitation),
        },
    )


@require_POST
def invitation_accept(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_recruitment_invitation_or_404(request.user, pk)
    if not can_answer_invitation(request.user, invitation):
        raise Http404("Page not found.")
    try:
        services.recruitment_invitation_accept(invitation=invitation, by=request.user)
    except services.RecruitmentError as error:
        messages.error(request, str(error))
        return redirect(invitation)
    messages.success(request, "Invitation accepted: apply to join the pool below")
    return redirect(services.application_url(invitation))


@require_http_methods(["GET", "POST"])
def invitation_decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = get_recruitment_invitation_or_404(request.user, pk)
    if not can_answer_invitation(request.user, invitation):
        raise Http404("Page not found.")
    form = ReasonForm(request.POST or None, submit="Decline the invitation")
    if request.method == "POST" and form.is_valid():
        try:
            services.recruitment_invitation_decline(
                invitation=invitation, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.RecruitmentError as error:
            form.add_error("reason" if error.field == "reason" else None, str(error))
        else:
            messages.success(request, "Invitation declined: regulator staff have been told why")
            return redirect(invitation)
    return render(
        request,
        "matching/pool_form.html",
        {"form": form, "title": f"Decline the invitation to {invitation.framework.name}"},
    )
