"""Reminders go out once in effect: repeated and concurrent sweeps, clock changes, and a Redis outage."""

import datetime as dt
import threading
import time
import zoneinfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from kombu import pools as kombu_pools

from arrangements import services
from arrangements.models import Arrangement, Milestone, Reminder
from arrangements.reminders import reminder_send, reminders_sweep
from arrangements.tests.conftest import draft_terms
from buddying.models import Notification

LONDON = zoneinfo.ZoneInfo("Europe/London")


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


def send_all_claimed():
    return sum(
        reminder_send(reminder_id=pk)
        for pk in Reminder.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)
    )


@pytest.fixture
def due_review(active_arrangement):
    Arrangement.objects.filter(pk=active_arrangement.pk).update(next_review_due=dt.date(2027, 3, 1))
    # The set-up's own notification emails count as sent, so only reminders are in play.
    Notification.objects.update(emailed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    return active_arrangement


@pytest.mark.django_db
def test_a_sweep_run_twice_claims_and_sends_each_reminder_once(due_review, django_capture_on_commit_callbacks):
    with time_machine.travel(utc(2027, 2, 20, 6, 30), tick=False):
        with django_capture_on_commit_callbacks() as first:
            assert reminders_sweep().claimed == 1
        with django_capture_on_commit_callbacks() as second:
            assert reminders_sweep().claimed == 0
    assert len(first) == 1 and len(second) == 0
    assert send_all_claimed() == 1
    assert send_all_claimed() == 0
    reminder = Reminder.objects.get()
    assert (reminder.kind, reminder.due_on) == ("review-due", dt.date(2027, 3, 1))
    # The supported and buddy executives; regulator staff hear only when it is overdue.
    sent_to = set(
        Notification.objects.filter(subject__startswith="Review due").values_list("recipient__username", flat=True)
    )
    assert sent_to == {"executive", "buddy-executive"}


@pytest.mark.django_db
def test_an_overdue_review_is_escalated_to_regulator_staff(due_review, django_capture_on_commit_callbacks):
    with time_machine.travel(utc(2027, 3, 5, 6, 30), tick=False), django_capture_on_commit_callbacks():
        reminders_sweep()
    send_all_claimed()
    sent_to = set(
        Notification.objects.filter(subject__startswith="Review overdue").values_list("recipient__username", flat=True)
    )
    assert "regulator" in sent_to


@pytest.mark.django_db
def test_milestones_due_and_terms_left_unsigned_are_reminded(
    arrangement, executive, regulator, finance, django_capture_on_commit_callbacks
):
    with time_machine.travel(utc(2027, 1, 1, 9), tick=False):
        services.arrangement_agree(arrangement=arrangement, by=regulator)
        terms = draft_terms(arrangement, executive)
        services.terms_sign(terms=terms, by=executive)
    with time_machine.travel(utc(2027, 1, 20, 6, 30), tick=False), django_capture_on_commit_callbacks():
        assert reminders_sweep().claimed == 1
    send_all_claimed()
    notes = Notification.objects.filter(subject__startswith="Terms of reference not signed")
    assert notes.count() == 2  # both trusts' executives
    assert all("Still to sign: Buddy Hospitals NHS Foundation Trust." in note.body for note in notes)


@pytest.mark.django_db
def test_a_milestone_due_soon_is_reminded(active_arrangement, executive, finance, django_capture_on_commit_callbacks):
    workstream = services.workstream_add(
        arrangement=active_arrangement, by=executive, area=finance, supported_lead="A", buddy_lead="B", buddy=None
    )
    services.milestone_add(
        workstream=workstream, by=executive, title="Deficit plan to board", due_date=dt.date(2027, 2, 10)
    )
    with time_machine.travel(utc(2027, 2, 4, 6, 30), tick=False), django_capture_on_commit_callbacks():
        assert reminders_sweep().claimed == 1
    assert Reminder.objects.get().subject_key == f"milestone:{Milestone.objects.get().pk}"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("due", "sweeps"),
    [
        # Spring forward (28 March 2027): late-evening UTC sweeps jump a London date (27th, then 29th).
        (dt.date(2027, 4, 4), [utc(2027, 3, 27, 23, 30), utc(2027, 3, 28, 23, 30), utc(2027, 3, 29, 23, 30)]),
        # Fall back (31 October 2027): two sweeps land on the same London date (the 31st).
        (dt.date(2027, 11, 7), [utc(2027, 10, 30, 23, 30), utc(2027, 10, 31, 23, 30), utc(2027, 11, 1, 23, 30)]),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_a_clock_change_neither_skips_nor_repeats_a_reminder(
    active_arrangement, executive, finance, due, sweeps, django_capture_on_commit_callbacks
):
    workstream = services.workstream_add(
        arrangement=active_arrangement, by=executive, area=finance, supported_lead="A", buddy_lead="B", buddy=None
    )
    services.milestone_add(workstream=workstream, by=executive, title="Milestone", due_date=due)
    Arrangement.objects.filter(pk=active_arrangement.pk).update(next_review_due=dt.date(2028, 1, 1))
    local_dates = []
    for moment in sweeps:
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks():
            local_dates.append(moment.astimezone(LONDON).date())
            reminders_sweep()
            send_all_claimed()
    assert (
        len(set(local_dates)) != len(local_dates) or (local_dates[1] - local_dates[0]).days == 2
    )  # the odd day happened
    assert Reminder.objects.filter(kind="milestone-due").count() == 1
    assert Notification.objects.filter(subject__startswith="Milestone due").count() == 2  # two executives, once each


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once(due_review, django_capture_on_commit_callbacks):
    barrier = threading.Barrier(2)
    results = []

    def sweep():
        try:
            barrier.wait()
            with time_machine.travel(utc(2027, 2, 20, 6, 30), tick=False):
                results.append(reminders_sweep().claimed)
        finally:
            connection.close()

    from buddying.celery import app

    app.conf.task_always_eager = True  # run the send tasks in these threads, at once
    try:
        threads = [threading.Thread(target=sweep) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        app.conf.task_always_eager = False
    assert sorted(results) == [0, 1]
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(subject__startswith="Review due").count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_reminder_task_delivered_twice_to_a_real_worker_sends_once(due_review, celery_worker):
    from arrangements.tasks import send_reminder

    with time_machine.travel(utc(2027, 2, 20, 6, 30), tick=False):
        assert reminders_sweep().claimed == 1  # its own task goes to the worker after commit
    reminder = Reminder.objects.get()
    # Delivered twice more, as acks_late redelivery after a worker crash would: the row lock and the
    # sent_at check let exactly one of the three deliveries send.
    first, second = send_reminder.delay(reminder.pk), send_reminder.delay(reminder.pk)
    assert [first.get(timeout=30), second.get(timeout=30)].count(True) <= 1
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Reminder.objects.get().sent_at is None:
        time.sleep(0.1)
    time.sleep(0.5)  # anything sent twice would have arrived by now
    assert Reminder.objects.get().sent_at is not None
    assert Notification.objects.filter(subject__startswith="Review due").count() == 2  # two executives, once each


@pytest.mark.django_db(transaction=True)
def test_reminders_are_sent_by_a_real_worker_once_however_often_the_sweep_runs(due_review, celery_worker):
    mail.outbox.clear()
    with time_machine.travel(utc(2027, 2, 20, 6, 30), tick=False):
        reminders_sweep()
        reminders_sweep()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not Reminder.objects.filter(sent_at__isnull=False).exists():
        time.sleep(0.1)
    while (
        time.monotonic() < deadline
        and Notification.objects.filter(emailed_at__isnull=True, subject__startswith="Review due").exists()
    ):
        time.sleep(0.1)
    time.sleep(0.5)  # anything sent twice would arrive by now
    review_emails = [message for message in mail.outbox if message.subject.startswith("Review due")]
    assert sorted(message.to[0] for message in review_emails) == ["buddy@example.nhs.uk", "executive@example.nhs.uk"]


@pytest.mark.django_db(transaction=True)
def test_saving_works_while_redis_is_down_and_emails_go_out_once_it_is_back(
    client, regulator, own_trust, buddy_trust, buddy_executive, executive
):
    from buddying.celery import app

    def use_broker(url):
        # Celery caches broker connections and producers; drop them so the next publish uses `url`.
        app.conf.broker_url = url
        app.pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        kombu_pools.reset()  # kombu keeps producer pools per connection in a global registry

    real_broker = app.conf.broker_url
    use_broker("redis://127.0.0.1:6390/0")  # nothing listens on this port: the broker is down
    client.force_login(regulator)
    try:
        started = time.monotonic()
        response = client.post(
            reverse("arrangements:propose"),
            {
                "supported": own_trust.pk,
                "title": "Finance recovery",
                "lead_buddy": buddy_trust.pk,
                "tier": "targeted",
                "origin": "regulator-suggested",
                "planned_start_0": "1",
                "planned_start_1": "12",
                "planned_start_2": "2026",
                "planned_end_0": "30",
                "planned_end_1": "11",
                "planned_end_2": "2027",
            },
        )
        elapsed = time.monotonic() - started
    finally:
        use_broker(real_broker)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert elapsed < 10
    assert Arrangement.objects.filter(title="Finance recovery").exists()
    waiting = Notification.objects.filter(emailed_at__isnull=True)
    assert waiting.count() == 2  # the two executives (the regulator made the change)

    # Redis is back: the next sweep queues the unsent emails and a worker sends them, once.
    mail.outbox.clear()
    from celery.contrib.testing.worker import start_worker

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"):
        with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(minutes=10)):
            assert reminders_sweep().requeued_emails == 2
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Notification.objects.filter(emailed_at__isnull=True).exists():
            time.sleep(0.1)
    assert sorted(message.to[0] for message in mail.outbox) == ["buddy@example.nhs.uk", "executive@example.nhs.uk"]
