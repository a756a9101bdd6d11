"""Inputs and results of the matching engine. Frozen dataclasses and NumPy arrays only.

Defaults follow the 2014 review of buddying arrangements (see docs on each field):
cultural fit and shared values weigh most, more than size or structure; geography is a band;
expertise must cover the supported trust's prioritised needs; a buddy's capacity is limited.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

CRITERIA = ("cultural_fit", "expertise", "geography", "capacity", "structure")
CRITERION_LABELS = {
    "cultural_fit": "Cultural fit",
    "expertise": "Expertise coverage",
    "geography": "Geography",
    "capacity": "Capacity",
    "structure": "Structure similarity",
}
# Not a criterion: a bonus added to the total of a candidate with a known relationship with the supported trust.
# Listed after the criteria in a ranked candidate's `criteria`, only where it applies.
RELATIONSHIP = "relationship"
RELATIONSHIP_LABEL = "Known relationship"
# The bonus may be at most this share of the score: a relationship helps, but cannot outweigh fit and expertise.
RELATIONSHIP_BONUS_MAX = 0.5

# Exclusion reasons. Each excluded candidate carries a bit mask of these (CandidatePool order).
EXCLUDE_SELF = 1 << 0
EXCLUDE_SPECIAL_MEASURES = 1 << 1
EXCLUDE_INADEQUATE = 1 << 2
EXCLUDE_AT_CAPACITY = 1 << 3
EXCLUDE_VETOED = 1 << 4
EXCLUDE_NOT_IN_POOL = 1 << 5
EXCLUDE_TOO_NEAR = 1 << 6
EXCLUDE_SAME_ICS = 1 << 7
EXCLUDE_NO_LOCATION = 1 << 8
EXCLUDE_RECEIVING_SUPPORT = 1 << 9
EXCLUDE_BEYOND_DECLARED_TRAVEL = 1 << 10
EXCLUDE_EXISTING_BUDDY = 1 << 11
EXCLUSION_REASONS = {
    EXCLUDE_SELF: "This is the supported trust itself",
    EXCLUDE_SPECIAL_MEASURES: "In special measures itself",
    EXCLUDE_INADEQUATE: "Rated inadequate by the CQC",
    EXCLUDE_AT_CAPACITY: "At capacity: no free buddying places or senior staff days",
    EXCLUDE_VETOED: "Vetoed by the supported trust",
    EXCLUDE_NOT_IN_POOL: "Not an accredited member of the superbuddy framework pool",
    EXCLUDE_TOO_NEAR: "Too near: a neighbour or potential competitor",
    EXCLUDE_SAME_ICS: "Too near: in the same integrated care system (competition risk)",
    EXCLUDE_NO_LOCATION: "No location recorded, so travel cannot be judged",
    EXCLUDE_RECEIVING_SUPPORT: "Receiving support itself: in recovery or oversight segment 4 or 5",
    EXCLUDE_BEYOND_DECLARED_TRAVEL: "Further than the longest journey it declared it will make",
    EXCLUDE_EXISTING_BUDDY: "Already its buddy in an open arrangement",
}
# Exclusions a regulator may lift explicitly ("include trusts receiving support"); the candidates are then flagged.
EXCLUDE_LIFTABLE = EXCLUDE_SPECIAL_MEASURES | EXCLUDE_RECEIVING_SUPPORT

# A candidate "covers" a need when its strength in the area is at least this (1-5). One threshold everywhere:
# matching credits no strength below it, and the directory's "covers" filter uses the same number (both read
# settings.BUDDY_COVERS_AT_STRENGTH through matching.selectors.match_settings / buddying.filters).
COVERS_AT_DEFAULT = 3

# Travel bands, computed only by GeographyBand.band_of: pages, commands and JSON all show these.
BAND_IDEAL = "ideal"
BAND_FAR = "far"
BAND_OVERNIGHT = "overnight"
BAND_LABELS = {
    BAND_IDEAL: "Within the ideal travel time",
    BAND_FAR: "Beyond the ideal travel time",
    BAND_OVERNIGHT: "Likely to need an overnight stay",
}


class EngineInputError(ValueError):
    """Input the engine cannot work with. The message is one plain sentence for the user."""


def _check_finite_non_negative(name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise EngineInputError(f"{name} must be a number of 0 or more, not {value}")


@dataclass(frozen=True)
class Weights:
    """How much each criterion counts. Only the ratios matter; they are normalised to sum to 1.

    Culture weighs most: the review found a compatible culture and aligned values "more meaningful
    than the organisations being of a similar size or structure", so structure weighs least.
    """

    cultural_fit: float = 0.35
    expertise: float = 0.30
    geography: float = 0.15
    capacity: float = 0.12
    structure: float = 0.08
    # Not a weight like the others but a bonus: what a known relationship with the supported trust adds to a
    # candidate's total (0 to RELATIONSHIP_BONUS_MAX; 0.05 is 5 points out of 100), whatever units the weights above
    # are in. The review found arrangements worked best where the two chief executives already knew and respected
    # each other. Modest by default (a seventh of cultural fit's default weight). No relationship adds nothing and is
    # not missing data.
    relationship: float = 0.05

    def validate(self) -> None:
        for name in CRITERIA:
            _check_finite_non_negative(f"The weight for {CRITERION_LABELS[name].lower()}", getattr(self, name))
        if self.total() == 0:
            raise EngineInputError("At least one weight must be more than 0")
        _check_finite_non_negative("The bonus for a known relationship", self.relationship)
        if self.relationship > RELATIONSHIP_BONUS_MAX:
            raise EngineInputError(
                f"The bonus for a known relationship must be at most {RELATIONSHIP_BONUS_MAX * 100:g} points out of 100"
            )

    def relationship_bonus(self) -> float:
        """What a known relationship adds to a total score (0-1)."""
        return float(self.relationship)

    def total(self) -> float:
        return float(sum(getattr(self, name) for name in CRITERIA))

    def normalised(self) -> npt.NDArray[np.float64]:
        """The weights in CRITERIA order, summing to 1."""
        self.validate()
        values = np.array([getattr(self, name) for name in CRITERIA], dtype=np.float64)
        result: npt.NDArray[np.float64] = values / values.sum()
        return result


@dataclass(frozen=True)
class GeographyBand:
    """Geography is a band: not a neighbour or competitor, not so far that visits need an overnight stay.

    Travel time is *estimated* from straight-line distance: distance x road_factor / average speed.
    """

    min_distance_km: float = 25.0
    ideal_max_minutes: float = 120.0
    max_minutes: float = 180.0
    road_factor: float = 1.3
    average_speed_kmh: float = 60.0
    exclude_same_ics: bool = True

    def validate(self) -> None:
        _check_finite_non_negative("The minimum distance", self.min_distance_km)
        _check_finite_non_negative("The ideal travel time", self.ideal_max_minutes)
        _check_finite_non_negative("The longest travel time", self.max_minutes)
        if self.ideal_max_minutes <= 0:
            raise EngineInputError("The ideal travel time must be more than 0 minutes")
        if self.max_minutes < self.ideal_max_minutes:
            raise EngineInputError("The longest travel time must be at least the ideal travel time")
        if not math.isfinite(self.road_factor) or self.road_factor < 1:
            raise EngineInputError("The road factor must be 1 or more (roads are never shorter than a straight line)")
        if not math.isfinite(self.average_speed_kmh) or self.average_speed_kmh <= 0:
            raise EngineInputError("The average speed must be more than 0 km/h")

    def travel_minutes(self, distance_km: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Estimated minutes by road for straight-line distances, before any per-trust adjustment."""
        return distance_km * self.road_factor / self.average_speed_kmh * 60.0

    def band_of(self, travel_minutes: float) -> str:
        """The travel band of one estimated journey: the only place the band is decided."""
        if not math.isfinite(travel_minutes):
            return BAND_OVERNIGHT
        if travel_minutes <= self.ideal_max_minutes:
            return BAND_IDEAL
        if travel_minutes <= self.max_minutes:
            return BAND_FAR
        return BAND_OVERNIGHT


@dataclass(frozen=True)
class MatchSettings:
    weights: Weights = field(default_factory=Weights)
    geography: GeographyBand = field(default_factory=GeographyBand)
    # Match only accredited members of the superbuddy framework pool.
    pool_only: bool = False
    # Below this cultural fit (0-1) a ranked candidate carries a "low cultural fit" warning. Fit is (1 + r) / 2 for
    # the correlation r of the two values patterns, so 0.45 means a pattern slightly opposed (r below -0.1).
    low_fit_warning: float = 0.45
    # The strength (1-5) at which a candidate counts as covering a need; weaker strengths earn no credit.
    covers_at: int = COVERS_AT_DEFAULT
    # Trusts in special measures, in recovery or in oversight segments 4-5 are excluded unless the regulator
    # includes them explicitly; they are then ranked with a flag.
    include_receiving_support: bool = False

    def validate(self) -> None:
        self.weights.validate()
        self.geography.validate()
        if not 0 <= self.low_fit_warning <= 1:
            raise EngineInputError("The low cultural fit warning must be between 0 and 1")
        if isinstance(self.covers_at, bool) or not isinstance(self.covers_at, int) or not 1 <= self.covers_at <= 5:
            raise EngineInputError("The strength that counts as covering a need must be a whole number from 1 to 5")


@dataclass(frozen=True)
class Need:
    """An improvement need: an expertise area (its slug) and a priority, 1 (low) to 3 (high)."""

    area: str
    priority: int


@dataclass(frozen=True)
class SupportedTrust:
    """The trust that needs support."""

    ods_code: str
    needs: tuple[Need, ...]
    latitude: float | None
    longitude: float | None
    ics: str = ""
    # Culture dimension scores (0-10), in the same order as CandidatePool.culture; None if unknown.
    culture: tuple[float, ...] | None = None
    vetoed: frozenset[str] = frozenset()
    trust_type: str = ""
    is_teaching: bool = False
    number_of_sites: int = 1
    # Minutes added to every journey to or from this trust (for example a ferry crossing), set by the regulator.
    travel_adjustment_minutes: float = 0.0
    # Buddies it already has in open arrangements: never proposed again, and the needs they cover count as met.
    existing_buddies: frozenset[str] = frozenset()
    # Trusts in special measures are served first in a wave.
    in_special_measures: bool = False
    # Known relationships it has confirmed with candidates: (candidate ODS code, what the relationship is, in a
    # sentence such as "Chief executives or chairs have worked together (confirmed by both trusts)"). A pair may
    # appear more than once (one per kind); the bonus is added once.
    relationships: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, eq=False)
class CandidatePool:
    """Every candidate buddy as columns of equal length n (struct of arrays, for vectorised scoring).

    Unknown locations are NaN; a candidate with no culture profile has a row of NaN.
    `strength[i, j]` is candidate i's strength (0-5, 0 = none) in `areas[j]`; `eligible[i, j]` is
    False when area j depends on a service candidate i does not run (no credit for it).
    """

    ods_codes: npt.NDArray[np.str_]
    latitude: npt.NDArray[np.float64]
    longitude: npt.NDArray[np.float64]
    ics: npt.NDArray[np.str_]
    culture: npt.NDArray[np.float64]  # (n, D)
    areas: tuple[str, ...]
    strength: npt.NDArray[np.float64]  # (n, A)
    eligible: npt.NDArray[np.bool_]  # (n, A)
    max_arrangements: npt.NDArray[np.int64]
    active_arrangements: npt.NDArray[np.int64]
    staff_days_offered: npt.NDArray[np.float64]  # senior staff days a month
    staff_days_committed: npt.NDArray[np.float64]
    in_special_measures: npt.NDArray[np.bool_]
    rated_inadequate: npt.NDArray[np.bool_]
    pool_member: npt.NDArray[np.bool_]
    potential_acquirer: npt.NDArray[np.bool_]
    trust_type: npt.NDArray[np.str_]  # "" where the type is not known
    is_teaching: npt.NDArray[np.bool_]
    number_of_sites: npt.NDArray[np.int64]
    # In recovery or oversight segment 4-5 (special measures has its own column). None: no one.
    receiving_support: npt.NDArray[np.bool_] | None = None
    # Whether the trust has declared its capacity; an undeclared capacity is "not known", scored 0, and counted as
    # one place for allocation. None: every trust has declared.
    capacity_declared: npt.NDArray[np.bool_] | None = None
    # The longest journey (minutes) a pool member declared it will make; NaN where none. None: none declared.
    max_travel_minutes: npt.NDArray[np.float64] | None = None
    # Minutes added to every journey to or from the trust (a ferry crossing). None: zero for all.
    travel_adjustment_minutes: npt.NDArray[np.float64] | None = None
    # Names to show for area and trust type slugs in reasons. Empty: the slugs themselves.
    labels: Mapping[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.ods_codes.shape[0])


@dataclass(frozen=True)
class CriterionScore:
    name: str  # one of CRITERIA
    label: str
    score: float  # 0-1
    weight: float  # normalised weight, 0-1
    contribution: float  # weight x score: what it adds to the total
    reason: str  # plain English, e.g. "Estimated 95 minutes by road (118 km): in the ideal band"
    known: bool = True  # False: the data is missing, the score is 0 and the reason says what is missing


@dataclass(frozen=True)
class RankedCandidate:
    ods_code: str
    rank: int  # 1 = best
    total: float  # 0-1
    criteria: tuple[CriterionScore, ...]  # in CRITERIA order, then the relationship bonus where it applies
    covers: tuple[str, ...]  # need areas it has strength in (and runs the service for)
    distance_km: float
    travel_minutes: float
    warnings: tuple[str, ...]  # e.g. "Low cultural fit", "Far: visits are likely to need an overnight stay"
    flags: tuple[str, ...]  # e.g. "Declared potential acquirer": shown, never hidden
    band: str = BAND_IDEAL  # one of BAND_LABELS
    missing: tuple[str, ...] = ()  # what is not known about this candidate, e.g. "staff survey profile"

    @property
    def completeness(self) -> tuple[int, int]:
        """(known, of): how much of the profile matching uses is recorded."""
        return PROFILE_PARTS - len(self.missing), PROFILE_PARTS


# The parts of a candidate's profile that matching reads: expertise, staff survey, capacity, trust type, location.
PROFILE_PARTS = 5


@dataclass(frozen=True)
class Exclusion:
    ods_code: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Shortlist:
    supported: str
    ranked: tuple[RankedCandidate, ...]  # only candidates covering at least one need
    excluded: tuple[Exclusion, ...]
    considered: int  # candidates in the pool
    # Eligible (not excluded) but covering none of the needs at the covering strength: never ranked, ODS order.
    not_covering: tuple[str, ...] = ()
    # Said once for the whole run, e.g. the supported trust has no staff survey profile.
    warnings: tuple[str, ...] = ()
    # Needs already covered by the trust's current buddies (area slug -> the buddy's ODS code).
    met_by_existing: Mapping[str, str] = field(default_factory=dict)
    # What a known relationship adds to a candidate's total (0-1), at most; see Weights.relationship.
    relationship_bonus: float = 0.0


@dataclass(frozen=True)
class TeamMember:
    ods_code: str
    assigned_needs: tuple[str, ...]  # the needs this buddy leads on ("issue-specific buddying")
    total: float  # its shortlist score with this trust
    distance_km: float = math.nan
    travel_minutes: float = math.nan
    band: str = BAND_IDEAL
    warnings: tuple[str, ...] = ()
    relationship: str = ""  # its known relationship with the trust and what that added, "" where none


@dataclass(frozen=True)
class Team:
    members: tuple[TeamMember, ...]
    objective: float  # sum over needs of priority weight x best member's strength x fit (what is maximised)
    coverage: float  # 0-1: share of the priority-weighted needs covered (strength/5 of the best member)
    unmet_needs: tuple[str, ...]  # needs no member covers and no current buddy covers
    method: str  # e.g. "greedy with swaps" or "exact (HiGHS)"
    met_by_existing: tuple[str, ...] = ()  # needs the trust's current buddies already cover


@dataclass(frozen=True)
class TeamResult:
    supported: str
    heuristic: Team
    exact: Team | None  # None when the exact solver was not run
    gap: float | None  # (exact - heuristic) / exact objective, 0 when the heuristic was optimal
    heuristic_ms: float
    exact_ms: float | None


@dataclass(frozen=True)
class TrustAllocation:
    supported: str
    members: tuple[TeamMember, ...]
    coverage: float
    unmet_needs: tuple[str, ...]
    met_by_existing: tuple[str, ...] = ()  # needs its current buddies already cover
    reason: str = ""  # why it has no buddy, when it has none


@dataclass(frozen=True)
class Unallocated:
    ods_code: str
    reason: str


@dataclass(frozen=True)
class WaveResult:
    method: str  # "coverage" (team-aware), "assignment" (one buddy at a time) or "stable" (deferred acceptance)
    allocations: tuple[TrustAllocation, ...]  # in the order the trusts were given
    objective: float
    upper_bound: float | None  # LP relaxation bound, when computed: objective / upper_bound >= optimality
    exact: bool  # True when solved to proven optimality
    unallocated: tuple[Unallocated, ...]  # trusts left without any buddy, each with the reason
    load: dict[str, int]  # candidate ODS code -> number of trusts it was given
    elapsed_ms: float
    served: int = 0  # trusts given at least one buddy covering a need
    max_servable: int = 0  # the most trusts that could each get one such buddy at once (a maximum matching)
