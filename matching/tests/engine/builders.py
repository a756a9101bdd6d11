"""Tiny pools and trusts built by hand, for tests whose expected scores are worked out on paper."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from matching.engine import CandidatePool, Need, SupportedTrust
from matching.engine.geo import EARTH_RADIUS_KM

AREAS = ("quality-and-safety", "maternity", "finance")
KM_PER_DEGREE_LATITUDE = EARTH_RADIUS_KM * np.pi / 180.0  # 111.195 km along a meridian
HOME = (52.0, -1.5)  # where the supported trust is, unless a test says otherwise

DEFAULTS: dict[str, Any] = {
    "latitude": HOME[0] + 100.0 / KM_PER_DEGREE_LATITUDE,  # 100 km due north: 130 minutes, just past ideal
    "longitude": HOME[1],
    "ics": "",
    "culture": None,
    "strengths": {},
    "no_service": (),
    "max_arrangements": 2,
    "active_arrangements": 0,
    "staff_days_offered": 10.0,
    "staff_days_committed": 0.0,
    "in_special_measures": False,
    "rated_inadequate": False,
    "pool_member": True,
    "potential_acquirer": False,
    "trust_type": "acute-district-general",
    "is_teaching": False,
    "number_of_sites": 1,
    "receiving_support": False,  # in recovery or oversight segment 4-5
    "capacity_declared": True,
    "max_travel_minutes": math.nan,  # the longest journey it declared it will make (NaN: none declared)
    "travel_adjustment_minutes": 0.0,  # minutes added to every journey to or from it (a ferry)
}


def north_of_home(km: float) -> dict[str, float]:
    """A location `km` due north of HOME (a meridian arc, so the great-circle distance is exactly km)."""
    return {"latitude": HOME[0] + km / KM_PER_DEGREE_LATITUDE, "longitude": HOME[1]}


def make_pool(rows: Iterable[Mapping[str, Any]], areas: tuple[str, ...] = AREAS, dims: int = 2) -> CandidatePool:
    """A pool from one dict per candidate: "ods" is required, anything else defaults (see DEFAULTS).

    "strengths" maps area to strength (0-5); "no_service" lists areas whose service the candidate does not run;
    "culture" is a tuple of `dims` scores or None.
    """
    rows = [{**DEFAULTS, **row} for row in rows]

    def column(name: str, dtype: Any) -> np.ndarray:
        return np.array([row[name] for row in rows], dtype=dtype)

    culture = np.array(
        [row["culture"] if row["culture"] is not None else [np.nan] * dims for row in rows], dtype=np.float64
    ).reshape(len(rows), dims)
    strength = np.array([[row["strengths"].get(area, 0) for area in areas] for row in rows], dtype=np.float64)
    eligible = np.array([[area not in row["no_service"] for area in areas] for row in rows], dtype=bool)
    return CandidatePool(
        ods_codes=np.array([row["ods"] for row in rows], dtype=str),
        latitude=column("latitude", np.float64),
        longitude=column("longitude", np.float64),
        ics=np.array([row["ics"] for row in rows], dtype=str),
        culture=culture,
        areas=areas,
        strength=strength.reshape(len(rows), len(areas)),
        eligible=eligible.reshape(len(rows), len(areas)),
        max_arrangements=column("max_arrangements", np.int64),
        active_arrangements=column("active_arrangements", np.int64),
        staff_days_offered=column("staff_days_offered", np.float64),
        staff_days_committed=column("staff_days_committed", np.float64),
        in_special_measures=column("in_special_measures", bool),
        rated_inadequate=column("rated_inadequate", bool),
        pool_member=column("pool_member", bool),
        potential_acquirer=column("potential_acquirer", bool),
        trust_type=np.array([row["trust_type"] for row in rows], dtype=str),
        is_teaching=column("is_teaching", bool),
        number_of_sites=column("number_of_sites", np.int64),
        receiving_support=column("receiving_support", bool),
        capacity_declared=column("capacity_declared", bool),
        max_travel_minutes=column("max_travel_minutes", np.float64),
        travel_adjustment_minutes=column("travel_adjustment_minutes", np.float64),
    )


def with_copies(pool: CandidatePool, row: int, codes: Sequence[str]) -> CandidatePool:
    """`pool` with copies of candidate `row` appended under the ODS `codes`, each made eligible (not in special
    measures or receiving support, not inadequate, with declared room: 2 places and 10 free staff days)."""
    count = len(codes)
    fields: dict[str, Any] = {}
    for field in dataclasses.fields(pool):
        value = getattr(pool, field.name)
        if isinstance(value, np.ndarray):
            fields[field.name] = np.concatenate([value, value[[row] * count]])
    fields["ods_codes"] = np.concatenate([pool.ods_codes, np.asarray(codes)])
    eligible_copies = {
        "in_special_measures": False,
        "rated_inadequate": False,
        "receiving_support": False,
        "capacity_declared": True,
        "max_arrangements": 2,
        "active_arrangements": 0,
        "staff_days_offered": 10.0,
        "staff_days_committed": 0.0,
    }
    for name, value in eligible_copies.items():
        if fields.get(name) is not None:
            fields[name][-count:] = value
    return dataclasses.replace(pool, **fields)


def make_trust(
    ods: str = "RSM",
    needs: Mapping[str, int] | None = None,
    *,
    latitude: float | None = HOME[0],
    longitude: float | None = HOME[1],
    **fields: Any,
) -> SupportedTrust:
    """A supported trust at HOME; `needs` maps area to priority (default: quality-and-safety, priority 3)."""
    needs = {"quality-and-safety": 3} if needs is None else needs
    return SupportedTrust(
        ods_code=ods,
        needs=tuple(Need(area=area, priority=priority) for area, priority in needs.items()),
        latitude=latitude,
        longitude=longitude,
        **fields,
    )
