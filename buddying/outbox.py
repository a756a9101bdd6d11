"""The outbox: every Celery task the service enqueues is first a row in the database.

`enqueue` writes an OutboxMessage in the caller's transaction and, once that commits, hands it to the broker
with a short timeout and no retries. If Redis is down the save still returns at once and the row waits; the
periodic `buddying.tasks.send_outbox` (every OUTBOX_SEND_SECONDS, from the one beat process) and the next
successful enqueue send what is left once Redis is back.

Each message is handed to the broker once: a sender locks the row (select_for_update, skip_locked), publishes
and marks it sent in one transaction, so two senders never publish the same row. Only a crash between the
publish and the commit could send a message twice, and every task is idempotent for that reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from buddying.celery import app
from buddying.models import OutboxMessage

logger = logging.getLogger(__name__)

# A message left this long after its own send was due counts as left over: the next successful enqueue then
# asks a worker to send the backlog (younger rows are still being sent by their own transactions).
LEFT_OVER_AFTER = dt.timedelta(seconds=10)
# Sent messages are kept this long for investigation, then deleted by outbox_send.
KEEP_SENT_FOR = dt.timedelta(days=7)
BATCH = 100


def enqueue(task: Task, *args: Any) -> OutboxMessage:
    """Send `task(*args)` to a worker once the current transaction commits; kept in the database until sent.

    Arguments must be JSON values (ids, lists of ids): they are stored in the row.
    """
    message = OutboxMessage.objects.create(task_name=task.name, args=list(args))
    transaction.on_commit(partial(message_send, message_id=message.pk), robust=True)
    return message


def message_send(*, message_id: int) -> bool:
    """Hand one message to the broker now, if nobody has yet. Returns whether this call sent it.

    Called once its enqueuing transaction commits. A broker failure is recorded on the row, never raised: the
    row waits for outbox_send.
    """
    if _eager():
        return _run_in_process(message_id)
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).pending().filter(pk=message_id).first()
        if message is None:  # sent already, or being sent by outbox_send right now
            return False
        sent = _publish([message]) == 1
    if sent:
        _ask_for_backlog()
    return sent


def outbox_send(*, limit: int = 10_000) -> int:
    """Send every message still waiting, oldest first, stopping at the first broker failure; delete sent
    messages older than KEEP_SENT_FOR. Returns how many this call sent. Run by buddying.tasks.send_outbox."""
    if _eager():
        return sum(
            _run_in_process(pk) for pk in OutboxMessage.objects.pending().order_by("pk").values_list("pk", flat=True)
        )
    sent = 0
    while sent < limit:
        with transaction.atomic():
            batch = list(OutboxMessage.objects.select_for_update(skip_locked=True).pending().order_by("pk")[:BATCH])
            if not batch:
                break
            published = _publish(batch)
        sent += published
        if published < len(batch):
            break
    OutboxMessage.objects.filter(sent_at__lt=timezone.now() - KEEP_SENT_FOR).delete()
    if sent:
        logger.info("Outbox: sent %d waiting task(s) to the broker", sent)
    return sent


def _publish(messages: Sequence[OutboxMessage]) -> int:
    """Publish each locked message in order and mark it sent; at the first failure record it and stop.

    The broker settings (CELERY_BROKER_TRANSPORT_OPTIONS: connect timeout, no retries) make a Redis outage
    fail in milliseconds; no result is awaited, so the result backend is not touched either.
    """
    sent_ids = []
    for message in messages:
        try:
            app.send_task(message.task_name, args=message.args, ignore_result=True, retry=False)
        except Exception as error:  # any broker failure: keep the message for later
            logger.warning(
                "Outbox: broker unavailable, %s kept to send later (%s: %s)", message, type(error).__name__, error
            )
            OutboxMessage.objects.filter(pk=message.pk).update(
                attempts=message.attempts + 1,
                last_attempt_at=timezone.now(),
                last_error=f"{type(error).__name__}: {error}"[:2000],
            )
            break
        sent_ids.append(message.pk)
    if sent_ids:
        now = timezone.now()
        OutboxMessage.objects.filter(pk__in=sent_ids).update(
            sent_at=now, last_attempt_at=now, attempts=F("attempts") + 1
        )
    return len(sent_ids)


def _ask_for_backlog() -> None:
    """After a successful send: if older messages are still waiting (an outage just ended), ask a worker to send
    them now rather than at the next beat. Best effort: the beat does it anyway."""
    if not OutboxMessage.objects.pending().filter(created_at__lt=timezone.now() - LEFT_OVER_AFTER).exists():
        return
    try:
        app.send_task("buddying.tasks.send_outbox", ignore_result=True, retry=False)
    except Exception:  # the broker went away again: the beat will send the backlog
        logger.warning("Outbox: could not ask a worker to send the backlog", exc_info=True)


def _eager() -> bool:
    """No broker (no REDIS_URL: `make run`, some tests): tasks run in this process, as Celery's eager mode."""
    return bool(app.conf.task_always_eager)


def _run_in_process(message_id: int) -> bool:
    """Eager mode: claim the row, then run the task here outside any transaction of ours, as `.delay` would."""
    now = timezone.now()
    if not OutboxMessage.objects.pending().filter(pk=message_id).update(sent_at=now, last_attempt_at=now, attempts=1):
        return False
    message = OutboxMessage.objects.get(pk=message_id)
    app.tasks[message.task_name].apply_async(args=message.args)
    return True
