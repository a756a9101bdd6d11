"""The straightforward way: score one candidate at a time in a Python loop with the math module.

The same rules as `scoring.score_pool` and `shortlist.shortlist`, written plainly and independently of them:

- cultural fit is (1 + r) / 2 for the Pearson correlation r of the two staff survey profiles (their values
  patterns, whatever their levels); 0 when either profile is missing, partial or flat (not known is not average);
- expertise credits a need only where the candidate runs the service and its strength reaches the covering
  threshold (`MatchSettings.covers_at`), as strength / 5 weighted by the need's share of the priorities;
- geography scores the estimated travel time (straight-line km x road factor / speed, plus both trusts' travel
  adjustments) on the band; capacity is the smaller free share of places and staff days, 0 when not declared;
  structure is 0 when either trust type is not recorded;
- every exclusion, including trusts receiving support themselves (unless the settings include them), journeys
  beyond a candidate's declared furthest travel and the trust's current buddies;
- only eligible candidates covering at least one need are ranked, by total; but geography is a band, so a candidate
  beyond the longest travel time ranks after every candidate within it, unless it covers a need that no eligible
  candidate within it covers.

It exists as the yardstick for the benchmark and as an independent check on the vectorised engine in the tests;
nothing else uses it.
"""

from __future__ import annotations

import math

from matching.engine.geo import haversine_km_scalar
from matching.engine.scoring import FAR_DECAY_MINUTES, FLAT_PATTERN, LOG_SITES_SPAN
from matching.engine.types import CRITERIA, CandidatePool, MatchSettings, SupportedTrust


def shortlist_loop(
    supported: SupportedTrust, pool: CandidatePool, settings: MatchSettings | None = None, k: int = 10
) -> list[tuple[str, float]]:
    """The top k candidates that can help, as (ODS code, total), best first, ties by ODS code. One at a time.

    A candidate can help when nothing excludes it and it covers at least one need at the covering strength.
    """
    settings = settings or MatchSettings()
    weights = [getattr(settings.weights, name) for name in CRITERIA]
    weight_sum = sum(weights)
    weights = [w / weight_sum for w in weights]
    band = settings.geography
    n = len(pool)
    ods = pool.ods_codes.tolist()
    lat = pool.latitude.tolist()
    lon = pool.longitude.tolist()
    ics = pool.ics.tolist()
    culture = pool.culture.tolist()
    areas = list(pool.areas)
    strength = pool.strength.tolist()
    eligible = pool.eligible.tolist()
    max_arr = pool.max_arrangements.tolist()
    active = pool.active_arrangements.tolist()
    offered = pool.staff_days_offered.tolist()
    committed = pool.staff_days_committed.tolist()
    special = pool.in_special_measures.tolist()
    inadequate = pool.rated_inadequate.tolist()
    member = pool.pool_member.tolist()
    kinds = pool.trust_type.tolist()
    teaching = pool.is_teaching.tolist()
    sites = pool.number_of_sites.tolist()
    support = _column(pool.receiving_support, n, False)
    declared = _column(pool.capacity_declared, n, True)
    furthest = _column(pool.max_travel_minutes, n, math.nan)
    adjustment = _column(pool.travel_adjustment_minutes, n, 0.0)

    priority_sum = sum(need.priority for need in supported.needs)
    needs = [(areas.index(n.area) if n.area in areas else -1, n.priority / priority_sum) for n in supported.needs]
    s_lat, s_lon = float(supported.latitude or 0.0), float(supported.longitude or 0.0)
    s_culture = list(supported.culture) if supported.culture is not None else None

    results = []  # (ODS code, total, beyond the longest travel time, the needs it covers)
    covered_near = [False] * len(needs)  # by an eligible candidate within the longest travel time
    for i in range(n):
        # Exclusions
        if ods[i] == supported.ods_code or inadequate[i] or ods[i] in supported.vetoed:
            continue
        if ods[i] in supported.existing_buddies:
            continue
        if (special[i] or support[i]) and not settings.include_receiving_support:
            continue
        if settings.pool_only and not member[i]:
            continue
        if declared[i]:
            if max_arr[i] - active[i] <= 0 or offered[i] - committed[i] <= 0:
                continue
        elif active[i] >= 1:  # undeclared capacity counts as one place
            continue
        if not (_known_coordinate(lat[i], 90.0) and _known_coordinate(lon[i], 180.0)):
            continue
        distance = haversine_km_scalar(s_lat, s_lon, lat[i], lon[i])
        if distance < band.min_distance_km:
            continue
        if band.exclude_same_ics and supported.ics and ics[i] == supported.ics:
            continue
        travel = float(
            round(
                distance * band.road_factor / band.average_speed_kmh * 60.0
                + adjustment[i]
                + supported.travel_adjustment_minutes
            )
        )
        if not math.isnan(furthest[i]) and travel > furthest[i]:
            continue
        # Expertise: only strengths at the covering threshold, in a service the candidate runs.
        expertise = 0.0
        covers = []
        for a, (j, weight) in enumerate(needs):
            if j >= 0 and eligible[i][j] and strength[i][j] >= settings.covers_at:
                expertise += weight * strength[i][j] / 5.0
                covers.append(a)
        far = not travel <= band.max_minutes
        if not far:
            for a in covers:
                covered_near[a] = True
        if not covers:
            continue
        fit = _cultural_fit(s_culture, culture[i])
        # Geography
        if travel <= band.ideal_max_minutes:
            geography = 1.0
        elif travel <= band.max_minutes:
            geography = 1.0 - 0.5 * (travel - band.ideal_max_minutes) / (band.max_minutes - band.ideal_max_minutes)
        else:
            geography = 0.5 * math.exp(-(travel - band.max_minutes) / FAR_DECAY_MINUTES)
        # Capacity
        capacity = 0.0
        if declared[i]:
            places = (max_arr[i] - active[i]) / max_arr[i] if max_arr[i] > 0 else 0.0
            days = (offered[i] - committed[i]) / offered[i] if offered[i] > 0 else 0.0
            capacity = max(0.0, min(1.0, min(places, days)))
        # Structure
        structure = 0.0
        if supported.trust_type and kinds[i]:
            same_type = 1.0 if kinds[i] == supported.trust_type else 0.0
            same_teaching = 1.0 if teaching[i] == supported.is_teaching else 0.0
            ratio = abs(math.log(max(sites[i], 1)) - math.log(max(supported.number_of_sites, 1))) / LOG_SITES_SPAN
            structure = 0.5 * same_type + 0.25 * same_teaching + 0.25 * (1.0 - min(1.0, ratio))

        total = (
            weights[0] * fit
            + weights[1] * expertise
            + weights[2] * geography
            + weights[3] * capacity
            + weights[4] * structure
        )
        results.append((ods[i], total, far, covers))

    def key(item: tuple[str, float, bool, list[int]]) -> tuple[float, str]:
        code, total, far, covers = item
        needed = any(not covered_near[a] for a in covers)
        return (-(total - 1.0) if far and not needed else -total, code)

    results.sort(key=key)
    return [(code, total) for code, total, _, _ in results[:k]]


def _column(values: object, n: int, fill: float | bool) -> list:  # type: ignore[type-arg]
    if values is None:
        return [fill] * n
    return list(values.tolist())  # type: ignore[attr-defined]


def _known_coordinate(value: float, limit: float) -> bool:
    return math.isfinite(value) and abs(value) <= limit


def _cultural_fit(a: list[float] | None, b: list[float]) -> float:
    """(1 + r) / 2 for the Pearson correlation r of two full profiles; 0 if either is missing, partial or flat."""
    if a is None or len(a) == 0 or len(a) != len(b):
        return 0.0
    if any(not math.isfinite(x) for x in a) or any(not math.isfinite(x) for x in b):
        return 0.0
    mean_a = sum(a) / len(a)
    mean_b = sum(b) / len(b)
    da = [x - mean_a for x in a]
    db = [x - mean_b for x in b]
    spread_a = math.sqrt(sum(x * x for x in da))
    spread_b = math.sqrt(sum(x * x for x in db))
    if spread_a < FLAT_PATTERN or spread_b < FLAT_PATTERN:
        return 0.0
    r = sum(x * y for x, y in zip(da, db, strict=True)) / (spread_a * spread_b)
    return 0.5 + 0.5 * max(-1.0, min(1.0, r))
