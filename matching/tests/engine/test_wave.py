import dataclasses
import itertools
from collections import Counter

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse.csgraph import maximum_bipartite_matching

from matching.engine import (
    EngineInputError,
    MatchSettings,
    allocate_wave,
    blocking_pairs,
    prepare_pool,
    score_pool,
    stable_preferences,
    synthetic_pool,
    synthetic_supported,
    wave,
)
from matching.engine.team import MILP_TIME_LIMIT_S
from matching.engine.types import Unallocated
from matching.engine.wave import EXACT_TRUST_LIMIT, LARGE_WAVE_TIME_LIMIT_S
from matching.tests.engine.builders import make_pool, make_trust, north_of_home

METHODS = ("coverage", "assignment", "stable")


def assert_feasible(result, trusts, pool, k):
    """No buddy over its free places, none twice to a trust, none where that trust excludes it, at most k each."""
    prep = prepare_pool(pool)
    load = Counter()
    by_trust = {t.ods_code: t for t in trusts}
    for allocation in result.allocations:
        codes = [m.ods_code for m in allocation.members]
        assert len(codes) == len(set(codes)) <= k
        excluded = score_pool(by_trust[allocation.supported], pool, MatchSettings()).excluded
        assert all(excluded[prep.ods_index[code]] == 0 for code in codes)
        load.update(codes)
    for code, count in load.items():
        assert count <= prep.slots[prep.ods_index[code]]
    assert result.load == dict(sorted(load.items()))
    assert [a.supported for a in result.allocations] == [t.ods_code for t in trusts]


def brute_force(trusts, pool, k):
    """The best coverage objective by trying every allocation (tiny instances only), among those serving the most
    trusts in special measures and then the most trusts: the order of priorities the wave follows."""
    prep = prepare_pool(pool)
    values = [score_pool(t, pool, MatchSettings()).need_values() for t in trusts]
    options = []
    for v in values:
        useful = np.flatnonzero(v.max(axis=1) > 0).tolist()
        teams = [()] + [c for size in range(1, k + 1) for c in itertools.combinations(useful, size)]
        options.append([(team, float(v[list(team)].max(axis=0).sum()) if team else 0.0) for team in teams])
    special = [t.in_special_measures for t in trusts]
    best = (0, 0, 0.0)
    for choice in itertools.product(*options):
        load = Counter(row for team, _ in choice for row in team)
        if all(count <= prep.slots[row] for row, count in load.items()):
            served = [bool(team) for team, _ in choice]
            key = (
                sum(s and sm for s, sm in zip(served, special, strict=True)),
                sum(served),
                sum(value for _, value in choice),
            )
            best = max(best, key)
    return best[2]


def unconstrained_best(trusts, pool, k):
    """The best coverage objective ignoring how many trusts are served (tiny instances only)."""
    prep = prepare_pool(pool)
    values = [score_pool(t, pool, MatchSettings()).need_values() for t in trusts]
    options = []
    for v in values:
        useful = np.flatnonzero(v.max(axis=1) > 0).tolist()
        teams = [()] + [c for size in range(1, k + 1) for c in itertools.combinations(useful, size)]
        options.append([(team, float(v[list(team)].max(axis=0).sum()) if team else 0.0) for team in teams])
    best = 0.0
    for choice in itertools.product(*options):
        load = Counter(row for team, _ in choice for row in team)
        if all(count <= prep.slots[row] for row, count in load.items()):
            best = max(best, sum(value for _, value in choice))
    return best


def max_servable(trusts, pool, settings=None, only=None):
    """The most trusts (of `only`, if given) that can each get one buddy covering an unmet need at once: a maximum
    bipartite matching of trusts to the buddies' free places, by SciPy (independent of the engine's own)."""
    prep = prepare_pool(pool)
    chosen = [t for t in trusts if only is None or only(t)]
    places = [row for row in range(len(pool)) for _ in range(int(prep.slots[row]))]
    if not chosen or not places:
        return 0
    useful = np.zeros((len(chosen), len(places)), dtype=bool)
    for i, trust in enumerate(chosen):
        helps = score_pool(trust, pool, settings or MatchSettings()).need_values().max(axis=1) > 0
        useful[i] = helps[places]
    matching = maximum_bipartite_matching(sparse.csr_array(useful.astype(np.int8)), perm_type="column")
    return int((matching >= 0).sum())


@pytest.mark.parametrize("seed", range(4))
def test_the_exact_wave_matches_brute_force_and_the_lp_bound_is_above_it(seed):
    pool = synthetic_pool(14, seed=seed)
    trusts = synthetic_supported(pool, 3, seed=seed + 50)
    best = brute_force(trusts, pool, 2)
    exact = allocate_wave(trusts, pool, k=2, exact=True)
    assert exact.exact
    assert exact.objective == pytest.approx(best, abs=1e-9)
    assert exact.upper_bound >= best - 1e-9
    heuristic = allocate_wave(trusts, pool, k=2, exact=False)
    assert not heuristic.exact
    assert heuristic.objective <= best + 1e-9
    assert heuristic.upper_bound >= best - 1e-9
    for method in METHODS:
        assert_feasible(allocate_wave(trusts, pool, k=2, method=method), trusts, pool, 2)


@pytest.mark.parametrize("seed", range(4))
def test_the_exact_wave_matches_brute_force_when_every_buddy_has_one_place(seed):
    # Scarce capacity: trusts compete for the same buddies, so the heuristic has real choices to get wrong, and
    # serving the most trusts first may cost some coverage.
    pool = synthetic_pool(12, seed=seed + 10)
    pool = dataclasses.replace(
        pool,
        max_arrangements=np.ones(len(pool), dtype=np.int64),
        active_arrangements=np.zeros(len(pool), dtype=np.int64),
    )
    trusts = synthetic_supported(pool, 4, seed=seed + 60)
    best = brute_force(trusts, pool, 2)
    exact = allocate_wave(trusts, pool, k=2, exact=True)
    assert exact.exact and exact.objective == pytest.approx(best, abs=1e-9)
    assert exact.objective <= unconstrained_best(trusts, pool, 2) + 1e-9
    assert exact.served == exact.max_servable == max_servable(trusts, pool)
    heuristic = allocate_wave(trusts, pool, k=2, exact=False)
    assert heuristic.objective <= best + 1e-9
    assert heuristic.served == exact.served
    assert all(count == 1 for count in exact.load.values())


def test_waves_of_up_to_60_trusts_are_solved_exactly_by_default_and_larger_ones_within_a_time_limit(monkeypatch):
    assert EXACT_TRUST_LIMIT == 60
    pool = synthetic_pool(300, seed=1)
    trusts = synthetic_supported(pool, EXACT_TRUST_LIMIT + 1, seed=2)
    limits = []
    solve = wave.coverage_exact

    def spy(*args, **kwargs):
        limits.append(kwargs["time_limit"])
        return solve(*args, **kwargs)

    monkeypatch.setattr(wave, "coverage_exact", spy)
    default = allocate_wave(trusts[:EXACT_TRUST_LIMIT], pool)
    assert default.exact
    assert limits == [MILP_TIME_LIMIT_S]
    heuristic = allocate_wave(trusts[:EXACT_TRUST_LIMIT], pool, exact=False)
    assert not heuristic.exact and limits == [MILP_TIME_LIMIT_S]
    assert heuristic.objective <= default.objective + 1e-9
    assert heuristic.served == default.served == default.max_servable
    big = allocate_wave(trusts, pool)
    assert limits == [MILP_TIME_LIMIT_S, LARGE_WAVE_TIME_LIMIT_S]
    assert big.upper_bound >= big.objective
    assert big.objective >= allocate_wave(trusts, pool, exact=False).objective - 1e-9


def test_one_buddy_at_a_time_doubles_up_on_expertise_where_coverage_does_not():
    # RX1 and RX2 are the two best by total and both strong only in quality and safety; RY1 is weaker overall
    # (further away) but the only one strong in finance.
    pool = make_pool(
        [
            {"ods": "RX1", "strengths": {"quality-and-safety": 5}, **north_of_home(60.0)},
            {"ods": "RX2", "strengths": {"quality-and-safety": 5}, **north_of_home(70.0)},
            {"ods": "RY1", "strengths": {"finance": 5}, **north_of_home(160.0)},
        ]
    )
    trusts = [make_trust(needs={"quality-and-safety": 3, "finance": 3})]
    assignment = allocate_wave(trusts, pool, k=2, method="assignment")
    coverage = allocate_wave(trusts, pool, k=2, method="coverage")
    assert {m.ods_code for m in assignment.allocations[0].members} == {"RX1", "RX2"}
    assert assignment.allocations[0].unmet_needs == ("finance",)
    assert {m.ods_code for m in coverage.allocations[0].members} == {"RX1", "RY1"}
    assert coverage.allocations[0].unmet_needs == ()
    assert coverage.objective > assignment.objective


def test_a_buddy_with_one_free_place_goes_to_one_trust_only():
    pool = make_pool(
        [
            {"ods": "RA1", "strengths": {"quality-and-safety": 5}, "max_arrangements": 2, "active_arrangements": 1},
            {"ods": "RB1", "strengths": {"quality-and-safety": 3}},
        ]
    )
    trusts = [make_trust("RS1"), make_trust("RS2", latitude=52.01)]
    for method in METHODS:
        result = allocate_wave(trusts, pool, k=1, method=method)
        assert result.load == {"RA1": 1, "RB1": 1}
        assert result.served == result.max_servable == 2
        assert_feasible(result, trusts, pool, 1)


def test_trusts_with_no_acceptable_buddy_are_reported_unallocated_with_the_reason():
    pool = make_pool([{"ods": "RA1", "ics": "QHL", "strengths": {"quality-and-safety": 5}}])
    trusts = [make_trust("RS1", ics="QHL"), make_trust("RS2", ics="QWU")]
    reason = "Every trust that covers its needs is excluded for it (see its shortlist for the reasons)"
    for method in METHODS:
        result = allocate_wave(trusts, pool, method=method)
        assert result.unallocated == (Unallocated(ods_code="RS1", reason=reason),)
        assert result.allocations[0].members == ()
        assert result.allocations[0].reason == reason
        assert result.allocations[0].unmet_needs == ("quality-and-safety",)
        assert result.allocations[1].reason == ""
        assert result.served == result.max_servable == 1


def test_deferred_acceptance_gives_a_stable_allocation():
    pool = synthetic_pool(150, seed=5)
    trusts = synthetic_supported(pool, 30, seed=6)
    result = allocate_wave(trusts, pool, k=3, method="stable")
    assert_feasible(result, trusts, pool, 3)
    assert blocking_pairs(result, stable_preferences(trusts, pool, k=3)) == []


def test_blocking_pairs_finds_a_pair_that_would_both_rather_be_together():
    # Both trusts prefer RA1 (nearer, stronger) and RA1 prefers RS1 (the better cultural fit); one free place each.
    pool = make_pool(
        [
            {"ods": "RA1", "culture": (8, 2), "strengths": {"quality-and-safety": 5}, "max_arrangements": 1},
            {"ods": "RB1", "culture": (5, 5), "strengths": {"quality-and-safety": 3}, "max_arrangements": 1},
        ]
    )
    trusts = [make_trust("RS1", culture=(8, 2)), make_trust("RS2", culture=(2, 8), latitude=52.01)]
    preferences = stable_preferences(trusts, pool, k=1)
    assert preferences.trusts["RS1"] == ("RA1", "RB1")
    assert preferences.buddies["RA1"] == ("RS1", "RS2")
    assert blocking_pairs({"RS1": ["RB1"], "RS2": ["RA1"]}, preferences) == [("RS1", "RA1")]
    stable = allocate_wave(trusts, pool, k=1, method="stable")
    assert {a.supported: [m.ods_code for m in a.members] for a in stable.allocations} == {
        "RS1": ["RA1"],
        "RS2": ["RB1"],
    }


def test_progress_is_reported_from_0_to_1():
    pool = synthetic_pool(200, seed=7)
    trusts = synthetic_supported(pool, 8, seed=8)
    for method in METHODS:
        seen: list[float] = []
        allocate_wave(trusts, pool, method=method, progress=seen.append)
        assert seen[0] == 0.0 and seen[-1] == 1.0 and len(seen) >= 3
        assert seen == sorted(seen)


def test_each_allocation_reports_coverage_and_who_leads_on_what():
    pool = make_pool(
        [
            {"ods": "RX1", "strengths": {"quality-and-safety": 5}},
            {"ods": "RY1", "strengths": {"finance": 4}},
        ]
    )
    result = allocate_wave([make_trust(needs={"quality-and-safety": 3, "finance": 1})], pool, k=3)
    allocation = result.allocations[0]
    assert [(m.ods_code, m.assigned_needs) for m in allocation.members] == [
        ("RX1", ("quality-and-safety",)),
        ("RY1", ("finance",)),
    ]
    assert allocation.coverage == pytest.approx(0.75 + 0.25 * 0.8)
    assert result.exact and result.objective == pytest.approx(result.upper_bound)
    assert result.elapsed_ms > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "random"}, "The method must be one of coverage, assignment, stable, not 'random'"),
        ({"method": "stable", "exact": True}, "Only the coverage method can be solved exactly"),
        ({"k": 0}, "The number of buddies per trust must be a whole number of 1 or more"),
    ],
)
def test_bad_wave_options_are_refused_with_a_plain_sentence(kwargs, message):
    pool = make_pool([{"ods": "RA1"}])
    with pytest.raises(EngineInputError) as error:
        allocate_wave([make_trust()], pool, **kwargs)
    assert str(error.value) == message


def test_a_wave_must_have_trusts_and_each_only_once():
    pool = make_pool([{"ods": "RA1"}])
    with pytest.raises(EngineInputError) as error:
        allocate_wave([], pool)
    assert str(error.value) == "The wave has no trusts to match"
    with pytest.raises(EngineInputError) as error:
        allocate_wave([make_trust(), make_trust()], pool)
    assert str(error.value) == "RSM appears more than once in the wave"
