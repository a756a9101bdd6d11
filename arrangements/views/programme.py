"""The work programme and reviews: workstreams, milestones, inputs and costs, reviews."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from arrangements import services
from arrangements.forms import (
    InputForm,
    MilestoneForm,
    MilestoneRagForm,
    ReviewForm,
    WorkstreamForm,
)
from arrangements.models import (
    Milestone,
    Workstream,
)
from arrangements.permissions import (
    get_arrangement_or_404,
)
from arrangements.views.common import _form_page, _service_call


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
