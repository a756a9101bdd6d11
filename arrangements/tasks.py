"""Reminders. Tasks take ids, call one function, and are safe to run twice."""

from celery import shared_task

from arrangements import reminders


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_reminder(reminder_id: int) -> bool:
    return reminders.reminder_send(reminder_id=reminder_id)


# The sweep claims before it sends, so a retry (after a database or broker hiccup) is safe; without one
# a failed sweep would wait a whole day for the next beat.
@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=60, retry_backoff_max=1800, max_retries=6)
def sweep_reminders() -> dict[str, int]:
    """The daily sweep (beat schedule in buddying.settings). Safe to run twice, or twice at once."""
    result = reminders.reminders_sweep()
    return {"claimed": result.claimed, "requeued": result.requeued_reminders, "emails": result.requeued_emails}
