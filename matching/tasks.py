"""Background matching work. Tasks take ids and call one service; running one twice does nothing twice."""

from celery import shared_task

from matching import services


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def run_wave_allocation(run_id: int) -> bool:
    """Run a pending wave allocation (matching.services.wave_run_execute claims it, so it runs once)."""
    return services.wave_run_execute(run_id=run_id)
