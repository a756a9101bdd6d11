"""Travel on every member: each buddy proposed has a journey, a band, and is far only when no one nearer can help."""

import math
from functools import cache, lru_cache

import numpy as np
import pytest

from matching.engine import MatchSettings, allocate_wave, build_team, score_pool, shortlist
from matching.engine.types import BAND_IDEAL, BAND_LABELS, BAND_OVERNIGHT
from matching.tests.decisions.national import (
    FERRY_MINUTES,
    SPECIAL_MEASURES,
    isle_of_wight,
    minutes_by_road,
    national_pool,
    places,
    special_measures_trusts,
)

SETTINGS = MatchSettings()
LONGEST = SETTINGS.geography.max_minutes


@lru_cache(maxsize=1)
def wave():
    return allocate_wave(special_measures_trusts(), national_pool(), SETTINGS, k=3)


@cache
def team(code):
    trust = next(t for t in special_measures_trusts() if t.ods_code == code)
    return build_team(trust, national_pool(), SETTINGS, k=3)


def members_of(code):
    result = team(code)
    teams = [("heuristic", result.heuristic), ("exact", result.exact)]
    allocation = next(a for a in wave().allocations if a.supported == code)
    return [(name, m) for name, t in teams for m in t.members] + [("wave", m) for m in allocation.members]


def near_coverers(trust, area):
    """Candidates eligible for the trust, within the longest travel time, covering `area` (from the scores)."""
    scores = score_pool(trust, national_pool(), SETTINGS)
    a = scores.need_areas.index(area)
    near = (scores.excluded == 0) & (scores.travel_minutes <= LONGEST) & (scores.coverage_t[a] > 0)
    return [national_pool().ods_codes[i] for i in np.flatnonzero(near)]


@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_every_team_and_wave_member_has_a_distance_a_travel_time_and_a_band(trust):
    members = members_of(trust.ods_code)
    assert members, f"{trust.ods_code} has no team"
    for source, m in members:
        assert math.isfinite(m.distance_km) and m.distance_km > 0, (source, m)
        assert math.isfinite(m.travel_minutes) and m.travel_minutes > 0, (source, m)
        assert m.band in BAND_LABELS and m.band == SETTINGS.geography.band_of(m.travel_minutes), (source, m)
        km, minutes = minutes_by_road(
            places()[trust.ods_code],
            places()[m.ods_code],
            SETTINGS.geography.road_factor,
            SETTINGS.geography.average_speed_kmh,
        )
        assert m.distance_km == pytest.approx(km, abs=0.01) and m.travel_minutes == round(minutes)


@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_a_member_beyond_three_hours_is_chosen_only_for_needs_no_eligible_nearer_trust_covers_and_says_so(trust):
    for source, m in members_of(trust.ods_code):
        if m.travel_minutes <= LONGEST:
            assert not m.warnings, (source, m)
            continue
        assert m.band == BAND_OVERNIGHT
        assert m.assigned_needs, f"{source}: {m.ods_code} is {m.travel_minutes:.0f} minutes away and leads no need"
        for area in m.assigned_needs:
            nearer = near_coverers(trust, area)
            assert not nearer, (
                f"{source} for {trust.ods_code}: {m.ods_code} ({m.travel_minutes:.0f} min) leads {area}, "
                f"which eligible trusts within {LONGEST:g} minutes cover: {nearer}"
            )
        assert any(w.startswith(f"Beyond {LONGEST:g} minutes") for w in m.warnings), (source, m)


def test_no_mainland_trust_is_in_the_ideal_band_under_an_hour_from_the_isle_of_wight():
    pool = national_pool()
    trust = isle_of_wight()
    assert trust.travel_adjustment_minutes == FERRY_MINUTES["R1F"] == 60.0
    scores = score_pool(trust, pool, SETTINGS)
    others = pool.ods_codes != "R1F"
    assert np.all(scores.travel_minutes[others] >= 60.0)
    ranked = shortlist(trust, pool, SETTINGS, k=len(pool)).ranked
    assert ranked
    for c in ranked:
        assert c.travel_minutes >= 60.0, c
        assert not (c.band == BAND_IDEAL and c.travel_minutes < 60.0)
        assert "including 60 minutes' travel adjustment" in c.criteria[2].reason
    # And from the mainland: the Isle of Wight as a candidate is at least the crossing away.
    for supported in special_measures_trusts():
        row = pool.ods_codes.tolist().index("R1F")
        assert score_pool(supported, pool, SETTINGS).travel_minutes[row] >= 60.0
