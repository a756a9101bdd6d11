"""Reasons match numbers: every sentence shown beside a score says what the score was computed from."""

import re
from functools import cache, lru_cache

import numpy as np
import pytest

from matching.engine import MatchSettings, allocate_wave, build_team, score_pool, shortlist
from matching.tests import national_profiles as profiles
from matching.tests.decisions.national import (
    PROFILES,
    SPECIAL_MEASURES,
    covers,
    culture_row,
    minutes_by_road,
    national_pool,
    places,
    special_measures_trusts,
    strength_in,
)

SETTINGS = MatchSettings()
# Slugs that cannot be an English word ("finance" or "community" can be part of a name, so they are not checked).
SLUGS = tuple(slug for slug in (*profiles.EXPERTISE_AREAS, *profiles.TRUST_TYPE_NAMES) if "-" in slug)
CULTURE = re.compile(
    r"^Values pattern (\d+)% alike: correlation ([+-]\d\.\d\d) .* overall level (\d+\.\d) against (\d+\.\d) out of 10"
)
GEOGRAPHY = re.compile(r"^Estimated (\d+) minutes by road \((\d+) km")
COVERED = re.compile(r"([^,()]+?) \(strength (\d)/5, priority (\d)\)")
CAPACITY = re.compile(r"^(\d+) of (\d+) buddying places free; (\d+) of (\d+) senior staff days a month free$")
FAR_CLAIM = re.compile(r"chosen because no eligible trust nearer covers (.+)$")


@cache
def ranked(code):
    trust = next(t for t in special_measures_trusts() if t.ods_code == code)
    return trust, shortlist(trust, national_pool(), SETTINGS, k=len(national_pool())).ranked


@pytest.mark.parametrize("code", SPECIAL_MEASURES)
def test_the_culture_reason_gives_the_fit_and_the_correlation_of_the_two_staff_surveys(code):
    trust, candidates = ranked(code)
    own = np.asarray(trust.culture)
    for c in candidates:
        culture = c.criteria[0]
        match = CULTURE.match(culture.reason)
        assert match, f"{c.ods_code}: {culture.reason}"
        percent, correlation, level, own_level = match.groups()
        theirs = culture_row(c.ods_code)
        r = float(np.corrcoef(own, theirs)[0, 1])
        assert int(percent) == round(100 * culture.score), f"{c.ods_code}: {percent}% for a fit of {culture.score}"
        assert culture.score == pytest.approx((1 + r) / 2, abs=1e-9)
        assert correlation == f"{r:+.2f}", f"{c.ods_code}: correlation {correlation}, np.corrcoef gives {r:+.4f}"
        assert level == f"{theirs.mean():.1f}" and own_level == f"{own.mean():.1f}"


@pytest.mark.parametrize("code", SPECIAL_MEASURES)
def test_the_geography_reason_gives_the_minutes_and_kilometres_scored(code):
    _trust, candidates = ranked(code)
    geography = SETTINGS.geography
    for c in candidates:
        match = GEOGRAPHY.match(c.criteria[2].reason)
        assert match, f"{c.ods_code}: {c.criteria[2].reason}"
        assert int(match.group(1)) == round(c.travel_minutes), (c.ods_code, c.criteria[2].reason, c.travel_minutes)
        assert int(match.group(2)) == round(c.distance_km), (c.ods_code, c.criteria[2].reason, c.distance_km)
        km, minutes = minutes_by_road(
            places()[code], places()[c.ods_code], geography.road_factor, geography.average_speed_kmh
        )
        assert c.distance_km == pytest.approx(km, abs=0.01) and c.travel_minutes == round(minutes)
        assert c.band == geography.band_of(c.travel_minutes)


@pytest.mark.parametrize("code", SPECIAL_MEASURES)
def test_the_expertise_reason_names_exactly_the_needs_covered_by_name(code):
    trust, candidates = ranked(code)
    priority = {n.area: n.priority for n in trust.needs}
    by_name = {profiles.AREA_NAMES[area]: area for area in profiles.EXPERTISE_AREAS}
    for c in candidates:
        reason = c.criteria[1].reason
        first = reason.split("; ")[0]
        assert first.startswith("Covers "), reason
        named = COVERED.findall(first.removeprefix("Covers "))
        expected = covers(c.ods_code, trust.needs, SETTINGS.covers_at)
        assert sorted(name.strip() for name, _s, _p in named) == sorted(profiles.AREA_NAMES[a] for a in expected), (
            f"{c.ods_code}: {reason}"
        )
        for name, strength, need_priority in named:
            area = by_name[name.strip()]
            assert int(strength) == strength_in(c.ods_code, area) and int(need_priority) == priority[area], reason


@pytest.mark.parametrize("code", SPECIAL_MEASURES)
def test_the_capacity_and_structure_reasons_give_the_declared_numbers(code):
    trust, candidates = ranked(code)
    for c in candidates:
        capacity = PROFILES[c.ods_code].capacity
        reason = c.criteria[3].reason
        if capacity is None:
            assert not c.criteria[3].known and c.criteria[3].score == 0 and reason.startswith("Not known"), reason
        else:
            places_free, places_all, days_free, days_all = map(int, CAPACITY.match(reason).groups())
            assert places_free == places_all == capacity.max_concurrent_arrangements, reason
            assert days_free == days_all == capacity.senior_staff_days_per_month, reason
        sites = PROFILES[c.ods_code].number_of_sites
        assert profiles.TRUST_TYPE_NAMES[PROFILES[c.ods_code].trust_type] in c.criteria[4].reason
        assert f"{sites} {'site' if sites == 1 else 'sites'} against {trust.number_of_sites}" in c.criteria[4].reason


@pytest.mark.parametrize("code", SPECIAL_MEASURES)
def test_no_reason_warning_or_flag_shows_a_slug_instead_of_a_name(code):
    _trust, candidates = ranked(code)
    for c in candidates:
        for text in (*(x.reason for x in c.criteria), *c.warnings, *c.flags):
            for slug in SLUGS:
                assert not re.search(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", text), f"{slug!r} in {text!r}"


def places_of(code):
    """Buddying places a trust has for a wave: those it declared, or one where it declared none."""
    capacity = PROFILES[code].capacity
    return capacity.max_concurrent_arrangements if capacity else 1


@lru_cache(maxsize=1)
def wave():
    return allocate_wave(special_measures_trusts(), national_pool(), SETTINGS, k=3)


@pytest.mark.parametrize("trust", special_measures_trusts(), ids=SPECIAL_MEASURES)
def test_a_far_members_warning_that_no_eligible_trust_nearer_covers_its_needs_is_true(trust):
    pool = national_pool()
    codes = pool.ods_codes.tolist()
    scores = score_pool(trust, pool, SETTINGS)
    team = build_team(trust, pool, SETTINGS, k=3)
    allocation = next(a for a in wave().allocations if a.supported == trust.ods_code)
    load = wave().load
    by_name = {profiles.AREA_NAMES[area]: area for area in profiles.EXPERTISE_AREAS}
    untrue = []
    for source, members in (("team", team.exact.members), ("wave", allocation.members)):
        for m in members:
            claims = [FAR_CLAIM.search(w) for w in m.warnings]
            for claim in filter(None, claims):
                for name in claim.group(1).split(", "):
                    a = scores.need_areas.index(by_name[name])
                    nearer = [
                        f"{codes[i]} ({scores.travel_minutes[i]:.1f} min)"
                        for i in sorted(
                            np.flatnonzero(
                                (scores.excluded == 0)
                                & (scores.coverage_t[a] > 0)
                                & (scores.travel_minutes < m.travel_minutes)
                            ),
                            key=lambda i: scores.travel_minutes[i],
                        )
                        # In a wave, only a buddy with a place left could have been chosen instead.
                        if source == "team" or load.get(codes[i], 0) < places_of(codes[i])
                    ]
                    if nearer:
                        untrue.append(
                            f"{source}: {m.ods_code} ({m.travel_minutes:.1f} min) says no eligible trust nearer "
                            f"covers {name}, but {', '.join(nearer)} do"
                        )
    assert not untrue, "\n".join(untrue)
