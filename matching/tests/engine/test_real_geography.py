"""Matching on the real locations of 252 NHS trusts, from the shared data beside the repository."""

import json
from pathlib import Path

import numpy as np
import pytest

from matching.engine import CandidatePool, MatchSettings, shortlist
from matching.engine.shortlist import FAR_WARNING
from matching.engine.types import BAND_OVERNIGHT, EXCLUDE_SELF, EXCLUDE_TOO_NEAR, EXCLUSION_REASONS
from matching.tests.engine.builders import make_trust

TRUSTS_FILE = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "nhs-trusts.geojson"


@pytest.fixture(scope="module")
def real_pool() -> CandidatePool:
    assert TRUSTS_FILE.exists(), (
        f"{TRUSTS_FILE} is missing: these tests need the shared NHS trusts GeoJSON beside the repository"
    )
    features = json.loads(TRUSTS_FILE.read_text())["features"]
    n = len(features)
    lon, lat = np.array([f["geometry"]["coordinates"] for f in features], dtype=np.float64).T
    # Neutral culture (no profiles), the same strength everywhere and room everywhere: only geography differs.
    return CandidatePool(
        ods_codes=np.array([f["properties"]["org_id"] for f in features]),
        latitude=lat,
        longitude=lon,
        ics=np.full(n, ""),
        culture=np.full((n, 9), np.nan),
        areas=("quality-and-safety",),
        strength=np.full((n, 1), 3.0),
        eligible=np.ones((n, 1), dtype=bool),
        max_arrangements=np.full(n, 2, dtype=np.int64),
        active_arrangements=np.zeros(n, dtype=np.int64),
        staff_days_offered=np.full(n, 10.0),
        staff_days_committed=np.zeros(n),
        in_special_measures=np.zeros(n, dtype=bool),
        rated_inadequate=np.zeros(n, dtype=bool),
        pool_member=np.ones(n, dtype=bool),
        potential_acquirer=np.zeros(n, dtype=bool),
        trust_type=np.full(n, "acute-large-teaching"),
        is_teaching=np.ones(n, dtype=bool),
        number_of_sites=np.full(n, 3, dtype=np.int64),
    )


@pytest.fixture(scope="module")
def guys_and_st_thomas(real_pool):
    """The shortlist for Guy's and St Thomas' (RJ1, London SE1), every candidate ranked."""
    row = real_pool.ods_codes.tolist().index("RJ1")
    trust = make_trust("RJ1", latitude=float(real_pool.latitude[row]), longitude=float(real_pool.longitude[row]))
    return shortlist(trust, real_pool, MatchSettings(), k=len(real_pool))


def test_the_file_has_the_252_trusts_these_tests_rely_on(real_pool):
    codes = set(real_pool.ods_codes.tolist())
    assert len(real_pool) == 252
    assert {"RJ1", "RJZ", "RYJ", "RTD", "RNN", "RTH", "RHM"} <= codes


def test_london_neighbours_are_excluded_as_too_near(guys_and_st_thomas):
    excluded = {e.ods_code: e.reasons for e in guys_and_st_thomas.excluded}
    # King's College Hospital (SE5) is 4 km away and Imperial (W2) 4 km: neighbours and competitors.
    assert excluded["RJZ"] == (EXCLUSION_REASONS[EXCLUDE_TOO_NEAR],)
    assert excluded["RYJ"] == (EXCLUSION_REASONS[EXCLUDE_TOO_NEAR],)
    assert excluded["RJ1"][0] == EXCLUSION_REASONS[EXCLUDE_SELF]  # and, at 0 km, too near as well
    ranked = {r.ods_code for r in guys_and_st_thomas.ranked}
    assert not ranked & set(excluded)


def test_trusts_hundreds_of_km_away_are_penalised_as_needing_an_overnight_stay(guys_and_st_thomas):
    ranked = {r.ods_code: r for r in guys_and_st_thomas.ranked}
    for far in ("RTD", "RNN"):  # Newcastle, about 400 km; North Cumbria, about 420 km
        candidate = ranked[far]
        assert candidate.distance_km > 380
        assert candidate.criteria[2].score < 0.5
        assert candidate.band == BAND_OVERNIGHT
        assert candidate.warnings == (f"{FAR_WARNING}; ranked after the candidates within 180 minutes",)
    # Everyone covers the need, so every trust within 180 minutes ranks before every trust beyond it.
    bands = [r.band == BAND_OVERNIGHT for r in guys_and_st_thomas.ranked]
    assert bands == sorted(bands)


def test_oxford_is_in_the_ideal_band_and_southampton_just_beyond_it(guys_and_st_thomas):
    ranked = {r.ods_code: r for r in guys_and_st_thomas.ranked}
    oxford = ranked["RTH"]  # about 82 km: 106 minutes by road
    assert 75 < oxford.distance_km < 90
    assert oxford.criteria[2].score == 1.0
    assert oxford.warnings == ()
    southampton = ranked["RHM"]  # about 111 km: 144 minutes, on the way down from 1.0 to 0.5
    assert 0.5 < southampton.criteria[2].score < 1.0
    # With everything else equal, the ranking follows geography: Oxford comes before Newcastle.
    assert oxford.rank < ranked["RTD"].rank
