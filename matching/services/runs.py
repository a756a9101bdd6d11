"""Run the matching engine and record each run. Keyword-only; the engine itself stays pure."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from buddying import outbox
from buddying.models import Trust, User
from matching import engine, selectors
from matching.engine import TEAM_SIZE_DEFAULT, EngineInputError, MatchSettings
from matching.models import Framework, MatchRun
from matching.services import results

logger = logging.getLogger(__name__)

WAVE_METHODS = ("coverage", "assignment", "stable")


def match_settings_build(
    *,
    weights: dict[str, float] | None = None,
    geography: dict[str, Any] | None = None,
    pool_only: bool = False,
    include_receiving_support: bool = False,
) -> MatchSettings:
    """Settings from plain values, checked: invalid values raise EngineInputError with a readable message.

    The strength that counts as covering a need is the service's one threshold, settings.BUDDY_COVERS_AT_STRENGTH.
    Without a bonus for a known relationship, it is settings.MATCH_RELATIONSHIP_WEIGHT points out of 100.
    """
    defaults = MatchSettings()
    chosen = dataclasses.replace(defaults.weights, **(weights or {}))
    if "relationship" not in (weights or {}):
        chosen = dataclasses.replace(chosen, relationship=django_settings.MATCH_RELATIONSHIP_WEIGHT / 100)
    settings = MatchSettings(
        weights=chosen,
        geography=dataclasses.replace(defaults.geography, **(geography or {})),
        pool_only=pool_only,
        covers_at=django_settings.BUDDY_COVERS_AT_STRENGTH,
        include_receiving_support=include_receiving_support,
    )
    settings.validate()
    return settings


def _record(
    *,
    kind: str,
    trust: Trust | None,
    by: User | None,
    source: str,
    settings: dict[str, Any],
    inputs: dict[str, Any],
    results: dict[str, Any] | None,
    engine_ms: float | None,
    status: str,
) -> MatchRun:
    return MatchRun.objects.create(
        kind=kind,
        supported=trust,
        created_by=by,
        source=source,
        settings=settings,
        inputs=inputs,
        results=results,
        engine_ms=engine_ms,
        status=status,
        progress=100 if status == MatchRun.Status.DONE else 0,
        finished_at=timezone.now() if status == MatchRun.Status.DONE else None,
    )


def shortlist_run(
    *,
    trust: Trust,
    by: User | None,
    settings: MatchSettings,
    k: int = 10,
    source: str = MatchRun.Source.WEB,
    framework: Framework | None = None,
) -> MatchRun:
    """Rank candidate buddies for one trust and record the run. Raises EngineInputError for unusable input.

    With `framework`, "in the pool" means an accredited member of that framework (a call-off under it).
    """
    if k < 1:
        raise EngineInputError("The shortlist must have at least 1 place")
    snapshot = selectors.candidate_pool(framework_id=framework.pk if framework else None)
    (supported,) = selectors.supported_trusts([trust.ods_code])
    started = time.perf_counter()
    result = engine.shortlist(supported, snapshot.pool, settings, k=k)
    engine_ms = (time.perf_counter() - started) * 1000
    return _record(
        kind=MatchRun.Kind.SHORTLIST,
        trust=trust,
        by=by,
        source=source,
        settings=results.settings_json(settings, k=k),
        inputs={
            "needs": results.needs_json(supported, snapshot),
            "pool_size": len(snapshot.pool),
            "vetoed": sorted(supported.vetoed),
            "framework": framework.name if framework else None,
        },
        results=results.shortlist_json(result, snapshot),
        engine_ms=engine_ms,
        status=MatchRun.Status.DONE,
    )


def team_run(
    *,
    trust: Trust,
    by: User | None,
    settings: MatchSettings,
    k: int = TEAM_SIZE_DEFAULT,
    exact: bool = True,
    source: str = MatchRun.Source.WEB,
    framework: Framework | None = None,
) -> MatchRun:
    """Choose up to k buddies that together cover the trust's needs, each leading on the needs it covers best.

    With `framework`, "in the pool" means an accredited member of that framework (a call-off under it).
    """
    if k < 1:
        raise EngineInputError("A team must have at least 1 buddy")
    snapshot = selectors.candidate_pool(framework_id=framework.pk if framework else None)
    (supported,) = selectors.supported_trusts([trust.ods_code])
    started = time.perf_counter()
    result = engine.build_team(supported, snapshot.pool, settings, k=k, exact=exact)
    engine_ms = (time.perf_counter() - started) * 1000
    return _record(
        kind=MatchRun.Kind.TEAM,
        trust=trust,
        by=by,
        source=source,
        settings=results.settings_json(settings, k=k, exact=exact),
        inputs={
            "needs": results.needs_json(supported, snapshot),
            "pool_size": len(snapshot.pool),
            "vetoed": sorted(supported.vetoed),
            "framework": framework.name if framework else None,
        },
        results={
            "heuristic": results.team_json(result.heuristic, snapshot),
            "exact": results.team_json(result.exact, snapshot),
            "gap": None if result.gap is None else round(result.gap, 6),
            "heuristic_ms": round(result.heuristic_ms, 3),
            "exact_ms": None if result.exact_ms is None else round(result.exact_ms, 3),
        },
        engine_ms=engine_ms,
        status=MatchRun.Status.DONE,
    )


@transaction.atomic
def wave_run_create(
    *,
    trusts: list[Trust],
    by: User | None,
    settings: MatchSettings,
    k: int = 3,
    method: str = "coverage",
    framework: Framework | None = None,
    source: str = MatchRun.Source.WEB,
    run_now: bool = False,
) -> MatchRun:
    """Record a wave allocation for several trusts; a Celery task runs it after this transaction commits. With a
    `framework`, only its pool's members are buddies (a pool-only wave of that framework).

    With run_now (the `allocate` command) the allocation runs here instead, in this process.
    """
    if not trusts:
        raise EngineInputError("Choose at least one trust to allocate buddies to")
    if method not in WAVE_METHODS:
        raise EngineInputError(f"The method must be one of {', '.join(WAVE_METHODS)}, not {method!r}")
    if k < 1:
        raise EngineInputError("Each trust must be allowed at least 1 buddy")
    codes = [trust.ods_code for trust in trusts]
    # Check the input now, so the user hears about a trust with no needs at once, not from the task.
    supported = selectors.supported_trusts(codes)
    for trust in supported:
        if not trust.needs:
            raise EngineInputError(
                f"{trust.ods_code} has no improvement needs recorded, so there is nothing to match against"
            )
    run = _record(
        kind=MatchRun.Kind.WAVE,
        trust=None,
        by=by,
        source=source,
        settings=results.settings_json(settings, k=k, method=method, framework=framework.pk if framework else None),
        inputs={"trusts": codes, **({"framework_name": framework.name} if framework else {})},
        results=None,
        engine_ms=None,
        status=MatchRun.Status.PENDING,
    )
    if run_now:
        wave_run_execute(run_id=run.pk)
        run.refresh_from_db()
    else:
        from matching.tasks import run_wave_allocation

        # Through the outbox: if Redis is down the run waits to start and starts once Redis is back;
        # the request that created it neither fails nor waits.
        outbox.enqueue(run_wave_allocation, run.pk)
    return run


def wave_run_restart(*, run: MatchRun) -> bool:
    """Start a wave run again: one still waiting (a broker outage), one that failed, or one whose worker
    died. Returns False, doing nothing, for a run that is running normally or done."""
    claimable = Q(status__in=[MatchRun.Status.PENDING, MatchRun.Status.FAILED]) | _stale_running()
    reset = MatchRun.objects.filter(claimable, pk=run.pk, kind=MatchRun.Kind.WAVE).update(
        status=MatchRun.Status.PENDING, progress=0, error="", started_at=None, finished_at=None
    )
    if not reset:
        return False
    from matching.tasks import run_wave_allocation

    outbox.enqueue(run_wave_allocation, run.pk)
    return True


def _stale_running() -> Q:
    return Q(status=MatchRun.Status.RUNNING, started_at__lt=timezone.now() - MatchRun.STALE_AFTER)


def _wave_run_fail(run_id: int, message: str) -> None:
    MatchRun.objects.filter(pk=run_id).update(status=MatchRun.Status.FAILED, error=message, finished_at=timezone.now())


def wave_run_execute(*, run_id: int) -> bool:
    """Run a pending wave allocation once. Returns False if another worker has claimed it already.

    The claim is a conditional UPDATE (pending -> running), so a task delivered twice runs once. A run left
    running by a worker that died may be claimed again once stale. Bad input or an unexpected error marks
    the run failed with a readable message (its page offers to start it again); a lost database or broker
    connection puts it back to pending for the task's retry.
    """
    claimed = MatchRun.objects.filter(Q(status=MatchRun.Status.PENDING) | _stale_running(), pk=run_id).update(
        status=MatchRun.Status.RUNNING, started_at=timezone.now(), progress=0
    )
    if not claimed:
        return False
    run = MatchRun.objects.get(pk=run_id)
    stored = run.settings
    try:
        settings = match_settings_build(
            weights=stored["weights"],
            geography=stored["geography"],
            pool_only=stored["pool_only"],
            include_receiving_support=stored.get("include_receiving_support", False),
        )
        # Runs recorded before a wave could name a framework have none: any live framework's pool.
        snapshot = selectors.candidate_pool(framework_id=stored.get("framework"))
        supported = selectors.supported_trusts(run.inputs["trusts"])
        last_saved = [0]

        def report(fraction: float) -> None:
            percent = min(99, int(fraction * 100))
            if percent >= last_saved[0] + 10:
                last_saved[0] = percent
                MatchRun.objects.filter(pk=run_id).update(progress=percent)

        started = time.perf_counter()
        result = engine.allocate_wave(
            supported, snapshot.pool, settings, k=stored["k"], method=stored["method"], progress=report
        )
        engine_ms = (time.perf_counter() - started) * 1000
    except EngineInputError as error:
        _wave_run_fail(run_id, str(error))
        return True
    except ConnectionError:
        MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.RUNNING).update(status=MatchRun.Status.PENDING)
        raise  # the task retries with backoff and claims it again
    except Exception:  # the soft time limit, or a bug: say so on the run's page rather than spin for ever
        logger.exception("Wave run %s failed", run_id)
        _wave_run_fail(
            run_id,
            "The allocation stopped with an unexpected error or took too long. Start it again; if it fails "
            "again, choose fewer trusts or tell the service team.",
        )
        return True
    stored_results = results.wave_json(result, snapshot)
    MatchRun.objects.filter(pk=run_id).update(
        status=MatchRun.Status.DONE,
        results=stored_results,
        progress=100,
        engine_ms=engine_ms,
        finished_at=timezone.now(),
    )
    return True


# Fit check for a trust choosing its own buddies ----------------------------------------------------------------


def fit_check(*, trust: Trust, candidates: list[Trust], settings: MatchSettings | None = None) -> list[dict[str, Any]]:
    """How well each chosen buddy fits the trust, with the reasons and warnings a self-proposal shows first, and
    the same check the regulator sees before agreeing it.

    Nothing is recorded: this is a check before a decision. Every chosen candidate is assessed, including one
    that would not be ranked (it covers none of the needs, or is excluded): those say why.
    Raises EngineInputError if the trust cannot be matched (no needs or no location recorded).
    """
    settings = settings or match_settings_build()
    snapshot = selectors.candidate_pool()
    (supported,) = selectors.supported_trusts([trust.ods_code])
    assessed, concerns = engine.assess_candidates(
        supported, snapshot.pool, settings, [candidate.ods_code for candidate in candidates]
    )
    by_code = {candidate.ods_code: results.candidate_json(candidate, snapshot) for candidate in assessed}
    members = selectors.pool_member_ids(day=timezone.localdate())
    checks = []
    for candidate in candidates:
        entry = by_code.get(candidate.ods_code)
        in_pool = candidate.pk in members
        reasons = list(concerns.get(candidate.ods_code, ()))
        warnings = reasons + (list(entry["warnings"]) if entry else [])
        if entry is None:
            warnings.append("Closed, or not in the registry's matching data")
        if not in_pool:
            warnings.append("Not an accredited member of the superbuddy pool: allowed, and marked as such")
        checks.append(
            {
                "trust": candidate,
                "excluded": bool(reasons),
                "total": entry["total"] if entry else None,
                "rank": entry["rank"] or None if entry else None,
                "criteria": entry["criteria"] if entry else [],
                "travel": {key: entry[key] for key in ("distance_km", "travel_minutes", "band", "band_label")}
                if entry
                else None,
                "warnings": warnings,
                "flags": entry["flags"] if entry else [],
                "missing": entry["missing"] if entry else [],
                "in_pool": in_pool,
            }
        )
    return checks
