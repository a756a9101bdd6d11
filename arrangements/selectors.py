"""Reads of arrangements: what the reminder sweep looks for, and what pages show."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Sum
from django.utils import timezone

from arrangements.models import Arrangement, ArrangementBuddy, Event, Milestone, Signature, TermsOfReference, Workstream
from arrangements.permissions import visible_arrangements
from buddying.models import User


def reviews_due_within(*, today: dt.date, days: int) -> QuerySet[Arrangement]:
    return Arrangement.objects.filter(
        status="active", next_review_due__gte=today, next_review_due__lte=today + dt.timedelta(days=days)
    ).order_by("pk")


def reviews_overdue(*, today: dt.date) -> QuerySet[Arrangement]:
    return Arrangement.objects.filter(status="active", next_review_due__lt=today).order_by("pk")


def milestones_due_within(*, today: dt.date, days: int) -> QuerySet[Milestone]:
    return (
        Milestone.objects.exclude(rag=Milestone.Rag.COMPLETE)
        .filter(
            due_date__gte=today,
            due_date__lte=today + dt.timedelta(days=days),
            workstream__arrangement__status__in=["active", "paused"],
        )
        .select_related("workstream__arrangement")
        .order_by("pk")
    )


def terms_unsigned_since(*, today: dt.date, days: int) -> list[TermsOfReference]:
    """The latest terms of open arrangements, drafted at least `days` ago and still missing a signature."""
    from arrangements.services import missing_signatures

    cutoff = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time.max))
    newer = TermsOfReference.objects.filter(arrangement=OuterRef("arrangement"), version__gt=OuterRef("version"))
    candidates = (
        TermsOfReference.objects.filter(arrangement__status__in=["proposed", "agreed"], created_at__lte=cutoff)
        .exclude(Exists(newer))
        .select_related("arrangement__supported")
        .prefetch_related("arrangement__buddies", "signatures")
        .order_by("pk")
    )
    return [terms for terms in candidates if missing_signatures(terms)]


def arrangement_list(*, user: User) -> QuerySet[Arrangement]:
    """Arrangements the user may see, with what the list shows, in a fixed number of queries."""
    return visible_arrangements(user, Arrangement.objects.for_list()).order_by("-created_at", "-pk")


def arrangement_detail(*, arrangement: Arrangement) -> dict:
    """Everything the arrangement page shows beyond the arrangement itself."""
    terms = list(
        arrangement.terms_versions.prefetch_related(
            "objectives", Prefetch("signatures", Signature.objects.select_related("trust", "signed_by"))
        )
    )
    return {
        "terms": terms[0] if terms else None,
        "older_terms": terms[1:],
        "workstreams": list(
            Workstream.objects.filter(arrangement=arrangement)
            .select_related("area", "buddy")
            .prefetch_related("milestones")
        ),
        "inputs": list(arrangement.inputs.all()),
        "value_for_money": arrangement.inputs.aggregate(
            fees=Sum("fee"),
            travel=Sum("travel_cost"),
            backfill=Sum("backfill_cost"),
            consultancy=Sum("consultancy_estimate"),
            staff_days=Sum("staff_days"),
        ),
        "reviews": list(arrangement.reviews.select_related("recorded_by")),
        "events": list(Event.objects.filter(arrangement=arrangement).select_related("actor")),
        "buddy_entries": list(arrangement.buddies.select_related("buddy").prefetch_related("areas")),
    }


def open_counts_by_status(*, user: User) -> dict[str, int]:
    rows = visible_arrangements(user).values("status").annotate(n=Count("pk", distinct=True))
    return {row["status"]: row["n"] for row in rows}


def open_buddy_pairs() -> list[tuple[int, int]]:
    """(supported id, buddy id) of every open arrangement (proposed, agreed, active or paused): matching counts them
    as places in use, never proposes the pair again, and treats the needs the buddy covers as met."""
    return list(ArrangementBuddy.objects.filter(is_open=True).values_list("supported_id", "buddy_id"))
