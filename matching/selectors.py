"""Build the engine's plain inputs from the database, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from buddying.models import (
    CULTURE_DIMENSIONS,
    CultureProfile,
    ExpertiseArea,
    ImprovementNeed,
    Trust,
    TrustExpertise,
    TrustRelationship,
    User,
    relationship_confirmation,
)
from buddying.permissions import is_regulator_or_admin
from buddying.worklist import WorkItem
from matching import engine
from matching.engine import CandidatePool, EngineInputError, Need, SupportedTrust
from matching.models import BuddyCapacity, Framework, MatchRun, PoolApplication, Veto

CULTURE_FIELDS = [field for field, _label in CULTURE_DIMENSIONS]
# NHS Oversight Framework segments 4 and 5 (5 = the Recovery Support Programme) mean the trust receives
# intensive support itself: it is not recommended as a buddy unless the regulator includes it explicitly.
RECEIVING_SUPPORT_SEGMENT = 4


@dataclass(frozen=True)
class TrustSummary:
    """What pages and commands show about a candidate beside its ODS code."""

    ods_code: str
    name: str
    latitude: float | None
    longitude: float | None
    region: str


@dataclass(frozen=True)
class PoolSnapshot:
    pool: CandidatePool
    trusts: dict[str, TrustSummary]
    area_names: dict[str, str]


def candidate_pool(*, framework_id: int | None = None) -> PoolSnapshot:
    """Every open (not closed) trust in the registry as a candidate buddy; the engine applies the exclusions.

    Pool membership is of any live framework, or of `framework_id` alone (a call-off under that framework). A
    member's declared furthest travel is its limit (the most generous of its accreditations). Places in use count
    every open arrangement, proposed ones included, and the trust's recorded commitments, whichever is more.
    """
    trusts = list(
        Trust.objects.open()
        .order_by("ods_code")
        .values_list(
            "pk",
            "ods_code",
            "name",
            "latitude",
            "longitude",
            "ics__code",
            "region",
            "improvement_status",
            "cqc_rating",
            "trust_type",
            "is_teaching",
            "number_of_sites",
            "oversight_segment",
            "travel_adjustment_minutes",
        )
    )
    areas = list(ExpertiseArea.objects.order_by("slug").values_list("pk", "slug", "name", "requires_service_id"))
    area_column = {pk: column for column, (pk, _slug, _name, _service) in enumerate(areas)}
    row_of = {pk: row for row, (pk, *_rest) in enumerate(trusts)}
    n, a = len(trusts), len(areas)

    strength = np.zeros((n, a), dtype=np.float64)
    for trust_id, area_id, level in TrustExpertise.objects.filter(trust_id__in=row_of).values_list(
        "trust_id", "area_id", "strength"
    ):
        strength[row_of[trust_id], area_column[area_id]] = level

    services_run: dict[int, set[int]] = defaultdict(set)
    for trust_id, service_id in Trust.services.through.objects.values_list("trust_id", "serviceline_id"):
        services_run[trust_id].add(service_id)
    eligible = np.ones((n, a), dtype=np.bool_)
    for area_index, (_pk, _slug, _name, service_id) in enumerate(areas):
        if service_id is not None:
            eligible[:, area_index] = [service_id in services_run[trust[0]] for trust in trusts]

    culture = np.full((n, len(CULTURE_FIELDS)), np.nan, dtype=np.float64)
    for trust_id, *scores in CultureProfile.objects.filter(trust_id__in=row_of).values_list(
        "trust_id", *CULTURE_FIELDS
    ):
        culture[row_of[trust_id]] = [float(score) for score in scores]

    max_places = np.zeros(n, dtype=np.int64)
    active = np.zeros(n, dtype=np.int64)
    days_offered = np.zeros(n, dtype=np.float64)
    days_committed = np.zeros(n, dtype=np.float64)
    declared = np.zeros(n, dtype=np.bool_)
    acquirer = np.zeros(n, dtype=np.bool_)
    for row in BuddyCapacity.objects.filter(trust_id__in=row_of).values_list(
        "trust_id",
        "max_concurrent_arrangements",
        "active_arrangements",
        "senior_staff_days_per_month",
        "staff_days_committed",
        "is_potential_acquirer",
    ):
        i = row_of[row[0]]
        max_places[i], active[i], days_offered[i], days_committed[i] = row[1], row[2], float(row[3]), float(row[4])
        declared[i] = True
        acquirer[i] = row[5]
    held: dict[int, int] = defaultdict(int)
    for _supported_id, buddy_id in open_buddy_pairs():
        held[buddy_id] += 1
    for trust_id, places in held.items():
        if trust_id in row_of:
            active[row_of[trust_id]] = max(active[row_of[trust_id]], places)

    pool_member = np.zeros(n, dtype=np.bool_)
    max_travel = np.full(n, np.nan, dtype=np.float64)
    for trust_id, minutes in pool_member_travel(day=timezone.localdate(), framework_id=framework_id).items():
        if trust_id in row_of:
            pool_member[row_of[trust_id]] = True
            max_travel[row_of[trust_id]] = minutes

    def column(index: int, dtype: type) -> np.ndarray:
        return np.array([trust[index] for trust in trusts], dtype=dtype)

    status = column(7, np.str_)
    segment = np.array([t[12] or 0 for t in trusts], dtype=np.int64)
    pool = CandidatePool(
        ods_codes=column(1, np.str_),
        latitude=np.array([np.nan if t[3] is None else t[3] for t in trusts], dtype=np.float64),
        longitude=np.array([np.nan if t[4] is None else t[4] for t in trusts], dtype=np.float64),
        ics=np.array([t[5] or "" for t in trusts], dtype=np.str_),
        culture=culture,
        areas=tuple(slug for _pk, slug, _name, _service in areas),
        strength=strength,
        eligible=eligible,
        max_arrangements=max_places,
        active_arrangements=active,
        staff_days_offered=days_offered,
        staff_days_committed=days_committed,
        in_special_measures=status == Trust.ImprovementStatus.SPECIAL_MEASURES,
        rated_inadequate=column(8, np.str_) == Trust.CqcRating.INADEQUATE,
        pool_member=pool_member,
        potential_acquirer=acquirer,
        trust_type=column(9, np.str_),
        is_teaching=column(10, np.bool_),
        number_of_sites=column(11, np.int64),
        receiving_support=(status == Trust.ImprovementStatus.RECOVERY) | (segment >= RECEIVING_SUPPORT_SEGMENT),
        capacity_declared=declared,
        max_travel_minutes=max_travel,
        travel_adjustment_minutes=column(13, np.float64),
        # Names for reasons: areas and trust types by slug, trusts by ODS code.
        labels={
            **{slug: name for _pk, slug, name, _s in areas},
            **dict(Trust.TrustType.choices),
            **{t[1]: t[2] for t in trusts},
        },
    )
    summaries = {
        t[1]: TrustSummary(ods_code=t[1], name=t[2], latitude=t[3], longitude=t[4], region=t[6]) for t in trusts
    }
    return PoolSnapshot(pool=pool, trusts=summaries, area_names={slug: name for _pk, slug, name, _s in areas})


def open_buddy_pairs() -> list[tuple[int, int]]:
    """(supported trust id, buddy trust id) of every open arrangement.

    Arrangements live in the `arrangements` app, which depends on this one, so it is asked through its AppConfig
    (`open_buddy_pairs`), as `seed_demo` asks each app for its demo data.
    """
    pairs: list[tuple[int, int]] = []
    for config in apps.get_app_configs():
        reader = getattr(config, "open_buddy_pairs", None)
        if reader is not None:
            pairs.extend(reader())
    return pairs


def pool_member_travel(*, day: dt.date, framework_id: int | None = None) -> dict[int, float]:
    """Pool members on `day` (as `pool_member_ids`) with the furthest travel each declared, in minutes."""
    members = PoolApplication.objects.accredited_on(day)
    if framework_id is not None:
        members = members.filter(framework_id=framework_id)
    travel: dict[int, float] = {}
    for trust_id, minutes in members.values_list("trust_id", "max_travel_minutes"):
        travel[trust_id] = max(travel.get(trust_id, 0.0), float(minutes))
    return travel


def pool_member_ids(*, day: dt.date, framework_id: int | None = None) -> set[int]:
    """Trusts in the superbuddy pool on `day`: accredited, not expired, in a live framework (or in that one
    framework). Read live, so a withdrawn, suspended or expired member drops out of matching at once."""
    return set(pool_member_travel(day=day, framework_id=framework_id))


# How a shortlist names each kind of known relationship (the reason of its bonus).
RELATIONSHIP_REASONS = {
    TrustRelationship.Kind.INFORMAL_BUDDYING: "An informal buddying arrangement between the two trusts",
    TrustRelationship.Kind.LEARNING: "A learning arrangement between the two trusts",
    TrustRelationship.Kind.SHARED_NETWORK: "The two trusts share a network",
    TrustRelationship.Kind.LEADERS_WORKED_TOGETHER: "Chief executives or chairs have worked together",
}


def relationship_reason(kind: str, *, who: str) -> str:
    """'Chief executives or chairs have worked together (confirmed by both trusts)'."""
    return f"{RELATIONSHIP_REASONS[TrustRelationship.Kind(kind)]} ({who})"


def known_relationships(trust_ids: set[int]) -> dict[int, list[tuple[str, str]]]:
    """Confirmed relationships of each trust in `trust_ids`, as the engine takes them: (other trust's ODS code,
    reason). One query. Pending and declined relationships never count."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    rows = (
        TrustRelationship.objects.confirmed()
        .filter(Q(trust_a_id__in=trust_ids) | Q(trust_b_id__in=trust_ids))
        .order_by("kind", "pk")
        .values_list(
            "trust_a_id",
            "trust_a__ods_code",
            "trust_b_id",
            "trust_b__ods_code",
            "kind",
            "entered_for_id",
            "answered_by__role",
            "answered_by__is_superuser",
        )
    )
    for a_id, a_code, b_id, b_code, kind, entered_for_id, answered_role, answered_superuser in rows:
        who = relationship_confirmation(
            entered_by_a_trust=entered_for_id is not None,
            answered_by_regulator=answered_role in {User.Role.REGULATOR, User.Role.ADMIN} or bool(answered_superuser),
        )
        reason = relationship_reason(kind, who=who)
        if a_id in trust_ids:
            found[a_id].append((b_code, reason))
        if b_id in trust_ids:
            found[b_id].append((a_code, reason))
    return found


def supported_trusts(ods_codes: list[str]) -> list[SupportedTrust]:
    """The engine's view of trusts that need support, in the order given. Unknown codes are an error."""
    found = {
        trust.ods_code: trust
        for trust in Trust.objects.filter(ods_code__in=ods_codes)
        .select_related("ics", "culture")
        .prefetch_related("needs__area")
    }
    missing = [code for code in ods_codes if code not in found]
    if missing:
        raise EngineInputError(f"No trust has the ODS code {', '.join(missing)}")
    vetoes: dict[int, set[str]] = defaultdict(set)
    for supported_id, vetoed_code in Veto.objects.filter(supported__ods_code__in=ods_codes).values_list(
        "supported_id", "vetoed__ods_code"
    ):
        vetoes[supported_id].add(vetoed_code)
    ids = {trust.pk for trust in found.values()}
    pairs = [(supported_id, buddy_id) for supported_id, buddy_id in open_buddy_pairs() if supported_id in ids]
    buddy_codes = dict(Trust.objects.filter(pk__in={buddy_id for _s, buddy_id in pairs}).values_list("pk", "ods_code"))
    existing: dict[int, set[str]] = defaultdict(set)
    for supported_id, buddy_id in pairs:
        existing[supported_id].add(buddy_codes[buddy_id])
    relationships = known_relationships(ids)
    result = []
    for code in ods_codes:
        trust = found[code]
        culture = getattr(trust, "culture", None)
        result.append(
            SupportedTrust(
                ods_code=trust.ods_code,
                needs=tuple(Need(area=need.area.slug, priority=need.priority) for need in trust.needs.all()),
                latitude=trust.latitude,
                longitude=trust.longitude,
                ics=trust.ics.code if trust.ics else "",
                culture=tuple(float(getattr(culture, field)) for field in CULTURE_FIELDS) if culture else None,
                vetoed=frozenset(vetoes[trust.pk]),
                trust_type=trust.trust_type,
                is_teaching=trust.is_teaching,
                number_of_sites=trust.number_of_sites,
                travel_adjustment_minutes=float(trust.travel_adjustment_minutes),
                existing_buddies=frozenset(existing[trust.pk]),
                in_special_measures=trust.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES,
                relationships=tuple(relationships.get(trust.pk, ())),
            )
        )
    return result


def trusts_needing_support() -> list[Trust]:
    """Trusts with recorded needs, those in special measures first: the choices on matching pages."""
    return list(
        Trust.objects.filter(needs__isnull=False)
        .distinct()
        .order_by("-improvement_status", "name")
        .only("ods_code", "name", "improvement_status")
    )


def recent_runs(*, trust: Trust, limit: int = 10) -> list[MatchRun]:
    return list(MatchRun.objects.for_trust(trust).with_people().defer("results", "inputs")[:limit])


BAND_COLOURS = {
    "ideal": "#00703c",
    "far": "#f47738",
    "overnight": "#d4351c",
    "excluded": "#b1b4b6",
    "supported": "#1d70b8",
}
MARKER_LABELS = {
    **{band: label.lower() for band, label in engine.BAND_LABELS.items()},
    "excluded": "excluded",
    "supported": "the trust being supported",
}


def _marker(entry: dict, band: str, detail: str) -> dict:
    return {
        "ods_code": entry["ods_code"],
        "name": entry["name"],
        "lat": entry["latitude"],
        "lng": entry["longitude"],
        "status": detail or MARKER_LABELS[band],
        "colour": BAND_COLOURS[band],
        "url": Trust(ods_code=entry["ods_code"]).get_absolute_url(),
    }


def shortlist_markers(run: MatchRun) -> list[dict]:
    """Map markers for a recorded shortlist: the supported trust, candidates by travel band, the excluded in grey."""
    supported = run.supported
    markers = []
    if supported is not None and supported.has_location:
        markers.append(
            _marker(
                {
                    "ods_code": supported.ods_code,
                    "name": supported.name,
                    "latitude": supported.latitude,
                    "longitude": supported.longitude,
                },
                "supported",
                "",
            )
        )
    results = run.results or {}
    for entry in results.get("excluded", []):
        if entry["latitude"] is not None:
            markers.append(_marker(entry, "excluded", "Excluded: " + "; ".join(entry["reasons"])))
    for entry in results.get("ranked", []):
        markers.append(_marker(entry, entry["band"], f"Rank {entry['rank']}, {MARKER_LABELS[entry['band']]}"))
    return markers


def wave_map(run: MatchRun) -> tuple[list[dict], list[list[list[float]]]]:
    """Markers (trusts in blue, buddies in green) and trust-buddy lines for a finished wave allocation."""
    markers: dict[str, dict] = {}
    lines = []
    for allocation in (run.results or {}).get("allocations", []):
        if allocation["latitude"] is None:
            continue
        markers[allocation["ods_code"]] = _marker(allocation, "supported", "Supported trust")
        for member in allocation["members"]:
            if member["latitude"] is None:
                continue
            band = member.get("band", "ideal")  # runs recorded before bands were kept on members
            markers.setdefault(member["ods_code"], _marker(member, band, f"Buddy, {MARKER_LABELS[band]}"))
            lines.append([[allocation["latitude"], allocation["longitude"]], [member["latitude"], member["longitude"]]])
    return list(markers.values()), lines


@dataclass(frozen=True)
class PoolMember:
    application: PoolApplication
    strengths: dict[int, int]  # area pk -> offered strength
    spare_places: int
    spare_days: float

    @property
    def has_spare_capacity(self) -> bool:
        return self.spare_places > 0 and self.spare_days > 0


@dataclass(frozen=True)
class CoverageRow:
    area: ExpertiseArea
    members_strong: int  # accredited members covering it (settings.BUDDY_COVERS_AT_STRENGTH) with spare capacity
    trusts_in_need: int  # trusts with an improvement need in this area

    @property
    def is_gap(self) -> bool:
        return self.members_strong == 0

    @property
    def is_short(self) -> bool:
        return 0 < self.members_strong < self.trusts_in_need


def pool_members(
    *, framework: Framework, day: dt.date, region: str = "", area: ExpertiseArea | None = None, spare_only: bool = False
) -> list[PoolMember]:
    """Accredited members on `day` with their offered strengths and spare capacity, in a fixed number of queries."""
    applications = (
        PoolApplication.objects.accredited_on(day)
        .filter(framework=framework)
        .select_related("trust", "trust__buddy_capacity")
        .prefetch_related("offered")
        .order_by("trust__name")
    )
    if region:
        applications = applications.filter(trust__region=region)
    if area is not None:
        applications = applications.filter(offered__area=area).distinct()
    members = []
    for application in applications:
        capacity = getattr(application.trust, "buddy_capacity", None)
        places = application.max_concurrent_arrangements - (capacity.active_arrangements if capacity else 0)
        days = float(application.senior_staff_days_per_month) - (
            float(capacity.staff_days_committed) if capacity else 0.0
        )
        member = PoolMember(
            application=application,
            strengths={offer.area_id: offer.strength for offer in application.offered.all()},
            spare_places=max(0, places),
            spare_days=max(0.0, days),
        )
        if spare_only and not member.has_spare_capacity:
            continue
        members.append(member)
    return members


def pool_coverage(*, framework: Framework, members: list[PoolMember]) -> list[CoverageRow]:
    """Per lot: members strong in it with room to take on more, against the trusts that need it."""
    lots = list(framework.lots.order_by("name"))
    needs = dict(
        ImprovementNeed.objects.filter(area__in=lots)
        .values("area")
        .annotate(n=Count("trust", distinct=True))
        .values_list("area", "n")
    )
    return [
        CoverageRow(
            area=lot,
            members_strong=sum(
                1
                for m in members
                if m.strengths.get(lot.pk, 0) >= settings.BUDDY_COVERS_AT_STRENGTH and m.has_spare_capacity
            ),
            trusts_in_need=needs.get(lot.pk, 0),
        )
        for lot in lots
    ]


def values_statements(ods_codes: list[str]) -> dict[str, str]:
    """Each trust's values statement in its own words, by ODS code (one query).

    The engine scores cultural fit on the staff survey themes; the statements are free text for the
    regulator to read side by side, since the review found shared values matter more than structure.
    """
    return dict(
        CultureProfile.objects.filter(trust__ods_code__in=ods_codes)
        .exclude(values_statement="")
        .values_list("trust__ods_code", "values_statement")
    )


def worklist(user: User) -> list[WorkItem]:
    """Regulator staff: pool applications waiting for a decision."""
    if not is_regulator_or_admin(user):
        return []
    waiting = PoolApplication.objects.filter(status=PoolApplication.Status.SUBMITTED).count()
    return [WorkItem(title="Pool applications to decide", count=waiting, url=reverse("matching:framework-list"))]
