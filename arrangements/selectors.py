"""Reads of arrangements: what the reminder sweep looks for, and what pages show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from arrangements.models import (
    RUNNING_STATUSES,
    SETTING_UP_STATUSES,
    Arrangement,
    ArrangementBuddy,
    CallOff,
    Event,
    Input,
    Invitation,
    Milestone,
    Response,
    Review,
    ReviewSubmission,
    Signature,
    TermsOfReference,
    Workstream,
)
from arrangements.permissions import visible_arrangements, visible_call_offs
from buddying.models import ExpertiseArea, Trust, User
from buddying.permissions import is_regulator_or_admin
from buddying.worklist import WorkItem
from matching.models import BuddyCapacity, Framework, MatchRun


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
            workstream__arrangement__status__in=RUNNING_STATUSES,
        )
        .select_related("workstream__arrangement")
        .order_by("pk")
    )


def milestones_overdue(*, today: dt.date) -> QuerySet[Milestone]:
    """Milestones of running arrangements past their due date and not complete: the sweep tells the parties once
    per milestone and due date (a new due date is a new reminder)."""
    return (
        Milestone.objects.exclude(rag=Milestone.Rag.COMPLETE)
        .filter(due_date__lt=today, workstream__arrangement__status__in=RUNNING_STATUSES)
        .select_related("workstream__arrangement")
        .order_by("pk")
    )


def terms_unsigned_since(*, today: dt.date, days: int) -> list[TermsOfReference]:
    """The latest terms of open arrangements, drafted at least `days` ago and still missing a signature."""
    from arrangements.services import missing_signatures

    cutoff = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=days), dt.time.max))
    newer = TermsOfReference.objects.filter(arrangement=OuterRef("arrangement"), version__gt=OuterRef("version"))
    candidates = (
        TermsOfReference.objects.filter(arrangement__status__in=SETTING_UP_STATUSES, created_at__lte=cutoff)
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
    reviews = reviews_with_submissions(arrangement=arrangement)
    inputs = list(arrangement.inputs.all())
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
        "inputs": inputs,
        "planned_inputs": _planned_totals(inputs),
        # Actual inputs only: one dated in the future is planned, listed but not yet a cost.
        "value_for_money": arrangement.inputs.actual().aggregate(
            fees=Sum("fee"),
            travel=Sum("travel_cost"),
            backfill=Sum("backfill_cost"),
            consultancy=Sum("consultancy_estimate"),
            staff_days=Sum("staff_days"),
        ),
        "reviews": reviews,
        "review_round": review_round(arrangement=arrangement, reviews=reviews),
        "events": list(Event.objects.filter(arrangement=arrangement).select_related("actor")),
        "buddy_entries": list(arrangement.buddies.select_related("buddy").prefetch_related("areas")),
    }


def _planned_totals(inputs: list[Input]) -> dict[str, Any]:
    """How many inputs are planned (dated after today) and what they will cost: shown apart from actual costs."""
    planned = [entry for entry in inputs if entry.is_planned]
    return {
        "count": len(planned),
        "cost": sum((entry.total_cost for entry in planned), Decimal(0)),
        "staff_days": sum((entry.staff_days for entry in planned), Decimal(0)),
    }


def open_counts_by_status(*, user: User) -> dict[str, int]:
    rows = visible_arrangements(user).values("status").annotate(n=Count("pk", distinct=True))
    return {row["status"]: row["n"] for row in rows}


def open_buddy_pairs() -> list[tuple[int, int]]:
    """(supported id, buddy id) of every open arrangement (proposed, agreed, active or paused): matching counts them
    as places in use, never proposes the pair again, and treats the needs the buddy covers as met."""
    return list(ArrangementBuddy.objects.filter(is_open=True).values_list("supported_id", "buddy_id"))


def past_need_areas() -> list[list[str]]:
    """Per arrangement, the area slugs of its workstreams and of its issue-specific buddies (two queries)."""
    areas: dict[int, set[str]] = {}
    for arrangement_id, slug in Workstream.objects.values_list("arrangement_id", "area__slug"):
        areas.setdefault(arrangement_id, set()).add(slug)
    for arrangement_id, slug in ArrangementBuddy.areas.through.objects.values_list(
        "arrangementbuddy__arrangement_id", "expertisearea__slug"
    ):
        areas.setdefault(arrangement_id, set()).add(slug)
    return [sorted(slugs) for _id, slugs in sorted(areas.items())]


# Parties with no one to act for them ------------------------------------------------------------------------------


def trusts_with_an_executive(*, trust_ids: Iterable[int]) -> set[int]:
    """Of these trusts, those with a registered executive: an active trust executive who can sign in.

    A trust without one cannot answer an invitation or sign terms: call-off and arrangement pages warn of it
    (with `invite_user_url`), and what waits for that trust waits until someone signs up."""
    return set(
        User.objects.filter(role=User.Role.TRUST_EXECUTIVE, is_active=True, trust_id__in=list(trust_ids))
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .values_list("trust_id", flat=True)
    )


def invite_user_url(trust: Trust, *, user: User | None = None) -> str | None:
    """The page that invites an executive of `trust` (buddying's People pages), if `user` may invite one (regulator
    staff any trust's, an executive only their own trust's); None otherwise, or while no such page exists."""
    from buddying.permissions import can_invite

    if user is not None and not can_invite(user, role=User.Role.TRUST_EXECUTIVE, trust=trust):
        return None
    try:
        return f"{reverse('people-invite')}?{urlencode({'trust': trust.ods_code})}"
    except NoReverseMatch:
        return None


# Free capacity ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeCapacity:
    """A buddy's room for one more arrangement: places (every open arrangement holds one, as matching counts them)
    and senior staff days a month (those committed to agreed, active and paused arrangements)."""

    declared: bool
    places: int
    places_free: int
    days: Decimal | None
    days_free: Decimal | None

    @property
    def has_room(self) -> bool:
        """A free place and free staff days (matching excludes a buddy with neither, as at capacity)."""
        return self.places_free >= 1 and (self.days_free is None or self.days_free > 0)

    @property
    def summary(self) -> str:
        if not self.declared:
            return "No capacity declared"
        places = f"{self.places_free} of {self.places} place{'' if self.places == 1 else 's'} free"
        return f"{places}, {_days(self.days_free)} of {_days(self.days)} senior staff days a month free"


def _days(value: Decimal | None) -> str:
    """6.0 -> "6", 2.5 -> "2.5"."""
    return "not known" if value is None else f"{value.normalize():f}"


def free_capacity(*, trusts: Iterable[Trust], excluding: Arrangement | None = None) -> dict[int, FreeCapacity]:
    """Each trust's free capacity, not counting `excluding` (a proposal being decided: it holds a place in matching's
    count, but not yet any committed days), in two queries.

    Undeclared capacity counts as one place, as matching counts it."""
    trust_ids = [trust.pk for trust in trusts]
    held: dict[int, int] = {}
    open_places = ArrangementBuddy.objects.filter(buddy_id__in=trust_ids, is_open=True)
    if excluding is not None:
        open_places = open_places.exclude(arrangement=excluding)
    for row in open_places.values("buddy_id").annotate(n=Count("pk")):
        held[row["buddy_id"]] = row["n"]
    declared = {capacity.trust_id: capacity for capacity in BuddyCapacity.objects.filter(trust_id__in=trust_ids)}
    result = {}
    for trust_id in trust_ids:
        capacity = declared.get(trust_id)
        if capacity is None:
            result[trust_id] = FreeCapacity(
                declared=False, places=1, places_free=max(0, 1 - held.get(trust_id, 0)), days=None, days_free=None
            )
            continue
        in_use = max(capacity.active_arrangements, held.get(trust_id, 0))
        result[trust_id] = FreeCapacity(
            declared=True,
            places=capacity.max_concurrent_arrangements,
            places_free=max(0, capacity.max_concurrent_arrangements - in_use),
            days=capacity.senior_staff_days_per_month,
            days_free=max(Decimal(0), capacity.senior_staff_days_per_month - capacity.staff_days_committed),
        )
    return result


# Agreeing a proposal with the evidence in front -----------------------------------------------------------------


@dataclass(frozen=True)
class BuddyEvidence:
    entry: ArrangementBuddy
    check: dict[str, Any] | None
    capacity: FreeCapacity

    @property
    def is_full(self) -> bool:
        return not self.capacity.has_room

    @property
    def asks_more_days_than_free(self) -> bool:
        free = self.capacity.days_free
        return free is not None and self.entry.staff_days_per_month > free


def agree_evidence(*, arrangement: Arrangement) -> tuple[list[BuddyEvidence], str]:
    """For each buddy of a proposal: the fit check the proposing trust saw (score, reasons, travel band, warnings)
    and its free capacity. The second value says why the fit could not be checked, if it could not."""
    from matching.engine import EngineInputError
    from matching.services import fit_check

    entries = list(arrangement.buddies.select_related("buddy").prefetch_related("areas"))
    trusts = [entry.buddy for entry in entries]
    problem = ""
    try:
        checks = {check["trust"].pk: check for check in fit_check(trust=arrangement.supported, candidates=trusts)}
    except EngineInputError as error:
        checks, problem = {}, f"The fit cannot be checked: {error}"
    capacity = free_capacity(trusts=trusts, excluding=arrangement)
    return [
        BuddyEvidence(
            entry=entry,
            check=_as_when_proposed(checks.get(entry.buddy_id), capacity[entry.buddy_id]),
            capacity=capacity[entry.buddy_id],
        )
        for entry in entries
    ], problem


def _as_when_proposed(check: dict[str, Any] | None, capacity: FreeCapacity) -> dict[str, Any] | None:
    """The fit check as the proposing trust saw it: matching now counts the proposal itself as an open arrangement
    of the pair (one per pair, so it can be no other) and as a place the buddy uses; neither is a reason against
    agreeing it. Only those two concerns are dropped; any other still says the buddy would not be recommended."""
    from matching.engine.types import EXCLUDE_AT_CAPACITY, EXCLUDE_EXISTING_BUDDY, EXCLUSION_REASONS

    if check is None:
        return None
    caused_by_the_proposal = {EXCLUSION_REASONS[EXCLUDE_EXISTING_BUDDY]}
    if capacity.has_room:
        caused_by_the_proposal.add(EXCLUSION_REASONS[EXCLUDE_AT_CAPACITY])
    warnings = [warning for warning in check["warnings"] if warning not in caused_by_the_proposal]
    concerns = [
        warning
        for warning in warnings
        if warning in EXCLUSION_REASONS.values() or warning.startswith("Covers none of the needs")
    ]
    return {**check, "warnings": warnings, "excluded": bool(concerns)}


# Activation: who an agreed arrangement waits for ------------------------------------------------------------------


@dataclass(frozen=True)
class Signatory:
    party: str  # supported, buddy or regulator (arrangements.permissions)
    trust: Trust | None
    signed: bool
    has_executive: bool
    invite_url: str | None

    @property
    def name(self) -> str:
        return self.trust.name if self.trust is not None else "The regulator"


def activation_status(
    *, arrangement: Arrangement, terms: TermsOfReference | None, user: User | None = None
) -> list[Signatory]:
    """Who must sign before a proposed or agreed arrangement becomes active, who has not yet, and which of those
    trusts has no registered executive to sign (so the arrangement waits until someone is invited)."""
    from arrangements.services import missing_signatures, required_signatories

    if not arrangement.is_setting_up:
        return []
    required = required_signatories(arrangement)
    missing = {(party, trust.pk if trust else None) for party, trust in missing_signatures(terms)} if terms else None
    registered = trusts_with_an_executive(trust_ids=[trust.pk for _party, trust in required if trust is not None])
    return [
        Signatory(
            party=party,
            trust=trust,
            signed=missing is not None and (party, trust.pk if trust else None) not in missing,
            has_executive=trust is None or trust.pk in registered,
            invite_url=None if trust is None or trust.pk in registered else invite_user_url(trust, user=user),
        )
        for party, trust in required
    ]


# Call-offs --------------------------------------------------------------------------------------------------------


def call_off_people(
    *, call_off: CallOff, trust_ids: Iterable[int] | None = None, regulators: bool = True, exclude: User | None = None
) -> list[User]:
    """Who hears about a call-off: the executives of the trusts asked (all of them, or `trust_ids`), and regulator
    staff unless `regulators` is False; never `exclude` (whoever made the change)."""
    if trust_ids is None:
        trust_ids = [call_off.supported_id, *call_off.invitations.values_list("trust_id", flat=True)]
    condition = Q(role=User.Role.TRUST_EXECUTIVE, trust_id__in=list(trust_ids))
    if regulators:
        condition |= Q(role=User.Role.REGULATOR)
    people = User.objects.filter(condition, is_active=True).order_by("pk")
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return list(people)


@dataclass(frozen=True)
class Candidate:
    """A pool member the regulator may invite, with the fit check and its free capacity."""

    trust: Trust
    check: dict[str, Any] | None
    capacity: FreeCapacity
    has_executive: bool
    invite_url: str | None
    suggested: bool
    leads_on: tuple[str, ...]

    @property
    def sort_key(self) -> tuple:
        total = self.check["total"] if self.check and self.check["total"] is not None else -1.0
        excluded = bool(self.check and self.check["excluded"])
        return (not self.suggested, excluded, -total, self.trust.name)


def call_off_start_defaults(*, supported: Trust | None, framework: Framework | None) -> dict[str, Any]:
    """What a call-off opened from a trust's "Find a buddy" starts with, each editable: the live framework when there
    is only one, and what the support is for and its tier from the trust's improvement status (multi-year superbuddy
    support is what the framework exists for when a trust is in special measures)."""
    if framework is None:
        live = list(Framework.objects.filter(status=Framework.Status.LIVE)[:2])
        framework = live[0] if len(live) == 1 else None
    defaults: dict[str, Any] = {"supported": supported, "framework": framework, "title": "", "tier": ""}
    if supported is not None and supported.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES:
        defaults.update(title="Support out of special measures", tier=Arrangement.Tier.SUPERBUDDY)
    elif supported is not None and supported.improvement_status == Trust.ImprovementStatus.RECOVERY:
        defaults.update(title="Support through recovery", tier=Arrangement.Tier.INTENSIVE)
    return defaults


def team_suggestion(team_run: MatchRun | None) -> dict[str, list[str]]:
    """The suggested team of a pool-only team run: each member's ODS code and the need slugs it would lead on."""
    if team_run is None or not team_run.results:
        return {}
    team = team_run.results.get("exact") or team_run.results.get("heuristic") or {"members": []}
    return {
        member["ods_code"]: [need["area"] for need in member.get("assigned_needs", [])] for member in team["members"]
    }


def call_off_candidates(
    *, supported: Trust, framework: Framework, team_run: MatchRun | None = None, exclude_trust_ids: Iterable[int] = ()
) -> tuple[list[Candidate], str]:
    """Every accredited member of the framework's pool the regulator may invite (not the trust itself, not those
    already asked), the suggested team first, then best fit first; each with the fit check, free capacity and
    whether anyone can answer for it. The second value says why the fit could not be checked, if it could not."""
    from matching.engine import EngineInputError
    from matching.selectors import pool_member_ids
    from matching.services import fit_check

    excluded = {supported.pk, *exclude_trust_ids}
    member_ids = pool_member_ids(day=timezone.localdate(), framework_id=framework.pk) - excluded
    trusts = list(Trust.objects.filter(pk__in=member_ids).order_by("name"))
    suggestion = team_suggestion(team_run)
    area_names = dict(ExpertiseArea.objects.values_list("slug", "name"))
    problem = ""
    checks: dict[int, dict[str, Any]] = {}
    if trusts:
        try:
            checks = {check["trust"].pk: check for check in fit_check(trust=supported, candidates=trusts)}
        except EngineInputError as error:
            problem = f"The fit cannot be checked: {error}"
    capacity = free_capacity(trusts=trusts)
    registered = trusts_with_an_executive(trust_ids=member_ids)
    candidates = [
        Candidate(
            trust=trust,
            check=checks.get(trust.pk),
            capacity=capacity[trust.pk],
            has_executive=trust.pk in registered,
            invite_url=None if trust.pk in registered else invite_user_url(trust),
            suggested=trust.ods_code in suggestion,
            leads_on=tuple(area_names.get(slug, slug) for slug in suggestion.get(trust.ods_code, [])),
        )
        for trust in trusts
    ]
    return sorted(candidates, key=lambda candidate: candidate.sort_key), problem


@dataclass(frozen=True)
class Party:
    """One trust asked in a call-off (the supported trust, or an invited buddy) as the call-off page shows it."""

    trust: Trust
    invitation: Invitation | None  # None for the supported trust
    status: str
    status_label: str
    reason: str
    answered_by: User | None
    recorded_by: User | None
    phone_note: str
    overdue: bool
    has_executive: bool
    invite_url: str | None

    @property
    def is_supported(self) -> bool:
        return self.invitation is None

    @property
    def is_pending(self) -> bool:
        return self.status == "pending"

    @property
    def can_withdraw(self) -> bool:
        return self.invitation is not None and self.status in {Invitation.Status.PENDING, Invitation.Status.ACCEPTED}

    @property
    def role_label(self) -> str:
        if self.invitation is None:
            return "Trust to be supported"
        areas = ", ".join(area.name.lower() for area in self.invitation.areas.all())
        return f"{self.invitation.get_role_display()}{f': {areas}' if areas else ''}"


def call_off_detail(*, call_off: CallOff, user: User, today: dt.date | None = None) -> dict[str, Any]:
    """Everything the call-off page shows: each party's answer (overdue, given by phone, or waiting for a user), the
    answer the signed-in executive can give, whether the regulator can go ahead, and the call-off's history."""
    today = today or timezone.localdate()
    invitations = list(
        call_off.invitations.select_related("trust", "responded_by", "recorded_by", "call_off").prefetch_related(
            "areas"
        )
    )
    registered = trusts_with_an_executive(trust_ids=[call_off.supported_id, *(i.trust_id for i in invitations)])

    def party(trust: Trust, invitation: Invitation | None) -> Party:
        if invitation is None:
            status, label = call_off.supported_response, call_off.get_supported_response_display()
            reason, answered_by = call_off.supported_reason, call_off.supported_responded_by
            recorded_by, note = call_off.supported_recorded_by, call_off.supported_phone_note
            overdue = call_off.is_overdue(today)
        else:
            status, label = invitation.status, invitation.get_status_display()
            reason, answered_by = invitation.reason, invitation.responded_by
            recorded_by, note = invitation.recorded_by, invitation.phone_note
            overdue = invitation.is_overdue(today)
        return Party(
            trust=trust,
            invitation=invitation,
            status=status,
            status_label=label,
            reason=reason,
            answered_by=answered_by,
            recorded_by=recorded_by,
            phone_note=note,
            overdue=overdue,
            has_executive=trust.pk in registered,
            invite_url=None if trust.pk in registered else invite_user_url(trust, user=user),
        )

    parties = [party(call_off.supported, None), *(party(i.trust, i) for i in invitations)]
    executive_of = user.trust_id if user.is_authenticated and user.is_trust_executive else None
    mine = next((i for i in invitations if executive_of is not None and i.trust_id == executive_of), None)
    answering_for_supported = executive_of is not None and executive_of == call_off.supported_id
    can_answer = call_off.is_open and (
        (answering_for_supported and call_off.supported_response == Response.PENDING)
        or (mine is not None and mine.status == Invitation.Status.PENDING)
    )
    return {
        "parties": parties,
        "invitations": invitations,
        "mine": mine,
        "answering_for_supported": answering_for_supported,
        "can_answer": can_answer,
        "waiting_for_a_user": [p for p in parties if not p.has_executive and (p.is_pending or not call_off.is_open)],
        "go_ahead_refusal": call_off.go_ahead_refusal(invitations),
        "overdue": [p for p in parties if p.overdue],
        "pending_invitations": [p for p in parties if p.invitation is not None and p.is_pending],
        "events": list(call_off.events.select_related("actor", "trust")),
        "today": today,
    }


@dataclass(frozen=True)
class CallOffRow:
    call_off: CallOff
    overdue: bool  # someone has not answered by the reply-by date


def call_off_list(*, user: User, today: dt.date | None = None, limit: int = 100) -> list[CallOffRow]:
    """Call-offs the user may see, newest first, each saying whether an answer is overdue, in a fixed number of
    queries (the invitations are prefetched)."""
    today = today or timezone.localdate()
    rows = []
    for call_off in visible_call_offs(user).order_by("-created_at", "-pk")[:limit]:
        late = call_off.is_open and call_off.reply_by is not None and today > call_off.reply_by
        waiting = call_off.supported_response == Response.PENDING or any(
            invitation.status == Invitation.Status.PENDING for invitation in call_off.invitations.all()
        )
        rows.append(CallOffRow(call_off=call_off, overdue=late and waiting))
    return rows


def call_off_parties_due(*, today: dt.date, days: int) -> list[tuple[CallOff, Trust]]:
    """Open call-offs whose reply-by date is within `days` (today included), with each trust yet to answer."""
    call_offs = (
        CallOff.objects.inviting()
        .filter(reply_by__gte=today, reply_by__lte=today + dt.timedelta(days=days))
        .select_related("supported")
        .prefetch_related(Prefetch("invitations", Invitation.objects.select_related("trust")))
        .order_by("pk")
    )
    return [(call_off, trust) for call_off in call_offs for trust in _still_to_answer(call_off)]


def call_off_parties_overdue(*, today: dt.date) -> list[tuple[CallOff, Trust]]:
    """Open call-offs past their reply-by date, with each trust that has not answered."""
    call_offs = (
        CallOff.objects.inviting()
        .filter(reply_by__lt=today)
        .select_related("supported")
        .prefetch_related(Prefetch("invitations", Invitation.objects.select_related("trust")))
        .order_by("pk")
    )
    return [(call_off, trust) for call_off in call_offs for trust in _still_to_answer(call_off)]


def _still_to_answer(call_off: CallOff) -> list[Trust]:
    waiting = [call_off.supported] if call_off.supported_response == Response.PENDING else []
    return waiting + [i.trust for i in call_off.invitations.all() if i.status == Invitation.Status.PENDING]


def call_off_asked_trust_ids(*, call_off: CallOff) -> set[int]:
    """Trusts already asked in this call-off (a withdrawn invitation does not count: that trust can be asked again)."""
    return set(call_off.invitations.filter(status__in=Invitation.LIVE_STATUSES).values_list("trust_id", flat=True))


def call_off_invitable(*, supported: Trust, framework: Framework, call_off: CallOff | None = None) -> QuerySet[Trust]:
    """The trusts regulator staff may invite: accredited members of the framework's pool today, not the supported
    trust, and (for a call-off under way) not those already asked."""
    from matching.selectors import pool_member_ids

    excluded = {supported.pk, *(call_off_asked_trust_ids(call_off=call_off) if call_off is not None else ())}
    member_ids = pool_member_ids(day=timezone.localdate(), framework_id=framework.pk) - excluded
    return Trust.objects.filter(pk__in=member_ids).order_by("name")


# Reviews ----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewParty:
    """A trust asked to submit its own review: `required` ones must submit before the review is complete."""

    party: str
    trust: Trust
    required: bool
    submission: ReviewSubmission | None


@dataclass(frozen=True)
class ReviewRound:
    """The review now due (`review` is None until the first trust submits) and where each trust stands."""

    due_on: dt.date
    review: Review | None
    parties: list[ReviewParty]

    @property
    def submitted(self) -> list[ReviewParty]:
        return [party for party in self.parties if party.submission is not None]

    @property
    def waiting(self) -> list[ReviewParty]:
        return [party for party in self.parties if party.submission is None]

    @property
    def is_complete(self) -> bool:
        return all(party.submission is not None for party in self.parties if party.required)

    def party_for(self, trust_id: int | None) -> ReviewParty | None:
        return next((party for party in self.parties if party.trust.pk == trust_id), None)


def review_parties(arrangement: Arrangement) -> list[tuple[str, Trust, bool]]:
    """(side, trust, required) of every trust that submits a review: the supported trust and the lead buddy must
    (with no lead buddy, every buddy must); issue-specific buddies may. Uses the arrangement's buddies as loaded."""
    entries = sorted(arrangement.buddies.all(), key=lambda entry: (entry.role != ArrangementBuddy.Role.LEAD, entry.pk))
    has_lead = any(entry.role == ArrangementBuddy.Role.LEAD for entry in entries)
    return [
        (ReviewSubmission.Party.SUPPORTED, arrangement.supported, True),
        *(
            (ReviewSubmission.Party.BUDDY, entry.buddy, entry.role == ArrangementBuddy.Role.LEAD or not has_lead)
            for entry in entries
        ),
    ]


def reviews_with_submissions(*, arrangement: Arrangement) -> list[Review]:
    """The arrangement's reviews, newest first, each with its submissions (trust and who submitted): three queries."""
    return list(
        arrangement.reviews.select_related("regulator_note_by").prefetch_related(
            Prefetch("submissions", ReviewSubmission.objects.select_related("trust", "submitted_by"))
        )
    )


def review_round(*, arrangement: Arrangement, reviews: list[Review] | None = None) -> ReviewRound | None:
    """The review due now (None when the arrangement is not running or has no review due) and, for each trust,
    whether it has submitted. `reviews`, if given, are the arrangement's reviews with their submissions."""
    due = arrangement.next_review_due
    if due is None or not arrangement.is_running:
        return None
    if reviews is None:
        reviews = reviews_with_submissions(arrangement=arrangement)
    review = next((review for review in reviews if review.due_on == due), None)
    by_trust = {submission.trust_id: submission for submission in review.submissions.all()} if review else {}
    return ReviewRound(
        due_on=due,
        review=review,
        parties=[
            ReviewParty(party=party, trust=trust, required=required, submission=by_trust.get(trust.pk))
            for party, trust, required in review_parties(arrangement)
        ],
    )


def worklist(user: User) -> list[WorkItem]:
    """What waits for this person in arrangements and call-offs (the home page's worklist).

    Regulator staff: proposals to agree, call-offs waiting for answers and those past their reply-by date,
    agreed arrangements not yet active (someone has not signed), reviews overdue, and trusts in special measures or
    recovery with improvement needs but no open arrangement or call-off (find them a buddy). Executives: terms of
    reference waiting for their trust's signature, call-off invitations to answer, and reviews due within a month.
    """
    from arrangements.services import missing_signatures  # services import selectors

    today = timezone.localdate()
    arrangements = visible_arrangements(user)
    listed = reverse("arrangements:list")
    if is_regulator_or_admin(user):
        calls = CallOff.objects.filter(status=CallOff.Status.INVITING)
        unbuddied = (
            Trust.objects.open()
            .filter(improvement_status__in=[Trust.ImprovementStatus.SPECIAL_MEASURES, Trust.ImprovementStatus.RECOVERY])
            .filter(needs__isnull=False)
            .exclude(Exists(Arrangement.objects.open().filter(supported=OuterRef("pk"))))
            .exclude(Exists(calls.filter(supported=OuterRef("pk"))))
            .distinct()
        )
        return [
            WorkItem(
                "Trusts in special measures or recovery with no buddy or call-off",
                unbuddied.count(),
                reverse("trust-directory") + "?improvement_status=special-measures",
                detail="Open the trust and choose Find a buddy",
            ),
            WorkItem("Proposals to agree", arrangements.filter(status=Arrangement.Status.PROPOSED).count(), listed),
            WorkItem("Call-offs waiting for answers", calls.count(), reverse("arrangements:invitations")),
            WorkItem(
                "Call-offs past their reply-by date",
                calls.filter(reply_by__lt=today).count(),
                reverse("arrangements:invitations"),
                overdue=True,
            ),
            WorkItem(
                "Agreed arrangements waiting for signatures",
                arrangements.filter(status=Arrangement.Status.AGREED).count(),
                listed + "?" + urlencode({"status": Arrangement.Status.AGREED}),
            ),
            WorkItem(
                "Reviews overdue",
                arrangements.filter(status=Arrangement.Status.ACTIVE, next_review_due__lt=today).count(),
                listed,
                overdue=True,
            ),
        ]
    if not (user.is_authenticated and user.is_trust_executive and user.trust_id):
        return []
    trust_id = user.trust_id
    agreed = list(
        arrangements.filter(status=Arrangement.Status.AGREED)
        .select_related("supported")
        .prefetch_related("buddies__buddy", "terms_versions__signatures")
    )
    to_sign = 0
    for arrangement in agreed:
        terms = max(arrangement.terms_versions.all(), key=lambda t: t.version, default=None)
        if terms is not None and any(
            trust is not None and trust.pk == trust_id for _party, trust in missing_signatures(terms)
        ):
            to_sign += 1
    invitations = (
        Invitation.objects.filter(
            trust_id=trust_id, status=Invitation.Status.PENDING, call_off__status=CallOff.Status.INVITING
        ).count()
        + CallOff.objects.filter(
            supported_id=trust_id, status=CallOff.Status.INVITING, supported_response=Response.PENDING
        ).count()
    )
    # Reviews due on which this executive's trust has not yet submitted its side (each trust submits its own).
    submitted = ReviewSubmission.objects.filter(
        review__arrangement=OuterRef("pk"), review__due_on=OuterRef("next_review_due"), trust_id=trust_id
    )
    reviews = arrangements.filter(
        status=Arrangement.Status.ACTIVE, next_review_due__lte=today + dt.timedelta(days=31)
    ).exclude(Exists(submitted))
    return [
        WorkItem("Terms of reference to sign", to_sign, listed),
        WorkItem("Call-off invitations to answer", invitations, reverse("arrangements:invitations")),
        WorkItem(
            "Reviews due within a month",
            reviews.count(),
            listed,
            overdue=reviews.filter(next_review_due__lt=today).exists(),
        ),
    ]
