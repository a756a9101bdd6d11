"""A live pool for readiness tests (service, view and browser): one member, trusts at risk, strong outsiders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from buddying.models import Region, Trust
from buddying.tests.factories import ImprovementNeedFactory, TrustExpertiseFactory, TrustFactory
from matching.services import framework_advance, framework_create, pool_application_accredit, pool_application_submit


def readiness_pool(registry, areas, regulator):
    """Oxford accredited (finance 5, one place); three London trusts at risk needing finance or maternity;
    Southampton (maternity 5) and Newcastle (finance 5, too far) strong and outside the pool."""
    framework = framework_create(
        by=regulator,
        name="Superbuddy framework 2027",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[areas["finance"], areas["maternity"]],
        fees={},
    )
    framework = framework_advance(framework=framework, by=regulator)
    oxford = registry["oxford"]
    oxford.buddy_capacity.max_concurrent_arrangements = 1
    oxford.buddy_capacity.save()
    application = pool_application_submit(
        framework=framework,
        trust=oxford,
        by=regulator,
        route="nominated",
        max_concurrent_arrangements=1,
        senior_staff_days_per_month=Decimal(6),
        max_travel_minutes=240,
        incentive="no-fee",
        services=[],
        offered=[(areas["finance"], 5, "Strong finance")],
    )
    pool_application_accredit(application=application, by=regulator, until=dt.date(2029, 1, 1))
    while framework.status != "live":
        framework = framework_advance(framework=framework, by=regulator)
    for n, area in enumerate(["finance", "maternity", "maternity"]):
        trust = TrustFactory(
            ods_code=f"RK{n}", name=f"At Risk {n} NHS Trust", oversight_segment=3, latitude=51.5 + n / 100
        )
        ImprovementNeedFactory(trust=trust, area=areas[area], priority=3)
    for key in ("southampton", "newcastle"):
        registry[key].oversight_segment = 1
        registry[key].cqc_rating = Trust.CqcRating.OUTSTANDING
        registry[key].region = Region.SOUTH_EAST if key == "southampton" else Region.NORTH_EAST_YORKSHIRE
        registry[key].save()
    TrustExpertiseFactory(trust=registry["newcastle"], area=areas["maternity"], strength=5)
    return framework
