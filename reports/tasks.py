"""Background exports. Tasks take ids and call one service; running one twice writes the file once."""

from celery import shared_task

from reports import services


# An export of a few hundred thousand rows takes minutes, beyond the project's default task limits.
@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=1800,
    time_limit=1860,
)
def run_export(job_id: int) -> bool:
    """Write a queued export (reports.services.export_job_execute claims it, so it runs once)."""
    return services.export_job_execute(job_id=job_id)
