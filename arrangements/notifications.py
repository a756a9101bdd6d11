"""Who hears about an arrangement's changes; buddying.notifications creates the messages and sends the emails."""

from __future__ import annotations

from django.db.models import Q

from arrangements.models import Arrangement
from buddying.models import Notification, User
from buddying.notifications import notify

__all__ = ["arrangement_people", "notify", "notify_parties"]


def arrangement_people(*, arrangement: Arrangement, include_regulators: bool) -> list[User]:
    """The executives of every trust in the arrangement, and regulator staff if asked for."""
    trust_ids = [arrangement.supported_id, *(entry.buddy_id for entry in arrangement.buddies.all())]
    condition = Q(role=User.Role.TRUST_EXECUTIVE, trust_id__in=trust_ids)
    if include_regulators:
        condition |= Q(role=User.Role.REGULATOR)
    return list(User.objects.filter(condition, is_active=True).order_by("pk"))


def notify_parties(*, arrangement: Arrangement, exclude: User | None, subject: str, body: str) -> list[Notification]:
    """Tell everyone in the arrangement (and regulator staff) about a change, except whoever made it."""
    people = [
        user
        for user in arrangement_people(arrangement=arrangement, include_regulators=True)
        if exclude is None or user.pk != exclude.pk
    ]
    return notify(recipients=people, subject=subject, body=body, url=arrangement.get_absolute_url())
