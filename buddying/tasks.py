"""Background work of the registry. Tasks take ids, call one function, and are safe to run twice."""

from celery import shared_task

from buddying import notifications


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email notifications not yet emailed (row locks: two deliveries send each email once)."""
    return notifications.notification_emails_send(notification_ids=notification_ids)
