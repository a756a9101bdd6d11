"""Run the matching engine and record each run. Keyword-only; the engine itself stays pure."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from buddying.models import Trust, User
from buddying.notifications import notify
from matching import engine, selectors
from matching.engine import TEAM_SIZE_DEFAULT, EngineInputError, MatchSettings
from matching.models import (
    BuddyCapacity,
    FeeScale,
    Framework,
    MatchRun,
    OfferedExpertise,
    PoolApplication,
    PoolDecision,
    Veto,
)

logger = logging.getLogger(__name__)

WAVE_METHODS = ("coverage", "assignment", "stable")


def match_settings_build(
    *, weights: dict[str, float] | None = None, geography: dict[str, Any] | None = None, pool_only: bool = False
) -> MatchSettings:
    """Settings from plain values, checked: invalid values raise EngineInputError with a readable message."""
    defaults = MatchSettings()
    settings = MatchSettings(
        weights=dataclasses.replace(defaults.weights, **(weights or {})),
        geography=dataclasses.replace(defaults.geography, **(geography or {})),
        pool_only=pool_only,
    )
    settings.validate()
    return settings


def _band(travel_minutes: float, settings: MatchSettings) -> str:
    if travel_minutes <= settings.geography.ideal_max_minutes:
        return "ideal"
    if travel_minutes <= settings.geography.max_minutes:
        return "far"
    return "overnight"


def _summary(snapshot: selectors.PoolSnapshot, ods_code: str) -> dict[str, Any]:
    trust = snapshot.trusts[ods_code]
    return {"ods_code": ods_code, "name": trust.name, "latitude": trust.latitude, "longitude": trust.longitude}


def _settings_json(settings: MatchSettings, **sizes: Any) -> dict[str, Any]:
    return {**dataclasses.asdict(settings), **sizes}


def _needs_json(supported: engine.SupportedTrust, snapshot: selectors.PoolSnapshot) -> list[dict[str, Any]]:
    return [
        {"area": need.area, "name": snapshot.area_names.get(need.area, need.area), "priority": need.priority}
        for need in supported.needs
    ]


def shortlist_json(
    result: engine.Shortlist, snapshot: selectors.PoolSnapshot, settings: MatchSettings
) -> dict[str, Any]:
    ranked = [
        {
            **_summary(snapshot, candidate.ods_code),
            "rank": candidate.rank,
            "total": round(candidate.total, 4),
            "distance_km": round(candidate.distance_km, 1),
            "travel_minutes": round(candidate.travel_minutes),
            "band": _band(candidate.travel_minutes, settings),
            "covers": [{"area": area, "name": snapshot.area_names.get(area, area)} for area in candidate.covers],
            "warnings": list(candidate.warnings),
            "flags": list(candidate.flags),
            "criteria": [
                {
                    "name": criterion.name,
                    "label": criterion.label,
                    "score": round(criterion.score, 4),
                    "weight": round(criterion.weight, 4),
                    "contribution": round(criterion.contribution, 4),
                    "reason": criterion.reason,
                }
                for criterion in candidate.criteria
            ],
        }
        for candidate in result.ranked
    ]
    # The supported trust is never its own buddy: listing it among the excluded would only be noise.
    excluded = [
        {**_summary(snapshot, exclusion.ods_code), "reasons": list(exclusion.reasons)}
        for exclusion in result.excluded
        if exclusion.ods_code != result.supported
    ]
    return {"considered": result.considered, "ranked": ranked, "excluded": excluded}


def _team_json(team: engine.Team | None, snapshot: selectors.PoolSnapshot) -> dict[str, Any] | None:
    if team is None:
        return None
    return {
        "method": team.method,
        "objective": round(team.objective, 6),
        "coverage": round(team.coverage, 4),
        "unmet_needs": [{"area": area, "name": snapshot.area_names.get(area, area)} for area in team.unmet_needs],
        "members": [
            {
                **_summary(snapshot, member.ods_code),
                "total": round(member.total, 4),
                "assigned_needs": [{"area": a, "name": snapshot.area_names.get(a, a)} for a in member.assigned_needs],
            }
            for member in team.members
        ],
    }


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
        settings=_settings_json(settings, k=k),
        inputs={
            "needs": _needs_json(supported, snapshot),
            "pool_size": len(snapshot.pool),
            "vetoed": sorted(supported.vetoed),
            "framework": framework.name if framework else None,
        },
        results=shortlist_json(result, snapshot, settings),
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
        settings=_settings_json(settings, k=k, exact=exact),
        inputs={
            "needs": _needs_json(supported, snapshot),
            "pool_size": len(snapshot.pool),
            "vetoed": sorted(supported.vetoed),
            "framework": framework.name if framework else None,
        },
        results={
            "heuristic": _team_json(result.heuristic, snapshot),
            "exact": _team_json(result.exact, snapshot),
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
    source: str = MatchRun.Source.WEB,
    run_now: bool = False,
) -> MatchRun:
    """Record a wave allocation for several trusts; a Celery task runs it after this transaction commits.

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
        settings=_settings_json(settings, k=k, method=method),
        inputs={"trusts": codes},
        results=None,
        engine_ms=None,
        status=MatchRun.Status.PENDING,
    )
    if run_now:
        wave_run_execute(run_id=run.pk)
        run.refresh_from_db()
    else:
        from matching.tasks import run_wave_allocation

        # robust: if the broker is down the run stays "waiting to start" and can be started again;
        # the request that created it must not fail.
        transaction.on_commit(lambda: run_wave_allocation.delay(run.pk), robust=True)
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

    transaction.on_commit(lambda: run_wave_allocation.delay(run.pk), robust=True)
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
        )
        snapshot = selectors.candidate_pool()
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
    names = {trust.ods_code: snapshot.trusts[trust.ods_code].name for trust in supported}
    results = {
        "method": result.method,
        "objective": round(result.objective, 6),
        "upper_bound": None if result.upper_bound is None else round(result.upper_bound, 6),
        "exact": result.exact,
        "unallocated": list(result.unallocated),
        "load": result.load,
        "elapsed_ms": round(result.elapsed_ms, 3),
        "allocations": [
            {
                **_summary(snapshot, allocation.supported),
                "name": names[allocation.supported],
                "coverage": round(allocation.coverage, 4),
                "unmet_needs": [{"area": a, "name": snapshot.area_names.get(a, a)} for a in allocation.unmet_needs],
                "members": [
                    {
                        **_summary(snapshot, member.ods_code),
                        "total": round(member.total, 4),
                        "assigned_needs": [
                            {"area": a, "name": snapshot.area_names.get(a, a)} for a in member.assigned_needs
                        ],
                    }
                    for member in allocation.members
                ],
            }
            for allocation in result.allocations
        ],
    }
    MatchRun.objects.filter(pk=run_id).update(
        status=MatchRun.Status.DONE, results=results, progress=100, engine_ms=engine_ms, finished_at=timezone.now()
    )
    return True


@transaction.atomic
def veto_add(*, supported: Trust, vetoed: Trust, reason: str, by: User | None) -> Veto:
    veto, _created = Veto.objects.get_or_create(
        supported=supported, vetoed=vetoed, defaults={"reason": reason, "created_by": by}
    )
    return veto


@transaction.atomic
def capacity_update(*, trust: Trust, **fields: Any) -> BuddyCapacity:
    """Set a trust's declared capacity (places, staff days, acquirer interest, pool membership)."""
    capacity, _created = BuddyCapacity.objects.select_for_update().get_or_create(trust=trust)
    for name, value in fields.items():
        setattr(capacity, name, value)
    capacity.full_clean()
    capacity.save()
    return capacity


# The superbuddy framework and its pool ------------------------------------------------------------------------


class PoolError(Exception):
    """A refused pool action; the message is one plain sentence for the person who tried it."""


def _sync_capacity_from(application: PoolApplication) -> None:
    """The declared capacity becomes what matching uses; pool membership itself is read live
    from accredited applications (matching.selectors.pool_member_ids), so expiry needs no job."""
    capacity_update(
        trust=application.trust,
        max_concurrent_arrangements=application.max_concurrent_arrangements,
        senior_staff_days_per_month=application.senior_staff_days_per_month,
        is_potential_acquirer=application.incentive == PoolApplication.Incentive.OPEN_TO_ACQUISITION,
    )


@transaction.atomic
def framework_create(*, by: User, name: str, term_start, term_end, lots, fees: dict[str, Any]) -> Framework:  # type: ignore[no-untyped-def]
    if term_end < term_start:
        raise PoolError("The framework must end on or after it starts")
    framework = Framework.objects.create(name=name, term_start=term_start, term_end=term_end, created_by=by)
    framework.lots.set(lots)
    FeeScale.objects.bulk_create(FeeScale(framework=framework, tier=tier, annual_fee=fee) for tier, fee in fees.items())
    return framework


@transaction.atomic
def framework_advance(*, framework: Framework, by: User) -> Framework:
    """Move the framework to its next status: draft, open for applications, evaluating, live, expired."""
    locked = Framework.objects.select_for_update().get(pk=framework.pk)
    target = Framework.NEXT_STATUS.get(locked.status)
    if target is None:
        raise PoolError("An expired framework cannot change")
    locked.status = target
    locked._history_user = by  # read by django-simple-history: who moved it on, and when
    locked._change_reason = f"Moved to {locked.get_status_display().lower()}"
    locked.save(update_fields=["status"])
    return locked


@transaction.atomic
def pool_application_submit(
    *,
    framework: Framework,
    trust: Trust,
    by: User,
    route: str,
    max_concurrent_arrangements: int,
    senior_staff_days_per_month: Any,
    max_travel_minutes: int,
    incentive: str,
    services: Any,
    offered: list[tuple[Any, int, str]],
) -> PoolApplication:
    """A trust applies (or is nominated) to join the pool, declaring its expertise and capacity."""
    # Read the framework afresh and hold it, so an application cannot slip in as it closes.
    framework = Framework.objects.select_for_update().get(pk=framework.pk)
    if framework.status != Framework.Status.OPEN:
        raise PoolError(f"{framework.name} is not open for applications")
    if trust.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES:
        # The pool exists to support trusts in special measures; one of them cannot be a buddy (matching
        # excludes it too), whether it applies itself or is nominated.
        raise PoolError(f"{trust.name} is in special measures, so it cannot join the pool")
    if not offered:
        raise PoolError("Offer at least one area of expertise, with evidence")
    lots = set(framework.lots.values_list("pk", flat=True))
    outside = [area.name for area, _strength, _evidence in offered if area.pk not in lots]
    if outside:
        raise PoolError(f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not covered by this framework")
    try:
        with transaction.atomic():
            application = PoolApplication.objects.create(
                framework=framework,
                trust=trust,
                route=route,
                submitted_by=by,
                max_concurrent_arrangements=max_concurrent_arrangements,
                senior_staff_days_per_month=senior_staff_days_per_month,
                max_travel_minutes=max_travel_minutes,
                incentive=incentive,
            )
    except IntegrityError:
        raise PoolError(f"{trust.name} already has an application or membership in {framework.name}") from None
    application.services.set(services)
    OfferedExpertise.objects.bulk_create(
        OfferedExpertise(application=application, area=area, strength=strength, evidence=evidence)
        for area, strength, evidence in offered
    )
    PoolDecision.objects.create(application=application, action=PoolDecision.Action.SUBMITTED, by=by)
    verb = "was nominated for" if route == PoolApplication.Route.NOMINATED else "applied to join"
    _pool_notify(
        application,
        by=by,
        subject=f"{trust.name} {verb} {framework.name}",
        body=f"{trust.name} {verb} the {framework.name} pool. Regulator staff will accredit or decline it.",
    )
    return application


def _pool_notify(application: PoolApplication, *, by: User | None, subject: str, body: str) -> None:
    """Tell the trust's executives and regulator staff about an application or a decision, except whoever made it."""
    people = User.objects.filter(
        Q(role=User.Role.TRUST_EXECUTIVE, trust_id=application.trust_id) | Q(role=User.Role.REGULATOR),
        is_active=True,
    )
    if by is not None:
        people = people.exclude(pk=by.pk)
    notify(recipients=people.order_by("pk"), subject=subject, body=body, url=application.get_absolute_url())


def _decide(application: PoolApplication, *, allowed_from: set[str], by: User) -> PoolApplication:
    locked = PoolApplication.objects.select_for_update().select_related("trust", "framework").get(pk=application.pk)
    if locked.status not in allowed_from:
        last = locked.decisions.select_related("by").first()
        who = f" by {last.by.get_full_name() or last.by.username}" if last and last.by else ""
        raise PoolError(f"This application is already {locked.get_status_display().lower()}{who}: nothing was changed")
    return locked


@transaction.atomic
def pool_application_accredit(*, application: PoolApplication, by: User, until: Any) -> PoolApplication:
    """Accredit until a date: the trust joins the pool (and matching) at once. Two deciders: one wins."""
    locked = _decide(application, allowed_from={PoolApplication.Status.SUBMITTED}, by=by)
    if locked.framework.status not in Framework.ACCREDITING_STATUSES:
        raise PoolError(
            f"{locked.framework.name} is {locked.framework.get_status_display().lower()}: "
            "applications are accredited only while it is open, being evaluated or live"
        )
    today = timezone.localdate()
    if until < today:
        raise PoolError("The accreditation must last until today or later")
    locked.status = PoolApplication.Status.ACCREDITED
    locked.accredited_on, locked.accredited_until = today, until
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.save()
    PoolDecision.objects.create(
        application=locked, action=PoolDecision.Action.ACCREDITED, by=by, reason=f"Until {until:%d %B %Y}"
    )
    _sync_capacity_from(locked)
    _pool_notify(
        locked,
        by=by,
        subject=f"{locked.trust.name} accredited to {locked.framework.name}",
        body=f"{locked.trust.name} is an accredited member of the {locked.framework.name} pool until "
        f"{until:%d %B %Y}, and may now be called off to buddy a trust in difficulty.",
    )
    return locked


def _change(
    application: PoolApplication, *, by: User, reason: str, allowed_from: set[str], to: str, action: str
) -> PoolApplication:
    if not reason.strip():
        raise PoolError("Give a reason")
    locked = _decide(application, allowed_from=allowed_from, by=by)
    locked.status = to
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.save(update_fields=["status", "decided_by", "decided_at"])
    PoolDecision.objects.create(application=locked, action=action, by=by, reason=reason)
    _pool_notify(
        locked,
        by=by,
        subject=f"{locked.trust.name}: {action} ({locked.framework.name})",
        body=f"The {locked.framework.name} application of {locked.trust.name} was {action}. Reason: {reason}",
    )
    if to == PoolApplication.Status.ACCREDITED:
        # Only a member's declaration is what matching uses; a declined, suspended or withdrawn
        # application leaves the capacity the trust had (membership itself is read live).
        _sync_capacity_from(locked)
    return locked


@transaction.atomic
def pool_application_decline(*, application: PoolApplication, by: User, reason: str) -> PoolApplication:
    return _change(application, by=by, reason=reason, allowed_from={"submitted"}, to="declined", action="declined")


@transaction.atomic
def pool_membership_suspend(*, application: PoolApplication, by: User, reason: str) -> PoolApplication:
    return _change(application, by=by, reason=reason, allowed_from={"accredited"}, to="suspended", action="suspended")


@transaction.atomic
def pool_membership_reinstate(*, application: PoolApplication, by: User, reason: str) -> PoolApplication:
    return _change(application, by=by, reason=reason, allowed_from={"suspended"}, to="accredited", action="reinstated")


@transaction.atomic
def pool_membership_withdraw(*, application: PoolApplication, by: User, reason: str) -> PoolApplication:
    """The trust (or the regulator) withdraws: it leaves matching at once."""
    return _change(
        application,
        by=by,
        reason=reason,
        allowed_from={"submitted", "accredited", "suspended"},
        to="withdrawn",
        action="withdrawn",
    )


# Fit check for a trust choosing its own buddies ----------------------------------------------------------------


def fit_check(*, trust: Trust, candidates: list[Trust], settings: MatchSettings | None = None) -> list[dict[str, Any]]:
    """How well each chosen buddy fits the trust, with the reasons and warnings a self-proposal shows first.

    Nothing is recorded: this is a check before a proposal, not a decision.
    Raises EngineInputError if the trust cannot be matched (no needs or no location recorded).
    """
    settings = settings or MatchSettings()
    snapshot = selectors.candidate_pool()
    (supported,) = selectors.supported_trusts([trust.ods_code])
    result = engine.shortlist(supported, snapshot.pool, settings, k=len(snapshot.pool))
    as_json = shortlist_json(result, snapshot, settings)
    ranked = {entry["ods_code"]: entry for entry in as_json["ranked"]}
    excluded = {entry["ods_code"]: entry for entry in as_json["excluded"]}
    members = selectors.pool_member_ids(day=timezone.localdate())
    checks = []
    for candidate in candidates:
        entry = ranked.get(candidate.ods_code) or excluded.get(candidate.ods_code)
        in_pool = candidate.pk in members
        warnings = list(entry.get("warnings", [])) + list(entry.get("reasons", [])) if entry else []
        if not in_pool:
            warnings.append("Not an accredited member of the superbuddy pool: allowed, and marked as such")
        checks.append(
            {
                "trust": candidate,
                "excluded": candidate.ods_code in excluded,
                "total": entry.get("total") if entry and candidate.ods_code in ranked else None,
                "rank": entry.get("rank") if entry and candidate.ods_code in ranked else None,
                "criteria": entry.get("criteria", []) if entry else [],
                "warnings": warnings,
                "flags": entry.get("flags", []) if entry else [],
                "in_pool": in_pool,
            }
        )
    return checks
