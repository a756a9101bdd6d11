import datetime as dt

import factory

from arrangements.models import Arrangement, ArrangementBuddy
from buddying.tests.factories import ModelFactory, TrustFactory


class ArrangementFactory(ModelFactory[Arrangement]):
    class Meta:
        model = Arrangement

    supported = factory.SubFactory(TrustFactory)
    title = "Maternity safety and board governance"
    origin = Arrangement.Origin.REGULATOR_SUGGESTED
    tier = Arrangement.Tier.TARGETED
    planned_start = dt.date(2026, 12, 1)
    planned_end = dt.date(2027, 11, 30)


class ArrangementBuddyFactory(ModelFactory[ArrangementBuddy]):
    class Meta:
        model = ArrangementBuddy

    arrangement = factory.SubFactory(ArrangementFactory)
    buddy = factory.SubFactory(TrustFactory)
    supported = factory.SelfAttribute("arrangement.supported")
