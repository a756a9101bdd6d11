"""The dashboard's figures and map, and the reports page's list of recent exports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from arrangements.models import Arrangement, ArrangementBuddy, Input
from buddying.models import Trust, User
from reports.models import ExportRecord
from reports.selectors.catalogue import endings_table, review_compliance
from reports.selectors.lookups import ZERO, Context


def _ordered_counts(counts: dict[str, int], choices: Sequence[tuple[str, str]]) -> list[tuple[str, int]]:
    return [(label, counts.get(value, 0)) for value, label in choices]


SUPPORTED_COLOUR, BUDDY_COLOUR = "#d4351c", "#00703c"


def dashboard(queryset: QuerySet[Arrangement], context: Context) -> dict[str, Any]:
    """Everything the dashboard draws, in five queries whatever the number of arrangements."""
    by_status: dict[str, int] = defaultdict(int)
    by_tier: dict[str, int] = defaultdict(int)
    for status, tier, n in queryset.order_by().values_list("status", "tier").annotate(n=Count("pk")):
        by_status[status] += n
        by_tier[tier] += n
    compliance = review_compliance(queryset, context)
    endings = [(row[0], row[3]) for row in endings_table(queryset, context)]
    costs = (
        Input.objects.actual(today=context.today)
        .filter(arrangement__in=queryset)
        .aggregate(
            fees=Coalesce(Sum("fee"), ZERO),
            travel=Coalesce(Sum("travel_cost"), ZERO),
            backfill=Coalesce(Sum("backfill_cost"), ZERO),
            consultancy=Coalesce(Sum("consultancy_estimate"), ZERO),
        )
    )
    markers, lines, more_lines = active_map(queryset)
    return {
        "total": sum(by_status.values()),
        "by_status": _ordered_counts(by_status, Arrangement.Status.choices),
        "by_tier": _ordered_counts(by_tier, Arrangement.Tier.choices),
        "reviews": [
            ("Done", compliance["done"]),
            ("Due", compliance["due"]),
            ("Overdue", compliance["overdue"]),
        ],
        "endings": endings,
        "costs": [
            ("Fees", costs["fees"]),
            ("Travel", costs["travel"]),
            ("Backfill", costs["backfill"]),
            ("Consultancy estimate", costs["consultancy"]),
        ],
        "markers": markers,
        "lines": lines,
        "more_lines": more_lines,
    }


# A map of more lines than this is unreadable, and slow to send and draw.
MAP_LINES_LIMIT = 2000


def active_map(
    queryset: QuerySet[Arrangement], *, limit: int = MAP_LINES_LIMIT
) -> tuple[list[dict[str, Any]], list[list[list[float | None]]], bool]:
    """Markers for supported trusts (red) and buddies (green) of active arrangements, a line per pair (one query).

    Returns (markers, lines, more): `more` says there were more than `limit` pairs, and only `limit` are drawn.
    """
    rows = list(
        ArrangementBuddy.objects.filter(
            arrangement__in=queryset.filter(status=Arrangement.Status.ACTIVE),
            supported__latitude__isnull=False,
            buddy__latitude__isnull=False,
        )
        .order_by("-arrangement_id", "pk")
        .values_list(
            "supported__ods_code",
            "supported__name",
            "supported__latitude",
            "supported__longitude",
            "buddy__ods_code",
            "buddy__name",
            "buddy__latitude",
            "buddy__longitude",
        )[: limit + 1]
    )
    more = len(rows) > limit
    markers: dict[str, dict[str, Any]] = {}
    lines = []
    for s_code, s_name, s_lat, s_lng, b_code, b_name, b_lat, b_lng in rows[:limit]:
        if s_code not in markers or markers[s_code]["colour"] != SUPPORTED_COLOUR:
            markers[s_code] = _marker(s_code, s_name, s_lat, s_lng, "Supported trust", SUPPORTED_COLOUR)
        if b_code not in markers:
            markers[b_code] = _marker(b_code, b_name, b_lat, b_lng, "Buddy", BUDDY_COLOUR)
        lines.append([[s_lat, s_lng], [b_lat, b_lng]])
    return list(markers.values()), lines, more


def _marker(code: str, name: str, lat: float | None, lng: float | None, role: str, colour: str) -> dict[str, Any]:
    return {
        "ods_code": code,
        "name": name,
        "lat": lat,
        "lng": lng,
        "status": role,
        "colour": colour,
        "url": Trust(ods_code=code).get_absolute_url(),
    }


# The reports page ---------------------------------------------------------------------------------------------


def recent_exports(*, user: User, limit: int = 10) -> list[ExportRecord]:
    return list(ExportRecord.objects.filter(user=user).select_related("job")[:limit])
