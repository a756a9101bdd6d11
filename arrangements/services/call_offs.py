"""Framework call-offs: inviting pool members, their answers, and proposing the arrangement once the trust and at
least one buddy say yes.

Regulator staff control a call-off from start to end: they invite any accredited member of the framework's pool,
withdraw an invitation, chase, set a reply-by date, record an answer a trust gave by phone, cancel with a reason,
and go ahead with those who said yes. Every change is written to the call-off's history (`CallOffEvent`) with who
made it, and the trusts concerned are told.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from arrangements import notifications, selectors
from arrangements.models import (
    Arrangement,
    ArrangementBuddy,
    CallOff,
    CallOffEvent,
    Invitation,
    Response,
)
from arrangements.services.common import (
    ArrangementError,
    BuddySpec,
    _actor_name,
)
from arrangements.services.lifecycle import arrangement_propose
from buddying.models import ExpertiseArea, Trust, User
from buddying.permissions import is_regulator_or_admin
from matching.models import Framework, MatchRun

# How long after the call-off's agreement the proposed arrangement is planned to start, and how long it runs.
PLANNED_START_AFTER = dt.timedelta(days=14)
PLANNED_LENGTH = dt.timedelta(days=365)


class CallOffAlreadyOpen(ArrangementError):
    """Invitations were sent already: one call-off per trust and framework waits for answers at a time."""

    def __init__(self, call_off: CallOff) -> None:
        self.call_off = call_off
        super().__init__(
            f"A call-off for {call_off.supported.name} under {call_off.framework.name} is already waiting for "
            "answers, so no new one was started: invite more buddies to this one"
        )


def _pool_members(*, framework_id: int | None = None) -> set[int]:
    from matching.selectors import pool_member_ids

    return pool_member_ids(day=timezone.localdate(), framework_id=framework_id)


def _require_regulator(by: User, *, doing: str) -> None:
    if not is_regulator_or_admin(by):
        raise ArrangementError(f"Only regulator staff can {doing}")


def _lock(call_off: CallOff) -> CallOff:
    """The call-off, locked for this transaction, refusing if it no longer waits for answers."""
    locked = (
        CallOff.objects.select_for_update(of=("self",)).select_related("supported", "framework").get(pk=call_off.pk)
    )
    if not locked.is_open:
        raise ArrangementError(f"This call-off is {locked.get_status_display().lower()}: it can no longer change")
    return locked


def _event(
    call_off: CallOff, *, title: str, actor: User | None, trust: Trust | None = None, description: str = ""
) -> CallOffEvent:
    return CallOffEvent.objects.create(
        call_off=call_off, title=title, actor=actor, trust=trust, description=description
    )


def _notify(
    call_off: CallOff,
    *,
    subject: str,
    body: str,
    exclude: User | None,
    trust_ids: Sequence[int] | None = None,
    regulators: bool = True,
) -> None:
    people = selectors.call_off_people(call_off=call_off, trust_ids=trust_ids, regulators=regulators, exclude=exclude)
    notifications.notify(recipients=people, subject=subject, body=body, url=call_off.get_absolute_url())


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def _reply_by_sentence(call_off: CallOff) -> str:
    return f" Please answer by {_day(call_off.reply_by)}." if call_off.reply_by else ""


# Starting a call-off ---------------------------------------------------------------------------------------------


def call_off_find(*, supported: Trust, framework: Framework, by: User) -> MatchRun:
    """Run the pool-only team match for the trust under this framework: the suggested team the invite page ticks."""
    from matching.engine import EngineInputError
    from matching.services import match_settings_build, team_run

    _require_regulator(by, doing="call buddies off the framework")
    try:
        return team_run(trust=supported, by=by, settings=match_settings_build(pool_only=True), framework=framework)
    except EngineInputError as error:
        raise ArrangementError(str(error)) from None


def call_off_open_for(*, supported: Trust, framework: Framework) -> CallOff | None:
    """The call-off waiting for answers for this trust under this framework, if there is one."""
    return (
        CallOff.objects.inviting()
        .select_related("supported", "framework")
        .filter(supported=supported, framework=framework)
        .first()
    )


def call_off_start(
    *,
    supported: Trust,
    framework: Framework,
    title: str,
    tier: str,
    by: User,
    chosen: Sequence[Trust],
    team_run: MatchRun | None = None,
    reply_by: dt.date | None = None,
) -> CallOff:
    """Invite the chosen pool members. The one leading on most of the suggested team's needs is invited to lead,
    the rest as issue-specific buddies for the needs the team run gave them. Sending twice finds the first call-off
    (CallOffAlreadyOpen) and creates nothing."""
    leads_on = selectors.team_suggestion(team_run)
    areas = {area.slug: area for area in ExpertiseArea.objects.all()}
    ordered = sorted(chosen, key=lambda trust: -len(leads_on.get(trust.ods_code, [])))
    specs = [
        BuddySpec(
            buddy=trust,
            role=ArrangementBuddy.Role.LEAD if index == 0 else ArrangementBuddy.Role.ISSUE_SPECIFIC,
            areas=tuple(areas[slug] for slug in leads_on.get(trust.ods_code, []) if slug in areas),
        )
        for index, trust in enumerate(ordered)
    ]
    return call_off_create(
        supported=supported,
        framework=framework,
        title=title,
        tier=tier,
        by=by,
        invitations=specs,
        match_run=team_run,
        reply_by=reply_by,
    )


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
    reply_by: dt.date | None = None,
) -> CallOff:
    """Regulator staff invite members of a live framework's pool to buddy a challenged trust; the trust is asked too."""
    _require_regulator(by, doing="call buddies off the framework")
    if framework.status != Framework.Status.LIVE:
        raise ArrangementError(f"{framework.name} is not live, so no buddy can be called off it")
    existing = call_off_open_for(supported=supported, framework=framework)
    if existing is not None:
        raise CallOffAlreadyOpen(existing)
    if not invitations:
        raise ArrangementError("Choose at least one buddy to invite")
    if reply_by is not None and reply_by < timezone.localdate():
        raise ArrangementError("The reply-by date must be today or in the future")
    _check_invitable(invitations, supported=supported, framework=framework)
    try:
        with transaction.atomic():
            call_off = CallOff.objects.create(
                supported=supported,
                framework=framework,
                title=title,
                tier=tier,
                created_by=by,
                match_run=match_run,
                reply_by=reply_by,
            )
    except IntegrityError:
        # Sent twice at the same moment: the other request created it (one_open_call_off_per_trust_and_framework).
        existing = call_off_open_for(supported=supported, framework=framework)
        if existing is None:
            raise
        raise CallOffAlreadyOpen(existing) from None
    for spec in invitations:
        invitation = Invitation.objects.create(call_off=call_off, trust=spec.buddy, role=spec.role)
        invitation.areas.set(spec.areas)
    names = ", ".join(spec.buddy.name for spec in invitations)
    _event(call_off, title="Invitations sent", actor=by, description=f"{_actor_name(by)} invited {names}.")
    _notify(
        call_off,
        exclude=by,
        subject=f"Invitation to buddy {supported.name}",
        body=f"{_actor_name(by)} invites your trust to buddy {supported.name}: {title}. Please accept or decline."
        + _reply_by_sentence(call_off),
    )
    return call_off


def _check_invitable(invitations: Sequence[BuddySpec], *, supported: Trust, framework: Framework) -> None:
    if any(spec.buddy.pk == supported.pk for spec in invitations):
        raise ArrangementError("A trust cannot buddy itself")
    members = _pool_members(framework_id=framework.pk)
    outside = [spec.buddy.name for spec in invitations if spec.buddy.pk not in members]
    if outside:
        raise ArrangementError(
            f"{', '.join(outside)}: not an accredited member of the {framework.name} pool, so it cannot be called off"
        )


# Settling: the arrangement is proposed once the trust and at least one buddy have said yes ------------------------


def _settle(call_off: CallOff, *, by: User, go_ahead: bool = False) -> None:
    """The trust's yes and every invited buddy answered (or, when regulator staff go ahead, at least one yes)
    proposes the arrangement with the buddies who said yes. The trust's no cancels the call-off."""
    invitations = list(call_off.invitations.select_related("trust").prefetch_related("areas"))
    if call_off.supported_response == Response.DECLINED:
        _close_cancelled(
            call_off,
            by=by,
            reason=f"{call_off.supported.name} declined the buddies: {call_off.supported_reason}",
            tell_supported=False,
        )
        return
    if not go_ahead and (
        call_off.supported_response != Response.ACCEPTED
        or any(i.status == Invitation.Status.PENDING for i in invitations)
    ):
        return
    accepted = [i for i in invitations if i.status == Invitation.Status.ACCEPTED]
    if not accepted:
        return  # every buddy said no or was withdrawn: the regulator can invite others
    roles = [i.role for i in accepted]
    if ArrangementBuddy.Role.LEAD not in roles:
        roles[0] = ArrangementBuddy.Role.LEAD  # someone must lead
    start = timezone.localdate() + PLANNED_START_AFTER
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
        planned_end=start + PLANNED_LENGTH,
        by=by,
    )
    call_off.arrangement = arrangement
    call_off.status = CallOff.Status.AGREED
    call_off.closed_at = timezone.now()
    call_off.save(update_fields=["arrangement", "status", "closed_at"])
    _event(
        call_off,
        title="Arrangement proposed",
        actor=by,
        description=f"{call_off.supported.name} and {', '.join(i.trust.name for i in accepted)} said yes.",
    )


def _withdraw_pending(call_off: CallOff, *, reason: str) -> list[Invitation]:
    pending = list(
        Invitation.objects.select_for_update(of=("self",))
        .select_related("trust")
        .filter(call_off=call_off, status=Invitation.Status.PENDING)
    )
    for invitation in pending:
        invitation.status = Invitation.Status.WITHDRAWN
        invitation.reason = reason
        invitation.save(update_fields=["status", "reason"])
    return pending


def _close_cancelled(call_off: CallOff, *, by: User, reason: str, tell_supported: bool) -> None:
    _withdraw_pending(call_off, reason="The call-off was cancelled")
    call_off.status = CallOff.Status.CANCELLED
    call_off.cancelled_reason = reason
    call_off.closed_at = timezone.now()
    call_off.save(update_fields=["status", "cancelled_reason", "closed_at"])
    _event(call_off, title="Call-off cancelled", actor=by, description=reason)
    invited = list(call_off.invitations.values_list("trust_id", flat=True))
    _notify(
        call_off,
        exclude=by,
        trust_ids=[*invited, *([call_off.supported_id] if tell_supported else [])],
        subject=f"Call-off cancelled: buddying for {call_off.supported.name}",
        body=f"The call-off for {call_off.supported.name} ({call_off.title}) is cancelled: {reason}. "
        "Invitations not yet answered are withdrawn.",
    )


# Answers -----------------------------------------------------------------------------------------------------------


@transaction.atomic
def invitation_respond(*, invitation: Invitation, by: User, accept: bool, reason: str = "") -> Invitation:
    """The invited trust's executive says yes or no (with a reason)."""
    call_off = (
        CallOff.objects.select_for_update(of=("self",)).select_related("supported").get(pk=invitation.call_off_id)
    )
    locked = Invitation.objects.select_for_update(of=("self",)).select_related("trust").get(pk=invitation.pk)
    if not (by.is_trust_executive and by.trust_id == locked.trust_id):
        raise ArrangementError("Only an executive of the invited trust can answer this invitation")
    if locked.status != Invitation.Status.PENDING:
        raise ArrangementError(f"This invitation was already {locked.get_status_display().lower()}")
    if not accept and not reason.strip():
        raise ArrangementError("Say why your trust declines, so the regulator can find another buddy")
    if not call_off.is_open:
        raise ArrangementError("This call-off is closed")
    _answer_invitation(call_off, locked, by=by, accept=accept, reason=reason)
    _settle(call_off, by=by)
    return locked


def _answer_invitation(
    call_off: CallOff, invitation: Invitation, *, by: User, accept: bool, reason: str, note: str = ""
) -> None:
    invitation.status = Invitation.Status.ACCEPTED if accept else Invitation.Status.DECLINED
    invitation.reason = reason
    invitation.responded_at = timezone.now()
    if note:  # given by phone, recorded by regulator staff
        invitation.responded_by, invitation.recorded_by, invitation.phone_note = None, by, note
    else:
        invitation.responded_by = by
    invitation.save()
    _told_of_answer(call_off, invitation.trust, by=by, accept=accept, reason=reason, note=note)


def _told_of_answer(call_off: CallOff, trust: Trust, *, by: User, accept: bool, reason: str, note: str) -> None:
    verb = "accepted" if accept else "declined"
    what = "the proposed buddies" if trust.pk == call_off.supported_id else "the invitation"
    if note:
        _event(
            call_off,
            title=f"Answer given by phone recorded for {trust.name}",
            actor=by,
            trust=trust,
            description=f"{_actor_name(by)} recorded that {trust.name} {verb} {what}. Note of the call: {note}"
            + (f" Reason: {reason}" if reason else ""),
        )
    else:
        _event(
            call_off,
            title=f"{trust.name} {verb} {what}",
            actor=by,
            trust=trust,
            description=reason,
        )
    by_phone = f" (by phone, recorded by {_actor_name(by)})" if note else ""
    _notify(
        call_off,
        exclude=by,
        subject=f"{trust.name} {verb} {what}",
        body=f"{trust.name} {verb} {what}{by_phone} for {call_off.supported.name}. {reason}".strip(),
    )


@transaction.atomic
def call_off_respond_supported(*, call_off: CallOff, by: User, accept: bool, reason: str = "") -> CallOff:
    """The challenged trust's executive agrees to the proposed buddies, or says no (with a reason)."""
    locked = CallOff.objects.select_for_update(of=("self",)).select_related("supported").get(pk=call_off.pk)
    if not (by.is_trust_executive and by.trust_id == locked.supported_id):
        raise ArrangementError("Only an executive of the supported trust can answer for it")
    if not locked.is_open or locked.supported_response != Response.PENDING:
        raise ArrangementError("Your trust has already answered")
    if not accept and not reason.strip():
        raise ArrangementError("Say why your trust declines these buddies")
    _answer_supported(locked, by=by, accept=accept, reason=reason)
    _settle(locked, by=by)
    return locked


def _answer_supported(call_off: CallOff, *, by: User, accept: bool, reason: str, note: str = "") -> None:
    call_off.supported_response = Response.ACCEPTED if accept else Response.DECLINED
    call_off.supported_reason = reason
    call_off.supported_responded_at = timezone.now()
    if note:
        call_off.supported_responded_by, call_off.supported_recorded_by, call_off.supported_phone_note = None, by, note
    else:
        call_off.supported_responded_by = by
    call_off.save(
        update_fields=[
            "supported_response",
            "supported_reason",
            "supported_responded_at",
            "supported_responded_by",
            "supported_recorded_by",
            "supported_phone_note",
        ]
    )
    _told_of_answer(call_off, call_off.supported, by=by, accept=accept, reason=reason, note=note)


@transaction.atomic
def call_off_record_answer(
    *, call_off: CallOff, trust: Trust, by: User, accept: bool, reason: str = "", note: str
) -> CallOff:
    """Regulator staff record an answer a trust gave by phone, with a note of the call (who said it, and when).
    The history keeps who recorded it, for which trust, and when."""
    _require_regulator(by, doing="record an answer on a trust's behalf")
    locked = _lock(call_off)
    if not note.strip():
        raise ArrangementError("Write a note of the call: who gave the answer, and when")
    if not accept and not reason.strip():
        raise ArrangementError(f"Say why {trust.name} declines")
    if trust.pk == locked.supported_id:
        if locked.supported_response != Response.PENDING:
            raise ArrangementError(f"{trust.name} has already answered")
        _answer_supported(locked, by=by, accept=accept, reason=reason, note=note.strip())
    else:
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("trust")
            .filter(call_off=locked, trust=trust)
            .first()
        )
        if invitation is None:
            raise ArrangementError(f"{trust.name} is not invited to this call-off")
        if invitation.status != Invitation.Status.PENDING:
            raise ArrangementError(f"{trust.name}'s invitation was already {invitation.get_status_display().lower()}")
        _answer_invitation(locked, invitation, by=by, accept=accept, reason=reason, note=note.strip())
    _settle(locked, by=by)
    return locked


# What regulator staff do while a call-off waits --------------------------------------------------------------------


@transaction.atomic
def call_off_invite_more(*, call_off: CallOff, by: User, invitations: Sequence[BuddySpec]) -> CallOff:
    """Invite further pool members, for example after one declined. A member whose invitation was withdrawn can be
    invited again; one already asked cannot."""
    _require_regulator(by, doing="invite buddies")
    locked = _lock(call_off)
    if not invitations:
        raise ArrangementError("Choose at least one buddy to invite")
    _check_invitable(invitations, supported=locked.supported, framework=locked.framework)
    for spec in invitations:
        invitation, created = Invitation.objects.select_for_update(of=("self",)).get_or_create(
            call_off=locked, trust=spec.buddy, defaults={"role": spec.role}
        )
        if not created:
            if invitation.status != Invitation.Status.WITHDRAWN:
                raise ArrangementError(f"{spec.buddy.name} has already been invited")
            invitation.status, invitation.role, invitation.reason = Invitation.Status.PENDING, spec.role, ""
            invitation.responded_by = invitation.recorded_by = invitation.responded_at = None
            invitation.phone_note, invitation.invited_at = "", timezone.now()
            invitation.save()
        invitation.areas.set(spec.areas)
    names = ", ".join(spec.buddy.name for spec in invitations)
    _event(locked, title="More buddies invited", actor=by, description=f"{_actor_name(by)} invited {names}.")
    new_ids = [spec.buddy.pk for spec in invitations]
    _notify(
        locked,
        exclude=by,
        trust_ids=new_ids,
        regulators=False,
        subject=f"Invitation to buddy {locked.supported.name}",
        body=f"{_actor_name(by)} invites your trust to buddy {locked.supported.name}: {locked.title}. "
        "Please accept or decline." + _reply_by_sentence(locked),
    )
    already_asked = [
        trust_id for trust_id in locked.invitations.values_list("trust_id", flat=True) if trust_id not in new_ids
    ]
    _notify(
        locked,
        exclude=by,
        trust_ids=[locked.supported_id, *already_asked],
        subject=f"More buddies invited for {locked.supported.name}",
        body=f"{_actor_name(by)} also invites {names} to buddy {locked.supported.name}: {locked.title}.",
    )
    return locked


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, by: User, reason: str) -> Invitation:
    """Regulator staff withdraw an invitation not yet declined; the trust is told why."""
    _require_regulator(by, doing="withdraw an invitation")
    call_off = _lock(invitation.call_off)
    locked = Invitation.objects.select_for_update(of=("self",)).select_related("trust").get(pk=invitation.pk)
    if locked.status not in {Invitation.Status.PENDING, Invitation.Status.ACCEPTED}:
        raise ArrangementError(
            f"{locked.trust.name}'s invitation was {locked.get_status_display().lower()}: there is nothing to withdraw"
        )
    if not reason.strip():
        raise ArrangementError(f"Say why the invitation to {locked.trust.name} is withdrawn: the trust is told")
    locked.status, locked.reason = Invitation.Status.WITHDRAWN, reason.strip()
    locked.save(update_fields=["status", "reason"])
    _event(
        call_off, title=f"Invitation to {locked.trust.name} withdrawn", actor=by, trust=locked.trust, description=reason
    )
    _notify(
        call_off,
        exclude=by,
        trust_ids=[locked.trust_id],
        subject=f"Invitation withdrawn: buddying for {call_off.supported.name}",
        body=f"{_actor_name(by)} withdrew the invitation to {locked.trust.name} to buddy {call_off.supported.name}: "
        f"{reason.strip()}",
    )
    _settle(call_off, by=by)
    return locked


@transaction.atomic
def call_off_chase(*, call_off: CallOff, trust: Trust, by: User) -> int:
    """Send the invitation again to a trust that has not answered. Returns how many people were told."""
    _require_regulator(by, doing="chase an answer")
    locked = _lock(call_off)
    if trust.pk == locked.supported_id:
        if locked.supported_response != Response.PENDING:
            raise ArrangementError(f"{trust.name} has already answered: there is nothing to chase")
        asked = f"{_actor_name(by)} asks again: please say whether your trust accepts the buddies proposed for it"
    else:
        invitation = Invitation.objects.filter(call_off=locked, trust=trust).first()
        if invitation is None:
            raise ArrangementError(f"{trust.name} is not invited to this call-off")
        if invitation.status != Invitation.Status.PENDING:
            raise ArrangementError(
                f"{trust.name}'s invitation was {invitation.get_status_display().lower()}: there is nothing to chase"
            )
        asked = (
            f"{_actor_name(by)} asks again: please accept or decline the invitation to buddy {locked.supported.name}"
        )
    people = selectors.call_off_people(call_off=locked, trust_ids=[trust.pk], regulators=False, exclude=by)
    if not people:
        raise ArrangementError(
            f"{trust.name} has no registered executive to chase: invite a user, or record an answer given by phone"
        )
    notifications.notify(
        recipients=people,
        subject=f"Reminder: invitation to buddy {locked.supported.name}",
        body=f"{asked}: {locked.title}." + _reply_by_sentence(locked),
        url=locked.get_absolute_url(),
    )
    _event(locked, title=f"{trust.name} chased", actor=by, trust=trust, description=f"{len(people)} people told.")
    return len(people)


@transaction.atomic
def call_off_set_reply_by(*, call_off: CallOff, by: User, reply_by: dt.date) -> CallOff:
    """Set (or move) the date by which the trusts should answer; those still to answer are told."""
    _require_regulator(by, doing="set a reply-by date")
    locked = _lock(call_off)
    if reply_by < timezone.localdate():
        raise ArrangementError("The reply-by date must be today or in the future")
    previous = locked.reply_by
    locked.reply_by = reply_by
    locked.save(update_fields=["reply_by"])
    when = _day(reply_by)
    _event(
        locked,
        title=f"Reply-by date {'moved' if previous else 'set'} to {when}",
        actor=by,
        description=f"It was {_day(previous)}." if previous else "",
    )
    waiting = [
        *([locked.supported_id] if locked.supported_response == Response.PENDING else []),
        *locked.invitations.filter(status=Invitation.Status.PENDING).values_list("trust_id", flat=True),
    ]
    _notify(
        locked,
        exclude=by,
        trust_ids=waiting,
        regulators=False,
        subject=f"Please answer by {when}: buddying for {locked.supported.name}",
        body=f"{_actor_name(by)} asks for your trust's answer about {locked.title} by {when}.",
    )
    return locked


@transaction.atomic
def call_off_cancel(*, call_off: CallOff, by: User, reason: str) -> CallOff:
    """Regulator staff cancel a call-off with a reason: invitations not yet answered are withdrawn, and every trust
    asked is told."""
    _require_regulator(by, doing="cancel a call-off")
    if not reason.strip():
        raise ArrangementError("Say why the call-off is cancelled: every trust asked is told")
    locked = _lock(call_off)
    _close_cancelled(locked, by=by, reason=reason.strip(), tell_supported=True)
    return locked


@transaction.atomic
def call_off_go_ahead(*, call_off: CallOff, by: User) -> CallOff:
    """Go ahead as soon as the trust and at least one buddy have said yes: invitations not yet answered are
    withdrawn (and those trusts told), and the arrangement is proposed with the buddies who said yes."""
    _require_regulator(by, doing="go ahead with a call-off")
    locked = _lock(call_off)
    refusal = locked.go_ahead_refusal(list(locked.invitations.all()))
    if refusal:
        raise ArrangementError(f"You cannot go ahead yet. {refusal}")
    withdrawn = _withdraw_pending(locked, reason="The call-off went ahead with the buddies who said yes")
    _event(
        locked,
        title="Went ahead with those who said yes",
        actor=by,
        description=f"Withdrawn without an answer: {', '.join(i.trust.name for i in withdrawn)}." if withdrawn else "",
    )
    if withdrawn:
        _notify(
            locked,
            exclude=by,
            trust_ids=[i.trust_id for i in withdrawn],
            regulators=False,
            subject=f"Invitation withdrawn: buddying for {locked.supported.name}",
            body=f"The call-off for {locked.supported.name} ({locked.title}) went ahead with the buddies who said yes "
            "before your trust answered, so your invitation is withdrawn. Thank you.",
        )
    _settle(locked, by=by, go_ahead=True)
    return locked
