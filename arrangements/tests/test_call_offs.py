"""Framework call-offs: only a mutual yes becomes a proposed arrangement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from arrangements import services
from arrangements.models import Arrangement, CallOff
from arrangements.services import ArrangementError, BuddySpec
from buddying.models import Notification
from buddying.tests.factories import ExecutiveFactory, TrustFactory
from matching import services as pool
from matching.models import PoolApplication

pytestmark = pytest.mark.django_db


def live_pool(*, name, members, regulator, finance):
    """A live framework (finance its only lot) with these trusts accredited as members, through the services."""
    framework = pool.framework_create(
        by=regulator,
        name=name,
        term_start=dt.date(2026, 1, 1),
        term_end=dt.date(2029, 1, 1),
        lots=[finance],
        fees={"superbuddy": Decimal(100_000)},
    )
    framework = pool.framework_advance(framework=framework, by=regulator)
    applications = [
        pool.pool_application_submit(
            framework=framework,
            trust=trust,
            by=regulator,
            route="nominated",
            max_concurrent_arrangements=2,
            senior_staff_days_per_month=Decimal(6),
            max_travel_minutes=180,
            incentive="no-fee",
            services=[],
            offered=[(finance, 5, "Best in class")],
        )
        for trust in members
    ]
    while framework.status != "live":
        framework = pool.framework_advance(framework=framework, by=regulator)
    for application in applications:
        pool.pool_application_accredit(application=application, by=regulator, until=dt.date(2028, 12, 31))
    return framework


def start_call_off(*, supported, framework, by, buddy):
    """A minimal call-off inviting one buddy, for the tests of who may call off whom."""
    return services.call_off_create(
        supported=supported,
        framework=framework,
        title="T",
        tier="targeted",
        by=by,
        invitations=[BuddySpec(buddy=buddy)],
    )


@pytest.fixture
def live_framework(regulator, finance, buddy_trust):
    return live_pool(name="Framework", members=[buddy_trust], regulator=regulator, finance=finance)


@pytest.fixture
def call_off(own_trust, buddy_trust, regulator, live_framework, executive, buddy_executive):
    return services.call_off_create(
        supported=own_trust,
        framework=live_framework,
        title="Financial recovery",
        tier="superbuddy",
        by=regulator,
        invitations=[BuddySpec(buddy=buddy_trust)],
    )


def test_a_mutual_yes_proposes_the_arrangement(call_off, executive, buddy_executive):
    services.invitation_respond(invitation=call_off.invitations.get(), by=buddy_executive, accept=True)
    assert not Arrangement.objects.exists()  # the trust itself has not said yes yet
    services.call_off_respond_supported(call_off=call_off, by=executive, accept=True)
    call_off.refresh_from_db()
    arrangement = call_off.arrangement
    assert (call_off.status, arrangement.status, arrangement.origin) == ("agreed", "proposed", "framework-call-off")
    assert [(b.buddy.ods_code, b.role, b.from_pool) for b in arrangement.buddies.all()] == [("RC3", "lead", True)]


def test_the_trust_saying_no_cancels_the_call_off(call_off, executive, buddy_executive):
    services.invitation_respond(invitation=call_off.invitations.get(), by=buddy_executive, accept=True)
    services.call_off_respond_supported(
        call_off=call_off, by=executive, accept=False, reason="We want to choose our own"
    )
    call_off.refresh_from_db()
    assert call_off.status == "cancelled"
    assert not Arrangement.objects.exists()


def test_a_buddy_declining_leaves_room_to_invite_another(
    call_off, executive, buddy_executive, regulator, live_framework, finance
):
    services.call_off_respond_supported(call_off=call_off, by=executive, accept=True)
    with pytest.raises(ArrangementError, match="Say why"):
        services.invitation_respond(invitation=call_off.invitations.get(), by=buddy_executive, accept=False)
    services.invitation_respond(
        invitation=call_off.invitations.get(), by=buddy_executive, accept=False, reason="No capacity"
    )
    assert CallOff.objects.get(pk=call_off.pk).status == "inviting"
    outsider = TrustFactory(ods_code="RZ9")
    with pytest.raises(ArrangementError, match="not an accredited member of the Framework pool"):
        services.call_off_invite_more(call_off=call_off, by=regulator, invitations=[BuddySpec(buddy=outsider)])


def test_only_pool_members_can_be_called_off(own_trust, regulator, live_framework):
    with pytest.raises(ArrangementError, match="not an accredited member of the Framework pool"):
        start_call_off(supported=own_trust, framework=live_framework, by=regulator, buddy=TrustFactory(ods_code="RZ8"))
    assert not CallOff.objects.exists()


def test_only_regulator_staff_call_off_and_only_the_invited_answer(
    call_off, own_trust, buddy_trust, executive, other_executive, live_framework
):
    with pytest.raises(ArrangementError, match="Only regulator staff"):
        start_call_off(supported=own_trust, framework=live_framework, by=executive, buddy=buddy_trust)
    with pytest.raises(ArrangementError, match="Only an executive of the invited trust"):
        services.invitation_respond(invitation=call_off.invitations.get(), by=other_executive, accept=True)
    with pytest.raises(ArrangementError, match="Only an executive of the supported trust"):
        services.call_off_respond_supported(call_off=call_off, by=other_executive, accept=True)


def test_invitations_and_answers_are_notified(call_off, buddy_executive):
    assert Notification.objects.filter(recipient=buddy_executive, subject__startswith="Invitation to buddy").exists()
    services.invitation_respond(invitation=call_off.invitations.get(), by=buddy_executive, accept=True)
    assert Notification.objects.filter(
        recipient__username="regulator", subject__contains="accepted the invitation"
    ).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("regulator", 200), ("executive", 200), ("other_executive", 404), ("admin", 200)],
)
def test_call_off_page_permissions(client, persona, call_off, who, status):
    if persona[who] is not None:
        client.force_login(persona[who])
    assert client.get(reverse("arrangements:call-off", args=[call_off.pk])).status_code == status


def test_the_invited_executive_answers_on_the_page(client, call_off, buddy_executive):
    client.force_login(buddy_executive)
    assert client.get(reverse("arrangements:call-off", args=[call_off.pk])).status_code == 200
    page = client.post(
        reverse("arrangements:call-off", args=[call_off.pk]), {"answer": "decline", "reason": ""}
    ).content.decode()
    assert "Say why your trust declines" in page
    client.post(reverse("arrangements:call-off", args=[call_off.pk]), {"answer": "accept"})
    assert call_off.invitations.get().status == "accepted"


def test_only_regulator_staff_open_the_call_off_page(client, executive):
    client.force_login(executive)
    assert client.get(reverse("arrangements:call-off-new")).status_code == 404


def test_a_second_executive_of_the_buddy_sees_the_invitation(call_off, buddy_trust, client):
    second = ExecutiveFactory(username="second", trust=buddy_trust)
    client.force_login(second)
    page = client.get(reverse("arrangements:invitations")).content.decode()
    assert "Financial recovery" in page


def test_a_member_of_another_framework_is_not_called_off_under_this_one(own_trust, regulator, live_framework, finance):
    elsewhere = TrustFactory(ods_code="RY7", name="Elsewhere Hospitals NHS Trust")
    live_pool(name="Other framework", members=[elsewhere], regulator=regulator, finance=finance)
    with pytest.raises(ArrangementError, match="not an accredited member of the Framework pool"):
        start_call_off(supported=own_trust, framework=live_framework, by=regulator, buddy=elsewhere)
    assert not CallOff.objects.exists()


def test_no_call_off_under_a_framework_that_is_not_live(own_trust, buddy_trust, regulator, live_framework):
    expired = pool.framework_advance(framework=live_framework, by=regulator)
    with pytest.raises(ArrangementError, match="Framework is not live"):
        start_call_off(supported=own_trust, framework=expired, by=regulator, buddy=buddy_trust)


def test_inviting_another_member_tells_them_and_keeps_the_areas_they_would_lead(
    call_off, regulator, live_framework, finance
):
    second = TrustFactory(ods_code="RX5", name="Second Hospitals NHS Trust")
    second_executive = ExecutiveFactory(username="second-executive", trust=second)
    # A member accredited into the live pool (late joiners are accredited while it is live).
    PoolApplication.objects.create(
        framework=live_framework,
        trust=second,
        status="accredited",
        max_concurrent_arrangements=1,
        senior_staff_days_per_month=Decimal(2),
        max_travel_minutes=120,
        incentive="no-fee",
        accredited_on=dt.date(2026, 1, 1),
        accredited_until=dt.date(2028, 12, 31),
    )
    services.call_off_invite_more(
        call_off=call_off, by=regulator, invitations=[BuddySpec(buddy=second, role="issue-specific", areas=(finance,))]
    )
    invitation = call_off.invitations.get(trust=second)
    assert [area.slug for area in invitation.areas.all()] == ["finance"]
    told = Notification.objects.get(recipient=second_executive)
    assert told.subject == "Invitation to buddy Own Hospitals NHS Trust"
    with pytest.raises(ArrangementError, match="cannot buddy itself"):
        services.call_off_invite_more(
            call_off=call_off, by=regulator, invitations=[BuddySpec(buddy=call_off.supported)]
        )
