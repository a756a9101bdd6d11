"""The superbuddy framework the pool and call-off journeys start from, built through the pool's own services."""

import datetime as dt
from decimal import Decimal

from buddying.models import Trust, User
from matching import services as pool
from matching.models import Framework


def open_framework(*, areas: dict, by: User) -> Framework:
    """Superbuddy framework 2027, pricing finance and maternity lots, open for applications."""
    framework = pool.framework_create(
        by=by,
        name="Superbuddy framework 2027",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[areas["finance"], areas["maternity"]],
        fees={"superbuddy": Decimal(250_000)},
    )
    return pool.framework_advance(framework=framework, by=by)


def make_live_with_finance_members(
    framework: Framework, members: list[Trust], *, areas: dict, by: User, max_travel_minutes: int
) -> Framework:
    """Each member accredited offering finance only (strength 4, two places, six senior staff days a month), then
    the framework taken through to live."""
    for trust in members:
        application = pool.pool_application_submit(
            framework=framework,
            trust=trust,
            by=by,
            route="nominated",
            max_concurrent_arrangements=2,
            senior_staff_days_per_month=Decimal(6),
            max_travel_minutes=max_travel_minutes,
            incentive="no-fee",
            services=[],
            offered=[(areas["finance"], 4, "Strong finance")],
        )
        pool.pool_application_accredit(application=application, by=by, until=dt.date(2028, 12, 31))
    pool.framework_advance(framework=framework, by=by)
    return pool.framework_advance(framework=framework, by=by)
