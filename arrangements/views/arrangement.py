"""The arrangement itself: list, proposal, its tabbed page, transitions and terms of reference."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from arrangements import selectors, services
from arrangements.forms import (
    AgreeForm,
    DeclineForm,
    ProposeForm,
    TerminateForm,
    TermsForm,
)
from arrangements.models import (
    ArrangementBuddy,
    TermsOfReference,
)
from arrangements.permissions import (
    can_propose,
    get_arrangement_or_404,
    get_arrangement_to_agree_or_404,
)
from arrangements.services import ArrangementError, BuddySpec
from arrangements.views.common import TABS, _page, _pool_members_now, _service_call
from buddying.http import AuthenticatedHttpRequest
from buddying.models import Trust
from matching.engine import EngineInputError
from matching.services import fit_check


def arrangement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.arrangement_list(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "arrangements/list.html", {"page": page, "can_propose": can_propose(request.user)})


@require_http_methods(["GET", "POST"])
def propose(request: AuthenticatedHttpRequest) -> HttpResponse:
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
                BuddySpec(
                    buddy=trust,
                    role=ArrangementBuddy.Role.ISSUE_SPECIFIC,
                    areas=tuple(data["issue_buddy_areas"][trust]),
                    from_pool=trust.pk in in_pool,
                )
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


def detail(request: AuthenticatedHttpRequest, pk: int, tab: str = "overview") -> HttpResponse:
    if tab not in TABS:
        raise Http404("Page not found.")
    return _page(request, get_arrangement_or_404(request.user, pk), tab)


@require_POST
def transition(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
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
def agree(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Regulator staff agree a proposal with the evidence in front: each buddy's fit check (the one the proposing
    trust was told the regulator sees too) and free capacity. A buddy with no free capacity needs the override."""
    arrangement = get_arrangement_to_agree_or_404(request.user, pk)
    if "agree" not in services.allowed_actions(arrangement=arrangement, user=request.user):
        messages.error(
            request, f"This arrangement is {arrangement.get_status_display().lower()}, so it cannot be agreed"
        )
        return redirect(arrangement)
    evidence, problem = selectors.agree_evidence(arrangement=arrangement)
    form = AgreeForm(
        request.POST if request.method == "POST" else None,
        full=[item.entry.buddy.name for item in evidence if item.is_full],
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.arrangement_agree(
                arrangement=arrangement, by=request.user, capacity_override=form.capacity_override
            )
        except ArrangementError as error:
            form.add_error("override" if form.full else None, str(error))
        else:
            messages.success(request, "Arrangement agreed")
            return redirect(arrangement)
    return render(
        request,
        "arrangements/agree.html",
        {"arrangement": arrangement, "evidence": evidence, "problem": problem, "form": form},
    )


@require_http_methods(["GET", "POST"])
def decline(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
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
def terminate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
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
def terms_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
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
def terms_sign(request: AuthenticatedHttpRequest, pk: int, terms_pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    terms = get_object_or_404(TermsOfReference, pk=terms_pk, arrangement=arrangement)
    return _service_call(
        request,
        arrangement,
        lambda: services.terms_sign(terms=terms, by=request.user),
        "Terms of reference signed",
        "terms",
    )
