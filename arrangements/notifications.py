"""In-app notifications, with an email for each sent from a Celery task after the transaction commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from arrangements.models import Arrangement, Notification
from buddying.models import User

logger = logging.getLogger(__name__)


def arrangement_people(*, arrangement: Arrangement, include_regulators: bool) -> list[User]:
    """The executives of every trust in the arrangement, and regulator staff if asked for."""
    trust_ids = [arrangement.supported_id, *(entry.buddy_id for entry in arrangement.buddies.all())]
    condition = Q(role=User.Role.TRUST_EXECUTIVE, trust_id__in=trust_ids)
    if include_regulators:
        condition |= Q(role=User.Role.REGULATOR)
    return list(User.objects.filter(condition, is_active=True).order_by("pk"))


def notify(*, recipients: Iterable[User], subject: str, body: str, url: str) -> list[Notification]:
    """Create in-app notifications now; their emails go out from a task once this transaction commits."""
    created = Notification.objects.bulk_create(
        Notification(recipient=user, subject=subject, body=body, url=url) for user in recipients
    )
    ids = [notification.pk for notification in created]
    if ids:
        from arrangements.tasks import send_notification_emails

        # robust: a broker outage must not fail the save that caused the notification; the daily
        # sweep sends any email still unsent once the broker is back.
        transaction.on_commit(lambda: send_notification_emails.delay(ids), robust=True)
    return created


def notify_parties(*, arrangement: Arrangement, exclude: User | None, subject: str, body: str) -> list[Notification]:
    """Tell everyone in the arrangement (and regulator staff) about a change, except whoever made it."""
    people = [
        user
        for user in arrangement_people(arrangement=arrangement, include_regulators=True)
        if exclude is None or user.pk != exclude.pk
    ]
    return notify(recipients=people, subject=subject, body=body, url=arrangement.get_absolute_url())


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
