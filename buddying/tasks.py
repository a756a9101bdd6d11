"""Background work of the registry. Tasks take ids, call one function, and are safe to run twice."""

from celery import shared_task

from buddying import notifications, services


@shared_task(ignore_result=True)
def send_outbox() -> int:
    """Send the tasks still waiting in the outbox (a Redis outage), oldest first. Run by beat every
    OUTBOX_SEND_SECONDS and asked for by the first successful enqueue after an outage."""
    from buddying import outbox

    return outbox.outbox_send()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_notification_emails(notification_ids: list[int]) -> int:
    """Email notifications not yet emailed (row locks: two deliveries send each email once)."""
    return notifications.notification_emails_send(notification_ids=notification_ids)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_signup_invitation_email(invitation_id: int) -> bool:
    """Email an invitation's current sign-up link, once."""
    return services.signup_invitation_email_send(invitation_id=invitation_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, retry_backoff_max=600, max_retries=8)
def send_password_reset_email(user_id: int) -> bool:
    """Email a password reset link; the token is made here, from the user's current state."""
    return services.password_reset_email_send(user_id=user_id)
