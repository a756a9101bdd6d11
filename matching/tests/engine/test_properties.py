"""Properties that must hold for any input, checked with Hypothesis on synthetic pools of every shape."""

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.engine import (
    GeographyBand,
    MatchSettings,
    Weights,
    allocate_wave,
    blocking_pairs,
    build_team,
    score_pool,
    shortlist,
    shortlist_loop,
    stable_preferences,
    synthetic_pool,
    synthetic_supported,
)
from matching.tests.engine.builders import with_copies
from matching.tests.engine.test_wave import assert_feasible

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

weights = st.builds(
    Weights,
    cultural_fit=st.floats(0, 10),
    expertise=st.floats(0, 10),
    geography=st.floats(0, 10),
    capacity=st.floats(0, 10),
    structure=st.floats(0, 10),
).filter(lambda w: w.total() > 0)
bands = st.builds(
    lambda near, ideal, extra, same_ics: GeographyBand(
        min_distance_km=near, ideal_max_minutes=ideal, max_minutes=ideal + extra, exclude_same_ics=same_ics
    ),
    st.floats(0, 60),
    st.floats(1, 300),
    st.floats(0, 200),
    st.booleans(),
)
match_settings = st.builds(
    MatchSettings,
    weights=weights,
    geography=bands,
    pool_only=st.booleans(),
    covers_at=st.integers(1, 5),
    include_receiving_support=st.booleans(),
)


@st.composite
def scenarios(draw, max_pool=40, max_trusts=4):
    pool = synthetic_pool(draw(st.integers(1, max_pool)), seed=draw(st.integers(0, 10_000)))
    if draw(st.booleans()):
        # Scarce capacity: most candidates have one free place or none, so trusts compete for buddies.
        rng = np.random.default_rng(draw(st.integers(0, 10_000)))
        pool = dataclasses.replace(
            pool,
            max_arrangements=np.ones(len(pool), dtype=np.int64),
            active_arrangements=(rng.random(len(pool)) < 0.3).astype(np.int64),
        )
    trusts = synthetic_supported(pool, draw(st.integers(1, max_trusts)), seed=draw(st.integers(0, 10_000)))
    return pool, trusts


@FAST
@given(scenarios(), match_settings)
def test_every_score_is_between_0_and_1(scenario, options):
    pool, trusts = scenario
    for trust in trusts:
        scores = score_pool(trust, pool, options)
        assert np.all((scores.criteria >= 0) & (scores.criteria <= 1))
        assert np.all((scores.total >= 0) & (scores.total <= 1 + 1e-12))
        assert np.all((scores.coverage >= 0) & (scores.coverage <= 1))


@FAST
@given(scenarios(), match_settings, st.integers(0, 50))
def test_only_eligible_candidates_covering_a_need_are_ranked_by_total_then_ods(scenario, options, k):
    pool, trusts = scenario
    trust = trusts[0]
    result = shortlist(trust, pool, options, k=k)
    scores = score_pool(trust, pool, options)
    codes = pool.ods_codes.tolist()
    helps = [i for i in range(len(pool)) if scores.excluded[i] == 0 and scores.covers_any[i]]
    # Geography is a band: beyond the longest travel time ranks after within it, unless only such trusts cover a
    # need (worked out here from scratch: no eligible candidate within the longest time covers it).
    eligible = scores.excluded == 0
    within = scores.travel_minutes <= options.geography.max_minutes
    covers = scores.coverage_t > 0
    far_only = ~(covers & (eligible & within)).any(axis=1)
    demoted = ~within & ~(covers & far_only[:, None]).any(axis=0)
    expected = sorted(helps, key=lambda i: (-(scores.total[i] - float(demoted[i])), codes[i]))[:k]
    assert [r.ods_code for r in result.ranked] == [codes[i] for i in expected]
    assert all(r.covers for r in result.ranked)
    excluded = {e.ods_code for e in result.excluded}
    assert excluded == {codes[i] for i in range(len(pool)) if scores.excluded[i]}
    assert not excluded & {r.ods_code for r in result.ranked}
    assert [e.ods_code for e in result.excluded] == sorted(excluded)
    # Every candidate is in exactly one place: helpful (ranked, if in the top k), not covering, or excluded.
    idle = [codes[i] for i in range(len(pool)) if scores.excluded[i] == 0 and not scores.covers_any[i]]
    assert list(result.not_covering) == sorted(idle)
    assert len(helps) + len(idle) + len(excluded) == len(pool)


@FAST
@given(scenarios(), match_settings)
def test_the_per_candidate_loop_ranks_the_same_candidates_with_the_same_totals(scenario, options):
    pool, trusts = scenario
    for trust in trusts:
        engine = shortlist(trust, pool, options, k=len(pool)).ranked
        loop = dict(shortlist_loop(trust, pool, options, k=len(pool)))
        assert {r.ods_code for r in engine} == set(loop)
        for candidate in engine:
            assert candidate.total == pytest.approx(loop[candidate.ods_code], abs=1e-12)


@FAST
@given(scenarios(), st.integers(1, 4))
def test_a_team_is_never_worse_than_any_single_buddy(scenario, k):
    pool, trusts = scenario
    trust = trusts[0]
    result = build_team(trust, pool, k=k)
    scores = score_pool(trust, pool, MatchSettings())
    best_single = float(scores.need_values().sum(axis=1).max())
    assert result.heuristic.objective >= best_single - 1e-12
    assert result.exact.objective >= result.heuristic.objective - 1e-9
    codes = pool.ods_codes.tolist()
    for team in (result.heuristic, result.exact):
        assert len(team.members) <= k
        assert all(scores.excluded[codes.index(m.ods_code)] == 0 for m in team.members)
        assert 0 <= team.coverage <= 1 + 1e-12


@FAST
@given(scenarios(max_pool=30, max_trusts=6), st.integers(1, 3), st.sampled_from(["coverage", "assignment", "stable"]))
def test_no_wave_method_exceeds_a_capacity_or_gives_a_trust_the_same_buddy_twice(scenario, k, method):
    pool, trusts = scenario
    result = allocate_wave(trusts, pool, k=k, method=method)
    assert_feasible(result, trusts, pool, k)
    if method == "coverage":
        assert result.upper_bound >= result.objective - 1e-9


@FAST
@given(scenarios(max_pool=30, max_trusts=6), st.integers(1, 3))
def test_stable_mode_leaves_no_blocking_pairs(scenario, k):
    pool, trusts = scenario
    result = allocate_wave(trusts, pool, k=k, method="stable")
    assert blocking_pairs(result, stable_preferences(trusts, pool, k=k)) == []


@FAST
@given(scenarios(max_pool=8, max_trusts=3), st.integers(1, 2))
def test_the_exact_wave_is_never_beaten_by_the_heuristic(scenario, k):
    pool, trusts = scenario
    exact = allocate_wave(trusts, pool, k=k, exact=True)
    heuristic = allocate_wave(trusts, pool, k=k, exact=False)
    assert exact.exact
    assert heuristic.objective <= exact.objective + 1e-9 <= exact.upper_bound + 2e-9


ods = st.text(alphabet="RTXY0123456789", min_size=3, max_size=5)


@FAST
@given(st.integers(1, 30), st.integers(0, 10_000), st.data())
def test_identical_candidates_rank_in_ods_code_order(n, seed, data):
    base = synthetic_pool(n, seed=seed)
    row = data.draw(st.integers(0, n - 1))
    first, second = data.draw(
        st.lists(ods, min_size=2, max_size=2, unique=True).filter(lambda c: not set(c) & set(base.ods_codes.tolist()))
    )
    # Append two copies of one candidate, made eligible, differing only in their ODS codes.
    pool = with_copies(base, row, [first, second])
    trust = synthetic_supported(base, 1, seed=seed)[0]
    ranked = shortlist(trust, pool, k=n + 2).ranked
    by_code = {r.ods_code: r for r in ranked}
    assert (first in by_code) == (second in by_code)
    if first in by_code:
        # Identical candidates get bit-identical totals, so the ODS code decides (the original row may tie too).
        a, b = sorted((by_code[first], by_code[second]), key=lambda r: r.rank)
        assert a.total == b.total and a.band == b.band
        assert a.ods_code < b.ods_code
        # Anything ranked between them ties with them (the original row may).
        assert all(r.total == a.total and r.band == a.band for r in ranked[a.rank : b.rank - 1])


@pytest.mark.parametrize("n, seed", [(11, 3985), (24, 7), (30, 133)])
def test_a_copied_candidate_scores_bit_for_bit_the_same_wherever_it_sits(n, seed):
    """A matrix product may round a row differently by its position (hypothesis found n=11, seed=3985): scoring adds
    column by column, so copies of a candidate always tie exactly and the ODS code decides."""
    base = synthetic_pool(n, seed=seed)
    trust = synthetic_supported(base, 1, seed=seed)[0]
    for row in range(n):
        ranked = {r.ods_code: r for r in shortlist(trust, with_copies(base, row, ["XX1", "XX2"]), k=n + 2).ranked}
        if "XX1" in ranked:
            assert ranked["XX1"].total == ranked["XX2"].total
            assert [c.score for c in ranked["XX1"].criteria] == [c.score for c in ranked["XX2"].criteria]
