"""Pool readiness by simulation, checked against the exact value over every draw of a small case."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest

from matching.engine import EngineInputError, MatchSettings, Need
from matching.engine.readiness import (
    AtRiskTrust,
    all_scenarios,
    draw_scenarios,
    evaluate_scenarios,
    exact_readiness,
    recruitment_gains,
    simulate_readiness,
    summarise,
)
from matching.tests.engine.builders import make_pool, make_trust, north_of_home

SETTINGS = MatchSettings(pool_only=True)


def small_pool(*, extra_members: bool = False):
    """Five members with one place each (one of them too far away to count), and three strong non-members."""
    rows = [
        {"ods": "M01", "strengths": {"quality-and-safety": 4}, "max_arrangements": 1, **north_of_home(60)},
        {"ods": "M02", "strengths": {"maternity": 4}, "max_arrangements": 1, **north_of_home(80)},
        {"ods": "M03", "strengths": {"finance": 5, "quality-and-safety": 3}, "max_arrangements": 1},
        {"ods": "M04", "strengths": {"quality-and-safety": 5}, "max_arrangements": 1, **north_of_home(150)},
        {"ods": "M05", "strengths": {"maternity": 3, "finance": 3}, "max_arrangements": 1, **north_of_home(70)},
        # Not members: candidates for recruitment.
        {"ods": "C01", "strengths": {"maternity": 5, "quality-and-safety": 4}, "pool_member": extra_members},
        {"ods": "C02", "strengths": {"finance": 3}, "pool_member": False, **north_of_home(90)},
        {"ods": "C03", "strengths": {"quality-and-safety": 3}, "pool_member": False, **north_of_home(200)},
    ]
    return make_pool(rows)


def at_risk_trusts() -> list[AtRiskTrust]:
    needs = [
        {"quality-and-safety": 3},
        {"maternity": 3, "finance": 2},
        {"quality-and-safety": 2, "maternity": 1},
        {"finance": 3},
        {"maternity": 2},
        {"quality-and-safety": 3, "finance": 1},
        {"quality-and-safety": 1},
    ]
    regions = ["london", "london", "midlands", "midlands", "north-west", "north-west", "london"]
    return [
        AtRiskTrust(trust=make_trust(f"R{i:02d}", need), region=region)
        for i, (need, region) in enumerate(zip(needs, regions, strict=True))
    ]


def test_the_simulation_agrees_with_every_draw_enumerated_within_its_standard_error():
    pool, at_risk = small_pool(), at_risk_trusts()
    exact = exact_readiness(pool, at_risk, 4, SETTINGS)
    simulated = simulate_readiness(pool, at_risk, settings=SETTINGS, sizes=(4,), draws=200, seed=11)
    (exact_size,), (sim_size,) = exact.sizes, simulated.sizes
    assert exact_size.scenarios == math.comb(7, 4)
    pairs = [(exact_size.served_well, sim_size.served_well), (exact_size.needs_covered, sim_size.needs_covered)]
    pairs += [(exact_size.by_area[a], sim_size.by_area[a]) for a in exact_size.by_area]
    pairs += [(exact_size.by_region[r], sim_size.by_region[r]) for r in exact_size.by_region]
    for truth, estimate in pairs:
        assert estimate.standard_error is not None
        # 3 standard errors: with the seed fixed this is deterministic, and the SE is honest (not inflated):
        assert abs(estimate.estimate - truth.estimate) <= 3 * estimate.standard_error + 1e-12
        assert estimate.low <= truth.estimate <= estimate.high or abs(estimate.estimate - truth.estimate) < 0.05
        assert estimate.standard_error < 0.06
    # The case is not trivial: the pool cannot serve every draw well.
    assert 0.2 < exact_size.served_well.estimate < 0.95


def test_the_same_seed_gives_the_same_result_and_another_seed_other_draws():
    pool, at_risk = small_pool(), at_risk_trusts()
    first = simulate_readiness(pool, at_risk, settings=SETTINGS, sizes=(2, 4), draws=40, seed=5)
    again = simulate_readiness(pool, at_risk, settings=SETTINGS, sizes=(2, 4), draws=40, seed=5)
    assert first == again
    assert (
        draw_scenarios(at_risk, (), sizes=(3,), draws=20, seed=5)[0]
        != draw_scenarios(at_risk, (), sizes=(3,), draws=20, seed=6)[0]
    )


def test_a_buddy_beyond_the_travel_band_does_not_count_as_covering_a_need():
    # M04 is the only member strong in quality and safety left once M01 and M03 are removed; it is 195 minutes away.
    pool = small_pool()
    keep = np.isin(pool.ods_codes, ["M04", "M02"])
    pool = dataclasses.replace(pool, pool_member=keep)
    at_risk = [AtRiskTrust(trust=make_trust("R00", {"quality-and-safety": 3}), region="london")]
    result = exact_readiness(pool, at_risk, 1, SETTINGS)
    assert result.sizes[0].by_area["quality-and-safety"].estimate == 0.0
    assert result.runs_out_first == ("quality-and-safety",)
    assert result.regions_run_out_first == ("london",)


def test_areas_that_run_out_at_a_smaller_wave_are_listed_first():
    pool, at_risk = small_pool(), at_risk_trusts()
    result = simulate_readiness(pool, at_risk, settings=SETTINGS, sizes=(1, 5), draws=60, seed=3)
    small, large = result.sizes
    order = result.runs_out_first
    assert order, "some area runs out in waves of five"
    for earlier, later in itertools.pairwise(order):
        first_small = small.by_area[earlier].estimate < 0.9
        second_small = small.by_area[later].estimate < 0.9
        assert first_small >= second_small
        if first_small == second_small:
            assert large.by_area[earlier].estimate <= large.by_area[later].estimate


def test_trusts_without_recorded_needs_draw_them_from_past_arrangements():
    at_risk = [AtRiskTrust(trust=make_trust("R00", {}), region="london"), *at_risk_trusts()[1:3]]
    library = [(Need("finance", 2),), (Need("maternity", 3), Need("quality-and-safety", 2))]
    scenarios, left_out = draw_scenarios(at_risk, library, sizes=(3,), draws=30, seed=1)
    drawn = {s.needs[0] for s in scenarios}
    assert drawn == set(library)
    assert left_out == ()
    _scenarios, left_out = draw_scenarios(at_risk, (), sizes=(2,), draws=5, seed=1)
    assert left_out == ("R00",)
    assert all(0 not in s.members for s in _scenarios)


def test_bad_input_is_refused_in_plain_words():
    with pytest.raises(EngineInputError, match="at least 2 scenarios"):
        draw_scenarios(at_risk_trusts(), (), draws=1)
    with pytest.raises(EngineInputError, match="whole number"):
        draw_scenarios(at_risk_trusts(), (), sizes=(0,))
    with pytest.raises(EngineInputError, match="No trust at risk"):
        draw_scenarios([AtRiskTrust(trust=make_trust("R00", {}))], ())


def test_adding_the_top_ranked_candidate_raises_readiness_at_least_as_much_as_any_other():
    pool, at_risk = small_pool(), at_risk_trusts()
    scenarios, _ = draw_scenarios(at_risk, (), sizes=(3, 5), draws=40, seed=7)
    baseline, gains = recruitment_gains(pool, at_risk, scenarios, ["C01", "C02", "C03"], SETTINGS)
    assert gains[0].ods_code == "C01"
    # Re-run the whole simulation with each candidate accredited: the top one gains most.
    achieved = {}
    for code in ("C01", "C02", "C03"):
        grown = dataclasses.replace(pool, pool_member=pool.pool_member | (pool.ods_codes == code))
        tallies = evaluate_scenarios(grown, at_risk, scenarios, SETTINGS)
        achieved[code] = summarise(at_risk, scenarios, tallies, seed=7, draws=40).readiness.estimate
    assert achieved["C01"] >= max(achieved.values())
    assert achieved["C01"] > baseline.readiness.estimate
    for gain in gains:
        assert gain.gain.estimate == pytest.approx(achieved[gain.ods_code] - baseline.readiness.estimate)
    # C03 is beyond the travel band for every trust: it adds nothing.
    assert next(g for g in gains if g.ods_code == "C03").gain.estimate == 0.0


def test_every_scenario_of_a_small_case_is_enumerated_once():
    scenarios = all_scenarios(at_risk_trusts(), 2)
    assert len({s.members for s in scenarios}) == len(scenarios) == 21
