import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from buddying.models import Trust, User
from buddying.tests.factories import (
    CultureProfileFactory,
    ExpertiseAreaFactory,
    ImprovementNeedFactory,
    IntegratedCareSystemFactory,
    ServiceLineFactory,
    TrustExpertiseFactory,
    TrustFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _violates(constraint_name: str, create) -> None:
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        create()
    assert constraint_name in str(error.value)


def test_each_model_reads_well_as_text():
    trust = TrustFactory(name="Northbridge Hospitals NHS Trust", ods_code="RN7")
    area = ExpertiseAreaFactory(slug="maternity", name="Maternity")
    assert str(trust) == "Northbridge Hospitals NHS Trust (RN7)"
    assert str(area) == "Maternity"
    assert str(ServiceLineFactory(slug="paediatrics", name="Paediatrics")) == "Paediatrics"
    assert str(IntegratedCareSystemFactory(name="North Central London")) == "North Central London"
    assert str(TrustExpertiseFactory(trust=trust, area=area, strength=5)) == "RN7: Maternity (5/5)"
    need = ImprovementNeedFactory(trust=trust, area=ExpertiseAreaFactory(slug="finance", name="Finance"), priority=3)
    assert str(need) == "RN7 needs Finance (high priority)"
    assert (
        str(CultureProfileFactory(trust=trust, survey_year=2025))
        == "Culture profile of Northbridge Hospitals NHS Trust (2025)"
    )
    assert str(UserFactory(username="rosa", first_name="Rosa", last_name="Regan")) == "Rosa Regan (rosa)"


def test_a_trust_page_is_addressed_by_its_ods_code():
    assert TrustFactory(ods_code="RJ1").get_absolute_url() == "/trusts/RJ1/"


def test_ods_codes_are_unique():
    TrustFactory(ods_code="RJ1")
    _violates("ods_code", lambda: TrustFactory(ods_code="RJ1"))


def test_the_database_accepts_oversight_segment_5_and_refuses_6():
    assert TrustFactory(oversight_segment=5).oversight_segment == 5
    _violates("trust_oversight_segment_1_to_5", lambda: TrustFactory(oversight_segment=6))
    _violates("trust_oversight_segment_1_to_5", lambda: TrustFactory(oversight_segment=0))


def test_a_trust_may_have_no_type_recorded():
    trust = TrustFactory(trust_type="")
    trust.full_clean()
    assert Trust.objects.type_not_known().get() == trust


def test_the_database_refuses_more_than_600_extra_travel_minutes():
    assert TrustFactory(travel_adjustment_minutes=600).travel_adjustment_minutes == 600
    _violates("trust_travel_adjustment_at_most_600", lambda: TrustFactory(travel_adjustment_minutes=601))


def test_a_new_trust_adds_no_travel_time_and_is_open():
    trust = TrustFactory()
    assert (trust.travel_adjustment_minutes, trust.closed_on, trust.is_closed) == (0, None, False)


@time_machine.travel(dt.datetime(2026, 5, 1, 9, 0, tzinfo=dt.UTC), tick=False)
def test_open_trusts_exclude_one_closed_yesterday_and_include_one_closing_tomorrow():
    today = dt.date(2026, 5, 1)
    never = TrustFactory(ods_code="RN1", closed_on=None)
    closing = TrustFactory(ods_code="RN2", closed_on=today + dt.timedelta(days=1))
    TrustFactory(ods_code="RN3", closed_on=today - dt.timedelta(days=1))
    TrustFactory(ods_code="RN4", closed_on=today)  # closed from the day it closes
    assert set(Trust.objects.open()) == {never, closing}
    assert [trust.is_closed for trust in Trust.objects.order_by("ods_code")] == [False, False, True, True]


def test_open_on_a_given_day_counts_closures_up_to_that_day():
    closing = TrustFactory(closed_on=dt.date(2026, 3, 31))
    assert list(Trust.objects.open(dt.date(2026, 3, 30))) == [closing]
    assert list(Trust.objects.open(dt.date(2026, 3, 31))) == []
    assert closing.is_closed_on(dt.date(2026, 3, 31))


# 23:30 UTC on 30 June is 00:30 on 1 July in London (summer time): London's date decides.
@time_machine.travel(dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC), tick=False)
def test_open_uses_todays_date_in_england_not_utc():
    TrustFactory(closed_on=dt.date(2026, 7, 1))
    assert not Trust.objects.open().exists()


@pytest.mark.parametrize(
    ("status", "segment", "receiving"),
    [
        (Trust.ImprovementStatus.NONE, None, False),
        (Trust.ImprovementStatus.NONE, 3, False),
        (Trust.ImprovementStatus.NONE, 4, True),
        (Trust.ImprovementStatus.NONE, 5, True),
        (Trust.ImprovementStatus.RECOVERY, 2, True),
        (Trust.ImprovementStatus.SPECIAL_MEASURES, None, True),
    ],
)
def test_a_trust_is_receiving_support_in_special_measures_recovery_or_segment_4_or_5(status, segment, receiving):
    trust = Trust(improvement_status=status, oversight_segment=segment)
    assert trust.is_receiving_support is receiving


def test_the_database_refuses_special_measures_without_a_start_date():
    _violates(
        "trust_improvement_status_has_start_date",
        lambda: TrustFactory(
            improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES, improvement_status_since=None
        ),
    )


def test_the_database_refuses_an_unknown_trust_type():
    _violates("trust_type_valid", lambda: TrustFactory(trust_type="hospice"))


def test_the_database_refuses_half_a_location():
    _violates("trust_location_complete_and_valid", lambda: TrustFactory(latitude=51.5, longitude=None))


def test_expertise_strength_must_be_1_to_5_and_one_entry_per_area():
    trust, area = TrustFactory(), ExpertiseAreaFactory()
    _violates("trust_expertise_strength_1_to_5", lambda: TrustExpertiseFactory(trust=trust, area=area, strength=6))
    TrustExpertiseFactory(trust=trust, area=area)
    _violates("trust_expertise_one_per_area", lambda: TrustExpertiseFactory(trust=trust, area=area))


def test_culture_scores_must_be_0_to_10():
    _violates("culture_morale_0_to_10", lambda: CultureProfileFactory(morale=11))


def test_an_executive_belongs_to_exactly_one_trust_and_other_roles_to_none():
    _violates("user_trust_only_for_executives", lambda: UserFactory(role=User.Role.TRUST_EXECUTIVE, trust=None))
    _violates("user_trust_only_for_executives", lambda: UserFactory(role=User.Role.REGULATOR, trust=TrustFactory()))


def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser("root", "root@example.nhs.uk", "a long enough password")
    assert user.role == User.Role.ADMIN


def test_profile_changes_are_kept_in_the_trust_history():
    trust = TrustFactory(name="Before NHS Trust")
    trust.name = "After NHS Trust"
    trust.save()
    assert [record.name for record in trust.history.order_by("history_date")] == ["Before NHS Trust", "After NHS Trust"]
