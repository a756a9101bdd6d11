"""A small registry with real geography for matching tests: one trust in need and candidates around England."""

import pytest

from buddying.models import Trust
from buddying.tests.factories import (
    CultureProfileFactory,
    ExpertiseAreaFactory,
    ImprovementNeedFactory,
    IntegratedCareSystemFactory,
    ServiceLineFactory,
    TrustExpertiseFactory,
    TrustFactory,
)
from matching.tests.factories import BuddyCapacityFactory

# (ODS code, name, latitude, longitude): real town centres.
PLACES = {
    "supported": ("RS9", "Southbank Hospitals NHS Trust", 51.4980, -0.1189),  # London SE1
    "neighbour": ("RN1", "Next Door Hospitals NHS Trust", 51.4683, -0.0935),  # London SE5, 4 km away
    "oxford": ("RX1", "Oxford Example NHS Foundation Trust", 51.7520, -1.2577),  # ~83 km
    "southampton": ("RX2", "Southampton Example NHS Foundation Trust", 50.9097, -1.4044),  # ~110 km
    "newcastle": ("RX3", "Newcastle Example NHS Foundation Trust", 54.9783, -1.6178),  # ~400 km
}


@pytest.fixture
def areas(db):
    maternity_service = ServiceLineFactory(slug="maternity", name="Maternity")
    return {
        "finance": ExpertiseAreaFactory(slug="finance", name="Finance"),
        "maternity": ExpertiseAreaFactory(slug="maternity", name="Maternity", requires_service=maternity_service),
        "maternity_service": maternity_service,
    }


@pytest.fixture
def registry(areas):
    london = IntegratedCareSystemFactory(code="QKK", name="South East London")
    trusts = {}
    for key, (code, name, latitude, longitude) in PLACES.items():
        trusts[key] = TrustFactory(
            ods_code=code,
            name=name,
            latitude=latitude,
            longitude=longitude,
            ics=london if key in {"supported", "neighbour"} else None,
        )
        CultureProfileFactory(trust=trusts[key])
        BuddyCapacityFactory(trust=trusts[key])
    supported = trusts["supported"]
    supported.improvement_status = Trust.ImprovementStatus.SPECIAL_MEASURES
    supported.improvement_status_since = "2025-07-16"
    supported.cqc_rating = Trust.CqcRating.INADEQUATE
    supported.save()
    ImprovementNeedFactory(trust=supported, area=areas["finance"], priority=3)
    ImprovementNeedFactory(trust=supported, area=areas["maternity"], priority=2)
    for key, strength in (("oxford", 5), ("southampton", 3), ("newcastle", 5), ("neighbour", 5)):
        TrustExpertiseFactory(trust=trusts[key], area=areas["finance"], strength=strength)
    TrustExpertiseFactory(trust=trusts["southampton"], area=areas["maternity"], strength=5)
    trusts["southampton"].services.add(areas["maternity_service"])
    return trusts
