"""Who hears about an arrangement's changes; buddying.notifications creates the messages and sends the emails.

`people_to_notify` is the one place that decides who is told: every service and the reminder sweep in
arrangements ask it, and `notify_parties` sends to whoever it names.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.db.models import Q

from arrangements.models import Arrangement
from arrangements.permissions import BUDDY, REGULATOR, SUPPORTED
from buddying.models import Notification, User
from buddying.notifications import notify

__all__ = ["EVERY_PARTY", "TRUSTS", "notify", "notify_parties", "people_to_notify"]

# Sides of an arrangement, as arrangements.permissions names them.
EVERY_PARTY = frozenset({REGULATOR, SUPPORTED, BUDDY})
TRUSTS = frozenset({SUPPORTED, BUDDY})


def people_to_notify(
    arrangement: Arrangement,
    *,
    exclude: User | None = None,
    parties: Collection[str] = EVERY_PARTY,
    trusts: Iterable[int] | None = None,
) -> list[User]:
    """Who is told about something in `arrangement`: the active executives of its trusts on the given sides
    (the supported trust, every buddy), regulator staff when `parties` includes the regulator, never `exclude`
    (whoever made the change: people are not told what they did themselves).

    `trusts` narrows the trusts to those ids (a review reminder goes only to the trusts yet to submit)."""
    trust_ids = []
    if SUPPORTED in parties:
        trust_ids.append(arrangement.supported_id)
    if BUDDY in parties:
        trust_ids += [entry.buddy_id for entry in arrangement.buddies.all()]
    if trusts is not None:
        only = set(trusts)
        trust_ids = [trust_id for trust_id in trust_ids if trust_id in only]
    condition = Q(role=User.Role.TRUST_EXECUTIVE, trust_id__in=trust_ids)
    if REGULATOR in parties:
        condition |= Q(role=User.Role.REGULATOR)
    people = User.objects.filter(condition, is_active=True).order_by("pk")
    if exclude is not None:
        people = people.exclude(pk=exclude.pk)
    return list(people)


def notify_parties(
    *,
    arrangement: Arrangement,
    exclude: User | None,
    subject: str,
    body: str,
    parties: Collection[str] = EVERY_PARTY,
    trusts: Iterable[int] | None = None,
) -> list[Notification]:
    """Tell `people_to_notify` (by default every party and regulator staff, except whoever made the change)."""
    people = people_to_notify(arrangement, exclude=exclude, parties=parties, trusts=trusts)
    return notify(recipients=people, subject=subject, body=body, url=arrangement.get_absolute_url())
