"""Demo arrangements in every state, made through the services so that timelines and history are real."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from arrangements import selectors, services
from arrangements.models import SETTING_UP_STATUSES
from arrangements.services import BuddySpec
from buddying.models import Notification, Trust, User


def _executive_for(trust: Trust) -> User:
    existing = User.objects.filter(role=User.Role.TRUST_EXECUTIVE, trust=trust).first()
    if existing is not None:
        return existing
    # Background people for the demo trusts; they cannot sign in (unusable password).
    return User.objects.create(
        username=f"exec-{trust.ods_code.lower()}",
        role=User.Role.TRUST_EXECUTIVE,
        trust=trust,
        first_name="Chief",
        last_name=f"Executive {trust.ods_code}",
        email=f"exec-{trust.ods_code.lower()}@example.nhs.uk",
        password=make_password(None),
    )


def demo_arrangements_create(*, seed: int) -> None:
    rng = random.Random(seed + 2)
    regulator = User.objects.filter(role=User.Role.REGULATOR).first()
    demo_executive = User.objects.filter(username="executive").select_related("trust").first()
    if regulator is None:
        return
    challenged = list(
        Trust.objects.filter(improvement_status__in=["special-measures", "recovery"]).order_by("ods_code")
    )
    if demo_executive is not None:
        challenged.sort(key=lambda trust: trust.pk != demo_executive.trust_id)  # the demo executive's trust first
    strong = list(
        Trust.objects.filter(cqc_rating__in=["outstanding", "good"], improvement_status="none")
        .exclude(trust_type="ambulance")
        .order_by("ods_code")
    )
    # Buddies with room: agreeing one with no free capacity needs a stated reason (services.arrangement_agree).
    room = selectors.free_capacity(trusts=strong)
    strong = [trust for trust in strong if room[trust.pk].has_room]
    plans = [
        "active",
        "active",
        "active",
        "agreed",
        "proposed",
        "proposed",
        "completed",
        "terminated",
        "active",
        "paused",
    ]
    today = timezone.localdate()
    for supported, plan in zip(challenged, plans, strict=False):
        buddy = rng.choice([t for t in strong if t.region != supported.region] or strong)
        strong.remove(buddy)
        supported_exec, buddy_exec = _executive_for(supported), _executive_for(buddy)
        start = (
            today - dt.timedelta(days=rng.randint(30, 200))
            if plan not in SETTING_UP_STATUSES
            else today + dt.timedelta(days=30)
        )
        arrangement = services.arrangement_propose(
            supported=supported,
            buddies=[BuddySpec(buddy=buddy, staff_days_per_month=Decimal(rng.choice([2, 4, 6])))],
            title=rng.choice(
                [
                    "Board governance and well-led",
                    "Maternity safety",
                    "Urgent and emergency care flow",
                    "Financial recovery",
                    "Culture and speaking up",
                ]
            ),
            origin=rng.choice(["regulator-suggested", "self-proposed", "framework-call-off"]),
            tier=rng.choice(["targeted", "intensive", "superbuddy"]),
            planned_start=start,
            planned_end=start + dt.timedelta(days=365),
            by=regulator,
        )
        if plan == "proposed":
            continue
        services.arrangement_agree(arrangement=arrangement, by=regulator)
        terms = services.terms_draft(
            arrangement=arrangement,
            by=supported_exec,
            fields={
                "scope": f"{arrangement.title} at {supported.name}",
                "supported_commitments": "Chief nurse and medical director, 2 days a month",
                "buddy_commitments": "Deputy chief executive and a clinical lead, 4 days a month",
                "governance": "A joint steering group reporting to both boards",
                "termination_terms": "Either party, with one month's notice",
                "local_discretion": "The trusts may re-prioritise work within the scope by agreement",
                "fee": Decimal(0),
            },
            objectives=[
                ("Agree an improvement plan", "Plan approved by both boards", start + dt.timedelta(days=90)),
                (
                    "Deliver the first changes",
                    "Measured improvement in the area's indicators",
                    start + dt.timedelta(days=270),
                ),
            ],
        )
        services.terms_sign(terms=terms, by=supported_exec)
        if plan == "agreed":
            continue
        services.terms_sign(terms=terms, by=buddy_exec)
        if supported.improvement_status == "special-measures":
            services.terms_sign(terms=terms, by=regulator)
        services.input_record(
            arrangement=arrangement,
            by=buddy_exec,
            fields={
                "kind": "visit",
                "date": start + dt.timedelta(days=14),
                "description": "Board-to-board visit",
                "people_supported": 6,
                "people_buddy": 4,
                "staff_days": Decimal(4),
                "travel_cost": Decimal(rng.randint(200, 900)),
                "consultancy_estimate": Decimal(rng.choice([6_000, 12_000, 25_000])),
            },
        )
        if plan == "paused":
            services.arrangement_pause(
                arrangement=arrangement, by=supported_exec, reason="Waiting for a new chief executive"
            )
        elif plan == "completed":
            services.arrangement_complete(
                arrangement=arrangement, by=regulator, notes="Objectives met; the trusts keep in touch"
            )
        elif plan == "terminated":
            services.arrangement_terminate(
                arrangement=arrangement,
                by=supported_exec,
                reason="poor-cultural-fit",
                notes="We work in very different ways",
                handover="The plan passes to the ICB improvement team",
            )
    # The demo's invented history needs no emails: mark them sent before the transaction commits.
    Notification.objects.filter(emailed_at__isnull=True).update(emailed_at=timezone.now())
