"""The superbuddy framework pool: applications, decisions, and membership that matching sees at once."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from buddying.tests.factories import RegulatorFactory
from matching import services
from matching.models import PoolApplication, PoolDecision
from matching.selectors import pool_member_ids
from matching.services import PoolError, match_settings_build, shortlist_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def framework(areas, regulator):
    framework = services.framework_create(
        by=regulator,
        name="Superbuddy framework",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[areas["finance"], areas["maternity"]],
        fees={"light-touch": 0, "superbuddy": Decimal(250_000)},
    )
    return services.framework_advance(framework=framework, by=regulator)  # open for applications


def apply(framework, trust, by, **changes):
    values = {
        "framework": framework,
        "trust": trust,
        "by": by,
        "route": "applied",
        "max_concurrent_arrangements": 2,
        "senior_staff_days_per_month": Decimal(8),
        "max_travel_minutes": 180,
        "incentive": "no-fee",
        "services": [],
        "offered": [(framework.lots.get(slug="finance"), 5, "Surplus for five years")],
    }
    values.update(changes)
    return services.pool_application_submit(**values)


def go_live(framework, regulator):
    framework.refresh_from_db()
    while framework.status != "live":
        framework = services.framework_advance(framework=framework, by=regulator)
    return framework


def test_a_framework_moves_through_its_stages_in_order(framework, regulator):
    assert framework.status == "open"
    assert [services.framework_advance(framework=framework, by=regulator).status for _ in range(3)] == [
        "evaluating",
        "live",
        "expired",
    ]
    with pytest.raises(PoolError, match="expired framework cannot change"):
        services.framework_advance(framework=framework, by=regulator)


def test_an_accredited_member_is_matched_from_the_pool_and_leaves_it_at_once_on_withdrawal(
    registry, framework, regulator
):
    application = apply(framework, registry["oxford"], regulator)
    go_live(framework, regulator)
    pool_only = match_settings_build(pool_only=True)

    def ranked():
        return [
            c["ods_code"]
            for c in shortlist_run(trust=registry["supported"], by=regulator, settings=pool_only).results["ranked"]
        ]

    assert ranked() == []
    services.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 1, 1))
    assert ranked() == ["RX1"]
    services.pool_membership_withdraw(application=application, by=regulator, reason="Board decision")
    assert ranked() == []


def test_an_expired_accreditation_drops_out_without_any_job(registry, framework, regulator):
    application = apply(framework, registry["oxford"], regulator)
    go_live(framework, regulator)
    services.pool_application_accredit(application=application, by=regulator, until=timezone.localdate())
    assert pool_member_ids(day=timezone.localdate()) == {registry["oxford"].pk}
    assert pool_member_ids(day=timezone.localdate() + dt.timedelta(days=1)) == set()


def test_accreditation_takes_the_declared_capacity_and_acquisition_interest(registry, framework, regulator):
    application = apply(
        framework, registry["oxford"], regulator, max_concurrent_arrangements=3, incentive="open-to-acquisition"
    )
    services.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 1, 1))
    capacity = registry["oxford"].buddy_capacity
    capacity.refresh_from_db()
    assert (capacity.max_concurrent_arrangements, capacity.is_potential_acquirer) == (3, True)


def test_every_decision_is_recorded_with_who_and_why(registry, framework, regulator):
    application = apply(framework, registry["oxford"], regulator)
    services.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 1, 1))
    services.pool_membership_suspend(application=application, by=regulator, reason="Inspection found problems")
    services.pool_membership_reinstate(application=application, by=regulator, reason="Problems fixed")
    actions = list(PoolDecision.objects.order_by("at", "pk").values_list("action", "by__username", "reason"))
    assert actions == [
        ("submitted", "regulator", ""),
        ("accredited", "regulator", "Until 01 January 2028"),
        ("suspended", "regulator", "Inspection found problems"),
        ("reinstated", "regulator", "Problems fixed"),
    ]


def test_the_trust_and_regulator_staff_hear_of_each_application_and_decision_in_the_app_and_by_email(
    registry, framework, regulator, django_capture_on_commit_callbacks, mailoutbox
):
    from buddying.models import Notification
    from buddying.notifications import notification_emails_send
    from buddying.tests.factories import ExecutiveFactory

    oxford_executive = ExecutiveFactory(
        username="oxford-executive", trust=registry["oxford"], email="ox@example.nhs.uk"
    )
    second = RegulatorFactory(username="second-regulator", email="second@example.gov.uk")
    application = apply(framework, registry["oxford"], oxford_executive)
    assert list(Notification.objects.filter(recipient=second).values_list("subject", flat=True)) == [
        "Oxford Example NHS Foundation Trust applied to join Superbuddy framework"
    ]
    assert not Notification.objects.filter(recipient=oxford_executive).exists()  # it applied: no need to tell it
    with django_capture_on_commit_callbacks() as callbacks:
        services.pool_application_decline(application=application, by=regulator, reason="Evidence is two years old")
    assert len(callbacks) == 1  # the emails are queued once the decision commits
    notification_emails_send(notification_ids=Notification.objects.values_list("pk", flat=True))
    told = Notification.objects.filter(recipient=oxford_executive).get()
    assert told.subject == "Oxford Example NHS Foundation Trust: declined (Superbuddy framework)"
    assert "Evidence is two years old" in told.body
    assert told.url == application.get_absolute_url()
    assert not Notification.objects.filter(recipient=regulator, subject=told.subject).exists()  # the decider
    emailed = {(message.to[0], message.subject) for message in mailoutbox}
    assert ("ox@example.nhs.uk", told.subject) in emailed
    assert ("second@example.gov.uk", told.subject) in emailed


@pytest.mark.parametrize("decide", ["decline", "withdraw", "suspend"])
def test_a_declined_suspended_or_withdrawn_declaration_leaves_the_trusts_capacity_alone(
    registry, framework, regulator, decide
):
    capacity = registry["oxford"].buddy_capacity
    capacity.refresh_from_db()
    before = (capacity.max_concurrent_arrangements, capacity.is_potential_acquirer)
    application = apply(
        framework, registry["oxford"], regulator, max_concurrent_arrangements=7, incentive="open-to-acquisition"
    )
    if decide == "decline":
        services.pool_application_decline(application=application, by=regulator, reason="Thin evidence")
    elif decide == "withdraw":
        services.pool_membership_withdraw(application=application, by=regulator, reason="Board said no")
    else:
        go_live(framework, regulator)
        services.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 1, 1))
        capacity.refresh_from_db()
        before = (capacity.max_concurrent_arrangements, capacity.is_potential_acquirer)
        assert before == (7, True)  # what the member declared
        services.pool_membership_suspend(application=application, by=regulator, reason="Inspection")
    capacity.refresh_from_db()
    assert (capacity.max_concurrent_arrangements, capacity.is_potential_acquirer) == before


def test_no_accreditation_once_the_framework_has_expired(registry, framework, regulator):
    application = apply(framework, registry["oxford"], regulator)
    go_live(framework, regulator)
    services.framework_advance(framework=framework, by=regulator)  # expired
    with pytest.raises(PoolError, match="is expired: applications are accredited only while"):
        services.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 1, 1))
    application.refresh_from_db()
    assert application.status == "submitted"


def test_each_move_of_a_framework_is_kept_with_who_made_it(framework, regulator):
    services.framework_advance(framework=framework, by=regulator)
    history = list(framework.history.order_by("history_date").values_list("status", "history_user__username"))
    assert history[-2:] == [("open", "regulator"), ("evaluating", "regulator")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"offered": []}, "Offer at least one area"),
        ({"offered": "other-area"}, "is not covered by this framework"),
    ],
)
def test_invalid_declarations_are_refused(registry, framework, regulator, change, message):
    from buddying.tests.factories import ExpertiseAreaFactory

    if change.get("offered") == "other-area":
        change = {"offered": [(ExpertiseAreaFactory(slug="estates", name="Estates"), 3, "New hospital built")]}
    with pytest.raises(PoolError, match=message):
        apply(framework, registry["oxford"], regulator, **change)
    assert not PoolApplication.objects.exists()


def test_a_trust_in_special_measures_cannot_join_the_pool(registry, framework, regulator):
    with pytest.raises(PoolError, match="is in special measures, so it cannot join the pool"):
        apply(framework, registry["supported"], regulator)
    assert not PoolApplication.objects.exists()


def test_one_live_application_per_trust(registry, framework, regulator):
    apply(framework, registry["oxford"], regulator)
    with pytest.raises(PoolError, match="already has an application"):
        apply(framework, registry["oxford"], regulator)


def test_applications_only_while_the_framework_is_open(registry, framework, regulator):
    go_live(framework, regulator)
    with pytest.raises(PoolError, match="is not open for applications"):
        apply(framework, registry["oxford"], regulator)


def test_a_decided_application_cannot_be_decided_again(registry, framework, regulator):
    application = apply(framework, registry["oxford"], regulator)
    services.pool_application_decline(application=application, by=regulator, reason="Not enough evidence")
    with pytest.raises(PoolError, match="already declined by"):
        services.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 1, 1))


@pytest.mark.django_db(transaction=True)
def test_two_regulators_deciding_at_once_one_wins_and_the_other_is_told(registry, framework, regulator):
    other = RegulatorFactory(username="second-regulator")
    application = apply(framework, registry["oxford"], regulator)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(name, call):
        try:
            barrier.wait()
            call()
            outcomes[name] = "won"
        except PoolError as error:
            outcomes[name] = str(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=decide,
            args=(
                "accredit",
                lambda: services.pool_application_accredit(
                    application=application, by=regulator, until=dt.date(2028, 1, 1)
                ),
            ),
        ),
        threading.Thread(
            target=decide,
            args=(
                "decline",
                lambda: services.pool_application_decline(application=application, by=other, reason="Weak evidence"),
            ),
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcome == "won" for outcome in outcomes.values()) == [False, True]
    loser = next(message for message in outcomes.values() if message != "won")
    assert "already" in loser and "nothing was changed" in loser
    assert PoolDecision.objects.exclude(action="submitted").count() == 1


ANON, REG, EXEC, OTHER, ADMIN = "anonymous", "regulator", "executive", "other_executive", "admin"


def test_pool_pages_permission_matrix(client, persona, registry, framework, regulator, executive):
    application = apply(framework, executive.trust, executive)
    go_live(framework, regulator)
    pages = {
        reverse("matching:framework-list"): {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200},
        reverse("matching:framework-detail", args=[framework.pk]): {
            ANON: 302,
            REG: 200,
            EXEC: 200,
            OTHER: 200,
            ADMIN: 200,
        },
        reverse("matching:framework-create"): {ANON: 302, REG: 200, EXEC: 404, OTHER: 404, ADMIN: 200},
        reverse("matching:pool", args=[framework.pk]): {ANON: 302, REG: 200, EXEC: 404, OTHER: 404, ADMIN: 200},
        reverse("matching:application-detail", args=[application.pk]): {
            ANON: 302,
            REG: 200,
            EXEC: 200,
            OTHER: 404,
            ADMIN: 200,
        },
        reverse("matching:application-decide", args=[application.pk, "accredit"]): {
            ANON: 302,
            REG: 200,
            EXEC: 404,
            OTHER: 404,
            ADMIN: 200,
        },
        reverse("matching:application-decide", args=[application.pk, "withdraw"]): {
            ANON: 302,
            REG: 200,
            EXEC: 200,
            OTHER: 404,
            ADMIN: 200,
        },
    }
    for url, expected in pages.items():
        for who, status in expected.items():
            client.logout()
            if persona[who] is not None:
                client.force_login(persona[who])
            assert client.get(url).status_code == status, (url, who)


def test_an_executive_cannot_accredit_their_own_application_by_posting(client, executive, registry, framework):
    application = apply(framework, executive.trust, executive)
    client.force_login(executive)
    response = client.post(
        reverse("matching:application-decide", args=[application.pk, "accredit"]),
        {"until_0": "1", "until_1": "1", "until_2": "2028"},
    )
    assert response.status_code == 404
    assert PoolApplication.objects.get(pk=application.pk).status == "submitted"


def test_an_executive_applies_with_a_form_and_gets_clear_errors(client, executive, framework):
    client.force_login(executive)
    url = reverse("matching:application-create", args=[framework.pk])
    finance = framework.lots.get(slug="finance")
    bad = {
        "max_concurrent_arrangements": "2",
        "senior_staff_days_per_month": "-1",
        "max_travel_minutes": "180",
        "incentive": "no-fee",
        f"strength_{finance.pk}": "4",
        f"evidence_{finance.pk}": "",
    }
    page = client.post(url, bad).content.decode()
    assert "The senior staff days a month you can give must be 0 or more" in page
    assert "Give evidence for your strength in finance" in page
    assert not PoolApplication.objects.exists()
    good = {**bad, "senior_staff_days_per_month": "6", f"evidence_{finance.pk}": "Top decile on cost per case"}
    response = client.post(url, good)
    application = PoolApplication.objects.get()
    assert response.url == application.get_absolute_url()
    assert (application.trust, application.route) == (executive.trust, "applied")


def test_an_expiry_before_today_is_a_form_error(client, regulator, registry, framework):
    application = apply(framework, registry["oxford"], regulator)
    client.force_login(regulator)
    response = client.post(
        reverse("matching:application-decide", args=[application.pk, "accredit"]),
        {"until_0": "1", "until_1": "1", "until_2": "2020"},
    )
    assert "The date the accreditation ends must be today or in the future" in response.content.decode()
    assert PoolApplication.objects.get(pk=application.pk).status == "submitted"


def test_the_pool_page_shows_gaps_and_runs_the_same_queries_whatever_the_size(client, regulator, registry, framework):
    from django.test.utils import CaptureQueriesContext

    first = apply(framework, registry["oxford"], regulator)
    go_live(framework, regulator)
    services.pool_application_accredit(application=first, by=regulator, until=dt.date(2029, 1, 1))
    client.force_login(regulator)
    url = reverse("matching:pool", args=[framework.pk])
    with CaptureQueriesContext(connection) as small:
        page = client.get(url).content.decode()
    assert "Gap" in page  # nobody offers maternity
    framework.status = "open"
    framework.save()
    for key in ("southampton", "newcastle"):
        application = apply(framework, registry[key], regulator)
        services.pool_application_accredit(application=application, by=regulator, until=dt.date(2029, 1, 1))
    framework.status = "live"
    framework.save()
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(large) == len(small)
    csv_text = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    lines = csv_text.splitlines()
    assert lines[0].startswith("ODS code,Trust,Region,Spare places,Spare staff days,Finance")
    members, coverage = lines[1:4], lines[5:]
    assert sorted(line.split(",")[0] for line in members) == ["RX1", "RX2", "RX3"]
    assert lines[4] == "" and coverage[0] == "Expertise area,Trusts that need it,Members strong in it,Coverage"
    assert coverage[1:] == ["Finance,1,3,Covered", "Maternity,1,0,Gap"]


def test_the_pool_csv_writes_a_trust_name_that_looks_like_a_formula_as_text(client, regulator, registry, framework):
    oxford = registry["oxford"]
    oxford.name = '=HYPERLINK("http://evil.example","Oxford")'
    oxford.save()
    application = apply(framework, oxford, regulator)
    go_live(framework, regulator)
    services.pool_application_accredit(application=application, by=regulator, until=dt.date(2029, 1, 1))
    client.force_login(regulator)
    url = reverse("matching:pool", args=[framework.pk])
    csv_text = b"".join(client.get(url, {"format": "csv"}).streaming_content).decode()
    assert "'=HYPERLINK(" in csv_text.splitlines()[1]
