"""Fixtures shared by every app's tests: fast passwords and the five personas of the permission matrix."""

import pytest

from buddying.tests.factories import AdminFactory, ExecutiveFactory, RegulatorFactory, TrustFactory

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def own_trust(db):
    return TrustFactory(name="Own Hospitals NHS Trust", ods_code="RA1")


@pytest.fixture
def other_trust(db):
    return TrustFactory(name="Other Hospitals NHS Trust", ods_code="RB2")


@pytest.fixture
def regulator(db):
    return RegulatorFactory(username="regulator")


@pytest.fixture
def executive(own_trust):
    """An executive of `own_trust`."""
    return ExecutiveFactory(username="executive", trust=own_trust)


@pytest.fixture
def other_executive(other_trust):
    """An executive of `other_trust`: an outsider to `own_trust`."""
    return ExecutiveFactory(username="other-executive", trust=other_trust)


@pytest.fixture
def admin_user(db):
    return AdminFactory(username="admin")


@pytest.fixture
def persona(request, regulator, executive, other_executive, admin_user):
    """Look a persona up by name, for permission matrices: anonymous, regulator, executive, other_executive, admin."""
    return {
        "anonymous": None,
        "regulator": regulator,
        "executive": executive,
        "other_executive": other_executive,
        "admin": admin_user,
    }


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker, in a thread, consuming from the real Redis broker (REDIS_URL in pytest.ini).

    The test must commit its data (transactional_db) for the worker's own connection to see it.
    """
    from celery.contrib.testing.worker import start_worker

    from buddying.celery import app

    if app.conf.task_always_eager:
        raise RuntimeError("REDIS_URL must be set for worker tests (see pytest.ini)")
    app.control.purge()  # nothing left over from an earlier run
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING") as worker:
        yield worker
