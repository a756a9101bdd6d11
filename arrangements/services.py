"""Writes to arrangements. Every state change locks the row, checks the actor, and records who and when.

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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from arrangements import notifications
from arrangements.models import (
    OPEN_STATUSES,
    Arrangement,
    ArrangementBuddy,
    CallOff,
    Event,
    Input,
    Invitation,
    Milestone,
    Objective,
    Response,
    Review,
    Signature,
    TermsOfReference,
    Workstream,
    next_review_due,
)
from arrangements.permissions import BUDDY, REGULATOR, SUPPORTED, parties_of
from buddying.models import ExpertiseArea, Trust, User
from buddying.permissions import is_regulator_or_admin
from matching.models import BuddyCapacity, Framework, MatchRun


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


TRANSITIONS = {
    # The review found arrangements work best when trusts choose their buddy and the regulator agrees it.
    "agree": Transition(frozenset({"proposed"}), "agreed", frozenset({REGULATOR}), "agreed"),
    "decline": Transition(frozenset({"proposed"}), "declined", frozenset({REGULATOR, SUPPORTED, BUDDY}), "declined"),
    "pause": Transition(frozenset({"active"}), "paused", frozenset({REGULATOR, SUPPORTED, BUDDY}), "paused"),
    "resume": Transition(frozenset({"paused"}), "active", frozenset({REGULATOR, SUPPORTED, BUDDY}), "resumed"),
    "complete": Transition(
        frozenset({"active", "paused"}), "completed", frozenset({REGULATOR, SUPPORTED, BUDDY}), "completed"
    ),
    "terminate": Transition(
        frozenset({"agreed", "active", "paused"}), "terminated", frozenset({REGULATOR, SUPPORTED, BUDDY}), "ended"
    ),
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
        committed = ArrangementBuddy.objects.filter(
            buddy=trust, arrangement__status__in=["agreed", "active", "paused"]
        ).aggregate(places=Count("pk"), days=Sum("staff_days_per_month"))
        capacity, _created = BuddyCapacity.objects.select_for_update().get_or_create(trust=trust)
        capacity.active_arrangements = committed["places"] or 0
        capacity.staff_days_committed = committed["days"] or Decimal(0)
        capacity.save(update_fields=["active_arrangements", "staff_days_committed"])


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
    if transition.target == "agreed":
        arrangement.agreed_at = now
    if transition.target in {"completed", "terminated", "declined"}:
        arrangement.ended_at = now
    arrangement._change_reason = f"{transition.verb} by {by.username}"
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


@transaction.atomic
def arrangement_agree(*, arrangement: Arrangement, by: User) -> Arrangement:
    locked = _locked(arrangement)
    transition = _check(locked, "agree", by)
    if locked.tier == Arrangement.Tier.ACQUISITION_LINKED and not locked.acquisition_separation.strip():
        raise ArrangementError(
            "Before an acquisition-linked arrangement can be agreed, state how the buddy role is kept distinct "
            "from the acquirer role"
        )
    locked = _apply(locked, transition, by=by)
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


# Terms of reference -------------------------------------------------------------------------------------------


TERMS_FIELDS = (
    "scope",
    "out_of_scope",
    "supported_commitments",
    "buddy_commitments",
    "governance",
    "meeting_cadence",
    "review_every_months",
    "local_discretion",
    "termination_terms",
    "fee",
    "who_pays",
)


@transaction.atomic
def terms_draft(
    *, arrangement: Arrangement, by: User, fields: dict[str, Any], objectives: Sequence[tuple[str, str, dt.date]]
) -> TermsOfReference:
    """Save a new version of the terms. Earlier signatures stay with the version they signed."""
    locked = _locked(arrangement)
    if not parties_of(by, locked):
        raise ArrangementError("You cannot draft terms for this arrangement")
    if locked.status not in {"proposed", "agreed", "active", "paused"}:
        raise ArrangementError(f"This arrangement is {locked.get_status_display().lower()}: its terms are final")
    if not objectives:
        raise ArrangementError("Add at least one objective with a measurable output and a target date")
    latest = locked.terms_versions.order_by("-version").first()
    terms = TermsOfReference.objects.create(
        arrangement=locked,
        version=(latest.version + 1) if latest else 1,
        created_by=by,
        **{name: fields[name] for name in TERMS_FIELDS if name in fields},
    )
    Objective.objects.bulk_create(
        Objective(terms=terms, description=description, measurable_output=output, target_date=target)
        for description, output, target in objectives
    )
    _record_event(locked, title=f"Terms of reference version {terms.version} drafted", actor=by)
    notifications.notify_parties(
        arrangement=locked,
        exclude=by,
        subject=f"Terms of reference to sign: {locked.title}",
        body=f"{_actor_name(by)} drafted version {terms.version} of the terms of reference. Please read and sign them.",
    )
    return terms


def required_signatories(arrangement: Arrangement) -> list[tuple[str, Trust | None]]:
    """Who must sign: the supported trust, every buddy, and the regulator if the trust is in special measures."""
    required: list[tuple[str, Trust | None]] = [(SUPPORTED, arrangement.supported)]
    required += [(BUDDY, entry.buddy) for entry in arrangement.buddies.all()]
    if arrangement.needs_regulator_sign_off:
        required.append((REGULATOR, None))
    return required


def missing_signatures(terms: TermsOfReference) -> list[tuple[str, Trust | None]]:
    signed = {(signature.party, signature.trust_id) for signature in terms.signatures.all()}
    return [
        (party, trust)
        for party, trust in required_signatories(terms.arrangement)
        if (party, trust.pk if trust else None) not in signed
    ]


@transaction.atomic
def terms_sign(*, terms: TermsOfReference, by: User) -> Signature:
    """Sign the current terms for the side the user acts for. The last signature makes the arrangement active."""
    arrangement = _locked(terms.arrangement)
    latest = arrangement.terms_versions.order_by("-version").first()
    if latest is None or latest.pk != terms.pk:
        raise ArrangementError("Only the latest version of the terms can be signed")
    if arrangement.status not in {"proposed", "agreed", "active", "paused"}:
        raise ArrangementError(f"This arrangement is {arrangement.get_status_display().lower()}: nothing to sign")
    parties = parties_of(by, arrangement)
    if REGULATOR in parties:
        party, trust = REGULATOR, None
    elif SUPPORTED in parties:
        party, trust = SUPPORTED, arrangement.supported
    elif BUDDY in parties:
        party, trust = BUDDY, by.trust
    else:
        raise ArrangementError("You cannot sign these terms")
    if (party, trust) not in required_signatories(arrangement):
        raise ArrangementError("The regulator signs only when the trust is in special measures")
    try:
        with transaction.atomic():
            signature = Signature.objects.create(terms=terms, party=party, trust=trust, signed_by=by)
    except IntegrityError:
        raise ArrangementError("These terms are already signed for your side") from None
    who = trust.name if trust else "the regulator"
    _record_event(arrangement, title=f"Terms of reference version {terms.version} signed for {who}", actor=by)
    _activate_if_signed(arrangement, by=by)
    return signature


def _activate_if_signed(arrangement: Arrangement, *, by: User) -> None:
    if arrangement.status != "agreed":
        return
    latest = arrangement.terms_versions.order_by("-version").prefetch_related("signatures").first()
    if latest is None or missing_signatures(latest):
        return
    arrangement.status = "active"
    arrangement.started_at = timezone.now()
    start = max(timezone.localdate(), arrangement.planned_start)
    arrangement.next_review_due = next_review_due(
        started=start, every_months=latest.review_every_months, reviews_done=0
    )
    arrangement._change_reason = "activated: terms of reference signed by every party"
    arrangement.save()
    _refresh_buddy_state(arrangement)
    _record_event(
        arrangement,
        title="Arrangement active",
        actor=by,
        description="Every party signed the terms of reference. "
        f"First review due {arrangement.next_review_due:%d %B %Y}.",
    )
    notifications.notify_parties(
        arrangement=arrangement,
        exclude=None,
        subject=f"Arrangement active: {arrangement.title}",
        body=f"Every party has signed the terms. The first review is due on {arrangement.next_review_due:%d %B %Y}.",
    )


# Work programme, inputs and reviews ----------------------------------------------------------------------------


def _require_party(arrangement: Arrangement, by: User, *, doing: str) -> set[str]:
    parties = parties_of(by, arrangement)
    if not parties:
        raise ArrangementError(f"You cannot {doing} for this arrangement")
    if arrangement.status in {"completed", "terminated", "declined"}:
        raise ArrangementError(f"This arrangement is {arrangement.get_status_display().lower()}: you cannot {doing}")
    return parties


@transaction.atomic
def workstream_add(
    *,
    arrangement: Arrangement,
    by: User,
    area: ExpertiseArea,
    supported_lead: str,
    buddy_lead: str,
    buddy: Trust | None,
) -> Workstream:
    locked = _locked(arrangement)
    _require_party(locked, by, doing="add a workstream")
    if buddy is not None and not locked.buddies.filter(buddy=buddy).exists():
        raise ArrangementError(f"{buddy.name} is not a buddy in this arrangement")
    try:
        with transaction.atomic():
            workstream = Workstream.objects.create(
                arrangement=locked, area=area, supported_lead=supported_lead, buddy_lead=buddy_lead, buddy=buddy
            )
    except IntegrityError:
        raise ArrangementError(f"There is already a {area.name.lower()} workstream") from None
    _record_event(
        locked,
        title=f"Workstream added: {area.name}",
        actor=by,
        description=f"Leads: {supported_lead} and {buddy_lead}.",
    )
    return workstream


@transaction.atomic
def milestone_add(*, workstream: Workstream, by: User, title: str, due_date: dt.date) -> Milestone:
    locked = _locked(workstream.arrangement)
    _require_party(locked, by, doing="add a milestone")
    milestone = Milestone.objects.create(workstream=workstream, title=title, due_date=due_date)
    _record_event(
        locked,
        title=f"Milestone added: {title}",
        actor=by,
        description=f"Due {due_date:%d %B %Y} ({workstream.area.name}).",
    )
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, by: User, rag: str) -> Milestone:
    locked = _locked(milestone.workstream.arrangement)
    _require_party(locked, by, doing="update a milestone")
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    milestone.rag = rag
    milestone.completed_on = timezone.localdate() if rag == Milestone.Rag.COMPLETE else None
    milestone._history_user = by  # read by django-simple-history, also outside a web request
    milestone.save(update_fields=["rag", "completed_on"])
    _record_event(locked, title=f"Milestone {milestone.get_rag_display().lower()}: {milestone.title}", actor=by)
    return milestone


@transaction.atomic
def input_record(*, arrangement: Arrangement, by: User, fields: dict[str, Any]) -> Input:
    locked = _locked(arrangement)
    _require_party(locked, by, doing="record an input")
    entry = Input(arrangement=locked, recorded_by=by, **fields)
    entry.full_clean()
    entry.save()
    _record_event(
        locked,
        title=f"{entry.get_kind_display()} recorded",
        actor=by,
        description=f"{entry.description} on {entry.date:%d %B %Y}: "
        f"{entry.staff_days} staff days, cost £{entry.total_cost:,.2f}.",
    )
    return entry


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


# Framework call-offs ---------------------------------------------------------------------------------------------


def _pool_members(*, framework_id: int | None = None) -> set[int]:
    from matching.selectors import pool_member_ids

    return pool_member_ids(day=timezone.localdate(), framework_id=framework_id)


@transaction.atomic
def call_off_create(
    *,
    supported: Trust,
    framework: Framework,
    title: str,
    tier: str,
    by: User,
    invitations: Sequence[BuddySpec],
    match_run: MatchRun | None = None,
) -> CallOff:
    """Regulator staff invite members of a live framework's pool to buddy a challenged trust; the trust is asked too."""
    if not is_regulator_or_admin(by):
        raise ArrangementError("Only regulator staff can call buddies off the framework")
    if framework.status != Framework.Status.LIVE:
        raise ArrangementError(f"{framework.name} is not live, so no buddy can be called off it")
    if not invitations:
        raise ArrangementError("Choose at least one buddy to invite")
    _check_invitable(invitations, supported=supported, framework=framework)
    call_off = CallOff.objects.create(
        supported=supported, framework=framework, title=title, tier=tier, created_by=by, match_run=match_run
    )
    for spec in invitations:
        invitation = Invitation.objects.create(call_off=call_off, trust=spec.buddy, role=spec.role)
        invitation.areas.set(spec.areas)
    _call_off_notify(
        call_off,
        exclude=by,
        subject=f"Invitation to buddy {supported.name}",
        body=f"{_actor_name(by)} invites your trust to buddy {supported.name}: {title}. Please accept or decline.",
    )
    return call_off


def _call_off_notify(call_off: CallOff, *, exclude: User | None, subject: str, body: str) -> None:
    trust_ids = [call_off.supported_id, *call_off.invitations.values_list("trust_id", flat=True)]
    people = User.objects.filter(
        Q(role=User.Role.TRUST_EXECUTIVE, trust_id__in=trust_ids) | Q(role=User.Role.REGULATOR), is_active=True
    ).exclude(pk=exclude.pk if exclude else None)
    notifications.notify(recipients=people, subject=subject, body=body, url=call_off.get_absolute_url())


def _settle(call_off: CallOff, *, by: User) -> None:
    """A mutual yes (the trust, and every invited buddy answered with at least one yes) proposes the arrangement."""
    invitations = list(call_off.invitations.select_related("trust").prefetch_related("areas"))
    if call_off.supported_response == Response.DECLINED:
        call_off.status = CallOff.Status.CANCELLED
        call_off.save(update_fields=["status"])
        return
    if call_off.supported_response != Response.ACCEPTED or any(i.status == Response.PENDING for i in invitations):
        return
    accepted = [i for i in invitations if i.status == Response.ACCEPTED]
    if not accepted:
        return  # every buddy said no: the regulator can invite others
    roles = [i.role for i in accepted]
    if ArrangementBuddy.Role.LEAD not in roles:
        roles[0] = ArrangementBuddy.Role.LEAD  # someone must lead
    start = timezone.localdate() + dt.timedelta(days=14)
    arrangement = arrangement_propose(
        supported=call_off.supported,
        buddies=[
            BuddySpec(buddy=i.trust, role=role, areas=tuple(i.areas.all()))
            for i, role in zip(accepted, roles, strict=True)
        ],
        title=call_off.title,
        origin=Arrangement.Origin.FRAMEWORK_CALL_OFF,
        tier=call_off.tier,
        planned_start=start,
        planned_end=start + dt.timedelta(days=365),
        by=by,
    )
    call_off.arrangement = arrangement
    call_off.status = CallOff.Status.AGREED
    call_off.save(update_fields=["arrangement", "status"])


@transaction.atomic
def invitation_respond(*, invitation: Invitation, by: User, accept: bool, reason: str = "") -> Invitation:
    """The invited trust's executive says yes or no (with a reason)."""
    locked = Invitation.objects.select_for_update().select_related("call_off", "trust").get(pk=invitation.pk)
    if not (by.is_trust_executive and by.trust_id == locked.trust_id):
        raise ArrangementError("Only an executive of the invited trust can answer this invitation")
    if locked.status != Response.PENDING:
        raise ArrangementError(f"This invitation was already {locked.get_status_display().lower()}")
    if not accept and not reason.strip():
        raise ArrangementError("Say why your trust declines, so the regulator can find another buddy")
    call_off = CallOff.objects.select_for_update().get(pk=locked.call_off_id)
    if call_off.status != CallOff.Status.INVITING:
        raise ArrangementError("This call-off is closed")
    locked.status = Response.ACCEPTED if accept else Response.DECLINED
    locked.reason, locked.responded_by, locked.responded_at = reason, by, timezone.now()
    locked.save()
    verb = "accepted" if accept else "declined"
    _call_off_notify(
        call_off,
        exclude=by,
        subject=f"{locked.trust.name} {verb} the invitation",
        body=f"{locked.trust.name} {verb} the invitation to buddy {call_off.supported.name}. {reason}".strip(),
    )
    _settle(call_off, by=by)
    return locked


@transaction.atomic
def call_off_respond_supported(*, call_off: CallOff, by: User, accept: bool, reason: str = "") -> CallOff:
    """The challenged trust's executive agrees to the proposed buddies, or says no (with a reason)."""
    locked = CallOff.objects.select_for_update().select_related("supported").get(pk=call_off.pk)
    if not (by.is_trust_executive and by.trust_id == locked.supported_id):
        raise ArrangementError("Only an executive of the supported trust can answer for it")
    if locked.status != CallOff.Status.INVITING or locked.supported_response != Response.PENDING:
        raise ArrangementError("Your trust has already answered")
    if not accept and not reason.strip():
        raise ArrangementError("Say why your trust declines these buddies")
    locked.supported_response = Response.ACCEPTED if accept else Response.DECLINED
    locked.supported_reason, locked.supported_responded_by = reason, by
    locked.save(update_fields=["supported_response", "supported_reason", "supported_responded_by"])
    verb = "accepted" if accept else "declined"
    _call_off_notify(
        locked,
        exclude=by,
        subject=f"{locked.supported.name} {verb} the proposed buddies",
        body=f"{locked.supported.name} {verb} the buddies proposed for {locked.title}. {reason}".strip(),
    )
    _settle(locked, by=by)
    return locked


@transaction.atomic
def call_off_invite_more(*, call_off: CallOff, by: User, invitations: Sequence[BuddySpec]) -> CallOff:
    """Invite further pool members, for example after one declined."""
    locked = CallOff.objects.select_for_update().get(pk=call_off.pk)
    if not is_regulator_or_admin(by):
        raise ArrangementError("Only regulator staff can invite buddies")
    if locked.status != CallOff.Status.INVITING:
        raise ArrangementError("This call-off is closed")
    _check_invitable(invitations, supported=locked.supported, framework=locked.framework)
    for spec in invitations:
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(call_off=locked, trust=spec.buddy, role=spec.role)
        except IntegrityError:
            raise ArrangementError(f"{spec.buddy.name} has already been invited") from None
        invitation.areas.set(spec.areas)
    names = ", ".join(spec.buddy.name for spec in invitations)
    _call_off_notify(
        locked,
        exclude=by,
        subject=f"Invitation to buddy {locked.supported.name}",
        body=f"{_actor_name(by)} also invites {names} to buddy {locked.supported.name}: {locked.title}.",
    )
    return locked


def _check_invitable(invitations: Sequence[BuddySpec], *, supported: Trust, framework: Framework) -> None:
    if any(spec.buddy.pk == supported.pk for spec in invitations):
        raise ArrangementError("A trust cannot buddy itself")
    members = _pool_members(framework_id=framework.pk)
    outside = [spec.buddy.name for spec in invitations if spec.buddy.pk not in members]
    if outside:
        raise ArrangementError(
            f"{', '.join(outside)}: not an accredited member of the {framework.name} pool, so it cannot be called off"
        )
