import pytest
from django.db import IntegrityError, transaction

from buddying.tests.factories import TrustFactory
from matching.models import MatchRun
from matching.tests.factories import BuddyCapacityFactory, VetoFactory

pytestmark = pytest.mark.django_db


def test_models_read_well_as_text():
    trust = TrustFactory(ods_code="RA1")
    assert str(BuddyCapacityFactory(trust=trust, max_concurrent_arrangements=3, active_arrangements=1)) == (
        "RA1: 1 of 3 places, 0 of 8 days a month"
    )
    assert str(VetoFactory(supported=trust, vetoed=TrustFactory(ods_code="RB1"))) == "RA1 vetoes RB1"
    run = MatchRun.objects.create(kind="shortlist", supported=trust, settings={}, inputs={}, status="done")
    assert str(run) == "Shortlist for RA1 (done)"
    assert run.get_absolute_url() == f"/matching/runs/{run.pk}/"
    wave = MatchRun.objects.create(kind="wave", settings={}, inputs={"trusts": ["RA1", "RB1"]})
    assert str(wave) == "Wave allocation for 2 trusts (waiting to start)"


def test_a_trust_cannot_veto_itself_or_the_same_trust_twice():
    trust, other = TrustFactory(), TrustFactory()
    with pytest.raises(IntegrityError, match="veto_not_self"), transaction.atomic():
        VetoFactory(supported=trust, vetoed=trust)
    VetoFactory(supported=trust, vetoed=other)
    with pytest.raises(IntegrityError, match="veto_once_per_pair"), transaction.atomic():
        VetoFactory(supported=trust, vetoed=other)


def test_a_shortlist_run_must_name_its_trust():
    with pytest.raises(IntegrityError, match="match_run_single_trust_has_trust"), transaction.atomic():
        MatchRun.objects.create(kind="shortlist", settings={}, inputs={})
