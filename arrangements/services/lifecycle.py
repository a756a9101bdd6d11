"""Proposing an arrangement and moving it through its states. Every state change locks the row, checks the actor,
and records who and when.

Transitions (who may make them; anyone else is refused with ArrangementError):
    proposed -> agreed      regulator (the buddies' consent came first: a call-off or their own proposal)
    proposed -> declined    regulator, supported trust, buddy trust
    agreed   -> active      automatic, once every party has signed the current terms of reference
    active   -> paused      any party;   paused -> active (resume): any party
    active/paused -> completed   any party
    agreed/active/paused -> terminated   any party, with a reason and handover notes
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Min

from arrangements import notifications
from arrangements.models import (
    Arrangement,
    ArrangementBuddy,
)
from arrangements.permissions import parties_of
from arrangements.services.common import (
    ArrangementError,
    BuddySpec,
    _actor_name,
    _apply,
    _check,
    _locked,
    _record_event,
)
from arrangements.services.terms import _activate_if_signed
from buddying.models import Trust, User


@transaction.atomic
def arrangement_propose(
    *,
    supported: Trust,
    buddies: Sequence[BuddySpec],
    title: str,
    origin: str,
    tier: str,
    planned_start: dt.date,
    planned_end: dt.date,
    by: User | None,
    acquisition_separation: str = "",
) -> Arrangement:
    """Create an arrangement in its first state, `proposed`."""
    if not buddies:
        raise ArrangementError("Choose at least one buddy trust")
    if planned_end < planned_start:
        raise ArrangementError("The planned end must be on or after the planned start")
    codes = [spec.buddy.pk for spec in buddies]
    if len(set(codes)) != len(codes):
        raise ArrangementError("Each buddy can be named once")
    if supported.pk in codes:
        raise ArrangementError("A trust cannot buddy itself")
    if sum(1 for spec in buddies if spec.role == ArrangementBuddy.Role.LEAD) > 1:
        raise ArrangementError("An arrangement has at most one lead buddy")
    first_need = supported.needs.aggregate(first=Min("recorded_at"))["first"]
    arrangement = Arrangement.objects.create(
        supported=supported,
        title=title,
        origin=origin,
        tier=tier,
        planned_start=planned_start,
        planned_end=planned_end,
        proposed_by=by,
        acquisition_separation=acquisition_separation,
        needs_recorded_at=first_need,
    )
    for spec in buddies:
        try:
            with transaction.atomic():
                entry = ArrangementBuddy.objects.create(
                    arrangement=arrangement,
                    buddy=spec.buddy,
                    supported=supported,
                    role=spec.role,
                    staff_days_per_month=spec.staff_days_per_month,
                    from_pool=spec.from_pool,
                )
        except IntegrityError:
            raise ArrangementError(f"{spec.buddy.name} already has an open arrangement with {supported.name}") from None
        entry.areas.set(spec.areas)
    _record_event(
        arrangement,
        title="Arrangement proposed",
        actor=by,
        description=f"{_actor_name(by)} proposed {', '.join(spec.buddy.name for spec in buddies)} "
        f"as buddy for {supported.name} ({arrangement.get_tier_display().lower()}).",
    )
    notifications.notify_parties(
        arrangement=arrangement,
        exclude=by,
        subject=f"Buddying proposed: {arrangement.title}",
        body=f"{_actor_name(by)} proposed a buddying arrangement for {supported.name}.",
    )
    return arrangement


@transaction.atomic
def arrangement_agree(*, arrangement: Arrangement, by: User, capacity_override: str = "") -> Arrangement:
    """Regulator staff agree a proposal. A buddy with no free capacity (no free place or no free staff days) is
    agreed only with `capacity_override`, a reason recorded in the timeline; without one it is refused."""
    from arrangements.selectors import free_capacity

    locked = _locked(arrangement)
    transition = _check(locked, "agree", by)
    if locked.tier == Arrangement.Tier.ACQUISITION_LINKED and not locked.acquisition_separation.strip():
        raise ArrangementError(
            "Before an acquisition-linked arrangement can be agreed, state how the buddy role is kept distinct "
            "from the acquirer role"
        )
    buddies = [entry.buddy for entry in locked.buddies.select_related("buddy")]
    capacity = free_capacity(trusts=buddies, excluding=locked)
    full = [trust.name for trust in buddies if not capacity[trust.pk].has_room]
    detail = ""
    if full and not capacity_override.strip():
        raise ArrangementError(
            f"{' and '.join(full)} {'has' if len(full) == 1 else 'have'} no free capacity: agree only with an "
            "override and a reason, or decline the proposal"
        )
    if full:
        detail = f"Agreed although {' and '.join(full)} had no free capacity. Reason: {capacity_override.strip()}"
    locked = _apply(locked, transition, by=by, detail=detail)
    _activate_if_signed(locked, by=by)
    return locked


@transaction.atomic
def arrangement_decline(*, arrangement: Arrangement, by: User, reason: str) -> Arrangement:
    if not reason.strip():
        raise ArrangementError("Say why the arrangement is declined")
    locked = _locked(arrangement)
    locked.end_notes = reason
    return _apply(locked, _check(locked, "decline", by), by=by, detail=f"Reason: {reason}")


@transaction.atomic
def arrangement_pause(*, arrangement: Arrangement, by: User, reason: str = "") -> Arrangement:
    locked = _locked(arrangement)
    return _apply(locked, _check(locked, "pause", by), by=by, detail=reason)


@transaction.atomic
def arrangement_resume(*, arrangement: Arrangement, by: User) -> Arrangement:
    locked = _locked(arrangement)
    return _apply(locked, _check(locked, "resume", by), by=by)


@transaction.atomic
def arrangement_complete(*, arrangement: Arrangement, by: User, notes: str = "") -> Arrangement:
    locked = _locked(arrangement)
    transition = _check(locked, "complete", by)
    locked.end_reason = Arrangement.EndReason.OBJECTIVES_MET
    locked.handover_notes = notes
    locked.ended_by_party = sorted(parties_of(by, locked))[0]
    return _apply(locked, transition, by=by, detail=notes)


@transaction.atomic
def arrangement_terminate(*, arrangement: Arrangement, by: User, reason: str, notes: str, handover: str) -> Arrangement:
    """Either trust or the regulator may end an arrangement that is not working (the review's finding)."""
    if reason not in Arrangement.EndReason.values:
        raise ArrangementError("Choose why the arrangement is ending")
    if not handover.strip():
        raise ArrangementError("Write handover notes so the work is not lost")
    locked = _locked(arrangement)
    transition = _check(locked, "terminate", by)
    locked.end_reason = reason
    locked.end_notes = notes
    locked.handover_notes = handover
    locked.ended_by_party = sorted(parties_of(by, locked))[0]
    return _apply(
        locked, transition, by=by, detail=f"Reason: {Arrangement.EndReason(reason).label.lower()}. {notes}".strip()
    )
