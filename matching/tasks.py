"""Background matching work. Tasks take ids and call one service; running one twice does nothing twice."""

from celery import shared_task

from matching import services


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def run_wave_allocation(run_id: int) -> bool:
    """Run a pending wave allocation (matching.services.wave_run_execute claims it, so it runs once)."""
    return services.wave_run_execute(run_id=run_id)


# A readiness run allocates about 600 waves, and a recruitment run that again for each candidate: more than the
# default limits (CELERY_TASK_SOFT_TIME_LIMIT, 2 minutes) allow, so these limits are their own.
@shared_task(
    acks_late=True,
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=9 * 60,
    time_limit=9 * 60 + 30,  # below MatchRun.STALE_AFTER, so a live run is never claimed twice
)
def run_pool_simulation(run_id: int) -> bool:
    """Run a pending readiness or recruitment run (matching.services.readiness.pool_run_execute claims it once)."""
    from matching.services.readiness import pool_run_execute

    return pool_run_execute(run_id=run_id)
