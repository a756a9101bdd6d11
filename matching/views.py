"""Matching pages, for regulator staff only (matching.permissions): explorer, team builder, wave allocation."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from buddying.http import AuthenticatedHttpRequest
from buddying.models import Trust
from matching import selectors, services
from matching.engine import BAND_LABELS, EngineInputError
from matching.forms import WAVE_METHOD_LABELS, MatchSettingsForm, WaveForm
from matching.models import MatchRun
from matching.permissions import regulator_required


@regulator_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "matching/index.html", {"trusts": selectors.trusts_needing_support()})


@regulator_required
@require_http_methods(["GET", "POST"])
def explorer(request: AuthenticatedHttpRequest, ods_code: str) -> HttpResponse:
    trust = get_object_or_404(Trust, ods_code=ods_code)
    action = request.POST.get("action", "shortlist")
    form = MatchSettingsForm(request.POST or None, with_team_size=True)
    engine_error = ""
    if request.method == "POST" and form.is_valid():
        try:
            if action == "team":
                run = services.team_run(
                    trust=trust,
                    by=request.user,
                    settings=form.cleaned_data["settings"],
                    k=form.cleaned_data["team_size"],
                )
            else:
                run = services.shortlist_run(
                    trust=trust, by=request.user, settings=form.cleaned_data["settings"], k=form.cleaned_data["size"]
                )
        except EngineInputError as error:
            engine_error = str(error)
        else:
            return redirect(run)
    return render(
        request,
        "matching/explorer.html",
        {"trust": trust, "form": form, "engine_error": engine_error, "runs": selectors.recent_runs(trust=trust)},
    )


@regulator_required
def run_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(MatchRun.objects.with_people(), pk=pk)
    if run.kind in MatchRun.POOL_KINDS:  # readiness and recruitment have their own page (matching.readiness_views)
        return redirect(run)
    context: dict[str, Any] = {"run": run}
    # A shortlist or team is for one trust (the database checks it); a wave's results are there once it is done.
    supported = cast(Trust, run.supported)
    results: dict[str, Any] = run.results or {}
    if run.kind != MatchRun.Kind.WAVE:
        context["form"] = MatchSettingsForm(
            initial=MatchSettingsForm.initial_from_run(run.settings, kind=run.kind), with_team_size=True
        )
        context["runs"] = selectors.recent_runs(trust=supported)
    if run.kind == MatchRun.Kind.SHORTLIST:
        context["map_markers"] = selectors.shortlist_markers(run)
        ranked = results["ranked"]
        values = selectors.values_statements([supported.ods_code, *(c["ods_code"] for c in ranked)])
        context["supported_values"] = values.get(supported.ods_code, "")
        context["ranked"] = [
            {
                **candidate,
                "values_statement": values.get(candidate["ods_code"], ""),
                # Runs recorded before the label was stored have the band alone.
                "band_label": candidate.get("band_label") or BAND_LABELS.get(candidate.get("band", ""), ""),
            }
            for candidate in ranked
        ]
    if run.kind == MatchRun.Kind.WAVE:
        context["method_label"] = WAVE_METHOD_LABELS.get(run.settings["method"], run.settings["method"])
    if run.kind == MatchRun.Kind.WAVE and run.status == MatchRun.Status.DONE:
        context["wave_markers"], context["wave_lines"] = selectors.wave_map(run)
        context["allocated"] = sum(1 for allocation in results["allocations"] if allocation["members"])
        context["unserved"] = _unserved(results)
    template = {
        MatchRun.Kind.SHORTLIST: "matching/run_shortlist.html",
        MatchRun.Kind.TEAM: "matching/run_team.html",
        MatchRun.Kind.WAVE: "matching/run_wave.html",
    }[MatchRun.Kind(run.kind)]
    return render(request, template, context)


def _unserved(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The trusts a wave left without a buddy, each {ods_code, name, reason}.

    Runs recorded before the reasons were kept stored bare ODS codes: they are shown by name, with no reason.
    """
    names = {allocation["ods_code"]: allocation["name"] for allocation in results["allocations"]}
    return [
        item if isinstance(item, dict) else {"ods_code": item, "name": names.get(item, item), "reason": ""}
        for item in results.get("unallocated", [])
    ]


@regulator_required
def run_status(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(MatchRun.objects.only("status", "progress", "error"), pk=pk)
    return JsonResponse(
        {"status": run.status, "progress": run.progress, "finished": run.is_finished, "error": run.error}
    )


@regulator_required
@require_POST
def run_restart(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(MatchRun, pk=pk, kind=MatchRun.Kind.WAVE)
    services.wave_run_restart(run=run)
    return redirect(run)


@regulator_required
@require_http_methods(["GET", "POST"])
def wave(request: AuthenticatedHttpRequest) -> HttpResponse:
    candidates = selectors.trusts_needing_support()
    initial = {
        "trusts": [t.ods_code for t in candidates if t.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES]
    }
    form = WaveForm(request.POST or None, trusts=candidates, initial=initial)
    engine_error = ""
    if request.method == "POST" and form.is_valid():
        by_code = {trust.ods_code: trust for trust in candidates}
        try:
            run = services.wave_run_create(
                trusts=[by_code[code] for code in form.cleaned_data["trusts"]],
                by=request.user,
                settings=form.cleaned_data["settings"],
                k=form.cleaned_data["size"],
                method=form.cleaned_data["method"],
                framework=form.cleaned_data["framework"],
            )
        except EngineInputError as error:
            engine_error = str(error)
        else:
            return redirect(run)
    return render(request, "matching/wave.html", {"form": form, "engine_error": engine_error})
