"""Inputs and results of the matching engine. Frozen dataclasses and NumPy arrays only.

Defaults follow the 2014 review of buddying arrangements (see docs on each field):
cultural fit and shared values weigh most, more than size or structure; geography is a band;
expertise must cover the supported trust's prioritised needs; a buddy's capacity is limited.
"""

from __future__ import annotations

import math
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

    def validate(self) -> None:
        for name in CRITERIA:
            _check_finite_non_negative(f"The weight for {CRITERION_LABELS[name].lower()}", getattr(self, name))
        if self.total() == 0:
            raise EngineInputError("At least one weight must be more than 0")

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
        return distance_km * self.road_factor / self.average_speed_kmh * 60.0


@dataclass(frozen=True)
class MatchSettings:
    weights: Weights = field(default_factory=Weights)
    geography: GeographyBand = field(default_factory=GeographyBand)
    # Match only accredited members of the superbuddy framework pool.
    pool_only: bool = False
    # Below this cultural fit (0-1) a ranked candidate carries a "low cultural fit" warning.
    low_fit_warning: float = 0.45

    def validate(self) -> None:
        self.weights.validate()
        self.geography.validate()
        if not 0 <= self.low_fit_warning <= 1:
            raise EngineInputError("The low cultural fit warning must be between 0 and 1")


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
    trust_type: npt.NDArray[np.str_]
    is_teaching: npt.NDArray[np.bool_]
    number_of_sites: npt.NDArray[np.int64]

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


@dataclass(frozen=True)
class RankedCandidate:
    ods_code: str
    rank: int  # 1 = best
    total: float  # 0-1
    criteria: tuple[CriterionScore, ...]  # in CRITERIA order
    covers: tuple[str, ...]  # need areas it has strength in (and runs the service for)
    distance_km: float
    travel_minutes: float
    warnings: tuple[str, ...]  # e.g. "Low cultural fit", "Far: visits are likely to need an overnight stay"
    flags: tuple[str, ...]  # e.g. "Declared potential acquirer": shown, never hidden


@dataclass(frozen=True)
class Exclusion:
    ods_code: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Shortlist:
    supported: str
    ranked: tuple[RankedCandidate, ...]
    excluded: tuple[Exclusion, ...]
    considered: int  # candidates in the pool


@dataclass(frozen=True)
class TeamMember:
    ods_code: str
    assigned_needs: tuple[str, ...]  # the needs this buddy leads on ("issue-specific buddying")
    total: float  # its shortlist score with this trust


@dataclass(frozen=True)
class Team:
    members: tuple[TeamMember, ...]
    objective: float  # sum over needs of priority weight x best member's strength x fit (what is maximised)
    coverage: float  # 0-1: share of the priority-weighted needs covered (strength/5 of the best member)
    unmet_needs: tuple[str, ...]  # needs no member has any strength in
    method: str  # e.g. "greedy with swaps" or "exact (HiGHS)"


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


@dataclass(frozen=True)
class WaveResult:
    method: str  # "coverage" (team-aware), "assignment" (one buddy at a time) or "stable" (deferred acceptance)
    allocations: tuple[TrustAllocation, ...]  # in the order the trusts were given
    objective: float
    upper_bound: float | None  # LP relaxation bound, when computed: objective / upper_bound >= optimality
    exact: bool  # True when solved to proven optimality
    unallocated: tuple[str, ...]  # trusts left without any buddy
    load: dict[str, int]  # candidate ODS code -> number of trusts it was given
    elapsed_ms: float
