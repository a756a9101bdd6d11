"""Periodic reviews of an arrangement."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from arrangements import notifications
from arrangements.models import (
    Arrangement,
    Review,
    next_review_due,
)
from arrangements.services.common import (
    ArrangementError,
    _actor_name,
    _locked,
    _record_event,
    _require_party,
)
from buddying.models import User


@transaction.atomic
def review_record(*, arrangement: Arrangement, by: User, fields: dict[str, Any]) -> Review:
    """Record the due review. The next one falls due by the terms' cadence; an 'end' outcome says to end it."""
    locked = _locked(arrangement)
    _require_party(locked, by, doing="record a review")
    if locked.status not in {"active", "paused"} or locked.next_review_due is None:
        raise ArrangementError("Reviews are recorded once the arrangement is active")
    due = locked.next_review_due
    review = Review(arrangement=locked, due_on=due, recorded_by=by, **fields)
    review.full_clean()
    review.save()
    terms = locked.terms_versions.order_by("-version").first()
    every = terms.review_every_months if terms else 3
    done = locked.reviews.count()
    start = timezone.localtime(locked.started_at).date() if locked.started_at else locked.planned_start
    locked.next_review_due = next_review_due(
        started=max(start, locked.planned_start), every_months=every, reviews_done=done
    )
    locked._change_reason = f"review recorded by {by.username}"
    locked.save(update_fields=["next_review_due"])
    _record_event(
        locked,
        title=f"Review recorded: {review.get_outcome_display().lower()}",
        actor=by,
        description=f"Review due {due:%d %B %Y}, held {review.held_on:%d %B %Y}. "
        f"Next review due {locked.next_review_due:%d %B %Y}.",
    )
    notifications.notify_parties(
        arrangement=locked,
        exclude=by,
        subject=f"Review recorded: {locked.title}",
        body=f"{_actor_name(by)} recorded the review due {due:%d %B %Y}: {review.get_outcome_display().lower()}.",
    )
    return review
