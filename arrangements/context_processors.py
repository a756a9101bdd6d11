from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from buddying.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's unread notification count, counted only if a page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        )
    }
