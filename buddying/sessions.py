"""The session store: Django's database sessions, remembering when a loaded session was due to expire.

buddying.middleware.IdleTimeoutMiddleware reads `expires_at` to push the expiry back only when the
session has been idle for a while, rather than writing the session on every request.
"""

import datetime as dt

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session


class SessionStore(DatabaseSessionStore):
    expires_at: dt.datetime | None = None

    def _get_session_from_db(self) -> Session | None:
        session = super()._get_session_from_db()  # type: ignore[misc]  # private in Django, so not in django-stubs
        self.expires_at = session.expire_date if session is not None else None
        return session
