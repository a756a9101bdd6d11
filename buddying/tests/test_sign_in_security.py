"""Sign-in resists guessing, sessions end when idle, and private pages are never stored or framed."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # every factory-made user's (buddying.tests.factories)

LOCKED_OUT = "Too many attempts to sign in. Try again in 15 minutes, or"


def sign_in(client, username: str, password: str, *, ip: str = "127.0.0.1", next: str = "", forwarded_for: str = ""):
    data = {"username": username, "password": password, "next": next}
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return client.post(reverse("login"), data, REMOTE_ADDR=ip, **headers)


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


class TestLockout:
    def test_five_wrong_passwords_then_the_right_one_is_refused_with_the_message(self, client, regulator):
        for _ in range(5):
            sign_in(client, "regulator", "wrong password")

        response = sign_in(client, "regulator", PASSWORD)

        assert response.status_code == 429
        assert not is_signed_in(client)
        page = response.content.decode()
        assert LOCKED_OUT in page
        assert "reset your password" in page
        # The sign-in form is there again, with the username kept, ready for later.
        assert 'name="username"' in page and 'value="regulator"' in page

    def test_four_wrong_passwords_then_the_right_one_signs_in(self, client, regulator):
        for _ in range(4):
            response = sign_in(client, "regulator", "wrong password")
            assert response.status_code == 200
            assert "Please enter a correct username and password" in response.content.decode()

        response = sign_in(client, "regulator", PASSWORD)

        assert response.status_code == 302
        assert is_signed_in(client)

    def test_the_message_links_to_password_reset_where_the_service_has_it(self, client, regulator):
        for _ in range(5):
            response = sign_in(client, "regulator", "wrong password")
        try:
            reset_url = reverse("password_reset")
        except NoReverseMatch:
            assert "reset your password." in response.content.decode()
        else:
            assert f'href="{reset_url}">reset your password</a>' in response.content.decode()

    def test_one_client_guessing_across_accounts_is_locked_out_of_every_account(self, client, regulator, executive):
        for n in range(5):
            sign_in(client, f"someone-{n}", "a guess", ip="203.0.113.9")

        from_guesser = sign_in(client, "executive", PASSWORD, ip="203.0.113.9")
        assert from_guesser.status_code == 429
        assert not is_signed_in(client)

        # The accounts themselves are not locked: the same person signs in from elsewhere.
        from_elsewhere = sign_in(client, "executive", PASSWORD, ip="198.51.100.20")
        assert from_elsewhere.status_code == 302
        assert is_signed_in(client)

    def test_an_account_guessed_at_from_many_clients_is_locked_from_every_client(self, client, regulator):
        for n in range(5):
            sign_in(client, "regulator", "a guess", ip=f"203.0.113.{n + 1}")

        response = sign_in(client, "regulator", PASSWORD, ip="198.51.100.20")

        assert response.status_code == 429
        assert not is_signed_in(client)

    def test_signing_in_to_ones_own_account_does_not_clear_the_guesses_against_another(
        self, client, regulator, executive
    ):
        for _ in range(4):
            sign_in(client, "regulator", "a guess", ip="203.0.113.9")
        assert sign_in(client, "executive", PASSWORD, ip="203.0.113.9").status_code == 302
        client.logout()

        sign_in(client, "regulator", "a fifth guess", ip="198.51.100.20")

        assert sign_in(client, "regulator", PASSWORD, ip="198.51.100.21").status_code == 429

    def test_the_lockout_ends_after_15_minutes(self, client, regulator):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            for _ in range(5):
                sign_in(client, "regulator", "wrong password")
            clock.shift(dt.timedelta(minutes=14))
            assert sign_in(client, "regulator", PASSWORD).status_code == 429

            # Each refused attempt starts the 15 minutes again.
            clock.shift(dt.timedelta(minutes=15, seconds=1))
            response = sign_in(client, "regulator", PASSWORD)

        assert response.status_code == 302
        assert is_signed_in(client)

    def test_resetting_the_password_by_its_emailed_link_lets_the_person_sign_in_again(self, client, regulator):
        for _ in range(5):
            sign_in(client, "regulator", "wrong password")
        assert sign_in(client, "regulator", PASSWORD).status_code == 429

        uid = urlsafe_base64_encode(force_bytes(regulator.pk))
        token = default_token_generator.make_token(regulator)
        form_url = client.get(reverse("password_reset_confirm", args=[uid, token]))["Location"]
        new_password = "a brand new passphrase 42"
        reset = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
        assert reset.status_code == 302
        client.logout()

        response = sign_in(client, "regulator", new_password)

        assert response.status_code == 302
        assert is_signed_in(client)

    def test_the_limits_come_from_settings(self, client, regulator, settings):
        settings.AXES_FAILURE_LIMIT = 2
        for _ in range(2):
            sign_in(client, "regulator", "wrong password")

        assert sign_in(client, "regulator", PASSWORD).status_code == 429

    def test_behind_the_tls_proxy_the_client_is_the_address_the_proxy_appended(self, client, regulator, settings):
        settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        # Every request reaches the service from the proxy; the guesser forges a new first address each time.
        for n in range(5):
            sign_in(client, f"someone-{n}", "a guess", ip="10.0.0.1", forwarded_for=f"192.0.2.{n}, 203.0.113.9")

        guesser = sign_in(client, "regulator", PASSWORD, ip="10.0.0.1", forwarded_for="203.0.113.9")
        someone_else = sign_in(client, "regulator", PASSWORD, ip="10.0.0.1", forwarded_for="198.51.100.20")

        assert guesser.status_code == 429
        assert someone_else.status_code == 302


class TestLockoutAudit:
    def test_failures_and_the_lockout_are_recorded_without_the_password(self, client, regulator):
        for _ in range(5):
            sign_in(client, "regulator", "my-secret-guess", ip="203.0.113.9")
        sign_in(client, "regulator", PASSWORD, ip="203.0.113.9")

        failures = AccessFailureLog.objects.filter(username="regulator", ip_address="203.0.113.9")
        assert failures.count() == 6
        assert failures.filter(locked_out=True).exists()
        attempt = AccessAttempt.objects.get(username="regulator")
        assert attempt.failures_since_start >= 5
        assert "my-secret-guess" not in attempt.post_data
        assert PASSWORD not in attempt.post_data

    @pytest.mark.parametrize("model", ["accessattempt", "accessfailurelog", "accesslog"])
    def test_admins_see_the_audit_and_cannot_add_to_it(self, client, regulator, admin_user, model):
        for _ in range(5):
            sign_in(client, "regulator", "wrong password", ip="203.0.113.9")
        client.force_login(admin_user)

        listing = client.get(reverse(f"admin:axes_{model}_changelist"))
        adding = client.get(reverse(f"admin:axes_{model}_add"))

        assert listing.status_code == 200
        if model != "accesslog":
            assert "203.0.113.9" in listing.content.decode()
        assert adding.status_code == 403

    @pytest.mark.parametrize("persona_name", ["anonymous", "regulator", "executive", "other_executive"])
    def test_only_admins_see_the_audit(self, client, persona, persona_name):
        user = persona[persona_name]
        if user is not None:
            client.force_login(user)

        response = client.get(reverse("admin:axes_accessfailurelog_changelist"))

        # Anonymous people are sent to sign in; signed-in non-admins to the admin's own sign-in.
        assert response.status_code == 302
        assert response["Location"].startswith((reverse("login"), reverse("admin:login")))


class TestIdleTimeout:
    def test_a_session_idle_for_30_minutes_ends_and_signing_in_again_returns_to_the_page(self, client, regulator):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            client.force_login(regulator)
            assert client.get(reverse("trust-map")).status_code == 200

            clock.shift(dt.timedelta(minutes=30, seconds=1))
            response = client.get(reverse("trust-map"))

            assert response.status_code == 302
            assert response["Location"] == f"{reverse('login')}?next={reverse('trust-map')}"
            signed_in = sign_in(client, "regulator", PASSWORD, next=reverse("trust-map"))
            assert signed_in.status_code == 302
            assert signed_in["Location"] == reverse("trust-map")

    def test_using_the_service_keeps_the_session_going(self, client, regulator):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            client.force_login(regulator)
            for _ in range(4):
                clock.shift(dt.timedelta(minutes=20))
                assert client.get(reverse("trust-directory")).status_code == 200

    def test_the_idle_time_comes_from_settings(self, regulator):
        from buddying.tests.test_settings import PRODUCTION_ENV, run_manage

        result = run_manage(
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings; print(settings.SESSION_COOKIE_AGE)",
            env={**PRODUCTION_ENV, "SESSION_IDLE_MINUTES": "10"},
        )
        assert result.stdout.strip() == "600", result.stderr

    def test_a_nonsense_idle_time_stops_start_up_by_name(self):
        from buddying.tests.test_settings import PRODUCTION_ENV, run_manage

        result = run_manage("check", env={**PRODUCTION_ENV, "SESSION_IDLE_MINUTES": "0"})

        assert result.returncode != 0
        assert "SESSION_IDLE_MINUTES must be from 2 to 1440 minutes, not 0" in result.stderr

    def test_pages_within_a_minute_of_the_last_save_write_no_session(self, client, regulator):
        client.force_login(regulator)

        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("home"))

        writes = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("UPDATE")]
        assert not [sql for sql in writes if "django_session" in sql]


class TestHeaders:
    PAGES = ["home", "trust-directory", "trust-map", "arrangements:notifications"]

    @pytest.mark.parametrize("page", PAGES)
    def test_signed_in_pages_are_never_stored_and_allow_no_browser_features(self, client, regulator, page):
        client.force_login(regulator)

        response = client.get(reverse(page))

        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
            assert feature in response["Permissions-Policy"]

    def test_every_page_has_a_strict_content_security_policy(self, client, regulator):
        client.force_login(regulator)

        policy = client.get(reverse("trust-map"))["Content-Security-Policy"]

        directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ")}
        assert directives["script-src"] == ["'self'"]
        assert directives["style-src"] == ["'self'"]
        assert directives["img-src"] == ["'self'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'self'"]
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["form-action"] == ["'self'"]

    def test_the_sign_in_page_has_the_same_protections(self, client):
        response = client.get(reverse("login"))

        assert "Content-Security-Policy" in response
        assert "camera=()" in response["Permissions-Policy"]

    def test_scripts_cannot_read_the_cookies(self, client, regulator):
        client.get(reverse("login"))
        response = sign_in(client, "regulator", PASSWORD)

        session_cookie, csrf_cookie = response.cookies["sessionid"], client.cookies["csrftoken"]
        assert session_cookie["httponly"] and csrf_cookie["httponly"]
        assert session_cookie["samesite"] == "Lax" and csrf_cookie["samesite"] == "Lax"
        assert session_cookie["max-age"] == 30 * 60
