"""Settings come only from the environment; production settings pass Django's deployment checks."""

import os
import subprocess
import sys

from django.conf import settings

PRODUCTION_ENV = {
    "SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-for-django-0123456789abcdef",
    "ALLOWED_HOSTS": "buddying.example.nhs.uk",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/buddying",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    # Start from this machine's environment without the test run's own settings.
    test_only = ("SECURE_", "SECRET_", "DEBUG", "STATIC_", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {key: value for key, value in os.environ.items() if not key.startswith(test_only)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_debug_a_missing_secret_key_stops_start_up():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"}
    result = run_manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_a_malformed_boolean_is_refused_by_name():
    result = run_manage("check", env={**PRODUCTION_ENV, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'maybe'" in result.stderr


def test_with_no_database_url_the_service_uses_embedded_sqlite():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.db import connection; print(connection.vendor)",
        env={"DEBUG": "1", "DATABASE_URL": "", "REDIS_URL": ""},
    )
    assert result.stdout.strip() == "sqlite", result.stderr


def test_with_no_redis_url_tasks_run_in_process():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER)",
        env={"DEBUG": "1", "REDIS_URL": ""},
    )
    assert result.stdout.strip() == "True", result.stderr


def test_the_strength_that_covers_a_need_is_3_unless_set():
    assert settings.BUDDY_COVERS_AT_STRENGTH == 3
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.BUDDY_COVERS_AT_STRENGTH)",
        env={"DEBUG": "1", "BUDDY_COVERS_AT_STRENGTH": "4"},
    )
    assert result.stdout.strip() == "4", result.stderr


def test_a_strength_outside_1_to_5_or_not_a_number_is_refused_by_name():
    result = run_manage("check", env={**PRODUCTION_ENV, "BUDDY_COVERS_AT_STRENGTH": "6"})
    assert "BUDDY_COVERS_AT_STRENGTH must be a strength from 1 to 5, not 6" in result.stderr
    result = run_manage("check", env={**PRODUCTION_ENV, "BUDDY_COVERS_AT_STRENGTH": "strong"})
    assert "BUDDY_COVERS_AT_STRENGTH must be a whole number, not 'strong'" in result.stderr
