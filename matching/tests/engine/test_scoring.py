"""Each criterion on cases worked out by hand."""

import math

import numpy as np
import pytest

from matching.engine import MatchSettings, Weights, prepare_pool, score_pool
from matching.engine.scoring import CAPACITY, CULTURAL_FIT, EXPERTISE, GEOGRAPHY, STRUCTURE, values_pattern
from matching.engine.types import (
    COVERS_AT_DEFAULT,
    EXCLUDE_AT_CAPACITY,
    EXCLUDE_BEYOND_DECLARED_TRAVEL,
    EXCLUDE_EXISTING_BUDDY,
    EXCLUDE_INADEQUATE,
    EXCLUDE_NO_LOCATION,
    EXCLUDE_NOT_IN_POOL,
    EXCLUDE_RECEIVING_SUPPORT,
    EXCLUDE_SAME_ICS,
    EXCLUDE_SELF,
    EXCLUDE_SPECIAL_MEASURES,
    EXCLUDE_TOO_NEAR,
    EXCLUDE_VETOED,
)
from matching.tests.engine.builders import make_pool, make_trust, north_of_home

SETTINGS = MatchSettings()


def scores_for(rows, trust=None, settings=SETTINGS, **pool_options):
    return score_pool(trust or make_trust(), make_pool(rows, **pool_options), settings)


# Cultural fit ---------------------------------------------------------------------------------------------------


def test_cultural_fit_compares_values_patterns_each_centred_on_its_own_mean():
    # (8, 2) has the supported trust's pattern (r = +1, fit 1); (2, 8) the opposite pattern (r = -1, fit 0).
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (2, 8)}], make_trust(culture=(8, 2))
    )
    np.testing.assert_allclose(scores.criteria[:, CULTURAL_FIT], [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(scores.pattern_correlation, [1.0, -1.0], atol=1e-12)
    assert scores.culture_compared.tolist() == [True, True]
    assert scores.known[:, CULTURAL_FIT].tolist() == [True, True]


def test_a_profile_with_the_same_pattern_at_a_higher_level_fits_perfectly():
    # The level (mean theme score) is evidence of strength, not of fit: (9, 5, 7) is (6, 2, 4) plus 3 everywhere.
    scores = scores_for(
        [{"ods": "RA1", "culture": (9, 5, 7)}, {"ods": "RA2", "culture": (6.5, 2.5, 4.5)}],
        make_trust(culture=(6, 2, 4)),
        dims=3,
    )
    np.testing.assert_allclose(scores.criteria[:, CULTURAL_FIT], [1.0, 1.0], atol=1e-12)
    assert scores.supported_level == pytest.approx(4.0)


def test_cultural_fit_of_uncorrelated_patterns_is_half():
    # Supported (6, 5, 4): pattern (1, 0, -1) / sqrt 2. (6, 3, 6) centred is (1, -2, 1): at right angles, r = 0.
    # (4, 5, 6) is the opposite pattern: r = -1, fit 0.
    scores = scores_for(
        [{"ods": "RA1", "culture": (6, 3, 6)}, {"ods": "RA2", "culture": (4, 5, 6)}],
        make_trust(culture=(6, 5, 4)),
        dims=3,
    )
    assert scores.criteria[0, CULTURAL_FIT] == pytest.approx(0.5, abs=1e-12)
    assert scores.pattern_correlation[0] == pytest.approx(0.0, abs=1e-12)
    assert scores.criteria[1, CULTURAL_FIT] == pytest.approx(0.0, abs=1e-12)


def test_cultural_fit_is_half_of_one_plus_the_pearson_correlation():
    supported = (7.6, 6.2, 7.0, 6.3, 5.8)
    candidate = (6.9, 6.1, 6.3, 5.8, 5.6)
    scores = scores_for([{"ods": "RA1", "culture": candidate}], make_trust(culture=supported), dims=5)
    r = np.corrcoef(supported, candidate)[0, 1]
    assert scores.pattern_correlation[0] == pytest.approx(r, abs=1e-12)
    assert scores.criteria[0, CULTURAL_FIT] == pytest.approx((1 + r) / 2, abs=1e-12)


def test_a_candidate_with_no_culture_profile_scores_zero_and_is_not_known():
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": None}], make_trust(culture=(8, 2))
    )
    assert scores.criteria[1, CULTURAL_FIT] == 0.0
    assert not scores.culture_compared[1]
    assert not scores.known[1, CULTURAL_FIT]
    assert math.isnan(scores.pattern_correlation[1])


def test_every_candidate_scores_zero_and_not_known_when_the_supported_trust_has_no_profile():
    scores = scores_for([{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (2, 8)}], make_trust())
    assert scores.criteria[:, CULTURAL_FIT].tolist() == [0.0, 0.0]
    assert not scores.culture_compared.any()
    assert not scores.known[:, CULTURAL_FIT].any()
    assert math.isnan(scores.supported_level)


def test_a_flat_profile_has_no_values_pattern_and_scores_zero_not_known():
    # (5, 5) is equally strong in every theme: nothing to compare, whatever its level.
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (5, 5)}, {"ods": "RA3", "culture": (9, 9)}],
        make_trust(culture=(8, 2)),
    )
    assert scores.criteria[:, CULTURAL_FIT].tolist() == [1.0, 0.0, 0.0]
    assert scores.culture_compared.tolist() == [True, False, False]
    assert scores.known[:, CULTURAL_FIT].tolist() == [True, False, False]


def test_a_flat_supported_profile_leaves_cultural_fit_not_known_for_everyone():
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (2, 8)}], make_trust(culture=(5, 5))
    )
    assert scores.criteria[:, CULTURAL_FIT].tolist() == [0.0, 0.0]
    assert not scores.known[:, CULTURAL_FIT].any()


def test_a_partial_profile_is_not_known_and_other_candidates_do_not_change_anyones_fit():
    # RA3 has one theme missing: not compared. Unlike a fit centred on the pool's mean, a candidate's fit depends
    # only on its own profile and the supported trust's: adding or removing other candidates changes nothing.
    rows = [
        {"ods": "RA1", "culture": (8, 2, 5)},
        {"ods": "RA2", "culture": (2, 8, 4)},
        {"ods": "RA3", "culture": (5, math.nan, 5)},
    ]
    trust = make_trust(culture=(7, 3, 6))
    scores = scores_for(rows, trust, dims=3)
    alone = scores_for(rows[1:2], trust, dims=3)
    assert scores.criteria[2, CULTURAL_FIT] == 0.0 and not scores.known[2, CULTURAL_FIT]
    assert alone.criteria[0, CULTURAL_FIT] == scores.criteria[1, CULTURAL_FIT]
    r = np.corrcoef((7, 3, 6), (2, 8, 4))[0, 1]
    assert scores.criteria[1, CULTURAL_FIT] == pytest.approx((1 + r) / 2, abs=1e-12)


def test_values_pattern_is_the_profile_minus_its_mean_scaled_to_length_one():
    pattern, level = values_pattern(np.array([6.0, 2.0, 4.0]))
    assert level == pytest.approx(4.0)
    np.testing.assert_allclose(pattern, np.array([2.0, -2.0, 0.0]) / math.sqrt(8.0))
    assert values_pattern(np.array([5.0, 5.0, 5.0])) == (None, pytest.approx(5.0))


# Expertise ------------------------------------------------------------------------------------------------------


def test_expertise_weights_each_need_by_its_share_of_the_priorities_crediting_only_covering_strengths():
    # Needs: quality-and-safety priority 3 (weight 0.75), finance priority 1 (0.25). Strength 4 covers (3 or more
    # by default): 0.75 x 4/5 = 0.6. Strength 2 in finance is below the covering strength and earns nothing.
    trust = make_trust(needs={"quality-and-safety": 3, "finance": 1})
    rows = [{"ods": "RA1", "strengths": {"quality-and-safety": 4, "finance": 2}}]
    scores = scores_for(rows, trust)
    assert scores.covers_at == COVERS_AT_DEFAULT == 3
    assert scores.criteria[0, EXPERTISE] == pytest.approx(0.6)
    np.testing.assert_allclose(scores.need_weights, [0.75, 0.25])
    np.testing.assert_allclose(scores.coverage[0], [0.8, 0.0])
    # With the threshold at 2, the same strengths earn 0.75 x 4/5 + 0.25 x 2/5 = 0.7.
    lenient = scores_for(rows, trust, MatchSettings(covers_at=2))
    assert lenient.criteria[0, EXPERTISE] == pytest.approx(0.7)
    np.testing.assert_allclose(lenient.coverage[0], [0.8, 0.4])


@pytest.mark.parametrize(("strength", "covers"), [(0, False), (1, False), (2, False), (3, True), (5, True)])
def test_a_candidate_covers_a_need_only_at_the_covering_strength(strength, covers):
    scores = scores_for([{"ods": "RA1", "strengths": {"quality-and-safety": strength}}])
    assert bool(scores.covers_any[0]) is covers
    assert scores.coverage_t.shape == (1, 1)
    assert scores.coverage_t[0, 0] == (strength / 5 if covers else 0.0)
    assert scores.criteria[0, EXPERTISE] == (strength / 5 if covers else 0.0)


def test_no_credit_for_strength_in_a_service_the_candidate_does_not_run():
    trust = make_trust(needs={"maternity": 3, "finance": 1})
    scores = scores_for(
        [{"ods": "RA1", "strengths": {"maternity": 5, "finance": 5}, "no_service": ("maternity",)}], trust
    )
    assert scores.criteria[0, EXPERTISE] == pytest.approx(0.25)


def test_a_need_in_an_area_the_pool_does_not_know_counts_but_nobody_covers_it():
    trust = make_trust(needs={"quality-and-safety": 3, "estates": 1})
    scores = scores_for([{"ods": "RA1", "strengths": {"quality-and-safety": 5}}], trust)
    assert scores.criteria[0, EXPERTISE] == pytest.approx(0.75)
    assert scores.need_known == (True, False)
    assert scores.coverage[0].tolist() == [1.0, 0.0]


# Geography ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("km", "expected"),
    [
        (80.0, 1.0),  # 104 minutes: within the ideal 120
        (100.0, 1.0 - 0.5 * (130.0 - 120.0) / 60.0),  # 130 minutes: a sixth of the way to the longest
        (138.461538, 0.5),  # exactly 180 minutes
        (184.615385, 0.5 * math.exp(-1.0)),  # 240 minutes: an hour past the longest
    ],
)
def test_geography_is_a_band_scored_on_travel_time_estimated_from_distance(km, expected):
    # Travel minutes = km x 1.3 (road factor) / 60 km/h x 60 = 1.3 x km, in whole minutes (as people are shown).
    scores = scores_for([{"ods": "RA1", **north_of_home(km)}])
    assert scores.distance_km[0] == pytest.approx(km, rel=1e-9)
    assert scores.travel_minutes[0] == round(1.3 * km)
    assert scores.criteria[0, GEOGRAPHY] == pytest.approx(expected, rel=1e-6)
    assert scores.excluded[0] == 0


def test_travel_adds_both_trusts_travel_adjustments_to_the_estimate_from_distance():
    # 80 km: 104 minutes by road; the supported trust is across a 45-minute ferry, RA2 across a 30-minute one.
    rows = [
        {"ods": "RA1", **north_of_home(80.0)},
        {"ods": "RA2", **north_of_home(80.0), "travel_adjustment_minutes": 30.0},
    ]
    scores = scores_for(rows, make_trust(travel_adjustment_minutes=45.0))
    np.testing.assert_allclose(scores.distance_km, [80.0, 80.0])
    np.testing.assert_allclose(scores.travel_minutes, [104.0 + 45.0, 104.0 + 75.0])
    np.testing.assert_allclose(scores.criteria[:, GEOGRAPHY], [1 - 0.5 * 29 / 60, 1 - 0.5 * 59 / 60])


def test_a_neighbour_closer_than_the_minimum_distance_is_excluded_as_too_near():
    scores = scores_for([{"ods": "RA1", **north_of_home(24.9)}, {"ods": "RA2", **north_of_home(25.1)}])
    assert scores.excluded.tolist() == [EXCLUDE_TOO_NEAR, 0]


def test_a_candidate_in_the_same_integrated_care_system_is_excluded_unless_settings_allow_it():
    rows = [{"ods": "RA1", "ics": "QHL"}, {"ods": "RA2", "ics": "QWU"}, {"ods": "RA3", "ics": ""}]
    scores = scores_for(rows, make_trust(ics="QHL"))
    assert scores.excluded.tolist() == [EXCLUDE_SAME_ICS, 0, 0]
    lenient = MatchSettings(geography=SETTINGS.geography.__class__(exclude_same_ics=False))
    assert scores_for(rows, make_trust(ics="QHL"), lenient).excluded.tolist() == [0, 0, 0]
    # A supported trust with no ICS recorded excludes nobody on that ground (an empty ICS is not a match).
    assert scores_for(rows, make_trust(ics="")).excluded.tolist() == [0, 0, 0]


def test_a_candidate_with_no_location_is_excluded_and_has_no_distance():
    scores = scores_for([{"ods": "RA1", "latitude": math.nan}, {"ods": "RA2"}])
    assert scores.excluded[0] == EXCLUDE_NO_LOCATION
    assert math.isnan(scores.distance_km[0])
    assert math.isnan(scores.travel_minutes[0])
    assert scores.criteria[0, GEOGRAPHY] == 0.0
    assert np.all(np.isfinite(scores.total))


# Capacity -------------------------------------------------------------------------------------------------------


def test_capacity_is_the_smaller_headroom_of_places_and_senior_staff_days():
    # Places: (4 - 1) / 4 = 0.75; days: (10 - 5) / 10 = 0.5.
    row = {"ods": "RA1", "max_arrangements": 4, "active_arrangements": 1, "staff_days_committed": 5.0}
    assert scores_for([row]).criteria[0, CAPACITY] == pytest.approx(0.5)


@pytest.mark.parametrize(
    "row",
    [
        {"max_arrangements": 2, "active_arrangements": 2},
        {"max_arrangements": 0},
        {"staff_days_offered": 0.0},
        {"staff_days_offered": 8.0, "staff_days_committed": 8.0},
    ],
)
def test_no_free_place_or_no_free_days_is_at_capacity(row):
    scores = scores_for([{"ods": "RA1", **row}])
    assert scores.excluded[0] == EXCLUDE_AT_CAPACITY
    assert scores.criteria[0, CAPACITY] == 0.0


def test_an_undeclared_capacity_scores_zero_not_known_and_counts_as_one_place():
    pool = make_pool(
        [
            {"ods": "RA1", "capacity_declared": False},
            {"ods": "RA2", "capacity_declared": False, "active_arrangements": 1},
            {"ods": "RA3", "max_arrangements": 3, "active_arrangements": 1},  # places 2/3, days 10/10
        ]
    )
    scores = score_pool(make_trust(), pool, SETTINGS)
    np.testing.assert_allclose(scores.criteria[:, CAPACITY], [0.0, 0.0, 2 / 3])
    assert scores.known[:, CAPACITY].tolist() == [False, False, True]
    # Not declared: it can be asked for one arrangement, so one that already has one has no place left.
    assert scores.excluded.tolist() == [0, EXCLUDE_AT_CAPACITY, 0]
    assert prepare_pool(pool).slots.tolist() == [1, 0, 2]


# Structure ------------------------------------------------------------------------------------------------------


def test_structure_counts_type_then_teaching_then_number_of_sites():
    trust = make_trust(trust_type="acute-district-general", is_teaching=False, number_of_sites=1)
    scores = scores_for(
        [
            {"ods": "RA1", "number_of_sites": 1},
            {"ods": "RA2", "number_of_sites": 6},  # six-fold: sites term 0
            {"ods": "RA3", "trust_type": "mental-health", "is_teaching": True, "number_of_sites": 2},
        ],
        trust,
    )
    sites_2 = 0.25 * (1 - math.log(2) / math.log(6))
    np.testing.assert_allclose(scores.criteria[:, STRUCTURE], [1.0, 0.75, sites_2], atol=1e-12)


def test_structure_is_zero_and_not_known_when_either_trust_type_is_not_recorded():
    rows = [{"ods": "RA1"}, {"ods": "RA2", "trust_type": ""}]
    typed = scores_for(rows, make_trust(trust_type="acute-district-general"))
    assert typed.criteria[:, STRUCTURE].tolist() == [1.0, 0.0]
    assert typed.known[:, STRUCTURE].tolist() == [True, False]
    untyped = scores_for(rows, make_trust(trust_type=""))
    assert untyped.criteria[:, STRUCTURE].tolist() == [0.0, 0.0]
    assert not untyped.known[:, STRUCTURE].any()


# Exclusions and the total ----------------------------------------------------------------------------------------


def test_every_hard_exclusion_sets_its_own_bit_and_they_combine():
    rows = [
        {"ods": "RSM"},
        {"ods": "RA2", "in_special_measures": True},
        {"ods": "RA3", "rated_inadequate": True},
        {"ods": "RA4", "pool_member": False},
        {"ods": "RA5"},
        {"ods": "RA6", "in_special_measures": True, "rated_inadequate": True, **north_of_home(3.0)},
        {"ods": "RA7", "potential_acquirer": True},
        {"ods": "RA8", "receiving_support": True},
        {"ods": "RA9", "max_travel_minutes": 120.0},  # 100 km away: 130 minutes
        {"ods": "RB1", "max_travel_minutes": 130.5},
        {"ods": "RB2"},
    ]
    trust = make_trust("RSM", vetoed=frozenset({"RA5"}), existing_buddies=frozenset({"RB2"}))
    pool_only = MatchSettings(pool_only=True)
    assert scores_for(rows, trust, pool_only).excluded.tolist() == [
        EXCLUDE_SELF,
        EXCLUDE_SPECIAL_MEASURES,
        EXCLUDE_INADEQUATE,
        EXCLUDE_NOT_IN_POOL,
        EXCLUDE_VETOED,
        EXCLUDE_SPECIAL_MEASURES | EXCLUDE_INADEQUATE | EXCLUDE_TOO_NEAR,
        0,  # a declared potential acquirer is flagged, never excluded
        EXCLUDE_RECEIVING_SUPPORT,
        EXCLUDE_BEYOND_DECLARED_TRAVEL,
        0,  # within the journey it declared
        EXCLUDE_EXISTING_BUDDY,
    ]
    # Without pool_only, membership of the framework pool does not matter.
    assert scores_for(rows, trust).excluded[3] == 0
    # A regulator may include trusts receiving support (special measures, recovery, segments 4-5), not inadequate.
    lifted = scores_for(rows, trust, MatchSettings(include_receiving_support=True)).excluded.tolist()
    assert lifted[1] == 0 and lifted[7] == 0
    assert lifted[2] == EXCLUDE_INADEQUATE
    assert lifted[5] == EXCLUDE_INADEQUATE | EXCLUDE_TOO_NEAR


def test_the_total_is_the_criteria_weighted_by_the_normalised_weights():
    settings = MatchSettings(weights=Weights(cultural_fit=2, expertise=1, geography=1, capacity=0, structure=0))
    trust = make_trust(culture=(8, 2))
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2), "strengths": {"quality-and-safety": 5}}, {"ods": "RA2", "culture": (2, 8)}],
        trust,
        settings,
    )
    np.testing.assert_allclose(scores.weights, [0.5, 0.25, 0.25, 0.0, 0.0])
    np.testing.assert_allclose(scores.total, scores.criteria @ scores.weights)
    # RA1: fit 1, expertise 1, geography 130 minutes = 11/12.
    assert scores.total[0] == pytest.approx(0.5 + 0.25 + 0.25 * (1 - 0.5 * 10 / 60))


def test_match_quality_renormalises_the_weights_without_expertise():
    scores = scores_for([{"ods": "RA1", "strengths": {"quality-and-safety": 5}}])
    w = np.array([0.35, 0.0, 0.15, 0.12, 0.08]) / 0.70
    assert scores.match_quality()[0] == pytest.approx(float(scores.criteria[0] @ w))
    assert scores.need_values()[0, 0] == pytest.approx(1.0 * 1.0 * scores.match_quality()[0])


def test_scores_are_cached_per_pool_but_reflect_each_supported_trust():
    pool = make_pool([{"ods": "RA1", **north_of_home(50)}, {"ods": "RA2", **north_of_home(200)}])
    near = score_pool(make_trust(), pool, SETTINGS)
    far = score_pool(make_trust(latitude=55.0), pool, SETTINGS)
    assert near.distance_km[0] == pytest.approx(50.0)
    assert far.distance_km[0] != pytest.approx(50.0)


def test_needs_an_existing_buddy_covers_count_as_met_and_are_worth_nothing_to_a_new_buddy():
    trust = make_trust(needs={"quality-and-safety": 3, "finance": 1}, existing_buddies=frozenset({"RE1"}))
    rows = [
        {"ods": "RE1", "strengths": {"quality-and-safety": 4, "finance": 2}},  # finance 2: does not cover it
        {"ods": "RA1", "strengths": {"quality-and-safety": 5, "finance": 5}},
    ]
    scores = scores_for(rows, trust)
    assert scores.excluded[0] == EXCLUDE_EXISTING_BUDDY
    assert scores.met.tolist() == [True, False]
    assert scores.met_by == ("RE1", "")
    values = scores.need_values()
    assert values[:, 0].tolist() == [0.0, 0.0]
    assert values[0, 1] == 0.0 and values[1, 1] > 0
