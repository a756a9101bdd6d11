"""The work programme and reviews: workstreams, milestones, inputs and costs, reviews."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from arrangements import selectors, services
from arrangements.forms import (
    InputForm,
    MilestoneEditForm,
    MilestoneForm,
    ReviewNoteForm,
    ReviewSubmissionForm,
    WorkstreamEditForm,
    WorkstreamForm,
)
from arrangements.models import (
    Arrangement,
    Milestone,
    ReviewSubmission,
    Workstream,
)
from arrangements.permissions import (
    BUDDY,
    SUPPORTED,
    get_arrangement_or_404,
    get_own_review_submission_or_404,
    get_review_to_note_or_404,
    parties_of,
)
from arrangements.services import ArrangementError
from arrangements.views.common import _form_page, _service_call
from buddying.http import AuthenticatedHttpRequest
from buddying.models import Trust


@require_http_methods(["GET", "POST"])
def workstream_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
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
def milestone_add(request: AuthenticatedHttpRequest, pk: int, workstream_pk: int) -> HttpResponse:
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


@require_http_methods(["GET", "POST"])
def input_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
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


def _confirm_remove(
    request: AuthenticatedHttpRequest,
    arrangement: Arrangement,
    *,
    title: str,
    details: list[str],
    warning: str,
    button: str,
) -> HttpResponse:
    """The page that asks before removing: what goes, and a warning button that posts to the same address."""
    return render(
        request,
        "arrangements/confirm_remove.html",
        {"arrangement": arrangement, "title": title, "details": details, "warning": warning, "button": button},
    )


@require_http_methods(["GET", "POST"])
def workstream_edit(request: AuthenticatedHttpRequest, pk: int, workstream_pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    workstream = get_object_or_404(Workstream.objects.select_related("area"), pk=workstream_pk, arrangement=arrangement)
    initial = {
        "area": workstream.area_id,
        "buddy": workstream.buddy_id,
        "supported_lead": workstream.supported_lead,
        "buddy_lead": workstream.buddy_lead,
    }
    form = WorkstreamEditForm(request.POST or None, arrangement=arrangement, initial=initial)
    return _form_page(
        request,
        arrangement,
        form,
        f"Change the {workstream.area.name} workstream",
        lambda: services.workstream_edit(workstream=workstream, by=request.user, **form.cleaned_data),
        "Workstream changed",
        "work",
    )


@require_http_methods(["GET", "POST"])
def workstream_remove(request: AuthenticatedHttpRequest, pk: int, workstream_pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    workstream = get_object_or_404(Workstream.objects.select_related("area"), pk=workstream_pk, arrangement=arrangement)
    if request.method == "POST":
        return _service_call(
            request,
            arrangement,
            lambda: services.workstream_remove(workstream=workstream, by=request.user),
            f"Workstream removed: {workstream.area.name}",
            "work",
        )
    milestones = list(workstream.milestones.all())
    return _confirm_remove(
        request,
        arrangement,
        title=f"Remove the {workstream.area.name} workstream?",
        details=[f"{m.title}: due {m.due_date:%-d %B %Y}, {m.get_rag_display().lower()}" for m in milestones],
        warning=(
            f"Its {len(milestones)} milestone{'' if len(milestones) == 1 else 's'} listed here will be removed too. "
            if milestones
            else ""
        )
        + "The timeline keeps a record of what was removed and by whom.",
        button="Remove the workstream",
    )


@require_http_methods(["GET", "POST"])
def milestone_edit(request: AuthenticatedHttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    milestone = get_object_or_404(Milestone, pk=milestone_pk, workstream__arrangement=arrangement)
    initial = {"title": milestone.title, "due_date": milestone.due_date, "rag": milestone.rag}
    form = MilestoneEditForm(request.POST or None, initial=initial)
    return _form_page(
        request,
        arrangement,
        form,
        "Change a milestone",
        lambda: services.milestone_edit(milestone=milestone, by=request.user, **form.cleaned_data),
        "Milestone changed",
        "work",
    )


@require_http_methods(["GET", "POST"])
def milestone_remove(request: AuthenticatedHttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    arrangement = get_arrangement_or_404(request.user, pk)
    milestone = get_object_or_404(
        Milestone.objects.select_related("workstream__area"), pk=milestone_pk, workstream__arrangement=arrangement
    )
    if request.method == "POST":
        return _service_call(
            request,
            arrangement,
            lambda: services.milestone_remove(milestone=milestone, by=request.user),
            f"Milestone removed: {milestone.title}",
            "work",
        )
    return _confirm_remove(
        request,
        arrangement,
        title=f"Remove the milestone “{milestone.title}”?",
        details=[
            f"Workstream: {milestone.workstream.area.name}",
            f"Due {milestone.due_date:%-d %B %Y}, {milestone.get_rag_display().lower()}",
        ],
        warning="The timeline keeps a record of what was removed and by whom.",
        button="Remove the milestone",
    )


@require_http_methods(["GET", "POST"])
def review_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A trust executive submits their own trust's review of the review now due (or changes it, if already sent)."""
    arrangement = get_arrangement_or_404(request.user, pk)
    parties = parties_of(request.user, arrangement)
    state = selectors.review_round(arrangement=arrangement)
    if not parties & {SUPPORTED, BUDDY} or state is None:
        messages.error(
            request,
            "Each trust submits its own review: regulator staff can add a note once a trust has submitted"
            if state is not None
            else "Reviews are submitted once the arrangement is active",
        )
        return redirect("arrangements:tab", pk=arrangement.pk, tab="reviews")
    own_trust = cast(Trust, request.user.trust)  # parties_of found it a party
    mine = state.party_for(request.user.trust_id)
    if mine is not None and mine.submission is not None:
        return redirect("arrangements:review-edit", pk=arrangement.pk, submission_pk=mine.submission.pk)
    form = ReviewSubmissionForm(request.POST or None, trust=own_trust, initial={"held_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            submission = services.review_submit(arrangement=arrangement, by=request.user, fields=form.cleaned_data)
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _submitted_message(submission))
            return redirect("arrangements:tab", pk=arrangement.pk, tab="reviews")
    title = f"{own_trust.name}: review due {state.due_on:%-d %B %Y}"
    return render(request, "arrangements/form.html", {"form": form, "arrangement": arrangement, "title": title})


def _submitted_message(submission: ReviewSubmission) -> str:
    review = submission.review
    review.refresh_from_db(fields=["completed_on"])
    if not review.is_complete:
        return "Your trust's review is submitted. The review is complete once the other side has submitted too."
    review.arrangement.refresh_from_db(fields=["next_review_due"])
    due = review.arrangement.next_review_due
    return f"Your trust's review is submitted and the review is complete. The next review is due {due:%-d %B %Y}."


@require_http_methods(["GET", "POST"])
def review_edit(request: AuthenticatedHttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    """Change your own trust's submission while the review waits for the other side; another trust's is missing."""
    arrangement = get_arrangement_or_404(request.user, pk)
    submission = get_own_review_submission_or_404(request.user, arrangement, submission_pk)
    if submission.review.is_complete:
        messages.error(request, "This review is complete: it can no longer be changed")
        return redirect("arrangements:tab", pk=arrangement.pk, tab="reviews")
    form = ReviewSubmissionForm(request.POST or None, instance=submission, trust=submission.trust)
    if request.method == "POST" and form.is_valid():
        # The service saves the changes; the form's instance is left unsaved here.
        fields = {name: form.cleaned_data[name] for name in ReviewSubmissionForm.Meta.fields}
        try:
            services.review_submission_update(submission=submission, by=request.user, fields=fields)
        except ArrangementError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Your trust's review is changed")
            return redirect("arrangements:tab", pk=arrangement.pk, tab="reviews")
    return render(
        request,
        "arrangements/form.html",
        {
            "form": form,
            "arrangement": arrangement,
            "title": f"{submission.trust.name}: review due {submission.review.due_on:%-d %B %Y}",
        },
    )


@require_http_methods(["GET", "POST"])
def review_note(request: AuthenticatedHttpRequest, pk: int, review_pk: int) -> HttpResponse:
    """Regulator staff add a note to a review; to anyone else the page is missing."""
    arrangement = get_arrangement_or_404(request.user, pk)
    review = get_review_to_note_or_404(request.user, arrangement, review_pk)
    form = ReviewNoteForm(request.POST or None, initial={"note": review.regulator_note})
    return _form_page(
        request,
        arrangement,
        form,
        f"Note on the review due {review.due_on:%-d %B %Y}",
        lambda: services.review_note(review=review, by=request.user, note=form.cleaned_data["note"]),
        "Note saved",
        "reviews",
    )
