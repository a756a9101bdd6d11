"""Score every candidate in a pool against one supported trust, all at once with NumPy.

`score_pool` is the engine's hot path: the shortlist, the team builder and the wave allocator all start from it.
Per-candidate work that does not depend on the supported trust (trigonometry of locations, values patterns,
expertise strengths, capacity, integer codes for ICS and trust type, ODS order) is done once per pool by
`prepare_pool` and cached on the pool object, so each call is a few dozen whole-array operations.

Missing data is never scored as average. A criterion whose data is missing on either side scores 0 and is marked
not known, so a candidate can never gain from missing data over one with real, good data.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from matching.engine.geo import PreparedPoints
from matching.engine.types import (
    CRITERIA,
    EXCLUDE_AT_CAPACITY,
    EXCLUDE_BEYOND_DECLARED_TRAVEL,
    EXCLUDE_EXISTING_BUDDY,
    EXCLUDE_INADEQUATE,
    EXCLUDE_NO_LOCATION,
    EXCLUDE_NOT_IN_POOL,
    EXCLUDE_RECEIVING_SUPPORT,
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
# The tail beyond the longest travel time halves the score every 60 x ln 2 (about 42) minutes.
FAR_DECAY_MINUTES = 60.0
LOG_SITES_SPAN = math.log(6.0)  # a six-fold difference in sites counts as wholly different
# A values pattern whose spread (root sum of squares about its own mean, in 0-10 survey points) is below this is
# flat: it has no relative strengths or weaknesses to compare.
FLAT_PATTERN = 1e-6
_CACHE_ATTRIBUTE = "_matching_engine_prepared"
_STRUCTURE_CACHE_SIZE = 16


def weighted_sum(criteria: FloatArray, weights: FloatArray) -> FloatArray:
    """criteria @ weights, one column at a time: every row gets the same operations in the same order, so identical
    candidates get bit-identical totals wherever they sit (a BLAS product may not: its blocking depends on the row's
    position, and the ODS-code tie-break then fails on a difference in the last bit)."""
    result = np.zeros(criteria.shape[0], dtype=np.float64)
    for column, weight in enumerate(weights.tolist()):
        result += criteria[:, column] * weight
    return result


@dataclass(frozen=True, eq=False)
class PreparedPool:
    """What scoring needs from a pool that does not depend on the supported trust. Built once per pool."""

    n: int
    ods: tuple[str, ...]
    ods_index: dict[str, int]
    ods_rank: npt.NDArray[np.int64]  # each row's position in ODS-code order (for tie-breaks without strings)
    points: PreparedPoints
    culture_dims: int
    pattern_t: FloatArray  # (D, n): each profile minus its own mean, scaled to length 1; zero where not known
    has_pattern: BoolArray  # (n,): a full, not flat, staff survey profile
    has_profile: BoolArray  # (n,): a full staff survey profile (flat or not)
    culture_level: FloatArray  # (n,): mean theme score, NaN where no full profile
    area_index: dict[str, int]
    strength_t: FloatArray  # (A + 1, n): strength 0-5 where the candidate runs the service, else 0; last row zero
    raw_strength_t: FloatArray  # (A + 1, n): strength whether or not it runs the service (for reasons only)
    has_expertise: BoolArray  # (n,): any strength recorded
    capacity: FloatArray  # (n,): free share of places and staff days, 0 where not declared
    capacity_known: BoolArray
    at_capacity: BoolArray
    in_special_measures: BoolArray
    receiving_support: BoolArray
    rated_inadequate: BoolArray
    pool_member: BoolArray
    max_travel: FloatArray  # (n,): declared longest journey in minutes, NaN where none
    travel_adjustment: FloatArray  # (n,): minutes added to every journey to or from the trust
    ics_code: IntArray
    ics_lookup: dict[str, int]
    type_code: IntArray
    type_lookup: dict[str, int]
    type_known: BoolArray
    teaching: BoolArray
    log_sites: FloatArray
    slots: npt.NDArray[np.int64]  # free buddying places: max(0, max - active); 1 - active where not declared
    labels: dict[str, str]
    # (type code, teaching, sites) -> structure score row; see _structure_row
    structure_cache: dict[tuple[int, bool, int, bool], FloatArray] = field(default_factory=dict)

    def label(self, slug: str) -> str:
        return self.labels.get(slug, slug)


@dataclass(frozen=True, eq=False)
class PoolScores:
    """Every candidate's scores against one supported trust. Row i is candidate i of the pool.

    `criteria[:, j]` is criterion CRITERIA[j] in [0, 1] (0 where `known[:, j]` is False); `total` is their weighted
    sum; `excluded` is a bit mask of EXCLUDE_* reasons (0 = eligible). `coverage_t[a, i]` is candidate i's quality q
    in need a: strength / 5 where the strength reaches the covering threshold and it runs the service, else 0.
    Distances and travel times are NaN where a location is unknown (those rows are excluded).
    """

    supported: str
    criteria: FloatArray  # (n, 5)
    known: BoolArray  # (n, 5)
    weights: FloatArray  # (5,), normalised
    total: FloatArray  # (n,)
    excluded: IntArray  # (n,)
    distance_km: FloatArray  # (n,)
    travel_minutes: FloatArray  # (n,)
    need_areas: tuple[str, ...]
    need_priorities: tuple[int, ...]
    need_weights: FloatArray  # (m,): priority / sum of priorities
    need_known: tuple[bool, ...]  # whether each need's area is one the pool records
    need_rows: npt.NDArray[np.intp]  # (m,): each need's row of the pool's strength_t
    coverage_t: FloatArray  # (m, n)
    culture_compared: BoolArray  # (n,): both values patterns known, so cultural fit was measured
    pattern_correlation: FloatArray  # (n,): r of the two values patterns, NaN where not compared
    supported_level: float  # the supported trust's mean theme score, NaN where not known
    band: GeographyBand
    met: npt.NDArray[np.bool_]  # (m,): needs its current buddies already cover
    met_by: tuple[str, ...]  # per need: the current buddy covering it, "" where none
    covers_at: int
    # Known relationships: which candidates have one confirmed with the supported trust, and what it added to each
    # total (the bonus, less whatever would take the total past 1). Included in `total` and in `match_quality`.
    related: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    relationship_added: FloatArray = field(default_factory=lambda: np.zeros(0))
    # Per related candidate's row: what its relationships are ("; "-joined), for the reason shown beside its bonus.
    relationship_described: Mapping[int, str] = field(default_factory=dict)
    relationship_bonus: float = 0.0  # the bonus each related candidate gets, before a total stops at 1

    def relationship_reason(self, row: int) -> str:
        """'Chief executives or chairs have worked together (confirmed by both trusts): adds 5 points to the
        score', or "" for a candidate with no known relationship. True of what was added to its total."""
        described = self.relationship_described.get(row, "")
        if not described:
            return ""
        added = float(self.relationship_added[row])
        points = round(100 * added)
        reason = f"{described}: adds {points} point{'s' if points != 1 else ''} to the score"
        if added < self.relationship_bonus - 1e-9:  # stopped at 100 (not a rounding difference)
            reason += " (a score stops at 100)"
        return reason

    def __len__(self) -> int:
        return int(self.total.shape[0])

    @property
    def coverage(self) -> FloatArray:
        """(n, m): q for each candidate and need."""
        result: FloatArray = self.coverage_t.T
        return result

    def coverage_rows(self, rows: npt.ArrayLike) -> FloatArray:
        """q for some candidates only, (len(rows), m)."""
        result: FloatArray = self.coverage_t[:, np.asarray(rows, dtype=np.intp)].T
        return result

    @functools.cached_property
    def covers_any(self) -> BoolArray:
        """(n,): covers at least one need at the covering strength."""
        result: BoolArray = (
            np.asarray((self.coverage_t > 0).any(axis=0)) if self.coverage_t.shape[0] else np.zeros(len(self), bool)
        )
        return result

    @functools.cached_property
    def far(self) -> BoolArray:
        """(n,): beyond the longest acceptable travel time, so visits are likely to need an overnight stay."""
        with np.errstate(invalid="ignore"):
            result: BoolArray = ~(self.travel_minutes <= self.band.max_minutes)
        return result

    def match_quality(self) -> FloatArray:
        """m_c: each candidate's non-expertise match (the other four criteria, weights renormalised without
        expertise), plus what a known relationship added to its total, at most 1. 1.0 everywhere if expertise is
        the only weighted criterion."""
        w = self.weights.copy()
        w[EXPERTISE] = 0.0
        if w.sum() <= 0:
            return np.ones(len(self), dtype=np.float64)
        w /= w.sum()
        result = weighted_sum(self.criteria, w)
        if self.relationship_added.shape == result.shape:
            result = np.minimum(result + self.relationship_added, 1.0)
        return result

    @functools.cached_property
    def far_only_needs(self) -> npt.NDArray[np.bool_]:
        """(m,): needs no eligible candidate within the longest travel time covers (only far ones do)."""
        useful = (self.coverage_t > 0) & (self.excluded == 0)
        near = useful[:, ~self.far].any(axis=1)
        result: npt.NDArray[np.bool_] = ~near
        return result

    @functools.cached_property
    def values(self) -> FloatArray:
        """v[c, a] = w_a x q_ca x m_c: what a team maximises (n, m). Zero where excluded, for needs its current
        buddies already meet, and for a candidate beyond the longest travel time on any need that a nearer eligible
        candidate covers: a far buddy is used only where no one else can cover the need."""
        values: FloatArray = self.coverage * self.need_weights
        values *= self.match_quality()[:, None]
        values[self.excluded != 0] = 0.0
        values[:, self.met] = 0.0
        values[np.ix_(self.far, ~self.far_only_needs)] = 0.0
        return values

    def need_values(self) -> FloatArray:
        return self.values

    @functools.cached_property
    def effective_coverage(self) -> FloatArray:
        """(n, m): q where the candidate has value for the need (after exclusions, met needs and the travel rule),
        else 0. Candidates with equal rows here have values proportional to their match m_c (exact team pruning)."""
        result: FloatArray = np.where(self.values > 0, self.coverage, 0.0)
        return result


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


def _optional(values: npt.ArrayLike | None, n: int, fill: float | bool, dtype: type) -> npt.NDArray:  # type: ignore[type-arg]
    if values is None:
        return np.full(n, fill, dtype=dtype)
    return np.asarray(values, dtype=dtype)


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

    points = PreparedPoints.from_degrees(
        np.asarray(pool.latitude, dtype=np.float64), np.asarray(pool.longitude, dtype=np.float64)
    )
    pattern_t, has_pattern, has_profile, level = _prepare_culture(np.asarray(pool.culture, dtype=np.float64))

    areas = tuple(pool.areas)
    if len(set(areas)) != len(areas):
        raise EngineInputError("An expertise area appears more than once in the pool's areas")
    strength = np.asarray(pool.strength, dtype=np.float64)
    if not np.all(np.isfinite(strength)) or np.any(strength < 0) or np.any(strength > 5):
        raise EngineInputError("Every expertise strength must be a number from 0 to 5")
    raw_strength_t = np.zeros((len(areas) + 1, n), dtype=np.float64)
    raw_strength_t[: len(areas)] = strength.T
    strength_t = np.where(
        np.vstack([np.asarray(pool.eligible, dtype=bool).T, np.ones((1, n), bool)]), raw_strength_t, 0.0
    )

    max_arr = np.asarray(pool.max_arrangements, dtype=np.int64)
    active = np.asarray(pool.active_arrangements, dtype=np.int64)
    offered = np.asarray(pool.staff_days_offered, dtype=np.float64)
    committed = np.asarray(pool.staff_days_committed, dtype=np.float64)
    if not (np.all(np.isfinite(offered)) and np.all(np.isfinite(committed))):
        raise EngineInputError("Senior staff days offered and committed must be numbers")
    declared = _optional(pool.capacity_declared, n, True, bool)
    places = np.where(max_arr > 0, (max_arr - active) / np.maximum(max_arr, 1), 0.0)
    days = np.where(offered > 0, (offered - committed) / np.where(offered > 0, offered, 1.0), 0.0)
    capacity = np.where(declared, np.clip(np.minimum(places, days), 0.0, 1.0), 0.0)
    # An undeclared trust is counted as able to take one arrangement: it can be asked, but scores nothing for it.
    at_capacity = np.where(declared, (max_arr - active <= 0) | (offered - committed <= 0), active >= 1)
    slots = np.where(declared, np.maximum(max_arr - active, 0), np.maximum(1 - active, 0))

    max_travel = _optional(pool.max_travel_minutes, n, np.nan, np.float64)
    adjustment = _optional(pool.travel_adjustment_minutes, n, 0.0, np.float64)
    if np.any(~np.isfinite(adjustment)) or np.any(adjustment < 0):
        raise EngineInputError("Every travel adjustment must be a number of minutes, 0 or more")

    ics_code, ics_lookup = _codes(pool.ics)
    type_code, type_lookup = _codes(pool.trust_type)
    sites = np.maximum(np.asarray(pool.number_of_sites, dtype=np.float64), 1.0)  # fewer than 1 site reads as 1

    return PreparedPool(
        n=n,
        ods=ods,
        ods_index=ods_index,
        ods_rank=ods_rank,
        points=points,
        culture_dims=int(pattern_t.shape[0]),
        pattern_t=pattern_t,
        has_pattern=has_pattern,
        has_profile=has_profile,
        culture_level=level,
        area_index={area: j for j, area in enumerate(areas)},
        strength_t=strength_t,
        raw_strength_t=raw_strength_t,
        has_expertise=strength_t.max(axis=0) > 0,
        capacity=capacity,
        capacity_known=declared,
        at_capacity=np.asarray(at_capacity, dtype=bool),
        in_special_measures=np.asarray(pool.in_special_measures, dtype=bool),
        receiving_support=_optional(pool.receiving_support, n, False, bool),
        rated_inadequate=np.asarray(pool.rated_inadequate, dtype=bool),
        pool_member=np.asarray(pool.pool_member, dtype=bool),
        max_travel=max_travel,
        travel_adjustment=adjustment,
        ics_code=ics_code,
        ics_lookup=ics_lookup,
        type_code=type_code,
        type_lookup=type_lookup,
        type_known=np.asarray(pool.trust_type, dtype=np.str_) != "",
        teaching=np.asarray(pool.is_teaching, dtype=bool),
        log_sites=np.log(sites),
        slots=slots.astype(np.int64),
        labels=dict(pool.labels),
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
        "receiving_support",
        "capacity_declared",
        "max_travel_minutes",
        "travel_adjustment_minutes",
    ):
        value = getattr(pool, name)
        if value is None:
            continue
        shape = np.shape(value)
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


def values_pattern(profile: FloatArray) -> tuple[FloatArray | None, float]:
    """A staff survey profile's values pattern and level: (profile - its mean) / its length, and the mean.

    The pattern says where a trust is relatively strong or weak among the themes, whatever its overall level; the
    dot product of two patterns is the Pearson correlation r of the two profiles. None when flat (no pattern).
    """
    level = float(profile.mean())
    centred = profile - level
    spread = float(np.sqrt(centred @ centred))
    if spread < FLAT_PATTERN:
        return None, level
    return centred / spread, level


def _prepare_culture(culture: FloatArray) -> tuple[FloatArray, BoolArray, BoolArray, FloatArray]:
    n, dims = culture.shape
    if dims == 0:
        return np.zeros((0, n)), np.zeros(n, bool), np.zeros(n, bool), np.full(n, np.nan)
    has_profile = np.asarray(np.isfinite(culture).all(axis=1))  # an array, never numpy's scalar bool, for the stubs
    filled = np.where(has_profile[:, None], culture, 0.0)
    # Column by column, like weighted_sum: identical profiles get bit-identical patterns wherever they sit.
    level = weighted_sum(filled, np.full(dims, 1.0 / dims))
    centred = filled - level[:, None]
    spread = np.sqrt(weighted_sum(centred * centred, np.ones(dims)))
    has_pattern = has_profile & (spread >= FLAT_PATTERN)
    pattern = np.divide(centred, spread[:, None], out=np.zeros_like(centred), where=has_pattern[:, None])
    level = np.where(has_profile, level, np.nan)
    return np.ascontiguousarray(pattern.T), has_pattern, has_profile, level


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
    rows: list[int]  # row of strength_t for each need (the all-zero row for an unknown area)
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
        name = prepared.label(need.area)
        if isinstance(need.priority, bool) or not isinstance(need.priority, int | np.integer):
            raise EngineInputError(f"{ods}'s need for {name} has a priority that is not a whole number")
        if not 1 <= need.priority <= 3:
            raise EngineInputError(
                f"{ods}'s need for {name} has priority {need.priority}, but priorities run from 1 to 3"
            )
        if need.area in seen:
            raise EngineInputError(f"{ods} lists the need for {name} more than once")
        seen.add(need.area)
    if supported.culture is not None and len(supported.culture) != prepared.culture_dims:
        raise EngineInputError(
            f"{ods} has a culture profile of {len(supported.culture)} scores, "
            f"but the pool's profiles have {prepared.culture_dims}"
        )
    if supported.number_of_sites < 1:
        raise EngineInputError(f"{ods} must have at least 1 site")
    adjustment = supported.travel_adjustment_minutes
    if not math.isfinite(adjustment) or adjustment < 0:
        raise EngineInputError(f"{ods}'s travel adjustment must be a number of minutes, 0 or more")
    priorities = tuple(int(need.priority) for need in supported.needs)
    weights = np.asarray(priorities, dtype=np.float64)
    weights /= weights.sum()
    blank = len(prepared.strength_t) - 1
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


def supported_pattern(supported: SupportedTrust, prep: PreparedPool) -> tuple[FloatArray | None, float]:
    """The supported trust's values pattern and level; (None, NaN) when it has no full profile."""
    if supported.culture is None or len(supported.culture) == 0 or prep.culture_dims == 0:
        return None, math.nan
    profile = np.asarray(supported.culture, dtype=np.float64)
    if not np.all(np.isfinite(profile)):
        return None, math.nan
    return values_pattern(profile)


def score_prepared(
    supported: SupportedTrust, prep: PreparedPool, settings: MatchSettings, needs: ValidatedTrust
) -> PoolScores:
    """`score_pool` for a pool already prepared and a trust already validated (settings validated by the caller)."""
    n = prep.n
    band = settings.geography
    weights = settings.weights.normalised()
    criteria = np.zeros((n, len(CRITERIA)), dtype=np.float64)
    known = np.ones((n, len(CRITERIA)), dtype=bool)

    # Cultural fit: (1 + r) / 2 for the correlation r of the two values patterns; 0 and not known without both.
    pattern, level = supported_pattern(supported, prep)
    if pattern is not None:
        correlation = np.clip(weighted_sum(prep.pattern_t.T, pattern), -1.0, 1.0)
        compared = prep.has_pattern.copy()
        correlation[~compared] = np.nan
        criteria[:, CULTURAL_FIT] = np.where(compared, 0.5 + 0.5 * np.nan_to_num(correlation), 0.0)
    else:
        compared = np.zeros(n, dtype=bool)
        correlation = np.full(n, np.nan)
    known[:, CULTURAL_FIT] = compared

    # Expertise: sum over needs of w_a x q_ca, crediting only strengths at the covering threshold or above.
    need_rows = np.asarray(needs.rows, dtype=np.intp)
    strength = prep.strength_t[need_rows]
    coverage_t = np.where(strength >= settings.covers_at, strength / 5.0, 0.0)
    criteria[:, EXPERTISE] = weighted_sum(coverage_t.T, needs.weights)
    known[:, EXPERTISE] = prep.has_expertise

    # Geography: estimated minutes by road plus both trusts' adjustments (a ferry crossing), scored on the band.
    distance = prep.points.distances_km(needs.latitude, needs.longitude)
    distance[prep.points.missing] = np.nan
    # Whole minutes: the band, the declared-travel limit and the score are decided on the minutes people are shown.
    travel = np.rint(band.travel_minutes(distance) + prep.travel_adjustment + supported.travel_adjustment_minutes)
    criteria[:, GEOGRAPHY] = np.nan_to_num(geography_score(band, travel))
    known[:, GEOGRAPHY] = ~prep.points.missing

    criteria[:, CAPACITY] = prep.capacity
    known[:, CAPACITY] = prep.capacity_known
    structure, structure_known = _structure_row(supported, prep)
    criteria[:, STRUCTURE] = structure
    known[:, STRUCTURE] = structure_known
    total = weighted_sum(criteria, weights)
    related, relationship_added = relationship_bonus(supported, prep, settings, total)
    total = total + relationship_added

    excluded = _exclusions(supported, prep, settings, distance, travel)
    existing = [prep.ods_index[code] for code in sorted(supported.existing_buddies) if code in prep.ods_index]
    met_by = tuple(
        next((prep.ods[row] for row in existing if coverage_t[a, row] > 0), "") for a in range(len(needs.rows))
    )
    return PoolScores(
        supported=supported.ods_code,
        criteria=criteria,
        known=known,
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
        coverage_t=coverage_t,
        culture_compared=compared,
        pattern_correlation=correlation,
        supported_level=level,
        band=band,
        met=np.array([bool(code) for code in met_by], dtype=bool),
        met_by=met_by,
        covers_at=settings.covers_at,
        related=related,
        relationship_added=relationship_added,
        relationship_described={
            int(row): "; ".join(
                dict.fromkeys(text for code, text in supported.relationships if code == prep.ods[int(row)])
            )
            for row in np.flatnonzero(related)
        },
        relationship_bonus=settings.weights.relationship_bonus(),
    )


def relationship_bonus(
    supported: SupportedTrust, prep: PreparedPool, settings: MatchSettings, total: FloatArray
) -> tuple[BoolArray, FloatArray]:
    """Which candidates have a known relationship with the supported trust, and what it adds to each total.

    A bonus, not a criterion: a candidate with no relationship gets nothing added and loses nothing (it is not
    missing data). The bonus stops the total at 1, so what is added is what the reason says.
    """
    related = np.zeros(prep.n, dtype=bool)
    for code, _description in supported.relationships:
        row = prep.ods_index.get(code)
        if row is not None and code != supported.ods_code:
            related[row] = True
    if not related.any():
        return related, np.zeros(prep.n, dtype=np.float64)
    bonus = settings.weights.relationship_bonus()
    added: FloatArray = np.where(related, np.clip(1.0 - total, 0.0, bonus), 0.0)
    return related, added


def _exclusions(
    supported: SupportedTrust, prep: PreparedPool, settings: MatchSettings, distance: FloatArray, travel: FloatArray
) -> IntArray:
    """The bit mask of EXCLUDE_* reasons for every candidate."""
    band = settings.geography
    excluded = (
        prep.rated_inadequate * EXCLUDE_INADEQUATE
        | prep.at_capacity * EXCLUDE_AT_CAPACITY
        | prep.points.missing * EXCLUDE_NO_LOCATION
    ).astype(np.int32)
    if not settings.include_receiving_support:
        excluded |= (prep.in_special_measures * EXCLUDE_SPECIAL_MEASURES).astype(np.int32)
        excluded |= (prep.receiving_support * EXCLUDE_RECEIVING_SUPPORT).astype(np.int32)
    if settings.pool_only:
        excluded |= (~prep.pool_member * EXCLUDE_NOT_IN_POOL).astype(np.int32)
    with np.errstate(invalid="ignore"):  # NaN (unknown location, no declared limit) compares False
        excluded |= ((distance < band.min_distance_km) * EXCLUDE_TOO_NEAR).astype(np.int32)
        excluded |= ((travel > prep.max_travel) * EXCLUDE_BEYOND_DECLARED_TRAVEL).astype(np.int32)
    if supported.ics and band.exclude_same_ics:
        ics = prep.ics_lookup.get(supported.ics)
        if ics is not None:
            excluded |= ((prep.ics_code == ics) * EXCLUDE_SAME_ICS).astype(np.int32)
    own_row = prep.ods_index.get(supported.ods_code)
    if own_row is not None:
        excluded[own_row] |= EXCLUDE_SELF
    for codes, bit in ((supported.vetoed, EXCLUDE_VETOED), (supported.existing_buddies, EXCLUDE_EXISTING_BUDDY)):
        for code in codes:
            row = prep.ods_index.get(code)
            if row is not None:
                excluded[row] |= bit
    return excluded


def geography_score(band: GeographyBand, travel: FloatArray) -> FloatArray:
    """1.0 up to the ideal travel time, falling linearly to 0.5 at the longest acceptable time, then decaying:
    visits beyond the longest time are likely to need an overnight stay. NaN stays NaN."""
    if band.max_minutes > band.ideal_max_minutes:
        slope = 0.5 / (band.max_minutes - band.ideal_max_minutes)
        score = np.clip(1.0 - (travel - band.ideal_max_minutes) * slope, 0.5, 1.0)
    else:
        score = np.where(travel > band.ideal_max_minutes, 0.5, 1.0)
    result: FloatArray = score * np.exp(np.minimum((band.max_minutes - travel) / FAR_DECAY_MINUTES, 0.0))
    return result


def _structure_row(supported: SupportedTrust, prep: PreparedPool) -> tuple[FloatArray, BoolArray]:
    """0.5 x same trust type + 0.25 x same teaching status + 0.25 x closeness in number of sites, for every
    candidate whose type is known; 0 and not known where either trust's type is not recorded. Cached per pool for
    the few (type, teaching, sites) combinations a wave meets."""
    type_code = prep.type_lookup.get(supported.trust_type, -1) if supported.trust_type else -1
    has_type = bool(supported.trust_type)
    key = (type_code, bool(supported.is_teaching), max(int(supported.number_of_sites), 1), has_type)
    known = prep.type_known if has_type else np.zeros(prep.n, dtype=bool)
    cached = prep.structure_cache.get(key)
    if cached is not None:
        return cached, known
    closeness = 1.0 - np.minimum(np.abs(prep.log_sites - math.log(key[2])) / LOG_SITES_SPAN, 1.0)
    out = 0.25 * closeness + 0.25 * (prep.teaching == key[1])
    if type_code >= 0:
        out += (prep.type_code == type_code) * 0.5
    out = np.where(known, out, 0.0)
    if len(prep.structure_cache) >= _STRUCTURE_CACHE_SIZE:
        # Evict the oldest. Another thread may be doing the same: losing a cache entry is harmless.
        with contextlib.suppress(StopIteration, RuntimeError, KeyError):
            del prep.structure_cache[next(iter(prep.structure_cache))]
    prep.structure_cache[key] = out
    return out, known
