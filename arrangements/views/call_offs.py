"""Framework call-offs and the invitations they send."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from arrangements import services
from arrangements.forms import (
    CallOffStartForm,
    RespondForm,
)
from arrangements.models import (
    ArrangementBuddy,
    CallOff,
)
from arrangements.permissions import (
    get_call_off_or_404,
    visible_call_offs,
)
from arrangements.services import ArrangementError, BuddySpec
from buddying.models import ExpertiseArea, Trust
from buddying.permissions import is_regulator_or_admin
from matching.engine import EngineInputError
from matching.models import MatchRun
from matching.services import match_settings_build, shortlist_run, team_run

# Framework call-offs and invitations -----------------------------------------------------------------------------


def _call_off_candidates(team_run: MatchRun | None, shortlist_run: MatchRun | None) -> list[dict[str, Any]]:
    """The suggested team first (checked), then the rest of the pool shortlist, each with why."""
    candidates: dict[str, dict[str, Any]] = {}
    if team_run is not None and team_run.results:
        team = team_run.results["exact"] or team_run.results["heuristic"]
        for member in team["members"]:
            candidates[member["ods_code"]] = {**member, "suggested": True, "score": member["total"]}
    if shortlist_run is not None and shortlist_run.results:
        for entry in shortlist_run.results["ranked"]:
            candidates.setdefault(
                entry["ods_code"], {**entry, "suggested": False, "assigned_needs": [], "score": entry["total"]}
            )
    return list(candidates.values())


@require_http_methods(["GET", "POST"])
def call_off_new(request: HttpRequest) -> HttpResponse:
    if not is_regulator_or_admin(request.user):
        raise Http404("Page not found.")
    form = CallOffStartForm(request.POST or request.GET or None)
    runs = {
        kind: MatchRun.objects.filter(pk=request.GET.get(f"{kind}_run"), kind=kind).first()
        if request.GET.get(f"{kind}_run")
        else None
        for kind in ("team", "shortlist")
    }
    action = request.POST.get("action")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if action == "find":
            pool_only = match_settings_build(pool_only=True)
            try:
                framework = data["framework"]
                team = team_run(trust=data["supported"], by=request.user, settings=pool_only, framework=framework)
                ranked = shortlist_run(
                    trust=data["supported"], by=request.user, settings=pool_only, k=10, framework=framework
                )
            except EngineInputError as error:
                form.add_error(None, str(error))
            else:
                query = {
                    "supported": data["supported"].pk,
                    "framework": data["framework"].pk,
                    "title": data["title"],
                    "tier": data["tier"],
                    "team_run": team.pk,
                    "shortlist_run": ranked.pk,
                }
                return redirect(f"{reverse('arrangements:call-off-new')}?{urlencode(query)}")
        elif action == "invite":
            chosen = request.POST.getlist("invite")
            team = (
                runs["team"].results["exact"] or runs["team"].results["heuristic"] if runs["team"] else {"members": []}
            )
            leads_on = {m["ods_code"]: [n["area"] for n in m["assigned_needs"]] for m in team["members"]}
            trusts = {t.ods_code: t for t in Trust.objects.filter(ods_code__in=chosen)}
            areas = {a.slug: a for a in ExpertiseArea.objects.all()}
            ordered = sorted(chosen, key=lambda code: -len(leads_on.get(code, [])))
            specs = [
                BuddySpec(
                    buddy=trusts[code],
                    role=ArrangementBuddy.Role.LEAD if index == 0 else ArrangementBuddy.Role.ISSUE_SPECIFIC,
                    areas=tuple(areas[slug] for slug in leads_on.get(code, []) if slug in areas),
                )
                for index, code in enumerate(ordered)
                if code in trusts
            ]
            try:
                call_off = services.call_off_create(
                    supported=data["supported"],
                    framework=data["framework"],
                    title=data["title"],
                    tier=data["tier"],
                    by=request.user,
                    invitations=specs,
                    match_run=runs["team"],
                )
            except ArrangementError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Invitations sent")
                return redirect(call_off)
    return render(
        request,
        "arrangements/call_off_new.html",
        {"form": form, "candidates": _call_off_candidates(runs["team"], runs["shortlist"]), "runs": runs},
    )


@require_http_methods(["GET", "POST"])
def call_off_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call_off = get_call_off_or_404(request.user, pk)
    invitations = list(call_off.invitations.select_related("trust", "responded_by").prefetch_related("areas"))
    mine = next(
        (i for i in invitations if request.user.is_trust_executive and i.trust_id == request.user.trust_id), None
    )
    answering_for_supported = request.user.is_trust_executive and request.user.trust_id == call_off.supported_id
    form = RespondForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        accept, reason = form.cleaned_data["answer"] == "accept", form.cleaned_data["reason"]
        try:
            if answering_for_supported:
                services.call_off_respond_supported(call_off=call_off, by=request.user, accept=accept, reason=reason)
            elif mine is not None:
                services.invitation_respond(invitation=mine, by=request.user, accept=accept, reason=reason)
            else:
                raise ArrangementError("There is nothing for you to answer here")
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Answer sent")
            return redirect(call_off)
    can_answer = call_off.status == CallOff.Status.INVITING and (
        (answering_for_supported and call_off.supported_response == "pending")
        or (mine is not None and mine.status == "pending")
    )
    return render(
        request,
        "arrangements/call_off_detail.html",
        {"call_off": call_off, "invitations": invitations, "form": form, "can_answer": can_answer},
    )


def invitations(request: HttpRequest) -> HttpResponse:
    return render(request, "arrangements/invitations.html", {"call_offs": visible_call_offs(request.user)[:100]})
