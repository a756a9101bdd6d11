"""Periodic reviews of an arrangement: each trust submits its own, and the review completes when the supported trust
and the lead buddy have (`arrangements.selectors.review_parties`). Only then does the next review fall due."""

from __future__ import annotations

from typing import Any, cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from arrangements import notifications, selectors
from arrangements.models import (
    Arrangement,
    Review,
    ReviewSubmission,
    next_review_due,
)
from arrangements.permissions import BUDDY, REGULATOR, SUPPORTED, parties_of
from arrangements.services.common import (
    ArrangementError,
    _actor_name,
    _locked,
    _record_event,
    _require_party,
)
from buddying.history import mark_change
from buddying.models import Trust, User

# What a trust answers in its submission (a ReviewSubmissionForm's fields).
SUBMISSION_FIELDS = (
    "held_on",
    "objectives_progress",
    "inputs_summary",
    "achieved",
    "serendipitous",
    "did_not_work",
    "continuing_relationships",
    "learning",
    *Review.RATINGS,
    "outcome",
)


def _submitting_side(arrangement: Arrangement, by: User) -> str:
    """The side a trust executive submits for; regulator staff and outsiders submit for no one."""
    parties = parties_of(by, arrangement)
    if REGULATOR in parties:
        raise ArrangementError("Each trust submits its own review: regulator staff can add a note to it")
    if SUPPORTED in parties:
        return ReviewSubmission.Party.SUPPORTED
    if BUDDY in parties:
        return ReviewSubmission.Party.BUDDY
    raise ArrangementError("You cannot submit a review for this arrangement")


def _fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(SUBMISSION_FIELDS)
    if unknown:
        raise ValueError(f"Not part of a review submission: {', '.join(sorted(unknown))}")
    return fields


@transaction.atomic
def review_submit(*, arrangement: Arrangement, by: User, fields: dict[str, Any]) -> ReviewSubmission:
    """Submit the review now due for the executive's own trust. When the supported trust and the lead buddy have
    both submitted, the review is complete and the next one falls due by the terms' cadence."""
    locked = _locked(arrangement)
    _require_party(locked, by, doing="submit a review")
    party = _submitting_side(locked, by)
    own_trust = cast(Trust, by.trust)  # _submitting_side found it a party
    if not locked.is_running or locked.next_review_due is None:
        raise ArrangementError("Reviews are submitted once the arrangement is active")
    due = locked.next_review_due
    review, _created = Review.objects.get_or_create(arrangement=locked, due_on=due)
    submission = ReviewSubmission(
        review=review, trust=by.trust, party=party, submitted_by=by, submitted_at=timezone.now(), **_fields(fields)
    )
    submission.full_clean(exclude=["review", "trust"])
    mark_change(submission, by=by)
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError:
        raise ArrangementError(
            f"{own_trust.name} has already submitted the review due {due:%-d %B %Y}: change it instead"
        ) from None
    state = selectors.review_round(arrangement=locked)
    if state is not None and state.is_complete:
        _review_complete(locked, review=review, by=by)
        return submission
    waiting = ", ".join(party.trust.name for party in state.waiting if party.required) if state else ""
    _record_event(
        locked,
        title=f"Review submitted by {own_trust.name}",
        actor=by,
        description=f"Review due {due:%-d %B %Y}. Still to submit: {waiting or 'no one required'}.",
    )
    notifications.notify_parties(
        arrangement=locked,
        exclude=by,
        subject=f"Review submitted by {own_trust.name}: {locked.title}",
        body=f"{_actor_name(by)} submitted {own_trust.name}'s review due {due:%-d %B %Y}. "
        f"The review is complete once {waiting} has submitted too.",
    )
    return submission


def _review_complete(arrangement: Arrangement, *, review: Review, by: User) -> None:
    """Every required trust has submitted: set the outcome (the most cautious recommended), move the next review."""
    recommended = {submission.outcome for submission in review.submissions.all()}
    review.outcome = next(outcome for outcome in Review.CAUTION if outcome in recommended)
    review.completed_on = timezone.localdate()
    mark_change(review, by=by)
    review.save(update_fields=["outcome", "completed_on"])
    terms = arrangement.terms_versions.order_by("-version").first()
    every = terms.review_every_months if terms else 3
    done = arrangement.reviews.complete().count()
    start = timezone.localtime(arrangement.started_at).date() if arrangement.started_at else arrangement.planned_start
    arrangement.next_review_due = next_review_due(
        started=max(start, arrangement.planned_start), every_months=every, reviews_done=done
    )
    mark_change(arrangement, reason=f"review completed by {by.username}'s submission")
    arrangement.save(update_fields=["next_review_due"])
    outcome = review.get_outcome_display().lower()
    _record_event(
        arrangement,
        title=f"Review complete: {outcome}",
        actor=by,
        description=f"Review due {review.due_on:%-d %B %Y}: {cast(Trust, by.trust).name} submitted last. "
        f"Next review due {arrangement.next_review_due:%-d %B %Y}.",
    )
    notifications.notify_parties(
        arrangement=arrangement,
        exclude=by,
        subject=f"Review complete: {arrangement.title}",
        body=f"Both sides have submitted the review due {review.due_on:%-d %B %Y}: {outcome}. "
        f"Each trust's answers can now be read on the arrangement's reviews page. "
        f"The next review is due on {arrangement.next_review_due:%-d %B %Y}.",
    )


@transaction.atomic
def review_submission_update(*, submission: ReviewSubmission, by: User, fields: dict[str, Any]) -> ReviewSubmission:
    """Change a trust's own submission while the review waits for the other side. No one changes another trust's."""
    locked = _locked(submission.review.arrangement)
    _require_party(locked, by, doing="change a review")
    _submitting_side(locked, by)
    submission = (
        ReviewSubmission.objects.select_for_update(of=("self",)).select_related("review", "trust").get(pk=submission.pk)
    )
    if submission.trust_id != by.trust_id:
        raise ArrangementError("You can change only your own trust's review")
    if submission.review.is_complete:
        raise ArrangementError("This review is complete: it can no longer be changed")
    for name, value in _fields(fields).items():
        setattr(submission, name, value)
    submission.submitted_by = by
    submission.submitted_at = timezone.now()
    submission.full_clean(exclude=["review", "trust"])
    mark_change(submission, by=by)
    submission.save()
    _record_event(
        locked,
        title=f"Review changed by {submission.trust.name}",
        actor=by,
        description=f"Review due {submission.review.due_on:%-d %B %Y}.",
    )
    notifications.notify_parties(
        arrangement=locked,
        exclude=by,
        subject=f"Review changed by {submission.trust.name}: {locked.title}",
        body=f"{_actor_name(by)} changed {submission.trust.name}'s review due {submission.review.due_on:%-d %B %Y}.",
    )
    return submission


@transaction.atomic
def review_note(*, review: Review, by: User, note: str) -> Review:
    """Regulator staff add (or change) their note on a review; the trusts are told."""
    locked = _locked(review.arrangement)
    if REGULATOR not in parties_of(by, locked):
        raise ArrangementError("Only regulator staff add a note to a review")
    note = note.strip()
    if not note:
        raise ArrangementError("Enter the note")
    review = Review.objects.select_for_update().get(pk=review.pk)
    review.regulator_note = note
    review.regulator_note_by = by
    review.regulator_note_at = timezone.now()
    mark_change(review, by=by)
    review.save(update_fields=["regulator_note", "regulator_note_by", "regulator_note_at"])
    _record_event(
        locked,
        title=f"Regulator's note on the review due {review.due_on:%-d %B %Y}",
        actor=by,
        description=note,
    )
    notifications.notify_parties(
        arrangement=locked,
        exclude=by,
        subject=f"Regulator's note on a review: {locked.title}",
        body=f"{_actor_name(by)} added a note to the review due {review.due_on:%-d %B %Y}.",
    )
    return review
