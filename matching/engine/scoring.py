"""Score every candidate in a pool against one supported trust, all at once with NumPy.

`score_pool` is the engine's hot path: the shortlist, the team builder and the wave allocator all start from it.
Per-candidate work that does not depend on the supported trust (trigonometry of locations, centred culture
profiles, expertise quality, capacity, integer codes for ICS and trust type, ODS order) is done once per pool by
`prepare_pool` and cached on the pool object, so each call is a few dozen whole-array operations.
"""

from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matching.engine.geo import PreparedPoints
from matching.engine.types import (
    CRITERIA,
    EXCLUDE_AT_CAPACITY,
    EXCLUDE_INADEQUATE,
    EXCLUDE_NO_LOCATION,
    EXCLUDE_NOT_IN_POOL,
    EXCLUDE_SAME_ICS,
    EXCLUDE_SELF,
    EXCLUDE_SPECIAL_MEASURES,
    EXCLUDE_TOO_NEAR,
    EXCLUDE_VETOED,
    CandidatePool,
    EngineInputError,
    GeographyBand,
    MatchSettings,
    SupportedTrust,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]

CULTURAL_FIT, EXPERTISE, GEOGRAPHY, CAPACITY, STRUCTURE = range(len(CRITERIA))
NEUTRAL_FIT = 0.5
# The tail beyond the longest travel time halves the score every 60 x ln 2 (about 42) minutes.
FAR_DECAY_MINUTES = 60.0
LOG_SITES_SPAN = math.log(6.0)  # a six-fold difference in sites counts as wholly different
# A centred culture vector with a squared norm below this (in squared 0-10 survey points) is the average itself:
# it has no direction to compare.
_ZERO_VECTOR = 1e-9
_CACHE_ATTRIBUTE = "_matching_engine_prepared"
# Candidates scored per block. Blocks bound the scratch memory for very large pools; smaller blocks (tried down to
# 8,192 to stay in L2) were no faster on this machine, so a pool of up to 262,144 is scored in one block.
BLOCK_ROWS = 1 << 18
_STRUCTURE_CACHE_SIZE = 16
_NO_PROFILE_SQ = -1e300  # squared norm given to rows with no culture profile, so they never pass the zero test
# Bit positions, so a boolean array becomes its exclusion bit with one shift (viewed as uint8, no branches).
_TOO_NEAR_SHIFT = EXCLUDE_TOO_NEAR.bit_length() - 1
_SAME_ICS_SHIFT = EXCLUDE_SAME_ICS.bit_length() - 1


@dataclass(frozen=True, eq=False)
class PreparedPool:
    """What scoring needs from a pool that does not depend on the supported trust. Built once per pool."""

    n: int
    ods: tuple[str, ...]
    ods_index: dict[str, int]
    ods_rank: npt.NDArray[np.int64]  # each row's position in ODS-code order (for tie-breaks without strings)
    points: PreparedPoints
    missing_location: npt.NDArray[np.intp]  # rows with no location (usually none)
    culture_dims: int
    culture_centred_t: FloatArray  # (D, n): rows centred on the pool mean; rows with no full profile are zero
    culture_sq: FloatArray  # (n,): squared norm of each centred row; _NO_PROFILE_SQ where there is no full profile
    culture_sum: FloatArray  # (D,): sum of known values per dimension (for np.nanmean with the supported trust)
    culture_count: FloatArray  # (D,): number of known values per dimension
    culture_uniform: bool  # every dimension has the same count, so the mean shift is parallel to the query
    area_index: dict[str, int]
    quality_t: FloatArray  # (A + 1, n): strength / 5 where eligible, else 0; the last row is all zero
    capacity: FloatArray  # (n,)
    static_mask: IntArray  # exclusions that do not depend on the supported trust
    static_mask_pool_only: IntArray  # the same plus EXCLUDE_NOT_IN_POOL
    ics_code: IntArray
    ics_lookup: dict[str, int]
    type_code: IntArray
    type_lookup: dict[str, int]
    teaching: BoolArray
    log_sites: FloatArray
    slots: npt.NDArray[np.int64]  # free buddying places: max(0, max - active)
    # (type code, teaching, sites) -> structure score row; see _structure_row
    structure_cache: dict[tuple[int, bool, int], FloatArray] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class PoolScores:
    """Every candidate's scores against one supported trust. Row i is candidate i of the pool.

    `criteria[:, j]` is criterion CRITERIA[j] in [0, 1]; `total` = criteria @ weights; `excluded` is a bit mask of
    EXCLUDE_* reasons (0 = eligible). `coverage[i, a]` is candidate i's quality q (strength / 5, 0 without the
    service) in need a. Distances and travel times are NaN where a location is unknown (those rows are excluded).
    """

    supported: str
    criteria: FloatArray  # (n, 5), a view of a (5, n) array
    weights: FloatArray  # (5,), normalised
    total: FloatArray  # (n,)
    excluded: IntArray  # (n,)
    distance_km: FloatArray  # (n,)
    travel_minutes: FloatArray  # (n,)
    need_areas: tuple[str, ...]
    need_priorities: tuple[int, ...]
    need_weights: FloatArray  # (m,): priority / sum of priorities
    need_known: tuple[bool, ...]  # whether each need's area is one the pool records
    need_rows: npt.NDArray[np.intp]  # (m,): each need's row of quality_t
    quality_t: FloatArray  # (A + 1, n): the pool's expertise quality (shared, read-only)
    culture_compared: BoolArray  # (n,): False where cultural fit is the neutral 0.5 for want of a profile

    def __len__(self) -> int:
        return int(self.total.shape[0])

    @functools.cached_property
    def coverage(self) -> FloatArray:
        """(n, m): q for each candidate and need. Built on first use: the shortlist only needs k rows of it."""
        result: FloatArray = self.quality_t[self.need_rows].T
        return result

    def coverage_rows(self, rows: npt.ArrayLike) -> FloatArray:
        """q for some candidates only, (len(rows), m)."""
        result: FloatArray = self.quality_t[:, np.asarray(rows, dtype=np.intp)][self.need_rows].T
        return result

    def match_quality(self) -> FloatArray:
        """m_c: each candidate's non-expertise match (the other four criteria, weights renormalised without
        expertise). 1.0 everywhere if expertise is the only weighted criterion."""
        w = self.weights.copy()
        w[EXPERTISE] = 0.0
        if w.sum() <= 0:
            return np.ones(len(self), dtype=np.float64)
        w /= w.sum()
        result = np.empty(len(self), dtype=np.float64)
        weighted_sum(w.tolist(), self.criteria.T, result, np.empty_like(result))
        return result

    def need_values(self) -> FloatArray:
        """v[c, a] = w_a x q_ca x m_c, with excluded candidates' rows zero: what a team maximises (n, m)."""
        values: FloatArray = self.coverage * self.need_weights
        values *= self.match_quality()[:, None]
        values[self.excluded != 0] = 0.0
        return values


def prepare_pool(pool: CandidatePool) -> PreparedPool:
    """Validate the pool and precompute everything that does not depend on the supported trust.

    The result is cached on the pool (it is frozen; its arrays must not be changed in place afterwards).
    """
    cached = pool.__dict__.get(_CACHE_ATTRIBUTE)
    if isinstance(cached, PreparedPool):
        return cached
    prepared = _prepare(pool)
    object.__setattr__(pool, _CACHE_ATTRIBUTE, prepared)
    return prepared


def _prepare(pool: CandidatePool) -> PreparedPool:
    n = len(pool)
    if n == 0:
        raise EngineInputError("The pool of candidates is empty")
    _check_pool_shapes(pool, n)
    ods = tuple(str(code) for code in np.asarray(pool.ods_codes).tolist())
    ods_index = {code: i for i, code in enumerate(ods)}
    if len(ods_index) != n:
        seen: set[str] = set()
        duplicate = next(code for code in ods if code in seen or seen.add(code))  # type: ignore[func-returns-value]
        raise EngineInputError(f"The ODS code {duplicate} appears more than once in the pool")
    order = np.argsort(np.asarray(ods), kind="stable")
    ods_rank = np.empty(n, dtype=np.int64)
    ods_rank[order] = np.arange(n, dtype=np.int64)

    lat = np.asarray(pool.latitude, dtype=np.float64)
    lon = np.asarray(pool.longitude, dtype=np.float64)
    points = PreparedPoints.from_degrees(lat, lon)

    culture_centred_t, culture_sq, culture_sum, culture_count = _prepare_culture(
        np.asarray(pool.culture, dtype=np.float64)
    )
    culture_uniform = bool(culture_count.size == 0 or np.all(culture_count == culture_count[0]))

    areas = tuple(pool.areas)
    if len(set(areas)) != len(areas):
        raise EngineInputError("An expertise area appears more than once in the pool's areas")
    strength = np.asarray(pool.strength, dtype=np.float64)
    if not np.all(np.isfinite(strength)) or np.any(strength < 0) or np.any(strength > 5):
        raise EngineInputError("Every expertise strength must be a number from 0 to 5")
    quality = np.where(np.asarray(pool.eligible, dtype=bool), strength / 5.0, 0.0)
    quality_t = np.zeros((len(areas) + 1, n), dtype=np.float64)
    quality_t[: len(areas)] = quality.T

    max_arr = np.asarray(pool.max_arrangements, dtype=np.int64)
    active = np.asarray(pool.active_arrangements, dtype=np.int64)
    offered = np.asarray(pool.staff_days_offered, dtype=np.float64)
    committed = np.asarray(pool.staff_days_committed, dtype=np.float64)
    if not (np.all(np.isfinite(offered)) and np.all(np.isfinite(committed))):
        raise EngineInputError("Senior staff days offered and committed must be numbers")
    places = np.where(max_arr > 0, (max_arr - active) / np.maximum(max_arr, 1), 0.0)
    days = np.where(offered > 0, (offered - committed) / np.where(offered > 0, offered, 1.0), 0.0)
    capacity = np.clip(np.minimum(places, days), 0.0, 1.0)
    at_capacity = (max_arr - active <= 0) | (offered - committed <= 0)

    static = (
        np.asarray(pool.in_special_measures, dtype=bool) * EXCLUDE_SPECIAL_MEASURES
        | np.asarray(pool.rated_inadequate, dtype=bool) * EXCLUDE_INADEQUATE
        | at_capacity * EXCLUDE_AT_CAPACITY
        | points.missing * EXCLUDE_NO_LOCATION
    ).astype(np.int32)
    pool_only = static | (~np.asarray(pool.pool_member, dtype=bool) * EXCLUDE_NOT_IN_POOL).astype(np.int32)

    ics_code, ics_lookup = _codes(pool.ics)
    type_code, type_lookup = _codes(pool.trust_type)
    sites = np.maximum(np.asarray(pool.number_of_sites, dtype=np.float64), 1.0)  # fewer than 1 site reads as 1

    return PreparedPool(
        n=n,
        ods=ods,
        ods_index=ods_index,
        ods_rank=ods_rank,
        points=points,
        missing_location=np.flatnonzero(points.missing),
        culture_dims=int(culture_centred_t.shape[0]),
        culture_centred_t=culture_centred_t,
        culture_sq=culture_sq,
        culture_sum=culture_sum,
        culture_count=culture_count,
        culture_uniform=culture_uniform,
        area_index={area: j for j, area in enumerate(areas)},
        quality_t=quality_t,
        capacity=capacity,
        static_mask=static,
        static_mask_pool_only=pool_only,
        ics_code=ics_code,
        ics_lookup=ics_lookup,
        type_code=type_code,
        type_lookup=type_lookup,
        teaching=np.asarray(pool.is_teaching, dtype=bool),
        log_sites=np.log(sites),
        slots=np.maximum(max_arr - active, 0),
    )


def _check_pool_shapes(pool: CandidatePool, n: int) -> None:
    for name in (
        "latitude",
        "longitude",
        "ics",
        "max_arrangements",
        "active_arrangements",
        "staff_days_offered",
        "staff_days_committed",
        "in_special_measures",
        "rated_inadequate",
        "pool_member",
        "potential_acquirer",
        "trust_type",
        "is_teaching",
        "number_of_sites",
    ):
        shape = np.shape(getattr(pool, name))
        if shape != (n,):
            got = shape[0] if len(shape) == 1 else f"shape {shape}"
            raise EngineInputError(f"The pool has {n} candidates but {got} values of {name.replace('_', ' ')}")
    culture_shape = np.shape(pool.culture)
    if len(culture_shape) != 2 or culture_shape[0] != n:
        raise EngineInputError(f"The pool has {n} candidates but culture profiles of shape {culture_shape}")
    for name in ("strength", "eligible"):
        shape = np.shape(getattr(pool, name))
        if shape != (n, len(pool.areas)):
            raise EngineInputError(
                f"The pool has {n} candidates and {len(pool.areas)} areas but {name} has shape {shape}"
            )


def _prepare_culture(culture: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    known = np.isfinite(culture)
    count = known.sum(axis=0).astype(np.float64)
    total = np.where(known, culture, 0.0).sum(axis=0)
    mean0 = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    has = np.asarray(known.all(axis=1), dtype=bool) if culture.shape[1] else np.zeros(culture.shape[0], dtype=bool)
    centred = np.where(has[:, None], culture - mean0, 0.0)
    centred_t = np.ascontiguousarray(centred.T)
    sq = np.where(has, np.einsum("ij,ij->i", centred, centred), _NO_PROFILE_SQ)
    return centred_t, sq, total, count


def _codes(values: npt.NDArray[np.str_]) -> tuple[IntArray, dict[str, int]]:
    """Integer codes for a column of strings, so the hot path compares integers, not np.str_."""
    lookup: dict[str, int] = {}
    codes = np.fromiter(
        (lookup.setdefault(str(v), len(lookup)) for v in np.asarray(values).tolist()), dtype=np.int32, count=len(values)
    )
    return codes, lookup


@dataclass(frozen=True)
class ValidatedTrust:
    """A supported trust's needs and location, checked and ready for scoring."""

    latitude: float
    longitude: float
    areas: tuple[str, ...]
    priorities: tuple[int, ...]
    weights: FloatArray
    rows: list[int]  # row of quality_t for each need (the all-zero row for an unknown area)
    known: tuple[bool, ...]


def validate_supported(supported: SupportedTrust, prepared: PreparedPool) -> ValidatedTrust:
    """Check a supported trust can be matched; raise EngineInputError with one plain sentence if not."""
    ods = supported.ods_code
    if not supported.needs:
        raise EngineInputError(f"{ods} has no improvement needs recorded, so there is nothing to match against")
    latitude, longitude = supported.latitude, supported.longitude
    if latitude is None or longitude is None or not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise EngineInputError(f"{ods} has no location, so geography cannot be judged")
    if not (-90.0 <= latitude <= 90.0 and -180.0 <= longitude <= 180.0):
        raise EngineInputError(f"{ods} has a location outside the range of latitudes and longitudes")
    seen: set[str] = set()
    for need in supported.needs:
        if isinstance(need.priority, bool) or not isinstance(need.priority, int | np.integer):
            raise EngineInputError(f"{ods}'s need for {need.area} has a priority that is not a whole number")
        if not 1 <= need.priority <= 3:
            raise EngineInputError(
                f"{ods}'s need for {need.area} has priority {need.priority}, but priorities run from 1 to 3"
            )
        if need.area in seen:
            raise EngineInputError(f"{ods} lists the need for {need.area} more than once")
        seen.add(need.area)
    if supported.culture is not None and len(supported.culture) != prepared.culture_dims:
        raise EngineInputError(
            f"{ods} has a culture profile of {len(supported.culture)} scores, "
            f"but the pool's profiles have {prepared.culture_dims}"
        )
    if supported.number_of_sites < 1:
        raise EngineInputError(f"{ods} must have at least 1 site")
    priorities = tuple(int(need.priority) for need in supported.needs)
    weights = np.asarray(priorities, dtype=np.float64)
    weights /= weights.sum()
    blank = len(prepared.quality_t) - 1
    rows = [prepared.area_index.get(need.area, blank) for need in supported.needs]
    return ValidatedTrust(
        latitude=float(latitude),
        longitude=float(longitude),
        areas=tuple(need.area for need in supported.needs),
        priorities=priorities,
        weights=weights,
        rows=rows,
        known=tuple(row != blank for row in rows),
    )


def score_pool(supported: SupportedTrust, pool: CandidatePool, settings: MatchSettings) -> PoolScores:
    """Score every candidate in `pool` against `supported` on the five criteria, vectorised over candidates.

    Raises EngineInputError (one plain sentence) for settings or input the engine cannot use.
    """
    settings.validate()
    prepared = prepare_pool(pool)
    needs = validate_supported(supported, prepared)
    return score_prepared(supported, prepared, settings, needs)


def score_prepared(
    supported: SupportedTrust, prep: PreparedPool, settings: MatchSettings, needs: ValidatedTrust
) -> PoolScores:
    """`score_pool` for a pool already prepared and a trust already validated (settings validated by the caller).

    Writes into preallocated outputs with a few scratch arrays (out= everywhere), so a call allocates only what it
    returns; pools larger than BLOCK_ROWS are worked through in blocks to bound the scratch memory.
    """
    n = prep.n
    band = settings.geography
    weights = settings.weights.normalised()
    crit_t = np.empty((len(CRITERIA), n), dtype=np.float64)  # criterion-major, so totals are one gemv
    total = np.empty(n, dtype=np.float64)
    distance = np.empty(n, dtype=np.float64)
    travel = np.empty(n, dtype=np.float64)
    excluded = np.empty(n, dtype=np.int32)
    compared = np.zeros(n, dtype=bool)
    block = min(n, BLOCK_ROWS)
    scratch = np.empty((3, block), dtype=np.float64)
    flag = np.empty(block, dtype=bool)

    culture = _culture_query(supported, prep)
    if culture is None:
        crit_t[CULTURAL_FIT].fill(NEUTRAL_FIT)
    geo_query = prep.points.query(needs.latitude, needs.longitude)
    km_to_minutes = band.road_factor / band.average_speed_kmh * 60.0
    structure = _structure_row(supported, prep)
    static = prep.static_mask_pool_only if settings.pool_only else prep.static_mask
    ics_code = prep.ics_lookup.get(supported.ics) if supported.ics and band.exclude_same_ics else None
    need_rows = np.asarray(needs.rows, dtype=np.intp)
    need_weights = needs.weights.tolist()
    weight_list = weights.tolist()

    for start in range(0, n, block):
        rows = slice(start, min(start + block, n))
        size = rows.stop - start
        if culture is not None:
            _culture_block(prep, culture, rows, crit_t[CULTURAL_FIT, rows], compared[rows], scratch[:, :size])
        # Expertise: sum over needs of w_a x q_ca, from the needs' rows of the (A + 1, n) quality array.
        weighted_sum(need_weights, prep.quality_t[need_rows, rows], crit_t[EXPERTISE, rows], scratch[0, :size])
        d = distance[rows]
        prep.points.distances_into(geo_query, rows, d, scratch[0], scratch[1])
        np.multiply(d, km_to_minutes, out=travel[rows])
        _geography_block(band, travel[rows], crit_t[GEOGRAPHY, rows], scratch[0, :size])
        crit_t[CAPACITY, rows] = prep.capacity[rows]
        crit_t[STRUCTURE, rows] = structure[rows]
        # Exclusions: the static mask plus too near and same ICS, as bits shifted in from boolean arrays.
        ex = excluded[rows]
        near = flag[:size]
        np.less(d, band.min_distance_km, out=near)
        np.left_shift(near.view(np.uint8), _TOO_NEAR_SHIFT, out=ex, dtype=np.int32)
        ex |= static[rows]
        if ics_code is not None:
            np.equal(prep.ics_code[rows], ics_code, out=near)
            ex |= np.left_shift(near.view(np.uint8), _SAME_ICS_SHIFT, dtype=np.int32)
        if prep.missing_location.size:
            low, high = np.searchsorted(prep.missing_location, (start, rows.stop))
            missing = prep.missing_location[low:high]
            distance[missing] = np.nan
            travel[missing] = np.nan
            crit_t[GEOGRAPHY, missing] = 0.0
            excluded[missing] &= ~np.int32(EXCLUDE_TOO_NEAR)
        weighted_sum(weight_list, crit_t[:, rows], total[rows], scratch[0, :size])

    own_row = prep.ods_index.get(supported.ods_code)
    if own_row is not None:
        excluded[own_row] |= EXCLUDE_SELF
    for code in supported.vetoed:
        row = prep.ods_index.get(code)
        if row is not None:
            excluded[row] |= EXCLUDE_VETOED
    return PoolScores(
        supported=supported.ods_code,
        criteria=crit_t.T,
        weights=weights,
        total=total,
        excluded=excluded,
        distance_km=distance,
        travel_minutes=travel,
        need_areas=needs.areas,
        need_priorities=needs.priorities,
        need_weights=needs.weights,
        need_known=needs.known,
        need_rows=need_rows,
        quality_t=prep.quality_t,
        culture_compared=compared,
    )


def weighted_sum(coefficients: list[float], rows: FloatArray, out: FloatArray, tmp: FloatArray) -> None:
    """out = sum over j of coefficients[j] x rows[j], element by element, in a fixed order.

    Not a BLAS matrix-vector product: OpenBLAS's gemv rounds the tail of a vector differently from its body, so two
    identical candidates could get totals one unit in the last place apart, and the tie-break by ODS code would not
    see a tie. NumPy's element-wise multiply and add round the same way at every position.
    """
    np.multiply(rows[0], coefficients[0], out=out)
    for j in range(1, len(coefficients)):
        if coefficients[j] != 0.0:
            np.multiply(rows[j], coefficients[j], out=tmp)
            out += tmp


def _geography_block(band: GeographyBand, travel: FloatArray, out: FloatArray, tmp: FloatArray) -> None:
    """The geography band score from travel minutes, into `out`."""
    if band.max_minutes > band.ideal_max_minutes:
        # 1.0 up to the ideal, falling linearly to 0.5 at the longest acceptable time ...
        slope = 0.5 / (band.max_minutes - band.ideal_max_minutes)
        np.multiply(travel, -slope, out=out)
        out += 1.0 + band.ideal_max_minutes * slope
        np.clip(out, 0.5, 1.0, out=out)
    else:
        np.greater(travel, band.ideal_max_minutes, out=out)
        out *= -0.5
        out += 1.0
    # ... then decaying: visits beyond the longest time are likely to need an overnight stay.
    np.multiply(travel, -1.0 / FAR_DECAY_MINUTES, out=tmp)
    tmp += band.max_minutes / FAR_DECAY_MINUTES
    np.minimum(tmp, 0.0, out=tmp)
    np.exp(tmp, out=tmp)
    out *= tmp


def culture_mean(supported: SupportedTrust, prep: PreparedPool) -> FloatArray | None:
    """The per-dimension mean the profiles are centred on: np.nanmean over the pool's rows and the supported trust's
    profile. None when the supported trust has no usable profile."""
    s = _supported_culture(supported)
    if s is None:
        return None
    count = prep.culture_count + 1.0
    return (prep.culture_sum + s) / count


def _supported_culture(supported: SupportedTrust) -> FloatArray | None:
    if supported.culture is None or len(supported.culture) == 0:
        return None
    s = np.asarray(supported.culture, dtype=np.float64)
    if not np.all(np.isfinite(s)):
        return None
    return s


@dataclass(frozen=True)
class _CultureQuery:
    v: FloatArray  # the supported trust's profile centred on the mean
    shift: FloatArray  # mean - mean0: how far adding the supported trust moves the pool mean
    shift_scale: float | None  # shift = v x this when every dimension has the same count (one gemv, not two)
    shift_dot_v: float
    shift_sq: float
    half_over_norm_v: float  # 0.5 / |v|


def _culture_query(supported: SupportedTrust, prep: PreparedPool) -> _CultureQuery | None:
    """What cultural fit needs from the supported trust, or None when every candidate gets the neutral 0.5."""
    s = _supported_culture(supported)
    mean = culture_mean(supported, prep)
    if s is None or mean is None or prep.culture_dims == 0 or not np.any(prep.culture_count):
        return None
    mean0 = np.divide(
        prep.culture_sum, prep.culture_count, out=np.zeros_like(prep.culture_sum), where=prep.culture_count > 0
    )
    shift = mean - mean0
    v = s - mean
    vv = float(v @ v)
    if vv <= _ZERO_VECTOR:
        return None
    uniform = prep.culture_uniform and prep.culture_count[0] > 0
    return _CultureQuery(
        v=v,
        shift=shift,
        shift_scale=1.0 / float(prep.culture_count[0]) if uniform else None,
        shift_dot_v=float(shift @ v),
        shift_sq=float(shift @ shift),
        half_over_norm_v=0.5 / math.sqrt(vv),
    )


def _culture_block(
    prep: PreparedPool, q: _CultureQuery, rows: slice, out: FloatArray, compared: BoolArray, scratch: FloatArray
) -> None:
    """Cosine similarity of culture profiles centred on the mean, mapped to [0, 1] as (1 + cos) / 2, into `out`.

    Raw 0-10 survey scores are all positive, so their cosines squash into 0.96-0.99; centring on the mean compares
    the shape of each profile instead. Candidates with no profile, or a profile equal to the mean, score a neutral
    0.5. The mean includes the supported trust (np.nanmean over the pool rows and it); the rows are precomputed
    centred on the pool's own mean and corrected here algebraically, so a block costs one or two weighted sums of
    the D rows (see `weighted_sum`) instead of re-centring an (n, D) array:
        (row - mean).v = (row - mean0).v - shift.v
        |row - mean|^2 = |row - mean0|^2 - 2 (row - mean0).shift + |shift|^2
    Rows with no profile have a squared norm of -1e300 (see `_prepare_culture`), so they fail the zero-vector test.
    """
    centred = prep.culture_centred_t[:, rows]
    dot, norm2, tmp = scratch[0], scratch[1], scratch[2]
    weighted_sum(q.v.tolist(), centred, dot, tmp)
    if q.shift_scale is not None:
        np.multiply(dot, -2.0 * q.shift_scale, out=norm2)  # shift = v / N when every dimension has N values
    else:
        weighted_sum(q.shift.tolist(), centred, norm2, tmp)
        norm2 *= -2.0
    norm2 += prep.culture_sq[rows]
    norm2 += q.shift_sq
    dot -= q.shift_dot_v
    np.greater(norm2, _ZERO_VECTOR, out=compared)
    np.maximum(norm2, _ZERO_VECTOR, out=norm2)
    np.sqrt(norm2, out=norm2)
    # 0.5 x cos, clipped against rounding, zeroed where there is nothing to compare, plus 0.5.
    np.divide(dot, norm2, out=out)
    out *= q.half_over_norm_v
    np.clip(out, -0.5, 0.5, out=out)
    out *= compared
    out += 0.5


def _structure_row(supported: SupportedTrust, prep: PreparedPool) -> FloatArray:
    """0.5 x same trust type + 0.25 x same teaching status + 0.25 x closeness in number of sites, for every
    candidate. It depends on the supported trust only through (type, teaching, sites), so it is cached per pool for
    the few combinations a wave meets."""
    type_code = prep.type_lookup.get(supported.trust_type, -1) if supported.trust_type else -1
    key = (type_code, bool(supported.is_teaching), max(int(supported.number_of_sites), 1))
    cached = prep.structure_cache.get(key)
    if cached is not None:
        return cached
    out = np.subtract(prep.log_sites, math.log(key[2]))
    np.abs(out, out=out)
    out *= 1.0 / LOG_SITES_SPAN
    np.minimum(out, 1.0, out=out)
    out *= -0.25
    out += 0.25
    out += (prep.teaching == key[1]) * 0.25
    if type_code >= 0:
        out += (prep.type_code == type_code) * 0.5
    if len(prep.structure_cache) >= _STRUCTURE_CACHE_SIZE:
        # Evict the oldest. Another thread may be doing the same: losing a cache entry is harmless.
        with contextlib.suppress(StopIteration, RuntimeError, KeyError):
            del prep.structure_cache[next(iter(prep.structure_cache))]
    prep.structure_cache[key] = out
    return out
