"""The matching engine: pure Python and NumPy, with no Django imports.

`matching.selectors` builds its inputs from the database; `matching.services` stores each run.
Everything here takes plain data (the frozen dataclasses in `types`) and returns plain results.
"""

from matching.engine.baseline import shortlist_loop
from matching.engine.geo import EARTH_RADIUS_KM, haversine_km
from matching.engine.scoring import PoolScores, prepare_pool, score_pool
from matching.engine.shortlist import assess_candidates, shortlist
from matching.engine.synthetic import DEFAULT_AREAS, synthetic_pool, synthetic_supported
from matching.engine.team import TEAM_SIZE_DEFAULT, build_team
from matching.engine.types import (
    BAND_LABELS,
    COVERS_AT_DEFAULT,
    CandidatePool,
    CriterionScore,
    EngineInputError,
    Exclusion,
    GeographyBand,
    MatchSettings,
    Need,
    RankedCandidate,
    Shortlist,
    SupportedTrust,
    Team,
    TeamMember,
    TeamResult,
    TrustAllocation,
    Unallocated,
    WaveResult,
    Weights,
)
from matching.engine.wave import StablePreferences, allocate_wave, blocking_pairs, stable_preferences

__all__ = [
    "BAND_LABELS",
    "COVERS_AT_DEFAULT",
    "DEFAULT_AREAS",
    "EARTH_RADIUS_KM",
    "TEAM_SIZE_DEFAULT",
    "CandidatePool",
    "CriterionScore",
    "EngineInputError",
    "Exclusion",
    "GeographyBand",
    "MatchSettings",
    "Need",
    "PoolScores",
    "RankedCandidate",
    "Shortlist",
    "StablePreferences",
    "SupportedTrust",
    "Team",
    "TeamMember",
    "TeamResult",
    "TrustAllocation",
    "Unallocated",
    "WaveResult",
    "Weights",
    "allocate_wave",
    "assess_candidates",
    "blocking_pairs",
    "build_team",
    "haversine_km",
    "prepare_pool",
    "score_pool",
    "shortlist",
    "shortlist_loop",
    "stable_preferences",
    "synthetic_pool",
    "synthetic_supported",
]
