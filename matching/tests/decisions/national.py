"""The national scenario as engine inputs, built straight from the trust file and the profiles (no database).

`national_pool()` is every one of the 252 real trusts in `../shared/data/nhs-trusts.geojson` as a candidate, with
the illustrative profiles of `matching.tests.national_profiles` on the 45 trusts they describe. Every other trust
has nothing recorded, exactly as after a real import: no trust type, no staff survey profile (a row of NaN), no
strengths, no services and no declared capacity. The Isle of Wight (R1F) has a 60-minute ferry crossing.

The facts the tests judge the engine by (who covers what, who is receiving support) are read from the profiles
here, never from the engine's output.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from matching.engine import CandidatePool, Need, SupportedTrust
from matching.tests import national_profiles as profiles

REPO = Path(__file__).resolve().parents[3]
GEOJSON = REPO / ".." / "shared" / "data" / "nhs-trusts.geojson"
FERRY_MINUTES = {code: float(m) for code, m in profiles.TRAVEL_ADJUSTMENT_MINUTES.items()}  # the Isle of Wight
ISLE_OF_WIGHT_NEEDS = (Need("quality-and-safety", 3), Need("governance-and-leadership", 2))
DAYS_PER_PLACE = 4  # senior staff days a month offered with each place, in pool variants
RECEIVING = ("special-measures", "recovery")
PROFILES = {p.ods_code: p for p in profiles.ALL_PROFILES}
SPECIAL_MEASURES = tuple(p.ods_code for p in profiles.SPECIAL_MEASURES_2013)
LABELS = {**profiles.AREA_NAMES, **profiles.TRUST_TYPE_NAMES}


@dataclass(frozen=True)
class Place:
    ods_code: str
    name: str
    latitude: float
    longitude: float


@lru_cache(maxsize=1)
def places() -> dict[str, Place]:
    """The real trusts by ODS code, in ODS order (as `matching.selectors.candidate_pool` orders its rows)."""
    path = GEOJSON.resolve()
    assert path.exists(), f"{path} is missing: these tests need the shared NHS trusts GeoJSON beside the repository"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    found = {
        f["properties"]["org_id"]: Place(
            ods_code=f["properties"]["org_id"],
            name=f["properties"]["name"],
            latitude=float(f["geometry"]["coordinates"][1]),
            longitude=float(f["geometry"]["coordinates"][0]),
        )
        for f in features
    }
    return dict(sorted(found.items()))


def receiving_support(ods_code: str) -> str:
    """Why a trust is itself receiving support ("special-measures", "recovery", "segment 4"), or ""."""
    p = PROFILES.get(ods_code)
    if p is None:
        return ""
    if p.improvement_status in RECEIVING:
        return p.improvement_status
    if p.oversight_segment >= 4:
        return f"segment {p.oversight_segment}"
    return ""


def strength_in(candidate: str, area: str) -> int:
    """The candidate's recorded strength in an area, 0 where it has none or does not run the service it needs."""
    p = PROFILES.get(candidate)
    if p is None:
        return 0
    service = profiles.AREA_SERVICE.get(area)
    if service is not None and service not in p.services:
        return 0
    return max((s.strength for s in p.expertise if s.area == area), default=0)


def covers(candidate: str, needs: tuple[Need, ...], at: int) -> tuple[str, ...]:
    """The needs (areas, in need order) the candidate is strong in (at least `at`) and runs the service for."""
    return tuple(n.area for n in needs if strength_in(candidate, n.area) >= at)


def has_nothing_recorded(ods_code: str) -> bool:
    return ods_code not in PROFILES


def culture_row(ods_code: str) -> np.ndarray:
    p = PROFILES.get(ods_code)
    if p is None:
        return np.full(len(profiles.CULTURE_THEMES), np.nan)
    return np.array([p.culture[theme] for theme in profiles.CULTURE_THEMES], dtype=np.float64)


def build_pool(
    *,
    pool_places: Mapping[str, int] | None = None,
    active: Mapping[str, int] | None = None,
) -> CandidatePool:
    """The national pool. With `pool_places`, only those trusts are accredited pool members, each declaring exactly
    that many buddying places (and DAYS_PER_PLACE senior staff days a place); `active` sets places already in use.
    Uncached: each call is a fresh pool (and a fresh preparation inside the engine)."""
    registry = places()
    codes = list(registry)
    n = len(codes)
    areas = profiles.EXPERTISE_AREAS
    strength = np.zeros((n, len(areas)), dtype=np.float64)
    eligible = np.ones((n, len(areas)), dtype=bool)
    culture = np.full((n, len(profiles.CULTURE_THEMES)), np.nan)
    max_places = np.zeros(n, dtype=np.int64)
    in_use = np.zeros(n, dtype=np.int64)
    days = np.zeros(n, dtype=np.float64)
    declared = np.zeros(n, dtype=bool)
    acquirer = np.zeros(n, dtype=bool)
    special = np.zeros(n, dtype=bool)
    support = np.zeros(n, dtype=bool)
    inadequate = np.zeros(n, dtype=bool)
    member = np.zeros(n, dtype=bool)
    trust_type = np.full(n, "", dtype=object)
    teaching = np.zeros(n, dtype=bool)
    sites = np.ones(n, dtype=np.int64)
    adjustment = np.zeros(n, dtype=np.float64)
    for i, code in enumerate(codes):
        adjustment[i] = FERRY_MINUTES.get(code, 0.0)
        # After an import a trust runs no recorded services, so no service-dependent area can be credited.
        p = PROFILES.get(code)
        runs = set(p.services) if p is not None else set()
        for j, area in enumerate(areas):
            service = profiles.AREA_SERVICE.get(area)
            eligible[i, j] = service is None or service in runs
        if p is None:
            continue
        for s in p.expertise:
            strength[i, areas.index(s.area)] = s.strength
        culture[i] = culture_row(code)
        if p.capacity is not None:
            max_places[i] = p.capacity.max_concurrent_arrangements
            days[i] = p.capacity.senior_staff_days_per_month
            declared[i] = True
            acquirer[i] = p.capacity.is_potential_acquirer
        special[i] = p.improvement_status == "special-measures"
        support[i] = p.improvement_status == "recovery" or p.oversight_segment >= 4
        inadequate[i] = p.cqc_rating == "inadequate"
        trust_type[i] = p.trust_type
        teaching[i] = p.is_teaching
        sites[i] = p.number_of_sites
    if pool_places is not None:
        for code, count in pool_places.items():
            i = codes.index(code)
            member[i] = True
            declared[i] = True
            max_places[i] = count
            days[i] = DAYS_PER_PLACE * count
    for code, count in (active or {}).items():
        in_use[codes.index(code)] = count
    return CandidatePool(
        ods_codes=np.array(codes, dtype=np.str_),
        latitude=np.array([registry[c].latitude for c in codes], dtype=np.float64),
        longitude=np.array([registry[c].longitude for c in codes], dtype=np.float64),
        ics=np.full(n, "", dtype=np.str_),  # the file records no integrated care system
        culture=culture,
        areas=areas,
        strength=strength,
        eligible=eligible,
        max_arrangements=max_places,
        active_arrangements=in_use,
        staff_days_offered=days,
        staff_days_committed=np.zeros(n, dtype=np.float64),
        in_special_measures=special,
        rated_inadequate=inadequate,
        pool_member=member,
        potential_acquirer=acquirer,
        trust_type=trust_type.astype(np.str_),
        is_teaching=teaching,
        number_of_sites=sites,
        receiving_support=support,
        capacity_declared=declared,
        max_travel_minutes=np.full(n, np.nan),
        travel_adjustment_minutes=adjustment,
        labels=LABELS,
    )


@lru_cache(maxsize=1)
def national_pool() -> CandidatePool:
    """The national pool, built once per test session (the engine caches its preparation on it)."""
    return build_pool()


def supported_trust(
    ods_code: str,
    *,
    needs: tuple[Need, ...] | None = None,
    existing_buddies: frozenset[str] = frozenset(),
) -> SupportedTrust:
    """A trust as the engine sees it when it asks for support: its own profile's needs unless `needs` is given."""
    place = places()[ods_code]
    p = PROFILES.get(ods_code)
    if needs is None:
        assert p is not None and p.needs, f"{ods_code} has no needs in the profiles"
        needs = tuple(Need(area=n.area, priority=n.priority) for n in p.needs)
    row = culture_row(ods_code)
    return SupportedTrust(
        ods_code=ods_code,
        needs=needs,
        latitude=place.latitude,
        longitude=place.longitude,
        culture=tuple(row.tolist()) if bool(np.isfinite(row).all()) else None,
        trust_type=p.trust_type if p else "",
        is_teaching=p.is_teaching if p else False,
        number_of_sites=p.number_of_sites if p else 1,
        travel_adjustment_minutes=FERRY_MINUTES.get(ods_code, 0.0),
        existing_buddies=existing_buddies,
        in_special_measures=p is not None and p.improvement_status == "special-measures",
    )


@lru_cache(maxsize=1)
def special_measures_trusts() -> tuple[SupportedTrust, ...]:
    """The eleven trusts put into special measures in July 2013, in the profiles' order."""
    return tuple(supported_trust(code) for code in SPECIAL_MEASURES)


def isle_of_wight() -> SupportedTrust:
    return supported_trust("R1F", needs=ISLE_OF_WIGHT_NEEDS)


def minutes_by_road(a: Place, b: Place, road_factor: float, speed_kmh: float) -> tuple[float, float]:
    """(km, minutes) by the straight-line estimate, recomputed here with the haversine formula."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    km = 2 * 6371.0088 * math.asin(math.sqrt(h))
    minutes = (
        km * road_factor / speed_kmh * 60 + FERRY_MINUTES.get(a.ods_code, 0.0) + FERRY_MINUTES.get(b.ods_code, 0.0)
    )
    return km, minutes
