"""Writes to the trust registry. Every function is keyword-only and runs in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from buddying import outbox, permissions
from buddying.history import mark_change
from buddying.importers import ImportRow, TrustClosure, changed_fields
from buddying.models import (
    CultureProfile,
    ExpertiseArea,
    ImprovementNeed,
    RelationshipStatus,
    ServiceLine,
    SignupInvitation,
    Trust,
    TrustExpertise,
    TrustRelationship,
    User,
)
from buddying.notifications import notify
from buddying.postcodes import locate_postcode


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    # Closed trusts the file lists that the registry never held: there is nothing to mark closed.
    closed_left_out: int = 0

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.closed_left_out:
            plural = "s" if self.closed_left_out != 1 else ""
            text += f", {self.closed_left_out} closed trust{plural} not in the registry left out"
        return text


@transaction.atomic
def trusts_import(*, records: Sequence[ImportRow]) -> ImportResult:
    """Upsert trusts by ODS code. The caller has checked every row, so this either writes all or raises.

    A new trust's type is left blank ("not known") and an existing trust's type is never changed:
    the files say nothing about type, and regulator staff record it on the trust's profile.
    A closure marks a trust already in the registry closed; a closed trust new to it is left out.
    """
    existing = {
        trust.ods_code: trust
        for trust in Trust.objects.select_for_update().filter(ods_code__in=[r.ods_code for r in records])
    }
    to_create: list[Trust] = []
    updated = unchanged = closed_left_out = 0
    for record in records:
        trust = existing.get(record.ods_code)
        if trust is None:
            if isinstance(record, TrustClosure):
                closed_left_out += 1
                continue
            to_create.append(
                Trust(
                    ods_code=record.ods_code,
                    name=record.name,
                    postcode=record.postcode,
                    latitude=record.latitude,
                    longitude=record.longitude,
                    region=record.region,
                    closed_on=record.closed_on,
                    trust_type="",
                    # The legal name says it: "... NHS Foundation Trust".
                    is_foundation_trust="FOUNDATION TRUST" in record.name.upper(),
                )
            )
            continue
        fields = list(changed_fields(trust, record))
        if not fields:
            unchanged += 1
            continue
        for field in fields:
            setattr(trust, field, getattr(record, field))
        # save() rather than bulk_update so that the trust's history records the change.
        trust.save(update_fields=[*fields, "updated_at"])
        updated += 1
    for trust in to_create:
        trust.save()
    return ImportResult(created=len(to_create), updated=updated, unchanged=unchanged, closed_left_out=closed_left_out)


@transaction.atomic
def trust_update_profile(*, trust: Trust, by: User, fields: dict[str, Any], services: Iterable[ServiceLine]) -> Trust:
    """Save the profile form's fields. A changed postcode moves the trust to that postcode's centroid."""
    locked = Trust.objects.select_for_update().get(pk=trust.pk)
    postcode_changed = fields.get("postcode", locked.postcode) != locked.postcode
    for name, value in fields.items():
        setattr(locked, name, value)
    if postcode_changed:
        if locked.postcode:
            location = locate_postcode(locked.postcode)
            locked.latitude, locked.longitude = location.latitude, location.longitude
        else:
            locked.latitude = locked.longitude = None
    if locked.improvement_status == Trust.ImprovementStatus.NONE:
        locked.improvement_status_since = None
        locked.improvement_status_review_due = None
    mark_change(locked, reason=f"Profile edited by {by.username}")
    locked.full_clean()
    locked.save()
    locked.services.set(services)
    return locked


def _replace_per_area(
    *,
    trust: Trust,
    model: type[TrustExpertise] | type[ImprovementNeed],
    fields: tuple[str, str],
    entries: Iterable[tuple[ExpertiseArea, int, str]],
) -> None:
    """Make the trust's rows of `model` exactly `entries`, one per area; rows kept are updated in place."""
    # Lock the trust so two editors saving at once cannot interleave their deletes and inserts.
    Trust.objects.select_for_update().filter(pk=trust.pk).first()
    entries = list(entries)
    areas = [area for area, _level, _note in entries]
    if len(set(areas)) != len(areas):
        raise ValueError("Each area can be listed once")
    model.objects.filter(trust=trust).exclude(area__in=areas).delete()
    level_field, note_field = fields
    for area, level, note in entries:
        model.objects.update_or_create(trust=trust, area=area, defaults={level_field: level, note_field: note})


@transaction.atomic
def trust_set_expertise(*, trust: Trust, by: User, entries: Iterable[tuple[ExpertiseArea, int, str]]) -> None:
    """Replace the trust's expertise with (area, strength 1-5, evidence) entries, one per area."""
    _replace_per_area(trust=trust, model=TrustExpertise, fields=("strength", "evidence"), entries=entries)


@transaction.atomic
def trust_set_needs(*, trust: Trust, by: User, entries: Iterable[tuple[ExpertiseArea, int, str]]) -> None:
    """Replace the trust's improvement needs with (area, priority, notes) entries, one per area.

    A need that stays keeps its original `recorded_at`: time from needs recorded to a buddy agreed
    is measured from when the need was first recorded.
    """
    _replace_per_area(trust=trust, model=ImprovementNeed, fields=("priority", "notes"), entries=entries)


@transaction.atomic
def culture_profile_save(*, trust: Trust, by: User, fields: dict[str, Any]) -> CultureProfile:
    profile, _created = CultureProfile.objects.select_for_update().get_or_create(trust=trust, defaults=fields)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.full_clean()
    profile.save()
    return profile


# People: invitations to sign up by email, and password reset emails. Emails go out from Celery tasks
# (buddying.tasks) once the transaction that asked for them commits.


class InvitationNotUsable(Exception):
    """The sign-up link was used, cancelled or has expired (`state` says which)."""

    def __init__(self, state: str) -> None:
        super().__init__(f"This invitation is {state}")
        self.state = state


def _email_invitation_on_commit(invitation: SignupInvitation) -> None:
    from buddying.tasks import send_signup_invitation_email

    invitation_id = invitation.pk
    # Through the outbox: a Redis outage neither undoes nor slows the invitation; the email goes out once Redis
    # is back (until then the People page shows it as "not emailed yet", with "Send again").
    outbox.enqueue(send_signup_invitation_email, invitation_id)


def _email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


@transaction.atomic
def signup_invitation_create(
    *, by: User, email: str, first_name: str, last_name: str, role: str, trust: Trust | None
) -> SignupInvitation:
    """Invite someone by email to create an account with `role` (and `trust`, for an executive).

    Refused (PermissionDenied) unless `by` may invite that role for that trust (buddying.permissions);
    a ValidationError on `email` if it already has an account or an open invitation.
    """
    if not permissions.can_invite(by, role=role, trust=trust):
        raise PermissionDenied("You cannot invite someone with this role for this trust")
    email = email.strip().lower()
    if _email_taken(email):
        raise ValidationError({"email": "Someone already has an account with this email address: enter another"})
    if SignupInvitation.objects.open().filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": "This person already has an invitation waiting: send it again from the People page"}
        )
    now = timezone.now()
    invitation = SignupInvitation(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        role=role,
        trust=trust if role == User.Role.TRUST_EXECUTIVE else None,
        created_by=by,
        created_at=now,
        sent_at=now,
        expires_at=now + dt.timedelta(days=settings.SIGNUP_INVITATION_DAYS),
    )
    invitation.new_link()
    invitation.save()
    _email_invitation_on_commit(invitation)
    return invitation


@transaction.atomic
def signup_invitation_resend(*, invitation: SignupInvitation, by: User) -> SignupInvitation:
    """Email a new link that works for another SIGNUP_INVITATION_DAYS; the old link stops working."""
    locked = SignupInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_open:
        raise InvitationNotUsable(locked.state.label.lower())
    locked.new_link()
    locked.sent_at = timezone.now()
    locked.expires_at = locked.sent_at + dt.timedelta(days=settings.SIGNUP_INVITATION_DAYS)
    locked.emailed_at = None
    locked.new_link_requested_at = None
    mark_change(locked, reason=f"Sent again by {by.username}")
    locked.save()
    _email_invitation_on_commit(locked)
    return locked


@transaction.atomic
def signup_invitation_cancel(*, invitation: SignupInvitation, by: User) -> SignupInvitation:
    """Cancel an open invitation: its link stops working at once."""
    locked = SignupInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_open:
        raise InvitationNotUsable(locked.state.label.lower())
    locked.cancelled_at = timezone.now()
    locked.cancelled_by = by
    mark_change(locked, reason=f"Cancelled by {by.username}")
    locked.save()
    return locked


@transaction.atomic
def signup_invitation_accept(*, invitation: SignupInvitation, password: str) -> User:
    """Create the invitee's account (username: their email) with the password they chose; the link is then used.

    Raises InvitationNotUsable if the link was used, cancelled or has expired meanwhile (the row is locked,
    so two submissions of the same link create one account), and a ValidationError on `email` if someone
    created an account with that email in the meantime.
    """
    locked = SignupInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.state != SignupInvitation.State.WAITING:
        raise InvitationNotUsable(locked.state.label.lower())
    if _email_taken(locked.email) or User.objects.filter(username__iexact=locked.email).exists():
        raise ValidationError({"email": "Someone already has an account with this email address"})
    is_admin = locked.role == User.Role.ADMIN
    user = User.objects.create_user(
        username=locked.email,
        email=locked.email,
        password=password,
        first_name=locked.first_name,
        last_name=locked.last_name,
        role=locked.role,
        trust=locked.trust,
        is_staff=is_admin,
        is_superuser=is_admin,
    )
    locked.used_at = timezone.now()
    locked.user = user
    mark_change(locked, reason="Accepted")
    locked.save()
    return user


@transaction.atomic
def signup_invitation_request_new_link(*, invitation: SignupInvitation) -> bool:
    """The invitee, holding an expired link, asks for a new one: the inviter is told once (in the app and by
    email; regulator staff if the inviter has left). False if the link is not expired or they already asked."""
    locked = SignupInvitation.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=invitation.pk)
    if locked.state != SignupInvitation.State.EXPIRED or locked.new_link_requested_at is not None:
        return False
    locked.new_link_requested_at = timezone.now()
    mark_change(locked, reason="New link asked for")
    locked.save()
    inviter = locked.created_by
    recipients = (
        [inviter]
        if inviter is not None and inviter.is_active
        else list(User.objects.filter(role=User.Role.REGULATOR, is_active=True))
    )
    notify(
        recipients=recipients,
        subject=f"{locked.full_name} asked for a new sign-up link",
        body=(
            f"The sign-up link you sent to {locked.full_name} ({locked.email}) has expired and they asked for a "
            "new one. Send it again from the People page."
        ),
        url=reverse("people"),
    )
    return True


def signup_invitation_email_send(*, invitation_id: int) -> bool:
    """Email the invitation's current sign-up link, once per link: a retry after the email went out sends
    nothing, and a link replaced by "send again" before this ran is not sent (the new one is)."""
    with transaction.atomic():
        invitation = (
            SignupInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("trust", "created_by", "created_by__trust")
            .filter(pk=invitation_id, emailed_at__isnull=True)
            .first()
        )
        if invitation is None or invitation.state != SignupInvitation.State.WAITING:
            return False
        context = {
            "invitation": invitation,
            "inviter": invitation.created_by,
            "link": f"{settings.SITE_URL}{reverse('people-signup', kwargs={'token': invitation.token})}",
            "days": settings.SIGNUP_INVITATION_DAYS,
        }
        send_mail(
            subject="You're invited to NHS trust buddying",
            message=render_to_string("buddying/people_invitation_email.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
        invitation.emailed_at = timezone.now()
        invitation.save(update_fields=["emailed_at"])
    return True


def password_reset_request(*, email: str) -> None:
    """Email a reset link to each active account with `email`, from a task once this commits.

    Says nothing about whether any account matched: the caller shows the same page either way. Unlike
    Django's form, an account with no password yet (made in Django admin without one, or the demo's other
    people) gets a link too: it is how such a person chooses their first password. Deactivate an account to
    keep someone out.
    """
    from buddying.tasks import send_password_reset_email

    user_ids = list(User.objects.filter(email__iexact=email.strip(), is_active=True).values_list("pk", flat=True))
    for user_id in user_ids:
        outbox.enqueue(send_password_reset_email, user_id)


def password_reset_email_send(*, user_id: int) -> bool:
    """Email one user a link to choose a password (Django's token: it stops working once used, once the
    password changes, or after PASSWORD_RESET_TIMEOUT)."""
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return False
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "link": f"{settings.SITE_URL}{path}", "hours": settings.PASSWORD_RESET_TIMEOUT // 3600}
    send_mail(
        subject="Reset your NHS trust buddying password",
        message=render_to_string("registration/password_reset_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


# Known relationships between trusts (buddying.models.TrustRelationship).


class RelationshipNotPending(Exception):
    """The relationship was already confirmed or declined (perhaps by a colleague a moment ago)."""

    def __init__(self, status: str) -> None:
        super().__init__(f"This relationship is already {status}")
        self.status = status


def _active_executives(trust_id: int) -> list[User]:
    return list(User.objects.filter(role=User.Role.TRUST_EXECUTIVE, trust_id=trust_id, is_active=True))


def _relationship_page(trust: Trust) -> str:
    return reverse("trust-detail", kwargs={"ods_code": trust.ods_code}) + "#relationships"


@transaction.atomic
def relationship_create(
    *,
    by: User,
    trust: Trust,
    other: Trust,
    kind: str,
    description: str = "",
    started_on: dt.date | None = None,
    ended_on: dt.date | None = None,
) -> TrustRelationship:
    """Record a relationship of `trust` with `other`.

    An executive may enter one only for their own trust (PermissionDenied otherwise); it waits for the other
    trust's executives to confirm it, and they are told. Regulator staff and admins record confirmed ones. A
    ValidationError names the field: the same trust twice, or the pair already has this kind recorded (a
    declined one may be entered again).
    """
    if not permissions.can_enter_relationship_for(by, trust):
        raise PermissionDenied("You cannot record relationships for this trust")
    if trust.pk == other.pk:
        raise ValidationError({"other": "Choose a different trust: a trust cannot have a relationship with itself"})
    if kind not in TrustRelationship.Kind.values:
        raise ValidationError({"kind": "Choose what kind of relationship it is"})
    if started_on and ended_on and ended_on < started_on:
        raise ValidationError({"ended_on": "The date it ended must be the same as or after the date it started"})
    first, second = TrustRelationship.pair(trust, other)
    # Lock both trusts (in id order, so two people entering the same pair at once queue rather than deadlock)
    # before checking for a duplicate.
    list(Trust.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk"))
    duplicate = (
        TrustRelationship.objects.between(first, second)
        .filter(kind=kind)
        .exclude(status=TrustRelationship.Status.DECLINED)
        .first()
    )
    if duplicate is not None:
        waiting = " and is waiting for confirmation" if duplicate.is_pending else ""
        raise ValidationError(
            {"kind": f"{trust.name} and {other.name} already have this kind of relationship recorded{waiting}"}
        )
    by_regulator = permissions.is_regulator_or_admin(by)
    now = timezone.now()
    relationship = TrustRelationship(
        trust_a=first,
        trust_b=second,
        kind=kind,
        description=description.strip(),
        started_on=started_on,
        ended_on=ended_on,
        status=TrustRelationship.Status.CONFIRMED if by_regulator else TrustRelationship.Status.PENDING,
        entered_for=None if by_regulator else trust,
        entered_by=by,
        entered_at=now,
        answered_by=by if by_regulator else None,
        answered_at=now if by_regulator else None,
    )
    mark_change(
        relationship,
        reason=f"Recorded by regulator staff ({by.username})"
        if by_regulator
        else f"Entered by {by.username} for {trust}",
    )
    relationship.full_clean()
    relationship.save()
    if not by_regulator:
        notify(
            recipients=_active_executives(other.pk),
            subject=f"{trust.name} recorded a relationship with your trust: please confirm it",
            body=(
                f"{by.display_name} of {trust.name} recorded a relationship with {other.name}: "
                f"{relationship.get_kind_display().lower()}. Matching counts it only once {other.name} confirms it. "
                "Confirm or decline it on your trust's page."
            ),
            url=_relationship_page(other),
        )
    return relationship


def _relationship_answer(*, relationship: TrustRelationship, by: User, status: RelationshipStatus) -> TrustRelationship:
    locked = (
        TrustRelationship.objects.select_for_update(of=("self",))
        .select_related("trust_a", "trust_b", "entered_for", "entered_by")
        .get(pk=relationship.pk)
    )
    if not locked.is_pending:
        raise RelationshipNotPending(locked.get_status_display().lower())
    if not permissions.can_answer_relationship(by, locked):
        raise PermissionDenied("Only the other trust's executives or regulator staff can confirm or decline this")
    by_regulator = permissions.is_regulator_or_admin(by)
    locked.status = status
    locked.answered_by = by
    locked.answered_at = timezone.now()
    mark_change(locked, reason=f"{status.label} by {'regulator staff ' if by_regulator else ''}{by.username}")
    locked.save()
    # A pending relationship was entered for one trust of the pair (can_answer_relationship checked it).
    entered_for = locked.trust_a if locked.entered_for_id == locked.trust_a_id else locked.trust_b
    answering = locked.other_than(entered_for.pk)
    verb = "confirmed" if status == TrustRelationship.Status.CONFIRMED else "declined"
    counts = " Matching now counts it." if status == TrustRelationship.Status.CONFIRMED else ""
    kind = locked.get_kind_display().lower()
    if by_regulator:
        # Regulator staff answered for the other trust: both trusts are told.
        notify(
            recipients=[*_active_executives(entered_for.pk), *_active_executives(answering.pk)],
            subject=f"Regulator staff {verb} a relationship between {entered_for.name} and {answering.name}",
            body=f"{by.display_name} (regulator staff) {verb} the relationship {entered_for.name} recorded with "
            f"{answering.name}: {kind}.{counts}",
            url=_relationship_page(entered_for),
        )
        return locked
    notify(
        recipients=[user for user in _active_executives(entered_for.pk) if user.pk != by.pk],
        subject=f"{answering.name} {verb} your relationship",
        body=(
            f"{by.display_name} of {answering.name} {verb} the relationship {entered_for.name} recorded: "
            f"{kind}.{counts}"
        ),
        url=_relationship_page(entered_for),
    )
    return locked


@transaction.atomic
def relationship_confirm(*, relationship: TrustRelationship, by: User) -> TrustRelationship:
    """The other trust's executive (or regulator staff) confirms a pending relationship: from now on matching counts
    it and everyone sees it. Raises RelationshipNotPending if it was answered meanwhile, PermissionDenied if `by`
    may not answer."""
    return _relationship_answer(relationship=relationship, by=by, status=TrustRelationship.Status.CONFIRMED)


@transaction.atomic
def relationship_decline(*, relationship: TrustRelationship, by: User) -> TrustRelationship:
    """The other trust's executive (or regulator staff) declines a pending relationship: it never counts, and may be
    entered again."""
    return _relationship_answer(relationship=relationship, by=by, status=TrustRelationship.Status.DECLINED)


@transaction.atomic
def relationship_remove(*, relationship: TrustRelationship, by: User, reason: str) -> None:
    """Remove a relationship recorded in error or no longer true (an executive of either trust, or regulator staff):
    matching stops counting it at once. Its history keeps it, with who removed it and why; the other trust's
    executives are told."""
    if not permissions.can_remove_relationship(by, relationship):
        raise PermissionDenied("Only either trust's executives or regulator staff can remove this relationship")
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the relationship is removed"})
    locked = (
        TrustRelationship.objects.select_for_update(of=("self",))
        .select_related("trust_a", "trust_b")
        .get(pk=relationship.pk)
    )
    kind = locked.get_kind_display().lower()
    mark_change(locked, by=by, reason=f"Removed by {by.username}: {reason}")
    locked.delete()
    trusts = [locked.trust_a, locked.trust_b]
    told = [
        user
        for trust in trusts
        if by.trust_id != trust.pk or permissions.is_regulator_or_admin(by)
        for user in _active_executives(trust.pk)
    ]
    if told:
        notify(
            recipients=told,
            subject=f"A relationship between {trusts[0].name} and {trusts[1].name} was removed",
            body=f"{by.display_name} removed the relationship ({kind}): {reason}. Matching no longer counts it.",
            url=_relationship_page(trusts[0] if by.trust_id != trusts[0].pk else trusts[1]),
        )
