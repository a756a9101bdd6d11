"""Checks on the pure demo data: towns, integrated care systems and the England outline used by the map."""

import itertools
import json
import math
from collections import Counter
from pathlib import Path

import pytest

from buddying.demo_data import INTEGRATED_CARE_SYSTEMS, TOWNS

REGION_SLUGS = {
    "east-of-england",
    "london",
    "midlands",
    "north-east-and-yorkshire",
    "north-west",
    "south-east",
    "south-west",
}
OUTLINE_PATH = Path(__file__).resolve().parents[2] / "static" / "buddying" / "england-outline.geojson"
CHARING_CROSS = (51.507, -0.128)


def _outline_rings() -> list[list[list[float]]]:
    """Every ring of every polygon in the outline, as lists of [longitude, latitude]."""
    collection = json.loads(OUTLINE_PATH.read_text())
    rings = []
    for feature in collection["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            rings.extend(polygon)
    return rings


def _point_in_ring(longitude: float, latitude: float, ring: list[list[float]]) -> bool:
    """Ray casting: count the ring's edges crossed by a ray going east from the point."""
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > latitude) != (y2 > latitude):
            crossing = x1 + (latitude - y1) * (x2 - x1) / (y2 - y1)
            if longitude < crossing:
                inside = not inside
    return inside


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


def test_town_count_is_about_two_hundred():
    assert 190 <= len(TOWNS) <= 210


def test_town_names_are_unique():
    duplicates = [name for name, count in Counter(town[0] for town in TOWNS).items() if count > 1]
    assert duplicates == []


def test_every_region_slug_is_valid_and_all_seven_are_used():
    used = {town[3] for town in TOWNS}
    assert used <= REGION_SLUGS
    assert used == REGION_SLUGS
    assert {ics[2] for ics in INTEGRATED_CARE_SYSTEMS} == REGION_SLUGS


def test_regions_have_enough_towns():
    per_region = Counter(town[3] for town in TOWNS)
    assert 20 <= per_region["london"] <= 30
    for region in REGION_SLUGS - {"london"}:
        assert per_region[region] >= 18, region


def test_there_are_42_integrated_care_systems_with_unique_codes_and_names():
    assert len(INTEGRATED_CARE_SYSTEMS) == 42
    assert len({ics[0] for ics in INTEGRATED_CARE_SYSTEMS}) == 42
    assert len({ics[1] for ics in INTEGRATED_CARE_SYSTEMS}) == 42
    for code, name, _region in INTEGRATED_CARE_SYSTEMS:
        assert len(code) == 3 and code.startswith("Q"), code
        assert name.strip() == name and name, code


def test_every_town_belongs_to_a_known_ics_in_the_same_region():
    region_of_ics = {code: region for code, _name, region in INTEGRATED_CARE_SYSTEMS}
    for name, _latitude, _longitude, region, ics_code in TOWNS:
        assert ics_code in region_of_ics, name
        assert region_of_ics[ics_code] == region, name


def test_every_ics_has_at_least_two_towns():
    per_ics = Counter(town[4] for town in TOWNS)
    thin = [code for code, _name, _region in INTEGRATED_CARE_SYSTEMS if per_ics[code] < 2]
    assert thin == []


def test_coordinates_are_plausible_for_england():
    for name, latitude, longitude, _region, _ics in TOWNS:
        assert 49.9 < latitude < 55.9, name
        assert -5.8 < longitude < 1.8, name
        assert round(latitude, 4) == latitude and round(longitude, 4) == longitude, name


def test_london_towns_are_near_central_london():
    for name, latitude, longitude, region, _ics in TOWNS:
        if region == "london":
            assert math.hypot(latitude - CHARING_CROSS[0], longitude - CHARING_CROSS[1]) <= 0.35, name


def test_outline_is_a_feature_collection_of_one_multipolygon():
    collection = json.loads(OUTLINE_PATH.read_text())
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 1
    feature = collection["features"][0]
    assert feature["properties"] == {"name": "England (simplified outline)"}
    assert feature["geometry"]["type"] == "MultiPolygon"
    assert len(feature["geometry"]["coordinates"]) >= 2


def test_outline_rings_are_closed_counter_clockwise_and_in_lon_lat_order():
    rings = _outline_rings()
    vertices = sum(len(ring) - 1 for ring in rings)
    assert 120 <= vertices <= 250
    for ring in rings:
        assert len(ring) >= 4
        assert ring[0] == ring[-1]
        assert _signed_area(ring) > 0
        for longitude, latitude in ring:
            assert -6.0 < longitude < 2.0 and 49.8 < latitude < 56.0


@pytest.mark.parametrize("town", TOWNS, ids=[town[0] for town in TOWNS])
def test_town_lies_inside_the_england_outline(town):
    name, latitude, longitude, _region, _ics = town
    rings = _outline_rings()
    assert any(_point_in_ring(longitude, latitude, ring) for ring in rings), name
