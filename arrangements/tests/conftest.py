"""Personas for arrangements: the supported trust's executive, a buddy's executive and an outsider."""

import datetime as dt

import pytest

from arrangements import services
from arrangements.services import BuddySpec
from buddying.tests.factories import ExecutiveFactory, ExpertiseAreaFactory, TrustFactory


@pytest.fixture
def buddy_trust(db):
    return TrustFactory(name="Buddy Hospitals NHS Foundation Trust", ods_code="RC3", latitude=52.2, longitude=0.12)


@pytest.fixture
def buddy_executive(buddy_trust):
    return ExecutiveFactory(username="buddy-executive", trust=buddy_trust, email="buddy@example.nhs.uk")


@pytest.fixture
def finance(db):
    return ExpertiseAreaFactory(slug="finance", name="Finance")


@pytest.fixture
def before_the_planned_start(time_machine):
    """The clock (ticking) a fortnight before the fixtures' planned start of 1 December 2026.

    A first review falls due a cadence after the later of the planned start and the day the terms are
    signed, so the expected dates hold only if the suite's clock is pinned before that start.
    """
    time_machine.move_to(dt.datetime(2026, 11, 16, 9, tzinfo=dt.UTC))
    return time_machine


@pytest.fixture
def arrangement(own_trust, buddy_trust, regulator, executive, buddy_executive, before_the_planned_start):
    """Proposed by the regulator: own_trust (the executive's) supported by buddy_trust."""
    return services.arrangement_propose(
        supported=own_trust,
        buddies=[BuddySpec(buddy=buddy_trust)],
        title="Finance recovery",
        origin="regulator-suggested",
        tier="targeted",
        planned_start=dt.date(2026, 12, 1),
        planned_end=dt.date(2027, 11, 30),
        by=regulator,
    )


def draft_terms(arrangement, by, **overrides):
    fields = {
        "scope": "Financial controls and the cost improvement programme",
        "supported_commitments": "Director of finance, 2 days a month",
        "buddy_commitments": "Deputy director of finance, 2 days a month",
        "governance": "Reports to both boards' finance committees",
        "termination_terms": "Either party, with a month's notice",
        "review_every_months": 3,
        "fee": 0,
        "who_pays": "cost-neutral",
        "meeting_cadence": "monthly",
        **overrides,
    }
    return services.terms_draft(
        arrangement=arrangement,
        by=by,
        fields=fields,
        objectives=[("Agree a deficit plan", "Plan approved by the board", dt.date(2027, 3, 31))],
    )


@pytest.fixture
def active_arrangement(arrangement, regulator, executive, buddy_executive):
    """Agreed, terms signed by both trusts: active."""
    services.arrangement_agree(arrangement=arrangement, by=regulator)
    terms = draft_terms(arrangement, executive)
    services.terms_sign(terms=terms, by=executive)
    services.terms_sign(terms=terms, by=buddy_executive)
    arrangement.refresh_from_db()
    assert arrangement.status == "active"
    return arrangement
