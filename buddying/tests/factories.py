"""Factories for the trust registry. Defaults make a valid, unremarkable trust in London."""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import factory
from django.db import models
from django.utils import timezone

from buddying.models import (
    CultureProfile,
    ExpertiseArea,
    ImprovementNeed,
    IntegratedCareSystem,
    Region,
    ServiceLine,
    SignupInvitation,
    Trust,
    TrustExpertise,
    User,
)

_M = TypeVar("_M", bound=models.Model)


class ModelFactory(factory.django.DjangoModelFactory[_M]):
    """A Django model factory whose call gives the model, for the type checker (factory_boy's is untyped)."""

    class Meta:
        abstract = True

    if TYPE_CHECKING:

        def __new__(cls, *args: Any, **kwargs: Any) -> _M: ...  # type: ignore[misc]


class IntegratedCareSystemFactory(ModelFactory[IntegratedCareSystem]):
    class Meta:
        model = IntegratedCareSystem

    code = factory.Sequence(lambda n: f"Q{n:02d}")
    name = factory.Sequence(lambda n: f"Test Integrated Care System {n}")
    region = Region.LONDON


class ServiceLineFactory(ModelFactory[ServiceLine]):
    class Meta:
        model = ServiceLine
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


class ExpertiseAreaFactory(ModelFactory[ExpertiseArea]):
    class Meta:
        model = ExpertiseArea
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"area-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


_CODE_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Tests that name a code outright use R codes (own_trust is RA1), so the sequence keeps to T codes
# and reaches for R codes only if one test takes every T code.
_SEQUENCE_CODES = [f"T{a}{b}" for a in _CODE_CHARACTERS for b in _CODE_CHARACTERS]
_FALLBACK_CODES = [f"R{a}{b}" for a in _CODE_CHARACTERS for b in _CODE_CHARACTERS]


def _ods_code(n: int) -> str:
    """An unused trust code. Only 1,296 T codes exist and a test session makes more trusts than
    that, so the sequence wraps; skipping codes already taken keeps it from colliding (CI once
    failed on a second RA1 when the sequence wrapped onto a fixture's named code)."""
    start = n % len(_SEQUENCE_CODES)
    for code in _SEQUENCE_CODES[start:] + _SEQUENCE_CODES[:start] + _FALLBACK_CODES:
        if not Trust.objects.filter(ods_code=code).exists():
            return code
    raise RuntimeError("every trust code is taken")


class TrustFactory(ModelFactory[Trust]):
    class Meta:
        model = Trust

    ods_code = factory.Sequence(_ods_code)
    name = factory.Sequence(lambda n: f"Test Hospitals {n} NHS Trust")
    trust_type = Trust.TrustType.ACUTE_DISTRICT_GENERAL
    region = Region.LONDON
    latitude = 51.4980
    longitude = -0.1189
    postcode = "SE1 7EH"
    cqc_rating = Trust.CqcRating.GOOD
    oversight_segment = 2

    class Params:
        in_special_measures = factory.Trait(
            improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES,
            improvement_status_since=factory.Faker("date_between", start_date="-2y", end_date="-30d"),
            cqc_rating=Trust.CqcRating.INADEQUATE,
            oversight_segment=4,
        )


class TrustExpertiseFactory(ModelFactory[TrustExpertise]):
    class Meta:
        model = TrustExpertise

    trust = factory.SubFactory(TrustFactory)
    area = factory.SubFactory(ExpertiseAreaFactory)
    strength = 4
    evidence = "Rated outstanding at the last inspection."


class ImprovementNeedFactory(ModelFactory[ImprovementNeed]):
    class Meta:
        model = ImprovementNeed

    trust = factory.SubFactory(TrustFactory)
    area = factory.SubFactory(ExpertiseAreaFactory)
    priority = ImprovementNeed.Priority.HIGH
    notes = "Found at inspection."


class CultureProfileFactory(ModelFactory[CultureProfile]):
    class Meta:
        model = CultureProfile

    trust = factory.SubFactory(TrustFactory)
    survey_year = 2025
    compassionate_inclusive = Decimal("7.2")
    recognised_rewarded = Decimal("5.9")
    voice_that_counts = Decimal("6.7")
    safe_healthy = Decimal("6.0")
    always_learning = Decimal("5.6")
    work_flexibly = Decimal("6.2")
    team = Decimal("6.8")
    staff_engagement = Decimal("6.9")
    morale = Decimal("5.9")
    values_statement = "Kind, safe and always learning."


class UserFactory(ModelFactory[User]):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.nhs.uk")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    role = User.Role.REGULATOR
    trust: Any = None  # ExecutiveFactory makes one
    password = factory.django.Password("correct horse battery staple")


class RegulatorFactory(UserFactory):
    role = User.Role.REGULATOR


class ExecutiveFactory(UserFactory):
    role = User.Role.TRUST_EXECUTIVE
    trust = factory.SubFactory(TrustFactory)


class AdminFactory(UserFactory):
    role = User.Role.ADMIN
    is_staff = True
    is_superuser = True


class SignupInvitationFactory(ModelFactory[SignupInvitation]):
    """A waiting invitation to be an executive; `invitation.token` is its link's token."""

    class Meta:
        model = SignupInvitation

    nonce = factory.Sequence(lambda n: f"test-nonce-{n}")
    token_hash = factory.LazyAttribute(lambda o: SignupInvitation.hash_token(SignupInvitation.token_for(o.nonce)))
    email = factory.Sequence(lambda n: f"invitee{n}@example.nhs.uk")
    first_name = "Ivy"
    last_name = factory.Sequence(lambda n: f"Invitee{n}")
    role = User.Role.TRUST_EXECUTIVE
    trust = factory.SubFactory(TrustFactory)
    created_by = factory.SubFactory(RegulatorFactory)
    sent_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyAttribute(lambda o: o.sent_at)
    expires_at = factory.LazyAttribute(lambda o: o.sent_at + dt.timedelta(days=7))
    emailed_at = factory.LazyAttribute(lambda o: o.sent_at)
