"""One selector decides who is told (`people_to_notify`), and the sets of arrangement states are named once."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from arrangements import models
from arrangements.models import Arrangement
from arrangements.notifications import EVERY_PARTY, TRUSTS, people_to_notify
from arrangements.permissions import BUDDY, REGULATOR, SUPPORTED
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory

pytestmark = pytest.mark.django_db


def names(people):
    return {person.username for person in people}


def test_everyone_in_the_arrangement_and_regulator_staff_are_told_but_not_whoever_made_the_change(
    arrangement, executive, buddy_executive, regulator, other_executive, admin_user
):
    assert names(people_to_notify(arrangement)) == {"executive", "buddy-executive", "regulator"}
    assert names(people_to_notify(arrangement, exclude=executive)) == {"buddy-executive", "regulator"}


def test_the_sides_told_can_be_chosen(arrangement, executive, buddy_executive, regulator):
    assert names(people_to_notify(arrangement, parties=TRUSTS)) == {"executive", "buddy-executive"}
    assert names(people_to_notify(arrangement, parties={SUPPORTED})) == {"executive"}
    assert names(people_to_notify(arrangement, parties={BUDDY, REGULATOR})) == {"buddy-executive", "regulator"}
    assert names(people_to_notify(arrangement, parties=set())) == set()


def test_only_the_trusts_named_are_told(arrangement, executive, buddy_executive, buddy_trust, regulator):
    only_buddy = people_to_notify(arrangement, parties=EVERY_PARTY, trusts=[buddy_trust.pk])
    assert names(only_buddy) == {"buddy-executive", "regulator"}
    # A trust that is not in the arrangement is never told, even if named.
    assert names(people_to_notify(arrangement, parties=TRUSTS, trusts=[999_999])) == set()


def test_every_executive_of_a_trust_is_told_but_not_people_who_have_left(arrangement, own_trust, executive):
    ExecutiveFactory(username="second", trust=own_trust)
    ExecutiveFactory(username="left", trust=own_trust, is_active=False)
    RegulatorFactory(username="retired-regulator", is_active=False)
    assert names(people_to_notify(arrangement, parties={SUPPORTED, REGULATOR})) == {"executive", "second", "regulator"}


def test_a_constant_number_of_queries_whatever_the_number_of_people(arrangement, own_trust, django_assert_num_queries):
    for n in range(5):
        ExecutiveFactory(username=f"exec-{n}", trust=own_trust)
    arrangement = Arrangement.objects.prefetch_related("buddies").get(pk=arrangement.pk)
    with django_assert_num_queries(1):
        people_to_notify(arrangement)


# Status sets, named once ------------------------------------------------------------------------------------------


def test_the_status_sets_say_what_they_mean():
    every = set(Arrangement.Status.values)
    assert set(models.OPEN_STATUSES) | set(models.CLOSED_STATUSES) == every
    assert not set(models.OPEN_STATUSES) & set(models.CLOSED_STATUSES)
    assert set(models.OPEN_STATUSES) == set(models.SETTING_UP_STATUSES) | set(models.RUNNING_STATUSES)
    assert set(models.COMMITTED_STATUSES) == {"agreed"} | set(models.RUNNING_STATUSES)
    assert set(models.ENDED_STATUSES) == set(models.CLOSED_STATUSES) - {"declined"}


STATUS = "(?:proposed|agreed|active|paused|completed|declined|terminated)"
# Two or more arrangement states written out together: a set that should be one of the named ones.
HARD_CODED = re.compile(rf"""[\[({{]\s*["']{STATUS}["']\s*,\s*["']{STATUS}["']""")


def test_no_code_writes_out_a_set_of_arrangement_states_again():
    base = Path(settings.BASE_DIR)
    found = []
    for folder in ("arrangements", "reports", "bench"):
        for path in (base / folder).rglob("*.py"):
            if "migrations" in path.parts or "tests" in path.parts:
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if HARD_CODED.search(line) and "CheckConstraint" not in line:
                    found.append(f"{path.relative_to(base)}:{number}: {line.strip()}")
    for path in [
        *(base / "templates" / "arrangements").rglob("*.html"),
        *(base / "templates" / "reports").rglob("*.html"),
    ]:
        text = path.read_text()
        if re.search(rf"""status == ["']{STATUS}["'] or [a-z.]*status == ["']{STATUS}["']""", text):
            found.append(str(path.relative_to(base)))
    assert not found, "Use the named status sets in arrangements.models:\n" + "\n".join(found)
