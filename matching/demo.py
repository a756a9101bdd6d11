"""Demo buddy capacities, pool membership and vetoes, added to the fictional demo registry."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from buddying.models import ExpertiseArea, Trust, User
from matching.models import (
    BuddyCapacity,
    FeeScale,
    Framework,
    OfferedExpertise,
    PoolApplication,
    PoolDecision,
    SoundingIncentive,
    Veto,
)
from matching.services.soundings import sounding_open, strong_trusts


def demo_matching_create(*, seed: int) -> None:
    """Strong trusts declare capacity and some join the framework pool; a few trusts veto a past poor fit."""
    rng = random.Random(seed + 1)
    trusts = list(Trust.objects.order_by("ods_code"))
    capacities = []
    for trust in trusts:
        strong = trust.cqc_rating in {Trust.CqcRating.OUTSTANDING, Trust.CqcRating.GOOD} and not trust.is_challenged
        places = rng.choice([1, 2, 2, 3]) if strong else rng.choice([0, 1])
        days = Decimal(rng.choice([4, 6, 8, 10, 12])) if strong else Decimal(rng.choice([0, 2, 4]))
        busy = strong and rng.random() < 0.2
        capacities.append(
            BuddyCapacity(
                trust=trust,
                max_concurrent_arrangements=places,
                senior_staff_days_per_month=days,
                active_arrangements=min(places, 1) if busy else 0,
                staff_days_committed=min(days, Decimal(4)) if busy else Decimal(0),
                is_potential_acquirer=strong and rng.random() < 0.06,
            )
        )
    BuddyCapacity.objects.bulk_create(capacities)
    strong_capacities = [
        capacity
        for capacity in capacities
        if capacity.trust.cqc_rating in {Trust.CqcRating.OUTSTANDING, Trust.CqcRating.GOOD}
        and not capacity.trust.is_challenged
    ]
    framework = _demo_framework(rng, strong_capacities)
    _demo_sounding(rng)
    challenged = [trust for trust in trusts if trust.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES]
    strong_trusts = [trust for trust in trusts if trust.cqc_rating == Trust.CqcRating.OUTSTANDING]
    for supported in challenged[:3]:
        Veto.objects.create(
            supported=supported,
            vetoed=rng.choice(strong_trusts),
            reason="An earlier informal partnership did not work: very different cultures.",
        )
    _demo_readiness(framework, seed=seed)


def _demo_readiness(framework: Framework, *, seed: int) -> None:
    """A small readiness run and its recruitment run, so the pool page, the dashboard and the crawl show them."""
    from matching.engine import EngineInputError
    from matching.services import readiness

    try:
        run = readiness.readiness_run_create(
            framework=framework, by=None, draws=10, seed=seed, source="command", run_now=True
        )
        if run.status == run.Status.DONE:
            readiness.recruitment_run_create(readiness=run, by=None, run_now=True)
    except EngineInputError:  # a registry with no trust at risk, or no strong trust outside the pool
        pass


def _demo_framework(rng: random.Random, capacities: list[BuddyCapacity]) -> Framework:
    """A live superbuddy framework with about half of the strong trusts accredited, and a few applications waiting."""
    today = timezone.localdate()
    framework = Framework.objects.create(
        name="Superbuddy framework 2026 to 2029",
        term_start=today - dt.timedelta(days=120),
        term_end=today + dt.timedelta(days=3 * 365),
        status=Framework.Status.LIVE,
    )
    framework.lots.set(ExpertiseArea.objects.all())
    FeeScale.objects.bulk_create(
        FeeScale(framework=framework, tier=tier, annual_fee=Decimal(fee))
        for tier, fee in (("light-touch", 0), ("targeted", 40_000), ("intensive", 120_000), ("superbuddy", 300_000))
    )
    for capacity in capacities:
        roll = rng.random()
        if roll > 0.55:
            continue
        trust = capacity.trust
        application = PoolApplication.objects.create(
            framework=framework,
            trust=trust,
            route=rng.choice(["applied", "applied", "nominated"]),
            status="accredited" if roll < 0.45 else "submitted",
            max_concurrent_arrangements=capacity.max_concurrent_arrangements,
            senior_staff_days_per_month=capacity.senior_staff_days_per_month,
            max_travel_minutes=rng.choice([120, 150, 180, 240]),
            incentive="open-to-acquisition"
            if capacity.is_potential_acquirer
            else rng.choice(["no-fee", "no-fee", "needs-fee"]),
            accredited_on=today - dt.timedelta(days=90) if roll < 0.45 else None,
            accredited_until=today + dt.timedelta(days=rng.randint(300, 1000)) if roll < 0.45 else None,
        )
        application.services.set(trust.services.all())
        OfferedExpertise.objects.bulk_create(
            OfferedExpertise(application=application, area=entry.area, strength=entry.strength, evidence=entry.evidence)
            for entry in trust.expertise.all()
        )
        PoolDecision.objects.create(application=application, action="submitted")
        if roll < 0.45:
            PoolDecision.objects.create(application=application, action="accredited", reason="Strong evidence")
    return framework


def _demo_sounding(rng: random.Random) -> None:
    """The next framework, still a draft, with a sounding open: the strong trusts of two regions asked, a few have
    answered (yes with a fee, maybe with first refusal on an acquisition, no), the rest have still to."""
    regulator = User.objects.filter(role=User.Role.REGULATOR).order_by("pk").first()
    if regulator is None:
        return
    today = timezone.localdate()
    framework = Framework.objects.create(
        name="Superbuddy framework 2029 to 2032",
        term_start=today + dt.timedelta(days=3 * 365 + 1),
        term_end=today + dt.timedelta(days=6 * 365),
        created_by=regulator,
    )
    framework.lots.set(ExpertiseArea.objects.all())
    FeeScale.objects.bulk_create(
        FeeScale(framework=framework, tier=tier, annual_fee=Decimal(fee))
        for tier, fee in (("light-touch", 0), ("targeted", 45_000), ("intensive", 130_000), ("superbuddy", 320_000))
    )
    asked = [trust for trust in strong_trusts() if trust.region in {"london", "south-east", "midlands"}]
    sounding = sounding_open(
        framework=framework,
        by=regulator,
        title="Would your trust be a superbuddy from 2029?",
        message="We would like to know, before we procure the next framework, what it would take.",
        reply_by=today + dt.timedelta(days=21),
        trusts=asked,
    )
    areas = list(framework.lots.all())
    answers = [
        ("yes", SoundingIncentive.FEE, Decimal(280_000), "We would need to backfill two executive posts."),
        ("yes", SoundingIncentive.NONE, None, "We are all part of the NHS."),
        ("maybe", SoundingIncentive.ACQUISITION_FIRST_REFUSAL, None, "Only with a route to a merger."),
        ("maybe", SoundingIncentive.FEE, Decimal(350_000), "Our board would need the full cost covered."),
        ("maybe", SoundingIncentive.CHAIN_FIRST_REFUSAL, None, "We are building a group model."),
        ("no", "", None, "Our own recovery plan comes first this year."),
    ]
    now = timezone.now()
    responses = list(sounding.responses.select_related("trust").order_by("trust__ods_code"))
    for response, (willingness, incentive, fee, reason) in zip(responses, answers, strict=False):
        offering = willingness != "no"
        response.willingness, response.incentive, response.fee_amount = willingness, incentive, fee
        response.max_concurrent_arrangements = rng.choice([1, 2, 2, 3]) if offering else None
        response.reason, response.answered_at = reason, now
        response.save()
        if offering:
            response.areas.set(rng.sample(areas, k=min(2, len(areas))))
