import io
import re
from collections import Counter

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse

from buddying.models import Region, SignupInvitation, Trust, User

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


def _printed_accounts(output: str) -> dict[str, str]:
    """username -> password, from the lines seed_demo prints for accounts that can sign in."""
    return dict(re.findall(r"username (\S+), password (\S+)$", output, flags=re.MULTILINE))


def test_every_account_is_printed_once_with_its_role_and_trust_and_can_sign_in(client):
    output = seed()
    printed = _printed_accounts(output)
    assert set(printed) == {"regulator", "executive", "buddy-executive", "admin"}
    for username, password in printed.items():
        # Through the sign-in page: the lockout backend counts attempts per client, so it needs the request.
        response = client.post(reverse("login"), {"username": username, "password": password})
        assert response.status_code == 302, username
        client.logout()
    executive = User.objects.get(username="executive")
    buddy_executive = User.objects.get(username="buddy-executive")
    assert executive.trust.improvement_status == Trust.ImprovementStatus.SPECIAL_MEASURES
    assert f"Trust executive for {executive.trust.name}" in output
    assert f"Trust executive for {buddy_executive.trust.name} (the buddy of {executive.trust.name})" in output
    assert "Regulator staff: username regulator" in output
    assert "Admin: username admin" in output
    assert set(User.objects.values_list("role", flat=True)) == set(User.Role.values)
    # Every person the demo made is printed: the rest have no password and say so.
    for user in User.objects.all():
        assert (f"username {user.username}, password " in output) == user.has_usable_password(), user.username
        if not user.has_usable_password():
            assert f": username {user.username}, email {user.email}\n" in output + "\n"
    assert "They have no password yet" in output
    # Everyone has a name and an email.
    assert not User.objects.filter(first_name="").exists()
    assert not User.objects.filter(email="").exists()

    again = seed()
    assert "already has trusts" in again
    assert "password" not in again


def test_both_sides_of_the_demo_executives_arrangement_can_sign_in():
    seed()
    executive = User.objects.get(username="executive")
    buddy_executive = User.objects.get(username="buddy-executive")
    # Asked through the arrangements app's hook, as buddying never imports it.
    pairs = apps.get_app_config("arrangements").open_buddy_pairs()
    assert (executive.trust_id, buddy_executive.trust_id) in pairs
    # The buddy's executive is the person who signed its terms and was told of the arrangement.
    assert buddy_executive.notifications.exists()


def test_the_demo_executive_has_an_invitation_waiting():
    seed()
    invitation = SignupInvitation.objects.get()
    assert invitation.created_by.username == "executive"
    assert invitation.state == SignupInvitation.State.WAITING


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
