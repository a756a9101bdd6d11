"""A deterministic, realistic and clearly fictional registry for `make run`, demos and benchmarks.

About 200 fictional trusts stand at real English town locations (buddying.demo_data) across all
seven regions and every trust type. Their ODS codes use the range TU0-TZZ, which no real trust
has, and the site footer says the demo trusts are fictional. The same seed always gives the
same data, so benchmarks and screenshots are comparable between runs.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from buddying.demo_data import FERRY_MINUTES, INTEGRATED_CARE_SYSTEMS, TOWNS
from buddying.models import (
    CULTURE_DIMENSIONS,
    CultureProfile,
    ExpertiseArea,
    ImprovementNeed,
    IntegratedCareSystem,
    ServiceLine,
    SignupInvitation,
    Trust,
    TrustExpertise,
    TrustRelationship,
    User,
)

SERVICE_LINES = (
    ("emergency-care", "Emergency care"),
    ("maternity", "Maternity"),
    ("paediatrics", "Paediatrics"),
    ("elective-surgery", "Elective surgery"),
    ("critical-care", "Critical care"),
    ("cancer", "Cancer services"),
    ("mental-health", "Mental health"),
    ("learning-disability", "Learning disability"),
    ("community-services", "Community services"),
    ("ambulance-999", "Ambulance (999 and 111)"),
)

# (slug, name, the service it depends on or None, description)
EXPERTISE_AREAS = (
    (
        "quality-and-safety",
        "Quality and safety",
        None,
        "Patient safety systems, learning from incidents, CQC readiness.",
    ),
    ("governance-and-leadership", "Governance and leadership", None, "Board effectiveness, assurance, well-led."),
    ("finance", "Finance", None, "Financial recovery, cost improvement, financial controls."),
    (
        "urgent-and-emergency-flow",
        "Urgent and emergency care flow",
        "emergency-care",
        "Four-hour standard, patient flow, discharge.",
    ),
    ("maternity", "Maternity", "maternity", "Maternity safety, staffing and culture."),
    ("children-and-young-people", "Children and young people", "paediatrics", "Paediatric services and safeguarding."),
    ("mental-health-care", "Mental health care", "mental-health", "Inpatient and community mental health care."),
    ("workforce-and-culture", "Workforce and culture", None, "Recruitment, retention, staff engagement, speaking up."),
    ("clinical-engagement", "Clinical engagement", None, "Clinical leadership and engaging clinicians in improvement."),
    ("estates", "Estates and facilities", None, "Estate condition, capital planning, facilities."),
    ("digital", "Digital and data", None, "Electronic patient records, data quality, digital maturity."),
    (
        "elective-recovery",
        "Elective recovery",
        "elective-surgery",
        "Waiting lists, theatre productivity, referral to treatment.",
    ),
)

SERVICES_BY_TYPE: dict[str, list[str]] = {
    Trust.TrustType.ACUTE_DISTRICT_GENERAL: [
        "emergency-care",
        "maternity",
        "paediatrics",
        "elective-surgery",
        "critical-care",
        "cancer",
    ],
    Trust.TrustType.ACUTE_LARGE_TEACHING: [
        "emergency-care",
        "maternity",
        "paediatrics",
        "elective-surgery",
        "critical-care",
        "cancer",
    ],
    Trust.TrustType.INTEGRATED: [
        "emergency-care",
        "maternity",
        "paediatrics",
        "elective-surgery",
        "critical-care",
        "community-services",
    ],
    Trust.TrustType.MENTAL_HEALTH: ["mental-health", "learning-disability", "community-services"],
    Trust.TrustType.COMMUNITY: ["community-services"],
    Trust.TrustType.AMBULANCE: ["ambulance-999"],
    Trust.TrustType.SPECIALIST: ["elective-surgery", "cancer", "critical-care"],
}

NAME_PATTERNS: dict[str, list[str]] = {
    Trust.TrustType.ACUTE_DISTRICT_GENERAL: [
        "{town} Hospitals",
        "{town} and District Hospitals",
        "{town} General Hospital",
    ],
    Trust.TrustType.ACUTE_LARGE_TEACHING: ["{town} University Hospitals", "{town} Teaching Hospitals"],
    Trust.TrustType.INTEGRATED: ["{town} Integrated Care", "{town} Health and Care"],
    Trust.TrustType.MENTAL_HEALTH: ["{town} Mental Health Partnership", "{town} Minds"],
    Trust.TrustType.COMMUNITY: ["{town} Community Health Services", "{town} Community Care"],
    Trust.TrustType.AMBULANCE: ["{region} Ambulance Service"],
    Trust.TrustType.SPECIALIST: [
        "{town} Specialist Hospital",
        "{town} Heart and Lung Centre",
        "{town} Children's Hospital",
    ],
}

# Culture archetypes: trusts that share an archetype have similar staff survey profiles, so
# cultural fit separates candidates rather than being the same for everyone.
CULTURE_ARCHETYPES = {
    "compassionate": (
        [7.6, 6.2, 7.0, 6.3, 5.8, 6.4, 7.0, 7.2, 6.2],
        "We put compassion and inclusion first, for patients and for each other.",
    ),
    "learning": (
        [7.2, 5.9, 7.1, 6.0, 6.6, 6.1, 6.8, 7.1, 6.1],
        "We are a learning organisation: we listen, we improve, we share what works.",
    ),
    "performance": (
        [6.9, 6.1, 6.3, 5.8, 5.6, 5.9, 6.5, 6.8, 5.9],
        "We hold ourselves to high standards and deliver on our promises.",
    ),
    "teamwork": (
        [7.3, 5.8, 6.7, 6.2, 5.5, 6.6, 7.2, 6.9, 6.3],
        "We work as one team across our sites and with our partners.",
    ),
}

REGION_NAMES = {
    "east-of-england": "East of England",
    "london": "London",
    "midlands": "Midlands",
    "north-east-and-yorkshire": "North East and Yorkshire",
    "north-west": "North West",
    "south-east": "South East",
    "south-west": "South West",
}


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str  # "" for demo people with no password yet (they set one with "Forgotten your password?")
    role: str
    trust_name: str = ""
    note: str = ""
    email: str = ""


def _demo_ods_codes() -> list[str]:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return [f"T{second}{third}" for second in "UVWXYZ" for third in alphabet]


def _choose_type(rng: random.Random, town_index: int, region_has_ambulance: bool) -> str:
    if not region_has_ambulance:
        return Trust.TrustType.AMBULANCE
    roll = rng.random()
    for trust_type, cumulative in (
        (Trust.TrustType.ACUTE_DISTRICT_GENERAL, 0.52),
        (Trust.TrustType.ACUTE_LARGE_TEACHING, 0.67),
        (Trust.TrustType.INTEGRATED, 0.75),
        (Trust.TrustType.MENTAL_HEALTH, 0.86),
        (Trust.TrustType.COMMUNITY, 0.94),
        (Trust.TrustType.SPECIALIST, 1.0),
    ):
        if roll < cumulative:
            return trust_type
    return Trust.TrustType.ACUTE_DISTRICT_GENERAL


def _rating_and_status(rng: random.Random) -> tuple[str, int, str]:
    roll = rng.random()
    if roll < 0.07:
        return Trust.CqcRating.INADEQUATE, 4, Trust.ImprovementStatus.SPECIAL_MEASURES
    if roll < 0.15:
        return Trust.CqcRating.REQUIRES_IMPROVEMENT, 3, Trust.ImprovementStatus.RECOVERY
    if roll < 0.45:
        return Trust.CqcRating.REQUIRES_IMPROVEMENT, rng.choice([2, 3]), Trust.ImprovementStatus.NONE
    if roll < 0.87:
        return Trust.CqcRating.GOOD, rng.choice([1, 2, 2]), Trust.ImprovementStatus.NONE
    return Trust.CqcRating.OUTSTANDING, 1, Trust.ImprovementStatus.NONE


@transaction.atomic
def demo_registry_create(*, seed: int = 2014, today: dt.date | None = None) -> list[DemoAccount]:
    """Create the demo registry and one account per role. Returns the accounts with their new passwords."""
    rng = random.Random(seed)
    today = today or dt.date(2026, 11, 1)

    services = {slug: ServiceLine.objects.create(slug=slug, name=name) for slug, name in SERVICE_LINES}
    areas = [
        ExpertiseArea.objects.create(
            slug=slug, name=name, description=description, requires_service=services[needs] if needs else None
        )
        for slug, name, needs, description in EXPERTISE_AREAS
    ]
    systems = {
        code: IntegratedCareSystem.objects.create(code=code, name=name, region=region)
        for code, name, region in INTEGRATED_CARE_SYSTEMS
    }

    codes = _demo_ods_codes()
    regions_with_ambulance: set[str] = set()
    trusts: list[Trust] = []
    for index, (town, latitude, longitude, region, ics_code) in enumerate(TOWNS):
        trust_type = _choose_type(rng, index, region in regions_with_ambulance)
        if trust_type == Trust.TrustType.AMBULANCE:
            regions_with_ambulance.add(region)
        rating, segment, status = _rating_and_status(rng)
        pattern = rng.choice(NAME_PATTERNS[trust_type])
        foundation = rng.random() < 0.6
        name = pattern.format(town=town, region=REGION_NAMES[region]) + (
            " NHS Foundation Trust" if foundation else " NHS Trust"
        )
        since = today - dt.timedelta(days=rng.randint(60, 900)) if status != Trust.ImprovementStatus.NONE else None
        trust = Trust.objects.create(
            ods_code=codes[index],
            name=name,
            trust_type=trust_type,
            is_foundation_trust=foundation,
            region=region,
            ics=systems[ics_code],
            # Demo trusts have no postcode: their locations come from the town table.
            latitude=round(latitude + rng.uniform(-0.01, 0.01), 6),
            longitude=round(longitude + rng.uniform(-0.01, 0.01), 6),
            number_of_sites=rng.randint(1, 6) if trust_type != Trust.TrustType.SPECIALIST else 1,
            is_teaching=trust_type == Trust.TrustType.ACUTE_LARGE_TEACHING or rng.random() < 0.1,
            cqc_rating=rating,
            oversight_segment=segment,
            improvement_status=status,
            improvement_status_since=since,
            improvement_status_review_due=since + dt.timedelta(days=365) if since else None,
            travel_adjustment_minutes=FERRY_MINUTES.get(town, 0),
        )
        service_slugs = list(SERVICES_BY_TYPE[trust_type])
        # Not every district general hospital still runs maternity or paediatrics.
        if trust_type == Trust.TrustType.ACUTE_DISTRICT_GENERAL and rng.random() < 0.15:
            service_slugs.remove(rng.choice(["maternity", "paediatrics"]))
        trust.services.set([services[slug] for slug in service_slugs])
        _add_expertise_and_needs(rng, trust, areas, set(service_slugs), today)
        _add_culture(rng, trust, today)
        trusts.append(trust)

    accounts = _create_accounts(trusts)
    # Apps that build on the registry add their own demo data through an AppConfig.seed_demo hook,
    # so this module need not import them (dependencies point towards buddying, never away).
    for config in apps.get_app_configs():
        hook = getattr(config, "seed_demo", None)
        if hook is not None:
            hook(seed=seed)
    accounts[2:2] = _buddy_executive_account(accounts)  # after the executive it supports
    _demo_invitation()
    _demo_relationships(rng)
    return accounts + _people_without_sign_in(accounts)


def _add_expertise_and_needs(
    rng: random.Random, trust: Trust, areas: list[ExpertiseArea], service_slugs: set[str], today: dt.date
) -> None:
    relevant = [area for area in areas if area.requires_service is None or area.requires_service.slug in service_slugs]
    strong = trust.cqc_rating in {Trust.CqcRating.OUTSTANDING, Trust.CqcRating.GOOD}
    count = rng.randint(3, 5) if strong else rng.randint(0, 2)
    top = 5 if trust.cqc_rating == Trust.CqcRating.OUTSTANDING else 4 if strong else 3
    for area in rng.sample(relevant, k=min(count, len(relevant))):
        strength = rng.randint(max(1, top - 2), top)
        TrustExpertise.objects.create(
            trust=trust,
            area=area,
            strength=strength,
            evidence=rng.choice(
                [
                    f"Rated outstanding for {area.name.lower()} at the last CQC inspection.",
                    f"Sustained top-quartile results in {area.name.lower()} for three years.",
                    f"Has supported two other trusts with {area.name.lower()} improvement.",
                    f"National award for {area.name.lower()} work.",
                ]
            ),
        )
    if trust.improvement_status != Trust.ImprovementStatus.NONE:
        need_count = rng.randint(3, 5)
    else:
        need_count = rng.choice([0, 0, 1, 2]) if not strong else 0
    recorded = dt.datetime.combine(today, dt.time(9, 0), tzinfo=dt.UTC) - dt.timedelta(days=rng.randint(5, 120))
    for position, area in enumerate(rng.sample(relevant, k=min(need_count, len(relevant)))):
        ImprovementNeed.objects.create(
            trust=trust,
            area=area,
            priority=ImprovementNeed.Priority.HIGH if position < 2 else rng.choice([1, 2]),
            notes=f"Identified at inspection: {area.description[0].lower()}{area.description[1:]}",
            recorded_at=recorded,
        )


def _add_culture(rng: random.Random, trust: Trust, today: dt.date) -> None:
    archetype = rng.choice(list(CULTURE_ARCHETYPES))
    base, statement = CULTURE_ARCHETYPES[archetype]
    # Struggling trusts score lower across the board, as staff survey results show.
    shift = {
        Trust.CqcRating.OUTSTANDING: 0.4,
        Trust.CqcRating.GOOD: 0.1,
        Trust.CqcRating.REQUIRES_IMPROVEMENT: -0.3,
        Trust.CqcRating.INADEQUATE: -0.8,
        Trust.CqcRating.NOT_RATED: 0.0,
    }[Trust.CqcRating(trust.cqc_rating)]
    scores = {
        field: Decimal(str(round(min(10.0, max(0.0, value + shift + rng.gauss(0, 0.25))), 1)))
        for (field, _label), value in zip(CULTURE_DIMENSIONS, base, strict=True)
    }
    CultureProfile.objects.create(trust=trust, survey_year=today.year - 1, values_statement=statement, **scores)


def _create_accounts(trusts: list[Trust]) -> list[DemoAccount]:
    # The demo executive runs an acute trust in special measures: the typical supported trust.
    in_special_measures = [t for t in trusts if t.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES]
    supported = next(
        (t for t in in_special_measures if t.trust_type == Trust.TrustType.ACUTE_DISTRICT_GENERAL),
        in_special_measures[0],
    )
    accounts = []
    for username, role, trust, first, last in (
        ("regulator", User.Role.REGULATOR, None, "Rosa", "Regan"),
        ("executive", User.Role.TRUST_EXECUTIVE, supported, "Eddie", "Exeter"),
        ("admin", User.Role.ADMIN, None, "Ada", "Admin"),
    ):
        password = secrets.token_urlsafe(12)
        User.objects.create_user(
            username=username,
            password=password,
            role=role,
            trust=trust,
            first_name=first,
            last_name=last,
            email=f"{username}@example.nhs.uk",
            is_staff=role == User.Role.ADMIN,
            is_superuser=role == User.Role.ADMIN,
        )
        accounts.append(
            DemoAccount(
                username=username,
                password=password,
                role=role.label,
                trust_name=trust.name if trust else "",
                note="a trust in special measures, supported by a buddy" if trust else "",
            )
        )
    return accounts


def _open_buddy_of(trust_id: int) -> Trust | None:
    """The buddy trust of `trust`'s open arrangement, asked of the apps through their AppConfig.open_buddy_pairs
    hook (the arrangements app), as matching does: this module imports no app built on it."""
    buddies = sorted(
        buddy_id
        for config in apps.get_app_configs()
        if hasattr(config, "open_buddy_pairs")
        for supported_id, buddy_id in config.open_buddy_pairs()
        if supported_id == trust_id
    )
    return Trust.objects.filter(pk=buddies[0]).first() if buddies else None


def _buddy_executive_account(accounts: list[DemoAccount]) -> list[DemoAccount]:
    """A sign-in for the buddy's side of the demo executive's arrangement, so both sides can be walked.

    The arrangements demo gave the buddy trust an executive who signed its terms and has its notifications;
    that person gets the sign-in (username buddy-executive), so their inbox and signatures come with it.
    """
    executive = User.objects.filter(username="executive").first()
    own_trust = executive.trust if executive is not None else None
    buddy = _open_buddy_of(own_trust.pk) if own_trust is not None else None
    if own_trust is None or buddy is None:
        return []
    password = secrets.token_urlsafe(12)
    person = User.objects.filter(role=User.Role.TRUST_EXECUTIVE, trust=buddy).order_by("pk").first() or User(
        role=User.Role.TRUST_EXECUTIVE, trust=buddy
    )
    person.username, person.email = "buddy-executive", "buddy-executive@example.nhs.uk"
    person.first_name, person.last_name = "Bea", "Bennett"
    person.set_password(password)
    person.save()
    return [
        DemoAccount(
            username=person.username,
            password=password,
            role=User.Role.TRUST_EXECUTIVE.label,
            trust_name=buddy.name,
            note=f"the buddy of {own_trust.name}",
        )
    ]


def _km_between(first: Trust, second: Trust) -> float:
    """Great-circle distance, enough to choose demo candidates in matching's travel band (the demo trusts all have
    locations)."""
    lat1, lon1, lat2, lon2 = map(
        math.radians, (first.latitude or 0.0, first.longitude or 0.0, second.latitude or 0.0, second.longitude or 0.0)
    )
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


def _demo_relationships(rng: random.Random) -> None:
    """Known relationships, so the demo shows them: two confirmed ones between the demo executive's trust and strong
    trusts that could buddy it (its shortlist shows their bonus), one its buddy entered that waits for the demo
    executive to confirm, and a few informal arrangements between other trusts for the register."""
    executive = User.objects.filter(username="executive").select_related("trust").first()
    regulator = User.objects.filter(username="regulator").first()
    if executive is None or executive.trust is None:
        return
    supported = executive.trust
    need_areas = set(supported.needs.values_list("area_id", flat=True))
    strong = list(
        Trust.objects.filter(
            cqc_rating__in=[Trust.CqcRating.OUTSTANDING, Trust.CqcRating.GOOD],
            improvement_status=Trust.ImprovementStatus.NONE,
            oversight_segment__in=[1, 2],
        )
        .exclude(ics_id=supported.ics_id)
        .order_by("ods_code")
    )
    covering = set(
        TrustExpertise.objects.filter(area_id__in=need_areas, strength__gte=4).values_list("trust_id", flat=True)
    )
    candidates = [t for t in strong if t.pk in covering and 40 <= _km_between(supported, t) <= 130]
    now = timezone.now()
    made = []
    for candidate, kind, by_regulator in zip(
        candidates[:2],
        (TrustRelationship.Kind.LEADERS_WORKED_TOGETHER, TrustRelationship.Kind.INFORMAL_BUDDYING),
        (False, True),
        strict=False,
    ):
        first, second = TrustRelationship.pair(supported, candidate)
        made.append(
            TrustRelationship(
                trust_a=first,
                trust_b=second,
                kind=kind,
                description="The chief executives trained together."
                if kind == TrustRelationship.Kind.LEADERS_WORKED_TOGETHER
                else "Monthly calls between the chief nurses since a joint quality summit.",
                status=TrustRelationship.Status.CONFIRMED,
                entered_for=None if by_regulator else supported,
                entered_by=regulator if by_regulator else executive,
                entered_at=now - dt.timedelta(days=40),
                answered_by=regulator if by_regulator else None,
                answered_at=now - dt.timedelta(days=38),
            )
        )
    buddy = _open_buddy_of(supported.pk)
    if buddy is not None:
        first, second = TrustRelationship.pair(supported, buddy)
        made.append(
            TrustRelationship(
                trust_a=first,
                trust_b=second,
                kind=TrustRelationship.Kind.LEARNING,
                description="Shared learning on maternity safety, before the formal arrangement.",
                entered_for=buddy,
                entered_by=User.objects.filter(username="buddy-executive").first(),
                entered_at=now - dt.timedelta(days=2),
            )
        )
    others = [t for t in strong if t.pk != supported.pk and (buddy is None or t.pk != buddy.pk)]
    Kind = TrustRelationship.Kind
    for kind in (Kind.LEARNING, Kind.INFORMAL_BUDDYING, Kind.SHARED_NETWORK):
        one, other = rng.sample(others, 2)
        first, second = TrustRelationship.pair(one, other)
        made.append(
            TrustRelationship(
                trust_a=first,
                trust_b=second,
                kind=kind,
                status=TrustRelationship.Status.CONFIRMED,
                entered_by=regulator,
                entered_at=now - dt.timedelta(days=100),
                answered_by=regulator,
                answered_at=now - dt.timedelta(days=100),
                started_on=dt.date(2024, 4, 1),
            )
        )
    for relationship in made:
        relationship.save()  # one by one, so each has its history


def _demo_invitation() -> None:
    """One invitation waiting on the demo executive's People page. Its email was never sent: "Send again" there
    emails a new link (printed in the console by `make run`), to try signing up."""
    executive = User.objects.filter(username="executive").first()
    if executive is None:
        return
    now = timezone.now()
    invitation = SignupInvitation(
        email="priya.shah@example.nhs.uk",
        first_name="Priya",
        last_name="Shah",
        role=User.Role.TRUST_EXECUTIVE,
        trust=executive.trust,
        created_by=executive,
        created_at=now,
        sent_at=now,
        emailed_at=now,
        expires_at=now + dt.timedelta(days=settings.SIGNUP_INVITATION_DAYS),
    )
    invitation.new_link()
    invitation.save()


def _people_without_sign_in(accounts: list[DemoAccount]) -> list[DemoAccount]:
    """Every other person the demo made (executives of the other trusts in arrangements), with no password yet."""
    printed = {account.username for account in accounts}
    return [
        DemoAccount(
            username=user.username,
            password="",
            role=user.get_role_display(),
            trust_name=user.trust.name if user.trust else "",
            email=user.email,
        )
        for user in User.objects.exclude(username__in=printed).select_related("trust").order_by("username")
    ]
