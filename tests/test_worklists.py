"""The home page tells each person what waits for them, and a trust in trouble can be given a buddy from its page."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from arrangements.models import Arrangement
from arrangements.tests.factories import ArrangementFactory
from buddying.models import Trust
from buddying.tests.factories import ImprovementNeedFactory, TrustFactory, UserFactory
from buddying.worklist import worklist_for

pytestmark = pytest.mark.django_db


def counts(user):
    return {item.title: (item.count, item.overdue) for item in worklist_for(user)}


def test_regulator_staff_see_proposals_to_agree_reviews_overdue_and_trusts_needing_a_buddy():
    regulator = UserFactory(role="regulator", trust=None)
    failing = TrustFactory(
        improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES, improvement_status_since="2026-01-05"
    )
    ImprovementNeedFactory(trust=failing)
    ArrangementFactory(status=Arrangement.Status.PROPOSED)
    ArrangementFactory(status=Arrangement.Status.ACTIVE, next_review_due=timezone.localdate() - dt.timedelta(days=3))
    work = counts(regulator)
    assert work["Proposals to agree"] == (1, False)
    assert work["Reviews overdue"] == (1, True)
    assert work["Trusts in special measures or recovery with no buddy or call-off"] == (1, False)
    assert next(iter(work)) == "Reviews overdue"  # overdue work comes first


def test_a_trust_with_an_open_arrangement_no_longer_needs_finding_a_buddy():
    regulator = UserFactory(role="regulator", trust=None)
    failing = TrustFactory(
        improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES, improvement_status_since="2026-01-05"
    )
    ImprovementNeedFactory(trust=failing)
    ArrangementFactory(supported=failing, status=Arrangement.Status.ACTIVE)
    assert "Trusts in special measures or recovery with no buddy or call-off" not in counts(regulator)


def test_an_executive_sees_only_their_own_trusts_reviews_due():
    mine = ArrangementFactory(
        status=Arrangement.Status.ACTIVE, next_review_due=timezone.localdate() + dt.timedelta(days=5)
    )
    ArrangementFactory(status=Arrangement.Status.ACTIVE, next_review_due=timezone.localdate())
    executive = UserFactory(role="trust-executive", trust=mine.supported)
    assert counts(executive) == {"Reviews due within a month": (1, False)}


def test_find_a_buddy_on_a_trust_in_special_measures_opens_a_call_off_for_it(client):
    regulator = UserFactory(role="regulator", trust=None)
    failing = TrustFactory(
        improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES, improvement_status_since="2026-01-05"
    )
    healthy = TrustFactory()
    client.force_login(regulator)
    start = f"{reverse('arrangements:call-off-new')}?supported={failing.pk}"
    assert start in client.get(failing.get_absolute_url()).content.decode()
    assert "Find a buddy" not in client.get(healthy.get_absolute_url()).content.decode()
    assert client.get(start).status_code == 200


def test_executives_are_not_offered_find_a_buddy(client):
    failing = TrustFactory(
        improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES, improvement_status_since="2026-01-05"
    )
    client.force_login(UserFactory(role="trust-executive", trust=failing))
    assert "Find a buddy" not in client.get(failing.get_absolute_url()).content.decode()
