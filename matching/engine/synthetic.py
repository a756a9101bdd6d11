"""Synthetic pools and supported trusts of realistic shape, for tests and benchmarks. Deterministic per seed.

Locations cluster around about 40 English city centres; ICS codes are the 42 real integrated care boards, each
trust taking the one whose centre is nearest; culture profiles are a few NHS Staff Survey archetypes plus noise;
expertise is sparse and stronger in better-rated trusts (most strengths of good trusts reach the covering
threshold of 3, so shortlists are not empty); some trusts do not run the service an area depends on. Some trusts
are receiving support themselves, have not declared their capacity, declared the furthest they will travel, or sit
across a ferry crossing; some supported trusts are in special measures or already have a buddy.

The columns added for the regulator's rules (receiving support, declared capacity, declared furthest travel,
travel adjustments, existing buddies) are drawn from a second generator seeded from the same seed, so the columns
that existed before them are unchanged for every seed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from matching.engine.types import CandidatePool, Need, SupportedTrust

DEFAULT_AREAS: tuple[str, ...] = (
    "quality-and-safety",
    "governance-and-leadership",
    "finance",
    "urgent-and-emergency-flow",
    "maternity",
    "children-and-young-people",
    "mental-health-care",
    "workforce-and-culture",
    "clinical-engagement",
    "estates",
    "digital",
    "elective-recovery",
)

# The service an area depends on (a trust that does not run it gets no credit for strength in the area).
AREA_SERVICE = {
    "urgent-and-emergency-flow": "emergency-care",
    "maternity": "maternity",
    "children-and-young-people": "paediatrics",
    "mental-health-care": "mental-health",
    "elective-recovery": "elective-surgery",
}
_ACUTE = frozenset({"emergency-care", "maternity", "paediatrics", "elective-surgery"})
SERVICES_BY_TYPE: dict[str, frozenset[str]] = {
    "acute-district-general": _ACUTE,
    "acute-large-teaching": _ACUTE,
    "integrated": _ACUTE,
    "mental-health": frozenset({"mental-health"}),
    "community": frozenset(),
    "ambulance": frozenset(),
    "specialist": frozenset({"elective-surgery"}),
}
TRUST_TYPES = tuple(SERVICES_BY_TYPE)
_TYPE_SHARE = (0.45, 0.12, 0.08, 0.18, 0.08, 0.04, 0.05)
# (lowest, highest) number of sites by type
_SITES = {
    "acute-district-general": (1, 6),
    "acute-large-teaching": (2, 8),
    "integrated": (3, 10),
    "mental-health": (3, 15),
    "community": (5, 20),
    "ambulance": (10, 30),
    "specialist": (1, 3),
}

# Integrated care boards: (ODS code, approximate centre latitude, longitude).
ICS_CENTRES: tuple[tuple[str, float, float], ...] = (
    ("QUE", 52.36, 0.02),
    ("QM7", 51.80, -0.20),
    ("QHG", 52.02, -0.55),
    ("QH8", 51.65, 0.55),
    ("QJG", 52.05, 1.00),
    ("QMM", 52.63, 1.30),
    ("QMJ", 51.58, -0.13),
    ("QMF", 51.55, 0.05),
    ("QRV", 51.52, -0.30),
    ("QKK", 51.45, -0.02),
    ("QWE", 51.40, -0.20),
    ("QHL", 52.48, -1.85),
    ("QUA", 52.55, -2.05),
    ("QWU", 52.40, -1.50),
    ("QGH", 52.20, -2.40),
    ("QOC", 52.70, -2.60),
    ("QNC", 52.85, -2.05),
    ("QJ2", 53.05, -1.50),
    ("QT1", 53.05, -1.10),
    ("QJM", 53.10, -0.30),
    ("QK1", 52.65, -1.15),
    ("QPM", 52.30, -0.80),
    ("QHM", 54.90, -1.70),
    ("QOQ", 53.95, -0.80),
    ("QF7", 53.45, -1.30),
    ("QWO", 53.75, -1.65),
    ("QE1", 53.90, -2.70),
    ("QOP", 53.50, -2.25),
    ("QYG", 53.30, -2.80),
    ("QU9", 51.75, -1.10),
    ("QNQ", 51.30, -0.75),
    ("QRL", 50.95, -1.25),
    ("QKS", 51.25, 0.70),
    ("QXU", 51.25, -0.40),
    ("QNX", 50.90, -0.20),
    ("QT6", 50.30, -5.00),
    ("QJK", 50.70, -3.70),
    ("QSL", 51.05, -3.00),
    ("QUY", 51.45, -2.60),
    ("QOX", 51.35, -1.90),
    ("QR1", 51.85, -2.25),
    ("QVV", 50.75, -2.20),
)

# City centres trusts cluster around: (latitude, longitude, relative number of trusts, spread in km).
CITIES: tuple[tuple[float, float, float, float], ...] = (
    (51.507, -0.128, 8.0, 12.0),  # London
    (52.486, -1.890, 3.0, 15.0),  # Birmingham
    (53.481, -2.243, 3.0, 15.0),  # Manchester
    (53.800, -1.549, 2.0, 15.0),  # Leeds
    (53.408, -2.992, 2.0, 12.0),  # Liverpool
    (54.978, -1.618, 2.0, 15.0),  # Newcastle
    (53.381, -1.470, 2.0, 12.0),  # Sheffield
    (51.454, -2.588, 2.0, 15.0),  # Bristol
    (52.955, -1.158, 1.5, 15.0),  # Nottingham
    (52.637, -1.140, 1.5, 15.0),  # Leicester
    (50.910, -1.404, 1.0, 15.0),  # Southampton
    (50.819, -1.088, 1.0, 10.0),  # Portsmouth
    (50.376, -4.143, 1.0, 15.0),  # Plymouth
    (50.718, -3.534, 1.0, 20.0),  # Exeter
    (52.631, 1.297, 1.0, 20.0),  # Norwich
    (52.205, 0.122, 1.0, 15.0),  # Cambridge
    (51.752, -1.258, 1.0, 15.0),  # Oxford
    (51.454, -0.978, 1.0, 15.0),  # Reading
    (50.823, -0.137, 1.0, 15.0),  # Brighton
    (51.280, 1.080, 1.0, 15.0),  # Canterbury
    (51.272, 0.523, 1.0, 12.0),  # Maidstone
    (52.407, -1.520, 1.0, 12.0),  # Coventry
    (53.025, -2.177, 1.0, 15.0),  # Stoke-on-Trent
    (52.923, -1.475, 1.0, 12.0),  # Derby
    (53.745, -0.335, 1.0, 15.0),  # Hull
    (53.959, -1.082, 1.0, 20.0),  # York
    (53.231, -0.541, 1.0, 25.0),  # Lincoln
    (53.763, -2.703, 1.0, 15.0),  # Preston
    (54.893, -2.933, 0.5, 20.0),  # Carlisle
    (54.574, -1.235, 1.0, 15.0),  # Middlesbrough
    (53.796, -1.759, 1.0, 10.0),  # Bradford
    (50.263, -5.051, 0.5, 20.0),  # Truro
    (52.057, 1.148, 1.0, 15.0),  # Ipswich
    (51.736, 0.469, 1.0, 15.0),  # Chelmsford
    (51.879, -0.420, 1.0, 12.0),  # Luton
    (52.240, -0.903, 1.0, 15.0),  # Northampton
    (52.570, -0.241, 1.0, 15.0),  # Peterborough
    (51.864, -2.244, 1.0, 15.0),  # Gloucester
    (52.192, -2.220, 1.0, 15.0),  # Worcester
    (52.707, -2.754, 0.7, 20.0),  # Shrewsbury
    (50.720, -1.880, 1.0, 12.0),  # Bournemouth
    (51.015, -3.101, 0.7, 20.0),  # Taunton
)

# NHS Staff Survey archetypes over its nine themes (0-10), as in the demo data.
CULTURE_ARCHETYPES: tuple[tuple[float, ...], ...] = (
    (7.6, 6.2, 7.0, 6.3, 5.8, 6.4, 7.0, 7.2, 6.2),  # compassionate
    (7.2, 5.9, 7.1, 6.0, 6.6, 6.1, 6.8, 7.1, 6.1),  # learning
    (6.9, 6.1, 6.3, 5.8, 5.6, 5.9, 6.5, 6.8, 5.9),  # performance
    (7.3, 5.8, 6.7, 6.2, 5.5, 6.6, 7.2, 6.9, 6.3),  # teamwork
)
# CQC-like tiers: outstanding, good, requires improvement, inadequate.
_TIER_SHARE = (0.15, 0.45, 0.35, 0.05)
_TIER_CULTURE_SHIFT = np.array([0.4, 0.1, -0.3, -0.8])
_TIER_AREAS = ((3, 6), (1, 4), (0, 2), (0, 1))  # (fewest, most) areas of strength
_TIER_STRENGTH = ((3, 5), (2, 5), (1, 3), (1, 2))
_TIER_POOL_MEMBER = np.array([0.70, 0.45, 0.20, 0.0])
_TIER_ACQUIRER = np.array([0.12, 0.06, 0.02, 0.0])
# In recovery or oversight segment 4-5 (receiving support themselves), by tier.
_TIER_RECEIVING_SUPPORT = np.array([0.0, 0.02, 0.25, 1.0])
_UNDECLARED_CAPACITY_SHARE = 0.1
_DECLARED_TRAVEL_SHARE = 0.5  # of pool members
_DECLARED_TRAVEL_MINUTES = (90.0, 120.0, 150.0, 180.0, 240.0)
_ISLAND_SHARE = 0.02  # trusts across a ferry crossing
_FERRY_MINUTES = (30.0, 45.0, 60.0, 90.0)
_EXISTING_BUDDY_SHARE = 0.15  # supported trusts that already have a buddy

_LAT_RANGE = (50.2, 55.8)
_LON_RANGE = (-5.5, 1.7)
_KM_PER_DEGREE = 111.2


def synthetic_pool(
    n: int,
    *,
    seed: int,
    areas: tuple[str, ...] = DEFAULT_AREAS,
    culture_dims: int = 9,
) -> CandidatePool:
    """A pool of `n` synthetic candidate trusts of realistic shape. The same seed gives the same pool.

    About 7% are in special measures and 5% rated inadequate, 40% are pool members, 5% declared potential
    acquirers; expertise is sparse (most strengths 0) and stronger in better-rated trusts; about 15% of acute
    trusts do not run maternity or paediatrics; ODS codes are unique and shuffled, so ODS order is not row order.
    About 14% are receiving support themselves (recovery or oversight segment 4-5: every inadequate trust and a
    quarter of those requiring improvement), 10% have not declared their capacity, half the pool members declared
    the furthest they will travel (90 to 240 minutes) and 2% are across a ferry crossing (30 to 90 minutes).
    """
    if n < 1:
        raise ValueError("A synthetic pool needs at least one candidate")
    rng = np.random.default_rng(seed)
    lat, lon = _locations(rng, n)
    tier = rng.choice(4, size=n, p=_TIER_SHARE)
    trust_type = rng.choice(len(TRUST_TYPES), size=n, p=_TYPE_SHARE)
    types = np.array(TRUST_TYPES)[trust_type]
    eligible = _eligibility(rng, types, areas)
    strength = _strengths(rng, tier, eligible)

    max_arr = rng.choice([1, 2, 3], size=n, p=[0.4, 0.4, 0.2]).astype(np.int64)
    busy = rng.random(n) < 0.4
    active = np.where(busy, rng.integers(1, max_arr + 1), 0).astype(np.int64)
    offered = np.where(rng.random(n) < 0.03, 0.0, rng.integers(4, 21, size=n).astype(np.float64))
    committed = np.floor(offered * active / max_arr * rng.uniform(0.5, 1.0, size=n))

    special = (tier == 3) | ((tier == 2) & (rng.random(n) < 0.057))
    sites_low = np.array([_SITES[t][0] for t in TRUST_TYPES])[trust_type]
    sites_high = np.array([_SITES[t][1] for t in TRUST_TYPES])[trust_type]
    teaching = (types == "acute-large-teaching") | (rng.random(n) < 0.15)

    codes = _codes("Y", n, rng)
    # Drawn in the order they always were, so existing columns stay the same for every seed.
    culture = _culture(rng, tier, culture_dims, missing_share=0.03)
    pool_member = rng.random(n) < _TIER_POOL_MEMBER[tier]
    potential_acquirer = rng.random(n) < _TIER_ACQUIRER[tier]
    sites = rng.integers(sites_low, sites_high + 1).astype(np.int64)
    # The regulator's columns, from their own generator (see the module docstring).
    extra = np.random.default_rng([seed, 1])
    declares_travel = pool_member & (extra.random(n) < _DECLARED_TRAVEL_SHARE)
    furthest = np.where(declares_travel, extra.choice(_DECLARED_TRAVEL_MINUTES, size=n), np.nan)
    island = extra.random(n) < _ISLAND_SHARE
    return CandidatePool(
        ods_codes=codes,
        latitude=lat,
        longitude=lon,
        ics=_nearest_ics(lat, lon),
        culture=culture,
        areas=tuple(areas),
        strength=strength,
        eligible=eligible,
        max_arrangements=max_arr,
        active_arrangements=active,
        staff_days_offered=offered,
        staff_days_committed=committed,
        in_special_measures=special,
        rated_inadequate=tier == 3,
        pool_member=pool_member,
        potential_acquirer=potential_acquirer,
        trust_type=types,
        is_teaching=teaching,
        number_of_sites=sites,
        receiving_support=extra.random(n) < _TIER_RECEIVING_SUPPORT[tier],
        capacity_declared=extra.random(n) >= _UNDECLARED_CAPACITY_SHARE,
        max_travel_minutes=furthest,
        travel_adjustment_minutes=np.where(island, extra.choice(_FERRY_MINUTES, size=n), 0.0),
    )


def synthetic_supported(pool: CandidatePool, m: int, *, seed: int) -> list[SupportedTrust]:
    """`m` synthetic trusts needing support (mostly acute, weaker culture), each with 2-5 needs of priority 1-3.

    Their ODS codes (X....) never clash with the pool's. A few veto one pool member. Those rated inadequate (about
    40%) are in special measures; about 15% already have a buddy (a pool member with an active arrangement, so the
    arrangement already uses one of its places) and 2% are across a ferry crossing. The same seed gives the same
    trusts.
    """
    rng = np.random.default_rng(seed)
    lat, lon = _locations(rng, m)
    ics = _nearest_ics(lat, lon)
    tier = rng.choice([2, 3], size=m, p=[0.6, 0.4])
    dims = int(pool.culture.shape[1])
    culture = _culture(rng, tier, dims, missing_share=0.05)
    kinds = rng.choice(
        ["acute-district-general", "integrated", "mental-health", "acute-large-teaching", "community"],
        size=m,
        p=[0.6, 0.1, 0.15, 0.1, 0.05],
    )
    codes = _codes("X", m, rng)
    pool_codes = pool.ods_codes
    extra = np.random.default_rng([seed, 2])
    busy = np.flatnonzero(np.asarray(pool.active_arrangements) > 0)
    has_buddy = (extra.random(m) < _EXISTING_BUDDY_SHARE) & (busy.size > 0)
    buddy = busy[extra.integers(max(busy.size, 1), size=m)] if busy.size else np.zeros(m, dtype=np.intp)
    ferry = np.where(extra.random(m) < _ISLAND_SHARE, extra.choice(_FERRY_MINUTES, size=m), 0.0)
    trusts = []
    for i in range(m):
        kind = str(kinds[i])
        services = SERVICES_BY_TYPE[kind]
        relevant = [a for a in pool.areas if AREA_SERVICE.get(a, "") in services or a not in AREA_SERVICE]
        count = int(rng.integers(2, 6))
        chosen = rng.choice(len(relevant), size=min(count, len(relevant)), replace=False)
        needs = tuple(
            Need(area=relevant[j], priority=3 if position < 2 else int(rng.integers(1, 4)))
            for position, j in enumerate(chosen.tolist())
        )
        vetoed = frozenset({str(pool_codes[rng.integers(len(pool_codes))])}) if rng.random() < 0.1 else frozenset()
        profile = None if np.isnan(culture[i, 0]) else tuple(float(x) for x in culture[i])
        low, high = _SITES[kind]
        trusts.append(
            SupportedTrust(
                ods_code=str(codes[i]),
                needs=needs,
                latitude=float(lat[i]),
                longitude=float(lon[i]),
                ics=str(ics[i]),
                culture=profile,
                vetoed=vetoed,
                trust_type=kind,
                is_teaching=kind == "acute-large-teaching",
                number_of_sites=int(rng.integers(low, high + 1)),
                travel_adjustment_minutes=float(ferry[i]),
                existing_buddies=frozenset({str(pool_codes[buddy[i]])}) if has_buddy[i] else frozenset(),
                in_special_measures=bool(tier[i] == 3),
            )
        )
    return trusts


def _locations(rng: np.random.Generator, n: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    cities = np.array(CITIES)
    share = cities[:, 2] / cities[:, 2].sum()
    city = rng.choice(len(cities), size=n, p=share)
    spread = cities[city, 3]
    lat = cities[city, 0] + rng.normal(0.0, 1.0, n) * spread / _KM_PER_DEGREE
    lon = cities[city, 1] + rng.normal(0.0, 1.0, n) * spread / (_KM_PER_DEGREE * np.cos(np.radians(lat)))
    return np.clip(lat, *_LAT_RANGE), np.clip(lon, *_LON_RANGE)


def _nearest_ics(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> npt.NDArray[np.str_]:
    centres = np.array([(c[1], c[2]) for c in ICS_CENTRES])
    # Equirectangular distance is plenty to pick the nearest centre.
    dy = lat[:, None] - centres[None, :, 0]
    dx = (lon[:, None] - centres[None, :, 1]) * np.cos(np.radians(lat))[:, None]
    nearest = np.argmin(dy * dy + dx * dx, axis=1)
    codes: npt.NDArray[np.str_] = np.array([c[0] for c in ICS_CENTRES])[nearest]
    return codes


def _eligibility(
    rng: np.random.Generator, types: npt.NDArray[np.str_], areas: tuple[str, ...]
) -> npt.NDArray[np.bool_]:
    n = types.shape[0]
    runs: dict[str, npt.NDArray[np.bool_]] = {
        service: np.isin(types, [t for t in TRUST_TYPES if service in SERVICES_BY_TYPE[t]])
        for service in ("emergency-care", "maternity", "paediatrics", "elective-surgery", "mental-health")
    }
    # Not every acute trust still runs maternity or paediatrics (about 15% have lost one of them).
    lost = runs["maternity"] & (rng.random(n) < 0.15)
    lose_maternity = rng.random(n) < 0.5
    runs["maternity"] = runs["maternity"] & np.logical_not(lost & lose_maternity)
    runs["paediatrics"] = runs["paediatrics"] & np.logical_not(lost & np.logical_not(lose_maternity))
    eligible = np.ones((n, len(areas)), dtype=bool)
    for j, area in enumerate(areas):
        if area in AREA_SERVICE:
            eligible[:, j] = runs[AREA_SERVICE[area]]
    return eligible


def _strengths(
    rng: np.random.Generator, tier: npt.NDArray[np.int64], eligible: npt.NDArray[np.bool_]
) -> npt.NDArray[np.float64]:
    n, n_areas = eligible.shape
    strength = np.zeros((n, n_areas), dtype=np.float64)
    low = np.array([t[0] for t in _TIER_AREAS])[tier]
    high = np.array([t[1] for t in _TIER_AREAS])[tier]
    count = np.minimum(rng.integers(low, high + 1), n_areas)
    # Random priorities per area, lower for areas the trust cannot claim (a few still record strength there:
    # the engine must give them no credit).
    noise = rng.random((n, n_areas)) + np.where(eligible, 0.0, 0.97)
    order = np.argsort(noise, axis=1)
    chosen = np.arange(n_areas)[None, :] < count[:, None]
    s_low = np.array([t[0] for t in _TIER_STRENGTH])[tier]
    s_high = np.array([t[1] for t in _TIER_STRENGTH])[tier]
    values = rng.integers(s_low[:, None], s_high[:, None] + 1, size=(n, n_areas)).astype(np.float64)
    rows = np.broadcast_to(np.arange(n)[:, None], (n, n_areas))
    strength[rows[chosen], order[chosen]] = values[chosen]
    return strength


def _culture(
    rng: np.random.Generator, tier: npt.NDArray[np.int64], dims: int, *, missing_share: float
) -> npt.NDArray[np.float64]:
    n = tier.shape[0]
    if dims == len(CULTURE_ARCHETYPES[0]):
        archetypes = np.array(CULTURE_ARCHETYPES)
    else:
        archetypes = np.clip(6.5 + rng.normal(0.0, 0.5, (4, dims)), 0.0, 10.0)
    base = archetypes[rng.integers(len(archetypes), size=n)]
    level = rng.normal(0.0, 0.3, (n, 1))  # some trusts score higher or lower across the board
    culture = base + _TIER_CULTURE_SHIFT[tier][:, None] + level + rng.normal(0.0, 0.35, (n, dims))
    rounded: npt.NDArray[np.float64] = np.round(np.clip(culture, 0.0, 10.0), 1)
    rounded[rng.random(n) < missing_share] = np.nan
    return rounded


def _codes(prefix: str, n: int, rng: np.random.Generator) -> npt.NDArray[np.str_]:
    width = max(4, len(str(n - 1)))
    return np.array([f"{prefix}{j:0{width}d}" for j in rng.permutation(n).tolist()])
