import math

import numpy as np
import pytest

from matching.engine.geo import EARTH_RADIUS_KM, PreparedPoints, haversine_km, haversine_km_scalar


def test_two_points_500_metres_apart_are_half_a_kilometre_apart():
    # The float32 chord formula once rounded this to 0 km, letting a next-door trust through "too near".
    north = 0.5 / (EARTH_RADIUS_KM * math.pi / 180.0)
    distance = haversine_km(52.0, -1.5, [52.0 + north], [-1.5])
    assert distance.dtype == np.float64
    assert distance[0] == pytest.approx(0.5, rel=1e-9)


def test_500_metres_east_west_is_half_a_kilometre_too():
    east = 0.5 / (EARTH_RADIUS_KM * math.pi / 180.0 * math.cos(math.radians(52.0)))
    assert haversine_km(52.0, -1.5, [52.0], [-1.5 + east])[0] == pytest.approx(0.5, rel=1e-6)


def test_prepared_points_match_the_textbook_formula_from_metres_to_thousands_of_km():
    rng = np.random.default_rng(7)
    lat = np.concatenate([rng.uniform(49, 56, 500), [52.0 + 1e-5, 52.0, -51.0]])
    lon = np.concatenate([rng.uniform(-6, 2, 500), [-1.5, -1.5 + 1e-5, 178.0]])
    points = PreparedPoints.from_degrees(lat, lon)
    fast = points.distances_km(52.0, -1.5)
    slow = haversine_km(52.0, -1.5, lat, lon)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-9)
    assert fast[500] == pytest.approx(1e-5 * EARTH_RADIUS_KM * math.pi / 180.0, rel=1e-6)  # about 1 metre


def test_london_to_manchester_is_about_262_km():
    assert haversine_km_scalar(51.5074, -0.1278, 53.4808, -2.2426) == pytest.approx(262.3, abs=1.0)


def test_unknown_points_give_nan_in_the_textbook_formula_and_are_flagged_when_prepared():
    assert math.isnan(haversine_km(52.0, -1.5, [np.nan], [0.0])[0])
    points = PreparedPoints.from_degrees([np.nan, 52.0], [0.0, np.nan])
    assert points.missing.tolist() == [True, True]
    assert np.all(np.isfinite(points.distances_km(52.0, -1.5)))
