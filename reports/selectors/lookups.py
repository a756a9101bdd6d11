"""Shared pieces of every report: columns, the export's context, and the look-ups made for a chunk of arrangements.

A per-arrangement report reads arrangements with `.values().iterator(chunk_size=CHUNK_SIZE)` and, for
each chunk, looks up what it needs (buddies, costs, milestones, terms, reviews) with one query per
kind, so an export of any size holds one chunk in memory, and a page of 25 runs the same queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db.models import Case, Count, DecimalField, Max, Sum, Value, When
from django.utils import timezone

from arrangements.models import (
    Arrangement,
    ArrangementBuddy,
    Input,
    Milestone,
    Review,
    TermsOfReference,
    Workstream,
)
from buddying.models import Region

# Rows read and looked up at a time by an export: memory holds about this many rows.
CHUNK_SIZE = 5000
ZERO = Decimal("0.00")

STATUS_LABELS = dict(Arrangement.Status.choices)
TIER_LABELS = dict(Arrangement.Tier.choices)
ORIGIN_LABELS = dict(Arrangement.Origin.choices)
END_REASON_LABELS = dict(Arrangement.EndReason.choices)
REGION_LABELS = dict(Region.choices)
RAG_RANK = {Milestone.Rag.GREEN: 1, Milestone.Rag.AMBER: 2, Milestone.Rag.RED: 3}
RAG_LABELS = dict(Milestone.Rag.choices)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    # text (typed by people: neutralised in files), label (our own choice labels: safe as they are),
    # int, money (two decimal places), number (one decimal place), date
    kind: str = "text"
    width: int = 14


@dataclass
class Context:
    """What every row of one export or page shares: today's date in England."""

    today: dt.date = field(default_factory=timezone.localdate)


def chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def local_date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localtime(value).date() if value is not None else None


def for_ids(field: str, ids: Sequence[int]) -> dict[str, Any]:
    """Filter arguments for rows of these arrangements.

    A chunk of an export of most arrangements has ids close together: a range is much cheaper to send,
    plan and run than an IN list of 2,000 ids (the callers drop the few rows of ids not asked for).
    A sparse chunk (a trust executive's arrangements, a narrow filter) uses IN.
    """
    low, high = min(ids), max(ids)
    if high - low < 3 * len(ids):
        return {f"{field}__gte": low, f"{field}__lte": high}
    return {f"{field}__in": ids}


# Look-ups for one chunk of arrangements -------------------------------------------------------------------------


def buddies_for(ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """(name, ODS code) of each arrangement's buddies, the lead first."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = (
        ArrangementBuddy.objects.filter(**for_ids("arrangement_id", ids))
        .order_by("arrangement_id", "-role", "buddy__name")
        .values_list("arrangement_id", "buddy__name", "buddy__ods_code")
    )
    for arrangement_id, name, code in rows:
        found[arrangement_id].append((name, code))
    return found


class DatabaseSum(Sum):
    """SUM as PostgreSQL's driver returns it (Decimal for numeric, int for integers), with no per-value conversion.

    Django converts every aggregate value it reads (Decimal(value), int(value)); over a 100,000-row
    export that is most of the time spent on costs. SQLite's values still need converting.
    """

    def get_db_converters(self, connection: Any) -> list[Any]:
        if connection.vendor == "postgresql":
            return []
        converters = super().get_db_converters(connection)
        if isinstance(self.output_field, DecimalField):  # SQLite's sums drop the decimal places
            places = Decimal(1).scaleb(-self.output_field.decimal_places)
            converters.append(lambda value, expression, connection: None if value is None else value.quantize(places))
        return converters


def input_sums_for(ids: Sequence[int], *, today: dt.date | None = None) -> dict[int, tuple[Any, ...]]:
    """(fees, travel, backfill, consultancy estimate, people supported, people buddy) summed per arrangement, over
    its actual inputs: one dated after `today` is planned, not yet a cost or an attendance."""
    rows = (
        Input.objects.actual(today=today)
        .filter(**for_ids("arrangement_id", ids))
        .order_by()
        .values("arrangement_id")
        .annotate(
            fees=DatabaseSum("fee"),
            travel=DatabaseSum("travel_cost"),
            backfill=DatabaseSum("backfill_cost"),
            consultancy=DatabaseSum("consultancy_estimate"),
            people_supported=DatabaseSum("people_supported"),
            people_buddy=DatabaseSum("people_buddy"),
        )
        .values_list("arrangement_id", "fees", "travel", "backfill", "consultancy", "people_supported", "people_buddy")
    )
    return {row[0]: row[1:] for row in rows}


NO_INPUTS = (ZERO, ZERO, ZERO, ZERO, 0, 0)


RAG_RANK_SQL = Case(
    When(rag=Milestone.Rag.RED, then=Value(3)),
    When(rag=Milestone.Rag.AMBER, then=Value(2)),
    When(rag=Milestone.Rag.GREEN, then=Value(1)),
    default=Value(0),
)
RAG_BY_RANK = {3: Milestone.Rag.RED, 2: Milestone.Rag.AMBER, 1: Milestone.Rag.GREEN}


def worst_rag_for(ids: Sequence[int]) -> dict[int, str]:
    """The worst RAG of each arrangement's open milestones (red > amber > green); complete ones do not count.

    Two queries, each on an indexed id range or list: joining milestones to workstreams instead makes
    PostgreSQL scan every milestone for every chunk of a large export.
    """
    arrangement_of = dict(
        Workstream.objects.filter(**for_ids("arrangement_id", ids)).order_by().values_list("pk", "arrangement_id")
    )
    if not arrangement_of:
        return {}
    worst: dict[int, int] = {}
    rows = (
        Milestone.objects.filter(**for_ids("workstream_id", list(arrangement_of)))
        .exclude(rag=Milestone.Rag.COMPLETE)
        .order_by()
        .values("workstream_id")
        .annotate(rank=Max(RAG_RANK_SQL))
        .values_list("workstream_id", "rank")
    )
    for workstream_id, rank in rows:
        arrangement_id = arrangement_of.get(workstream_id)
        if arrangement_id is not None and rank > worst.get(arrangement_id, 0):
            worst[arrangement_id] = rank
    return {arrangement_id: RAG_BY_RANK[rank] for arrangement_id, rank in worst.items()}


def agreed_fees_for(ids: Sequence[int]) -> dict[int, Decimal]:
    """The fee in the latest version of each arrangement's terms of reference."""
    fees: dict[int, Decimal] = {}
    rows = (
        TermsOfReference.objects.filter(**for_ids("arrangement_id", ids))
        .order_by("arrangement_id", "-version")
        .values_list("arrangement_id", "fee")
    )
    for arrangement_id, fee in rows:
        fees.setdefault(arrangement_id, fee)
    return fees


def reviews_for(ids: Sequence[int]) -> dict[int, tuple[int, dt.date | None]]:
    """(reviews complete, the date the last completed) per arrangement: a review is done once both sides submitted."""
    rows = (
        Review.objects.complete()
        .filter(**for_ids("arrangement_id", ids))
        .order_by()
        .values("arrangement_id")
        .annotate(done=Count("pk"), last=Max("completed_on"))
        .values_list("arrangement_id", "done", "last")
    )
    return {arrangement_id: (done, last) for arrangement_id, done, last in rows}
