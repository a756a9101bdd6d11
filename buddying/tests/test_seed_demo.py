import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.urls import reverse

from buddying.models import Region, Trust, User

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_the_demo_registry_is_realistic_across_regions_types_and_statuses():
    output = seed()
    trusts = Trust.objects.all()
    assert 190 <= trusts.count() <= 210
    assert set(trusts.values_list("region", flat=True)) == set(Region.values)
    assert set(trusts.values_list("trust_type", flat=True)) == set(Trust.TrustType.values)
    statuses = Counter(trusts.values_list("improvement_status", flat=True))
    assert statuses[Trust.ImprovementStatus.SPECIAL_MEASURES] >= 5
    assert statuses[Trust.ImprovementStatus.NONE] > 100
    assert trusts.filter(cqc_rating=Trust.CqcRating.OUTSTANDING, expertise__strength=5).exists()
    assert not trusts.filter(latitude__isnull=True).exists()
    # Every trust in special measures has needs to match against; strong trusts have a culture profile too.
    assert not trusts.in_special_measures().filter(needs__isnull=True).exists()
    assert not trusts.filter(culture__isnull=True).exists()
    # Clearly fictional: none of the demo ODS codes is a real trust's (real ones start with R).
    assert not trusts.filter(ods_code__startswith="R").exists()
    assert "Demo registry created" in output


def test_one_account_per_role_is_printed_once_and_can_sign_in(client):
    output = seed()
    lines = [line for line in output.splitlines() if "username" in line]
    assert len(lines) == 3
    executive_line = next(line for line in lines if "username executive" in line)
    password = executive_line.rsplit("password ", 1)[1]
    # Through the sign-in page: the lockout backend counts attempts per client, so it needs the request.
    response = client.post(reverse("login"), {"username": "executive", "password": password})
    assert response.status_code == 302
    executive = User.objects.get(username="executive")
    assert executive.trust.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES
    assert set(User.objects.values_list("role", flat=True)) == set(User.Role.values)

    again = seed()
    assert "already has trusts" in again
    assert "password" not in again
    # Only the three printed accounts can sign in; other demo people have unusable passwords.
    assert [user.username for user in User.objects.order_by("username") if user.has_usable_password()] == [
        "admin",
        "executive",
        "regulator",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_same_seed_gives_the_same_registry():
    seed("--seed", "7")
    first = list(Trust.objects.order_by("ods_code").values_list("ods_code", "name", "cqc_rating", "latitude"))
    call_command("flush", interactive=False, verbosity=0)
    seed("--seed", "7")
    assert list(Trust.objects.order_by("ods_code").values_list("ods_code", "name", "cqc_rating", "latitude")) == first


def test_the_island_trust_adds_ferry_time_and_every_demo_trust_has_a_type():
    seed()
    trusts = Trust.objects.all()
    island = trusts.get(travel_adjustment_minutes__gt=0)  # the only one
    assert "Newport (Isle of Wight)" in island.name
    assert island.travel_adjustment_minutes == 60
    assert not trusts.type_not_known().exists()
    assert trusts.open().count() == trusts.count()
