"""Issue-specific buddying: a small team of buddies, each leading on the needs it is strongest in.

The 2014 review found some trusts would rather have several expert buddies, each an acknowledged leader in one
area, than a single buddy that is not. A team is valued by how well its best member covers each need:

    v[c, a] = w_a x q[c, a] x m_c        objective(T) = sum over needs a of max over c in T of v[c, a]

where w_a is the need's share of the priorities, q[c, a] the candidate's strength / 5 where it covers the need
(strength at least MatchSettings.covers_at, and it runs the service; else 0), zero beyond the overnight limit where
a nearer eligible trust covers the need, and m_c its match on the other four criteria (weights renormalised
without expertise). The objective is a monotone submodular (max-coverage) function, so greedy is a good start;
swaps then polish it, and the exact optimum comes from a small mixed-integer program solved by HiGHS.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from matching.engine.scoring import PoolScores, PreparedPool, prepare_pool, score_prepared, validate_supported
from matching.engine.types import (
    BAND_OVERNIGHT,
    CandidatePool,
    EngineInputError,
    MatchSettings,
    SupportedTrust,
    Team,
    TeamMember,
    TeamResult,
)

FloatArray = npt.NDArray[np.float64]
IntpArray = npt.NDArray[np.intp]

GAIN_EPSILON = 1e-12  # a marginal gain at or below this is no gain
MEMBER_PENALTY = 1e-6  # per buddy in the exact objective: on ties, fewer buddies
MAX_SWAP_ROUNDS = 50
MILP_TIME_LIMIT_S = 20.0
HEURISTIC_METHOD = "greedy with swaps"
# The review saw several buddies each cover one area; three keeps a team small enough to coordinate.
TEAM_SIZE_DEFAULT = 3


def build_team(
    supported: SupportedTrust,
    pool: CandidatePool,
    settings: MatchSettings | None = None,
    k: int = TEAM_SIZE_DEFAULT,
    exact: bool = True,
    prune_to: int = 400,
) -> TeamResult:
    """Choose up to `k` buddies for `supported` that together cover its needs best, each leading on some needs.

    The heuristic (greedy on marginal gain, then swaps) always runs; `heuristic_ms` is the time to score the pool
    and build it. With `exact`, HiGHS solves the team problem as a MILP over the candidates that could belong to an
    optimal team: every candidate with positive value except those beaten on every need by at least k others
    (such a candidate can always be swapped for one of them; see `prune_for_exact`). That set is typically 10-100
    candidates at 2,000 and up to a few hundred at 200,000, and the MILP then proves the optimum over the whole
    pool. If more than `prune_to` remain, the MILP runs over the `prune_to` best (union over needs of the top by v,
    round-robin, always including the heuristic's team) and the exact team's method says it was not proven optimal
    over the whole pool. `gap` = (exact - heuristic) / exact objective.
    """
    settings = settings or MatchSettings()
    settings.validate()
    _check_k(k)
    if isinstance(prune_to, bool) or not isinstance(prune_to, int) or prune_to < k:
        raise EngineInputError("The number of candidates kept for the exact team must be at least the team size")
    started = time.perf_counter()
    prep = prepare_pool(pool)
    scores = score_prepared(supported, prep, settings, validate_supported(supported, prep))
    values = scores.need_values()
    rows = team_heuristic(values, prep.ods_rank, k)
    heuristic = describe_team(scores, values, prep, rows, HEURISTIC_METHOD)
    heuristic_ms = (time.perf_counter() - started) * 1000.0
    if not exact:
        return TeamResult(
            supported=supported.ods_code,
            heuristic=heuristic,
            exact=None,
            gap=None,
            heuristic_ms=heuristic_ms,
            exact_ms=None,
        )
    started = time.perf_counter()
    exact_rows, method = team_exact(values, scores.effective_coverage, prep.ods_rank, k, rows, prune_to)
    exact_team = describe_team(scores, values, prep, exact_rows, method)
    exact_ms = (time.perf_counter() - started) * 1000.0
    gap = 0.0
    if exact_team.objective > 0:
        # A hair below 0 only when the exact team is smaller at an equal objective (the per-buddy penalty).
        gap = max(0.0, (exact_team.objective - heuristic.objective) / exact_team.objective)
    return TeamResult(
        supported=supported.ods_code,
        heuristic=heuristic,
        exact=exact_team,
        gap=gap,
        heuristic_ms=heuristic_ms,
        exact_ms=exact_ms,
    )


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise EngineInputError("The number of buddies per trust must be a whole number of 1 or more")


def team_objective(values: FloatArray, rows: list[int] | IntpArray) -> float:
    """Sum over needs of the best member's value."""
    if len(rows) == 0:
        return 0.0
    return float(values[np.asarray(rows)].max(axis=0).sum())


def team_heuristic(values: FloatArray, ods_rank: npt.NDArray[np.int64], k: int) -> list[int]:
    """Rows of a good team: greedy on marginal gain (ties to the lower ODS code), then best-improvement swaps.

    Greedy's first pick is the best single buddy and every later step only adds value, so the team is never worse
    than any single buddy. Members left leading on no need are dropped (fewer buddies at the same value).
    """
    useful = np.flatnonzero(values.max(axis=1) > 0) if values.shape[1] else np.empty(0, dtype=np.intp)
    if useful.size == 0:
        return []
    v = values[useful]
    rank = ods_rank[useful]
    team: list[int] = []  # positions in `useful`
    best = np.zeros(v.shape[1], dtype=np.float64)
    _greedy_fill(v, rank, team, best, k)
    for _ in range(MAX_SWAP_ROUNDS):
        if not _best_swap(v, rank, team):
            break
        best = v[team].max(axis=0)
        _greedy_fill(v, rank, team, best, k)
    team = _drop_idle(v, team)
    return [int(useful[i]) for i in team]


def _greedy_fill(v: FloatArray, rank: npt.NDArray[np.int64], team: list[int], best: FloatArray, k: int) -> None:
    while len(team) < k:
        gains = np.maximum(v - best, 0.0).sum(axis=1)
        gains[team] = -1.0
        top = float(gains.max())
        if top <= GAIN_EPSILON:
            return
        pick = _lowest_rank(np.flatnonzero(gains == top), rank)
        team.append(pick)
        np.maximum(best, v[pick], out=best)


def _best_swap(v: FloatArray, rank: npt.NDArray[np.int64], team: list[int]) -> bool:
    """Apply the best improving swap of one member for a non-member, if any."""
    current = float(v[team].max(axis=0).sum())
    best_gain = GAIN_EPSILON
    best_move: tuple[int, int] | None = None
    for i in range(len(team)):
        others = team[:i] + team[i + 1 :]
        base = v[others].max(axis=0) if others else np.zeros(v.shape[1])
        totals = np.maximum(v, base).sum(axis=1)
        totals[team] = -np.inf
        top = float(totals.max())
        if top - current > best_gain:
            best_gain = top - current
            best_move = (i, _lowest_rank(np.flatnonzero(totals == top), rank))
    if best_move is None:
        return False
    team[best_move[0]] = best_move[1]
    return True


def _drop_idle(v: FloatArray, team: list[int]) -> list[int]:
    """Drop members that lead on no need, keeping the objective."""
    if len(team) <= 1:
        return team
    leaders = set(_leaders(v[team]).tolist())
    return [member for i, member in enumerate(team) if i in leaders]


def _leaders(member_values: FloatArray) -> IntpArray:
    """For each need, the position of the member leading on it (first on ties); -1 where no member has value."""
    lead = np.argmax(member_values, axis=0)
    best = member_values.max(axis=0) if member_values.shape[0] else np.zeros(member_values.shape[1])
    result: IntpArray = np.where(best > 0, lead, -1)
    return result


def _lowest_rank(candidates: IntpArray, rank: npt.NDArray[np.int64]) -> int:
    return int(candidates[np.argmin(rank[candidates])])


def prune_for_exact(
    values: FloatArray, quality: FloatArray, ods_rank: npt.NDArray[np.int64], dominators_needed: int
) -> IntpArray:
    """Rows that could belong to an optimal allocation: positive value and dominated by fewer than
    `dominators_needed` others. Exact: an optimum always survives.

    Candidate d dominates c when v[d] >= v[c] on every need and (v[d] != v[c] or d's ODS code comes first): a strict
    order. If c sits in an optimal team and at least `dominators_needed` candidates (one more than the most buddies
    any solution can use besides c) dominate it, one of them is unused and can replace c without loss; repeating
    this ends, because each swap moves up the strict order. So dropping such candidates keeps an optimum.

    First, candidates with the same quality row q[c] have values proportional to their match m_c, so within each
    group only the best `dominators_needed` can survive; the others are counted exactly in `_count_dominators`.
    """
    if values.shape[1] == 0:
        return np.empty(0, dtype=np.intp)
    useful = np.flatnonzero(values.max(axis=1) > 0)
    if useful.size <= dominators_needed:
        return useful
    _, group = np.unique(quality[useful], axis=0, return_inverse=True)
    group = group.reshape(-1)
    # Within a group the value rows are ordered on every need at once (float rounding is monotone), so sorting them
    # lexicographically, best first and then by ODS, puts each candidate after exactly the members dominating it.
    v = values[useful]
    order = np.lexsort((ods_rank[useful], *(-v[:, a] for a in reversed(range(v.shape[1]))), group))
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    position = np.arange(order.size) - np.repeat(starts, np.diff(np.r_[starts, order.size]))
    candidates = useful[order[position < dominators_needed]]
    count = _count_dominators(values[candidates], ods_rank[candidates])
    kept: IntpArray = np.sort(candidates[count < dominators_needed])
    return kept


def _count_dominators(v: FloatArray, rank: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """For each row of v, how many other rows dominate it (>= on every column, and different or earlier by rank).

    Bitsets: for each column, the rows with a value at least row c's form a prefix of that column's descending order;
    the rows >= c on every column are the AND of those prefixes, counted with a popcount. About ten times faster than
    comparing every pair on every column, and exact (only float comparisons of the values themselves).
    """
    p, m = v.shape
    positions = np.empty((m, p), dtype=np.int64)
    last = np.empty((m, p), dtype=np.int64)
    for a in range(m):
        order = np.argsort(-v[:, a], kind="stable")
        positions[a, order] = np.arange(p)
        descending = -v[order, a]
        last[a] = np.searchsorted(descending, -v[:, a], side="right") - 1
    count = np.empty(p, dtype=np.int64)
    block = max(1, 4_000_000 // p)  # bound the (block, p) boolean temporaries
    for start in range(0, p, block):
        stop = min(start + block, p)
        bits = np.packbits(positions[0][None, :] <= last[0, start:stop, None], axis=1)
        for a in range(1, m):
            bits &= np.packbits(positions[a][None, :] <= last[a, start:stop, None], axis=1)
        count[start:stop] = np.bitwise_count(bits).sum(axis=1, dtype=np.int64)
    # The AND counts the row itself and rows equal to it; of those, only equal rows earlier by rank dominate it.
    _, same, sizes = np.unique(v, axis=0, return_inverse=True, return_counts=True)
    same = same.reshape(-1)
    order = np.lexsort((rank, same))
    earlier = np.empty(p, dtype=np.int64)
    group_start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    earlier[order] = np.arange(p) - group_start[same[order]]
    result: npt.NDArray[np.int64] = count - sizes[same] + earlier
    return result


def team_exact(
    values: FloatArray,
    quality: FloatArray,
    ods_rank: npt.NDArray[np.int64],
    k: int,
    heuristic_rows: list[int],
    prune_to: int,
) -> tuple[list[int], str]:
    """The best team by MILP (HiGHS) over the pruned candidates; returns its rows and a method description."""
    kept = prune_for_exact(values, quality, ods_rank, k)
    proven_whole_pool = kept.size <= prune_to
    if not proven_whole_pool:
        kept = _round_robin(values, kept, heuristic_rows, prune_to)
    else:
        kept = np.union1d(kept, np.asarray(heuristic_rows, dtype=np.intp))
    if kept.size == 0:
        return [], "exact (HiGHS)"
    v = values[kept]
    chosen, optimal = solve_team_milp(v, k)
    rows = [int(kept[i]) for i in chosen]
    if not optimal:
        return rows, "best found by HiGHS within its time limit (not proven optimal)"
    if proven_whole_pool:
        return rows, "exact (HiGHS)"
    return rows, f"exact (HiGHS) over the {kept.size} most promising candidates, not proven over the whole pool"


def _round_robin(values: FloatArray, kept: IntpArray, heuristic_rows: list[int], limit: int) -> IntpArray:
    orders = [kept[np.argsort(-values[kept, a], kind="stable")] for a in range(values.shape[1])]
    chosen: list[int] = list(dict.fromkeys(heuristic_rows))
    seen = set(chosen)
    depth = 0
    while len(chosen) < limit and depth < kept.size:
        for order in orders:
            row = int(order[depth])
            if row not in seen and values[row].max() > 0:
                seen.add(row)
                chosen.append(row)
                if len(chosen) >= limit:
                    break
        depth += 1
    return np.asarray(sorted(chosen), dtype=np.intp)


def solve_team_milp(v: FloatArray, k: int) -> tuple[list[int], bool]:
    """max sum v[c, a] y[c, a] - 1e-6 sum x[c]  s.t.  y[c, a] <= x[c], sum_c y[c, a] <= 1, sum_c x[c] <= k,
    x binary, y in [0, 1]. Returns the chosen positions and whether HiGHS proved optimality."""
    p, m = v.shape
    pair_c, pair_a = np.nonzero(v > 0)
    q = pair_c.size
    n_vars = p + q
    cost = np.concatenate([np.full(p, MEMBER_PENALTY), -v[pair_c, pair_a]])
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(q), -np.ones(q)]),
            (np.concatenate([np.arange(q), np.arange(q)]), np.concatenate([p + np.arange(q), pair_c])),
        ),
        shape=(q, n_vars),
    )
    need = sparse.csr_array((np.ones(q), (pair_a, p + np.arange(q))), shape=(m, n_vars))
    size = sparse.csr_array((np.ones(p), (np.zeros(p, dtype=np.intp), np.arange(p))), shape=(1, n_vars))
    constraints = [
        LinearConstraint(link, -np.inf, 0.0),
        LinearConstraint(need, -np.inf, 1.0),
        LinearConstraint(size, -np.inf, float(k)),
    ]
    result = milp(
        cost,
        constraints=constraints,
        integrality=np.concatenate([np.ones(p), np.zeros(q)]),
        bounds=Bounds(0.0, 1.0),
        options={"mip_rel_gap": 1e-9, "time_limit": MILP_TIME_LIMIT_S},
    )
    if result.x is None:
        return [], False
    chosen = [int(i) for i in np.flatnonzero(result.x[:p] > 0.5)]
    return chosen, bool(result.status == 0)


@dataclass(frozen=True)
class _Described:
    members: tuple[TeamMember, ...]
    objective: float
    coverage: float
    unmet: tuple[str, ...]


def describe_members(scores: PoolScores, values: FloatArray, prep: PreparedPool, rows: list[int]) -> _Described:
    """Members with the needs each leads on (the best value for the need; first by ODS on ties), ordered by number
    of needs led (most first) then ODS code, each with its distance, travel time, band and warnings; plus the
    objective, coverage and unmet needs."""
    ods = prep.ods
    rows = sorted(dict.fromkeys(rows), key=lambda r: ods[r])
    areas = scores.need_areas
    if rows:
        member_values = values[rows]
        leaders = _leaders(member_values).tolist()
        # What the team is credited for: a far member's strength in a need a nearer trust covers does not count.
        best_quality = scores.effective_coverage[rows].max(axis=0)
    else:
        member_values = np.zeros((0, len(areas)))
        leaders = [-1] * len(areas)
        best_quality = np.zeros(len(areas))
    led: dict[int, list[str]] = {i: [] for i in range(len(rows))}
    for a, leader in enumerate(leaders):
        if leader >= 0:
            led[leader].append(areas[a])
    members = sorted(
        (_member(scores, prep, row, tuple(led[i])) for i, row in enumerate(rows)),
        key=lambda member: (-len(member.assigned_needs), member.ods_code),
    )
    met = scores.met | (best_quality > 0)
    return _Described(
        members=tuple(members),
        objective=float(member_values.max(axis=0).sum()) if rows else 0.0,
        coverage=float(scores.need_weights @ np.where(scores.met, 1.0, best_quality)),
        unmet=tuple(area for a, area in enumerate(areas) if not met[a]),
    )


def _member(scores: PoolScores, prep: PreparedPool, row: int, needs: tuple[str, ...]) -> TeamMember:
    travel = float(scores.travel_minutes[row])
    band = scores.band.band_of(travel)
    warnings = []
    if band == BAND_OVERNIGHT:
        names = ", ".join(prep.label(area) for area in needs) or "its needs"
        warnings.append(
            f"Beyond {scores.band.max_minutes:g} minutes, so visits are likely to need an overnight stay: "
            f"chosen because no eligible trust within {scores.band.max_minutes:g} minutes covers {names}"
        )
    return TeamMember(
        ods_code=prep.ods[row],
        assigned_needs=needs,
        total=float(scores.total[row]),
        distance_km=float(scores.distance_km[row]),
        travel_minutes=travel,
        band=band,
        warnings=tuple(warnings),
        relationship=scores.relationship_reason(row),
    )


def describe_team(scores: PoolScores, values: FloatArray, prep: PreparedPool, rows: list[int], method: str) -> Team:
    described = describe_members(scores, values, prep, rows)
    return Team(
        members=described.members,
        objective=described.objective,
        coverage=described.coverage,
        unmet_needs=described.unmet,
        method=method,
        met_by_existing=tuple(area for area, met in zip(scores.need_areas, scores.met, strict=True) if met),
    )
