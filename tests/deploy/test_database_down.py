"""PostgreSQL down: every page is the GOV.UK "Sorry, the service is unavailable" page with status 503, and a save
the outage interrupts leaves nothing half-written."""

from __future__ import annotations

import subprocess

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from bench import live
from buddying.models import ImprovementNeed
from buddying.tests.factories import ExpertiseAreaFactory, ImprovementNeedFactory, RegulatorFactory, TrustFactory

UNAVAILABLE = "Sorry, the service is unavailable"


@pytest.fixture(scope="module")
def service_without_database(tmp_path_factory):
    """gunicorn as `make serve` starts it (gunicorn.conf.py), pointed at a PostgreSQL port nobody listens on."""
    port, closed = live.free_port(), live.free_port()
    env = live.production_env(
        database_url=f"postgres://postgres@127.0.0.1:{closed}/buddying",
        redis_url="",
        port=port,
        STATIC_MANIFEST="false",  # no collectstatic here: WhiteNoise serves from the source folders
        WEB_CONCURRENCY="1",
    )
    log = tmp_path_factory.mktemp("db-down") / "gunicorn.log"
    with log.open("w") as output:
        web = subprocess.Popen(
            [str(live.VENV_BIN / "gunicorn")],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        live.wait_for_port(port, process=web, timeout=60)
        yield port
    finally:
        live.stop(web)


def test_with_postgresql_unreachable_pages_answer_503_with_the_service_unavailable_page(service_without_database):
    browser = live.Browser(service_without_database)
    browser.get("/sign-in/")  # the CSRF cookie, as a person arriving at the sign-in page gets
    browser.cookies["sessionid"] = "a-session-from-before-the-outage"
    for response in (
        browser.get("/"),
        browser.get("/trusts/"),
        browser.post("/sign-in/", {"username": "regulator", "password": "correct horse battery staple"}),
    ):
        assert response.status == 503
        assert UNAVAILABLE in response.text
        assert f"<title>{UNAVAILABLE} - NHS trust buddying</title>" in response.text
        assert response.header("retry-after") == "60"
        assert "no-store" in response.header("cache-control")
        assert "Traceback" not in response.text
    # The page keeps its GOV.UK styling: static files need no database.
    stylesheet = browser.get("/static/build/app.css")
    assert stylesheet.status == 200


def test_an_error_that_is_not_the_database_is_still_a_500(rf):
    from buddying import unavailable

    try:
        raise ValueError("a bug")
    except ValueError:
        response = unavailable.server_error(rf.get("/"))
    assert response.status_code == 500
    try:
        try:
            raise OperationalError("could not connect to server")
        except OperationalError as error:
            raise RuntimeError("a template could not load its data") from error
    except RuntimeError:
        response = unavailable.server_error(rf.get("/"))
    assert response.status_code == 503


@pytest.fixture
def trust_with_needs(db):
    trust = TrustFactory(ods_code="RA1")
    finance, workforce = ExpertiseAreaFactory(slug="finance"), ExpertiseAreaFactory(slug="workforce")
    ImprovementNeedFactory(trust=trust, area=finance, priority=3, notes="Cash")
    ImprovementNeedFactory(trust=trust, area=workforce, priority=2, notes="Rotas")
    return trust, finance, workforce


def needs_of(trust) -> list[tuple[str, int, str]]:
    return sorted(ImprovementNeed.objects.filter(trust=trust).values_list("area__slug", "priority", "notes"))


def test_an_outage_in_the_middle_of_a_save_leaves_nothing_half_written(trust_with_needs):
    trust, finance, workforce = trust_with_needs
    before = needs_of(trust)
    client = Client(raise_request_exception=False)
    client.force_login(RegulatorFactory())
    url = reverse("trust-needs-edit", args=[trust.ods_code])
    action, fields = live.form_submission(client.get(url).content.decode(), "Save improvement needs")
    # Drop the finance need and rewrite the workforce note: a delete, then an update.
    changed = dict(fields) | {
        f"level_{finance.pk}": "",
        f"note_{finance.pk}": "",
        f"note_{workforce.pk}": "Rotas and sickness",
    }
    writes = []

    def connection_lost_after_the_first_write(execute, sql, params, many, context):
        if sql.lstrip().split(" ", 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(sql)
            if len(writes) == 2:
                raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(connection_lost_after_the_first_write):
        response = client.post(action or url, changed)

    assert len(writes) == 2, "the save had begun writing when the connection was lost"
    assert response.status_code == 503
    assert UNAVAILABLE in response.content.decode()
    assert needs_of(trust) == before
