"""Reads of the trust registry that are more than a one-line queryset."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from buddying.models import ExpertiseArea, ImprovementNeed, Trust, TrustExpertise

STATUS_COLOURS = {
    # Marker colours on the map, from the GOV.UK colour palette; the legend names each one.
    Trust.ImprovementStatus.SPECIAL_MEASURES: "#d4351c",
    Trust.ImprovementStatus.RECOVERY: "#f47738",
    Trust.ImprovementStatus.NONE: "#1d70b8",
}


def trust_for_profile(*, ods_code: str, include_private: bool) -> Trust:
    """One trust with everything its profile page shows, in a fixed number of queries."""
    prefetches: list[Any] = [
        "services",
        Prefetch("expertise", queryset=TrustExpertise.objects.select_related("area")),
    ]
    if include_private:
        prefetches.append(Prefetch("needs", queryset=ImprovementNeed.objects.select_related("area")))
    queryset = Trust.objects.select_related("ics").prefetch_related(*prefetches)
    if include_private:
        queryset = queryset.select_related("culture")
    return queryset.get(ods_code=ods_code)


def map_markers(trusts: QuerySet[Trust]) -> list[dict[str, Any]]:
    """Plain data for the map's markers: one query, located trusts only."""
    rows = trusts.located().values_list("ods_code", "name", "latitude", "longitude", "improvement_status")
    labels = dict(Trust.ImprovementStatus.choices)
    return [
        {
            "ods_code": ods_code,
            "name": name,
            "lat": latitude,
            "lng": longitude,
            "status": labels[status],
            "colour": STATUS_COLOURS[status],
            "url": Trust(ods_code=ods_code).get_absolute_url(),
        }
        for ods_code, name, latitude, longitude, status in rows
    ]


def registry_summary() -> dict[str, int]:
    """Counts for the home page, in one query."""
    return Trust.objects.aggregate(
        trusts=Count("pk"),
        special_measures=Count("pk", filter=Q(improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES)),
        recovery=Count("pk", filter=Q(improvement_status=Trust.ImprovementStatus.RECOVERY)),
    )


def expertise_areas() -> list[ExpertiseArea]:
    return list(ExpertiseArea.objects.select_related("requires_service"))
