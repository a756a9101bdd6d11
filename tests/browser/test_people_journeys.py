"""People in a real browser: an invited executive signs up from the emailed link; passwords are changed and reset.

Emails are read from Django's test outbox: the email tasks run in-process as soon as they are enqueued (once the
request's transaction commits), in the live server's thread.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from buddying.models import SignupInvitation, User
from buddying.tests.factories import ExecutiveFactory, RegulatorFactory, SignupInvitationFactory, TrustFactory
from tests.browser.conftest import assert_accessible, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "violet kettle mountain 42"


@pytest.fixture(autouse=True)
def _emails_sent_at_once(monkeypatch):
    from buddying.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def path_of_link_in(message, pattern: str) -> str:
    link = re.search(r"http://[^/\s]+(" + pattern + r")", message.body)
    assert link is not None, message.body
    return link.group(1)


def test_a_regulator_invites_an_executive_who_signs_up_from_the_email_and_lands_signed_in(page, new_page):
    RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan")
    TrustFactory(ods_code="RF1", name="Failing Valley NHS Trust", in_special_measures=True)
    TrustFactory(ods_code="RS1", name="Strong City NHS Foundation Trust")
    sign_in(page, "rosa")

    page.get_by_role("link", name="People", exact=True).click()
    expect(page.get_by_role("heading", name="People", level=1)).to_be_visible()
    expect(page.get_by_text("No invitations are waiting.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Invite someone").click()
    assert_accessible(page)

    # A mistake first: every problem names its field.
    page.get_by_role("button", name="Send invitation").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter their first name")
    expect(summary).to_contain_text("Enter their email address")
    expect(summary).to_contain_text("Select the trust they are an executive of")
    assert_accessible(page)

    page.get_by_label("First name").fill("Nia")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("Email address").fill("nia.okafor@example.nhs.uk")
    page.get_by_label("Trust executive").check()
    page.get_by_label("Trust", exact=True).select_option(label="Failing Valley NHS Trust (RF1)")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Invitation sent to Nia Okafor")
    expect(page.get_by_role("cell", name="Nia Okafor nia.okafor@example.nhs.uk")).to_be_visible()
    assert_accessible(page)

    [message] = mail.outbox
    assert message.to == ["nia.okafor@example.nhs.uk"]
    assert "Rosa Regan (regulator staff) invited you" in message.body
    link = path_of_link_in(message, r"/people/sign-up/\S+/")

    invitee = new_page()
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="Create your account")).to_be_visible()
    expect(invitee.get_by_text("as a trust executive of Failing Valley NHS Trust")).to_be_visible()
    assert_accessible(invitee)
    invitee.get_by_label("Create a password").fill("okafor 1")
    invitee.get_by_label("Confirm your password").fill("okafor 1")
    invitee.get_by_role("button", name="Create account").click()
    expect(invitee.locator(".govuk-error-summary")).to_contain_text("Password must be 12 characters or more")
    assert_accessible(invitee)
    invitee.get_by_label("Create a password").fill(NEW_PASSWORD)
    invitee.get_by_label("Confirm your password").fill(NEW_PASSWORD)
    invitee.get_by_role("button", name="Create account").click()

    # Signed in as an executive of the trust, named in the account bar.
    expect(invitee.locator(".govuk-notification-banner")).to_contain_text("Your account is ready, Nia")
    expect(invitee.locator(".app-account-bar")).to_contain_text("Nia Okafor, Trust executive, Failing Valley NHS Trust")
    assert_accessible(invitee)

    # The link is used up.
    invitee.goto(link)
    expect(invitee.get_by_role("heading", name="You've already used this link")).to_be_visible()
    assert_accessible(invitee)

    # The invitation has left the regulator's list; the new executive is an account with a name.
    page.reload()
    expect(page.get_by_text("No invitations are waiting.")).to_be_visible()
    expect(page.get_by_role("cell", name="Nia Okafor nia.okafor@example.nhs.uk")).to_be_visible()
    assert User.objects.get(username="nia.okafor@example.nhs.uk").trust.ods_code == "RF1"


def test_an_executive_invites_a_colleague_then_cancels_and_cannot_name_another_trust(page):
    own = TrustFactory(ods_code="RF1", name="Failing Valley NHS Trust")
    TrustFactory(ods_code="RS1", name="Strong City NHS Foundation Trust")
    ExecutiveFactory(username="eddie", trust=own, first_name="Eddie", last_name="Exeter")
    sign_in(page, "eddie")
    page.get_by_role("link", name="People", exact=True).click()
    expect(page.get_by_role("heading", name="People", level=1)).to_be_visible()
    expect(page.get_by_role("cell", name="Eddie Exeter (you)")).to_be_visible()
    page.get_by_role("button", name="Invite a colleague").click()
    expect(page.get_by_text("They will be able to act for Failing Valley NHS Trust")).to_be_visible()
    expect(page.get_by_label("Trust", exact=True)).to_have_count(0)
    assert_accessible(page)
    page.get_by_label("First name").fill("Cara")
    page.get_by_label("Last name").fill("Colleague")
    page.get_by_label("Email address").fill("cara@example.nhs.uk")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Invitation sent to Cara Colleague")
    assert SignupInvitation.objects.get().trust == own

    page.get_by_role("link", name="Cancel the invitation to Cara Colleague").click()
    expect(page.get_by_role("heading", name="Cancel the invitation to Cara Colleague?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel invitation").click()
    expect(page.get_by_text("No invitations are waiting.")).to_be_visible()

    response = page.goto("/people/invite/?trust=RS1")
    assert response.status == 404


def test_an_invitee_with_an_expired_link_asks_for_a_new_one(page, new_page):
    own = TrustFactory(ods_code="RF1", name="Failing Valley NHS Trust")
    inviter = ExecutiveFactory(username="eddie", trust=own, first_name="Eddie", last_name="Exeter")
    invitation = SignupInvitationFactory(trust=own, created_by=inviter, first_name="Nia")
    with time_machine.travel(invitation.expires_at + dt.timedelta(hours=1), tick=True):
        page.goto(f"/people/sign-up/{invitation.token}/")
        expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Ask for a new link").click()
        expect(page.get_by_text("You asked for a new link")).to_be_visible()
        expect(page.get_by_text("told Eddie Exeter (Failing Valley NHS Trust)")).to_be_visible()
        assert_accessible(page)

        inviter_page = new_page("eddie")
        inviter_page.goto("/people/")
        expect(inviter_page.get_by_text("New link asked for")).to_be_visible()
        inviter_page.get_by_role("button", name=f"Send again to {invitation.full_name}").click()
        expect(inviter_page.locator(".govuk-notification-banner")).to_contain_text("A new sign-up link is on its way")
    new_link = path_of_link_in(mail.outbox[-1], r"/people/sign-up/\S+/")
    page.goto(new_link)
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()


def test_a_user_who_forgot_their_password_resets_it_from_the_emailed_link(page):
    ExecutiveFactory(
        username="eddie", email="eddie@example.nhs.uk", trust=TrustFactory(name="Failing Valley NHS Trust")
    )
    page.goto("/sign-in/")
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Email address").fill("eddie@example.nhs.uk")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert_accessible(page)

    [message] = mail.outbox
    link = path_of_link_in(message, r"/account/password/reset/\S+/")
    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your password has been changed")
    expect(page.locator(".app-account-bar")).to_contain_text("Failing Valley NHS Trust")
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "eddie", NEW_PASSWORD)
    expect(page.locator(".app-account-bar")).to_contain_text("Failing Valley NHS Trust")

    page.goto(link)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    assert_accessible(page)


def test_a_user_changes_their_password_from_their_account(page):
    RegulatorFactory(username="rosa", first_name="Rosa", last_name="Regan")
    sign_in(page, "rosa")
    page.get_by_role("link", name="Your account").click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Change your password").click()
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Your current password is not right")
    assert_accessible(page)
    page.get_by_label("Current password").fill("correct horse battery staple")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Your password has been changed")
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "rosa", NEW_PASSWORD)
    expect(page.locator(".app-account-bar")).to_contain_text("Rosa Regan")
