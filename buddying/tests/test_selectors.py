"""Reads of the trust registry: what a profile lacks for matching."""

import pytest

from buddying.selectors import trust_for_profile, trust_profile_completeness, trust_profile_gaps
from buddying.tests.factories import CultureProfileFactory, TrustExpertiseFactory, TrustFactory

pytestmark = pytest.mark.django_db


def test_a_full_profile_has_no_gaps():
    trust = TrustFactory()
    TrustExpertiseFactory(trust=trust)
    CultureProfileFactory(trust=trust)
    assert trust_profile_gaps(trust) == []
    assert trust_profile_completeness(trust).complete == 5


def test_an_imported_trust_lacks_type_expertise_culture_and_region_but_not_a_rating():
    trust = TrustFactory(trust_type="", region="", cqc_rating="not-rated")
    assert trust_profile_gaps(trust) == ["type", "expertise", "staff survey profile", "region"]


def test_a_trust_with_no_location_lacks_one():
    trust = TrustFactory(latitude=None, longitude=None, postcode="")
    assert trust_profile_gaps(trust)[0] == "location"


def test_gaps_of_a_profile_page_trust_need_no_more_queries(django_assert_num_queries):
    trust = TrustFactory(region="")
    TrustExpertiseFactory(trust=trust)
    loaded = trust_for_profile(ods_code=trust.ods_code, include_private=True)
    with django_assert_num_queries(0):
        assert trust_profile_gaps(loaded) == ["staff survey profile", "region"]
