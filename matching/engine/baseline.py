"""The straightforward way: score one candidate at a time in a Python loop with the math module.

Same maths as `scoring.score_pool` (culture centred on the mean of the pool and the supported trust, haversine,
the geography band, capacity headroom, structure, the same exclusions), written plainly. It exists as the yardstick
for the benchmark and as an independent check on the vectorised engine in the tests; nothing else uses it.
"""

from __future__ import annotations

import math

from matching.engine.geo import haversine_km_scalar
from matching.engine.scoring import FAR_DECAY_MINUTES, LOG_SITES_SPAN
from matching.engine.types import CRITERIA, CandidatePool, MatchSettings, SupportedTrust


def shortlist_loop(
    supported: SupportedTrust, pool: CandidatePool, settings: MatchSettings | None = None, k: int = 10
) -> list[tuple[str, float]]:
    """The top k eligible candidates as (ODS code, total), best first, ties by ODS code. One candidate at a time."""
    settings = settings or MatchSettings()
    weights = [getattr(settings.weights, name) for name in CRITERIA]
    weight_sum = sum(weights)
    weights = [w / weight_sum for w in weights]
    band = settings.geography
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

    priority_sum = sum(need.priority for need in supported.needs)
    needs = [(areas.index(n.area) if n.area in areas else -1, n.priority / priority_sum) for n in supported.needs]
    s_lat, s_lon = float(supported.latitude or 0.0), float(supported.longitude or 0.0)
    mean, v, vv = _culture_query(supported, culture)

    results = []
    for i in range(len(ods)):
        # Exclusions
        if ods[i] == supported.ods_code or special[i] or inadequate[i] or ods[i] in supported.vetoed:
            continue
        if settings.pool_only and not member[i]:
            continue
        if max_arr[i] - active[i] <= 0 or offered[i] - committed[i] <= 0:
            continue
        if math.isnan(lat[i]) or math.isnan(lon[i]):
            continue
        distance = haversine_km_scalar(s_lat, s_lon, lat[i], lon[i])
        if distance < band.min_distance_km:
            continue
        if band.exclude_same_ics and supported.ics and ics[i] == supported.ics:
            continue
        # Cultural fit
        fit = 0.5
        row = culture[i]
        if mean is not None and vv > 1e-9 and row and not any(math.isnan(x) for x in row):
            centred = [x - m for x, m in zip(row, mean, strict=True)]
            norm2 = sum(x * x for x in centred)
            if norm2 > 1e-9:
                cos = sum(x * y for x, y in zip(centred, v, strict=True)) / math.sqrt(norm2 * vv)
                fit = 0.5 + 0.5 * max(-1.0, min(1.0, cos))
        # Expertise
        expertise = 0.0
        for j, weight in needs:
            if j >= 0 and eligible[i][j]:
                expertise += weight * strength[i][j] / 5.0
        # Geography
        travel = distance * band.road_factor / band.average_speed_kmh * 60.0
        if travel <= band.ideal_max_minutes:
            geography = 1.0
        elif travel <= band.max_minutes:
            geography = 1.0 - 0.5 * (travel - band.ideal_max_minutes) / (band.max_minutes - band.ideal_max_minutes)
        else:
            geography = 0.5 * math.exp(-(travel - band.max_minutes) / FAR_DECAY_MINUTES)
        # Capacity
        places = (max_arr[i] - active[i]) / max_arr[i] if max_arr[i] > 0 else 0.0
        days = (offered[i] - committed[i]) / offered[i] if offered[i] > 0 else 0.0
        capacity = max(0.0, min(1.0, min(places, days)))
        # Structure
        same_type = 1.0 if supported.trust_type and kinds[i] == supported.trust_type else 0.0
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
        results.append((ods[i], total))
    results.sort(key=lambda item: (-item[1], item[0]))
    return results[:k]


def _culture_query(
    supported: SupportedTrust, culture: list[list[float]]
) -> tuple[list[float] | None, list[float], float]:
    """The mean (np.nanmean over the pool rows and the supported trust) and the supported trust's centred profile."""
    s = supported.culture
    if s is None or len(s) == 0 or any(math.isnan(x) for x in s):
        return None, [], 0.0
    sums = list(s)
    counts = [1] * len(s)
    for row in culture:
        for d, x in enumerate(row):
            if not math.isnan(x):
                sums[d] += x
                counts[d] += 1
    mean = [total / count for total, count in zip(sums, counts, strict=True)]
    v = [x - m for x, m in zip(s, mean, strict=True)]
    return mean, v, sum(x * x for x in v)
