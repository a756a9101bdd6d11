"""Background exports. Tasks take ids and call one service; running one twice writes the file once."""

from celery import Task, shared_task
from django.utils import timezone

from reports import services
from reports.models import EXPORT_SOFT_TIME_LIMIT, EXPORT_TIME_LIMIT


# An export of a few hundred thousand rows takes minutes, beyond the project's default task limits.
@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=EXPORT_SOFT_TIME_LIMIT,
    time_limit=EXPORT_TIME_LIMIT,
)
def run_export(self: Task, job_id: int) -> bool:
    """Write a queued export (reports.services.export_job_execute claims it, so it runs once).

    A task redelivered because its worker was lost (CELERY_TASK_REJECT_ON_WORKER_LOST) finds the job still
    "running": it comes back when that claim is stale, and takes the job over unless it has finished by then.
    """
    try:
        return services.export_job_execute(job_id=job_id)
    except services.ExportJobBusy as busy:
        wait = max(1, int((busy.stale_at - timezone.now()).total_seconds()) + 5)
        raise self.retry(exc=busy, countdown=wait) from busy
