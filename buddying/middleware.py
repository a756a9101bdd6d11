"""Sessions that end when idle, and headers every page gets: no caching of private pages, no browser features."""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.cache import add_never_cache_headers


class IdleTimeoutMiddleware:
    """Each request pushes the session's expiry back to SESSION_COOKIE_AGE (SESSION_IDLE_MINUTES) from now.

    Writing the session on every request would cost a database write per page; instead it is saved
    only once its expiry is more than REFRESH_AFTER old, so a session ends between SESSION_IDLE_MINUTES
    less a minute and SESSION_IDLE_MINUTES after the last request. Needs buddying.sessions.SessionStore.
    """

    REFRESH_AFTER = dt.timedelta(minutes=1)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.idle = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        expires_at = getattr(session, "expires_at", None)
        refresh_due = expires_at is not None and expires_at - timezone.now() < self.idle - self.REFRESH_AFTER
        if session is not None and refresh_due and not session.modified:
            # SessionMiddleware (outside this one) saves it with a new expiry and sends a new cookie.
            session.modified = True
        return response


class NoStoreWhenSignedInMiddleware:
    """A page shown to a signed-in person holds private data: no browser, shared computer or proxy keeps it.

    `Cache-Control: no-store` stops the back button showing it after sign-out, too. Static files never
    reach this (WhiteNoise serves them first, with far-future caching); the sign-in page may be cached.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class PermissionsPolicyMiddleware:
    """Deny browser features no page uses (camera, microphone, location...): settings.PERMISSIONS_POLICY."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.policy)
        return response
