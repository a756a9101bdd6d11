"""The engine's results as the JSON stored on each run and served to pages, commands and the API.

Names, not slugs: every area and trust is given with its name. Every team and wave member carries its distance,
estimated travel time, travel band and warnings, as every shortlist candidate does.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from matching import engine, selectors
from matching.engine import MatchSettings


def summary_json(snapshot: selectors.PoolSnapshot, ods_code: str) -> dict[str, Any]:
    trust = snapshot.trusts[ods_code]
    return {"ods_code": ods_code, "name": trust.name, "latitude": trust.latitude, "longitude": trust.longitude}


def settings_json(settings: MatchSettings, **sizes: Any) -> dict[str, Any]:
    return {**dataclasses.asdict(settings), **sizes}


def areas_json(areas: tuple[str, ...] | list[str], snapshot: selectors.PoolSnapshot) -> list[dict[str, str]]:
    return [{"area": area, "name": snapshot.area_names.get(area, area)} for area in areas]


def needs_json(supported: engine.SupportedTrust, snapshot: selectors.PoolSnapshot) -> list[dict[str, Any]]:
    return [
        {"area": need.area, "name": snapshot.area_names.get(need.area, need.area), "priority": need.priority}
        for need in supported.needs
    ]


def _minutes(value: float) -> int | None:
    return None if math.isnan(value) else round(value)


def _km(value: float) -> int | None:
    # Whole kilometres, as the reasons give them.
    return None if math.isnan(value) else round(value)


def travel_json(distance_km: float, travel_minutes: float, band: str) -> dict[str, Any]:
    return {
        "distance_km": _km(distance_km),
        "travel_minutes": _minutes(travel_minutes),
        "band": band,
        "band_label": engine.BAND_LABELS[band],
    }


def candidate_json(candidate: engine.RankedCandidate, snapshot: selectors.PoolSnapshot) -> dict[str, Any]:
    known, of = candidate.completeness
    return {
        **summary_json(snapshot, candidate.ods_code),
        "rank": candidate.rank,
        "total": round(candidate.total, 4),
        **travel_json(candidate.distance_km, candidate.travel_minutes, candidate.band),
        "covers": areas_json(candidate.covers, snapshot),
        "warnings": list(candidate.warnings),
        "flags": list(candidate.flags),
        "missing": list(candidate.missing),
        "completeness": {"known": known, "of": of},
        "criteria": [
            {
                "name": criterion.name,
                "label": criterion.label,
                "score": round(criterion.score, 4),
                "weight": round(criterion.weight, 4),
                "contribution": round(criterion.contribution, 4),
                "reason": criterion.reason,
                "known": criterion.known,
            }
            for criterion in candidate.criteria
        ],
    }


def shortlist_json(result: engine.Shortlist, snapshot: selectors.PoolSnapshot) -> dict[str, Any]:
    # The supported trust is never its own buddy: listing it among the excluded would only be noise.
    excluded = [
        {**summary_json(snapshot, exclusion.ods_code), "reasons": list(exclusion.reasons)}
        for exclusion in result.excluded
        if exclusion.ods_code != result.supported
    ]
    return {
        "considered": result.considered,
        "warnings": list(result.warnings),
        "ranked": [candidate_json(candidate, snapshot) for candidate in result.ranked],
        "not_covering": [summary_json(snapshot, code) for code in result.not_covering],
        "met_by_existing": [
            {"area": area, "name": snapshot.area_names.get(area, area), "buddy": summary_json(snapshot, code)}
            for area, code in result.met_by_existing.items()
        ],
        "excluded": excluded,
        # What a known relationship adds to a candidate's total, at most (0-1).
        "relationship_bonus": round(result.relationship_bonus, 4),
    }


def member_json(member: engine.TeamMember, snapshot: selectors.PoolSnapshot) -> dict[str, Any]:
    return {
        **summary_json(snapshot, member.ods_code),
        "total": round(member.total, 4),
        **travel_json(member.distance_km, member.travel_minutes, member.band),
        "warnings": list(member.warnings),
        "relationship": member.relationship,
        "assigned_needs": areas_json(member.assigned_needs, snapshot),
    }


def team_json(team: engine.Team | None, snapshot: selectors.PoolSnapshot) -> dict[str, Any] | None:
    if team is None:
        return None
    return {
        "method": team.method,
        "objective": round(team.objective, 6),
        "coverage": round(team.coverage, 4),
        "unmet_needs": areas_json(team.unmet_needs, snapshot),
        "met_by_existing": areas_json(team.met_by_existing, snapshot),
        "members": [member_json(member, snapshot) for member in team.members],
    }


def wave_json(result: engine.WaveResult, snapshot: selectors.PoolSnapshot) -> dict[str, Any]:
    return {
        "method": result.method,
        "objective": round(result.objective, 6),
        "upper_bound": None if result.upper_bound is None else round(result.upper_bound, 6),
        "exact": result.exact,
        "served": result.served,
        "max_servable": result.max_servable,
        "unallocated": [
            {**summary_json(snapshot, item.ods_code), "reason": item.reason} for item in result.unallocated
        ],
        "load": result.load,
        "elapsed_ms": round(result.elapsed_ms, 3),
        "allocations": [
            {
                **summary_json(snapshot, allocation.supported),
                "coverage": round(allocation.coverage, 4),
                "unmet_needs": areas_json(allocation.unmet_needs, snapshot),
                "met_by_existing": areas_json(allocation.met_by_existing, snapshot),
                "reason": allocation.reason,
                "members": [member_json(member, snapshot) for member in allocation.members],
            }
            for allocation in result.allocations
        ],
    }
