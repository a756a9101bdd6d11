"""The directory and the map run a fixed number of queries, whatever the page size and the registry size.

The directory, for a signed-in user: the session, the user, the result count, the unread notification
count (arrangements.context_processors), the filter form's two select lists (expertise areas,
services) and the page's rows. A chosen service adds one: the filter looks the service up to validate it.
The map: the same, but the markers query in place of the count and the rows.
"""

import pytest
from django.urls import reverse

from buddying.models import Trust
from buddying.tests.factories import IntegratedCareSystemFactory, ServiceLineFactory, TrustFactory

pytestmark = pytest.mark.django_db

DIRECTORY_QUERIES = 7
MAP_QUERIES = 6


def make_trusts(count: int) -> None:
    """Trusts that touch every column the directory shows: an ICS, a status, a service each."""
    ics = IntegratedCareSystemFactory()
    service = ServiceLineFactory(slug="maternity", name="Maternity")
    statuses = [
        Trust.ImprovementStatus.NONE,
        Trust.ImprovementStatus.RECOVERY,
        Trust.ImprovementStatus.SPECIAL_MEASURES,
    ]
    for n in range(count):
        status = statuses[n % 3]
        trust = TrustFactory(
            ics=ics if n % 2 else None,
            improvement_status=status,
            improvement_status_since=None if status == Trust.ImprovementStatus.NONE else "2025-01-01",
        )
        trust.services.add(service)


@pytest.fixture
def signed_in(client, regulator):
    client.force_login(regulator)
    return client


@pytest.mark.parametrize("trusts", [5, 120])
@pytest.mark.parametrize("per_page", [25, 50, 100])
def test_the_directory_runs_the_same_queries_at_every_page_size_and_registry_size(
    signed_in, django_assert_num_queries, trusts, per_page
):
    make_trusts(trusts)
    with django_assert_num_queries(DIRECTORY_QUERIES):
        response = signed_in.get(reverse("trust-directory"), {"per_page": per_page})
    assert len(response.context["page"].object_list) == min(trusts, per_page)


@pytest.mark.parametrize("trusts", [5, 120])
def test_a_filtered_later_page_of_the_directory_runs_the_same_queries(signed_in, django_assert_num_queries, trusts):
    make_trusts(trusts)
    service = ServiceLineFactory(slug="maternity")
    with django_assert_num_queries(DIRECTORY_QUERIES + 1):
        signed_in.get(reverse("trust-directory"), {"service": service.pk, "cqc_rating": "good", "page": 2})


@pytest.mark.parametrize("trusts", [5, 120])
def test_the_map_runs_the_same_queries_whatever_the_registry_size(signed_in, django_assert_num_queries, trusts):
    make_trusts(trusts)
    with django_assert_num_queries(MAP_QUERIES):
        response = signed_in.get(reverse("trust-map"))
    assert len(response.context["markers"]) == trusts
