"""Allocate buddies to a whole wave of supported trusts at once, sharing the pool's limited capacity.

Three methods, all reported with the same coverage objective (sum over trusts and needs of the best member's
v = w_a x q x m_c, as in `team`) so they can be compared:

- "coverage" (team-aware): first serve as many trusts as possible with one useful buddy each, special measures
  first (`serve_first`, a maximum b-matching), then maximise the objective among allocations serving that many:
  a lazy greedy over (trust, buddy) marginal gains with a heap from that seed, local improvement (swaps with free
  buddies, trades of buddies between trusts), and a MILP (HiGHS) with the served counts as constraints, exact for
  waves of up to EXACT_TRUST_LIMIT trusts. `upper_bound` is a certified bound from the LP relaxation's dual.
- "assignment": the naive baseline, one buddy at a time: k rounds of a linear assignment of trusts to buddy places
  by pair total score, blind to overlapping expertise.
- "stable": many-to-many deferred acceptance (trusts propose, quota k; buddies hold up to their free places),
  pairwise stable: no trust and buddy would both rather be matched to each other. Iterative, no recursion.

A buddy is given to a trust at most once, to at most its free places (max - active) in all, and never where the
trust's own scoring excludes it.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linear_sum_assignment, linprog, milp

from matching.engine.scoring import (
    CULTURAL_FIT,
    EXPERTISE,
    PoolScores,
    PreparedPool,
    prepare_pool,
    score_prepared,
    validate_supported,
)
from matching.engine.team import GAIN_EPSILON, MEMBER_PENALTY, MILP_TIME_LIMIT_S, describe_members
from matching.engine.types import (
    CandidatePool,
    EngineInputError,
    MatchSettings,
    SupportedTrust,
    TrustAllocation,
    Unallocated,
    WaveResult,
)

FloatArray = npt.NDArray[np.float64]
IntpArray = npt.NDArray[np.intp]

METHODS = ("coverage", "assignment", "stable")
# exact=None solves waves of up to this many trusts to proven optimality; larger waves get the MILP within a time
# limit, kept only when it beats the heuristic (a wave is a background task, so seconds are affordable).
EXACT_TRUST_LIMIT = 60
LARGE_WAVE_TIME_LIMIT_S = 10.0
# Per trust, the coverage heuristic and the LP consider the best this-many buddies for each need and overall.
CANDIDATE_DEPTH = 25
MAX_IMPROVEMENT_ROUNDS = 30
_INFEASIBLE = 1e6  # cost of an impossible pair in the linear assignment

Progress = Callable[[float], None]


@dataclass(frozen=True, eq=False)
class _Scored:
    """One trust's scores against the pool, as the wave methods need them."""

    trust: SupportedTrust
    scores: PoolScores
    values: FloatArray  # (n, m): v, zero where excluded
    acceptable: npt.NDArray[np.bool_]  # (n,): not excluded for this trust


@dataclass(frozen=True)
class StablePreferences:
    """Preferences for the stable method, by ODS code: acceptable partners, best first, and quotas."""

    trusts: Mapping[str, tuple[str, ...]]
    buddies: Mapping[str, tuple[str, ...]]
    trust_quota: Mapping[str, int]
    buddy_quota: Mapping[str, int]


def allocate_wave(
    trusts: Sequence[SupportedTrust],
    pool: CandidatePool,
    settings: MatchSettings | None = None,
    k: int = 3,
    method: str = "coverage",
    exact: bool | None = None,
    progress: Progress | None = None,
) -> WaveResult:
    """Give each trust in the wave up to `k` buddies from `pool`, respecting every buddy's free places.

    `method` is "coverage" (team-aware, the default), "assignment" (one buddy at a time, the naive baseline) or
    "stable" (deferred acceptance); only "coverage" serves as many trusts as possible (special measures first) before
    maximising coverage, the other two are for comparison. For "coverage", `exact=None` solves to proven optimality
    by MILP when there are at most EXACT_TRUST_LIMIT trusts, and otherwise runs the MILP within
    LARGE_WAVE_TIME_LIMIT_S, keeping it when it beats the heuristic; `exact=True` forces the MILP with the full time
    limit; WaveResult.exact is True only when HiGHS proved optimality. `progress`, if given, is called a few times
    with the fraction done (0 to 1).
    Raises EngineInputError with one plain sentence for input the engine cannot use.

    Each trust's scores are kept for the whole run, about (10 + its needs) x 8 bytes per candidate per trust:
    16 MB for 100 trusts over 2,000 candidates, but 1.6 GB over 200,000 (not a size this was built for).
    """
    started = time.perf_counter()
    settings = settings or MatchSettings()
    settings.validate()
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise EngineInputError("The number of buddies per trust must be a whole number of 1 or more")
    if method not in METHODS:
        raise EngineInputError(f"The method must be one of {', '.join(METHODS)}, not {method!r}")
    if exact and method != "coverage":
        raise EngineInputError("Only the coverage method can be solved exactly")
    report = progress or (lambda fraction: None)
    report(0.0)
    prep = prepare_pool(pool)
    scored = _score_wave(trusts, prep, settings, report)
    seed, served_sm, served_all = serve_first(scored, prep)

    upper_bound: float | None = None
    proven = False
    if method == "coverage":
        teams = coverage_heuristic(scored, prep, k, seed)
        report(0.6)
        lagrangian = lagrangian_bound(scored, prep, k)
        report(0.7)
        small = len(scored) <= EXACT_TRUST_LIMIT
        if exact or exact is None:
            limit = MILP_TIME_LIMIT_S if exact or small else LARGE_WAVE_TIME_LIMIT_S
            exact_teams, proven = coverage_exact(
                scored, prep, k, teams, lagrangian, served=(served_sm, served_all), time_limit=limit
            )
            if proven or _objective(scored, exact_teams) > _objective(scored, teams):
                teams = exact_teams
        # The bound is valid by construction; max() only hides float rounding when it is tight.
        upper_bound = max(lagrangian.bound, _objective(scored, teams))
    elif method == "assignment":
        teams = assignment_rounds(scored, prep, k)
    else:
        teams = stable_matching(_preferences(scored, prep, k))
    report(0.9)

    allocations = []
    load: dict[str, int] = {}
    for item, team in zip(scored, teams, strict=True):
        described = describe_members(item.scores, item.values, prep, team)
        allocations.append(
            TrustAllocation(
                supported=item.trust.ods_code,
                members=described.members,
                coverage=described.coverage,
                unmet_needs=described.unmet,
                met_by_existing=tuple(a for a, met in zip(item.scores.need_areas, item.scores.met, strict=True) if met),
                reason="" if team else unserved_reason(item, prep, method),
            )
        )
        for row in team:
            load[prep.ods[row]] = load.get(prep.ods[row], 0) + 1
    result = WaveResult(
        method=method,
        allocations=tuple(allocations),
        objective=_objective(scored, teams),
        upper_bound=upper_bound,
        exact=proven,
        unallocated=tuple(Unallocated(ods_code=a.supported, reason=a.reason) for a in allocations if not a.members),
        load=dict(sorted(load.items())),
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
        served=sum(1 for team in teams if team),
        max_servable=served_all,
    )
    report(1.0)
    return result


def serve_first(scored: Sequence[_Scored], prep: PreparedPool) -> tuple[list[list[int]], int, int]:
    """One useful buddy for as many trusts as possible, those in special measures first: a maximum b-matching of
    trusts to buddies' free places (augmenting paths, each trust trying its best buddies first).

    Trusts in special measures are matched first and augmenting paths never unmatch a trust, so the result serves
    the most trusts in special measures possible and, among such results, the most trusts (the trusts a matching
    can serve form a matroid, so both maxima are reached at once). Returns each trust's seed team (one row or
    none), the number of trusts in special measures served and the number served.
    """
    order = sorted(range(len(scored)), key=lambda t: (not scored[t].trust.in_special_measures, t))
    options: list[list[int]] = []
    for item in scored:
        rows = (
            np.flatnonzero((item.values.max(axis=1) > 0) & (prep.slots > 0))
            if item.values.shape[1]
            else np.zeros(0, np.intp)
        )
        rows = np.asarray(rows, dtype=np.intp)
        ranking = np.lexsort((prep.ods_rank[rows], -item.values[rows].sum(axis=1))) if rows.size else rows
        options.append(rows[ranking].tolist())
    holders: dict[int, list[int]] = {}
    match: list[int | None] = [None] * len(scored)

    def augment(t: int, visited: set[int]) -> bool:
        for row in options[t]:
            if row in visited:
                continue
            visited.add(row)
            held = holders.setdefault(row, [])
            if len(held) < prep.slots[row]:
                held.append(t)
                match[t] = row
                return True
            for other in list(held):
                if augment(other, visited):
                    held.remove(other)
                    held.append(t)
                    match[t] = row
                    return True
        return False

    served_sm = served = 0
    for t in order:
        if augment(t, set()):
            served += 1
            served_sm += int(scored[t].trust.in_special_measures)
    return [[row] if row is not None else [] for row in match], served_sm, served


def unserved_reason(item: _Scored, prep: PreparedPool, method: str) -> str:
    """Why a trust in a wave was given no buddy, in one sentence a regulator can act on, true for the method used:
    only the coverage method serves as many trusts as possible."""
    scores = item.scores
    if scores.met.all():
        return "Its needs are already covered by its current buddies"
    if not (scores.coverage_t[~scores.met] > 0).any():
        if scores.met.any():
            return "No trust in the pool covers any of its needs not already met by its current buddies"
        return "No trust in the pool covers any of its needs at the covering strength"
    useful = item.values.max(axis=1) > 0
    if not useful.any():
        covering = (scores.coverage_t[~scores.met] > 0).any(axis=0) & (scores.excluded == 0)
        if covering.any():
            return (
                "The eligible trusts that cover its needs score nothing on the other criteria (their data is not "
                "known), so none could be chosen: complete their profiles or change the weights"
            )
        return "Every trust that covers its needs is excluded for it (see its shortlist for the reasons)"
    if not (prep.slots[useful] > 0).any():
        return "Every eligible trust that covers its needs has no free buddying place"
    if method != "coverage":
        return (
            "The trusts that could help it were given to other trusts in the wave: the "
            f"{method} method does not try to serve as many trusts as possible (the coverage method does)"
        )
    return (
        "The trusts that could help it were needed for other trusts in the wave: none can be given to it without "
        "leaving another trust with no buddy (the wave serves as many trusts as possible, special measures first)"
    )


def _score_wave(
    trusts: Sequence[SupportedTrust], prep: PreparedPool, settings: MatchSettings, report: Progress
) -> list[_Scored]:
    if len(trusts) == 0:
        raise EngineInputError("The wave has no trusts to match")
    seen: set[str] = set()
    for trust in trusts:
        if trust.ods_code in seen:
            raise EngineInputError(f"{trust.ods_code} appears more than once in the wave")
        seen.add(trust.ods_code)
    scored = []
    checkpoints = {len(trusts) * q // 4 for q in (1, 2, 3)}
    for i, trust in enumerate(trusts):
        scores = score_prepared(trust, prep, settings, validate_supported(trust, prep))
        scored.append(_Scored(trust=trust, scores=scores, values=scores.values, acceptable=scores.excluded == 0))
        if i + 1 in checkpoints:
            report(0.5 * (i + 1) / len(trusts))
    return scored


def _objective(scored: Sequence[_Scored], teams: Sequence[Sequence[int]]) -> float:
    return float(
        sum(item.values[list(team)].max(axis=0).sum() for item, team in zip(scored, teams, strict=True) if team)
    )


def _candidates(item: _Scored, depth: int) -> IntpArray:
    """The trust's best `depth` buddies for each need and by total value (acceptable, with some value)."""
    values = item.values
    useful = np.flatnonzero(values.max(axis=1) > 0) if values.shape[1] else np.empty(0, dtype=np.intp)
    if useful.size <= depth:
        return useful
    v = values[useful]
    chosen: set[int] = set()
    for column in (*v.T, v.sum(axis=1)):
        top = np.argpartition(-column, depth - 1)[:depth]
        chosen.update(int(useful[i]) for i in top if column[i] > 0)
    return np.fromiter(sorted(chosen), dtype=np.intp)


# --- coverage: heuristic -------------------------------------------------------------------------------------


def coverage_heuristic(
    scored: Sequence[_Scored], prep: PreparedPool, k: int, seed: Sequence[Sequence[int]] | None = None
) -> list[list[int]]:
    """From the seed (one buddy for as many trusts as can be served), lazy greedy on (trust, buddy) marginal gains,
    then local improvement. Returns each trust's rows. No move ever leaves a served trust without a buddy.

    Marginal gains only fall as a team grows (the objective is submodular), so a stale gain on the heap is an upper
    bound: a popped pair whose recomputed gain still beats the heap's top is the true best. Ties go to the earlier
    trust, then the lower ODS code.
    """
    slots = prep.slots.copy()
    candidates = [_candidates(item, CANDIDATE_DEPTH) for item in scored]
    teams: list[list[int]] = [list(team) for team in seed] if seed is not None else [[] for _ in scored]
    for t, team in enumerate(teams):
        for row in team:
            slots[row] -= 1
            if row not in candidates[t]:
                candidates[t] = np.union1d(candidates[t], [row]).astype(np.intp)
    values = [item.values[rows].tolist() for item, rows in zip(scored, candidates, strict=True)]
    best: list[list[float]] = [
        (item.values[team].max(axis=0).tolist() if team else [0.0] * item.values.shape[1])
        for item, team in zip(scored, teams, strict=True)
    ]
    rank = prep.ods_rank
    heap: list[tuple[float, int, int, int]] = []
    for t, (rows, vals) in enumerate(zip(candidates, values, strict=True)):
        for j, row in enumerate(rows.tolist()):
            heap.append((-sum(vals[j]), t, int(rank[row]), j))
    heapq.heapify(heap)
    while heap:
        entry = heapq.heappop(heap)
        _, t, r, j = entry
        row = int(candidates[t][j])
        if len(teams[t]) >= k or slots[row] <= 0 or row in teams[t]:
            continue
        gain = sum(max(x - b, 0.0) for x, b in zip(values[t][j], best[t], strict=True))
        if gain <= GAIN_EPSILON:
            continue
        fresh = (-gain, t, r, j)
        if heap and fresh > heap[0]:
            heapq.heappush(heap, fresh)
            continue
        teams[t].append(row)
        slots[row] -= 1
        best[t] = [max(x, b) for x, b in zip(values[t][j], best[t], strict=True)]
    _improve(scored, candidates, teams, slots, k)
    return teams


def _improve(
    scored: Sequence[_Scored],
    candidates: Sequence[IntpArray],
    teams: list[list[int]],
    slots: npt.NDArray[np.int64],
    k: int,
) -> None:
    """Local search until no move helps: add or swap in a buddy with a free place, or trade buddies between trusts."""
    state = _State(scored, teams, slots)
    for _ in range(MAX_IMPROVEMENT_ROUNDS):
        changed = False
        for t in range(len(scored)):
            while _best_single_move(state, candidates[t], t, k):
                changed = True
        for t in range(len(scored)):
            if _best_trade(state, candidates, t):
                changed = True
        if not changed:
            return


class _State:
    """Teams, free places and who holds whom during local search, with each trust's value rows as Python tuples
    (teams have at most k members and trusts a handful of needs, where plain Python beats NumPy's call overhead)."""

    def __init__(self, scored: Sequence[_Scored], teams: list[list[int]], slots: npt.NDArray[np.int64]) -> None:
        self.scored = scored
        self.teams = teams
        self.slots = slots
        self.holders: dict[int, list[int]] = {}
        for t, team in enumerate(teams):
            for row in team:
                self.holders.setdefault(row, []).append(t)
        self._rows: list[dict[int, tuple[float, ...]]] = [{} for _ in scored]

    def row(self, t: int, row: int) -> tuple[float, ...]:
        cache = self._rows[t]
        values = cache.get(row)
        if values is None:
            values = cache[row] = tuple(self.scored[t].values[row].tolist())
        return values

    def value(self, t: int, team: Sequence[int]) -> float:
        if not team:
            return 0.0
        return float(sum(max(column) for column in zip(*(self.row(t, r) for r in team), strict=True)))

    def base(self, t: int, team: Sequence[int]) -> FloatArray:
        """Per need, the best value among `team` (zeros for an empty team)."""
        width = self.scored[t].values.shape[1]
        if not team:
            return np.zeros(width)
        return np.array([max(column) for column in zip(*(self.row(t, r) for r in team), strict=True)])

    def move(self, t: int, old: int | None, new: int) -> None:
        """Trust t takes `new` (in place of `old`, if given), updating free places and holders."""
        team = self.teams[t]
        if old is None:
            team.append(new)
        else:
            team[team.index(old)] = new
            self.slots[old] += 1
            self.holders[old].remove(t)
        self.slots[new] -= 1
        self.holders.setdefault(new, []).append(t)


def _without(rows: IntpArray, team: Sequence[int]) -> npt.NDArray[np.bool_]:
    mask = np.ones(rows.size, dtype=bool)
    for member in team:
        mask &= rows != member
    return mask


def _best_single_move(state: _State, rows: IntpArray, t: int, k: int) -> bool:
    """Apply the best add or swap with a buddy that has a free place, if it improves this trust's value."""
    team = state.teams[t]
    free = rows[(state.slots[rows] > 0) & _without(rows, team)]
    if free.size == 0:
        return False
    v = state.scored[t].values[free]
    current = state.value(t, team)
    best_gain = GAIN_EPSILON
    move: tuple[int | None, int] | None = None  # (member to replace, or None to add; new row)
    options: list[tuple[int | None, list[int]]] = [(None, team)] if len(team) < k else []
    options += [(member, [r for r in team if r != member]) for member in team]
    for old, others in options:
        totals = np.maximum(v, state.base(t, others)).sum(axis=1)
        j = int(np.argmax(totals))
        if totals[j] - current > best_gain:
            best_gain, move = float(totals[j] - current), (old, int(free[j]))
    if move is None:
        return False
    state.move(t, move[0], move[1])
    return True


def _best_trade(state: _State, candidates: Sequence[IntpArray], t1: int) -> bool:
    """Apply the best trade of a buddy of t1 for a full buddy of another trust t2 (each takes the other's), if any
    improves the sum of the two trusts' values. Free places are unchanged by a trade."""
    team1 = state.teams[t1]
    if not team1:
        return False
    rows = candidates[t1]
    wanted = rows[(state.slots[rows] <= 0) & _without(rows, team1)]
    if wanted.size == 0:
        return False
    values1 = state.scored[t1].values[wanted]
    current1 = state.value(t1, team1)
    best_gain = GAIN_EPSILON
    trade: tuple[int, int, int] | None = None  # (t2, row1, row2)
    for row1 in team1:
        gains1 = np.maximum(values1, state.base(t1, [r for r in team1 if r != row1])).sum(axis=1) - current1
        for w in np.flatnonzero(gains1 > GAIN_EPSILON).tolist():
            row2 = int(wanted[w])
            for t2 in state.holders.get(row2, ()):
                team2 = state.teams[t2]
                # t2 must take a buddy useful to it, so a trade never leaves a served trust without real help.
                if t2 == t1 or row1 in team2 or max(state.row(t2, row1)) <= 0:
                    continue
                swapped = [row1 if r == row2 else r for r in team2]
                gain = float(gains1[w]) + state.value(t2, swapped) - state.value(t2, team2)
                if gain > best_gain:
                    best_gain, trade = gain, (t2, row1, row2)
    if trade is None:
        return False
    t2, row1, row2 = trade
    # A trade is two moves; the free places of both buddies end where they started.
    state.move(t1, row1, row2)
    state.move(t2, row2, row1)
    return True


# --- coverage: LP bound and exact MILP -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Model:
    """The wave's (MI)LP over per-trust candidate sets: variables x[t, c] then y[t, c, a]."""

    pair_trust: IntpArray  # per x variable
    pair_row: IntpArray
    y_pair: IntpArray  # per y variable: its x variable
    y_need: IntpArray  # per y variable: need index within the trust
    y_value: FloatArray
    need_offset: IntpArray  # first (t, a) constraint of each trust
    rows: IntpArray  # distinct candidate rows, one capacity constraint each
    row_position: IntpArray  # per x variable: index into `rows`
    a_ub: sparse.csr_array
    b_ub: FloatArray


def _build_model(values: Sequence[FloatArray], sets: Sequence[IntpArray], prep: PreparedPool, k: int) -> _Model:
    """The model over candidate rows `sets[t]` of each trust, with a y variable wherever values[t][c, a] > 0."""
    pair_trust = np.concatenate([np.full(s.size, t, dtype=np.intp) for t, s in enumerate(sets)])
    pair_row = np.concatenate(list(sets)) if sets else np.empty(0, dtype=np.intp)
    n_pairs = pair_row.size
    need_counts = np.array([v.shape[1] for v in values], dtype=np.intp)
    need_offset = np.concatenate([[0], np.cumsum(need_counts)[:-1]]).astype(np.intp)
    y_pair_parts, y_need_parts, y_value_parts = [], [], []
    start = 0
    for t, rows in enumerate(sets):
        v = values[t][rows]
        c, a = np.nonzero(v > 0)
        y_pair_parts.append(start + c)
        y_need_parts.append(a)
        y_value_parts.append(v[c, a])
        start += rows.size
    y_pair = np.concatenate(y_pair_parts).astype(np.intp)
    y_need = np.concatenate(y_need_parts).astype(np.intp)
    y_value = np.concatenate(y_value_parts)
    n_y = y_pair.size
    rows, row_position = np.unique(pair_row, return_inverse=True)
    n_vars = n_pairs + n_y
    y_index = n_pairs + np.arange(n_y)
    # y <= x
    link = sparse.csr_array(
        (
            np.concatenate([np.ones(n_y), -np.ones(n_y)]),
            (np.concatenate([np.arange(n_y), np.arange(n_y)]), np.concatenate([y_index, y_pair])),
        ),
        shape=(n_y, n_vars),
    )
    # sum over buddies of y[t, c, a] <= 1 for each trust's need
    need_row = need_offset[pair_trust[y_pair]] + y_need
    n_needs = int(need_counts.sum())
    need = sparse.csr_array((np.ones(n_y), (need_row, y_index)), shape=(n_needs, n_vars))
    # at most k buddies per trust
    team = sparse.csr_array((np.ones(n_pairs), (pair_trust, np.arange(n_pairs))), shape=(len(sets), n_vars))
    # at most its free places per buddy
    places = sparse.csr_array((np.ones(n_pairs), (row_position, np.arange(n_pairs))), shape=(rows.size, n_vars))
    a_ub = sparse.vstack([link, need, team, places], format="csr")
    b_ub = np.concatenate([np.zeros(n_y), np.ones(n_needs), np.full(len(sets), float(k)), prep.slots[rows]])
    return _Model(
        pair_trust=pair_trust,
        pair_row=pair_row,
        y_pair=y_pair,
        y_need=y_need,
        y_value=y_value,
        need_offset=need_offset,
        rows=rows,
        row_position=row_position.astype(np.intp),
        a_ub=a_ub,
        b_ub=b_ub.astype(np.float64),
    )


@dataclass(frozen=True)
class LagrangianBound:
    """Multipliers for the LP relaxation's constraints and what they certify.

    For any alpha (per trust-need), beta (per trust), gamma (per buddy), all >= 0, the Lagrangian dual

        D = sum alpha + k sum beta + sum_c places_c gamma_c + sum over acceptable (t, c) of max(0, rho[t, c]),
        rho[t, c] = sum_a max(0, v[t, c, a] - alpha[t, a]) - beta_t - gamma_c

    bounds the LP relaxation over the WHOLE pool, hence every feasible allocation (weak duality). Moreover an
    allocation that gives c to t is worth at most D - max(0, -rho[t, c]), which lets the exact solver drop pairs.
    """

    bound: float
    alpha: list[FloatArray]  # per trust, (m,)
    profits: list[FloatArray]  # rho per trust, (n,), -inf where the pair is excluded


def lagrangian_bound(scored: Sequence[_Scored], prep: PreparedPool, k: int) -> LagrangianBound:
    """The bound from HiGHS's duals of the LP relaxation on each trust's CANDIDATE_DEPTH best buddies per need.

    Solving the LP on those few candidates is fast; its duals are then evaluated over every acceptable pair, so
    pruning only loosens the bound (through the sum over the pairs left out), never invalidates it.
    """
    sets = [_candidates(item, CANDIDATE_DEPTH) for item in scored]
    alpha = [np.zeros(item.values.shape[1]) for item in scored]
    beta = np.zeros(len(scored))
    gamma = np.zeros(prep.n)
    if sum(s.size for s in sets) > 0:
        model = _build_model([item.values for item in scored], sets, prep, k)
        n_pairs = model.pair_row.size
        n_y = model.y_value.size
        n_needs = int(sum(a.size for a in alpha))
        cost = np.concatenate([np.zeros(n_pairs), -model.y_value])
        upper = np.concatenate([np.ones(n_pairs), np.full(n_y, np.inf)])
        result = linprog(
            cost,
            A_ub=model.a_ub,
            b_ub=model.b_ub,
            bounds=np.column_stack([np.zeros(cost.size), upper]),
            method="highs",
        )
        if result.status == 0:  # otherwise zero multipliers: still a valid (if loose) bound
            duals = np.maximum(-np.asarray(result.ineqlin.marginals), 0.0)
            need_duals = duals[n_y : n_y + n_needs]
            alpha = [need_duals[model.need_offset[t] : model.need_offset[t] + a.size] for t, a in enumerate(alpha)]
            beta = duals[n_y + n_needs : n_y + n_needs + len(scored)]
            gamma[model.rows] = duals[n_y + n_needs + len(scored) :]
    bound = float(sum(a.sum() for a in alpha) + k * beta.sum() + (prep.slots * gamma).sum())
    profits = []
    for t, item in enumerate(scored):
        rho = np.maximum(item.values - alpha[t], 0.0).sum(axis=1)
        rho -= beta[t]
        rho -= gamma
        rho[~item.acceptable] = -np.inf
        bound += float(np.maximum(rho, 0.0).sum())
        profits.append(rho)
    return LagrangianBound(bound=bound, alpha=alpha, profits=profits)


def coverage_exact(
    scored: Sequence[_Scored],
    prep: PreparedPool,
    k: int,
    heuristic: Sequence[Sequence[int]],
    lagrangian: LagrangianBound,
    served: tuple[int, int] = (0, 0),
    time_limit: float = MILP_TIME_LIMIT_S,
) -> tuple[list[list[int]], bool]:
    """The optimal allocation by MILP (HiGHS). Returns the teams and whether HiGHS proved optimality.

    Variables are dropped only where that provably cannot lose the optimum, so a proven optimum of the MILP is a
    proven optimum over the whole pool (reduced-cost fixing with the Lagrangian bound D, valid over the whole pool):
    a pair (t, c) with D - max(0, -rho[t, c]) below the heuristic's objective cannot be in any allocation at least
    as good; nor can c be credited for need a of t where D - (alpha[t, a] - v[t, c, a]) is below it; a pair left
    with no need it could be credited for adds nothing. The heuristic's pairs are always kept. With a tight bound
    this leaves a few candidates per trust, and HiGHS solves the rest quickly.

    `served` = (trusts in special measures served, trusts served) by `serve_first`: the MILP must serve at least as
    many of each (z_t <= sum of t's pairs, z_t in [0, 1]), so coverage is maximised only among allocations that
    serve the most trusts. The heuristic serves as many, so it is a feasible incumbent and the fixing stays valid.
    """
    incumbent = _objective(scored, heuristic)
    # The MILP also charges MEMBER_PENALTY per buddy (fewer buddies on ties), so its optimum may be worth up to that
    # much less than the heuristic's: widen the slack by it. Float rounding in D and rho is around 1e-15 relative.
    slack = lagrangian.bound - incumbent + MEMBER_PENALTY * k * len(scored) + 1e-9 * max(1.0, lagrangian.bound)
    sets = []
    values = []
    for item, team, alpha, rho in zip(scored, heuristic, lagrangian.alpha, lagrangian.profits, strict=True):
        # y[t, c, a] (c credited for need a) is dropped where v < alpha - slack: any allocation crediting it is
        # worth at most D - (alpha - v), less than the heuristic's.
        v = np.where(item.values >= alpha - slack, item.values, 0.0)
        members = np.asarray(team, dtype=np.intp)
        v[members] = item.values[members]
        keep = (rho >= -slack) & (v.max(axis=1) > 0) if v.shape[1] else rho > np.inf
        sets.append(np.union1d(np.flatnonzero(keep), members).astype(np.intp))
        values.append(v)
    if sum(s.size for s in sets) == 0:
        return [[] for _ in scored], True
    model = _build_model(values, sets, prep, k)
    n_pairs = model.pair_row.size
    n_y = model.y_value.size
    trusts = len(scored)
    n_vars = n_pairs + n_y + trusts
    z = n_pairs + n_y + np.arange(trusts)
    # z_t - sum of t's pairs <= 0; -sum z <= -served; -sum over trusts in special measures of z <= -served there.
    special = np.array([item.trust.in_special_measures for item in scored], dtype=bool)
    serve = sparse.csr_array(
        (
            np.concatenate([np.ones(trusts), -np.ones(n_pairs), -np.ones(trusts), -np.ones(int(special.sum()))]),
            (
                np.concatenate(
                    [
                        np.arange(trusts),
                        model.pair_trust,
                        np.full(trusts, trusts),
                        np.full(int(special.sum()), trusts + 1),
                    ]
                ),
                np.concatenate([z, np.arange(n_pairs), z, z[special]]),
            ),
        ),
        shape=(trusts + 2, n_vars),
    )
    a_ub = sparse.vstack(
        [sparse.hstack([model.a_ub, sparse.csr_array((model.a_ub.shape[0], trusts))], format="csr"), serve],
        format="csr",
    )
    b_ub = np.concatenate([model.b_ub, np.zeros(trusts), [-float(served[1]), -float(served[0])]])
    cost = np.concatenate([np.full(n_pairs, MEMBER_PENALTY), -model.y_value, np.zeros(trusts)])
    result = milp(
        cost,
        constraints=[LinearConstraint(a_ub, -np.inf, b_ub)],
        integrality=np.concatenate([np.ones(n_pairs), np.zeros(n_y + trusts)]),
        bounds=Bounds(0.0, 1.0),
        options={"mip_rel_gap": 1e-9, "time_limit": time_limit},
    )
    if result.x is None:
        return [list(team) for team in heuristic], False
    chosen = np.flatnonzero(result.x[:n_pairs] > 0.5)
    teams: list[list[int]] = [[] for _ in scored]
    for pair in chosen.tolist():
        teams[int(model.pair_trust[pair])].append(int(model.pair_row[pair]))
    return teams, bool(result.status == 0)


# --- assignment: one buddy at a time --------------------------------------------------------------------------


def assignment_rounds(scored: Sequence[_Scored], prep: PreparedPool, k: int) -> list[list[int]]:
    """k rounds; each a linear_sum_assignment of trusts to free buddy places maximising the pair total score.

    Blind to expertise overlap: a trust's second buddy may be strong in exactly what its first already covers.
    Excluded pairs and repeats are impossible; each buddy's free places are expanded into columns.
    """
    slots = prep.slots.copy()
    teams: list[list[int]] = [[] for _ in scored]
    acceptable_any = np.zeros(prep.n, dtype=bool)
    for item in scored:
        acceptable_any |= item.acceptable
    totals = np.stack([item.scores.total for item in scored])
    # Never a buddy that covers none of the trust's (unmet) needs.
    allowed = np.stack([item.acceptable & (item.values.max(axis=1) > 0) for item in scored])
    for _ in range(k):
        open_rows = np.flatnonzero(acceptable_any & (slots > 0))
        open_rows = open_rows[np.argsort(prep.ods_rank[open_rows], kind="stable")]
        columns = np.repeat(open_rows, slots[open_rows])
        if columns.size == 0:
            break
        cost = np.where(allowed[:, columns], -totals[:, columns], _INFEASIBLE)
        trust_idx, column_idx = linear_sum_assignment(cost)
        given = 0
        for t, col in zip(trust_idx.tolist(), column_idx.tolist(), strict=True):
            if cost[t, col] >= _INFEASIBLE:
                continue
            row = int(columns[col])
            teams[t].append(row)
            slots[row] -= 1
            allowed[t, row] = False  # never the same buddy twice
            given += 1
        if given == 0:
            break
    return teams


# --- stable: deferred acceptance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Preferences:
    trust_lists: list[list[int]]  # per trust: acceptable rows, best first
    buddy_rank: dict[int, dict[int, int]]  # row -> trust -> position in the buddy's list (lower is better)
    quota: npt.NDArray[np.int64]  # per row
    k: int
    ods: tuple[str, ...]
    trust_codes: list[str]


def _preferences(scored: Sequence[_Scored], prep: PreparedPool, k: int) -> _Preferences:
    """Trusts rank buddies by pair total score (ties: lower ODS first); buddies rank trusts by
    0.5 x cultural fit + 0.5 x expertise of the pair (ties: lower ODS first). Only non-excluded pairs count."""
    trust_lists = []
    for item in scored:
        # Only buddies that cover one of its (unmet) needs are acceptable: stability never hands out a useless one.
        rows = np.flatnonzero(item.acceptable & (item.values.max(axis=1) > 0))
        order = np.lexsort((prep.ods_rank[rows], -item.scores.total[rows]))
        trust_lists.append(rows[order].tolist())
    codes = [item.trust.ods_code for item in scored]
    trust_order = np.argsort(np.asarray(codes), kind="stable")
    trust_rank = np.empty(len(codes), dtype=np.int64)
    trust_rank[trust_order] = np.arange(len(codes))
    appreciation = np.stack(
        [0.5 * item.scores.criteria[:, CULTURAL_FIT] + 0.5 * item.scores.criteria[:, EXPERTISE] for item in scored]
    )
    allowed = np.stack([item.acceptable & (item.values.max(axis=1) > 0) for item in scored])
    buddy_rank: dict[int, dict[int, int]] = {}
    for row in np.flatnonzero(allowed.any(axis=0)).tolist():
        trusts = np.flatnonzero(allowed[:, row])
        order = np.lexsort((trust_rank[trusts], -appreciation[trusts, row]))
        buddy_rank[row] = {int(t): position for position, t in enumerate(trusts[order].tolist())}
    return _Preferences(
        trust_lists=trust_lists, buddy_rank=buddy_rank, quota=prep.slots, k=k, ods=prep.ods, trust_codes=codes
    )


def stable_matching(prefs: _Preferences) -> list[list[int]]:
    """Many-to-many deferred acceptance, trusts proposing. Iterative: a queue of trusts with room to propose.

    Each trust proposes down its list while it holds fewer than k buddies; a buddy holds its best proposals up to
    its quota and rejects the rest. The result is pairwise stable (and the best stable result for the trusts).
    """
    trust_count = len(prefs.trust_lists)
    next_choice = [0] * trust_count
    held: dict[int, list[int]] = {}  # row -> trusts it holds
    teams: list[set[int]] = [set() for _ in range(trust_count)]
    queue = deque(range(trust_count))
    while queue:
        t = queue.popleft()
        choices = prefs.trust_lists[t]
        while len(teams[t]) < prefs.k and next_choice[t] < len(choices):
            row = choices[next_choice[t]]
            next_choice[t] += 1
            quota = int(prefs.quota[row])
            if quota <= 0:
                continue
            rank = prefs.buddy_rank[row]
            holding = held.setdefault(row, [])
            if len(holding) < quota:
                holding.append(t)
                teams[t].add(row)
                continue
            worst = max(holding, key=rank.__getitem__)
            if rank[t] < rank[worst]:
                holding.remove(worst)
                holding.append(t)
                teams[worst].discard(row)
                teams[t].add(row)
                queue.append(worst)
    return [sorted(team) for team in teams]


def stable_preferences(
    trusts: Sequence[SupportedTrust], pool: CandidatePool, settings: MatchSettings | None = None, k: int = 3
) -> StablePreferences:
    """The preferences and quotas the stable method uses, by ODS code (for `blocking_pairs` and for display)."""
    settings = settings or MatchSettings()
    settings.validate()
    prep = prepare_pool(pool)
    scored = _score_wave(trusts, prep, settings, lambda fraction: None)
    prefs = _preferences(scored, prep, k)
    buddies = {}
    for row, ranks in prefs.buddy_rank.items():
        ordered = sorted(ranks, key=ranks.__getitem__)
        buddies[prep.ods[row]] = tuple(prefs.trust_codes[t] for t in ordered)
    return StablePreferences(
        trusts={
            code: tuple(prep.ods[r] for r in rows)
            for code, rows in zip(prefs.trust_codes, prefs.trust_lists, strict=True)
        },
        buddies=buddies,
        trust_quota=dict.fromkeys(prefs.trust_codes, k),
        buddy_quota={prep.ods[row]: int(prep.slots[row]) for row in prefs.buddy_rank},
    )


def blocking_pairs(
    result_or_assignment: WaveResult | Mapping[str, Iterable[str]], preferences: StablePreferences
) -> list[tuple[str, str]]:
    """Pairs (trust, buddy) not matched together that would both rather be: each acceptable to the other, the trust
    with room or preferring the buddy to one it has, and the buddy with a free place or preferring the trust to one
    it holds. A stable allocation has none."""
    if isinstance(result_or_assignment, WaveResult):
        assignment = {a.supported: {m.ods_code for m in a.members} for a in result_or_assignment.allocations}
    else:
        assignment = {trust: set(buddies) for trust, buddies in result_or_assignment.items()}
    holders: dict[str, set[str]] = {}
    for trust, buddies in assignment.items():
        for buddy in buddies:
            holders.setdefault(buddy, set()).add(trust)
    buddy_rank = {buddy: {t: i for i, t in enumerate(order)} for buddy, order in preferences.buddies.items()}
    blocking = []
    for trust, order in preferences.trusts.items():
        mine = assignment.get(trust, set())
        trust_rank = {buddy: i for i, buddy in enumerate(order)}
        has_room = len(mine) < preferences.trust_quota.get(trust, 0)
        worst_mine = max((trust_rank.get(b, len(order)) for b in mine), default=-1)
        for i, buddy in enumerate(order):
            if not has_room and i >= worst_mine:
                break
            if buddy in mine:
                continue
            ranks = buddy_rank.get(buddy, {})
            if trust not in ranks:
                continue
            held = holders.get(buddy, set())
            buddy_has_room = len(held) < preferences.buddy_quota.get(buddy, 0)
            worst_held = max((ranks.get(t, len(ranks)) for t in held), default=-1)
            if buddy_has_room or ranks[trust] < worst_held:
                blocking.append((trust, buddy))
    return blocking
