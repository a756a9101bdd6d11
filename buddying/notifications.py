"""In-app notifications, with an email for each sent from a Celery task after the transaction commits.

Every app tells people through `notify` (arrangements, call-offs, pool decisions), so one inbox and one
email sender serve them all. The emails' task goes through the outbox (buddying.outbox): a Redis outage holds
it in the database until Redis is back, and the daily reminder sweep re-queues any email still unsent.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from buddying import outbox
from buddying.models import Notification, User


def notify(*, recipients: Iterable[User], subject: str, body: str, url: str) -> list[Notification]:
    """Create in-app notifications now; their emails go out from a task once this transaction commits."""
    created = Notification.objects.bulk_create(
        Notification(recipient=user, subject=subject, body=body, url=url) for user in recipients
    )
    ids = [notification.pk for notification in created]
    if ids:
        from buddying.tasks import send_notification_emails

        # Through the outbox: a Redis outage neither fails nor slows the save that caused the notification;
        # the emails go out once Redis is back.
        outbox.enqueue(send_notification_emails, ids)
    return created


def notification_emails_send(*, notification_ids: Iterable[int]) -> int:
    """Email each notification not yet emailed. Row locks make two workers send each email once."""
    sent = 0
    for notification_id in notification_ids:
        with transaction.atomic():
            notification = (
                Notification.objects.select_for_update(skip_locked=True)
                .select_related("recipient")
                .filter(pk=notification_id, emailed_at__isnull=True)
                .first()
            )
            if notification is None or not notification.recipient.email:
                continue
            send_mail(
                subject=notification.subject,
                message=f"{notification.body}\n\n{settings.SITE_URL}{notification.url}",
                from_email=None,
                recipient_list=[notification.recipient.email],
            )
            notification.emailed_at = timezone.now()
            notification.save(update_fields=["emailed_at"])
            sent += 1
    return sent
