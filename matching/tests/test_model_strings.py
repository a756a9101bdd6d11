"""How the framework pool's records name themselves (admin lists, logs, audit pages), and the framework's page."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import resolve

from buddying.tests.factories import ExpertiseAreaFactory, TrustFactory
from matching import pool_views
from matching.models import FeeScale, Framework, OfferedExpertise, PoolApplication, PoolDecision

pytestmark = pytest.mark.django_db


def make_framework(**changes) -> Framework:
    values = {
        "name": "Superbuddy framework 2026",
        "term_start": dt.date(2026, 1, 1),
        "term_end": dt.date(2029, 12, 31),
    }
    values.update(changes)
    return Framework.objects.create(**values)


def make_application(framework: Framework, **changes) -> PoolApplication:
    values = {
        "framework": framework,
        "trust": TrustFactory(name="Oxford Example NHS Foundation Trust", ods_code="RX1"),
        "max_concurrent_arrangements": 2,
        "senior_staff_days_per_month": Decimal(8),
        "max_travel_minutes": 180,
        "incentive": PoolApplication.Incentive.NO_FEE,
    }
    values.update(changes)
    return PoolApplication.objects.create(**values)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Framework.Status.DRAFT, "Superbuddy framework 2026 (draft)"),
        (Framework.Status.OPEN, "Superbuddy framework 2026 (open for applications)"),
        (Framework.Status.LIVE, "Superbuddy framework 2026 (live)"),
    ],
)
def test_a_framework_is_named_with_its_status(status, expected):
    assert str(make_framework(status=status)) == expected


@pytest.mark.parametrize(
    ("tier", "fee", "expected"),
    [
        ("superbuddy", Decimal("250000.00"), "Multi-year superbuddy support: £250,000 a year"),
        ("light-touch", Decimal("0.00"), "Light-touch mentoring: £0 a year"),
        ("targeted", Decimal("12499.60"), "Targeted issue-specific support: £12,500 a year"),
    ],
)
def test_a_fee_is_named_by_its_tier_and_annual_amount_in_whole_pounds(tier, fee, expected):
    fee_scale = FeeScale.objects.create(framework=make_framework(), tier=tier, annual_fee=fee)
    assert str(fee_scale) == expected


def test_an_application_is_named_by_trust_framework_and_status():
    application = make_application(make_framework())
    assert (
        str(application) == "Oxford Example NHS Foundation Trust in Superbuddy framework 2026 (waiting for a decision)"
    )
    application.status = PoolApplication.Status.SUSPENDED
    assert str(application) == "Oxford Example NHS Foundation Trust in Superbuddy framework 2026 (suspended)"


def test_offered_expertise_is_named_by_area_and_strength():
    application = make_application(make_framework())
    offered = OfferedExpertise.objects.create(
        application=application,
        area=ExpertiseAreaFactory(slug="finance", name="Finance"),
        strength=4,
        evidence="Surplus for five years",
    )
    assert str(offered) == "Finance (4/5)"


@time_machine.travel(dt.datetime(2026, 3, 9, 10, 30, tzinfo=dt.UTC), tick=False)
def test_a_decision_is_named_by_action_trust_and_day():
    application = make_application(make_framework())
    decision = PoolDecision.objects.create(application=application, action=PoolDecision.Action.REINSTATED)
    assert str(decision) == "Reinstated: RX1 (09 Mar 2026)"


def test_a_frameworks_url_is_its_detail_page():
    framework = make_framework()
    url = framework.get_absolute_url()
    assert url == f"/matching/frameworks/{framework.pk}/"
    match = resolve(url)
    assert match.func is pool_views.framework_detail
    assert (match.view_name, match.kwargs) == ("matching:framework-detail", {"pk": framework.pk})


@pytest.mark.parametrize("status", [Framework.Status.DRAFT, Framework.Status.LIVE])
def test_a_regulator_can_open_a_frameworks_page_at_its_url(client, regulator, status):
    framework = make_framework(status=status)
    client.force_login(regulator)
    response = client.get(framework.get_absolute_url())
    assert response.status_code == 200
    assert response.context["framework"] == framework


@time_machine.travel(dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC), tick=False)
def test_a_decision_late_on_a_summer_evening_is_named_by_its_london_day():
    application = make_application(make_framework())
    decision = PoolDecision.objects.create(application=application, action=PoolDecision.Action.SUSPENDED)
    assert str(decision) == "Suspended: RX1 (02 Jul 2026)"  # 00:30 BST on 2 July
