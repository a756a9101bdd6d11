"""Pool readiness: if several more trusts entered special measures at once, how many could the pool serve well?

Monte Carlo over scenarios. A scenario is a draw, without replacement and uniformly, of `size` trusts from those at
risk (oversight segments 3-5 or in recovery), each with its recorded needs or, where none are recorded, a need set
drawn from past arrangements. Each scenario is allocated by the wave allocator (`wave.allocate_wave`, coverage
method, heuristic: maximum b-matching "serve first", then lazy greedy and local search; see README "Pool readiness")
over the pool members alone, every drawn trust treated as newly in special measures.

A need is *covered within the travel band* when a buddy the wave gives the trust is strong in its area (at the
covering strength, running the service) and its estimated journey is at most the band's longest travel time, or
when a current buddy already covers it. A trust is *served well* when every one of its needs is so covered.

Estimates are ratios of sums over scenarios (needs covered / needs drawn; trusts served well / trusts drawn), the
ratio of the expectations over all C(n, size) equally likely draws. Their standard errors treat each scenario as a
cluster (the trusts in one wave share the pool, so they are not independent): the delta method,
SE(R) = sqrt(sum_s (N_s - R D_s)^2 / (S (S - 1))) / mean(D). `exact_readiness` enumerates every draw of a small
case instead, for the tests. The same seed gives the same scenarios and so the same result; recruitment re-runs the
same scenarios with one candidate added (common random numbers), so a gain is a difference on identical draws.

Pure Python and NumPy; nothing here imports Django.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.engine.types import CandidatePool, EngineInputError, MatchSettings, Need, SupportedTrust
from matching.engine.wave import allocate_wave

SIZES_DEFAULT = (5, 11, 20)
DRAWS_DEFAULT = 200
# A share below this counts as the pool "running out" in an area or region.
READY_THRESHOLD = 0.9
# Two-sided 95% normal quantile, for the confidence intervals shown beside each share.
Z95 = 1.959963984540054

Progress = Callable[[float], None]


@dataclass(frozen=True)
class AtRiskTrust:
    """A trust that could enter special measures: its engine view (recorded needs, possibly none) and region."""

    trust: SupportedTrust
    region: str = ""


@dataclass(frozen=True)
class Scenario:
    """One draw: `size` at-risk trusts (indices into the at-risk list) and the needs each is matched on."""

    size: int
    members: tuple[int, ...]
    needs: tuple[tuple[Need, ...], ...]  # per member: recorded, or drawn from past arrangements


@dataclass(frozen=True)
class Share:
    """A ratio estimate with its standard error and 95% confidence interval (None where nothing was drawn)."""

    estimate: float | None
    standard_error: float | None
    numerator: int
    denominator: int

    @property
    def low(self) -> float | None:
        if self.estimate is None or self.standard_error is None:
            return None
        return max(0.0, self.estimate - Z95 * self.standard_error)

    @property
    def high(self) -> float | None:
        if self.estimate is None or self.standard_error is None:
            return None
        return min(1.0, self.estimate + Z95 * self.standard_error)


@dataclass(frozen=True)
class SizeResult:
    size: int  # trusts per scenario (at most the number at risk)
    scenarios: int
    served_well: Share  # trusts served well / trusts drawn
    needs_covered: Share  # needs covered within the band / needs drawn
    by_area: Mapping[str, Share]
    by_region: Mapping[str, Share]  # trusts served well / trusts drawn, by the trust's region


@dataclass(frozen=True)
class ReadinessResult:
    sizes: tuple[SizeResult, ...]
    runs_out_first: tuple[str, ...]  # areas, the one the pool runs out in first leading
    regions_run_out_first: tuple[str, ...]
    readiness: Share  # trusts served well / trusts drawn, over every scenario of every size
    seed: int
    draws: int
    at_risk: int  # at-risk trusts drawn from
    left_out: tuple[str, ...]  # at-risk trusts with no needs recorded and no past arrangements to draw from
    waves_run: int  # distinct scenarios allocated (repeated draws are allocated once)


@dataclass(frozen=True)
class _Tally:
    """Per scenario counts: needs covered / drawn per area, trusts served well / drawn per region."""

    area_covered: dict[str, int]
    area_drawn: dict[str, int]
    region_well: dict[str, int]
    region_drawn: dict[str, int]


def draw_scenarios(
    at_risk: Sequence[AtRiskTrust],
    need_library: Sequence[tuple[Need, ...]],
    *,
    sizes: Sequence[int] = SIZES_DEFAULT,
    draws: int = DRAWS_DEFAULT,
    seed: int = 0,
) -> tuple[list[Scenario], tuple[str, ...]]:
    """`draws` scenarios of each size, reproducible from `seed` (NumPy's default Generator).

    A trust with no recorded needs gets a need set drawn uniformly from `need_library` (past arrangements) each time
    it is drawn; with an empty library it cannot be matched and is left out (returned, by ODS code). A size larger
    than the number of trusts at risk is cut to that number.
    """
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 2:
        raise EngineInputError("Simulate at least 2 scenarios per size, so that a standard error can be given")
    if not sizes or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in sizes):
        raise EngineInputError("Each scenario size must be a whole number of trusts, 1 or more")
    usable = [i for i, item in enumerate(at_risk) if item.trust.needs or need_library]
    left_out = tuple(item.trust.ods_code for item in at_risk if not (item.trust.needs or need_library))
    if not usable:
        raise EngineInputError("No trust at risk has needs recorded, and no past arrangement gives needs to draw from")
    rng = np.random.default_rng(seed)
    scenarios = []
    for size in sizes:
        size = min(size, len(usable))
        for _ in range(draws):
            chosen = sorted(int(usable[i]) for i in rng.choice(len(usable), size=size, replace=False))
            needs = []
            for index in chosen:
                recorded = at_risk[index].trust.needs
                needs.append(recorded if recorded else need_library[int(rng.integers(len(need_library)))])
            scenarios.append(Scenario(size=size, members=tuple(chosen), needs=tuple(needs)))
    return scenarios, left_out


def all_scenarios(at_risk: Sequence[AtRiskTrust], size: int) -> list[Scenario]:
    """Every draw of `size` trusts (their recorded needs), each once: the exact enumeration for small cases."""
    return [
        Scenario(size=size, members=combo, needs=tuple(at_risk[i].trust.needs for i in combo))
        for combo in itertools.combinations(range(len(at_risk)), size)
    ]


def pool_members_only(pool: CandidatePool, *, also: Sequence[str] = ()) -> CandidatePool:
    """The pool's members (and the trusts named in `also`, as if accredited), as a pool of their own.

    The simulation matches pool members only, so dropping everyone else changes no result and makes each wave
    allocation score tens of candidates, not the whole registry.
    """
    keep = np.asarray(pool.pool_member, dtype=bool).copy()
    if also:
        keep |= np.isin(pool.ods_codes, list(also))
    rows = np.flatnonzero(keep)
    n = len(pool)
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(pool):
        value = getattr(pool, field.name)
        if isinstance(value, np.ndarray) and value.shape[:1] == (n,):
            changes[field.name] = value[rows]
    changes["pool_member"] = np.ones(rows.size, dtype=bool)
    return dataclasses.replace(pool, **changes)


def evaluate_scenarios(
    pool: CandidatePool,
    at_risk: Sequence[AtRiskTrust],
    scenarios: Sequence[Scenario],
    settings: MatchSettings | None = None,
    *,
    k: int = 3,
    progress: Progress | None = None,
) -> list[_Tally]:
    """Allocate every scenario with the wave allocator over the pool's members; one tally per scenario.

    Identical scenarios (the same trusts with the same needs) are allocated once.
    """
    settings = dataclasses.replace(settings or MatchSettings(), pool_only=True)
    settings.validate()
    members = pool_members_only(pool)
    column = {area: j for j, area in enumerate(members.areas)}
    covering = (members.strength >= settings.covers_at) & members.eligible
    row_of = {str(code): i for i, code in enumerate(members.ods_codes.tolist())}
    max_minutes = settings.geography.max_minutes
    report = progress or (lambda fraction: None)
    memo: dict[tuple[tuple[int, ...], tuple[tuple[Need, ...], ...]], _Tally] = {}
    tallies = []
    step = max(1, len(scenarios) // 50)
    for number, scenario in enumerate(scenarios):
        key = (scenario.members, scenario.needs)
        tally = memo.get(key)
        if tally is None:
            tally = memo[key] = _allocate(
                members, at_risk, scenario, settings, k, column, covering, row_of, max_minutes
            )
        tallies.append(tally)
        if (number + 1) % step == 0:
            report((number + 1) / len(scenarios))
    report(1.0)
    return tallies


def _allocate(
    members: CandidatePool,
    at_risk: Sequence[AtRiskTrust],
    scenario: Scenario,
    settings: MatchSettings,
    k: int,
    column: Mapping[str, int],
    covering: npt.NDArray[np.bool_],
    row_of: Mapping[str, int],
    max_minutes: float,
) -> _Tally:
    trusts = [
        dataclasses.replace(at_risk[i].trust, needs=needs, in_special_measures=True)
        for i, needs in zip(scenario.members, scenario.needs, strict=True)
    ]
    area_covered: dict[str, int] = {}
    area_drawn: dict[str, int] = {}
    region_well: dict[str, int] = {}
    region_drawn: dict[str, int] = {}
    if len(members):
        result = allocate_wave(trusts, members, settings, k=k, exact=False)
        allocations = result.allocations
    else:
        allocations = ()
    by_code = {allocation.supported: allocation for allocation in allocations}
    for index, trust in zip(scenario.members, trusts, strict=True):
        allocation = by_code.get(trust.ods_code)
        reachable = [
            row_of[m.ods_code]
            for m in (allocation.members if allocation else ())
            if m.ods_code in row_of and m.travel_minutes <= max_minutes
        ]
        existing = set(allocation.met_by_existing) if allocation else set()
        well = True
        for need in trust.needs:
            j = column.get(need.area)
            covered = need.area in existing or (j is not None and any(covering[row, j] for row in reachable))
            area_drawn[need.area] = area_drawn.get(need.area, 0) + 1
            area_covered[need.area] = area_covered.get(need.area, 0) + int(covered)
            well = well and covered
        region = at_risk[index].region
        region_drawn[region] = region_drawn.get(region, 0) + 1
        region_well[region] = region_well.get(region, 0) + int(well)
    return _Tally(area_covered, area_drawn, region_well, region_drawn)


def ratio_share(numerators: Sequence[int], denominators: Sequence[int]) -> Share:
    """sum(N) / sum(D) with the cluster (delta-method) standard error over scenarios; see the module docstring."""
    n = np.asarray(numerators, dtype=np.float64)
    d = np.asarray(denominators, dtype=np.float64)
    total = float(d.sum())
    if total == 0:
        return Share(None, None, int(n.sum()), 0)
    ratio = float(n.sum()) / total
    s = d.size
    if s < 2:
        return Share(ratio, None, int(n.sum()), int(total))
    residual = n - ratio * d
    variance = float((residual**2).sum()) / (s * (s - 1)) / (total / s) ** 2
    return Share(ratio, math.sqrt(variance), int(n.sum()), int(total))


def summarise(
    at_risk: Sequence[AtRiskTrust],
    scenarios: Sequence[Scenario],
    tallies: Sequence[_Tally],
    *,
    seed: int,
    draws: int,
    left_out: Sequence[str] = (),
) -> ReadinessResult:
    """Shares per size, area and region, and the order in which areas and regions run out."""
    sizes = []
    for size in sorted({scenario.size for scenario in scenarios}):
        picked = [t for scenario, t in zip(scenarios, tallies, strict=True) if scenario.size == size]
        areas = sorted({a for t in picked for a in t.area_drawn})
        regions = sorted({r for t in picked for r in t.region_drawn})
        sizes.append(
            SizeResult(
                size=size,
                scenarios=len(picked),
                served_well=ratio_share(
                    [sum(t.region_well.values()) for t in picked], [sum(t.region_drawn.values()) for t in picked]
                ),
                needs_covered=ratio_share(
                    [sum(t.area_covered.values()) for t in picked], [sum(t.area_drawn.values()) for t in picked]
                ),
                by_area={
                    a: ratio_share([t.area_covered.get(a, 0) for t in picked], [t.area_drawn.get(a, 0) for t in picked])
                    for a in areas
                },
                by_region={
                    r: ratio_share(
                        [t.region_well.get(r, 0) for t in picked], [t.region_drawn.get(r, 0) for t in picked]
                    )
                    for r in regions
                },
            )
        )
    return ReadinessResult(
        sizes=tuple(sizes),
        runs_out_first=run_out_order(sizes, "by_area"),
        regions_run_out_first=run_out_order(sizes, "by_region"),
        readiness=ratio_share(
            [sum(t.region_well.values()) for t in tallies], [sum(t.region_drawn.values()) for t in tallies]
        ),
        seed=seed,
        draws=draws,
        at_risk=len(at_risk),
        left_out=tuple(left_out),
        waves_run=len({(s.members, s.needs) for s in scenarios}),
    )


def run_out_order(sizes: Sequence[SizeResult], attribute: str) -> tuple[str, ...]:
    """Areas (or regions) that fall below READY_THRESHOLD, the one falling at the smallest wave first (ties: the
    lower share in the largest wave, then the name). Those never below it are not listed."""
    keys: dict[str, tuple[float, float, str]] = {}
    largest = sizes[-1] if sizes else None
    for result in sizes:
        for name, share in getattr(result, attribute).items():
            if share.estimate is not None and share.estimate < READY_THRESHOLD and name not in keys:
                last = getattr(largest, attribute).get(name) if largest else None
                keys[name] = (result.size, last.estimate if last and last.estimate is not None else 1.0, name)
    return tuple(sorted(keys, key=keys.__getitem__))


def simulate_readiness(
    pool: CandidatePool,
    at_risk: Sequence[AtRiskTrust],
    need_library: Sequence[tuple[Need, ...]] = (),
    settings: MatchSettings | None = None,
    *,
    sizes: Sequence[int] = SIZES_DEFAULT,
    draws: int = DRAWS_DEFAULT,
    seed: int = 0,
    k: int = 3,
    progress: Progress | None = None,
) -> ReadinessResult:
    """Readiness of the pool's members for `draws` scenarios of each size (see the module docstring)."""
    scenarios, left_out = draw_scenarios(at_risk, need_library, sizes=sizes, draws=draws, seed=seed)
    tallies = evaluate_scenarios(pool, at_risk, scenarios, settings, k=k, progress=progress)
    return summarise(at_risk, scenarios, tallies, seed=seed, draws=draws, left_out=left_out)


def exact_readiness(
    pool: CandidatePool,
    at_risk: Sequence[AtRiskTrust],
    size: int,
    settings: MatchSettings | None = None,
    *,
    k: int = 3,
) -> ReadinessResult:
    """The readiness over every draw of `size` trusts (recorded needs only): what the simulation estimates."""
    if any(not item.trust.needs for item in at_risk):
        raise EngineInputError("The exact enumeration needs every trust's needs recorded")
    scenarios = all_scenarios(at_risk, size)
    tallies = evaluate_scenarios(pool, at_risk, scenarios, settings, k=k)
    return summarise(at_risk, scenarios, tallies, seed=0, draws=len(scenarios))


# --- recruitment: the marginal gain of one more member -----------------------------------------------------------


@dataclass(frozen=True)
class RecruitmentGain:
    """What adding one trust to the pool does to readiness, on the same scenarios (common random numbers)."""

    ods_code: str
    gain: Share  # change in trusts served well / trusts drawn (estimate may be negative; SE of paired differences)
    readiness_with: float
    area_gains: Mapping[str, float]  # change in the covered share of each area's needs
    region_gains: Mapping[str, float]  # change in the served-well share of each region's trusts


def recruitment_gains(
    pool: CandidatePool,
    at_risk: Sequence[AtRiskTrust],
    scenarios: Sequence[Scenario],
    candidates: Sequence[str],
    settings: MatchSettings | None = None,
    *,
    k: int = 3,
    progress: Progress | None = None,
) -> tuple[ReadinessResult, list[RecruitmentGain]]:
    """The baseline on `scenarios`, and for each candidate (a trust in `pool`, not a member) the readiness with it
    added as a member, on the very same scenarios. Gains are ranked best first (ties: ODS code)."""
    report = progress or (lambda fraction: None)
    parts = len(candidates) + 1

    def part(index: int) -> Progress:
        return lambda fraction: report((index + fraction) / parts)

    base = evaluate_scenarios(pool, at_risk, scenarios, settings, k=k, progress=part(0))
    baseline = summarise(at_risk, scenarios, base, seed=0, draws=len(scenarios))
    codes = set(pool.ods_codes.tolist())
    gains = []
    for index, code in enumerate(candidates, start=1):
        if code not in codes:
            raise EngineInputError(f"{code} is not in the registry's matching data")
        grown = pool_members_only(pool, also=[code])
        tallies = evaluate_scenarios(grown, at_risk, scenarios, settings, k=k, progress=part(index))
        gains.append(_gain(code, base, tallies))
    gains.sort(key=lambda g: (-(g.gain.estimate or 0.0), g.ods_code))
    report(1.0)
    return baseline, gains


def _gain(code: str, base: Sequence[_Tally], grown: Sequence[_Tally]) -> RecruitmentGain:
    drawn = [sum(t.region_drawn.values()) for t in base]
    difference = [sum(g.region_well.values()) - sum(b.region_well.values()) for b, g in zip(base, grown, strict=True)]
    gain = ratio_share(difference, drawn)
    total = sum(drawn)

    def change(covered: str, drawn_attr: str) -> dict[str, float]:
        names = {name for t in base for name in getattr(t, drawn_attr)}
        out = {}
        for name in sorted(names):
            denominator = sum(getattr(t, drawn_attr).get(name, 0) for t in base)
            delta = sum(
                getattr(g, covered).get(name, 0) - getattr(b, covered).get(name, 0)
                for b, g in zip(base, grown, strict=True)
            )
            if denominator:
                out[name] = delta / denominator
        return out

    with_share = sum(sum(g.region_well.values()) for g in grown) / total if total else 0.0
    return RecruitmentGain(
        ods_code=code,
        gain=gain,
        readiness_with=with_share,
        area_gains=change("area_covered", "area_drawn"),
        region_gains=change("region_well", "region_drawn"),
    )
