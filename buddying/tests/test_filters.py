"""The trust directory's filters (buddying.filters.TrustFilter) and its pagination, through /trusts/."""

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from buddying.models import Trust
from buddying.tests.factories import ExpertiseAreaFactory, ServiceLineFactory, TrustExpertiseFactory, TrustFactory
from buddying.tests.test_import_trusts import REAL_TRUSTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, regulator):
    client.force_login(regulator)
    return client


def listed(client, **params) -> tuple[list[str], int]:
    """The ODS codes on the directory page for these query parameters, and the result count it shows."""
    response = client.get(reverse("trust-directory"), params)
    assert response.status_code == 200
    page = response.context["page"]
    return [trust.ods_code for trust in page.object_list], page.paginator.count


def test_the_type_filter_lists_only_trusts_of_that_type(signed_in):
    TrustFactory(ods_code="RT1", trust_type=Trust.TrustType.MENTAL_HEALTH)
    TrustFactory(ods_code="RT2", trust_type=Trust.TrustType.AMBULANCE)
    TrustFactory(ods_code="RT3", trust_type=Trust.TrustType.ACUTE_DISTRICT_GENERAL)
    codes, count = listed(signed_in, trust_type="mental-health")
    assert (sorted(codes), count) == (["RT1"], 1)


def test_ticking_two_types_lists_trusts_of_either(signed_in):
    TrustFactory(ods_code="RT1", trust_type=Trust.TrustType.MENTAL_HEALTH)
    TrustFactory(ods_code="RT2", trust_type=Trust.TrustType.AMBULANCE)
    TrustFactory(ods_code="RT3", trust_type=Trust.TrustType.ACUTE_DISTRICT_GENERAL)
    codes, count = listed(signed_in, trust_type=["mental-health", "ambulance"])
    assert (sorted(codes), count) == (["RT1", "RT2"], 2)


def test_the_cqc_rating_filter_lists_only_trusts_with_that_rating(signed_in):
    TrustFactory(ods_code="RC1", cqc_rating=Trust.CqcRating.OUTSTANDING)
    TrustFactory(ods_code="RC2", cqc_rating=Trust.CqcRating.INADEQUATE)
    TrustFactory(ods_code="RC3", cqc_rating=Trust.CqcRating.GOOD)
    TrustFactory(ods_code="RC4", cqc_rating=Trust.CqcRating.INADEQUATE)
    codes, count = listed(signed_in, cqc_rating="inadequate")
    assert (sorted(codes), count) == (["RC2", "RC4"], 2)


def test_the_oversight_segment_filter_lists_only_trusts_in_that_segment(signed_in):
    for code, segment in (("RS1", 1), ("RS2", 2), ("RS3", 3), ("RS4", 4), ("RS5", None), ("RS6", 4)):
        TrustFactory(ods_code=code, oversight_segment=segment)
    assert listed(signed_in, oversight_segment="4") == (["RS4", "RS6"], 2)
    codes, count = listed(signed_in, oversight_segment=["1", "3"])
    assert (sorted(codes), count) == (["RS1", "RS3"], 2)


def test_a_trust_with_no_segment_recorded_is_not_listed_under_any_segment(signed_in):
    TrustFactory(ods_code="RS5", oversight_segment=None)
    assert listed(signed_in, oversight_segment=["1", "2", "3", "4"]) == ([], 0)


def test_the_service_filter_lists_only_trusts_that_run_the_service_once_each(signed_in):
    maternity = ServiceLineFactory(slug="maternity", name="Maternity")
    paediatrics = ServiceLineFactory(slug="paediatrics", name="Paediatrics")
    runs_both = TrustFactory(ods_code="RV1")
    runs_both.services.add(maternity, paediatrics)
    TrustFactory(ods_code="RV2").services.add(paediatrics)
    TrustFactory(ods_code="RV3")
    assert listed(signed_in, service=maternity.pk) == (["RV1"], 1)
    codes, count = listed(signed_in, service=paediatrics.pk)
    assert (sorted(codes), count) == (["RV1", "RV2"], 2)


def test_filters_combine_so_a_trust_must_match_every_one(signed_in):
    maternity = ServiceLineFactory(slug="maternity", name="Maternity")
    TrustFactory(ods_code="RM1", cqc_rating=Trust.CqcRating.INADEQUATE, oversight_segment=4).services.add(maternity)
    TrustFactory(ods_code="RM2", cqc_rating=Trust.CqcRating.INADEQUATE, oversight_segment=3).services.add(maternity)
    TrustFactory(ods_code="RM3", cqc_rating=Trust.CqcRating.GOOD, oversight_segment=4).services.add(maternity)
    TrustFactory(ods_code="RM4", cqc_rating=Trust.CqcRating.INADEQUATE, oversight_segment=4)
    params = {"cqc_rating": "inadequate", "oversight_segment": "4", "service": maternity.pk}
    assert listed(signed_in, **params) == (["RM1"], 1)


def test_an_unknown_choice_is_a_field_error_and_the_other_filters_still_apply(signed_in):
    TrustFactory(ods_code="RT1", cqc_rating=Trust.CqcRating.GOOD)
    TrustFactory(ods_code="RT2", cqc_rating=Trust.CqcRating.INADEQUATE)
    response = signed_in.get(reverse("trust-directory"), {"trust_type": "no-such-type", "cqc_rating": "inadequate"})
    assert response.status_code == 200
    assert "trust_type" in response.context["filter"].errors
    assert [trust.ods_code for trust in response.context["page"].object_list] == ["RT2"]


@pytest.fixture
def thirty_trusts(db):
    # Zero-padded names, so the database's collation and Python agree on the order.
    return [TrustFactory(name=f"Hospital {n:03d} NHS Trust") for n in range(30)]


def test_page_two_shows_the_next_rows_and_the_count_stays_the_total(signed_in, thirty_trusts):
    by_name = [trust.ods_code for trust in thirty_trusts]
    first, first_count = listed(signed_in)
    second, second_count = listed(signed_in, page=2)
    assert first == by_name[:25]
    assert second == by_name[25:]
    assert first_count == second_count == 30
    assert "30 trusts found" in signed_in.get(reverse("trust-directory"), {"page": 2}).content.decode()


def test_page_two_of_a_filtered_directory_pages_through_the_filtered_trusts_only(signed_in, thirty_trusts):
    inadequate = [trust for n, trust in enumerate(thirty_trusts) if n not in {3, 17}]  # 28 of them
    Trust.objects.filter(pk__in=[t.pk for t in inadequate]).update(cqc_rating=Trust.CqcRating.INADEQUATE)
    expected = [trust.ods_code for trust in inadequate]
    first, first_count = listed(signed_in, cqc_rating="inadequate")
    second, second_count = listed(signed_in, cqc_rating="inadequate", page=2)
    assert (first, second) == (expected[:25], expected[25:])
    assert first_count == second_count == 28


def test_a_larger_page_size_shows_every_row_on_one_page(signed_in, thirty_trusts):
    codes, count = listed(signed_in, per_page=50)
    assert (codes, count) == ([trust.ods_code for trust in thirty_trusts], 30)


def test_an_unoffered_page_size_falls_back_to_25(signed_in, thirty_trusts):
    response = signed_in.get(reverse("trust-directory"), {"per_page": 10})
    assert response.context["page_size"] == 25
    assert len(response.context["page"].object_list) == 25


def test_the_page_links_keep_the_filters(signed_in, thirty_trusts):
    page = signed_in.get(reverse("trust-directory"), {"cqc_rating": "good"}).content.decode()
    assert "?cqc_rating=good&amp;page=2" in page


def test_a_page_past_the_end_shows_the_last_page(signed_in, thirty_trusts):
    codes, count = listed(signed_in, page=9)
    assert (codes, count) == ([trust.ods_code for trust in thirty_trusts[25:]], 30)


def test_the_type_not_known_filter_lists_the_imported_trusts(signed_in):
    call_command("import_trusts", str(REAL_TRUSTS), stdout=io.StringIO())
    TrustFactory(ods_code="TAA", trust_type=Trust.TrustType.MENTAL_HEALTH)
    codes, count = listed(signed_in, trust_type="not-known", per_page=100)
    assert count == 252
    assert "TAA" not in codes
    page = signed_in.get(reverse("trust-directory"), {"trust_type": "not-known"}).content.decode()
    assert "Not known" in page


def test_not_known_combines_with_a_type(signed_in):
    TrustFactory(ods_code="RT1", trust_type="")
    TrustFactory(ods_code="RT2", trust_type=Trust.TrustType.AMBULANCE)
    TrustFactory(ods_code="RT3", trust_type=Trust.TrustType.SPECIALIST)
    codes, count = listed(signed_in, trust_type=["not-known", "ambulance"])
    assert (sorted(codes), count) == (["RT1", "RT2"], 2)


@time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False)
def test_closed_trusts_are_hidden_unless_asked_for(signed_in):
    TrustFactory(ods_code="RO1", name="Open NHS Trust")
    TrustFactory(ods_code="RO2", name="Closing NHS Trust", closed_on=dt.date(2026, 5, 2))
    TrustFactory(ods_code="RO3", name="Merged NHS Trust", closed_on=dt.date(2024, 3, 31))
    assert listed(signed_in) == (["RO2", "RO1"], 2)
    assert listed(signed_in, show_closed="on") == (["RO2", "RO3", "RO1"], 3)
    page = signed_in.get(reverse("trust-directory"), {"show_closed": "on"}).content.decode()
    assert "Closed on 31 March 2024" in page
    assert "Closes on" in page
    response = signed_in.get(reverse("trust-map"))
    assert sorted(marker["ods_code"] for marker in response.context["markers"]) == ["RO1", "RO2"]


def test_segment_5_can_be_chosen(signed_in):
    TrustFactory(ods_code="RS5", oversight_segment=5)
    TrustFactory(ods_code="RS4", oversight_segment=4)
    assert listed(signed_in, oversight_segment="5") == (["RS5"], 1)


def test_the_covers_filter_honours_the_strength_setting(signed_in, settings):
    finance = ExpertiseAreaFactory(slug="finance", name="Finance")
    TrustExpertiseFactory(trust=TrustFactory(ods_code="RE3"), area=finance, strength=3)
    TrustExpertiseFactory(trust=TrustFactory(ods_code="RE4"), area=finance, strength=4)
    TrustExpertiseFactory(trust=TrustFactory(ods_code="RE2"), area=finance, strength=2)
    codes, _count = listed(signed_in, expertise=finance.pk)
    assert sorted(codes) == ["RE3", "RE4"]
    settings.BUDDY_COVERS_AT_STRENGTH = 4
    assert listed(signed_in, expertise=finance.pk) == (["RE4"], 1)
    assert "Expertise (strength 4 or more)" in signed_in.get(reverse("trust-directory")).content.decode()
