import itertools

import numpy as np
import pytest

from matching.engine import MatchSettings, build_team, score_pool, synthetic_pool, synthetic_supported
from matching.engine.team import _count_dominators, prune_for_exact, solve_team_milp, team_objective
from matching.tests.engine.builders import make_pool, make_trust

NEEDS = {"quality-and-safety": 3, "finance": 1}  # weights 0.75 and 0.25


def specialists_pool(**changes):
    rows = {
        "RX1": {"strengths": {"quality-and-safety": 5}},
        "RY1": {"strengths": {"finance": 5}},
        "RZ1": {"strengths": {"quality-and-safety": 3, "finance": 3}},
        "RW1": {},
    }
    for ods, change in changes.items():
        rows[ods] = {**rows[ods], **change}
    return make_pool([{"ods": ods, **row} for ods, row in rows.items()])


def test_two_specialists_beat_one_all_rounder_and_each_leads_on_its_own_need():
    result = build_team(make_trust(needs=NEEDS), specialists_pool(), k=2)
    for team in (result.heuristic, result.exact):
        assert [(m.ods_code, m.assigned_needs) for m in team.members] == [
            ("RX1", ("quality-and-safety",)),
            ("RY1", ("finance",)),
        ]
        assert team.coverage == pytest.approx(1.0)
        assert team.unmet_needs == ()
    assert result.gap == 0.0
    assert result.exact.method == "exact (HiGHS)"
    assert result.heuristic.method == "greedy with swaps"


def test_with_one_buddy_the_unmet_need_is_reported():
    result = build_team(make_trust(needs=NEEDS), specialists_pool(), k=1)
    assert [m.ods_code for m in result.exact.members] == ["RX1"]
    assert result.exact.coverage == pytest.approx(0.75)
    assert result.exact.unmet_needs == ("finance",)


def test_an_excluded_candidate_cannot_join_a_team():
    result = build_team(make_trust(needs=NEEDS), specialists_pool(RX1={"in_special_measures": True}), k=2)
    for team in (result.heuristic, result.exact):
        assert "RX1" not in [m.ods_code for m in team.members]
    assert result.exact.coverage == pytest.approx(0.75 * 0.6 + 0.25 * 1.0)


def test_one_buddy_that_covers_everything_is_preferred_to_a_team_of_equal_value():
    pool = make_pool(
        [
            {"ods": "RA1", "strengths": {"quality-and-safety": 5, "finance": 5}},
            {"ods": "RB1", "strengths": {"quality-and-safety": 5}},
            {"ods": "RC1", "strengths": {"finance": 5}},
        ]
    )
    result = build_team(make_trust(needs=NEEDS), pool, k=3)
    assert [m.ods_code for m in result.heuristic.members] == ["RA1"]
    assert [m.ods_code for m in result.exact.members] == ["RA1"]


def test_the_team_members_carry_their_shortlist_total():
    trust = make_trust(needs=NEEDS)
    pool = specialists_pool()
    result = build_team(trust, pool, k=2)
    totals = dict(zip(pool.ods_codes.tolist(), score_pool(trust, pool, MatchSettings()).total.tolist(), strict=True))
    assert all(m.total == pytest.approx(totals[m.ods_code]) for m in result.exact.members)


def test_without_exact_only_the_heuristic_runs():
    result = build_team(make_trust(needs=NEEDS), specialists_pool(), k=2, exact=False)
    assert result.exact is None and result.gap is None and result.exact_ms is None
    assert result.heuristic_ms > 0


def test_an_unknown_need_area_is_unmet_not_a_crash():
    result = build_team(make_trust(needs={"finance": 2, "estates": 1}), specialists_pool(), k=3)
    assert result.exact.unmet_needs == ("estates",)
    assert [m.ods_code for m in result.exact.members] == ["RY1"]


def test_nobody_with_any_strength_gives_an_empty_team():
    pool = make_pool([{"ods": "RA1"}, {"ods": "RB1"}])
    result = build_team(make_trust(needs=NEEDS), pool)
    assert result.heuristic.members == () and result.exact.members == ()
    assert result.exact.unmet_needs == ("quality-and-safety", "finance")
    assert result.gap == 0.0


@pytest.mark.parametrize("seed", range(6))
def test_exact_team_matches_brute_force_and_the_heuristic_is_never_better(seed):
    pool = synthetic_pool(45, seed=seed)
    trust = synthetic_supported(pool, 1, seed=seed + 100)[0]
    k = 1 + seed % 3
    values = score_pool(trust, pool, MatchSettings()).need_values()
    useful = np.flatnonzero(values.max(axis=1) > 0).tolist()
    best = max(
        (
            team_objective(values, list(team))
            for size in range(1, k + 1)
            for team in itertools.combinations(useful, size)
        ),
        default=0.0,
    )
    result = build_team(trust, pool, k=k)
    assert result.exact.objective == pytest.approx(best, abs=1e-9)
    assert result.heuristic.objective <= result.exact.objective + 1e-12
    assert len(result.exact.members) <= k
    if best > 0:
        assert result.gap == pytest.approx((best - result.heuristic.objective) / best, abs=1e-9)


def test_pruning_for_the_exact_solver_keeps_an_optimal_team():
    pool = synthetic_pool(2_000, seed=9)
    for trust in synthetic_supported(pool, 5, seed=10):
        scores = score_pool(trust, pool, MatchSettings())
        values = scores.need_values()
        useful = np.flatnonzero(values.max(axis=1) > 0)
        kept = prune_for_exact(values, scores.effective_coverage, np.arange(len(pool)), 3)
        assert 0 < kept.size <= useful.size
        assert set(kept.tolist()) <= set(useful.tolist())
        if useful.size >= 100:  # where there is much to prune, most of it goes
            assert kept.size < useful.size / 2
        result = build_team(trust, pool, k=3)
        assert result.exact.method == "exact (HiGHS)"
        # The MILP over every useful candidate, unpruned, finds nothing better than the team from the pruned set.
        unpruned, optimal = solve_team_milp(values[useful], 3)
        assert optimal
        assert result.exact.objective == pytest.approx(team_objective(values, useful[unpruned]), abs=1e-9)
        assert result.exact.objective >= values.sum(axis=1).max() - 1e-12


def test_dominator_counts_match_a_pairwise_comparison():
    rng = np.random.default_rng(0)
    for _ in range(100):
        p, m = int(rng.integers(1, 50)), int(rng.integers(1, 6))
        v = rng.integers(0, 4, (p, m)) * rng.choice([1.0, 0.5], (p, 1))
        rank = rng.permutation(p)
        at_least = (v[None, :, :] >= v[:, None, :]).all(axis=2)
        differs = (v[None, :, :] != v[:, None, :]).any(axis=2) | (rank[None, :] < rank[:, None])
        np.testing.assert_array_equal(_count_dominators(v, rank), (at_least & differs).sum(axis=1))
