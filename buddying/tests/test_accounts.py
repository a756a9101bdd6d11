"""Your account: changing your password, resetting a forgotten one by email, and names and emails for everyone."""

import re

import pytest
from django.contrib.auth import get_user
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from buddying.models import SignupInvitation, User
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory, SignupInvitationFactory, TrustFactory

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "correct horse battery staple"  # the factories' password
NEW_PASSWORD = "violet kettle mountain 42"


@pytest.fixture(autouse=True)
def _tasks_run_when_sent(monkeypatch):
    from buddying.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def reset_link(message) -> str:
    link = re.search(r"http://\S+(/account/password/reset/\S+/)", message.body)
    assert link is not None, message.body
    return link.group(1)


# Changing your password


def test_a_user_changes_their_password_and_stays_signed_in(client, executive):
    client.force_login(executive)
    response = client.post(
        reverse("password_change"),
        {"old_password": OLD_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("account")
    assert "Your password has been changed" in response.content.decode()
    assert get_user(client) == executive
    executive.refresh_from_db()
    assert executive.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"old_password": "wrong"}, "Your current password is not right: enter the password you sign in with"),
        ({"old_password": ""}, "Enter your current password"),
        ({"new_password1": ""}, "Enter a new password"),
        ({"new_password1": "short", "new_password2": "short"}, "Password must be 12 characters or more"),
        ({"new_password2": "something else entirely"}, "Passwords do not match"),
    ],
)
def test_a_refused_password_change_names_the_field_and_changes_nothing(client, executive, data, message):
    client.force_login(executive)
    fields = {"old_password": OLD_PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, **data}
    response = client.post(reverse("password_change"), fields)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert message in page
    executive.refresh_from_db()
    assert executive.check_password(OLD_PASSWORD)


def test_your_account_page_shows_who_you_are(client, executive, own_trust):
    client.force_login(executive)
    page = client.get(reverse("account")).content.decode()
    assert executive.get_full_name() in page
    assert executive.email in page
    assert own_trust.name in page
    assert reverse("password_change") in page


# Resetting a forgotten password


def test_the_sign_in_page_offers_a_reset(client):
    page = client.get(reverse("login")).content.decode()
    assert "Forgotten your password?" in page
    assert reverse("password_reset") in page


def test_a_reset_email_carries_a_working_link_that_works_once(client, executive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": executive.email.upper()})
    assert response.url == reverse("password_reset_done")
    [message] = mail.outbox
    assert message.to == [executive.email]
    assert message.subject == "Reset your NHS trust buddying password"
    assert f"({executive.username})" in message.body
    link = reset_link(message)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] != set_password_url
    assert "Your password has been changed. You are signed in." in response.content.decode()
    assert get_user(client) == executive
    executive.refresh_from_db()
    assert executive.check_password(NEW_PASSWORD)

    client.logout()
    again = client.get(link, follow=True).content.decode()
    assert "This link does not work" in again
    assert "Ask for a new link" in again


def test_a_weak_new_password_is_refused_on_the_reset_page(client, executive, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": executive.email})
    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "12345678901234", "new_password2": "12345678901234"}
    )
    assert "Password must include letters or symbols, not only numbers" in response.content.decode()
    executive.refresh_from_db()
    assert executive.check_password(OLD_PASSWORD)


def test_the_reset_page_does_not_say_whether_an_email_has_an_account(
    client, executive, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post(reverse("password_reset"), {"email": executive.email}, follow=True)
        unknown = client.post(reverse("password_reset"), {"email": "nobody@example.nhs.uk"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert known.content == unknown.content
    assert [message.to for message in mail.outbox] == [[executive.email]]


def test_a_deactivated_account_gets_no_reset_email(client, own_trust, django_capture_on_commit_callbacks):
    person = ExecutiveFactory(trust=own_trust, email="person@example.nhs.uk", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": person.email})
    assert response.url == reverse("password_reset_done")
    assert not mail.outbox


def test_an_account_with_no_password_yet_chooses_its_first_one_by_reset(
    client, own_trust, django_capture_on_commit_callbacks
):
    """As made in Django admin with password-based sign-in off, or as the demo's other people are."""
    person = ExecutiveFactory(trust=own_trust, email="person@example.nhs.uk")
    person.set_unusable_password()
    person.save()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("password_reset"), {"email": person.email})
    form_page = client.get(reset_link(mail.outbox[0]), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert get_user(client) == person


@pytest.mark.parametrize(
    ("email", "message"), [("", "Enter your email address"), ("nope", "Enter an email address in the correct format")]
)
def test_a_reset_request_with_no_email_says_what_to_enter(client, email, message):
    response = client.post(reverse("password_reset"), {"email": email})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_reset_email_is_sent_by_a_task_once_the_request_commits(
    client, executive, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(reverse("password_reset"), {"email": executive.email})
    assert not mail.outbox
    assert len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1


# Everyone has a name and an email


def test_a_person_is_named_by_their_name_not_their_username():
    person = User(username="nia@example.nhs.uk", first_name="Nia", last_name="Okafor")
    assert person.display_name == "Nia Okafor"
    assert User(username="legacy").display_name == "legacy"
    assert str(person) == "Nia Okafor (nia@example.nhs.uk)"


def test_an_invitation_is_named_after_the_person_invited():
    invitation = SignupInvitation(first_name="Nia", last_name="Okafor", email="nia@example.nhs.uk")
    assert str(invitation) == "Invitation to Nia Okafor <nia@example.nhs.uk>"


def test_one_email_is_one_account_whatever_its_case(regulator):
    with pytest.raises(IntegrityError):
        RegulatorFactory(email=regulator.email.upper())


def test_only_one_invitation_waits_per_email(own_trust):
    SignupInvitationFactory(email="nia@example.nhs.uk", trust=own_trust)
    with pytest.raises(IntegrityError):
        SignupInvitationFactory(email="NIA@example.nhs.uk", trust=own_trust)


def test_admin_user_forms_require_a_name_and_an_email(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:buddying_user_add"),
        {
            "username": "new-person",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "role": "regulator",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    for message in ("Enter their first name", "Enter their last name", "Enter their email address"):
        assert message in page
    assert not User.objects.filter(username="new-person").exists()


def test_admin_names_the_email_already_in_use_and_a_missing_trust_plainly(client, admin_user, regulator):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:buddying_user_add"),
        {
            "username": "new-person",
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "first_name": "New",
            "last_name": "Person",
            "email": regulator.email.upper(),
            "role": "trust-executive",
        },
    )
    page = response.content.decode()
    assert "Someone already has an account with this email address" in page
    assert "is violated" not in page
    assert not User.objects.filter(username="new-person").exists()


def test_admin_can_list_and_read_invitations_but_not_change_them(client, admin_user):
    invitation = SignupInvitationFactory(trust=TrustFactory())
    client.force_login(admin_user)
    assert client.get(reverse("admin:buddying_signupinvitation_changelist")).status_code == 200
    page = client.get(reverse("admin:buddying_signupinvitation_change", args=[invitation.pk])).content.decode()
    assert invitation.email in page
    assert invitation.token_hash not in page
