"""The request type of a view behind LoginRequiredMiddleware, for the type checker."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from buddying.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request from a signed-in user: every view not marked @login_not_required gets one.

    Only annotations use it (never instantiated): `request.user` is then a `User`, not `User | AnonymousUser`.
    """

    user: User
