import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from arrangements.models import Milestone, Review, Workstream, next_review_due
from arrangements.tests.factories import ArrangementBuddyFactory, ArrangementFactory
from buddying.tests.factories import ExpertiseAreaFactory, TrustFactory

pytestmark = pytest.mark.django_db


def _violates(name, create):
    with pytest.raises(IntegrityError, match=name), transaction.atomic():
        create()


def test_the_database_refuses_a_trust_buddying_itself():
    arrangement = ArrangementFactory()
    _violates(
        "buddy_is_not_the_supported_trust",
        lambda: ArrangementBuddyFactory(arrangement=arrangement, buddy=arrangement.supported),
    )


def test_the_database_refuses_an_end_before_the_start():
    _violates(
        "arrangement_end_after_start",
        lambda: ArrangementFactory(planned_start=dt.date(2027, 1, 2), planned_end=dt.date(2027, 1, 1)),
    )


def test_the_database_allows_one_open_arrangement_per_pair():
    supported, buddy = TrustFactory(), TrustFactory()
    ArrangementBuddyFactory(arrangement=ArrangementFactory(supported=supported), buddy=buddy)
    _violates(
        "one_open_arrangement_per_pair",
        lambda: ArrangementBuddyFactory(arrangement=ArrangementFactory(supported=supported), buddy=buddy),
    )
    # A closed one does not count.
    ArrangementBuddyFactory(arrangement=ArrangementFactory(supported=supported), buddy=buddy, is_open=False)


def test_a_terminated_arrangement_must_say_why():
    _violates("arrangement_termination_has_reason", lambda: ArrangementFactory(status="terminated", end_reason=""))


def test_unknown_status_and_tier_are_refused():
    _violates("arrangement_status_valid", lambda: ArrangementFactory(status="limbo"))
    _violates("arrangement_tier_valid", lambda: ArrangementFactory(tier="platinum"))


def test_a_completed_milestone_has_a_completion_date():
    workstream = Workstream.objects.create(
        arrangement=ArrangementFactory(), area=ExpertiseAreaFactory(), supported_lead="A", buddy_lead="B"
    )
    _violates(
        "milestone_completed_has_date",
        lambda: Milestone.objects.create(
            workstream=workstream, title="x", due_date=dt.date(2027, 1, 1), rag="complete"
        ),
    )


def test_models_read_well_as_text():
    arrangement = ArrangementFactory(title="Finance recovery", supported=TrustFactory(ods_code="RA1"))
    assert str(arrangement) == "Finance recovery (RA1, proposed)"
    assert arrangement.get_absolute_url() == f"/arrangements/{arrangement.pk}/"
    entry = ArrangementBuddyFactory(arrangement=arrangement, buddy=TrustFactory(name="Kind NHS Trust"))
    assert str(entry) == "Kind NHS Trust (lead buddy)"
    area = ExpertiseAreaFactory(name="Finance")
    workstream = Workstream.objects.create(arrangement=arrangement, area=area, supported_lead="A", buddy_lead="B")
    assert str(workstream) == "Finance workstream"
    milestone = Milestone.objects.create(workstream=workstream, title="Plan", due_date=dt.date(2027, 3, 31))
    assert str(milestone) == "Plan (due 31 Mar 2027, green)"
    assert Review._meta.get_field("outcome").choices


@pytest.mark.parametrize(
    ("started", "months", "done", "expected"),
    [
        (dt.date(2026, 12, 1), 3, 0, dt.date(2027, 3, 1)),
        (dt.date(2026, 11, 30), 3, 0, dt.date(2027, 2, 28)),
        (dt.date(2027, 1, 31), 1, 0, dt.date(2027, 2, 28)),
        (dt.date(2026, 12, 1), 3, 3, dt.date(2027, 12, 1)),
        (dt.date(2027, 11, 15), 6, 1, dt.date(2028, 11, 15)),
    ],
)
def test_reviews_fall_due_every_few_months_from_the_start(started, months, done, expected):
    assert next_review_due(started=started, every_months=months, reviews_done=done) == expected
