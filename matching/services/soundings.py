"""Soundings before procurement: regulator staff ask strong trusts whether they would join a framework, with what
capacity and expertise, and what incentive they would need; the trusts' executives answer (and may change their
answer) until regulator staff close the sounding.

Every write is audited by django-simple-history (Sounding and SoundingResponse keep a history, with who made each
change); opening a sounding tells the asked trusts' executives in the app and by email (buddying.notifications).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from buddying.history import mark_change
from buddying.models import ExpertiseArea, Trust, User
from buddying.notifications import notify
from matching.models import (
    CommitmentTier,
    Framework,
    Sounding,
    SoundingIncentive,
    SoundingReminder,
    SoundingResponse,
)
from matching.models import SoundingWillingness as Willingness
from matching.permissions import can_answer_sounding, can_manage_soundings
from matching.services.pool import PoolError


class SoundingError(PoolError):
    """A refused sounding action: one plain sentence, and the form field it is about when there is one."""


def _day(date: dt.date) -> str:
    return f"{date.day} {date:%B %Y}"


def strong_trusts() -> Sequence[Trust]:
    """The trusts a sounding asks by default: open, rated good or outstanding by the CQC, and neither in special
    measures or recovery nor in oversight segment 4 or 5 (receiving intensive support themselves)."""
    return list(
        Trust.objects.open()
        .filter(
            cqc_rating__in=[Trust.CqcRating.OUTSTANDING, Trust.CqcRating.GOOD],
            improvement_status=Trust.ImprovementStatus.NONE,
        )
        .exclude(oversight_segment__in=[4, 5])
        .order_by("name")
    )


@transaction.atomic
def sounding_open(
    *,
    framework: Framework,
    by: User,
    title: str,
    message: str = "",
    tier: str = CommitmentTier.SUPERBUDDY,
    reply_by: dt.date | None = None,
    trusts: Iterable[Trust],
) -> Sounding:
    """Ask `trusts` whether they would join `framework`; their executives are told at once."""
    if not can_manage_soundings(by):
        raise SoundingError("Only regulator staff can sound out trusts")
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if framework.status == Framework.Status.EXPIRED:
        raise SoundingError(f"{framework.name} has expired: sound trusts out about a new framework")
    title = title.strip()
    if not title:
        raise SoundingError("Enter a title for the sounding", field="title")
    if tier not in CommitmentTier.values:
        raise SoundingError("Select the tier of support from the list", field="tier")
    if reply_by is not None and reply_by < timezone.localdate():
        raise SoundingError("The date to reply by must be today or in the future", field="reply_by")
    asked = {trust.pk: trust for trust in trusts}
    if not asked:
        raise SoundingError("Select at least one trust to ask", field="trusts")
    sounding = Sounding(
        framework=framework, title=title, message=message.strip(), tier=tier, reply_by=reply_by, created_by=by
    )
    mark_change(sounding, by=by)
    sounding.save()
    # With history, so the audit trail starts with who asked each trust (a plain bulk_create writes none).
    bulk_create_with_history(
        [SoundingResponse(sounding=sounding, trust_id=pk) for pk in sorted(asked)],
        SoundingResponse,
        default_user=by,
        default_change_reason="Asked",
    )
    executives = User.objects.filter(role=User.Role.TRUST_EXECUTIVE, trust_id__in=list(asked), is_active=True).order_by(
        "pk"
    )
    reply = f" Please answer by {_day(reply_by)}." if reply_by else ""
    notify(
        recipients=executives,
        subject=f"Would your trust join {framework.name}? ({title})",
        body=(
            f"Regulator staff are sounding out trusts before procuring {framework.name}: whether you would join, "
            f"how many trusts you could support at once, the expertise you would offer and the incentive you would "
            f"need.{reply} You can change your answer until the sounding closes."
        ),
        url=sounding.get_absolute_url(),
    )
    return sounding


def sounding_answer_problems(
    *,
    willingness: str,
    max_concurrent_arrangements: int | None,
    areas: Sequence[ExpertiseArea],
    lots: Iterable[ExpertiseArea],
    incentive: str,
    fee_amount: Decimal | None,
    reason: str,
) -> list[tuple[str, str]]:
    """Every problem with an answer, as (field, message): the answer form shows them all, the service refuses on
    the first. A yes or a maybe needs capacity, at least one area and an incentive (with an amount if a fee); a no
    needs a reason."""
    problems: list[tuple[str, str]] = []
    if willingness not in Willingness.values:
        return [("willingness", "Select whether your trust would join the framework")]
    if willingness == Willingness.NO:
        if not reason.strip():
            problems.append(("reason", "Enter why your trust would not join"))
        return problems
    if max_concurrent_arrangements is None:
        problems.append(("max_concurrent_arrangements", "Enter the most trusts you could support at once"))
    elif not 1 <= max_concurrent_arrangements <= 20:
        problems.append(
            ("max_concurrent_arrangements", "The most trusts you could support at once must be between 1 and 20")
        )
    lot_ids = {area.pk for area in lots}
    if not areas:
        problems.append(("areas", "Select at least one area of expertise you would offer"))
    elif any(area.pk not in lot_ids for area in areas):
        problems.append(("areas", "Select the areas of expertise from the list"))
    if incentive not in SoundingIncentive.values:
        problems.append(("incentive", "Select the incentive your trust would need"))
    elif incentive == SoundingIncentive.FEE:
        if fee_amount is None:
            problems.append(("fee_amount", "Enter the annual fee you would need for each trust you support"))
        elif fee_amount <= 0:
            problems.append(("fee_amount", "The annual fee must be more than £0: otherwise choose no incentive"))
    elif fee_amount is not None:
        problems.append(("fee_amount", "Leave the annual fee empty, or choose a fee as the incentive"))
    return problems


def _lock_open(sounding: Sounding) -> Sounding:
    # Lock the sounding's row only (of=self): answers and the close queue on it, the framework is left free.
    locked = Sounding.objects.select_for_update(of=("self",)).select_related("framework").get(pk=sounding.pk)
    if not locked.is_open:
        raise SoundingError(f"{locked.title} is closed: answers can no longer change")
    return locked


@transaction.atomic
def sounding_answer(
    *,
    response: SoundingResponse,
    by: User,
    willingness: str,
    max_concurrent_arrangements: int | None = None,
    areas: Sequence[ExpertiseArea] = (),
    incentive: str = "",
    fee_amount: Decimal | None = None,
    reason: str = "",
) -> SoundingResponse:
    """The trust's answer, given or changed by one of its executives while the sounding is open. The sounding's row
    lock orders an answer and the closing: an answer either lands before the close or is refused."""
    if not can_answer_sounding(by, response):
        raise SoundingError("Only an executive of the trust asked can answer for it")
    sounding = _lock_open(response.sounding)
    problems = sounding_answer_problems(
        willingness=willingness,
        max_concurrent_arrangements=max_concurrent_arrangements,
        areas=areas,
        lots=sounding.framework.lots.all(),
        incentive=incentive,
        fee_amount=fee_amount,
        reason=reason,
    )
    if problems:
        field, message = problems[0]
        raise SoundingError(message, field=field)
    locked = SoundingResponse.objects.select_for_update().get(pk=response.pk)
    offering = willingness in SoundingResponse.OFFERING
    locked.willingness = willingness
    locked.max_concurrent_arrangements = max_concurrent_arrangements if offering else None
    locked.incentive = incentive if offering else ""
    locked.fee_amount = fee_amount if offering and incentive == SoundingIncentive.FEE else None
    locked.reason = reason.strip()
    locked.answered_by, locked.answered_at = by, timezone.now()
    locked._history_user = by  # type: ignore[attr-defined]  # read by django-simple-history
    locked._change_reason = "Changed the answer" if response.is_answered else "Answered"  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:  # the constraints agree with sounding_answer_problems; this is the last guard
        raise SoundingError("The answer is not complete: check each question") from None
    locked.areas.set(areas if offering else [])
    return locked


@transaction.atomic
def sounding_close(*, sounding: Sounding, by: User) -> Sounding:
    """No more answers: the summary is final, and the trusts' answers become read-only."""
    if not can_manage_soundings(by):
        raise SoundingError("Only regulator staff can close a sounding")
    locked = _lock_open(sounding)
    locked.status = Sounding.Status.CLOSED
    locked.closed_by, locked.closed_at = by, timezone.now()
    locked._history_user = by  # type: ignore[attr-defined]
    locked._change_reason = "Closed"  # type: ignore[attr-defined]
    locked.save(update_fields=["status", "closed_by", "closed_at"])
    executives = User.objects.filter(
        role=User.Role.TRUST_EXECUTIVE, trust_id__in=locked.responses.values("trust_id"), is_active=True
    ).order_by("pk")
    notify(
        recipients=executives,
        subject=f"Sounding closed: {locked.title}",
        body=(
            f"Regulator staff closed the sounding about {locked.framework.name}: answers can no longer change. "
            "Thank you for your time."
        ),
        url=locked.get_absolute_url(),
    )
    return locked


# Days before a sounding's reply-by date that a trust yet to answer is reminded (as call-offs are).
REPLY_BY_LEAD_DAYS = 3


def sounding_reminders_sweep(*, today: dt.date) -> int:
    """Remind the executives of each trust yet to answer an open sounding in the days before its reply-by date, and
    once more when it has passed (the daily sweep, arrangements.reminders, calls this).

    Each reminder is claimed and sent in one transaction: the SoundingReminder row's unique key (trust's place in
    the sounding, kind, reply-by date) makes a second sweep, or one running at the same time, send nothing twice.
    Returns how many were sent."""
    waiting = (
        SoundingResponse.objects.filter(
            sounding__status=Sounding.Status.OPEN,
            sounding__reply_by__isnull=False,
            sounding__reply_by__lte=today + dt.timedelta(days=REPLY_BY_LEAD_DAYS),
            willingness="",
        )
        .select_related("sounding__framework", "trust")
        .order_by("sounding_id", "trust_id")
    )
    sent = 0
    for response in waiting:
        sounding = response.sounding
        reply_by = cast(dt.date, sounding.reply_by)  # the filter above picks soundings by it
        overdue = reply_by < today
        kind = SoundingReminder.Kind.REPLY_OVERDUE if overdue else SoundingReminder.Kind.REPLY_DUE
        try:
            with transaction.atomic():
                reminder = SoundingReminder.objects.create(response=response, kind=kind, due_on=reply_by)
                executives = list(
                    User.objects.filter(role=User.Role.TRUST_EXECUTIVE, trust_id=response.trust_id, is_active=True)
                )
                if overdue:
                    subject = f"Answer overdue: would your trust join {sounding.framework.name}?"
                    body = (
                        f'Your trust\'s answer to "{sounding.title}" was due by {_day(reply_by)}. Regulator staff '
                        "still accept it until they close the sounding."
                    )
                else:
                    subject = f"Please answer by {_day(reply_by)}: would your trust join {sounding.framework.name}?"
                    body = f'Your trust\'s answer to "{sounding.title}" is due by {_day(reply_by)}.'
                notify(recipients=executives, subject=subject, body=body, url=sounding.get_absolute_url())
                reminder.recipients = len(executives)
                reminder.save(update_fields=["recipients"])
        except IntegrityError:
            continue  # claimed already, by an earlier sweep or one running now
        sent += 1
    return sent
