import factory

from buddying.tests.factories import ModelFactory, TrustFactory
from matching.models import BuddyCapacity, Veto


class BuddyCapacityFactory(ModelFactory[BuddyCapacity]):
    class Meta:
        model = BuddyCapacity
        django_get_or_create = ("trust",)

    trust = factory.SubFactory(TrustFactory)
    max_concurrent_arrangements = 2
    senior_staff_days_per_month = 8
    active_arrangements = 0
    staff_days_committed = 0


class VetoFactory(ModelFactory[Veto]):
    class Meta:
        model = Veto

    supported = factory.SubFactory(TrustFactory)
    vetoed = factory.SubFactory(TrustFactory)
    reason = "A poor fit before."
