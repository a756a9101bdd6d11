"""People: inviting someone by email, signing up from the link, the People page and who may do what."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from buddying.models import Notification, SignupInvitation, User
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory, SignupInvitationFactory, TrustFactory

pytestmark = pytest.mark.django_db

ANON, REG, EXEC, OTHER, ADMIN = "anonymous", "regulator", "executive", "other_executive", "admin"
NONCE = "a-known-nonce-for-tests"
GOOD_PASSWORD = "violet kettle mountain 42"


@pytest.fixture(autouse=True)
def _tasks_run_when_sent(monkeypatch):
    """The email tasks run in-process when enqueued (the tests capture on-commit callbacks to enqueue them)."""
    from buddying.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def invite_url(**query: str) -> str:
    url = reverse("people-invite")
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def known_token() -> str:
    """The link token of an invitation made with nonce=NONCE."""
    return SignupInvitation.token_for(NONCE)


def signup_url(token: str | None = None) -> str:
    return reverse("people-signup", kwargs={"token": token or known_token()})


def invite(client, user, captured, **data):
    """Post the invite form as `user` and run the email tasks it enqueued on commit."""
    client.force_login(user)
    fields = {"first_name": "Nia", "last_name": "Okafor", "email": "nia.okafor@example.nhs.uk"}
    fields.update(data)
    url = fields.pop("url", reverse("people-invite"))
    with captured(execute=True):
        return client.post(url, fields)


def link_in(message) -> str:
    link = re.search(r"http://\S+/people/sign-up/\S+/", message.body)
    assert link is not None, message.body
    return link.group(0)


# Inviting


def test_a_regulator_invites_an_executive_who_gets_a_one_time_link_by_email(
    client, regulator, own_trust, django_capture_on_commit_callbacks
):
    response = invite(
        client, regulator, django_capture_on_commit_callbacks, role="trust-executive", trust=own_trust.ods_code
    )
    assert response.status_code == 302
    assert response.url == reverse("people")
    invitation = SignupInvitation.objects.get()
    assert (invitation.email, invitation.full_name, invitation.role, invitation.trust) == (
        "nia.okafor@example.nhs.uk",
        "Nia Okafor",
        User.Role.TRUST_EXECUTIVE,
        own_trust,
    )
    assert invitation.created_by == regulator
    assert invitation.expires_at - invitation.sent_at == dt.timedelta(days=7)
    assert invitation.emailed_at is not None
    [message] = mail.outbox
    assert message.to == ["nia.okafor@example.nhs.uk"]
    assert message.subject == "You're invited to NHS trust buddying"
    assert f"{regulator.display_name} (regulator staff) invited you" in message.body
    assert f"as a trust executive of {own_trust.name}" in message.body
    # The database holds no working link: the token is found only by its hash.
    token = link_in(message).rstrip("/").rsplit("/", 1)[1]
    assert token == invitation.token
    assert token not in str(SignupInvitation.objects.values().get())
    assert invitation.token_hash == SignupInvitation.hash_token(token)


def test_the_email_is_sent_only_once_the_invitation_is_saved(
    client, regulator, own_trust, django_capture_on_commit_callbacks
):
    client.force_login(regulator)
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            reverse("people-invite"),
            {
                "first_name": "Nia",
                "last_name": "Okafor",
                "email": "nia@example.nhs.uk",
                "role": "trust-executive",
                "trust": own_trust.ods_code,
            },
        )
        assert not mail.outbox
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_the_link_lasts_as_long_as_the_setting_says(
    client, regulator, own_trust, settings, django_capture_on_commit_callbacks
):
    settings.SIGNUP_INVITATION_DAYS = 3
    invite(client, regulator, django_capture_on_commit_callbacks, role="trust-executive", trust=own_trust.ods_code)
    invitation = SignupInvitation.objects.get()
    assert invitation.expires_at - invitation.sent_at == dt.timedelta(days=3)


def test_a_link_to_the_invite_page_can_choose_the_trust(client, regulator, own_trust):
    client.force_login(regulator)
    response = client.get(invite_url(trust=own_trust.ods_code))
    assert response.status_code == 200
    assert f'<option value="{own_trust.ods_code}" selected>' in response.content.decode()


@pytest.mark.parametrize("query", ["RZZ", "abc", "%3Cscript%3E", "9" * 30])
def test_an_unknown_trust_in_the_link_just_chooses_nothing(client, regulator, query):
    client.force_login(regulator)
    response = client.get(invite_url(trust=query))
    assert response.status_code == 200
    assert '<option value="" selected>Choose a trust</option>' in response.content.decode()


def test_an_executive_invites_a_colleague_of_their_own_trust_only(
    client, executive, own_trust, other_trust, django_capture_on_commit_callbacks
):
    # The trust and role are fixed: anything posted for them is ignored.
    response = invite(client, executive, django_capture_on_commit_callbacks, role="admin")
    assert response.status_code == 302
    invitation = SignupInvitation.objects.get()
    assert (invitation.role, invitation.trust, invitation.created_by) == (
        User.Role.TRUST_EXECUTIVE,
        own_trust,
        executive,
    )
    assert f"{executive.display_name} ({own_trust.name}) invited you" in mail.outbox[0].body


@pytest.mark.parametrize("where", ["query", "form"])
def test_an_executive_naming_another_trust_gets_404_and_nothing_is_created(
    client, executive, other_trust, django_capture_on_commit_callbacks, where
):
    client.force_login(executive)
    assert client.get(invite_url(trust=other_trust.ods_code)).status_code == 404
    if where == "query":
        response = invite(
            client, executive, django_capture_on_commit_callbacks, url=invite_url(trust=other_trust.ods_code)
        )
    else:
        response = invite(client, executive, django_capture_on_commit_callbacks, trust=other_trust.ods_code)
    assert response.status_code == 404
    assert not SignupInvitation.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    ("who", "role", "allowed"),
    [
        (REG, "trust-executive", True),
        (REG, "regulator", True),
        (REG, "admin", False),
        (ADMIN, "admin", True),
        (ADMIN, "regulator", True),
    ],
)
def test_regulators_invite_executives_and_regulators_and_admins_invite_anyone(
    client, persona, own_trust, django_capture_on_commit_callbacks, who, role, allowed
):
    response = invite(client, persona[who], django_capture_on_commit_callbacks, role=role, trust=own_trust.ods_code)
    if allowed:
        assert response.status_code == 302
        invitation = SignupInvitation.objects.get()
        assert invitation.role == role
        # Only an executive belongs to a trust: a trust posted for anyone else is dropped.
        assert invitation.trust == (own_trust if role == "trust-executive" else None)
    else:
        assert response.status_code == 200
        assert "Select what they will do from the list" in response.content.decode()
        assert not SignupInvitation.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_name": ""}, "Enter their first name"),
        ({"last_name": ""}, "Enter their last name"),
        ({"email": ""}, "Enter their email address"),
        ({"email": "not-an-email"}, "Enter an email address in the correct format, like name@example.nhs.uk"),
        ({"first_name": "x" * 151}, "First name must be 150 characters or fewer"),
        ({"trust": ""}, "Select the trust they are an executive of"),
        ({"trust": "RZZ"}, "Select a trust from the list"),
        ({"trust": "9" * 30}, "Select a trust from the list"),
        ({"role": ""}, "Select what they will do"),
        ({"email": "REGULATOR@example.nhs.uk"}, "Someone already has an account with this email address"),
    ],
)
def test_bad_input_names_the_field_and_creates_nothing(
    client, regulator, own_trust, django_capture_on_commit_callbacks, data, message
):
    fields = {"role": "trust-executive", "trust": own_trust.ods_code, **data}
    response = invite(client, regulator, django_capture_on_commit_callbacks, **fields)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert not SignupInvitation.objects.exists()
    assert not mail.outbox


def test_inviting_someone_again_while_their_link_waits_says_to_send_it_again(
    client, regulator, own_trust, django_capture_on_commit_callbacks
):
    SignupInvitationFactory(email="nia.okafor@example.nhs.uk", trust=own_trust)
    response = invite(
        client,
        regulator,
        django_capture_on_commit_callbacks,
        email="Nia.Okafor@EXAMPLE.nhs.uk",
        role="trust-executive",
        trust=own_trust.ods_code,
    )
    assert "This person already has an invitation waiting: send it again from the People page" in (
        response.content.decode()
    )
    assert SignupInvitation.objects.count() == 1


def test_names_typed_as_markup_are_shown_as_text(client, regulator, own_trust, django_capture_on_commit_callbacks):
    invite(
        client,
        regulator,
        django_capture_on_commit_callbacks,
        first_name="<script>alert(1)</script>",
        last_name="O'Brien",
        role="trust-executive",
        trust=own_trust.ods_code,
    )
    page = client.get(reverse("people")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#x27;Brien" in page
    # The email is plain text: the name as typed, not HTML-escaped.
    assert "Dear <script>alert(1)</script>," in mail.outbox[0].body


# Signing up


def test_the_invitee_sees_who_invited_them_and_for_which_trust(client, own_trust):
    inviter = RegulatorFactory(first_name="Rosa", last_name="Regan")
    SignupInvitationFactory(nonce=NONCE, trust=own_trust, created_by=inviter, email="nia@example.nhs.uk")
    page = client.get(signup_url()).content.decode()
    assert "Create your account" in page
    assert (
        f"Rosa Regan (regulator staff) invited you to NHS trust buddying as a trust executive of {own_trust.name}"
        in (page)
    )
    assert "nia@example.nhs.uk" in page


def test_signing_up_makes_the_account_signs_them_in_and_uses_up_the_link(client, own_trust):
    invitation = SignupInvitationFactory(
        nonce=NONCE, trust=own_trust, email="nia@example.nhs.uk", first_name="Nia", last_name="Okafor"
    )
    response = client.post(signup_url(), {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(email="nia@example.nhs.uk")
    assert (user.username, user.display_name, user.role, user.trust) == (
        "nia@example.nhs.uk",
        "Nia Okafor",
        User.Role.TRUST_EXECUTIVE,
        own_trust,
    )
    assert user.check_password(GOOD_PASSWORD)
    assert get_user(client) == user
    invitation.refresh_from_db()
    assert invitation.used_at is not None
    assert invitation.user == user
    # The username is their email: they can sign in with it.
    client.logout()
    response = client.post(reverse("login"), {"username": "nia@example.nhs.uk", "password": GOOD_PASSWORD})
    assert response.status_code == 302
    assert get_user(client) == user


def test_the_link_cannot_be_used_twice(client, own_trust):
    SignupInvitationFactory(nonce=NONCE, trust=own_trust)
    client.post(signup_url(), {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    client.logout()
    response = client.post(
        signup_url(), {"new_password1": "another pass phrase 9", "new_password2": "another pass phrase 9"}
    )
    assert response.status_code == 410
    assert "already used this link" in response.content.decode()
    assert User.objects.filter(role=User.Role.TRUST_EXECUTIVE).count() == 1
    assert User.objects.get(trust=own_trust).check_password(GOOD_PASSWORD)


def test_an_invited_admin_can_use_django_admin(client):
    SignupInvitationFactory(nonce=NONCE, role=User.Role.ADMIN, trust=None)
    client.post(signup_url(), {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.parametrize(
    ("passwords", "message"),
    [
        (("", ""), "Enter a password"),
        (("short 1", "short 1"), "Password must be 12 characters or more"),
        (("123456789012345", "123456789012345"), "Password must include letters or symbols, not only numbers"),
        (("password1234", "password1234"), "Password is too common: choose one that is harder to guess"),
        (("nia.okafor@example", "nia.okafor@example"), "Password must not be like your name or email address"),
        ((GOOD_PASSWORD, GOOD_PASSWORD + "x"), "Passwords do not match: enter the same password in both boxes"),
        ((GOOD_PASSWORD, ""), "Enter the password again to confirm it"),
    ],
)
def test_a_password_the_validators_refuse_says_how_to_fix_it_and_makes_no_account(
    client, own_trust, passwords, message
):
    SignupInvitationFactory(nonce=NONCE, trust=own_trust, email="nia.okafor@example.nhs.uk", first_name="Nia")
    response = client.post(signup_url(), {"new_password1": passwords[0], "new_password2": passwords[1]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    assert not User.objects.filter(email="nia.okafor@example.nhs.uk").exists()
    assert SignupInvitation.objects.get().used_at is None


def test_an_expired_link_says_so_and_offers_to_ask_the_inviter_for_a_new_one(client, own_trust):
    inviter = ExecutiveFactory(trust=own_trust, first_name="Eddie", last_name="Exeter")
    invitation = SignupInvitationFactory(nonce=NONCE, trust=own_trust, created_by=inviter, first_name="Nia")
    with time_machine.travel(invitation.expires_at + dt.timedelta(minutes=1)):
        response = client.get(signup_url())
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link has expired" in page
        assert "Ask for a new link" in page
        # Posting a password to an expired link makes no account.
        response = client.post(signup_url(), {"new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD})
        assert response.status_code == 410
        assert not User.objects.filter(email=invitation.email).exists()

        response = client.post(reverse("people-signup-new-link", kwargs={"token": known_token()}))
        assert response.status_code == 302
        page = client.get(signup_url()).content.decode()
        assert "You asked for a new link" in page
        assert "told Eddie Exeter" in page
        # Asking again tells no one again.
        client.post(reverse("people-signup-new-link", kwargs={"token": known_token()}))
    [told] = Notification.objects.filter(recipient=inviter)
    assert told.subject == f"{invitation.full_name} asked for a new sign-up link"
    assert told.url == reverse("people")


def test_asking_for_a_new_link_while_it_still_works_tells_no_one(client, own_trust):
    SignupInvitationFactory(nonce=NONCE, trust=own_trust)
    client.post(reverse("people-signup-new-link", kwargs={"token": known_token()}))
    assert not Notification.objects.exists()
    assert SignupInvitation.objects.get().new_link_requested_at is None


def test_a_cancelled_link_says_so(client, own_trust):
    SignupInvitationFactory(nonce=NONCE, trust=own_trust, cancelled_at=timezone.now())
    response = client.get(signup_url())
    assert response.status_code == 410
    assert "This invitation was cancelled" in response.content.decode()


@pytest.mark.parametrize("token", ["nonsense", "x" * 500, "%3Cscript%3E"])
def test_a_link_nobody_sent_is_not_valid(client, token):
    response = client.get(signup_url(token))
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert client.post(reverse("people-signup-new-link", kwargs={"token": token})).status_code == 404


# Sending again and cancelling


def test_sending_again_emails_a_new_link_and_the_old_one_stops_working(
    client, regulator, own_trust, django_capture_on_commit_callbacks
):
    invitation = SignupInvitationFactory(nonce=NONCE, trust=own_trust, new_link_requested_at=timezone.now())
    with time_machine.travel(invitation.expires_at + dt.timedelta(days=1)):
        client.force_login(regulator)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("people-invitation-resend", kwargs={"pk": invitation.pk}))
        assert response.status_code == 302
        invitation.refresh_from_db()
        assert invitation.state == SignupInvitation.State.WAITING
        assert invitation.new_link_requested_at is None
        [message] = mail.outbox
        client.logout()
        assert client.get(signup_url()).status_code == 404
        assert client.get(link_in(message)).status_code == 200


def test_the_email_task_sends_the_current_link_once(own_trust, regulator):
    from buddying import services

    invitation = SignupInvitationFactory(nonce=NONCE, trust=own_trust, emailed_at=None)
    # Sent again before the first email went out: the first task sends the new link, the second nothing.
    invitation = services.signup_invitation_resend(invitation=invitation, by=regulator)
    assert services.signup_invitation_email_send(invitation_id=invitation.pk) is True
    assert services.signup_invitation_email_send(invitation_id=invitation.pk) is False
    [message] = mail.outbox
    assert link_in(message).endswith(signup_url(invitation.token))
    assert invitation.token != known_token()


def test_no_email_goes_to_a_cancelled_invitation(own_trust):
    from buddying import services

    invitation = SignupInvitationFactory(trust=own_trust, emailed_at=None, cancelled_at=timezone.now())
    assert services.signup_invitation_email_send(invitation_id=invitation.pk) is False
    assert not mail.outbox


def test_cancelling_asks_first_and_then_the_link_stops_working(client, executive, own_trust):
    invitation = SignupInvitationFactory(nonce=NONCE, trust=own_trust, first_name="Nia", last_name="Okafor")
    client.force_login(executive)
    url = reverse("people-invitation-cancel", kwargs={"pk": invitation.pk})
    assert "Cancel the invitation to Nia Okafor?" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    invitation.refresh_from_db()
    assert (invitation.cancelled_by, invitation.state) == (executive, SignupInvitation.State.CANCELLED)
    client.logout()
    assert client.get(signup_url()).status_code == 410
    # A cancelled invitation can be neither sent again nor cancelled again: it is gone from the page.
    client.force_login(executive)
    assert client.post(reverse("people-invitation-resend", kwargs={"pk": invitation.pk})).status_code == 404
    assert client.post(url).status_code == 404


@pytest.mark.parametrize("action", ["people-invitation-resend", "people-invitation-cancel"])
@pytest.mark.parametrize(("who", "status"), [(ANON, 302), (REG, 302), (EXEC, 302), (OTHER, 404), (ADMIN, 302)])
def test_only_people_who_could_have_sent_an_invitation_resend_or_cancel_it(
    client, persona, own_trust, django_capture_on_commit_callbacks, action, who, status
):
    invitation = SignupInvitationFactory(nonce=NONCE, trust=own_trust)
    before = SignupInvitation.objects.values().get()
    if persona[who] is not None:
        client.force_login(persona[who])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse(action, kwargs={"pk": invitation.pk}))
    assert response.status_code == status
    after = SignupInvitation.objects.values().get()
    if who in {ANON, OTHER}:
        assert after == before, "nothing changed"
        assert not mail.outbox
        if who == ANON:
            assert response.url.startswith(reverse("login"))
    else:
        assert after != before


@pytest.mark.parametrize(
    ("role", "refused"),
    [("regulator", {EXEC, OTHER}), ("admin", {REG, EXEC, OTHER})],
)
def test_invitations_to_roles_a_user_cannot_invite_are_missing_to_them(client, persona, role, refused):
    invitation = SignupInvitationFactory(role=role, trust=None)
    for who in (REG, EXEC, OTHER, ADMIN):
        client.force_login(persona[who])
        url = reverse("people-invitation-cancel", kwargs={"pk": invitation.pk})
        assert client.get(url).status_code == (404 if who in refused else 200), who
        people = client.get(reverse("people")).content.decode()
        assert (invitation.email in people) == (who not in refused), who


# The People page


PEOPLE_MATRIX = [
    ("people", {}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("people-invite", {}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("people-invite", {"trust": "RA1"}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 404, ADMIN: 200}),
    ("account", {}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("password_change", {}, {ANON: 302, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("password_reset", {}, {ANON: 200, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
    ("password_reset_done", {}, {ANON: 200, REG: 200, EXEC: 200, OTHER: 200, ADMIN: 200}),
]
CELLS = [(name, query, who, status) for name, query, row in PEOPLE_MATRIX for who, status in row.items()]


@pytest.mark.parametrize(
    ("name", "query", "who", "status"), CELLS, ids=[f"{c[0]}-{c[1].get('trust', '')}-{c[2]}" for c in CELLS]
)
def test_permission_matrix(client, persona, name, query, who, status):
    if persona[who] is not None:
        client.force_login(persona[who])
    response = client.get(reverse(name), query)
    assert response.status_code == status


def test_regulators_see_everyone_with_role_trust_and_last_sign_in(
    client, regulator, executive, other_executive, own_trust
):
    executive.last_login = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    executive.save()
    other_executive.set_unusable_password()
    other_executive.save()
    client.force_login(regulator)
    page = client.get(reverse("people")).content.decode()
    assert page.count("No password yet") == 1
    for person in (regulator, executive, other_executive):
        assert person.display_name in page
    assert own_trust.name in page
    assert "20 Nov 2026 09:30" in page
    assert "Never" in page


def test_an_executive_sees_only_their_own_trusts_colleagues_and_invitations(
    client, executive, other_executive, own_trust, other_trust
):
    colleague = ExecutiveFactory(trust=own_trust, first_name="Cara", last_name="Colleague")
    mine = SignupInvitationFactory(trust=own_trust, first_name="Mina")
    theirs = SignupInvitationFactory(trust=other_trust, first_name="Theo")
    client.force_login(executive)
    page = client.get(reverse("people")).content.decode()
    assert colleague.display_name in page
    assert other_executive.display_name not in page
    assert mine.full_name in page
    assert theirs.full_name not in page
    assert "Invite a colleague" in page


def test_used_and_cancelled_invitations_leave_the_page(client, regulator, own_trust):
    waiting = SignupInvitationFactory(trust=own_trust)
    used = SignupInvitationFactory(trust=own_trust, used_at=timezone.now())
    cancelled = SignupInvitationFactory(trust=own_trust, cancelled_at=timezone.now())
    expired = SignupInvitationFactory(trust=own_trust, sent_at=timezone.now() - dt.timedelta(days=30))
    client.force_login(regulator)
    page = client.get(reverse("people")).content.decode()
    assert waiting.email in page and expired.email in page
    assert used.email not in page and cancelled.email not in page
    assert "Expired" in page


@pytest.mark.parametrize("count", [2, 30])
def test_the_people_page_runs_the_same_queries_however_many_people_and_invitations(
    client, regulator, django_assert_num_queries, count
):
    """The session, the user, the unread count, the accounts' count and page (trust joined), the invitations
    (trust and inviter joined)."""
    for _ in range(count):
        trust = TrustFactory()
        ExecutiveFactory(trust=trust, last_login=timezone.now())
        SignupInvitationFactory(trust=trust, created_by=regulator)
    client.force_login(regulator)
    with django_assert_num_queries(6):
        response = client.get(reverse("people"))
    assert len(response.context["invitations"]) == count


@pytest.mark.parametrize("count", [1, 30])
def test_an_executives_people_page_runs_the_same_queries_however_many_colleagues(
    client, executive, own_trust, django_assert_num_queries, count
):
    for _ in range(count):
        ExecutiveFactory(trust=own_trust)
        SignupInvitationFactory(trust=own_trust, created_by=executive)
    client.force_login(executive)
    # As a regulator's, plus the executive's trust for the page's caption and the account bar.
    with django_assert_num_queries(7):
        client.get(reverse("people"))


def test_signed_in_pages_link_to_people_and_your_account(client, executive):
    client.force_login(executive)
    page = client.get(reverse("account")).content.decode()
    assert f'href="{reverse("people")}"' in page
    assert "Your account" in page
    assert executive.display_name in page


@pytest.mark.parametrize("action", ["people-invitation-resend", "people-invitation-cancel"])
def test_an_invitation_number_that_cannot_exist_is_missing(client, regulator, action):
    client.force_login(regulator)
    assert client.post(reverse(action, kwargs={"pk": 10**20})).status_code == 404
    assert client.get(reverse("people-invitation-cancel", kwargs={"pk": 10**20})).status_code == 404


@pytest.mark.parametrize("page", ["abc", "0", "99999999999999999999", "-1"])
def test_any_page_number_shows_a_page_of_people(client, regulator, page):
    client.force_login(regulator)
    assert client.get(reverse("people"), {"page": page}).status_code == 200
