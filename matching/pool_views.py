"""The superbuddy framework and its pool: frameworks, applications and decisions, the pool's coverage."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import cast

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from buddying import selectors as registry_selectors
from buddying.http import AuthenticatedHttpRequest
from buddying.models import ExpertiseArea, Trust
from buddying.spreadsheets import neutralise
from matching import readiness_selectors, selectors, services
from matching.forms import AccreditForm, FrameworkForm, PoolApplicationForm, PoolFilterForm, ReasonForm
from matching.models import Framework, PoolApplication
from matching.permissions import can_apply, can_run_matching, get_application_or_404, regulator_required
from matching.readiness_forms import ReadinessForm
from matching.services import PoolError


def framework_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    frameworks = Framework.objects.prefetch_related("lots")
    if not can_run_matching(request.user):
        frameworks = frameworks.exclude(status=Framework.Status.DRAFT)
    return render(
        request,
        "matching/framework_list.html",
        {"frameworks": frameworks, "can_manage": can_run_matching(request.user)},
    )


@regulator_required
@require_http_methods(["GET", "POST"])
def framework_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = FrameworkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            framework = services.framework_create(
                by=request.user,
                name=data["name"],
                term_start=data["term_start"],
                term_end=data["term_end"],
                lots=data["lots"],
                fees=form.fees(),
            )
        except PoolError as error:
            form.add_error(error.field, str(error))
        else:
            messages.success(request, "Framework created as a draft")
            return redirect(framework)
    return render(request, "matching/pool_form.html", {"form": form, "title": "New superbuddy framework"})


def framework_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    framework = get_object_or_404(Framework.objects.prefetch_related("lots", "fees"), pk=pk)
    regulator = can_run_matching(request.user)
    if framework.status == Framework.Status.DRAFT and not regulator:
        raise Http404("Page not found.")
    applications = framework.applications.select_related("trust").order_by("status", "trust__name")
    if not regulator:
        own = request.user.trust_id
        applications = applications.filter(trust_id=own) if own is not None else applications.none()
    today = timezone.localdate()
    next_status = Framework.NEXT_STATUS.get(framework.status)
    return render(
        request,
        "matching/framework_detail.html",
        {
            "framework": framework,
            "applications": applications,
            "can_manage": regulator,
            "can_apply": can_apply(request.user),
            "next_status": next_status,
            "next_status_label": Framework.Status(next_status).label if next_status else "",
            "can_go_live": framework.term_start <= today <= framework.term_end,
            "today": today,
        },
    )


@regulator_required
@require_http_methods(["POST"])
def framework_advance(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=pk)
    try:
        framework = services.framework_advance(framework=framework, by=request.user)
    except PoolError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The framework is now {framework.get_status_display().lower()}")
    return redirect(framework)


@require_http_methods(["GET", "POST"])
def application_create(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    framework = get_object_or_404(Framework, pk=pk)
    if not can_apply(request.user):
        raise Http404("Page not found.")
    nominate = can_run_matching(request.user)
    form = PoolApplicationForm(request.POST or None, framework=framework, nominate=nominate)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application = services.pool_application_submit(
                framework=framework,
                trust=data["trust"] if nominate else cast(Trust, request.user.trust),  # can_apply: an executive's own
                by=request.user,
                route=PoolApplication.Route.NOMINATED if nominate else PoolApplication.Route.APPLIED,
                max_concurrent_arrangements=data["max_concurrent_arrangements"],
                senior_staff_days_per_month=data["senior_staff_days_per_month"],
                max_travel_minutes=data["max_travel_minutes"],
                incentive=data["incentive"],
                services=data["services"],
                offered=form.offered(),
            )
        except PoolError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Application submitted: regulator staff will decide on it")
            return redirect(application)
    title = f"Nominate a trust for {framework.name}" if nominate else f"Apply to join {framework.name}"
    return render(request, "matching/pool_form.html", {"form": form, "title": title, "framework": framework})


def application_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = get_application_or_404(request.user, pk)
    return render(
        request,
        "matching/application_detail.html",
        {
            "application": application,
            "offered": application.offered.select_related("area"),
            "decisions": application.decisions.select_related("by"),
            "can_manage": can_run_matching(request.user),
            "membership": services.pool_membership_wording(application=application, day=timezone.localdate()),
        },
    )


DECISIONS = {
    "decline": (services.pool_application_decline, "Decline the application", "Application declined"),
    "suspend": (services.pool_membership_suspend, "Suspend the membership", "Membership suspended"),
    "reinstate": (services.pool_membership_reinstate, "Reinstate the membership", "Membership reinstated"),
    "withdraw": (services.pool_membership_withdraw, "Withdraw from the pool", "Withdrawn from the pool"),
}


@require_http_methods(["GET", "POST"])
def application_decide(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    """Accredit, decline, suspend, reinstate or withdraw. Only regulator staff decide; a trust may withdraw itself."""
    application = get_application_or_404(request.user, pk)
    if action != "withdraw" and not can_run_matching(request.user):
        raise Http404("Page not found.")
    form: AccreditForm | ReasonForm
    if action == "accredit":
        form = AccreditForm(
            request.POST or None, framework=application.framework, initial={"until": application.framework.term_end}
        )
        title, done = "Accredit", ""
    elif action in DECISIONS:
        service, title, done = DECISIONS[action]
        form = ReasonForm(request.POST or None, submit=title)
    else:
        raise Http404("Page not found.")
    if request.method == "POST" and form.is_valid():
        try:
            if action == "accredit":
                services.pool_application_accredit(
                    application=application, by=request.user, until=form.cleaned_data["until"]
                )
            else:
                service(application=application, by=request.user, reason=form.cleaned_data["reason"])
        except PoolError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            if action == "accredit":
                application.refresh_from_db()
                wording = services.pool_membership_wording(application=application, day=timezone.localdate())
                done = f"Accredited: the trust is {wording}"
            messages.success(request, done)
            return redirect(application)
    return render(request, "matching/pool_form.html", {"form": form, "title": title, "application": application})


class _Echo:
    def write(self, value: str) -> str:
        return value


@regulator_required
def pool_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    framework = get_object_or_404(Framework, pk=pk)
    filters = PoolFilterForm(request.GET or None)
    data = filters.cleaned_data if filters.is_valid() else {}
    area: ExpertiseArea | None = data.get("area")
    members = selectors.pool_members(
        framework=framework,
        day=timezone.localdate(),
        region=data.get("region", ""),
        area=area,
        spare_only=data.get("spare_only", False),
    )
    coverage = selectors.pool_coverage(framework=framework, members=members)
    if request.GET.get("format") == "csv":
        writer = csv.writer(_Echo())
        header = [
            "ODS code",
            "Trust",
            "Region",
            "Spare places",
            "Spare staff days",
            *(row.area.name for row in coverage),
        ]

        def rows() -> Iterator[str]:
            yield writer.writerow(header)
            for member in members:
                trust = member.application.trust
                yield writer.writerow(
                    [
                        trust.ods_code,
                        neutralise(trust.name),  # executives edit their trust's name: never a formula
                        trust.get_region_display(),
                        member.spare_places,
                        f"{member.spare_days:g}",
                        *(member.strengths.get(row.area.pk, "") for row in coverage),
                    ]
                )
            # The coverage table under the members, as on the page: where the pool is short or has a gap.
            yield writer.writerow([])
            yield writer.writerow(["Expertise area", "Trusts that need it", "Members strong in it", "Coverage"])
            for row in coverage:
                state = "Gap" if row.is_gap else "Short" if row.is_short else "Covered"
                yield writer.writerow([neutralise(row.area.name), row.trusts_in_need, row.members_strong, state])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="pool-coverage-{timezone.localdate():%Y-%m-%d}.csv"'
        return response
    markers = [
        {
            "ods_code": m.application.trust.ods_code,
            "name": m.application.trust.name,
            "lat": m.application.trust.latitude,
            "lng": m.application.trust.longitude,
            "status": f"{m.spare_places} places free" if m.has_spare_capacity else "no spare capacity",
            "colour": "#00703c" if m.has_spare_capacity else "#b1b4b6",
            "url": m.application.get_absolute_url(),
        }
        for m in members
        if m.application.trust.latitude is not None
    ]
    return render(
        request,
        "matching/pool.html",
        {
            "framework": framework,
            "filters": filters,
            "members": members,
            "coverage": coverage,
            "markers": markers,
            "query": request.GET.urlencode(),
            # Pool readiness (matching.readiness_views): the latest result and the form that starts a new one.
            "readiness": readiness_selectors.latest_readiness(framework=framework),
            "readiness_form": ReadinessForm(action=reverse("matching:readiness-start", kwargs={"pk": framework.pk})),
            "relationships": registry_selectors.relationships_of({m.application.trust_id for m in members}),
        },
    )
