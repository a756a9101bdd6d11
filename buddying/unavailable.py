"""The page for a database outage: 503 "Sorry, the service is unavailable", rendered without the database.

Django calls `server_error` (handler500 in buddying.urls) for any exception a view or a middleware did not
handle, including the session lookup and the signed-in user that every page needs. When that exception is, or
was caused by, the database being unreachable, the person gets the GOV.UK service-unavailable page with status
503 and Retry-After instead of a 500; every other error keeps Django's 500. Writes run in transactions
(services are atomic), so an outage part-way through a save leaves nothing half-written.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.views import defaults

RETRY_AFTER_SECONDS = 60


def database_unavailable(error: BaseException | None) -> bool:
    """Whether `error`, or an exception it was raised from, says the database cannot be reached."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def service_unavailable() -> HttpResponse:
    # No request and no context processors: they would read the session, the user and their notifications.
    response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest, template_name: str = defaults.ERROR_500_TEMPLATE_NAME) -> HttpResponse:
    """handler500: the 503 page when the database is down, Django's 500 otherwise."""
    if database_unavailable(sys.exc_info()[1]):
        return service_unavailable()
    return defaults.server_error(request, template_name=template_name)
