"""Past arrangements give pool readiness the need sets it draws for a trust at risk with no needs recorded."""

import pytest

from arrangements.models import Workstream
from arrangements.tests.factories import ArrangementBuddyFactory, ArrangementFactory
from buddying.tests.factories import ExpertiseAreaFactory
from matching import readiness_selectors
from matching.engine import Need

pytestmark = pytest.mark.django_db


def test_each_arrangement_gives_the_areas_of_its_workstreams_and_issue_specific_buddies():
    finance = ExpertiseAreaFactory(slug="finance", name="Finance")
    maternity = ExpertiseAreaFactory(slug="maternity", name="Maternity")
    first = ArrangementFactory()
    Workstream.objects.create(arrangement=first, area=finance, supported_lead="A", buddy_lead="B")
    buddy = ArrangementBuddyFactory(arrangement=first, role="issue-specific")
    buddy.areas.add(maternity)
    second = ArrangementFactory()
    Workstream.objects.create(arrangement=second, area=maternity, supported_lead="A", buddy_lead="B")
    ArrangementFactory()  # no areas: gives nothing to draw

    assert readiness_selectors.need_library() == [
        (Need("finance", 2), Need("maternity", 2)),
        (Need("maternity", 2),),
    ]
