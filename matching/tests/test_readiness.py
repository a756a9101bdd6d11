"""Pool readiness and recruitment: runs recorded and repeatable, pages for regulator staff only, invitations
answered by the invited trust's executive alone."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from buddying.models import Notification, OutboxMessage, Region, Trust
from buddying.tasks import send_notification_emails
from buddying.tests.factories import (
    ExecutiveFactory,
    TrustFactory,
)
from matching import readiness_selectors
from matching.models import MatchRun, RecruitmentInvitation
from matching.services import readiness as readiness_services
from matching.tasks import run_pool_simulation
from matching.tests.readiness_data import readiness_pool

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_pool(registry, areas, regulator):
    return readiness_pool(registry, areas, regulator)


def test_the_trusts_at_risk_are_segments_3_to_5_and_recovery_but_not_those_already_in_special_measures(live_pool):
    TrustFactory(ods_code="RQ1", improvement_status="recovery", improvement_status_since="2025-01-01")
    TrustFactory(ods_code="RQ2", oversight_segment=5)
    codes = [item.trust.ods_code for item in readiness_selectors.at_risk_trusts()]
    assert codes == ["RK0", "RK1", "RK2", "RQ1", "RQ2"]  # RS9 is in special measures already


def test_a_readiness_run_records_its_inputs_and_seed_and_gives_shares_with_standard_errors(live_pool, regulator):
    run = readiness_services.readiness_run_create(
        framework=live_pool, by=regulator, sizes=(1, 3), draws=30, seed=42, run_now=True
    )
    assert run.status == MatchRun.Status.DONE
    assert run.settings["seed"] == 42
    assert run.inputs["at_risk"] == ["RK0", "RK1", "RK2"]
    sizes = {size["size"]: size for size in run.results["sizes"]}
    # The pool has one finance buddy and no maternity one: only the finance trust can be served well.
    assert sizes[3]["served_well"]["estimate"] == pytest.approx(1 / 3)
    assert sizes[3]["served_well"]["se"] == 0.0  # every draw of 3 is the same 3 trusts
    assert sizes[1]["served_well"]["se"] > 0
    assert [area["name"] for area in run.results["runs_out_first"]] == ["Maternity"]
    again = readiness_services.readiness_run_create(
        framework=live_pool, by=regulator, sizes=(1, 3), draws=30, seed=42, run_now=True
    )
    assert again.results == run.results
    assert str(run) == "Pool readiness for the pool (done)"
    assert run.get_absolute_url() == reverse("matching:readiness-detail", args=[run.pk])


def test_a_readiness_run_from_the_pool_page_is_queued_through_the_outbox_and_run_by_the_task(
    client, live_pool, regulator, django_capture_on_commit_callbacks
):
    client.force_login(regulator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matching:readiness-start", args=[live_pool.pk]), {"draws": 20, "seed": 7})
    run = MatchRun.objects.get(kind=MatchRun.Kind.READINESS)
    assert response.url == run.get_absolute_url()
    assert run.status == MatchRun.Status.PENDING
    message = OutboxMessage.objects.get(task_name=run_pool_simulation.name)
    assert message.args == [run.pk]
    assert run_pool_simulation(run.pk) is True  # what the worker does with it (test_tasks runs a real worker)
    assert run_pool_simulation(run.pk) is False  # delivered twice: runs once
    run.refresh_from_db()
    assert run.status == MatchRun.Status.DONE
    page = client.get(run.get_absolute_url())
    assert "How many the pool would serve well" in page.content.decode()
    pool_page = client.get(reverse("matching:pool", args=[live_pool.pk])).content.decode()
    assert 'id="readiness-summary"' in pool_page and "Maternity" in pool_page
    dashboard = client.get(reverse("reports:dashboard")).content.decode()
    assert "Readiness for more trusts in special measures" in dashboard


def test_bad_readiness_settings_are_refused_naming_the_field(client, live_pool, regulator):
    client.force_login(regulator)
    response = client.post(reverse("matching:readiness-start", args=[live_pool.pk]), {"draws": 1}, follow=True)
    assert "number of scenarios" in response.content.decode().lower()
    assert not MatchRun.objects.filter(kind=MatchRun.Kind.READINESS).exists()


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 302), ("regulator", 200), ("executive", 404), ("admin", 200)]
)
def test_only_regulator_staff_see_readiness_runs(client, live_pool, regulator, who, status, executive, admin_user):
    run = readiness_services.readiness_run_create(
        framework=live_pool, by=regulator, sizes=(2,), draws=5, seed=1, run_now=True
    )
    users = {"regulator": regulator, "executive": executive, "admin": admin_user}
    if who in users:
        client.force_login(users[who])
    assert client.get(run.get_absolute_url()).status_code == status
    response = client.post(reverse("matching:readiness-start", args=[live_pool.pk]), {"draws": 5})
    assert response.status_code == (302 if who in {"anonymous", "regulator", "admin"} else 404)


def test_recruitment_ranks_strong_trusts_by_their_gain_on_the_same_scenarios(live_pool, regulator):
    readiness = readiness_services.readiness_run_create(
        framework=live_pool, by=regulator, sizes=(1, 3), draws=30, seed=3, run_now=True
    )
    run = readiness_services.recruitment_run_create(readiness=readiness, by=regulator, run_now=True)
    assert run.status == MatchRun.Status.DONE, run.error
    candidates = run.results["candidates"]
    assert [c["ods_code"] for c in candidates] == ["RX2", "RX3"]
    southampton, newcastle = candidates
    assert southampton["gain"]["estimate"] > 0
    assert newcastle["gain"]["estimate"] == 0  # too far from the London trusts at risk
    assert any("maternity (5/5)" in reason for reason in southampton["reasons"])
    assert run.results["baseline"]["estimate"] == readiness.results["readiness"]["estimate"]


def test_an_invited_executive_accepts_and_goes_to_the_application_form(
    client, live_pool, regulator, registry, django_capture_on_commit_callbacks
):
    readiness = readiness_services.readiness_run_create(
        framework=live_pool, by=regulator, sizes=(3,), draws=5, seed=3, run_now=True
    )
    run = readiness_services.recruitment_run_create(readiness=readiness, by=regulator, run_now=True)
    sue = ExecutiveFactory(username="sue", trust=registry["southampton"], email="sue@example.nhs.uk")
    outsider = ExecutiveFactory(username="olly", trust=registry["oxford"])
    client.force_login(regulator)
    page = client.get(reverse("matching:recruitment-invite", args=[run.pk, "RX2"]))
    assert "Strong where the pool runs out first" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("matching:recruitment-invite", args=[run.pk, "RX2"]), {"why": "Maternity"})
    invitation = RecruitmentInvitation.objects.get()
    assert response.url == invitation.get_absolute_url()
    assert Notification.objects.filter(recipient=sue, url=invitation.get_absolute_url()).exists()
    # The email goes out from the notification task, queued through the outbox (run here as the worker would).
    (queued,) = OutboxMessage.objects.filter(task_name=send_notification_emails.name)
    send_notification_emails(*queued.args)
    assert [message.to for message in mail.outbox if "Invitation to apply" in message.subject] == [[sue.email]]
    again = client.post(reverse("matching:recruitment-invite", args=[run.pk, "RX2"]), {"why": "Again"})
    assert "already has an invitation waiting" in again.content.decode()

    client.force_login(outsider)
    assert client.get(invitation.get_absolute_url()).status_code == 404
    assert client.post(reverse("matching:recruitment-accept", args=[invitation.pk])).status_code == 404

    client.force_login(sue)
    home = client.get(reverse("home")).content.decode()
    assert "Invitations to apply to the superbuddy pool" in home
    assert invitation.get_absolute_url() in home
    assert "Accept and apply" in client.get(invitation.get_absolute_url()).content.decode()
    response = client.post(reverse("matching:recruitment-accept", args=[invitation.pk]))
    assert response.url == reverse("matching:application-create", args=[live_pool.pk])
    invitation.refresh_from_db()
    assert invitation.status == RecruitmentInvitation.Status.ACCEPTED and invitation.answered_by == sue
    assert Notification.objects.filter(recipient=regulator, subject__contains="accepted").exists()
    assert "Invitations to apply to the superbuddy pool" not in client.get(reverse("home")).content.decode()


def test_declining_needs_a_reason_which_regulator_staff_then_read(client, live_pool, regulator, registry):
    invitation = readiness_services.recruitment_invitation_send(
        framework=live_pool, trust=registry["southampton"], by=regulator, why="Maternity cover in London"
    )
    sue = ExecutiveFactory(username="sue", trust=registry["southampton"])
    client.force_login(sue)
    url = reverse("matching:recruitment-decline", args=[invitation.pk])
    assert "Enter the reason" in client.post(url, {"reason": ""}).content.decode()
    client.post(url, {"reason": "No spare senior staff this year"})
    client.force_login(regulator)
    page = client.get(invitation.get_absolute_url()).content.decode()
    assert "No spare senior staff this year" in page and "Declined" in page
    assert "Accept and apply" not in page


def test_the_pool_page_and_dashboard_query_counts_do_not_grow_with_readiness_runs(client, live_pool, regulator):
    client.force_login(regulator)
    pages = [reverse("matching:pool", args=[live_pool.pk]), reverse("reports:dashboard")]

    def counts() -> list[int]:
        found = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    readiness_services.readiness_run_create(
        framework=live_pool, by=regulator, sizes=(2,), draws=3, seed=0, run_now=True
    )
    one = counts()
    for seed in range(1, 4):
        readiness_services.readiness_run_create(
            framework=live_pool, by=regulator, sizes=(2,), draws=3, seed=seed, run_now=True
        )
    assert counts() == one


@pytest.mark.parametrize(
    ("who", "see", "answer"),
    [
        ("anonymous", 302, 302),
        ("regulator", 200, 404),
        ("admin", 200, 404),
        ("invited executive", 200, 200),
        ("other executive", 404, 404),
    ],
)
def test_an_invitation_is_seen_by_regulator_staff_and_the_invited_trust_and_answered_by_its_executive_only(
    client, live_pool, regulator, registry, admin_user, who, see, answer
):
    invitation = readiness_services.recruitment_invitation_send(
        framework=live_pool, trust=registry["southampton"], by=regulator, why="Maternity"
    )
    users = {
        "regulator": regulator,
        "admin": admin_user,
        "invited executive": ExecutiveFactory(trust=registry["southampton"]),
        "other executive": ExecutiveFactory(trust=registry["oxford"]),
    }
    if who in users:
        client.force_login(users[who])
    assert client.get(invitation.get_absolute_url()).status_code == see
    assert client.get(reverse("matching:recruitment-decline", args=[invitation.pk])).status_code == answer


def test_invitation_and_run_strings(live_pool, regulator, registry):
    invitation = readiness_services.recruitment_invitation_send(
        framework=live_pool, trust=registry["southampton"], by=regulator, why="Maternity"
    )
    assert str(invitation) == (
        "Southampton Example NHS Foundation Trust invited to Superbuddy framework 2027 (waiting for an answer)"
    )


def test_recruitment_candidates_are_taken_in_turn_from_each_short_area_strongest_first(live_pool):
    # Finance: Next Door (5), Newcastle (5), Southampton (3); maternity: Southampton (5), Newcastle (5). Oxford is
    # in the pool and Southbank in special measures, so neither is a candidate.
    pick = readiness_selectors.recruitment_candidates
    assert pick(framework=live_pool, areas=["finance", "maternity"]) == ["RN1", "RX2", "RX3"]
    assert pick(framework=live_pool, areas=["maternity", "finance"], limit=2) == ["RX2", "RN1"]
    assert pick(framework=live_pool, areas=["maternity"]) == ["RX2", "RX3"]


def test_among_equally_strong_candidates_those_in_the_regions_that_run_out_first_come_first(live_pool, registry):
    # Next Door and Newcastle are both 5 in finance; Newcastle is in the North East, where the pool runs out.
    Trust.objects.filter(pk=registry["newcastle"].pk).update(region=Region.NORTH_EAST_YORKSHIRE)
    pick = readiness_selectors.recruitment_candidates
    assert pick(framework=live_pool, areas=["finance"]) == ["RN1", "RX3", "RX2"]
    assert pick(framework=live_pool, areas=["finance"], regions=[Region.NORTH_EAST_YORKSHIRE]) == ["RX3", "RN1", "RX2"]
