"""Who may POST to the framework pool's actions, matching's run restart and the match explorer.

Each cell is persona x action: the response, and either the change the action makes or, for a refused
POST, that nothing in the database changed (statuses, applications, decisions, notifications) and
nothing was queued to run after the commit.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from buddying.models import Notification
from buddying.tests.factories import TrustFactory
from matching import services
from matching.models import CommitmentTier, FeeScale, Framework, MatchRun, PoolApplication, PoolDecision

pytestmark = pytest.mark.django_db

ANON, REG, EXEC, OTHER, ADMIN = "anonymous", "regulator", "executive", "other_executive", "admin"
PERSONAS = (ANON, REG, EXEC, OTHER, ADMIN)
LOGIN, DONE, MISSING = "sent to sign in", "done", 404

UNTIL = dt.date(2028, 1, 1)
UNTIL_POST = {"until_0": "1", "until_1": "1", "until_2": "2028"}
REASON_POST = {"reason": "Board decision"}

REGULATORS_ONLY = {ANON: LOGIN, REG: DONE, EXEC: MISSING, OTHER: MISSING, ADMIN: DONE}
# A trust's own executives may withdraw it from the pool; nobody else outside the regulator may.
WITHDRAW = {ANON: LOGIN, REG: DONE, EXEC: DONE, OTHER: MISSING, ADMIN: DONE}

# action -> (the application's status before, its status after a POST that is allowed, who may)
APPLICATION_ACTIONS = {
    "accredit": ("submitted", "accredited", REGULATORS_ONLY),
    "decline": ("submitted", "declined", REGULATORS_ONLY),
    "suspend": ("accredited", "suspended", REGULATORS_ONLY),
    "reinstate": ("suspended", "accredited", REGULATORS_ONLY),
    "withdraw": ("accredited", "withdrawn", WITHDRAW),
}


def cells(matrix: dict) -> list[tuple]:
    return [(name, who, row[who]) for name, row in matrix.items() for who in PERSONAS]


def sign_in(client, persona, who):
    if persona[who] is not None:
        client.force_login(persona[who])


def outcome(response) -> str | int:
    if response.status_code == 302:
        return LOGIN if response.url.startswith(reverse("login")) else DONE
    return response.status_code


def database_state() -> dict:
    """Everything a pool action could change, in a form two snapshots can be compared by."""
    return {
        "frameworks": sorted(Framework.objects.values_list("pk", "name", "status")),
        "fees": FeeScale.objects.count(),
        "applications": sorted(
            PoolApplication.objects.values_list("pk", "trust_id", "route", "status", "accredited_until", "decided_by")
        ),
        "decisions": sorted(PoolDecision.objects.values_list("pk", "action")),
        "notifications": Notification.objects.count(),
        "runs": sorted(MatchRun.objects.values_list("pk", "status", "progress", "error")),
    }


@pytest.fixture
def framework(areas, regulator):
    """An open framework with finance and maternity lots."""
    framework = services.framework_create(
        by=regulator,
        name="Superbuddy framework",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[areas["finance"], areas["maternity"]],
        fees={"light-touch": 0, "superbuddy": Decimal(250_000)},
    )
    return services.framework_advance(framework=framework, by=regulator)


def submit(framework, trust, by, route="applied"):
    return services.pool_application_submit(
        framework=framework,
        trust=trust,
        by=by,
        route=route,
        max_concurrent_arrangements=2,
        senior_staff_days_per_month=Decimal(8),
        max_travel_minutes=180,
        incentive="no-fee",
        services=[],
        offered=[(framework.lots.get(slug="finance"), 5, "Surplus for five years")],
    )


def application_in(status, *, framework, trust, executive, regulator):
    """The executive's trust's application, brought to `status` through the services."""
    application = submit(framework, trust, executive)
    if status in {"accredited", "suspended"}:
        services.pool_application_accredit(application=application, by=regulator, until=UNTIL)
    if status == "suspended":
        services.pool_membership_suspend(application=application, by=regulator, reason="Inspection")
    application.refresh_from_db()
    assert application.status == status
    return application


# Framework actions -------------------------------------------------------------------------------------------


def framework_create_post(areas) -> dict:
    return {
        "name": "Second superbuddy framework",
        "term_start_0": "1",
        "term_start_1": "4",
        "term_start_2": "2027",
        "term_end_0": "31",
        "term_end_1": "3",
        "term_end_2": "2030",
        "lots": [areas["finance"].pk],
        "fee_light-touch": "0",
        "fee_targeted": "10000",
        "fee_intensive": "50000",
        "fee_superbuddy": "250000",
        "fee_acquisition-linked": "0",
    }


@pytest.mark.parametrize(("name", "who", "expected"), cells({"framework-create": REGULATORS_ONLY}))
def test_only_regulator_staff_and_admins_can_create_a_framework_by_posting(
    client, persona, areas, framework, django_capture_on_commit_callbacks, name, who, expected
):
    sign_in(client, persona, who)
    before = database_state()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("matching:framework-create"), framework_create_post(areas))
    assert outcome(response) == expected
    if expected == DONE:
        created = Framework.objects.get(name="Second superbuddy framework")
        assert response.url == created.get_absolute_url()
        assert (created.status, created.created_by, created.fees.count()) == (
            "draft",
            persona[who],
            len(CommitmentTier),
        )
    else:
        assert database_state() == before
        assert callbacks == []


@pytest.mark.parametrize(("name", "who", "expected"), cells({"framework-advance": REGULATORS_ONLY}))
def test_only_regulator_staff_and_admins_can_move_a_framework_on_by_posting(
    client, persona, framework, django_capture_on_commit_callbacks, name, who, expected
):
    sign_in(client, persona, who)
    before = database_state()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("matching:framework-advance", args=[framework.pk]))
    assert outcome(response) == expected
    framework.refresh_from_db()
    if expected == DONE:
        assert response.url == framework.get_absolute_url()
        assert framework.status == "evaluating"
    else:
        assert framework.status == "open"
        assert database_state() == before
        assert callbacks == []


@pytest.mark.parametrize(("who", "expected"), [(REG, 405), (ADMIN, 405), (EXEC, 404), (OTHER, 404)])
def test_moving_a_framework_on_needs_a_post(client, persona, framework, who, expected):
    sign_in(client, persona, who)
    assert client.get(reverse("matching:framework-advance", args=[framework.pk])).status_code == expected
    framework.refresh_from_db()
    assert framework.status == "open"


# Decisions on an application ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "who", "expected"), cells({action: row for action, (_b, _a, row) in APPLICATION_ACTIONS.items()})
)
def test_deciding_on_an_application_by_posting_permission_matrix(
    client,
    persona,
    framework,
    own_trust,
    executive,
    regulator,
    django_capture_on_commit_callbacks,
    action,
    who,
    expected,
):
    status_before, status_after, _row = APPLICATION_ACTIONS[action]
    application = application_in(
        status_before, framework=framework, trust=own_trust, executive=executive, regulator=regulator
    )
    decisions_before = application.decisions.count()
    sign_in(client, persona, who)
    before = database_state()
    data = UNTIL_POST if action == "accredit" else REASON_POST
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("matching:application-decide", args=[application.pk, action]), data)
    assert outcome(response) == expected
    application.refresh_from_db()
    if expected == DONE:
        assert response.url == application.get_absolute_url()
        assert application.status == status_after
        assert application.decisions.count() == decisions_before + 1
        assert application.decisions.first().by == persona[who]
    else:
        assert application.status == status_before
        assert application.decisions.count() == decisions_before
        assert database_state() == before
        assert callbacks == []


@pytest.mark.parametrize("who", PERSONAS)
def test_an_unknown_decision_is_missing_for_everyone_and_changes_nothing(
    client, persona, framework, own_trust, executive, regulator, who
):
    application = application_in(
        "submitted", framework=framework, trust=own_trust, executive=executive, regulator=regulator
    )
    sign_in(client, persona, who)
    before = database_state()
    response = client.post(reverse("matching:application-decide", args=[application.pk, "delete"]), REASON_POST)
    assert outcome(response) == (LOGIN if who == ANON else MISSING)
    assert database_state() == before


@pytest.mark.parametrize("who", [EXEC, OTHER])
def test_an_executive_cannot_decide_on_another_trusts_application(client, persona, framework, regulator, who):
    # An application by a third trust: neither executive's own, so even withdrawing it is refused.
    application = submit(framework, TrustFactory(ods_code="RT9"), regulator, route="nominated")
    sign_in(client, persona, who)
    before = database_state()
    for action in APPLICATION_ACTIONS:
        data = UNTIL_POST if action == "accredit" else REASON_POST
        response = client.post(reverse("matching:application-decide", args=[application.pk, action]), data)
        assert response.status_code == 404, action
    assert database_state() == before


# Nominating (and applying) ------------------------------------------------------------------------------------


def application_post(framework, trust) -> dict:
    finance = framework.lots.get(slug="finance")
    return {
        "trust": trust.pk,
        "max_concurrent_arrangements": "2",
        "senior_staff_days_per_month": "6",
        "max_travel_minutes": "180",
        "incentive": "no-fee",
        f"strength_{finance.pk}": "4",
        f"evidence_{finance.pk}": "Top decile on cost per case",
    }


# Who ends up with an application after posting a nomination of `own_trust`: (trust fixture, route), or None.
NOMINATE = {
    ANON: (LOGIN, None),
    REG: (DONE, ("own_trust", "nominated")),
    ADMIN: (DONE, ("own_trust", "nominated")),
    # An executive's form has no trust field: the posted trust is ignored and they apply for their own.
    EXEC: (DONE, ("own_trust", "applied")),
    OTHER: (DONE, ("other_trust", "applied")),
}


@pytest.mark.parametrize("who", PERSONAS)
def test_only_regulator_staff_and_admins_can_nominate_a_trust(client, persona, framework, own_trust, other_trust, who):
    expected, made = NOMINATE[who]
    sign_in(client, persona, who)
    before = database_state()
    response = client.post(
        reverse("matching:application-create", args=[framework.pk]), application_post(framework, own_trust)
    )
    assert outcome(response) == expected
    if made is None:
        assert database_state() == before
        return
    trusts = {"own_trust": own_trust, "other_trust": other_trust}
    application = PoolApplication.objects.get()
    assert response.url == application.get_absolute_url()
    assert (application.trust, application.route, application.submitted_by) == (
        trusts[made[0]],
        made[1],
        persona[who],
    )


def test_a_trust_in_special_measures_cannot_be_nominated(client, regulator, framework):
    struggling = TrustFactory(ods_code="RT8", in_special_measures=True)
    client.force_login(regulator)
    before = database_state()
    response = client.post(
        reverse("matching:application-create", args=[framework.pk]), application_post(framework, struggling)
    )
    assert response.status_code == 200
    assert "trust" in response.context["form"].errors
    assert database_state() == before


def test_nobody_can_nominate_a_trust_to_a_draft_framework(client, regulator, areas):
    draft = services.framework_create(
        by=regulator,
        name="Draft framework",
        term_start=dt.date(2027, 1, 1),
        term_end=dt.date(2027, 12, 31),
        lots=[areas["finance"]],
        fees={},
    )
    client.force_login(regulator)
    before = database_state()
    response = client.post(
        reverse("matching:application-create", args=[draft.pk]), application_post(draft, TrustFactory(ods_code="RT7"))
    )
    assert response.status_code == 200
    assert "is not open for applications" in response.content.decode()
    assert database_state() == before


# Matching: restarting a wave run, and running the explorer ------------------------------------------------------


@pytest.fixture
def failed_wave(regulator, own_trust):
    return MatchRun.objects.create(
        kind=MatchRun.Kind.WAVE,
        status=MatchRun.Status.FAILED,
        created_by=regulator,
        settings={},
        inputs={"trusts": [own_trust.ods_code]},
        error="The broker went away",
    )


@pytest.mark.parametrize(("name", "who", "expected"), cells({"run-restart": REGULATORS_ONLY}))
def test_only_regulator_staff_and_admins_can_restart_a_wave_run(
    client, persona, failed_wave, django_capture_on_commit_callbacks, name, who, expected
):
    sign_in(client, persona, who)
    before = database_state()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("matching:run-restart", args=[failed_wave.pk]))
    assert outcome(response) == expected
    failed_wave.refresh_from_db()
    if expected == DONE:
        assert response.url == failed_wave.get_absolute_url()
        assert (failed_wave.status, failed_wave.error) == ("pending", "")
        assert len(callbacks) == 1
    else:
        assert (failed_wave.status, failed_wave.error) == ("failed", "The broker went away")
        assert database_state() == before
        assert callbacks == []


def explorer_post(**changes) -> dict:
    data = {
        "weight_cultural_fit": "35",
        "weight_expertise": "30",
        "weight_geography": "15",
        "weight_capacity": "12",
        "weight_structure": "8",
        "min_distance_km": "25",
        "ideal_max_minutes": "120",
        "max_minutes": "180",
        "size": "10",
        "team_size": "3",
        "action": "shortlist",
    }
    data.update(changes)
    return data


EXPLORER = {ANON: LOGIN, REG: DONE, EXEC: MISSING, OTHER: MISSING, ADMIN: DONE}


@pytest.mark.parametrize("action", ["shortlist", "team"])
@pytest.mark.parametrize("who", PERSONAS)
def test_only_regulator_staff_and_admins_can_run_the_match_explorer_by_posting(client, persona, registry, who, action):
    sign_in(client, persona, who)
    before = database_state()
    response = client.post(
        reverse("matching:explorer", kwargs={"ods_code": registry["supported"].ods_code}), explorer_post(action=action)
    )
    assert outcome(response) == EXPLORER[who]
    if EXPLORER[who] == DONE:
        run = MatchRun.objects.get()
        assert (run.kind, run.created_by, response.url) == (action, persona[who], run.get_absolute_url())
    else:
        assert database_state() == before


@pytest.mark.parametrize("who", [ANON, OTHER, EXEC])
def test_an_outsider_cannot_queue_a_wave_run_by_posting(
    client, persona, registry, django_capture_on_commit_callbacks, who
):
    sign_in(client, persona, who)
    before = database_state()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("matching:wave"),
            explorer_post(size="2", method="coverage", trusts=[registry["supported"].ods_code]),
        )
    assert outcome(response) == (LOGIN if who == ANON else MISSING)
    assert database_state() == before
    assert callbacks == []
