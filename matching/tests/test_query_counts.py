"""Matching's list pages run a fixed number of queries, the same for a small and a large registry or pool.

Every page, signed in, starts with the session and the user and reads the unread notification count
(arrangements.context_processors); the counts below are those plus the page's own reads.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from buddying.models import Trust
from buddying.services import relationship_create
from buddying.tests.factories import ExpertiseAreaFactory, ImprovementNeedFactory, TrustExpertiseFactory, TrustFactory
from matching import services
from matching.tests.factories import BuddyCapacityFactory

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 40

# Session, user and notification count (3), plus the page's own reads:
INDEX_QUERIES = 4  # the trusts with needs
WAVE_QUERIES = 5  # the trusts with needs (the form's choices), the live frameworks (its framework choices)
FRAMEWORK_LIST_QUERIES = 5  # the frameworks, and their lots in one prefetch
EXECUTIVE_EXTRA = 1  # an executive's page reads their trust too (the header names it)
# The framework; members, their offers; the lots; needs per lot (one aggregate); the filter's areas; the latest
# readiness run (with who ran it); members' known relationships.
POOL_QUERIES = 11


@pytest.fixture
def signed_in(client, regulator):
    client.force_login(regulator)
    return client


def trusts_in_need(count: int, area) -> None:
    """`count` trusts with a need each, a third in special measures and a third in recovery."""
    for n in range(count):
        status = [Trust.ImprovementStatus.SPECIAL_MEASURES, Trust.ImprovementStatus.RECOVERY, "none"][n % 3]
        trust = TrustFactory(
            improvement_status=status, improvement_status_since=None if status == "none" else dt.date(2025, 1, 1)
        )
        ImprovementNeedFactory(trust=trust, area=area)


@pytest.mark.parametrize("trusts", [SMALL, LARGE])
def test_the_matching_index_runs_the_same_queries_whatever_the_number_of_trusts_in_need(
    signed_in, django_assert_num_queries, trusts
):
    trusts_in_need(trusts, ExpertiseAreaFactory(slug="finance", name="Finance"))
    with django_assert_num_queries(INDEX_QUERIES):
        response = signed_in.get(reverse("matching:index"))
    assert len(response.context["trusts"]) == trusts


@pytest.mark.parametrize("trusts", [SMALL, LARGE])
def test_the_wave_form_runs_the_same_queries_whatever_the_number_of_trusts_in_need(
    signed_in, django_assert_num_queries, trusts
):
    trusts_in_need(trusts, ExpertiseAreaFactory(slug="finance", name="Finance"))
    with django_assert_num_queries(WAVE_QUERIES):
        response = signed_in.get(reverse("matching:wave"))
    assert len(response.context["form"].fields["trusts"].choices) == trusts


def frameworks(count: int, regulator) -> None:
    areas = [ExpertiseAreaFactory(slug=f"lot-{n}", name=f"Lot {n}") for n in range(3)]
    for n in range(count):
        framework = services.framework_create(
            by=regulator,
            name=f"Framework {n:02d}",
            term_start=dt.date(2026, 1, 1),
            term_end=dt.date(2029, 12, 31),
            lots=areas[: 1 + n % 3],
            fees={"light-touch": 0, "superbuddy": Decimal(250_000)},
        )
        if n % 2:
            services.framework_advance(framework=framework, by=regulator)


@pytest.mark.parametrize("count", [SMALL, LARGE])
@pytest.mark.parametrize("who", ["regulator", "executive"])
def test_the_framework_list_runs_the_same_queries_whatever_the_number_of_frameworks(
    client, persona, regulator, django_assert_num_queries, count, who
):
    frameworks(count, regulator)
    client.force_login(persona[who])
    with django_assert_num_queries(FRAMEWORK_LIST_QUERIES + (EXECUTIVE_EXTRA if who == "executive" else 0)):
        response = client.get(reverse("matching:framework-list"))
    # Executives do not see drafts: every other framework is still a draft.
    assert len(response.context["frameworks"]) == (count if who == "regulator" else count // 2)


def pool_of(size: int, regulator):
    """A live framework with two lots and `size` accredited members, each offering both, and trusts in need."""
    finance = ExpertiseAreaFactory(slug="finance", name="Finance")
    maternity = ExpertiseAreaFactory(slug="maternity", name="Maternity")
    framework = services.framework_create(
        by=regulator,
        name="Superbuddy framework",
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 12, 31),
        lots=[finance, maternity],
        fees={},
    )
    framework = services.framework_advance(framework=framework, by=regulator)
    previous = None
    for n in range(size):
        trust = TrustFactory(latitude=None if n == 0 else 51 + n / 50, longitude=None if n == 0 else -1.0)
        BuddyCapacityFactory(trust=trust, active_arrangements=n % 3)
        TrustExpertiseFactory(trust=trust, area=finance, strength=5)
        application = services.pool_application_submit(
            framework=framework,
            trust=trust,
            by=regulator,
            route="nominated",
            max_concurrent_arrangements=2,
            senior_staff_days_per_month=Decimal(8),
            max_travel_minutes=180,
            incentive="no-fee",
            services=[],
            offered=[(finance, 5, "Surplus for five years"), (maternity, 3, "Good maternity outcomes")],
        )
        services.pool_application_accredit(application=application, by=regulator, until=dt.date(2029, 1, 1))
        # Each member has a known relationship with the one before it: the page lists them in one query.
        if previous is not None:
            relationship_create(by=regulator, trust=trust, other=previous, kind="shared-network")
        previous = trust
    trusts_in_need(size, finance)
    while framework.status != "live":
        framework = services.framework_advance(framework=framework, by=regulator)
    return framework


@pytest.mark.parametrize("size", [SMALL, LARGE])
@pytest.mark.parametrize("query", [{}, {"region": "london", "spare_only": "on"}])
def test_the_pool_page_runs_the_same_queries_whatever_the_pool_size(
    signed_in, regulator, django_assert_num_queries, size, query
):
    framework = pool_of(size, regulator)
    with django_assert_num_queries(POOL_QUERIES):
        response = signed_in.get(reverse("matching:pool", args=[framework.pk]), query)
    assert response.status_code == 200
    members = response.context["members"]
    assert len(members) == (size if not query else sum(1 for n in range(size) if n % 3 < 2))
    if not query:
        assert len(response.context["relationships"]) == 2 * (size - 1)


@pytest.mark.parametrize("size", [SMALL, LARGE])
def test_the_pool_page_filtered_by_area_runs_the_same_queries_whatever_the_pool_size(
    signed_in, regulator, django_assert_num_queries, size
):
    framework = pool_of(size, regulator)
    maternity = framework.lots.get(slug="maternity")
    # One more than unfiltered: the form looks the chosen area up to validate it.
    with django_assert_num_queries(POOL_QUERIES + 1):
        response = signed_in.get(reverse("matching:pool", args=[framework.pk]), {"area": maternity.pk})
    assert len(response.context["members"]) == size
