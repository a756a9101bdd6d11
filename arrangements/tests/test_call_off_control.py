"""Call-offs the regulator controls: invite any pool member (with its fit shown), withdraw, chase, set a reply-by date,
record an answer given by phone, cancel with a reason, and go ahead once the trust and one buddy have said yes."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from arrangements import reminders, services
from arrangements.models import Arrangement, CallOff, CallOffEvent, CallOffReminder, Invitation
from arrangements.services import ArrangementError, BuddySpec, CallOffAlreadyOpen
from arrangements.tests.test_call_offs import live_pool
from buddying.models import Notification
from buddying.tests.factories import AdminFactory, ExecutiveFactory, RegulatorFactory, TrustFactory
from matching.tests import conftest as matching_fixtures

pytestmark = pytest.mark.django_db

# The small registry with real geography the matching tests use, so the fit check has real travel to show.
areas, registry = matching_fixtures.areas, matching_fixtures.registry


@pytest.fixture
def people(registry):
    """Regulator staff, the supported trust's executive (Sam), Oxford's (Otto) and Southampton's (Sue); Newcastle and
    the neighbour have no one registered. An executive of a trust outside the call-off, and an admin."""
    return {
        "rosa": RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan"),
        "sam": ExecutiveFactory(username="sam", trust=registry["supported"]),
        "otto": ExecutiveFactory(username="otto", trust=registry["oxford"]),
        "sue": ExecutiveFactory(username="sue", trust=registry["southampton"]),
        "outsider": ExecutiveFactory(
            username="outsider", trust=TrustFactory(ods_code="RZZ", name="Far Away NHS Trust")
        ),
        "admin": AdminFactory(username="admin"),
    }


@pytest.fixture
def framework(registry, areas, people):
    members = [registry[key] for key in ("oxford", "southampton", "newcastle", "neighbour")]
    return live_pool(name="Superbuddy framework", members=members, regulator=people["rosa"], finance=areas["finance"])


@pytest.fixture
def call_off(registry, framework, people):
    """Oxford (to lead) and Southampton invited for the supported trust; nobody has answered."""
    return services.call_off_create(
        supported=registry["supported"],
        framework=framework,
        title="Financial recovery",
        tier="superbuddy",
        by=people["rosa"],
        invitations=[
            BuddySpec(buddy=registry["oxford"]),
            BuddySpec(buddy=registry["southampton"], role="issue-specific"),
        ],
    )


def told(user, containing):
    return Notification.objects.filter(recipient=user, subject__contains=containing).count()


# Going ahead -------------------------------------------------------------------------------------------------------


def test_the_regulator_goes_ahead_once_the_trust_and_one_buddy_said_yes_and_the_rest_are_withdrawn_and_told(
    call_off, people, registry
):
    services.invitation_respond(
        invitation=call_off.invitations.get(trust=registry["oxford"]), by=people["otto"], accept=True
    )
    with pytest.raises(ArrangementError, match="Southbank Hospitals NHS Trust has not said yes"):
        services.call_off_go_ahead(call_off=call_off, by=people["rosa"])
    services.call_off_respond_supported(call_off=call_off, by=people["sam"], accept=True)
    assert CallOff.objects.get(pk=call_off.pk).status == "inviting"  # Southampton never answered

    services.call_off_go_ahead(call_off=call_off, by=people["rosa"])

    call_off.refresh_from_db()
    assert call_off.status == "agreed"
    assert [(b.buddy.ods_code, b.role) for b in call_off.arrangement.buddies.all()] == [("RX1", "lead")]
    southampton = call_off.invitations.get(trust=registry["southampton"])
    assert southampton.status == "withdrawn"
    assert told(people["sue"], "Invitation withdrawn") == 1
    assert CallOffEvent.objects.filter(call_off=call_off, title="Went ahead with those who said yes").exists()


def test_going_ahead_needs_a_buddy_who_said_yes(call_off, people, registry):
    services.call_off_respond_supported(call_off=call_off, by=people["sam"], accept=True)
    services.invitation_respond(
        invitation=call_off.invitations.get(trust=registry["oxford"]), by=people["otto"], accept=False, reason="Full"
    )
    with pytest.raises(ArrangementError, match="No invited buddy has said yes yet"):
        services.call_off_go_ahead(call_off=call_off, by=people["rosa"])
    assert not Arrangement.objects.exists()


def test_the_issue_specific_buddy_leads_when_it_is_the_only_one_to_say_yes(call_off, people, registry):
    services.call_off_respond_supported(call_off=call_off, by=people["sam"], accept=True)
    services.invitation_respond(
        invitation=call_off.invitations.get(trust=registry["southampton"]), by=people["sue"], accept=True
    )
    services.call_off_go_ahead(call_off=call_off, by=people["rosa"])
    call_off.refresh_from_db()
    assert [(b.buddy.ods_code, b.role) for b in call_off.arrangement.buddies.all()] == [("RX2", "lead")]


# Withdrawing, chasing, reply-by dates, cancelling -------------------------------------------------------------------


def test_a_withdrawn_invitation_tells_the_trust_and_can_be_sent_again(call_off, people, registry):
    invitation = call_off.invitations.get(trust=registry["southampton"])
    with pytest.raises(ArrangementError, match="Say why the invitation to Southampton"):
        services.invitation_withdraw(invitation=invitation, by=people["rosa"], reason=" ")
    services.invitation_withdraw(invitation=invitation, by=people["rosa"], reason="Maternity is covered elsewhere")
    invitation.refresh_from_db()
    assert (invitation.status, invitation.reason) == ("withdrawn", "Maternity is covered elsewhere")
    assert told(people["sue"], "Invitation withdrawn") == 1
    with pytest.raises(ArrangementError, match="already withdrawn"):
        services.invitation_respond(invitation=invitation, by=people["sue"], accept=True)

    services.call_off_invite_more(
        call_off=call_off, by=people["rosa"], invitations=[BuddySpec(buddy=registry["southampton"])]
    )
    invitation.refresh_from_db()
    assert invitation.status == "pending"


def test_withdrawing_the_last_unanswered_invitation_settles_the_call_off(call_off, people, registry):
    services.call_off_respond_supported(call_off=call_off, by=people["sam"], accept=True)
    services.invitation_respond(
        invitation=call_off.invitations.get(trust=registry["oxford"]), by=people["otto"], accept=True
    )
    services.invitation_withdraw(
        invitation=call_off.invitations.get(trust=registry["southampton"]), by=people["rosa"], reason="No answer"
    )
    assert CallOff.objects.get(pk=call_off.pk).status == "agreed"


def test_chasing_sends_the_invitation_again_and_is_recorded(call_off, people, registry):
    before = told(people["sue"], "Invitation to buddy")
    assert services.call_off_chase(call_off=call_off, trust=registry["southampton"], by=people["rosa"]) == 1
    assert told(people["sue"], "Reminder: invitation to buddy") == 1
    assert told(people["sue"], "Invitation to buddy") == before
    event = CallOffEvent.objects.get(call_off=call_off, title="Southampton Example NHS Foundation Trust chased")
    assert (event.actor, event.trust) == (people["rosa"], registry["southampton"])


def test_a_trust_with_no_registered_executive_cannot_be_chased_but_its_answer_can_be_recorded(
    call_off, people, registry
):
    services.call_off_invite_more(
        call_off=call_off, by=people["rosa"], invitations=[BuddySpec(buddy=registry["newcastle"])]
    )
    with pytest.raises(ArrangementError, match="has no registered executive to chase: invite a user"):
        services.call_off_chase(call_off=call_off, trust=registry["newcastle"], by=people["rosa"])


def test_a_reply_by_date_cannot_be_in_the_past_and_tells_those_still_to_answer(
    call_off, people, registry, time_machine
):
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC))
    with pytest.raises(ArrangementError, match="today or in the future"):
        services.call_off_set_reply_by(call_off=call_off, by=people["rosa"], reply_by=dt.date(2027, 2, 28))
    services.invitation_respond(
        invitation=call_off.invitations.get(trust=registry["oxford"]), by=people["otto"], accept=True
    )
    services.call_off_set_reply_by(call_off=call_off, by=people["rosa"], reply_by=dt.date(2027, 3, 8))
    assert CallOff.objects.get(pk=call_off.pk).reply_by == dt.date(2027, 3, 8)
    assert told(people["sue"], "Please answer by 8 March 2027") == 1
    assert told(people["sam"], "Please answer by 8 March 2027") == 1
    assert told(people["otto"], "Please answer by") == 0  # Oxford has answered


def test_the_sweep_reminds_before_the_reply_by_date_once_and_reports_overdue_answers_once(
    call_off, people, registry, time_machine
):
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC))
    services.call_off_set_reply_by(call_off=call_off, by=people["rosa"], reply_by=dt.date(2027, 3, 8))
    services.invitation_respond(
        invitation=call_off.invitations.get(trust=registry["oxford"]), by=people["otto"], accept=True
    )
    Notification.objects.all().delete()

    reminders.reminders_sweep(today=dt.date(2027, 3, 4))  # more than 3 days before: nothing
    assert not Notification.objects.exists()
    for _ in range(2):  # twice: reminded once
        reminders.reminders_sweep(today=dt.date(2027, 3, 6))
    assert told(people["sue"], "Please answer by 8 March 2027") == 1
    assert told(people["sam"], "Please answer by 8 March 2027") == 1
    assert told(people["otto"], "Please answer by") == 0
    assert told(people["rosa"], "Please answer by") == 0

    for _ in range(2):
        reminders.reminders_sweep(today=dt.date(2027, 3, 9))
    assert told(people["rosa"], "Answer overdue: Southampton Example NHS Foundation Trust") == 1
    assert told(people["sue"], "Answer overdue") == 1
    assert CallOffReminder.objects.filter(kind="reply-overdue").count() == 2  # Southampton and the supported trust


def test_the_call_off_page_shows_who_is_overdue(client, call_off, people, registry, time_machine):
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC))
    services.call_off_set_reply_by(call_off=call_off, by=people["rosa"], reply_by=dt.date(2027, 3, 8))
    services.invitation_respond(
        invitation=call_off.invitations.get(trust=registry["oxford"]), by=people["otto"], accept=True
    )
    time_machine.move_to(dt.datetime(2027, 3, 9, 9, tzinfo=dt.UTC))
    client.force_login(people["rosa"])
    page = client.get(call_off.get_absolute_url()).content.decode()
    assert (
        "Overdue: Southbank Hospitals NHS Trust, Southampton Example NHS Foundation Trust did not answer by 8 March"
        in page
    )
    listing = client.get(reverse("arrangements:invitations")).content.decode()
    assert "Overdue" in listing


def test_cancelling_needs_a_reason_and_tells_everyone_asked(call_off, people, registry):
    with pytest.raises(ArrangementError, match="Say why the call-off is cancelled"):
        services.call_off_cancel(call_off=call_off, by=people["rosa"], reason="")
    services.invitation_respond(
        invitation=call_off.invitations.get(trust=registry["oxford"]), by=people["otto"], accept=True
    )
    services.call_off_cancel(call_off=call_off, by=people["rosa"], reason="The trust has merged")
    call_off.refresh_from_db()
    assert (call_off.status, call_off.cancelled_reason) == ("cancelled", "The trust has merged")
    assert call_off.invitations.get(trust=registry["southampton"]).status == "withdrawn"
    assert call_off.invitations.get(trust=registry["oxford"]).status == "accepted"
    for who in ("sam", "otto", "sue"):
        assert told(people[who], "Call-off cancelled") == 1
    with pytest.raises(ArrangementError, match="cancelled: it can no longer change"):
        services.call_off_chase(call_off=call_off, trust=registry["supported"], by=people["rosa"])


# Answers given by phone ---------------------------------------------------------------------------------------------


def test_an_answer_given_by_phone_is_recorded_with_who_recorded_it_for_whom_when_and_the_note(
    call_off, people, registry
):
    services.call_off_invite_more(
        call_off=call_off, by=people["rosa"], invitations=[BuddySpec(buddy=registry["newcastle"])]
    )
    with pytest.raises(ArrangementError, match="Write a note of the call"):
        services.call_off_record_answer(
            call_off=call_off, trust=registry["newcastle"], by=people["rosa"], accept=True, note=" "
        )
    services.call_off_record_answer(
        call_off=call_off,
        trust=registry["newcastle"],
        by=people["rosa"],
        accept=True,
        note="Dr N Castle, chief executive, by phone at 10am",
    )
    invitation = call_off.invitations.get(trust=registry["newcastle"])
    assert (invitation.status, invitation.recorded_by, invitation.responded_by) == ("accepted", people["rosa"], None)
    assert invitation.phone_note == "Dr N Castle, chief executive, by phone at 10am"
    assert invitation.responded_at is not None
    event = CallOffEvent.objects.get(call_off=call_off, trust=registry["newcastle"])
    assert event.actor == people["rosa"]
    assert event.title == "Answer given by phone recorded for Newcastle Example NHS Foundation Trust"
    assert "Dr N Castle, chief executive, by phone at 10am" in event.description
    assert told(people["sam"], "Newcastle Example NHS Foundation Trust accepted the invitation") == 1


def test_the_supported_trusts_answer_by_phone_can_settle_the_call_off(call_off, people, registry):
    for key, person in (("oxford", "otto"), ("southampton", "sue")):
        services.invitation_respond(
            invitation=call_off.invitations.get(trust=registry[key]), by=people[person], accept=True
        )
    services.call_off_record_answer(
        call_off=call_off, trust=registry["supported"], by=people["rosa"], accept=True, note="Chair, at the board"
    )
    call_off.refresh_from_db()
    assert (call_off.status, call_off.supported_recorded_by, call_off.supported_phone_note) == (
        "agreed",
        people["rosa"],
        "Chair, at the board",
    )
    with pytest.raises(ArrangementError, match="no longer change"):
        services.call_off_record_answer(
            call_off=call_off, trust=registry["supported"], by=people["rosa"], accept=False, reason="x", note="y"
        )


def test_only_regulator_staff_record_answers_on_a_trusts_behalf(call_off, people, registry):
    with pytest.raises(ArrangementError, match="Only regulator staff"):
        services.call_off_record_answer(
            call_off=call_off, trust=registry["oxford"], by=people["otto"], accept=True, note="Me"
        )
    assert call_off.invitations.get(trust=registry["oxford"]).status == "pending"


# Sending twice -----------------------------------------------------------------------------------------------------


def test_sending_the_same_invitations_twice_creates_one_call_off(call_off, people, registry, framework):
    with pytest.raises(CallOffAlreadyOpen, match="already waiting for answers") as refused:
        services.call_off_create(
            supported=registry["supported"],
            framework=framework,
            title="Financial recovery",
            tier="superbuddy",
            by=people["rosa"],
            invitations=[BuddySpec(buddy=registry["oxford"])],
        )
    assert refused.value.call_off == call_off
    assert CallOff.objects.count() == 1


def test_a_new_call_off_can_start_once_the_last_one_is_cancelled(call_off, people, registry, framework):
    services.call_off_cancel(call_off=call_off, by=people["rosa"], reason="Start again")
    second = services.call_off_create(
        supported=registry["supported"],
        framework=framework,
        title="Financial recovery",
        tier="superbuddy",
        by=people["rosa"],
        invitations=[BuddySpec(buddy=registry["oxford"])],
    )
    assert second.pk != call_off.pk


# The start page ----------------------------------------------------------------------------------------------------


def start_url(registry, framework, **extra):
    query = {
        "supported": registry["supported"].pk,
        "framework": framework.pk,
        "title": "Financial recovery",
        "tier": "superbuddy",
        **extra,
    }
    return reverse("arrangements:call-off-new") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-1", "1.5", "0"])
@pytest.mark.parametrize("name", ["supported", "framework", "team_run"])
def test_a_bad_id_in_the_start_pages_address_is_not_found(client, people, registry, framework, name, value):
    client.force_login(people["rosa"])
    query = {"supported": registry["supported"].pk, "framework": framework.pk, name: value}
    url = reverse("arrangements:call-off-new") + "?" + "&".join(f"{k}={v}" for k, v in query.items())
    assert client.get(url).status_code == 404


def test_the_start_page_opens_with_the_trust_chosen(client, people, registry, framework):
    client.force_login(people["rosa"])
    page = client.get(reverse("arrangements:call-off-new") + f"?supported={registry['supported'].pk}")
    assert page.status_code == 200
    assert "Check Southbank Hospitals NHS Trust's prioritised improvement needs" in page.content.decode()
    assert "There is a problem" not in page.content.decode()


def find_candidates(client, registry, framework):
    response = client.post(
        reverse("arrangements:call-off-new"),
        {
            "action": "find",
            "supported": registry["supported"].pk,
            "framework": framework.pk,
            "title": "Financial recovery",
            "tier": "superbuddy",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return response["Location"]


def test_every_eligible_pool_member_is_offered_with_its_fit_capacity_and_whether_anyone_can_answer(
    client, people, registry, framework
):
    client.force_login(people["rosa"])
    page = client.get(find_candidates(client, registry, framework)).content.decode()
    for name in ("Oxford Example", "Southampton Example", "Newcastle Example", "Next Door Hospitals"):
        assert f"{name}" in page
    assert page.count('name="invite"') == 4
    assert "Free capacity: 2 of 2 places free, 6 of 6 senior staff days a month free" in page
    assert "Score " in page and "km, about" in page
    newcastle = page[page.index('data-ods-code="RX3"') :]
    assert "No registered executive</strong> An invitation will wait until someone from Newcastle" in newcastle
    assert "someone from Oxford Example NHS Foundation Trust signs up" not in page


def test_posting_send_invitations_twice_creates_one_call_off_and_the_second_goes_to_it(
    client, people, registry, framework
):
    client.force_login(people["rosa"])
    url = find_candidates(client, registry, framework)
    data = {
        "action": "invite",
        "supported": registry["supported"].pk,
        "framework": framework.pk,
        "title": "Financial recovery",
        "tier": "superbuddy",
        "invite": ["RX1", "RX3"],
    }
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    call_off = CallOff.objects.get()
    assert first["Location"] == call_off.get_absolute_url()
    assert second.redirect_chain[-1][0] == call_off.get_absolute_url()
    assert "already waiting for answers, so no new one was started" in second.content.decode()
    assert sorted(call_off.invitations.values_list("trust__ods_code", flat=True)) == ["RX1", "RX3"]


def test_inviting_no_one_or_a_trust_outside_the_pool_is_a_form_error(client, people, registry, framework):
    client.force_login(people["rosa"])
    url = find_candidates(client, registry, framework)
    data = {
        "action": "invite",
        "supported": registry["supported"].pk,
        "framework": framework.pk,
        "title": "Financial recovery",
        "tier": "superbuddy",
    }
    page = client.post(url, data).content.decode()
    assert "Select at least one pool member to invite" in page
    page = client.post(url, {**data, "invite": ["RZZ"]}).content.decode()
    assert "Select pool members to invite from the list" in page
    assert not CallOff.objects.exists()


def test_a_reply_by_date_can_be_set_when_sending(client, people, registry, framework, time_machine):
    time_machine.move_to(dt.datetime(2027, 3, 1, 9, tzinfo=dt.UTC))
    client.force_login(people["rosa"])
    url = find_candidates(client, registry, framework)
    data = {
        "action": "invite",
        "supported": registry["supported"].pk,
        "framework": framework.pk,
        "title": "Financial recovery",
        "tier": "superbuddy",
        "invite": ["RX1"],
        "reply_by_0": "1",
        "reply_by_1": "2",
        "reply_by_2": "99999999999999999999",
    }
    assert "must have a year of 4 numbers" in client.post(url, data).content.decode()
    data.update(reply_by_0="15", reply_by_1="3", reply_by_2="2027")
    client.post(url, data)
    assert CallOff.objects.get().reply_by == dt.date(2027, 3, 15)


def test_the_invite_more_page_offers_only_members_not_yet_asked(client, call_off, people, registry):
    client.force_login(people["rosa"])
    url = reverse("arrangements:call-off-invite", args=[call_off.pk])
    page = client.get(url).content.decode()
    assert page.count('name="invite"') == 2  # Newcastle and the neighbour; Oxford and Southampton are asked
    response = client.post(url, {"invite": ["RX3"]})
    assert response.status_code == 302
    assert call_off.invitations.get(trust=registry["newcastle"]).role == "issue-specific"
    assert "Select pool members to invite from the list" in client.post(url, {"invite": ["RX1"]}).content.decode()


# Who may do what: every new action, for every persona -------------------------------------------------------------


def _actions(call_off):
    pk = call_off.pk
    return {
        "invite": (reverse("arrangements:call-off-invite", args=[pk]), {"invite": ["RX3"]}),
        "reply-by": (
            reverse("arrangements:call-off-reply-by", args=[pk]),
            {"reply_by_0": "1", "reply_by_1": "1", "reply_by_2": "2099"},
        ),
        "cancel": (reverse("arrangements:call-off-cancel", args=[pk]), {"reason": "No longer needed"}),
        "go-ahead": (reverse("arrangements:call-off-go-ahead", args=[pk]), {}),
        "chase": (reverse("arrangements:call-off-chase", args=[pk, "RX2"]), {}),
        "answer": (
            reverse("arrangements:call-off-answer", args=[pk, "RX2"]),
            {"answer": "accept", "note": "By phone"},
        ),
        "withdraw": (reverse("arrangements:call-off-withdraw", args=[pk, "RX2"]), {"reason": "Not needed"}),
    }


def _state(call_off):
    call_off = CallOff.objects.get(pk=call_off.pk)
    return (
        call_off.status,
        call_off.reply_by,
        call_off.supported_response,
        sorted(call_off.invitations.values_list("trust__ods_code", "status")),
        CallOffEvent.objects.filter(call_off=call_off).count(),
        Notification.objects.count(),
    )


ACTIONS = ["invite", "reply-by", "cancel", "go-ahead", "chase", "answer", "withdraw"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["anonymous", "sam", "sue", "outsider"])
def test_only_regulator_staff_may_take_a_call_off_action_and_no_one_else_changes_anything(
    client, call_off, people, action, who
):
    if who != "anonymous":
        client.force_login(people[who])
    url, data = _actions(call_off)[action]
    before = _state(call_off)
    get, post = client.get(url), client.post(url, data)
    if who == "anonymous":
        assert (get.status_code, post.status_code) == (302, 302)
        assert "/sign-in/" in post["Location"]
    else:
        assert (get.status_code, post.status_code) == (404 if action != "chase" else 405, 404)
    assert _state(call_off) == before


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("who", ["rosa", "admin"])
def test_regulator_staff_and_admins_take_every_call_off_action(client, call_off, people, registry, action, who):
    if action == "go-ahead":
        services.call_off_respond_supported(call_off=call_off, by=people["sam"], accept=True)
        services.invitation_respond(
            invitation=call_off.invitations.get(trust=registry["oxford"]), by=people["otto"], accept=True
        )
    client.force_login(people[who])
    url, data = _actions(call_off)[action]
    if action != "chase":
        assert client.get(url).status_code == 200
    before = _state(call_off)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == call_off.get_absolute_url()
    assert _state(call_off) != before


@pytest.mark.parametrize("action", ["chase", "answer", "withdraw"])
def test_a_trust_not_in_the_call_off_is_not_found(client, call_off, people, action):
    client.force_login(people["rosa"])
    url = reverse(f"arrangements:call-off-{action}", args=[call_off.pk, "RZZ"])
    assert client.post(url, {"answer": "accept", "note": "x", "reason": "x"}).status_code == 404


def test_the_supported_trusts_invitation_cannot_be_withdrawn(client, call_off, people):
    client.force_login(people["rosa"])
    assert client.get(reverse("arrangements:call-off-withdraw", args=[call_off.pk, "RS9"])).status_code == 404


def test_script_in_text_fields_is_shown_as_text(client, call_off, people, registry):
    script = "<script>alert(1)</script>"
    services.call_off_record_answer(
        call_off=call_off, trust=registry["oxford"], by=people["rosa"], accept=False, reason=script, note=script
    )
    client.force_login(people["rosa"])
    page = client.get(call_off.get_absolute_url()).content.decode()
    assert script not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_call_off_list_takes_the_same_number_of_queries_however_many_call_offs(people, registry, framework, client):
    client.force_login(people["rosa"])

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("arrangements:invitations")).status_code == 200
        return len(queries)

    services.call_off_create(
        supported=registry["supported"],
        framework=framework,
        title="One",
        tier="superbuddy",
        by=people["rosa"],
        invitations=[BuddySpec(buddy=registry["oxford"])],
    )
    one = count()
    for key in ("oxford", "southampton", "newcastle"):
        supported = TrustFactory()
        services.call_off_create(
            supported=supported,
            framework=framework,
            title=key,
            tier="superbuddy",
            by=people["rosa"],
            invitations=[BuddySpec(buddy=registry[key]), BuddySpec(buddy=registry["neighbour"])],
        )
    assert count() == one


def test_the_call_off_and_its_history_read_well(call_off, registry):
    assert str(call_off) == "Call-off for Southbank Hospitals NHS Trust: Financial recovery (waiting for answers)"
    invitation = Invitation.objects.get(call_off=call_off, trust=registry["oxford"])
    assert str(invitation) == "Invitation to Oxford Example NHS Foundation Trust (waiting for an answer)"
    event = CallOffEvent.objects.get(call_off=call_off)
    assert str(event).endswith(": Invitations sent")


@pytest.mark.parametrize("action", ["invite", "reply-by", "cancel", "go-ahead", "answer", "withdraw"])
def test_a_closed_call_off_offers_no_more_changes(client, call_off, people, action):
    services.call_off_cancel(call_off=call_off, by=people["rosa"], reason="The trust has merged")
    client.force_login(people["rosa"])
    url, data = _actions(call_off)[action]
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == call_off.get_absolute_url()
    assert "This call-off is cancelled: it can no longer change" in response.content.decode()
    before = _state(call_off)
    client.post(url, data)
    assert _state(call_off) == before


def test_find_a_buddy_starts_with_the_only_live_framework_and_the_trusts_status(client, registry, framework, people):
    client.force_login(people["rosa"])
    page = client.get(reverse("arrangements:call-off-new"), {"supported": registry["supported"].pk})
    form = page.context["form"]
    assert form.initial["framework"] == framework
    assert (form.initial["title"], form.initial["tier"]) == ("Support out of special measures", "superbuddy")


def test_with_two_live_frameworks_the_regulator_chooses(client, registry, areas, framework, people):
    live_pool(name="Second framework", members=[registry["oxford"]], regulator=people["rosa"], finance=areas["finance"])
    client.force_login(people["rosa"])
    page = client.get(reverse("arrangements:call-off-new"), {"supported": registry["supported"].pk})
    assert page.context["form"].initial["framework"] is None
