"""What every arrangement service shares: the refusal error, the transition table, locking, events and capacity."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from arrangements import notifications
from arrangements.models import (
    CLOSED_STATUSES,
    COMMITTED_STATUSES,
    OPEN_STATUSES,
    Arrangement,
    ArrangementBuddy,
    Event,
    Status,
)
from arrangements.permissions import BUDDY, REGULATOR, SUPPORTED, parties_of
from buddying.history import mark_change
from buddying.models import ExpertiseArea, Trust, User
from matching.models import BuddyCapacity


class ArrangementError(Exception):
    """A refused action. The message is one plain sentence for the person who tried it."""


@dataclass(frozen=True)
class BuddySpec:
    buddy: Trust
    role: str = ArrangementBuddy.Role.LEAD
    areas: tuple[ExpertiseArea, ...] = ()
    staff_days_per_month: Decimal = Decimal(2)
    from_pool: bool = True


@dataclass(frozen=True)
class Transition:
    source: frozenset[str]
    target: str
    parties: frozenset[str]
    verb: str


ANY_PARTY = frozenset({REGULATOR, SUPPORTED, BUDDY})

TRANSITIONS = {
    # The review found arrangements work best when trusts choose their buddy and the regulator agrees it.
    "agree": Transition(frozenset({Status.PROPOSED}), Status.AGREED, frozenset({REGULATOR}), "agreed"),
    "decline": Transition(frozenset({Status.PROPOSED}), Status.DECLINED, ANY_PARTY, "declined"),
    "pause": Transition(frozenset({Status.ACTIVE}), Status.PAUSED, ANY_PARTY, "paused"),
    "resume": Transition(frozenset({Status.PAUSED}), Status.ACTIVE, ANY_PARTY, "resumed"),
    "complete": Transition(frozenset({Status.ACTIVE, Status.PAUSED}), Status.COMPLETED, ANY_PARTY, "completed"),
    "terminate": Transition(frozenset(COMMITTED_STATUSES), Status.TERMINATED, ANY_PARTY, "ended"),
}


def allowed_actions(*, arrangement: Arrangement, user: User) -> list[str]:
    """The transitions this user may make now (pages show only these buttons)."""
    parties = parties_of(user, arrangement)
    return [
        name
        for name, transition in TRANSITIONS.items()
        if arrangement.status in transition.source and parties & transition.parties
    ]


def _locked(arrangement: Arrangement) -> Arrangement:
    return Arrangement.objects.select_for_update(of=("self",)).select_related("supported").get(pk=arrangement.pk)


def _record_event(arrangement: Arrangement, *, title: str, actor: User | None, description: str = "") -> Event:
    return Event.objects.create(arrangement=arrangement, title=title, actor=actor, description=description)


def _actor_name(user: User | None) -> str:
    if user is None:
        return "The system"
    return user.get_full_name() or user.username


def _refresh_buddy_state(arrangement: Arrangement) -> None:
    """Keep the pair-uniqueness copy and each buddy's committed capacity in step with the status."""
    is_open = arrangement.status in OPEN_STATUSES
    entries = list(arrangement.buddies.select_related("buddy"))
    for entry in entries:
        if entry.is_open != is_open:
            entry.is_open = is_open
            entry.save(update_fields=["is_open"])
    capacity_recount(trusts=[entry.buddy for entry in entries])


def capacity_recount(*, trusts: Iterable[Trust]) -> None:
    """A buddy's places and staff days in use: its arrangements that are agreed, active or paused."""
    for trust in trusts:
        committed = ArrangementBuddy.objects.filter(buddy=trust, arrangement__status__in=COMMITTED_STATUSES).aggregate(
            places=Count("pk"), days=Sum("staff_days_per_month")
        )
        capacity, _created = BuddyCapacity.objects.select_for_update().get_or_create(trust=trust)
        capacity.active_arrangements = committed["places"] or 0
        capacity.staff_days_committed = committed["days"] or Decimal(0)
        capacity.save(update_fields=["active_arrangements", "staff_days_committed"])


def _check(arrangement: Arrangement, action: str, user: User) -> Transition:
    transition = TRANSITIONS[action]
    if arrangement.status not in transition.source:
        raise ArrangementError(
            f"This arrangement is {arrangement.get_status_display().lower()}, so it cannot be {transition.verb}"
        )
    if not parties_of(user, arrangement) & transition.parties:
        raise ArrangementError(f"You cannot make this change: only {_who(transition.parties)} can")
    return transition


def _who(parties: frozenset[str]) -> str:
    names = {REGULATOR: "regulator staff", SUPPORTED: "the supported trust", BUDDY: "a buddy trust"}
    ordered = [names[party] for party in (REGULATOR, SUPPORTED, BUDDY) if party in parties]
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _apply(arrangement: Arrangement, transition: Transition, *, by: User, detail: str = "") -> Arrangement:
    previous = arrangement.get_status_display().lower()
    arrangement.status = transition.target
    now = timezone.now()
    if transition.target == Status.AGREED:
        arrangement.agreed_at = now
    if transition.target in CLOSED_STATUSES:
        arrangement.ended_at = now
        arrangement.next_review_due = None  # an ended arrangement has no next review (register, reminders, pages)
    mark_change(arrangement, reason=f"{transition.verb} by {by.username}")
    arrangement.save()
    _refresh_buddy_state(arrangement)
    title = f"Arrangement {transition.verb}"
    _record_event(
        arrangement,
        title=title,
        actor=by,
        description=f"{_actor_name(by)} changed it from {previous}. {detail}".strip(),
    )
    notifications.notify_parties(
        arrangement=arrangement,
        exclude=by,
        subject=f"{title}: {arrangement.title}",
        body=f"{_actor_name(by)}: {title.lower()}. {detail}".strip(),
    )
    return arrangement


def _require_party(arrangement: Arrangement, by: User, *, doing: str) -> set[str]:
    parties = parties_of(by, arrangement)
    if not parties:
        raise ArrangementError(f"You cannot {doing} for this arrangement")
    if arrangement.status in CLOSED_STATUSES:
        raise ArrangementError(f"This arrangement is {arrangement.get_status_display().lower()}: you cannot {doing}")
    return parties
