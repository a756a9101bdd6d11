"""The daily reminder sweep: reviews due or overdue, milestones due or overdue, terms left unsigned.

Each reminder is claimed by inserting a Reminder row whose unique key is (kind, subject, due date)
before anything is sent, so running the sweep twice, or two sweeps at once, claims it once. Due
dates are Europe/London dates and every sweep looks at a window of days, not one exact day, so a
clock change (or a late or missed run) neither skips nor repeats a reminder.

Who is reminded is decided when it is sent (arrangements.notifications.people_to_notify): a review reminder goes
only to the trusts that have not yet submitted their side of that review, and none once it is complete.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import cast

from django.db import IntegrityError, transaction
from django.utils import timezone

from arrangements import selectors
from arrangements.models import Arrangement, Milestone, Reminder, Review
from arrangements.notifications import EVERY_PARTY, TRUSTS, notify, people_to_notify
from arrangements.services import missing_signatures
from buddying import outbox
from buddying.models import Notification, Trust
from matching.services.soundings import sounding_reminders_sweep

logger = logging.getLogger(__name__)

REVIEW_LEAD_DAYS = 14
MILESTONE_LEAD_DAYS = 7
TERMS_UNSIGNED_AFTER_DAYS = 14
# Work claimed but not sent (the broker was down) is sent again after this long.
RETRY_UNSENT_AFTER = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class SweepResult:
    claimed: int
    requeued_reminders: int
    requeued_emails: int


def _claim(*, kind: str, subject_key: str, due_on: dt.date, arrangement: Arrangement) -> Reminder | None:
    try:
        with transaction.atomic():
            return Reminder.objects.create(kind=kind, subject_key=subject_key, due_on=due_on, arrangement=arrangement)
    except IntegrityError:
        return None  # claimed already, by an earlier sweep or one running now


def reminders_sweep(*, today: dt.date | None = None) -> SweepResult:
    """Claim every reminder due today (Europe/London) and queue each to be sent once."""
    today = today or timezone.localdate()
    claimed: list[Reminder] = []

    def claim(**key: object) -> None:
        reminder = _claim(**key)  # type: ignore[arg-type]
        if reminder is not None:
            claimed.append(reminder)

    for arrangement in selectors.reviews_due_within(today=today, days=REVIEW_LEAD_DAYS):
        claim(
            kind=Reminder.Kind.REVIEW_DUE,
            subject_key=f"arrangement:{arrangement.pk}",
            due_on=arrangement.next_review_due,
            arrangement=arrangement,
        )
    for arrangement in selectors.reviews_overdue(today=today):
        claim(
            kind=Reminder.Kind.REVIEW_OVERDUE,
            subject_key=f"arrangement:{arrangement.pk}",
            due_on=arrangement.next_review_due,
            arrangement=arrangement,
        )
    for milestone in selectors.milestones_due_within(today=today, days=MILESTONE_LEAD_DAYS):
        claim(
            kind=Reminder.Kind.MILESTONE_DUE,
            subject_key=f"milestone:{milestone.pk}",
            due_on=milestone.due_date,
            arrangement=milestone.workstream.arrangement,
        )
    for milestone in selectors.milestones_overdue(today=today):
        claim(
            kind=Reminder.Kind.MILESTONE_OVERDUE,
            subject_key=f"milestone:{milestone.pk}",
            due_on=milestone.due_date,
            arrangement=milestone.workstream.arrangement,
        )
    for terms in selectors.terms_unsigned_since(today=today, days=TERMS_UNSIGNED_AFTER_DAYS):
        claim(
            kind=Reminder.Kind.TERMS_UNSIGNED,
            subject_key=f"terms:{terms.pk}",
            due_on=timezone.localtime(terms.created_at).date() + dt.timedelta(days=TERMS_UNSIGNED_AFTER_DAYS),
            arrangement=terms.arrangement,
        )

    call_off_reminders_sweep(today=today)
    sounding_reminders_sweep(today=today)

    from arrangements.tasks import send_reminder
    from buddying.tasks import send_notification_emails

    stale = timezone.now() - RETRY_UNSENT_AFTER
    unsent = list(Reminder.objects.filter(sent_at__isnull=True, claimed_at__lt=stale).values_list("pk", flat=True))
    emails = list(
        Notification.objects.filter(emailed_at__isnull=True, created_at__lt=stale, recipient__email__gt="").values_list(
            "pk", flat=True
        )[:1000]
    )
    for reminder in claimed:
        outbox.enqueue(send_reminder, reminder.pk)
    for pk in unsent:
        outbox.enqueue(send_reminder, pk)
    if emails:
        outbox.enqueue(send_notification_emails, emails)
    logger.info("Reminder sweep for %s: %d claimed, %d re-queued", today, len(claimed), len(unsent))
    return SweepResult(claimed=len(claimed), requeued_reminders=len(unsent), requeued_emails=len(emails))


MESSAGES = {
    Reminder.Kind.REVIEW_DUE: (
        "Review due {due}: {title}",
        "The next review of this arrangement is due on {due}. Your trust has not submitted its review yet.",
        False,
    ),
    Reminder.Kind.REVIEW_OVERDUE: (
        "Review overdue: {title}",
        "The review of this arrangement was due on {due}. Still to submit: {waiting}.",
        True,  # escalated to regulator staff
    ),
    Reminder.Kind.MILESTONE_DUE: (
        "Milestone due {due}: {title}",
        "The milestone “{milestone}” in this arrangement falls due on {due}.",
        False,
    ),
    Reminder.Kind.MILESTONE_OVERDUE: (
        "Milestone overdue: {title}",
        "The milestone “{milestone}” in this arrangement was due on {due} and is not complete.",
        True,  # the regulator hears of it too, as of a milestone turning red
    ),
    Reminder.Kind.TERMS_UNSIGNED: (
        "Terms of reference not signed: {title}",
        "The terms of reference have been waiting for signatures since {due}. Still to sign: {waiting}.",
        False,
    ),
}


def reminder_send(*, reminder_id: int) -> bool:
    """Send one claimed reminder (in-app and email) unless it has been sent. Returns whether it sent now.

    The row is locked while sending, so a task delivered twice, or run by two workers, sends once.
    """
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True)
            .select_related("arrangement__supported")
            .filter(pk=reminder_id, sent_at__isnull=True)
            .first()
        )
        if reminder is None:
            return False
        arrangement = reminder.arrangement
        subject, body, escalate = MESSAGES[Reminder.Kind(reminder.kind)]
        values = {"due": f"{reminder.due_on:%d %B %Y}", "title": arrangement.title, "waiting": "", "milestone": ""}
        parties = EVERY_PARTY if escalate else TRUSTS
        trusts: list[int] | None = None
        if reminder.kind == Reminder.Kind.TERMS_UNSIGNED:
            terms = arrangement.terms_versions.order_by("-version").first()
            values["waiting"] = ", ".join(
                trust.name if trust else "the regulator"
                for _party, trust in (missing_signatures(terms) if terms is not None else [])
            )
        elif reminder.kind in (Reminder.Kind.REVIEW_DUE, Reminder.Kind.REVIEW_OVERDUE):
            waiting = _review_waiting(arrangement, due_on=reminder.due_on)
            trusts = [trust.pk for trust in waiting]
            values["waiting"] = ", ".join(trust.name for trust in waiting)
            if not waiting:
                parties = frozenset()  # every trust has submitted: nothing to remind anyone of
        else:  # a milestone due or overdue
            milestone = Milestone.objects.filter(pk=int(reminder.subject_key.split(":")[1])).first()
            if milestone is None or milestone.rag == Milestone.Rag.COMPLETE or milestone.due_date != reminder.due_on:
                parties = frozenset()  # removed, complete or moved since the sweep claimed it
            else:
                values["milestone"] = milestone.title
        if arrangement.is_closed:
            parties = frozenset()  # ended since the sweep claimed it: no review, milestone or signature is due
        people = people_to_notify(arrangement, parties=parties, trusts=trusts) if parties else []
        notifications = notify(
            recipients=people,
            subject=subject.format(**values),
            body=body.format(**values),
            url=arrangement.get_absolute_url(),
        )
        reminder.sent_at = timezone.now()
        reminder.recipients = len(notifications)
        reminder.save(update_fields=["sent_at", "recipients"])
    return True


def _review_waiting(arrangement: Arrangement, *, due_on: dt.date) -> list[Trust]:
    """The trusts yet to submit their review due on `due_on`; none once that review is complete."""
    review = Review.objects.filter(arrangement=arrangement, due_on=due_on).prefetch_related("submissions").first()
    if review is not None and review.is_complete:
        return []
    submitted = {submission.trust_id for submission in review.submissions.all()} if review else set()
    return [trust for _party, trust, _required in selectors.review_parties(arrangement) if trust.pk not in submitted]


# Call-offs: answers due by the reply-by date ------------------------------------------------------------------------

REPLY_BY_LEAD_DAYS = 3


def call_off_reminders_sweep(*, today: dt.date) -> int:
    """Remind the trusts yet to answer a call-off in the days before its reply-by date, and once it has passed tell
    them and regulator staff that the answer is overdue (the call-off page shows it as overdue from then).

    Each reminder is claimed and sent in one transaction: the CallOffReminder row's unique key (call-off, trust,
    kind, reply-by date) makes a second sweep, or one running at the same time, send nothing twice; a new reply-by
    date is a new key. Returns how many were sent."""
    from arrangements.models import CallOffReminder

    sent = 0
    due = [
        (CallOffReminder.Kind.REPLY_DUE, *pair)
        for pair in selectors.call_off_parties_due(today=today, days=REPLY_BY_LEAD_DAYS)
    ]
    overdue = [(CallOffReminder.Kind.REPLY_OVERDUE, *pair) for pair in selectors.call_off_parties_overdue(today=today)]
    for kind, call_off, trust in [*due, *overdue]:
        reply_by = cast(dt.date, call_off.reply_by)  # the selectors pick call-offs by it
        try:
            with transaction.atomic():
                reminder = CallOffReminder.objects.create(call_off=call_off, trust=trust, kind=kind, due_on=reply_by)
                when = f"{reply_by.day} {reply_by:%B %Y}"
                if kind == CallOffReminder.Kind.REPLY_DUE:
                    subject = f"Please answer by {when}: buddying for {call_off.supported.name}"
                    body = f"Your trust's answer about {call_off.title} is due by {when}."
                    regulators = False
                else:
                    subject = f"Answer overdue: {trust.name}, buddying for {call_off.supported.name}"
                    body = f"{trust.name} has not answered about {call_off.title}: the answer was due by {when}."
                    regulators = True
                people = selectors.call_off_people(call_off=call_off, trust_ids=[trust.pk], regulators=regulators)
                notify(recipients=people, subject=subject, body=body, url=call_off.get_absolute_url())
                reminder.recipients = len(people)
                reminder.save(update_fields=["recipients"])
        except IntegrityError:
            continue  # claimed already, by an earlier sweep or one running now
        sent += 1
    if sent:
        logger.info("Call-off reminder sweep for %s: %d sent", today, sent)
    return sent
