"""Sign-in lockouts (django-axes, configured in settings): whose attempts count together, and what a
locked-out person sees."""

from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from buddying.forms import SignInForm


def client_ip_address(request: HttpRequest) -> str | None:
    """The client address failed sign-ins are counted against (settings.AXES_CLIENT_IP_CALLABLE).

    Behind the TLS proxy (BEHIND_TLS_PROXY) every request comes from the proxy itself, so the client
    is the last address in X-Forwarded-For: the one the proxy appended. Addresses before it are what
    the client sent, and a guesser could change them on every attempt.
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    # None where there is no address at all (a test's force_login): axes records no address then.
    return request.META.get("REMOTE_ADDR") or None


def sign_in_locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """The sign-in page again, saying why the attempt was refused (settings.AXES_LOCKOUT_CALLABLE).

    The form is not bound: validating it would try the password again, and count another failure.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = SignInForm(request, initial={"username": username})
    context = {
        "form": form,
        "locked_out": True,
        "lockout_minutes": settings.SIGN_IN_LOCKOUT_MINUTES,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)


def sign_in_failures_forget(*, username: str) -> None:
    """Forget the failed sign-ins for a username whose password was just reset by its emailed link.

    The lockout message offers "reset your password": after that the person can sign in again at once.
    The failures others made from the same client address, against other accounts, still count.
    """
    axes_reset(username=username)
