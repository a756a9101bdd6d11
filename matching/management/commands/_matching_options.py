"""Options shared by the shortlist, team and allocate commands: weights and the geography band."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from matching.engine import EngineInputError, MatchSettings
from matching.engine.types import CRITERIA
from matching.models import MatchRun
from matching.services import match_settings_build

DEFAULTS = MatchSettings()


def add_settings_arguments(parser: ArgumentParser) -> None:
    for name in CRITERIA:
        parser.add_argument(
            f"--weight-{name.replace('_', '-')}",
            type=float,
            default=getattr(DEFAULTS.weights, name),
            dest=f"weight_{name}",
            help=f"weight of {name.replace('_', ' ')} (default %(default)s; only the ratios matter)",
        )
    parser.add_argument(
        "--relationship-points",
        type=float,
        default=None,
        help="points out of 100 added for a relationship both trusts confirmed, 0 to 50 (default: "
        "MATCH_RELATIONSHIP_WEIGHT, 5)",
    )
    band = DEFAULTS.geography
    parser.add_argument(
        "--min-distance-km", type=float, default=band.min_distance_km, help="nearer is excluded (default %(default)s)"
    )
    parser.add_argument(
        "--ideal-minutes", type=float, default=band.ideal_max_minutes, help="ideal travel time (default %(default)s)"
    )
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=band.max_minutes,
        help="beyond this an overnight stay is likely (default %(default)s)",
    )
    parser.add_argument("--pool-only", action="store_true", help="match only accredited framework pool members")
    parser.add_argument(
        "--include-receiving-support",
        action="store_true",
        help="include trusts receiving support themselves (special measures, recovery, oversight segment 4 or 5); "
        "they are flagged",
    )
    parser.add_argument("--json", action="store_true", help="print the recorded run as JSON (schema in the README)")


def settings_from_options(options: dict[str, Any]) -> MatchSettings:
    weights = {name: options[f"weight_{name}"] for name in CRITERIA}
    if options.get("relationship_points") is not None:
        weights["relationship"] = options["relationship_points"] / 100
    try:
        return match_settings_build(
            weights=weights,
            geography={
                "min_distance_km": options["min_distance_km"],
                "ideal_max_minutes": options["ideal_minutes"],
                "max_minutes": options["max_minutes"],
            },
            pool_only=options["pool_only"],
            include_receiving_support=options["include_receiving_support"],
        )
    except EngineInputError as error:
        raise CommandError(str(error)) from None


def travel_text(item: dict[str, Any]) -> str:
    """A candidate's or member's journey as the pages show it: "99.5 km, ~129 min, beyond the ideal travel time"."""
    if item.get("distance_km") is None:
        return "travel not known (no location recorded)"
    return f"{item['distance_km']:.0f} km, ~{item['travel_minutes']} min, {item['band_label'].lower()}"


def member_lines(member: dict[str, Any]) -> list[str]:
    """A team or wave member: who, what it leads on, its journey; then each warning on a line of its own."""
    needs = ", ".join(need["name"] for need in member["assigned_needs"]) or "-"
    lines = [f"{member['ods_code']} {member['name']}: leads on {needs}; {travel_text(member)}"]
    lines.extend(f"  ! {warning}" for warning in member["warnings"])
    return lines


def run_json(run: MatchRun) -> str:
    document = {
        "run_id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "created_at": run.created_at.isoformat(),
        "supported": None
        if run.supported is None
        else {"ods_code": run.supported.ods_code, "name": run.supported.name},
        "settings": run.settings,
        "inputs": run.inputs,
        "results": run.results,
        "error": run.error or None,
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
