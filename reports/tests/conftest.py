"""A small programme built through the arrangements services, at known dates, for report contents.

    D  fifth_trust (RF6)                     <- own_trust (RA1)     completed Oct 2026 (objectives met, by the buddy)
    A  own_trust (RA1, in special measures)  <- buddy_trust (RC3)   active, red RAG, 1 review, left SM while buddied
    B  other_trust (RB2, special measures Dec 2026 to Feb 2027) <- welsh_trust (RD4)
                                                                    ended early (poor cultural fit); title "=cmd..."
                                                                    other_trust left SM while B was active
    C  fourth_trust (RE5, a name with an emoji) <- buddy_trust (RC3)   active since May 2027, first review still due;
                                                                    needs recorded 10 April, agreed 1 May (21 days)

own_trust's executive sees A and D (own_trust is a party to both); every report also holds other trusts'
arrangements (B, C) for the regulator, so an executive's scope can be checked in every one of them:
endings (B's early ending), value for money (B's costs), time to agreement (C), outcomes (B).

The clock stops at 15 June 2027 (Europe/London): A's review due 1 June is overdue; C's due 1 August is due.
"""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from arrangements import services
from arrangements.services import BuddySpec
from arrangements.tests.conftest import draft_terms
from buddying.models import Trust
from buddying.tests.factories import (
    ExecutiveFactory,
    ExpertiseAreaFactory,
    ImprovementNeedFactory,
    TrustFactory,
)

LONDON = ZoneInfo("Europe/London")
TODAY = dt.date(2027, 6, 15)
WELSH_NAME = "Ysbyty Gwynedd \u2013 Bro Ddyfrdwy \u2018quoted\u2019"
# An emoji in a name: CSV and XLSX keep it; a PDF pack draws it as a missing glyph (no emoji font).
FOURTH_NAME = "Fourth Hospitals NHS Trust \U0001f3e5"
INJECTION_TITLE = "=cmd|' /C calc'!A0"
FIFTH_NAME = "Fifth Community NHS Trust"


def at(year, month, day, hour=10):
    return dt.datetime(year, month, day, hour, tzinfo=LONDON)


def review_fields(**overrides):
    return {
        "held_on": dt.date(2027, 3, 2),
        "objectives_progress": "Deficit plan drafted and costed",
        "inputs_summary": "Two visits and a meeting",
        "achieved": "Board approved the recovery plan",
        "learning": "Share the grip and control checklist",
        "outcome": "adjust",
        **dict.fromkeys(("relationship", "value", "fit", "progress"), 4),
        **overrides,
    }


def sign_all(terms, *people):
    for person in people:
        services.terms_sign(terms=terms, by=person)


@pytest.fixture
def clock(time_machine):
    """The clock starts at 1 September 2026 and stands still unless a test moves it."""
    time_machine.move_to(at(2026, 9, 1), tick=False)
    return time_machine


@pytest.fixture
def own_trust(clock):
    """Overrides the root fixture: in special measures from its creation, made at a known time (its history)."""
    return TrustFactory(
        name="Own Hospitals NHS Trust",
        ods_code="RA1",
        improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES,
        improvement_status_since=dt.date(2026, 1, 15),
    )


@pytest.fixture
def programme(clock, own_trust, other_trust, regulator, executive, other_executive):
    """Three arrangements made through the services; returns them and the people and trusts involved."""
    time_machine = clock
    # D: own_trust buddies the fifth trust, from September to October 2026, and completes it.
    time_machine.move_to(at(2026, 9, 7), tick=False)
    fifth_trust = TrustFactory(ods_code="RF6", name=FIFTH_NAME, latitude=51.0, longitude=-1.0)
    fifth_executive = ExecutiveFactory(username="fifth-executive", trust=fifth_trust)
    d = services.arrangement_propose(
        supported=fifth_trust,
        buddies=[BuddySpec(buddy=own_trust)],
        title="Discharge planning",
        origin="self-proposed",
        tier="light-touch",
        planned_start=dt.date(2026, 9, 7),
        planned_end=dt.date(2026, 12, 31),
        by=fifth_executive,
    )
    services.arrangement_agree(arrangement=d, by=regulator)
    sign_all(draft_terms(d, fifth_executive), fifth_executive, executive)
    services.input_record(
        arrangement=d,
        by=executive,
        fields={
            "kind": "visit",
            "date": dt.date(2026, 9, 20),
            "description": "Discharge lounge visit",
            "people_supported": 3,
            "people_buddy": 2,
            "staff_days": Decimal(1),
            "fee": Decimal(250),
            "consultancy_estimate": Decimal(1000),
        },
    )
    time_machine.move_to(at(2026, 10, 20), tick=False)
    services.arrangement_complete(arrangement=d, by=executive, notes="Discharge checklist in use")

    time_machine.move_to(at(2026, 10, 1), tick=False)
    finance = ExpertiseAreaFactory(slug="finance", name="Finance")
    maternity = ExpertiseAreaFactory(slug="maternity", name="Maternity")
    ImprovementNeedFactory(trust=own_trust, area=finance, recorded_at=at(2026, 10, 1))
    buddy_trust = TrustFactory(
        ods_code="RC3", name="Buddy Hospitals NHS Foundation Trust", latitude=52.2, longitude=0.12
    )
    welsh_trust = TrustFactory(ods_code="RD4", name=WELSH_NAME, latitude=53.2, longitude=-4.1)
    fourth_trust = TrustFactory(ods_code="RE5", name=FOURTH_NAME, latitude=53.8, longitude=-1.55)
    buddy_executive = ExecutiveFactory(username="buddy-executive", trust=buddy_trust)
    welsh_executive = ExecutiveFactory(username="welsh-executive", trust=welsh_trust)
    fourth_executive = ExecutiveFactory(username="fourth-executive", trust=fourth_trust)

    # A: proposed 2 November, agreed 12 November (42 days after the need was recorded), terms v2 signed.
    time_machine.move_to(at(2026, 11, 2), tick=False)
    a = services.arrangement_propose(
        supported=own_trust,
        buddies=[BuddySpec(buddy=buddy_trust, areas=(finance,))],
        title="Finance recovery",
        origin="regulator-suggested",
        tier="intensive",
        planned_start=dt.date(2026, 12, 1),
        planned_end=dt.date(2027, 11, 30),
        by=regulator,
    )
    time_machine.move_to(at(2026, 11, 12), tick=False)
    services.arrangement_agree(arrangement=a, by=regulator)
    draft_terms(a, executive, fee=Decimal(1000))
    terms = draft_terms(a, executive, fee=Decimal(1500), scope="Financial controls, grip and the deficit plan")
    sign_all(terms, executive, buddy_executive, regulator)
    workstream = services.workstream_add(
        arrangement=a, by=executive, area=finance, supported_lead="Sam Supported", buddy_lead="Bea Buddy", buddy=None
    )
    done = services.milestone_add(workstream=workstream, by=executive, title="Kick-off", due_date=dt.date(2026, 12, 5))
    services.milestone_update(milestone=done, by=executive, rag="complete")
    amber = services.milestone_add(
        workstream=workstream, by=executive, title="Deficit plan", due_date=dt.date(2027, 2, 1)
    )
    services.milestone_update(milestone=amber, by=executive, rag="amber")
    red = services.milestone_add(
        workstream=workstream, by=executive, title="Board report", due_date=dt.date(2027, 3, 1)
    )
    services.milestone_update(milestone=red, by=executive, rag="red")
    services.input_record(
        arrangement=a,
        by=buddy_executive,
        fields={
            "kind": "visit",
            "date": dt.date(2026, 12, 10),
            "description": "Board-to-board visit",
            "people_supported": 6,
            "people_buddy": 4,
            "staff_days": Decimal(4),
            "fee": Decimal(500),
            "travel_cost": Decimal("120.50"),
            "backfill_cost": Decimal(300),
            "consultancy_estimate": Decimal(6000),
        },
    )
    services.input_record(
        arrangement=a,
        by=executive,
        fields={
            "kind": "meeting",
            "date": dt.date(2027, 1, 20),
            "description": "Finance committee",
            "people_supported": 2,
            "people_buddy": 3,
            "staff_days": Decimal(1),
            "consultancy_estimate": Decimal(2000),
        },
    )
    time_machine.move_to(at(2027, 3, 2), tick=False)
    # Each side submits its own review: complete once both have.
    services.review_submit(arrangement=a, by=executive, fields=review_fields())
    services.review_submit(arrangement=a, by=buddy_executive, fields=review_fields())
    # The trust leaves special measures on 1 April 2027, while A is active.
    time_machine.move_to(at(2027, 4, 1), tick=False)
    own_trust.improvement_status = Trust.ImprovementStatus.RECOVERY
    own_trust.save()

    # other_trust goes into special measures on 1 December 2026 (before B) and leaves them on 1 February 2027.
    time_machine.move_to(at(2026, 12, 1), tick=False)
    other_trust.improvement_status = Trust.ImprovementStatus.SPECIAL_MEASURES
    other_trust.improvement_status_since = dt.date(2026, 12, 1)
    other_trust.save()

    # B: other_trust supported by the Welsh trust, then ended early for a poor fit.
    time_machine.move_to(at(2027, 1, 4), tick=False)
    b = services.arrangement_propose(
        supported=other_trust,
        buddies=[BuddySpec(buddy=welsh_trust)],
        title=INJECTION_TITLE,
        origin="self-proposed",
        tier="targeted",
        planned_start=dt.date(2027, 1, 10),
        planned_end=dt.date(2027, 12, 31),
        by=other_executive,
    )
    services.arrangement_agree(arrangement=b, by=regulator)
    # In special measures, so the regulator signs too.
    sign_all(draft_terms(b, other_executive), other_executive, welsh_executive, regulator)
    services.input_record(
        arrangement=b,
        by=welsh_executive,
        fields={
            "kind": "learning-day",
            "date": dt.date(2027, 1, 20),
            "description": "@SUM(1+1) learning day",
            "people_supported": 10,
            "people_buddy": 2,
            "staff_days": Decimal(2),
            "travel_cost": Decimal(80),
            "consultancy_estimate": Decimal(3000),
        },
    )
    time_machine.move_to(at(2027, 2, 1), tick=False)
    other_trust.improvement_status = Trust.ImprovementStatus.RECOVERY
    other_trust.improvement_status_since = dt.date(2027, 2, 1)
    other_trust.save()
    time_machine.move_to(at(2027, 2, 20), tick=False)
    services.arrangement_terminate(
        arrangement=b,
        by=other_executive,
        reason="poor-cultural-fit",
        notes="Our values differ",
        handover="The plan passes to the ICB",
    )

    # C: fourth_trust supported by buddy_trust, active from 1 May 2027: first review due 1 August.
    # Its maternity need was recorded on 10 April: 21 days to agreement.
    ImprovementNeedFactory(trust=fourth_trust, area=maternity, recorded_at=at(2027, 4, 10))
    time_machine.move_to(at(2027, 5, 1), tick=False)
    c = services.arrangement_propose(
        supported=fourth_trust,
        buddies=[BuddySpec(buddy=buddy_trust)],
        title="Maternity safety",
        origin="framework-call-off",
        tier="light-touch",
        planned_start=dt.date(2027, 5, 1),
        planned_end=dt.date(2028, 4, 30),
        by=regulator,
    )
    services.arrangement_agree(arrangement=c, by=regulator)
    sign_all(draft_terms(c, fourth_executive), fourth_executive, buddy_executive)

    time_machine.move_to(at(2027, 6, 15, 12), tick=False)
    for arrangement in (a, b, c, d):
        arrangement.refresh_from_db()
    other_trust.refresh_from_db()
    return {
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "finance": finance,
        "maternity": maternity,
        "own_trust": own_trust,
        "other_trust": other_trust,
        "buddy_trust": buddy_trust,
        "welsh_trust": welsh_trust,
        "fourth_trust": fourth_trust,
        "fifth_trust": fifth_trust,
        "buddy_executive": buddy_executive,
    }


@pytest.fixture(autouse=True)
def _exports_dir(settings, tmp_path):
    """Queued exports write their files under a throwaway folder."""
    settings.EXPORTS_DIR = tmp_path / "exports"
