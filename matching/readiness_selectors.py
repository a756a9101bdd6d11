"""Reads for pool readiness and recruitment: the trusts at risk, needs from past arrangements, strong trusts outside
the pool, and the latest runs and invitations (each in a fixed number of queries)."""

from __future__ import annotations

from collections.abc import Sequence

from django.apps import apps
from django.conf import settings
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from buddying.models import Trust, TrustExpertise, User
from buddying.worklist import WorkItem
from matching.engine import Need
from matching.engine.readiness import AtRiskTrust
from matching.models import Framework, MatchRun, RecruitmentInvitation
from matching.selectors import pool_member_ids, supported_trusts

# Oversight segment 3 (significant support needs) and above, or in recovery: the trusts that could be next to enter
# special measures. Those already in special measures are in it, so they are not drawn again.
AT_RISK_SEGMENT = 3
# Past arrangements give no priority per area: a drawn need counts as medium priority.
DRAWN_NEED_PRIORITY = 2
# The strong trusts outside the pool whose marginal gain a recruitment run computes (each is a full re-run).
RECRUITMENT_CANDIDATES = 8


def at_risk_queryset() -> QuerySet[Trust]:
    return (
        Trust.objects.open()
        .filter(Q(oversight_segment__gte=AT_RISK_SEGMENT) | Q(improvement_status=Trust.ImprovementStatus.RECOVERY))
        .exclude(improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES)
        .order_by("ods_code")
    )


def at_risk_trusts(codes: list[str] | None = None) -> list[AtRiskTrust]:
    """The engine's view of the trusts at risk (or of `codes`, as recorded in a run), with their regions."""
    if codes is None:
        codes = list(at_risk_queryset().values_list("ods_code", flat=True))
    regions = dict(Trust.objects.filter(ods_code__in=codes).values_list("ods_code", "region"))
    return [AtRiskTrust(trust=trust, region=regions.get(trust.ods_code, "")) for trust in supported_trusts(codes)]


def need_library() -> list[tuple[Need, ...]]:
    """Need sets from past arrangements (their workstream and issue-specific areas), asked of the arrangements app
    through its AppConfig so that matching never imports it."""
    library: list[tuple[Need, ...]] = []
    for config in apps.get_app_configs():
        reader = getattr(config, "past_need_areas", None)
        if reader is not None:
            library.extend(
                tuple(Need(area=slug, priority=DRAWN_NEED_PRIORITY) for slug in slugs) for slugs in reader() if slugs
            )
    return library


def recruitment_candidates(
    *, framework: Framework, areas: list[str], regions: Sequence[str] = (), limit: int = RECRUITMENT_CANDIDATES
) -> list[str]:
    """ODS codes of strong trusts outside the pool, strong in the `areas` where the pool runs out first: open, not
    in any live pool nor applying to this framework, not receiving support, oversight segment 1-2, CQC good or
    outstanding. Taken in turn from each area (in the order given), strongest first; among equally strong trusts,
    those in the `regions` where the pool runs out first (in that order) come first, as a buddy must be within the
    travel band of the trusts it would serve; then ODS code. At most `limit`."""
    members = pool_member_ids(day=timezone.localdate())
    applying = framework.applications.filter(status="submitted").values_list("trust_id", flat=True)
    strong = (
        Trust.objects.open()
        .filter(
            improvement_status=Trust.ImprovementStatus.NONE,
            oversight_segment__in=[1, 2],
            cqc_rating__in=[Trust.CqcRating.GOOD, Trust.CqcRating.OUTSTANDING],
        )
        .exclude(pk__in=members)
        .exclude(pk__in=applying)
    )
    region_rank = {region: rank for rank, region in enumerate(regions)}
    by_area: dict[str, list[tuple[int, int, str]]] = {area: [] for area in areas}
    for code, slug, strength, region in TrustExpertise.objects.filter(
        trust__in=strong, area__slug__in=areas, strength__gte=settings.BUDDY_COVERS_AT_STRENGTH
    ).values_list("trust__ods_code", "area__slug", "strength", "trust__region"):
        by_area[slug].append((-strength, region_rank.get(region, len(region_rank)), code))
    # Round robin over the areas in the order they run out, the strongest in each first: every short area gets its
    # candidates, the one that runs out first before the rest.
    queues = [sorted(found) for found in by_area.values()]
    chosen: list[str] = []
    while len(chosen) < limit and any(queues):
        for queue in queues:
            while queue:
                *_order, code = queue.pop(0)
                if code not in chosen:
                    chosen.append(code)
                    break
            if len(chosen) == limit:
                break
    return chosen


def latest_readiness(*, framework: Framework | None = None) -> MatchRun | None:
    """The latest finished readiness run (of `framework`'s pool, if given): the pool page and dashboard show it."""
    runs = MatchRun.objects.filter(kind=MatchRun.Kind.READINESS, status=MatchRun.Status.DONE).select_related(
        "created_by"
    )
    if framework is not None:
        runs = runs.filter(settings__framework=framework.pk)
    return runs.first()


def invitations_for(*, run: MatchRun) -> dict[str, RecruitmentInvitation]:
    """The latest invitation to the run's framework of each trust, by ODS code (one query)."""
    found: dict[str, RecruitmentInvitation] = {}
    for invitation in RecruitmentInvitation.objects.filter(framework_id=run.settings["framework"]).select_related(
        "trust"
    ):
        found.setdefault(invitation.trust.ods_code, invitation)
    return found


def worklist(user: User) -> list[WorkItem]:
    """An executive: invitations to apply to the pool that their trust has still to answer (the oldest first)."""
    if not (user.is_authenticated and user.is_trust_executive and user.trust_id is not None):
        return []
    waiting = list(
        RecruitmentInvitation.objects.filter(trust_id=user.trust_id, status=RecruitmentInvitation.Status.SENT)
        .order_by("sent_at", "pk")
        .values_list("pk", flat=True)
    )
    if not waiting:
        return []
    return [
        WorkItem(
            title="Invitations to apply to the superbuddy pool",
            count=len(waiting),
            url=reverse("matching:recruitment-invitation", kwargs={"pk": waiting[0]}),
            detail="Accept and apply, or decline with a reason",
        )
    ]
