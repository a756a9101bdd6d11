"""Arrangement pages. Each view: fetch (permissions decide what exists), call a service, redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from arrangements import selectors, services
from arrangements.forms import (
    CallOffStartForm,
    DeclineForm,
    InputForm,
    MilestoneForm,
    MilestoneRagForm,
    ProposeForm,
    RespondForm,
    ReviewForm,
    TerminateForm,
    TermsForm,
    WorkstreamForm,
)
from arrangements.models import (
    Arrangement,
    ArrangementBuddy,
    CallOff,
    Milestone,
    TermsOfReference,
    Workstream,
)
from arrangements.permissions import (
    can_propose,
    get_arrangement_or_404,
    get_call_off_or_404,
    parties_of,
    visible_call_offs,
)
from arrangements.services import ArrangementError, BuddySpec
from buddying.models import ExpertiseArea, Notification, Trust
from buddying.permissions import is_regulator_or_admin
from matching.engine import EngineInputError
from matching.models import MatchRun
from matching.selectors import pool_member_ids
from matching.services import fit_check, match_settings_build, shortlist_run, team_run

TABS = ("overview", "terms", "work", "inputs", "reviews", "timeline")


def arrangement_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.arrangement_list(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "arrangements/list.html", {"page": page, "can_propose": can_propose(request.user)})


@require_http_methods(["GET", "POST"])
def propose(request: HttpRequest) -> HttpResponse:
    """Regulator staff propose an arrangement; a trust executive proposes buddies for their own trust,
    seeing the fit check (score, reasons, warnings) before submitting it for regulator agreement."""
    if not can_propose(request.user):
        raise Http404("Page not found.")
    own = request.user.trust if request.user.is_trust_executive else None
    form = ProposeForm(request.POST or None, own_trust=own)
    checks: list[dict[str, Any]] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        supported = own or data["supported"]
        chosen = [data["lead_buddy"], *data["issue_buddies"]]
        try:
            checks = fit_check(trust=supported, candidates=chosen)
        except EngineInputError as error:
            if own is not None:
                form.add_error(None, f"{error}. Record your trust's needs on its profile so the fit can be checked.")
        # A self-proposal always shows its fit check first and is submitted from that page; regulator staff
        # propose at once (their proposals may come before a trust's needs are recorded).
        if not form.errors and (own is None or request.POST.get("action") == "submit"):
            in_pool = _pool_members_now()
            lead = data["lead_buddy"]
            buddies = [BuddySpec(buddy=lead, role=ArrangementBuddy.Role.LEAD, from_pool=lead.pk in in_pool)]
            buddies += [
                BuddySpec(buddy=trust, role=ArrangementBuddy.Role.ISSUE_SPECIFIC, from_pool=trust.pk in in_pool)
                for trust in data["issue_buddies"]
            ]
            try:
                arrangement = services.arrangement_propose(
                    supported=supported,
                    buddies=buddies,
                    title=data["title"],
                    origin=data["origin"],
                    tier=data["tier"],
                    planned_start=data["planned_start"],
                    planned_end=data["planned_end"],
                    by=request.user,
                    acquisition_separation=data["acquisition_separation"],
                )
            except ArrangementError as error:
                form.add_error(None, str(error))
            else:
                messages.success(
                    request, "Proposal submitted for regulator agreement" if own else "Arrangement proposed"
                )
                return redirect(arrangement)
    title = "Propose buddies for your trust" if own else "Propose a buddying arrangement"
    supported_name = (own or getattr(form, "cleaned_data", {}).get("supported") or Trust(name="")).name
    return render(
        request,
        "arrangements/propose.html",
        {"form": form, "title": title, "checks": checks, "own": own, "supported_name": supported_name},
    )


def _pool_members_now() -> set[int]:
    return pool_member_ids(day=timezone.localdate())


def _page(request: HttpRequest, arrangement: Arrangement, tab: str, **extra: Any) -> HttpResponse:
    context = {
        "arrangement": arrangement,
        "tab": tab,
        "parties": parties_of(request.user, arrangement),
        "actions": services.allowed_actions(arrangement=arrangement, user=request.user),
        **selectors.arrangement_detail(arrangement=arrangement),
        **extra,
    }
    if context["terms"] is not None:
        context["missing"] = services.missing_signatures(context["terms"])
        context["can_sign"] = _can_sign(request, arrangement, context["terms"], context["missing"])
    return render(request, f"arrangements/detail_{tab}.html", context)


def _can_sign(request: HttpRequest, arrangement: Arrangement, terms: TermsOfReference, missing: list) -> bool:
    if arrangement.status not in {"proposed", "agreed", "active", "paused"}:
        return False
    parties = parties_of(request.user, arrangement)
    for party, trust in missing:
        if party in parties and (trust is None or trust.pk in {arrangement.supported_id, request.user.trust_id}):
            return True
    return False


def detail(request: HttpRequest, pk: int, tab: str = "overview") -> HttpResponse:
    if tab not in TABS:
        raise Http404("Page not found.")
    return _page(request, get_arrangement_or_404(request.user, pk), tab)


def _service_call(
    request: HttpRequest, arrangement: Arrangement, call: Callable[[], Any], success: str, tab: str
) -> HttpResponse:
    try:
        call()
    except ArrangementError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect("arrangements:tab", pk=arrangement.pk, tab=tab) if tab != "overview" else redirect(arrangement)


@require_POST
def transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    simple = {
        "agree": lambda: services.arrangement_agree(arrangement=arrangement, by=request.user),
        "pause": lambda: services.arrangement_pause(arrangement=arrangement, by=request.user),
        "resume": lambda: services.arrangement_resume(arrangement=arrangement, by=request.user),
        "complete": lambda: services.arrangement_complete(arrangement=arrangement, by=request.user),
    }
    if action not in simple:
        raise Http404("Page not found.")
    return _service_call(
        request, arrangement, simple[action], f"Arrangement {services.TRANSITIONS[action].verb}", "overview"
    )


@require_http_methods(["GET", "POST"])
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.arrangement_decline(arrangement=arrangement, by=request.user, reason=form.cleaned_data["reason"])
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Arrangement declined")
            return redirect(arrangement)
    return render(
        request,
        "arrangements/form.html",
        {"form": form, "arrangement": arrangement, "title": "Decline the arrangement"},
    )


@require_http_methods(["GET", "POST"])
def terminate(request: HttpRequest, pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    form = TerminateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.arrangement_terminate(
                arrangement=arrangement,
                by=request.user,
                reason=form.cleaned_data["reason"],
                notes=form.cleaned_data["notes"],
                handover=form.cleaned_data["handover"],
            )
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Arrangement ended")
            return redirect(arrangement)
    return render(
        request, "arrangements/form.html", {"form": form, "arrangement": arrangement, "title": "End the arrangement"}
    )


@require_http_methods(["GET", "POST"])
def terms_edit(request: HttpRequest, pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    latest = arrangement.terms_versions.order_by("-version").prefetch_related("objectives").first()
    initial = {}
    if latest is not None:
        for row, objective in enumerate(latest.objectives.all()[:5], start=1):
            initial.update(
                {
                    f"objective_{row}": objective.description,
                    f"output_{row}": objective.measurable_output,
                    f"target_{row}": objective.target_date,
                }
            )
    form = TermsForm(
        request.POST or None,
        instance=None,
        initial=initial
        if latest is None
        else {**{name: getattr(latest, name) for name in TermsForm.Meta.fields}, **initial},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.terms_draft(
                arrangement=arrangement, by=request.user, fields=form.terms_fields(), objectives=form.objectives()
            )
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Terms of reference saved: each party now signs them")
            return redirect("arrangements:tab", pk=arrangement.pk, tab="terms")
    return render(
        request, "arrangements/form.html", {"form": form, "arrangement": arrangement, "title": "Terms of reference"}
    )


@require_POST
def terms_sign(request: HttpRequest, pk: int, terms_pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    terms = get_object_or_404(TermsOfReference, pk=terms_pk, arrangement=arrangement)
    return _service_call(
        request,
        arrangement,
        lambda: services.terms_sign(terms=terms, by=request.user),
        "Terms of reference signed",
        "terms",
    )


def _form_page(
    request: HttpRequest,
    arrangement: Arrangement,
    form: Any,
    title: str,
    save: Callable[[], Any],
    success: str,
    tab: str,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            save()
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, success)
            return redirect("arrangements:tab", pk=arrangement.pk, tab=tab)
    return render(request, "arrangements/form.html", {"form": form, "arrangement": arrangement, "title": title})


@require_http_methods(["GET", "POST"])
def workstream_add(request: HttpRequest, pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    form = WorkstreamForm(request.POST or None, arrangement=arrangement)
    return _form_page(
        request,
        arrangement,
        form,
        "Add a workstream",
        lambda: services.workstream_add(arrangement=arrangement, by=request.user, **form.cleaned_data),
        "Workstream added",
        "work",
    )


@require_http_methods(["GET", "POST"])
def milestone_add(request: HttpRequest, pk: int, workstream_pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    workstream = get_object_or_404(Workstream, pk=workstream_pk, arrangement=arrangement)
    form = MilestoneForm(request.POST or None)
    return _form_page(
        request,
        arrangement,
        form,
        f"Add a milestone to {workstream.area.name}",
        lambda: services.milestone_add(workstream=workstream, by=request.user, **form.cleaned_data),
        "Milestone added",
        "work",
    )


@require_POST
def milestone_rag(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    milestone = get_object_or_404(Milestone, pk=milestone_pk, workstream__arrangement=arrangement)
    form = MilestoneRagForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status for the milestone")
        return redirect("arrangements:tab", pk=arrangement.pk, tab="work")
    return _service_call(
        request,
        arrangement,
        lambda: services.milestone_update(milestone=milestone, by=request.user, rag=form.cleaned_data["rag"]),
        "Milestone updated",
        "work",
    )


@require_http_methods(["GET", "POST"])
def input_add(request: HttpRequest, pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    form = InputForm(request.POST or None)
    return _form_page(
        request,
        arrangement,
        form,
        "Record an input",
        lambda: services.input_record(arrangement=arrangement, by=request.user, fields=form.cleaned_data),
        "Input recorded",
        "inputs",
    )


@require_http_methods(["GET", "POST"])
def review_add(request: HttpRequest, pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    form = ReviewForm(request.POST or None, initial={"held_on": timezone.localdate()})
    return _form_page(
        request,
        arrangement,
        form,
        "Record a review",
        lambda: services.review_record(arrangement=arrangement, by=request.user, fields=form.cleaned_data),
        "Review recorded",
        "reviews",
    )


def notifications(request: HttpRequest) -> HttpResponse:
    items = Paginator(Notification.objects.filter(recipient=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "arrangements/notifications.html", {"page": items})


@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, "All notifications marked as read")
    return redirect("arrangements:notifications")


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
