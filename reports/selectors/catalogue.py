"""The reports: each one's columns, and how its rows and summary are read. REPORTS lists them by kind."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from arrangements.models import ENDED_STATUSES, RUNNING_STATUSES, Arrangement, Input, TermsOfReference
from buddying.formatting import money
from buddying.models import ExpertiseArea, ImprovementNeed, Trust, TrustRelationship
from matching.models import Framework
from matching.selectors import pool_members
from reports.models import ReportKind
from reports.selectors.lookups import (
    CHUNK_SIZE,
    END_REASON_LABELS,
    NO_INPUTS,
    ORIGIN_LABELS,
    RAG_LABELS,
    REGION_LABELS,
    STATUS_LABELS,
    TIER_LABELS,
    ZERO,
    Column,
    Context,
    agreed_fees_for,
    buddies_for,
    chunks,
    input_sums_for,
    local_date,
    reviews_for,
    worst_rag_for,
)


@dataclass(frozen=True)
class ReportDefinition:
    kind: str
    title: str
    description: str
    file_stem: str
    columns: tuple[Column, ...]
    # Per-arrangement reports: an ordered values() queryset, and rows built from a chunk of it.
    base: Callable[[QuerySet[Arrangement]], QuerySet[Any]] | None = None
    build: Callable[[list[Any], Context], list[tuple[Any, ...]]] | None = None
    # Small reports (one row per reason, area...): every row at once.
    table: Callable[[QuerySet[Arrangement], Context], list[tuple[Any, ...]]] | None = None
    # A closing row after the streamed rows (value for money's totals), added up as they stream.
    totals: Callable[[], Totals] | None = None
    summary: Callable[[QuerySet[Arrangement], Context], list[tuple[str, str]]] | None = None
    filterable: bool = True

    @property
    def per_arrangement(self) -> bool:
        return self.base is not None

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(column.key for column in self.columns)


# The register.

# The register reads plain tuples in this order (it is the widest and largest export: no dict per row),
# with the start and end as Europe/London dates computed by the database.
REGISTER_FIELDS = (
    "pk",
    "title",
    "status",
    "tier",
    "origin",
    "planned_start",
    "planned_end",
    "started_on",
    "ended_on",
    "next_review_due",
    "end_reason",
    "supported__name",
    "supported__ods_code",
    "supported__region",
)

REGISTER_COLUMNS = (
    Column("reference", "Reference", "int", 10),
    Column("title", "Arrangement", width=36),
    Column("supported", "Supported trust", width=36),
    Column("supported_ods", "Supported trust ODS code", width=10),
    Column("region", "Region", "label", 18),
    Column("buddies", "Buddies (lead first)", width=40),
    Column("buddy_ods", "Buddy ODS codes", width=14),
    Column("tier", "Tier", "label", 24),
    Column("origin", "Origin", "label", 24),
    Column("status", "Status", "label", 12),
    Column("planned_start", "Planned start", "date", 12),
    Column("planned_end", "Planned end", "date", 12),
    Column("started", "Started", "date", 12),
    Column("ended", "Ended", "date", 12),
    Column("duration_days", "Duration (days)", "int", 10),
    Column("next_review", "Next review due", "date", 12),
    Column("rag", "RAG (worst open milestone)", "label", 10),
    Column("agreed_fee", "Agreed fee (£, latest terms)", "money", 12),
    Column("fees", "Fees paid (£)", "money", 12),
    Column("travel", "Travel costs (£)", "money", 12),
    Column("backfill", "Backfill costs (£)", "money", 12),
    Column("total_cost", "Total cost (£)", "money", 12),
    Column("consultancy", "Consultancy estimate (£)", "money", 12),
    # Each input records who took part in it, so these count attendances: one person at two visits is two.
    Column("people_supported", "Supported trust attendances (people over all inputs)", "int", 12),
    Column("people_buddy", "Buddy trust attendances (people over all inputs)", "int", 12),
    Column("end_reason", "Reason for ending", "label", 18),
)


def register_base(queryset: QuerySet[Arrangement]) -> QuerySet[Any]:
    return (
        queryset.annotate(started_on=TruncDate("started_at"), ended_on=TruncDate("ended_at"))
        .values_list(*REGISTER_FIELDS)
        .order_by("-created_at", "-pk")
    )


def register_build(chunk: list[tuple[Any, ...]], context: Context) -> list[tuple[Any, ...]]:
    ids = [row[0] for row in chunk]
    buddies, sums, rags, agreed = (
        buddies_for(ids),
        input_sums_for(ids, today=context.today),
        worst_rag_for(ids),
        agreed_fees_for(ids),
    )
    today = context.today
    rows = []
    for (
        pk,
        title,
        status,
        tier,
        origin,
        planned_start,
        planned_end,
        started,
        ended,
        next_review_due,
        end_reason,
        supported_name,
        supported_code,
        supported_region,
    ) in chunk:
        fees, travel, backfill, consultancy, people_supported, people_buddy = sums.get(pk, NO_INPUTS)
        named = buddies.get(pk, ())
        rag = rags.get(pk)
        days = ((ended or today) - (started or planned_start)).days
        rows.append(
            (
                pk,
                title,
                supported_name,
                supported_code,
                REGION_LABELS.get(supported_region, ""),
                "; ".join([name for name, _code in named]),
                "; ".join([code for _name, code in named]),
                TIER_LABELS[tier],
                ORIGIN_LABELS[origin],
                STATUS_LABELS[status],
                planned_start,
                planned_end,
                started,
                ended,
                days if days >= 0 else None,  # none before it has started
                next_review_due if status in RUNNING_STATUSES else None,  # a next review only while it runs
                RAG_LABELS[rag] if rag else "",
                agreed.get(pk),
                fees,
                travel,
                backfill,
                fees + travel + backfill,
                consultancy,
                people_supported,
                people_buddy,
                END_REASON_LABELS.get(end_reason, ""),
            )
        )
    return rows


# Review compliance.

REVIEW_COLUMNS = (
    Column("reference", "Reference", "int", 10),
    Column("title", "Arrangement", width=36),
    Column("supported", "Supported trust", width=36),
    Column("status", "Status", "label", 12),
    Column("reviews_done", "Reviews done", "int", 10),
    Column("last_review", "Last review completed", "date", 12),
    Column("next_review", "Next review due", "date", 12),
    Column("compliance", "Next review", "label", 12),
    Column("days_overdue", "Days overdue", "int", 10),
)


def review_base(queryset: QuerySet[Arrangement]) -> QuerySet[Any]:
    """Arrangements that have started: only they have reviews to hold."""
    return (
        queryset.filter(started_at__isnull=False)
        .values("pk", "title", "status", "next_review_due", "supported__name")
        .order_by("next_review_due", "pk")
    )


def review_state(status: str, due: dt.date | None, today: dt.date) -> tuple[str, int | None]:
    """'Overdue' (active, due before today), 'Due' (active, due today or later) or '' for other states."""
    if status != Arrangement.Status.ACTIVE or due is None:
        return "", None
    if due < today:
        return "Overdue", (today - due).days
    return "Due", None


def review_build(chunk: list[dict[str, Any]], context: Context) -> list[tuple[Any, ...]]:
    reviews = reviews_for([row["pk"] for row in chunk])
    rows = []
    for row in chunk:
        done, last = reviews.get(row["pk"], (0, None))
        state, overdue = review_state(row["status"], row["next_review_due"], context.today)
        rows.append(
            (
                row["pk"],
                row["title"],
                row["supported__name"],
                STATUS_LABELS[row["status"]],
                done,
                last,
                row["next_review_due"] if row["status"] in RUNNING_STATUSES else None,
                state,
                overdue,
            )
        )
    return rows


def review_compliance(queryset: QuerySet[Arrangement], context: Context) -> dict[str, int]:
    """Reviews done, and active arrangements with the next review due (today or later) or overdue: one query."""
    active = Q(status=Arrangement.Status.ACTIVE, next_review_due__isnull=False)
    counts = queryset.aggregate(
        due=Count("pk", filter=active & Q(next_review_due__gte=context.today), distinct=True),
        overdue=Count("pk", filter=active & Q(next_review_due__lt=context.today), distinct=True),
        done=Count("reviews", filter=Q(reviews__completed_on__isnull=False), distinct=True),
    )
    return {"done": counts["done"], "due": counts["due"], "overdue": counts["overdue"]}


def review_summary(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[str, str]]:
    counts = review_compliance(queryset, context)
    return [
        ("Reviews done", f"{counts['done']:,}"),
        ("Active arrangements with the next review due", f"{counts['due']:,}"),
        ("Active arrangements with a review overdue", f"{counts['overdue']:,}"),
    ]


# Endings by reason.

ENDINGS_COLUMNS = (
    Column("reason", "Reason", "label", 24),
    Column("terminated", "Ended early", "int", 10),
    Column("completed", "Completed", "int", 10),
    Column("total", "Total", "int", 10),
    Column("share", "Share of endings (%)", "number", 10),
    Column("by_supported", "Ended by the supported trust", "int", 10),
    Column("by_buddy", "Ended by a buddy trust", "int", 10),
    Column("by_regulator", "Ended by the regulator", "int", 10),
)


def endings_table(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[Any, ...]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        queryset.filter(status__in=ENDED_STATUSES)
        .order_by()
        .values_list("end_reason", "status", "ended_by_party")
        .annotate(n=Count("pk"))
    )
    for reason, status, party, n in rows:
        counts[reason][status] += n
        counts[reason][f"by_{party}"] += n
    total = sum(c[status] for c in counts.values() for status in ENDED_STATUSES)
    table = []
    reasons = list(Arrangement.EndReason.values) + ([""] if "" in counts else [])
    for reason in reasons:
        c = counts.get(reason, {})
        n = sum(c.get(status, 0) for status in ENDED_STATUSES)
        table.append(
            (
                END_REASON_LABELS.get(reason, "Not recorded"),
                c.get(Arrangement.Status.TERMINATED, 0),
                c.get(Arrangement.Status.COMPLETED, 0),
                n,
                Decimal(round(100 * n / total, 1)).quantize(Decimal("0.1")) if total else Decimal("0.0"),
                c.get("by_supported", 0),
                c.get("by_buddy", 0),
                c.get("by_regulator", 0),
            )
        )
    return table


def endings_summary(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[str, str]]:
    counts = queryset.filter(status__in=ENDED_STATUSES).aggregate(
        ended=Count("pk"), early=Count("pk", filter=Q(status=Arrangement.Status.TERMINATED))
    )
    return [("Arrangements ended", f"{counts['ended']:,}"), ("Of which ended early", f"{counts['early']:,}")]


# Value for money.

VFM_COLUMNS = (
    Column("reference", "Reference", "int", 10),
    Column("title", "Arrangement", width=36),
    Column("supported", "Supported trust", width=36),
    Column("status", "Status", "label", 12),
    Column("agreed_fee", "Agreed fee (£, latest terms)", "money", 12),
    Column("fees", "Fees paid (£)", "money", 12),
    Column("travel", "Travel costs (£)", "money", 12),
    Column("backfill", "Backfill costs (£)", "money", 12),
    Column("total_cost", "Total cost (£)", "money", 12),
    Column("consultancy", "Consultancy estimate (£)", "money", 12),
    Column("saving", "Saving against the consultancy estimate (£)", "money", 12),
    Column("cost_share", "Cost as % of the estimate", "number", 10),
)


def vfm_base(queryset: QuerySet[Arrangement]) -> QuerySet[Any]:
    return queryset.values("pk", "title", "status", "supported__name").order_by("-created_at", "-pk")


def _share(cost: Decimal, estimate: Decimal) -> Decimal | None:
    return (100 * cost / estimate).quantize(Decimal("0.1")) if estimate else None


def vfm_build(chunk: list[dict[str, Any]], context: Context) -> list[tuple[Any, ...]]:
    ids = [row["pk"] for row in chunk]
    sums, agreed = input_sums_for(ids, today=context.today), agreed_fees_for(ids)
    rows = []
    for row in chunk:
        fees, travel, backfill, estimate, _people_supported, _people_buddy = sums.get(row["pk"], NO_INPUTS)
        total = fees + travel + backfill
        rows.append(
            (
                row["pk"],
                row["title"],
                row["supported__name"],
                STATUS_LABELS[row["status"]],
                agreed.get(row["pk"]),
                fees,
                travel,
                backfill,
                total,
                estimate,
                estimate - total,
                _share(total, estimate),
            )
        )
    return rows


class Totals(Protocol):
    def add(self, row: tuple[Any, ...]) -> None: ...

    def row(self) -> tuple[Any, ...]: ...


class VfmTotals:
    """Adds up the streamed rows for the closing 'Total' row (streaming keeps no rows, only these sums)."""

    MONEY = range(4, 11)

    def __init__(self) -> None:
        self.sums = [ZERO] * 12

    def add(self, row: tuple[Any, ...]) -> None:
        for index in self.MONEY:
            if row[index] is not None:
                self.sums[index] += row[index]

    def row(self) -> tuple[Any, ...]:
        total, estimate = self.sums[8], self.sums[9]
        return (None, "Total", "", "", *self.sums[4:11], _share(total, estimate))


def vfm_totals(queryset: QuerySet[Arrangement], *, today: dt.date | None = None) -> dict[str, Decimal]:
    """Programme totals: two queries (actual inputs, and the latest terms' fees)."""
    sums = (
        Input.objects.actual(today=today)
        .filter(arrangement__in=queryset)
        .aggregate(
            fees=Coalesce(Sum("fee"), ZERO),
            travel=Coalesce(Sum("travel_cost"), ZERO),
            backfill=Coalesce(Sum("backfill_cost"), ZERO),
            consultancy=Coalesce(Sum("consultancy_estimate"), ZERO),
        )
    )
    newer = TermsOfReference.objects.filter(arrangement=OuterRef("arrangement"), version__gt=OuterRef("version"))
    agreed = (
        TermsOfReference.objects.filter(arrangement__in=queryset)
        .exclude(Exists(newer))
        .aggregate(total=Coalesce(Sum("fee"), ZERO))["total"]
    )
    sums["total"] = sums["fees"] + sums["travel"] + sums["backfill"]
    sums["agreed"] = agreed
    return sums


def vfm_summary(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[str, str]]:
    totals = vfm_totals(queryset, today=context.today)
    saving = totals["consultancy"] - totals["total"]
    return [
        ("Agreed fees (latest terms)", money(totals["agreed"])),
        (
            "Costs recorded",
            f"{money(totals['total'])} (fees {money(totals['fees'])}, travel {money(totals['travel'])}, "
            f"backfill {money(totals['backfill'])})",
        ),
        ("A consultancy would have charged", money(totals["consultancy"])),
        ("Saving against the consultancy estimate", money(saving)),
    ]


# Time from needs recorded to buddy agreed.

AGREEMENT_COLUMNS = (
    Column("reference", "Reference", "int", 10),
    Column("title", "Arrangement", width=36),
    Column("supported", "Supported trust", width=36),
    Column("needs_recorded", "Needs recorded", "date", 12),
    Column("agreed", "Buddy agreed", "date", 12),
    Column("days", "Days from needs to agreement", "int", 10),
)


def agreement_base(queryset: QuerySet[Arrangement]) -> QuerySet[Any]:
    return (
        queryset.filter(needs_recorded_at__isnull=False, agreed_at__isnull=False)
        .values("pk", "title", "supported__name", "needs_recorded_at", "agreed_at")
        .order_by("-agreed_at", "-pk")
    )


def _days_to_agree(needs: dt.datetime, agreed: dt.datetime) -> int:
    return (timezone.localtime(agreed).date() - timezone.localtime(needs).date()).days


def agreement_build(chunk: list[dict[str, Any]], context: Context) -> list[tuple[Any, ...]]:
    return [
        (
            row["pk"],
            row["title"],
            row["supported__name"],
            local_date(row["needs_recorded_at"]),
            local_date(row["agreed_at"]),
            _days_to_agree(row["needs_recorded_at"], row["agreed_at"]),
        )
        for row in chunk
    ]


def agreement_stats(queryset: QuerySet[Arrangement]) -> dict[str, Any]:
    """Median and mean days from needs recorded to agreement (one query, read in chunks)."""
    days = [
        _days_to_agree(needs, agreed)
        for needs, agreed in queryset.filter(needs_recorded_at__isnull=False, agreed_at__isnull=False)
        .order_by()
        .values_list("needs_recorded_at", "agreed_at")
        .iterator(chunk_size=CHUNK_SIZE)
        if needs is not None and agreed is not None  # as filtered: tells the type checker
    ]
    if not days:
        return {"count": 0, "median": None, "mean": None, "shortest": None, "longest": None}
    return {
        "count": len(days),
        "median": statistics.median(days),
        "mean": round(statistics.fmean(days), 1),
        "shortest": min(days),
        "longest": max(days),
    }


def agreement_summary(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[str, str]]:
    stats = agreement_stats(queryset)
    if not stats["count"]:
        return [("Arrangements agreed with needs recorded", "0")]
    return [
        ("Arrangements agreed with needs recorded", f"{stats['count']:,}"),
        ("Median days from needs recorded to buddy agreed", f"{stats['median']:g}"),
        ("Mean days", f"{stats['mean']:g}"),
        ("Shortest and longest", f"{stats['shortest']} and {stats['longest']} days"),
    ]


# Pool coverage and capacity by expertise area.

POOL_COLUMNS = (
    Column("area", "Expertise area", width=28),
    Column("pool_strong", "Pool members offering strength 3+", "int", 12),
    Column("available", "Of which with spare capacity", "int", 12),
    Column("free_places", "Free places among them", "int", 12),
    Column("trusts_needing", "Trusts that need it", "int", 12),
    Column("gap", "Gap (trusts needing minus pool members free)", "int", 12),
)


@dataclass
class PoolEntry:
    """One accredited member across the live frameworks: its best offered strength per area and spare places."""

    strengths: dict[int, int]
    spare_places: int
    has_spare: bool


def pool_entries(today: dt.date) -> dict[int, PoolEntry]:
    """Accredited pool members on `today`, per trust, using matching's own definition of membership and capacity."""
    entries: dict[int, PoolEntry] = {}
    for framework in Framework.objects.filter(status=Framework.Status.LIVE).order_by("pk"):
        for member in pool_members(framework=framework, day=today):
            entry = entries.setdefault(member.application.trust_id, PoolEntry({}, 0, False))
            for area_id, strength in member.strengths.items():
                entry.strengths[area_id] = max(strength, entry.strengths.get(area_id, 0))
            if member.has_spare_capacity:
                entry.has_spare = True
                entry.spare_places = max(entry.spare_places, member.spare_places)
    return entries


def pool_table(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[Any, ...]]:
    """Per expertise area: accredited members offering strength 3+ in it, those with room for more, against need."""
    entries = pool_entries(context.today).values()
    needing = dict(
        ImprovementNeed.objects.order_by()
        .values("area")
        .annotate(n=Count("trust", distinct=True))
        .values_list("area", "n")
    )
    table = []
    for area in ExpertiseArea.objects.order_by("name"):
        strong = [entry for entry in entries if entry.strengths.get(area.pk, 0) >= 3]
        free = [entry for entry in strong if entry.has_spare]
        need = needing.get(area.pk, 0)
        places = sum(entry.spare_places for entry in free)
        table.append((area.name, len(strong), len(free), places, need, max(0, need - len(free))))
    return table


def pool_summary(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[str, str]]:
    entries = pool_entries(context.today).values()
    return [
        ("Accredited pool members (live frameworks)", f"{len(entries):,}"),
        ("Of which with a free place and senior staff days", f"{sum(1 for entry in entries if entry.has_spare):,}"),
    ]


# Outcomes: trusts that left special measures while buddied.

OUTCOME_COLUMNS = (
    Column("trust", "Trust", width=36),
    Column("ods", "ODS code", width=10),
    Column("left_on", "Left special measures on", "date", 12),
    Column("status_after", "Status after", "label", 18),
    Column("reference", "Arrangement reference", "int", 10),
    Column("title", "Arrangement", width=36),
    Column("started", "Arrangement started", "date", 12),
    Column("ended", "Arrangement ended", "date", 12),
)

SPECIAL_MEASURES = Trust.ImprovementStatus.SPECIAL_MEASURES
IMPROVEMENT_LABELS = dict(Trust.ImprovementStatus.choices)


def _exits_from_special_measures(trust_ids: QuerySet[Any]) -> tuple[dict[int, list[tuple[dt.datetime, str]]], set[int]]:
    """Each trust's moves out of special measures (when, to what), from its history, and every trust ever in it."""
    exits: dict[int, list[tuple[dt.datetime, str]]] = defaultdict(list)
    ever: set[int] = set()
    previous: tuple[int, str] | None = None
    rows = (
        Trust.history.filter(id__in=trust_ids)
        .order_by("id", "history_date", "history_id")
        .values_list("id", "history_date", "improvement_status")
        .iterator(chunk_size=CHUNK_SIZE)
    )
    for trust_id, when, status in rows:
        if status == SPECIAL_MEASURES:
            ever.add(trust_id)
        if previous is not None and previous[0] == trust_id and previous[1] == SPECIAL_MEASURES != status:
            exits[trust_id].append((when, status))
        previous = (trust_id, status)
    return exits, ever


def outcomes_table(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[Any, ...]]:
    started = queryset.filter(started_at__isnull=False)
    exits, _ever = _exits_from_special_measures(started.values("supported_id"))
    if not exits:
        return []
    table = []
    arrangements = (
        started.filter(supported_id__in=list(exits))
        .values("pk", "title", "supported_id", "supported__name", "supported__ods_code", "started_at", "ended_at")
        .order_by("supported__name", "started_at", "pk")
    )
    for row in arrangements:
        for when, status in exits[row["supported_id"]]:
            if (
                row["started_at"] is not None
                and row["started_at"] <= when
                and (row["ended_at"] is None or when <= row["ended_at"])
            ):
                table.append(
                    (
                        row["supported__name"],
                        row["supported__ods_code"],
                        local_date(when),
                        IMPROVEMENT_LABELS.get(status, status),
                        row["pk"],
                        row["title"],
                        local_date(row["started_at"]),
                        local_date(row["ended_at"]),
                    )
                )
    return table


def outcomes_summary(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[str, str]]:
    started = queryset.filter(started_at__isnull=False)
    _exits, ever = _exits_from_special_measures(started.values("supported_id"))
    left = {row[1] for row in outcomes_table(queryset, context)}
    return [
        ("Supported trusts that have been in special measures", f"{len(ever):,}"),
        ("Trusts that left special measures while buddied", f"{len(left):,}"),
    ]


# The register of informal arrangements: buddying and learning arrangements trusts made themselves, outside special
# measures (buddying.models.TrustRelationship), confirmed or still waiting for the other trust to confirm.

INFORMAL_COLUMNS = (
    Column("trust", "Trust", width=36),
    Column("trust_ods", "ODS code", width=10),
    Column("other", "With", width=36),
    Column("other_ods", "ODS code of the other", width=10),
    Column("kind", "Kind", "label", 28),
    Column("description", "Description", width=48),
    Column("started_on", "Started", "date", 12),
    Column("ended_on", "Ended", "date", 12),
    Column("status", "Status", "label", 22),
    Column("entered_by", "Recorded by", width=36),
    Column("answered_on", "Confirmed on", "date", 12),
)
RELATIONSHIP_KIND_LABELS = dict(TrustRelationship.Kind.choices)
RELATIONSHIP_STATUS_LABELS = dict(TrustRelationship.Status.choices)


def informal_table(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[Any, ...]]:
    """Every informal buddying or learning arrangement not declined, by trust name. One query; `queryset` (the
    user's arrangements) is not used: this report is for regulator staff and admins only."""
    rows = (
        TrustRelationship.objects.filter(kind__in=TrustRelationship.INFORMAL_ARRANGEMENT_KINDS)
        .exclude(status=TrustRelationship.Status.DECLINED)
        .order_by("trust_a__name", "trust_b__name", "kind")
        .values_list(
            "trust_a__name",
            "trust_a__ods_code",
            "trust_b__name",
            "trust_b__ods_code",
            "kind",
            "description",
            "started_on",
            "ended_on",
            "status",
            "entered_for__name",
            "answered_at",
        )
    )
    return [
        (
            a_name,
            a_code,
            b_name,
            b_code,
            RELATIONSHIP_KIND_LABELS[kind],
            description,
            started_on,
            ended_on,
            RELATIONSHIP_STATUS_LABELS[status],
            entered_for or "Regulator staff",
            local_date(answered_at) if status == TrustRelationship.Status.CONFIRMED else None,
        )
        for (
            a_name,
            a_code,
            b_name,
            b_code,
            kind,
            description,
            started_on,
            ended_on,
            status,
            entered_for,
            answered_at,
        ) in rows
    ]


def informal_summary(queryset: QuerySet[Arrangement], context: Context) -> list[tuple[str, str]]:
    counts = dict(
        TrustRelationship.objects.filter(kind__in=TrustRelationship.INFORMAL_ARRANGEMENT_KINDS)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        ("Confirmed informal arrangements", f"{counts.get(TrustRelationship.Status.CONFIRMED, 0):,}"),
        ("Waiting for the other trust to confirm", f"{counts.get(TrustRelationship.Status.PENDING, 0):,}"),
    ]


REPORTS: dict[str, ReportDefinition] = {
    definition.kind: definition
    for definition in (
        ReportDefinition(
            kind=ReportKind.REGISTER,
            title="Arrangements register",
            description="Every arrangement: trusts, tier, origin, status, dates, next review, RAG, costs and people.",
            file_stem="arrangements-register",
            columns=REGISTER_COLUMNS,
            base=register_base,
            build=register_build,
        ),
        ReportDefinition(
            kind=ReportKind.REVIEW_COMPLIANCE,
            title="Review compliance",
            description="Reviews done, and active arrangements with the next review due or overdue.",
            file_stem="review-compliance",
            columns=REVIEW_COLUMNS,
            base=review_base,
            build=review_build,
            summary=review_summary,
        ),
        ReportDefinition(
            kind=ReportKind.ENDINGS,
            title="Endings by reason",
            description="Why arrangements ended, whether early or with objectives met, and who ended them.",
            file_stem="endings-by-reason",
            columns=ENDINGS_COLUMNS,
            table=endings_table,
            summary=endings_summary,
        ),
        ReportDefinition(
            kind=ReportKind.VALUE_FOR_MONEY,
            title="Value for money",
            description="Fees and costs against what a consultancy would have charged, per arrangement and in total.",
            file_stem="value-for-money",
            columns=VFM_COLUMNS,
            base=vfm_base,
            build=vfm_build,
            totals=VfmTotals,
            summary=vfm_summary,
        ),
        ReportDefinition(
            kind=ReportKind.TIME_TO_AGREEMENT,
            title="Time from needs recorded to buddy agreed",
            description="Days from a trust's needs being recorded to its buddy being agreed: median, mean and each.",
            file_stem="time-to-agreement",
            columns=AGREEMENT_COLUMNS,
            base=agreement_base,
            build=agreement_build,
            summary=agreement_summary,
        ),
        ReportDefinition(
            kind=ReportKind.POOL_COVERAGE,
            title="Pool coverage and capacity",
            description="Per expertise area: accredited pool members strong in it (3 or more) with spare capacity, "
            "against the trusts that need it.",
            file_stem="pool-coverage",
            columns=POOL_COLUMNS,
            table=pool_table,
            summary=pool_summary,
            filterable=False,
        ),
        ReportDefinition(
            kind=ReportKind.OUTCOMES,
            title="Outcomes",
            description="Trusts that left special measures while they were being buddied.",
            file_stem="outcomes",
            columns=OUTCOME_COLUMNS,
            table=outcomes_table,
            summary=outcomes_summary,
        ),
        ReportDefinition(
            kind=ReportKind.INFORMAL_ARRANGEMENTS,
            title="Register of informal arrangements",
            description="Informal buddying and learning arrangements trusts made themselves, outside special "
            "measures: confirmed by both trusts, recorded by regulator staff, or waiting for confirmation.",
            file_stem="informal-arrangements",
            columns=INFORMAL_COLUMNS,
            table=informal_table,
            summary=informal_summary,
            filterable=False,
        ),
    )
}


def report_definition(kind: str) -> ReportDefinition | None:
    return REPORTS.get(kind)


def _table(definition: ReportDefinition, queryset: QuerySet[Arrangement], context: Context) -> list[tuple[Any, ...]]:
    if definition.table is None:
        raise ValueError(f"{definition.kind} is neither a per-arrangement nor a table report")
    return definition.table(queryset, context)


def report_row_count(definition: ReportDefinition, queryset: QuerySet[Arrangement], context: Context) -> int:
    """Rows an export will hold (one COUNT for per-arrangement reports), to choose download-now or queue."""
    if definition.base is not None:
        return definition.base(queryset).count() + (1 if definition.totals else 0)
    return len(_table(definition, queryset, context))


def report_rows(
    definition: ReportDefinition, queryset: QuerySet[Arrangement], context: Context, *, chunk_size: int = CHUNK_SIZE
) -> Iterator[tuple[Any, ...]]:
    """Every row of the report, streamed: per-arrangement reports hold one chunk in memory at a time."""
    if definition.base is None or definition.build is None:
        yield from _table(definition, queryset, context)
        return
    totals = definition.totals() if definition.totals else None
    values = definition.base(queryset).iterator(chunk_size=chunk_size)
    for chunk in chunks(values, chunk_size):
        for row in definition.build(chunk, context):
            if totals is not None:
                totals.add(row)
            yield row
    if totals is not None:
        yield totals.row()


def report_page(
    definition: ReportDefinition, queryset: QuerySet[Arrangement], context: Context, *, page: Any, per_page: int = 25
) -> tuple[Page | None, list[dict[str, Any]]]:
    """One page of a per-arrangement report (count, rows, look-ups), or every row of a small report."""
    if definition.base is None or definition.build is None:
        return None, [dict(zip(definition.keys, row, strict=True)) for row in _table(definition, queryset, context)]
    paged = Paginator(definition.base(queryset), per_page).get_page(page)
    rows = definition.build(list(paged.object_list), context) if paged.object_list else []
    return paged, [dict(zip(definition.keys, row, strict=True)) for row in rows]
