"""Framework call-offs: inviting pool members, their answers, and proposing the arrangement on a mutual yes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from arrangements import notifications
from arrangements.models import (
    Arrangement,
    ArrangementBuddy,
    CallOff,
    Invitation,
    Response,
)
from arrangements.services.common import (
    ArrangementError,
    BuddySpec,
    _actor_name,
)
from arrangements.services.lifecycle import arrangement_propose
from buddying.models import Trust, User
from buddying.permissions import is_regulator_or_admin
from matching.models import Framework, MatchRun

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
