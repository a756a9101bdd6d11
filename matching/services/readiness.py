"""Pool readiness and recruitment runs (recorded as MatchRuns, run by Celery), and recruitment invitations.

The maths is matching.engine.readiness; this module reads its inputs, records what was run (so a run can be
repeated from its seed) and stores its results as JSON for the pages.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from buddying import outbox
from buddying.models import Region, Trust, TrustExpertise, User
from buddying.notifications import notify
from matching import readiness_selectors, selectors
from matching.engine import EngineInputError, MatchSettings, Need
from matching.engine.readiness import (
    DRAWS_DEFAULT,
    SIZES_DEFAULT,
    ReadinessResult,
    Share,
    draw_scenarios,
    evaluate_scenarios,
    recruitment_gains,
    summarise,
)
from matching.models import Framework, MatchRun, RecruitmentInvitation
from matching.services import results as results_json
from matching.services.runs import match_settings_build

logger = logging.getLogger(__name__)

BUDDIES_PER_TRUST = 3
MAX_DRAWS = 1000
MAX_SIZE = 60
REGION_NAMES = dict(Region.choices)


class RecruitmentError(Exception):
    """A recruitment invitation that cannot be sent or answered; the message is for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Runs ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def readiness_run_create(
    *,
    framework: Framework,
    by: User | None,
    sizes: tuple[int, ...] = SIZES_DEFAULT,
    draws: int = DRAWS_DEFAULT,
    seed: int | None = None,
    source: str = MatchRun.Source.WEB,
    run_now: bool = False,
) -> MatchRun:
    """Record a readiness simulation of `framework`'s pool; a Celery task runs it once this transaction commits.

    Without a seed one is drawn and recorded, so every run can be repeated exactly. The trusts at risk and the
    need sets from past arrangements are recorded as they are now (the run's inputs).
    """
    if not 2 <= draws <= MAX_DRAWS:
        raise EngineInputError(f"Simulate between 2 and {MAX_DRAWS} scenarios per size")
    if not sizes or any(not 1 <= size <= MAX_SIZE for size in sizes):
        raise EngineInputError(f"Each scenario size must be between 1 and {MAX_SIZE} trusts")
    at_risk = readiness_selectors.at_risk_trusts()
    if not at_risk:
        raise EngineInputError("No open trust is at risk (oversight segment 3 to 5, or in recovery) to simulate")
    settings = match_settings_build(pool_only=True)
    run = MatchRun.objects.create(
        kind=MatchRun.Kind.READINESS,
        created_by=by,
        source=source,
        settings=results_json.settings_json(
            settings,
            framework=framework.pk,
            sizes=sorted(set(sizes)),
            draws=draws,
            seed=secrets.randbits(32) if seed is None else seed,
            k=BUDDIES_PER_TRUST,
        ),
        inputs={
            "at_risk": [item.trust.ods_code for item in at_risk],
            "need_library": [[need.area for need in needs] for needs in readiness_selectors.need_library()],
            "framework_name": framework.name,
        },
    )
    _start(run, run_now=run_now)
    return run


@transaction.atomic
def recruitment_run_create(*, readiness: MatchRun, by: User | None, run_now: bool = False) -> MatchRun:
    """Record a recruitment run: the marginal gain of each strong trust outside the pool, strong in the areas where
    `readiness` found the pool runs out first, computed on the same scenarios (same inputs and seed)."""
    if readiness.kind != MatchRun.Kind.READINESS or readiness.status != MatchRun.Status.DONE:
        raise EngineInputError("Recruitment needs a finished readiness run")
    framework = Framework.objects.get(pk=readiness.settings["framework"])
    results = readiness.results or {}
    short = [entry["slug"] for entry in results["runs_out_first"]]
    if not short:  # the pool never runs out: look at the areas with the lowest cover in the largest wave
        last = results["sizes"][-1]["by_area"]
        short = [entry["slug"] for entry in sorted(last, key=lambda e: e["share"]["estimate"] or 0.0)[:3]]
    short_regions = [entry["region"] for entry in results.get("regions_run_out_first", [])]
    candidates = readiness_selectors.recruitment_candidates(framework=framework, areas=short, regions=short_regions)
    if not candidates:
        raise EngineInputError(
            "No strong trust outside the pool (oversight segment 1 or 2, rated good or outstanding, not receiving "
            "support) is strong in the areas where the pool runs out first"
        )
    run = MatchRun.objects.create(
        kind=MatchRun.Kind.RECRUITMENT,
        created_by=by,
        source=MatchRun.Source.WEB,
        settings={**readiness.settings, "readiness_run": readiness.pk},
        inputs={**readiness.inputs, "candidates": candidates, "short_areas": short, "short_regions": short_regions},
    )
    _start(run, run_now=run_now)
    return run


def _start(run: MatchRun, *, run_now: bool) -> None:
    if run_now:
        pool_run_execute(run_id=run.pk)
        run.refresh_from_db()
        return
    from matching.tasks import run_pool_simulation

    # Through the outbox, as wave runs: a Redis outage neither fails nor slows the request that asked for it.
    outbox.enqueue(run_pool_simulation, run.pk)


def pool_run_restart(*, run: MatchRun) -> bool:
    """Start a readiness or recruitment run again (waiting, failed, or its worker died). False: nothing done."""
    stale = Q(status=MatchRun.Status.RUNNING, started_at__lt=timezone.now() - MatchRun.STALE_AFTER)
    reset = MatchRun.objects.filter(
        Q(status__in=[MatchRun.Status.PENDING, MatchRun.Status.FAILED]) | stale, pk=run.pk, kind__in=MatchRun.POOL_KINDS
    ).update(status=MatchRun.Status.PENDING, progress=0, error="", started_at=None, finished_at=None)
    if not reset:
        return False
    from matching.tasks import run_pool_simulation

    outbox.enqueue(run_pool_simulation, run.pk)
    return True


def pool_run_execute(*, run_id: int) -> bool:
    """Run a pending readiness or recruitment run once (claimed by a conditional UPDATE, as wave runs are).

    Returns False if another worker has claimed it. Bad input or an unexpected error marks it failed with a
    readable message; a lost connection puts it back to pending for the task's retry.
    """
    stale = Q(status=MatchRun.Status.RUNNING, started_at__lt=timezone.now() - MatchRun.STALE_AFTER)
    claimed = MatchRun.objects.filter(
        Q(status=MatchRun.Status.PENDING) | stale, pk=run_id, kind__in=MatchRun.POOL_KINDS
    ).update(status=MatchRun.Status.RUNNING, started_at=timezone.now(), progress=0)
    if not claimed:
        return False
    run = MatchRun.objects.get(pk=run_id)
    last_saved = [0]

    def report(fraction: float) -> None:
        percent = min(99, int(fraction * 100))
        if percent >= last_saved[0] + 5:
            last_saved[0] = percent
            MatchRun.objects.filter(pk=run_id).update(progress=percent)

    try:
        started = time.perf_counter()
        stored = _readiness(run, report) if run.kind == MatchRun.Kind.READINESS else _recruitment(run, report)
        engine_ms = (time.perf_counter() - started) * 1000
    except EngineInputError as error:
        _fail(run_id, str(error))
        return True
    except ConnectionError:
        MatchRun.objects.filter(pk=run_id, status=MatchRun.Status.RUNNING).update(status=MatchRun.Status.PENDING)
        raise
    except Exception:  # the soft time limit, or a bug: say so on the run's page
        logger.exception("Pool run %s failed", run_id)
        _fail(run_id, "The simulation stopped with an unexpected error or took too long. Start it again.")
        return True
    MatchRun.objects.filter(pk=run_id).update(
        status=MatchRun.Status.DONE, results=stored, progress=100, engine_ms=engine_ms, finished_at=timezone.now()
    )
    return True


def _fail(run_id: int, message: str) -> None:
    MatchRun.objects.filter(pk=run_id).update(status=MatchRun.Status.FAILED, error=message, finished_at=timezone.now())


def _inputs(run: MatchRun) -> tuple[Any, list[Any], list[Any], MatchSettings]:
    """The pool, at-risk trusts and need library as recorded on the run, and its settings."""
    stored = run.settings
    settings = match_settings_build(
        weights=stored["weights"], geography=stored["geography"], pool_only=True, include_receiving_support=False
    )
    snapshot = selectors.candidate_pool(framework_id=stored["framework"])
    at_risk = readiness_selectors.at_risk_trusts(run.inputs["at_risk"])
    library = [
        tuple(Need(area=slug, priority=readiness_selectors.DRAWN_NEED_PRIORITY) for slug in slugs)
        for slugs in run.inputs["need_library"]
    ]
    return snapshot, at_risk, library, settings


def _readiness(run: MatchRun, report: Callable[[float], None]) -> dict[str, Any]:
    snapshot, at_risk, library, settings = _inputs(run)
    stored = run.settings
    scenarios, left_out = draw_scenarios(
        at_risk, library, sizes=stored["sizes"], draws=stored["draws"], seed=stored["seed"]
    )
    tallies = evaluate_scenarios(snapshot.pool, at_risk, scenarios, settings, k=stored["k"], progress=report)
    result = summarise(at_risk, scenarios, tallies, seed=stored["seed"], draws=stored["draws"], left_out=left_out)
    return {
        **readiness_json(result, snapshot.area_names),
        "pool_size": int(snapshot.pool.pool_member.sum()),
    }


def _recruitment(run: MatchRun, report: Callable[[float], None]) -> dict[str, Any]:
    snapshot, at_risk, library, settings = _inputs(run)
    stored = run.settings
    scenarios, _left_out = draw_scenarios(
        at_risk, library, sizes=stored["sizes"], draws=stored["draws"], seed=stored["seed"]
    )
    baseline, gains = recruitment_gains(
        snapshot.pool, at_risk, scenarios, run.inputs["candidates"], settings, k=stored["k"], progress=report
    )
    short = run.inputs["short_areas"]
    names = snapshot.area_names
    strengths = _strengths(run.inputs["candidates"], short)
    regions_short = list(baseline.regions_run_out_first)
    candidates = []
    for gain in gains:
        summary = snapshot.trusts.get(gain.ods_code)
        reasons = []
        strong = strengths.get(gain.ods_code, {})
        if strong:
            reasons.append(
                "Strong where the pool runs out first: "
                + ", ".join(f"{names.get(a, a).lower()} ({s}/5)" for a, s in sorted(strong.items()))
            )
        for area in short:
            change = gain.area_gains.get(area, 0.0)
            if change > 0:
                reasons.append(f"{names.get(area, area)} needs covered: {_points(change)} more")
        for region in regions_short:
            change = gain.region_gains.get(region, 0.0)
            if change > 0:
                reasons.append(
                    f"{REGION_NAMES.get(region, 'Region not recorded')} trusts served well: {_points(change)} more"
                )
        if not reasons or (gain.gain.estimate or 0) <= 0:
            reasons.append("Would not serve more of the simulated trusts well (it may be too far from them, or full)")
        candidates.append(
            {
                "ods_code": gain.ods_code,
                "name": summary.name if summary else gain.ods_code,
                "region": REGION_NAMES.get(summary.region, "") if summary else "",
                "gain": share_json(gain.gain),
                "readiness_with": round(gain.readiness_with, 6),
                "reasons": reasons,
            }
        )
    return {
        "baseline": share_json(baseline.readiness),
        "short_areas": [{"slug": a, "name": names.get(a, a)} for a in short],
        "candidates": candidates,
        "waves_run": baseline.waves_run * (len(gains) + 1),
    }


def _strengths(codes: list[str], areas: list[str]) -> dict[str, dict[str, int]]:
    found: dict[str, dict[str, int]] = {}
    for code, slug, strength in TrustExpertise.objects.filter(
        trust__ods_code__in=codes, area__slug__in=areas, strength__gte=django_settings.BUDDY_COVERS_AT_STRENGTH
    ).values_list("trust__ods_code", "area__slug", "strength"):
        found.setdefault(code, {})[slug] = strength
    return found


def _points(change: float) -> str:
    return f"{change * 100:.1f} percentage points"


def share_json(share: Share) -> dict[str, Any]:
    def r(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    return {
        "estimate": r(share.estimate),
        "se": r(share.standard_error),
        "low": r(share.low),
        "high": r(share.high),
        "numerator": share.numerator,
        "denominator": share.denominator,
    }


def readiness_json(result: ReadinessResult, area_names: dict[str, str]) -> dict[str, Any]:
    """The result as the run stores it: per size, area and region, with the order in which the pool runs out."""
    sizes = []
    for size in result.sizes:
        served = share_json(size.served_well)
        sizes.append(
            {
                "size": size.size,
                "scenarios": size.scenarios,
                "served_well": served,
                # How many of the `size` trusts the pool serves well, on average: the headline figure.
                "served_well_count": None
                if size.served_well.estimate is None
                else round(size.size * size.served_well.estimate, 2),
                "served_well_count_se": None
                if size.served_well.standard_error is None
                else round(size.size * size.served_well.standard_error, 2),
                "needs_covered": share_json(size.needs_covered),
                "by_area": [
                    {"slug": a, "name": area_names.get(a, a), "share": share_json(s)} for a, s in size.by_area.items()
                ],
                "by_region": [
                    {"region": r, "name": REGION_NAMES.get(r, "Region not recorded"), "share": share_json(s)}
                    for r, s in size.by_region.items()
                ],
            }
        )
    return {
        "sizes": sizes,
        "area_rows": _rows(result, "by_area", lambda a: area_names.get(a, a)),
        "region_rows": _rows(result, "by_region", lambda r: REGION_NAMES.get(r, "Region not recorded")),
        "runs_out_first": [{"slug": a, "name": area_names.get(a, a)} for a in result.runs_out_first],
        "regions_run_out_first": [
            {"region": r, "name": REGION_NAMES.get(r, "Region not recorded")} for r in result.regions_run_out_first
        ],
        "readiness": share_json(result.readiness),
        "at_risk": result.at_risk,
        "left_out": list(result.left_out),
        "waves_run": result.waves_run,
    }


def _rows(result: ReadinessResult, attribute: str, name: Callable[[str], str]) -> list[dict[str, Any]]:
    """One row per area (or region) with its share at each size, those running out first leading."""
    order = list(result.runs_out_first if attribute == "by_area" else result.regions_run_out_first)
    keys = sorted({key for size in result.sizes for key in getattr(size, attribute)})
    keys.sort(key=lambda key: (order.index(key) if key in order else len(order), name(key)))
    rows = []
    for key in keys:
        shares = []
        for size in result.sizes:
            share = getattr(size, attribute).get(key)
            shares.append(share_json(share) if share else None)
        rows.append({"key": key, "name": name(key), "shares": shares, "runs_out": key in order})
    return rows


# Recruitment invitations -----------------------------------------------------------------------------------------


def recruitment_invitation_send(
    *, framework: Framework, trust: Trust, by: User, why: str, run: MatchRun | None = None
) -> RecruitmentInvitation:
    """Invite `trust` to apply to `framework`'s pool; its executives are told in the app and by email."""
    if framework.status not in Framework.ACCREDITING_STATUSES:
        raise RecruitmentError("The framework is not taking members: it must be open, evaluating or live")
    if not why.strip():
        raise RecruitmentError("Say why the trust is invited", field="why")
    try:
        with transaction.atomic():
            invitation = RecruitmentInvitation.objects.create(
                framework=framework, trust=trust, run=run, why=why.strip(), sent_by=by
            )
            executives = User.objects.filter(role=User.Role.TRUST_EXECUTIVE, is_active=True, trust=trust)
            notify(
                recipients=executives,
                subject=f"Invitation to apply to join {framework.name}",
                body=(
                    f"Regulator staff invite {trust.name} to apply to join the superbuddy pool of {framework.name}. "
                    f"Why: {invitation.why} Accept to go to the application form, or decline with a reason."
                ),
                url=invitation.get_absolute_url(),
            )
    except IntegrityError as error:
        raise RecruitmentError(f"{trust.name} already has an invitation waiting for an answer") from error
    return invitation


def _answer(invitation: RecruitmentInvitation, by: User, status: str, reason: str = "") -> RecruitmentInvitation:
    with transaction.atomic():
        locked = RecruitmentInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status != RecruitmentInvitation.Status.SENT:
            raise RecruitmentError("This invitation has been answered already")
        locked.status = status
        locked.decline_reason = reason
        locked.answered_by = by
        locked.answered_at = timezone.now()
        locked.save(update_fields=["status", "decline_reason", "answered_by", "answered_at"])
        if locked.sent_by is not None:
            verb = "accepted" if status == RecruitmentInvitation.Status.ACCEPTED else "declined"
            notify(
                recipients=[locked.sent_by],
                subject=f"{locked.trust.name} {verb} the invitation to apply to the pool",
                body=f"{locked.trust.name} {verb} the invitation to apply to {locked.framework.name}."
                + (f" Reason: {reason}" if reason else ""),
                url=locked.get_absolute_url(),
            )
    return locked


def recruitment_invitation_accept(*, invitation: RecruitmentInvitation, by: User) -> RecruitmentInvitation:
    """The trust's executive accepts; they go on to the pool application form."""
    return _answer(invitation, by, RecruitmentInvitation.Status.ACCEPTED)


def recruitment_invitation_decline(
    *, invitation: RecruitmentInvitation, by: User, reason: str
) -> RecruitmentInvitation:
    """The trust's executive declines, with a reason regulator staff can read."""
    if not reason.strip():
        raise RecruitmentError("Say why the trust declines", field="reason")
    return _answer(invitation, by, RecruitmentInvitation.Status.DECLINED, reason.strip())


def application_url(invitation: RecruitmentInvitation) -> str:
    return reverse("matching:application-create", kwargs={"pk": invitation.framework_id})
