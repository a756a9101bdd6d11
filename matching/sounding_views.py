"""Soundings before procurement: regulator staff open one for a framework, trusts' executives answer it, regulator
staff read the summary and close it. Views fetch, check permission (matching.permissions), call the service."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from buddying.http import AuthenticatedHttpRequest
from buddying.spreadsheets import neutralise
from matching import sounding_selectors
from matching.models import Framework, Sounding
from matching.permissions import can_manage_soundings, get_sounding_response_or_404, regulator_required
from matching.services.soundings import SoundingError, sounding_answer, sounding_close, sounding_open
from matching.sounding_forms import SoundingAnswerForm, SoundingForm


def sounding_list(request: AuthenticatedHttpRequest, framework_pk: int | None = None) -> HttpResponse:
    """Regulator staff: every sounding (or one framework's). An executive: the soundings that asked their trust."""
    framework = None
    if can_manage_soundings(request.user):
        if framework_pk is not None:
            framework = get_object_or_404(Framework, pk=framework_pk)
        return render(
            request,
            "matching/sounding_list.html",
            {"soundings": sounding_selectors.soundings_for_regulator(framework=framework), "framework": framework},
        )
    if framework_pk is not None or not getattr(request.user, "is_trust_executive", False):
        raise Http404("Page not found.")
    return render(
        request,
        "matching/sounding_list.html",
        {"responses": sounding_selectors.soundings_for_executive(request.user), "today": timezone.localdate()},
    )


@regulator_required
@require_http_methods(["GET", "POST"])
def sounding_create(request: AuthenticatedHttpRequest, framework_pk: int) -> HttpResponse:
    framework = get_object_or_404(Framework.objects.prefetch_related("fees"), pk=framework_pk)
    if framework.status == Framework.Status.EXPIRED:
        raise Http404("Page not found.")
    form = SoundingForm(request.POST or None, framework=framework)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sounding = sounding_open(
                framework=framework,
                by=request.user,
                title=data["title"],
                message=data["message"],
                tier=data["tier"],
                reply_by=data["reply_by"],
                trusts=form.chosen_trusts(),
            )
        except SoundingError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            asked = sounding.responses.count()
            messages.success(request, f"Sounding opened: {asked} trust{'s' if asked != 1 else ''} asked")
            return redirect(sounding)
    return render(
        request,
        "matching/pool_form.html",
        {"form": form, "title": f"Sound out trusts about {framework.name}", "framework": framework},
    )


def sounding_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Regulator staff: the summary. An executive of a trust asked: their trust's answer. Anyone else: 404."""
    if can_manage_soundings(request.user):
        sounding = get_object_or_404(Sounding.objects.select_related("framework", "closed_by", "created_by"), pk=pk)
        summary = sounding_selectors.sounding_summary(sounding=sounding)
        if request.GET.get("format") == "csv":
            return _summary_csv(summary)
        return render(request, "matching/sounding_summary.html", {"sounding": sounding, "summary": summary})
    response = get_sounding_response_or_404(request.user, pk)
    return render(
        request,
        "matching/sounding_detail.html",
        {"sounding": response.sounding, "response": response, "today": timezone.localdate()},
    )


@require_http_methods(["GET", "POST"])
def sounding_answer_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    response = get_sounding_response_or_404(request.user, pk)
    if not response.sounding.is_open:
        messages.error(request, "This sounding is closed: your answer can no longer change")
        return redirect(response.sounding)
    form = SoundingAnswerForm(
        request.POST or None, response=response, initial=SoundingAnswerForm.initial_from(response)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sounding_answer(
                response=response,
                by=request.user,
                willingness=data["willingness"],
                max_concurrent_arrangements=data["max_concurrent_arrangements"],
                areas=list(data["areas"]),
                incentive=data["incentive"],
                fee_amount=data["fee_amount"],
                reason=data["reason"],
            )
        except SoundingError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, "Answer sent: you can change it until the sounding closes")
            return redirect(response.sounding)
    return render(
        request,
        "matching/sounding_answer.html",
        {"form": form, "sounding": response.sounding, "response": response},
    )


@regulator_required
@require_POST
def sounding_close_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    sounding = get_object_or_404(Sounding, pk=pk)
    try:
        sounding = sounding_close(sounding=sounding, by=request.user)
    except SoundingError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Sounding closed: the answers are final")
    return redirect(sounding)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _summary_csv(summary: sounding_selectors.SoundingSummary) -> HttpResponse:
    """Every trust asked and its answer, one row each: for the regulator's procurement papers."""
    writer = csv.writer(_Echo())
    rows = [
        writer.writerow(
            [
                "ODS code",
                "Trust",
                "Region",
                "Answer",
                "Most trusts it could support at once",
                "Areas of expertise offered",
                "Incentive needed",
                "Annual fee for each trust supported (£)",
                "Reason",
            ]
        )
    ]
    for response in summary.responses:
        trust = response.trust
        rows.append(
            writer.writerow(
                [
                    trust.ods_code,
                    neutralise(trust.name),
                    trust.get_region_display(),
                    response.get_willingness_display() or "No answer yet",
                    response.max_concurrent_arrangements or "",
                    neutralise("; ".join(area.name for area in response.areas.all())),
                    response.get_incentive_display(),
                    f"{response.fee_amount:.2f}" if response.fee_amount is not None else "",
                    neutralise(response.reason),
                ]
            )
        )
    out = HttpResponse("".join(rows), content_type="text/csv; charset=utf-8")
    out["Content-Disposition"] = f'attachment; filename="sounding-{summary.sounding.pk}.csv"'
    return out
