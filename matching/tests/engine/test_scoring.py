"""Each criterion on cases worked out by hand."""

import math

import numpy as np
import pytest

from matching.engine import MatchSettings, Weights, score_pool
from matching.engine.scoring import CAPACITY, CULTURAL_FIT, EXPERTISE, GEOGRAPHY, STRUCTURE
from matching.engine.types import (
    EXCLUDE_AT_CAPACITY,
    EXCLUDE_INADEQUATE,
    EXCLUDE_NO_LOCATION,
    EXCLUDE_NOT_IN_POOL,
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


def test_cultural_fit_compares_the_shape_of_profiles_centred_on_the_mean():
    # Mean of (8, 2), (2, 8) and the supported trust's (8, 2) is (6, 4). Centred: (2, -2), (-4, 4) and (2, -2):
    # the first points the same way (cos 1, fit 1), the second the opposite way (cos -1, fit 0).
    # Uncentred, the second pair's cosine would be 0.47: every raw 0-10 profile looks somewhat alike.
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (2, 8)}], make_trust(culture=(8, 2))
    )
    np.testing.assert_allclose(scores.criteria[:, CULTURAL_FIT], [1.0, 0.0], atol=1e-12)
    assert scores.culture_compared.tolist() == [True, True]


def test_cultural_fit_at_right_angles_is_half():
    # Mean of (8, 2), (2, 8), (2, 2) and (8, 8) is (5, 5); centred (3, -3) against (3, 3): cos 0, fit 0.5.
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (2, 8)}, {"ods": "RA3", "culture": (2, 2)}],
        make_trust(culture=(8, 8)),
    )
    assert scores.criteria[0, CULTURAL_FIT] == pytest.approx(0.5, abs=1e-12)
    # (2, 2) centred is (-3, -3): the opposite of (3, 3).
    assert scores.criteria[2, CULTURAL_FIT] == pytest.approx(0.0, abs=1e-12)


def test_a_candidate_with_no_culture_profile_scores_a_neutral_half():
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": None}], make_trust(culture=(8, 2))
    )
    assert scores.criteria[1, CULTURAL_FIT] == 0.5
    assert not scores.culture_compared[1]


def test_every_candidate_scores_a_neutral_half_when_the_supported_trust_has_no_profile():
    scores = scores_for([{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (2, 8)}], make_trust())
    assert scores.criteria[:, CULTURAL_FIT].tolist() == [0.5, 0.5]
    assert not scores.culture_compared.any()


def test_a_profile_equal_to_the_mean_has_no_shape_to_compare_and_scores_a_neutral_half():
    # Mean of (8, 2), (2, 8), (6, 4) and the supported trust's (8, 2) is (6, 4): RA3 is the mean itself.
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (2, 8)}, {"ods": "RA3", "culture": (6, 4)}],
        make_trust(culture=(8, 2)),
    )
    assert scores.criteria[2, CULTURAL_FIT] == 0.5
    assert scores.culture_compared.tolist() == [True, True, False]


def test_a_supported_profile_equal_to_the_mean_leaves_everyone_neutral():
    scores = scores_for(
        [{"ods": "RA1", "culture": (8, 2)}, {"ods": "RA2", "culture": (2, 8)}], make_trust(culture=(5, 5))
    )
    assert scores.criteria[:, CULTURAL_FIT].tolist() == [0.5, 0.5]


def test_the_mean_is_nanmean_over_known_values_when_profiles_are_partial():
    # RA3 has one dimension missing: it is not compared, but its known value counts towards the mean (np.nanmean).
    # Mean: x = (8 + 2 + 5 + 8) / 4 = 5.75, y = (2 + 8 + 2) / 3 = 4. RA1 centred (2.25, -2), supported (2.25, -2).
    scores = scores_for(
        [
            {"ods": "RA1", "culture": (8, 2)},
            {"ods": "RA2", "culture": (2, 8)},
            {"ods": "RA3", "culture": (5, math.nan)},
        ],
        make_trust(culture=(8, 2)),
    )
    a = np.array([8 - 5.75, 2 - 4.0])
    b = np.array([2 - 5.75, 8 - 4.0])
    cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
    np.testing.assert_allclose(scores.criteria[:, CULTURAL_FIT], [1.0, (1 + cos) / 2, 0.5], atol=1e-12)


# Expertise ------------------------------------------------------------------------------------------------------


def test_expertise_weights_each_need_by_its_share_of_the_priorities():
    # Needs: quality-and-safety priority 3 (weight 0.75), finance priority 1 (0.25).
    # Strength 4 and 2: 0.75 x 4/5 + 0.25 x 2/5 = 0.7.
    trust = make_trust(needs={"quality-and-safety": 3, "finance": 1})
    scores = scores_for([{"ods": "RA1", "strengths": {"quality-and-safety": 4, "finance": 2}}], trust)
    assert scores.criteria[0, EXPERTISE] == pytest.approx(0.7)
    np.testing.assert_allclose(scores.need_weights, [0.75, 0.25])
    np.testing.assert_allclose(scores.coverage[0], [0.8, 0.4])


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
    # Travel minutes = km x 1.3 (road factor) / 60 km/h x 60 = 1.3 x km.
    scores = scores_for([{"ods": "RA1", **north_of_home(km)}])
    assert scores.distance_km[0] == pytest.approx(km, rel=1e-9)
    assert scores.travel_minutes[0] == pytest.approx(1.3 * km, rel=1e-9)
    assert scores.criteria[0, GEOGRAPHY] == pytest.approx(expected, rel=1e-6)
    assert scores.excluded[0] == 0


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


# Exclusions and the total ----------------------------------------------------------------------------------------


def test_every_hard_exclusion_sets_its_own_bit_and_they_combine():
    trust = make_trust("RSM", vetoed=frozenset({"RA5"}))
    rows = [
        {"ods": "RSM"},
        {"ods": "RA2", "in_special_measures": True},
        {"ods": "RA3", "rated_inadequate": True},
        {"ods": "RA4", "pool_member": False},
        {"ods": "RA5"},
        {"ods": "RA6", "in_special_measures": True, "rated_inadequate": True, **north_of_home(3.0)},
        {"ods": "RA7", "potential_acquirer": True},
    ]
    pool_only = MatchSettings(pool_only=True)
    assert scores_for(rows, trust, pool_only).excluded.tolist() == [
        EXCLUDE_SELF,
        EXCLUDE_SPECIAL_MEASURES,
        EXCLUDE_INADEQUATE,
        EXCLUDE_NOT_IN_POOL,
        EXCLUDE_VETOED,
        EXCLUDE_SPECIAL_MEASURES | EXCLUDE_INADEQUATE | EXCLUDE_TOO_NEAR,
        0,  # a declared potential acquirer is flagged, never excluded
    ]
    # Without pool_only, membership of the framework pool does not matter.
    assert scores_for(rows, trust).excluded[3] == 0


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
