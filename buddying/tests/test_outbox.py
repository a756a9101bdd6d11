"""The outbox: a task is kept in the database until Redis has it, a Redis outage costs a save nothing, and every
task reaches the broker once, however many senders run at once.

These run against a Redis of their own (bench.live.redis_server: a free port, killed and restarted at will), never
the shared one; the end-to-end outage with gunicorn, a worker and beat is in tests/deploy.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import redis as redis_client
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu import pools as kombu_pools

from bench import live
from buddying import outbox
from buddying.celery import app
from buddying.models import Notification, OutboxMessage
from buddying.notifications import notify
from buddying.tasks import send_notification_emails, send_outbox
from buddying.tests.factories import RegulatorFactory


def use_broker(url: str) -> None:
    # Celery caches broker connections and producers; drop them so the next publish uses `url`.
    celery: Any = app  # its private caches are in no stubs
    celery.conf.broker_url = url
    celery.pool.force_close_all()
    celery._pool = None
    celery.amqp._producer_pool = None
    kombu_pools.reset()


@pytest.fixture
def own_redis():
    """A Redis of this test's own as the broker; the shared one is put back afterwards."""
    real = app.conf.broker_url
    with live.redis_server() as server:
        use_broker(server.url)
        try:
            yield server
        finally:
            use_broker(real)


def queued(server: live.RedisServer) -> list[tuple[str, list]]:
    """(task name, args) of every message waiting in the broker's default queue, oldest first."""
    client = redis_client.Redis(port=server.port)
    messages = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
    return [(m["headers"]["task"], json.loads(_body(m))[0]) for m in messages]


def _body(message: dict) -> str:
    import base64

    return base64.b64decode(message["body"]).decode()


def notify_someone() -> list[int]:
    person = RegulatorFactory()
    return [n.pk for n in notify(recipients=[person], subject="Hello", body="Body", url="/")]


@pytest.mark.django_db(transaction=True)
def test_a_task_waits_in_the_database_until_the_change_commits_then_reaches_redis_once(own_redis):
    with transaction.atomic():
        ids = notify_someone()
        message = OutboxMessage.objects.get()
        assert (message.task_name, message.args, message.sent_at) == (
            "buddying.tasks.send_notification_emails",
            [ids],
            None,
        )
        assert queued(own_redis) == []  # nothing leaves before the save commits
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert queued(own_redis) == [("buddying.tasks.send_notification_emails", [ids])]
    assert outbox.outbox_send() == 0
    assert outbox.message_send(message_id=message.pk) is False
    assert len(queued(own_redis)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_save_that_rolls_back_sends_nothing(own_redis):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_someone()
        raise RuntimeError("the save failed")
    assert not OutboxMessage.objects.exists()
    assert queued(own_redis) == []


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_save_returns_at_once_and_its_task_is_sent_once_when_redis_is_back(own_redis):
    timings = {}
    for state in ("up", "down"):
        if state == "down":
            own_redis.stop()
        started = time.perf_counter()
        with transaction.atomic():
            notify_someone()
        timings[state] = time.perf_counter() - started
    print(f"\nnotify + commit with Redis up: {timings['up'] * 1000:.1f} ms, down: {timings['down'] * 1000:.1f} ms")
    assert timings["down"] < 1.0
    waiting = OutboxMessage.objects.get(sent_at__isnull=True)
    assert waiting.attempts == 1
    assert re.search(r"Connection refused|Error 111", waiting.last_error), waiting.last_error

    assert outbox.outbox_send() == 0  # still down: nothing sent, the message still waits
    assert OutboxMessage.objects.get(pk=waiting.pk).attempts == 2

    own_redis.start()
    assert outbox.outbox_send() == 1
    assert outbox.outbox_send() == 0
    assert queued(own_redis) == [("buddying.tasks.send_notification_emails", waiting.args)]
    assert not OutboxMessage.objects.pending().exists()


@pytest.mark.django_db(transaction=True)
def test_four_senders_at_once_send_each_waiting_task_once(own_redis):
    own_redis.stop()
    for _ in range(40):
        notify_someone()
    assert OutboxMessage.objects.pending().count() == 40
    own_redis.start()

    counts: list[int] = []

    def sender() -> None:
        try:
            counts.append(outbox.outbox_send())
        finally:
            connection.close()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 40
    assert len(queued(own_redis)) == 40
    assert len({tuple(args[0]) for _, args in queued(own_redis)}) == 40


@pytest.mark.django_db(transaction=True)
def test_the_first_save_that_reaches_redis_after_an_outage_asks_a_worker_for_the_backlog(own_redis):
    own_redis.stop()
    notify_someone()
    own_redis.start()
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=1))  # left over from the outage
    ids = notify_someone()
    assert queued(own_redis) == [
        ("buddying.tasks.send_notification_emails", [ids]),
        ("buddying.tasks.send_outbox", []),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_backlog_once_redis_is_back_and_each_email_goes_out_once(own_redis, mailoutbox):
    from celery.contrib.testing.worker import start_worker

    own_redis.stop()
    first, second = notify_someone(), notify_someone()
    own_redis.start()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10, loglevel="WARNING"):
        send_outbox.delay()  # what beat sends every OUTBOX_SEND_SECONDS
        send_outbox.delay()  # and a second, at once: the tasks still go out once
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and Notification.objects.filter(emailed_at__isnull=True).exists():
            time.sleep(0.1)
        time.sleep(0.5)  # anything sent twice would arrive by now
    assert not Notification.objects.filter(pk__in=first + second, emailed_at__isnull=True).exists()
    assert len(mailoutbox) == 2
    assert not OutboxMessage.objects.pending().exists()


@pytest.mark.django_db(transaction=True)
def test_without_redis_the_task_runs_in_this_process_once_the_save_commits(monkeypatch, mailoutbox):
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    with transaction.atomic():
        notify_someone()
        assert mailoutbox == []
    assert len(mailoutbox) == 1
    assert OutboxMessage.objects.get().sent_at is not None
    assert outbox.outbox_send() == 0
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_sent_messages_are_deleted_after_a_week_and_waiting_ones_never(own_redis):
    old = timezone.now() - dt.timedelta(days=8)
    OutboxMessage.objects.create(task_name=send_notification_emails.name, args=[[1]], sent_at=old)
    recent = OutboxMessage.objects.create(task_name=send_notification_emails.name, args=[[2]], sent_at=timezone.now())
    own_redis.stop()
    waiting = OutboxMessage.objects.create(task_name=send_notification_emails.name, args=[[3]], created_at=old)
    outbox.outbox_send()
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {recent.pk, waiting.pk}


def test_beat_sends_the_outbox_every_minute_by_default():
    entry = settings.CELERY_BEAT_SCHEDULE["send-outbox"]
    assert entry == {"task": "buddying.tasks.send_outbox", "schedule": 60.0}
    assert "buddying.tasks.send_outbox" in app.tasks


def test_a_message_names_its_task_arguments_and_state():
    message = OutboxMessage(task_name="matching.tasks.run_wave_allocation", args=[7])
    assert str(message) == "matching.tasks.run_wave_allocation(7), waiting"
    message.sent_at = timezone.now()
    assert str(message) == "matching.tasks.run_wave_allocation(7), sent"


def test_every_task_the_service_enqueues_goes_through_the_outbox():
    """A `.delay()` or `.apply_async()` outside buddying/outbox.py would wait on Redis during an outage and lose the
    task: enqueue with `outbox.enqueue(task, *args)` instead (tests may call tasks directly)."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "node_modules", "bench", "tests"} or "tests" in relative.parts:
            continue
        if relative.as_posix() == "buddying/outbox.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if re.search(r"\.(delay|apply_async|send_task)\(", code):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
