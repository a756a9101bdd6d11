"""Server time and SQL queries of the match explorer at national scale, as a user waits, against PostgreSQL.

Builds a throwaway database (buddying_bench) with the 252 real trusts from ../shared/data, the national scenario's
profiles (matching/tests/national_profiles.py: the eleven 2013 special measures trusts, about thirty strong
teaching trusts) and a live superbuddy framework of about 60 accredited members. Then times, in-process through
Django's test client:
  - the whole request a regulator waits for: POST a shortlist run (pool built from the database, engine, run
    recorded) and follow the redirect to the run's page;
  - GET the recorded run's page alone;
and, as the baseline in the same run, a trivial signed-in page (the home page).
Prints figures and PASS/FAIL against the targets; exits 1 if any target is missed.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buddying.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddying_bench")
os.environ["REDIS_URL"] = ""  # tasks in-process: the bench needs no worker
os.environ.update(
    {"DEBUG": "false", "SECURE_SSL_REDIRECT": "false", "STATIC_MANIFEST": "false", "ALLOWED_HOSTS": "testserver"}
)

import warnings  # noqa: E402

import psycopg2  # noqa: E402

from bench import national_scenario  # noqa: E402
from matching.tests import national_profiles  # noqa: E402

# Static files are not collected for the bench; WhiteNoise's warning about it is noise here.
warnings.filterwarnings("ignore", message="No directory at")

REPEATS = 25
TARGET_MS = 150.0


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def timed(call: Callable[[], object], repeats: int = REPEATS) -> tuple[float, float, int]:
    """Median and 90th percentile in ms, and the queries of the last call."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        call()
    samples = []
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            call()
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1], len(queries)


def line(label: str, value: str, target: str = "", verdict: str = "") -> None:
    print(f"  {label:<58}{value:>12}  {target:<14}{verdict}")


def framework_with_members(count: int) -> int:
    """A live framework whose pool is the scenario's strong trusts plus others up to `count`, all accredited."""
    import datetime as dt

    from django.utils import timezone

    from buddying.models import Trust
    from matching.models import Framework, PoolApplication

    today = timezone.localdate()
    framework = Framework.objects.create(
        name="Superbuddy framework (bench)",
        term_start=today - dt.timedelta(days=30),
        term_end=today + dt.timedelta(days=3 * 365),
        status=Framework.Status.LIVE,
    )
    strong = [p.ods_code for p in national_profiles.STRONG_TEACHING]
    others = list(
        Trust.objects.exclude(ods_code__in=strong)
        .exclude(improvement_status=Trust.ImprovementStatus.SPECIAL_MEASURES)
        .order_by("ods_code")
        .values_list("ods_code", flat=True)[: max(0, count - len(strong))]
    )
    for trust in Trust.objects.filter(ods_code__in=strong + others):
        PoolApplication.objects.create(
            framework=framework,
            trust=trust,
            status=PoolApplication.Status.ACCREDITED,
            max_concurrent_arrangements=2,
            senior_staff_days_per_month=8,
            max_travel_minutes=240,
            incentive=PoolApplication.Incentive.choices[0][0],
            accredited_on=today - dt.timedelta(days=7),
            accredited_until=today + dt.timedelta(days=365),
        )
    return PoolApplication.objects.filter(framework=framework).count()


def main() -> int:
    recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    import logging

    # Tasks run in-process here; their per-task log lines would bury the figures.
    logging.getLogger("celery").setLevel(logging.WARNING)
    logging.getLogger("kombu").setLevel(logging.ERROR)
    from django.core.management import call_command
    from django.test import Client

    from buddying.models import Trust, User

    call_command("migrate", verbosity=0)
    national_scenario.create_taxonomy()
    national_scenario.import_trusts(national_scenario.default_geojson())
    national_scenario.apply_profiles()
    members = framework_with_members(60)
    User.objects.create_user(username="regulator", password="bench-only", role=User.Role.REGULATOR)  # noqa: S106
    trusts = Trust.objects.count()
    supported = Trust.objects.get(ods_code="RPA")  # Medway, in special measures in 2013
    client = Client()
    client.force_login(User.objects.get(username="regulator"))
    form = {
        "weight_cultural_fit": "35",
        "weight_expertise": "30",
        "weight_geography": "15",
        "weight_capacity": "12",
        "weight_structure": "8",
        "min_distance_km": "25",
        "ideal_max_minutes": "120",
        "max_minutes": "180",
        "size": "10",
        "team_size": "3",
        "action": "shortlist",
    }
    explorer = f"/matching/trusts/{supported.ods_code}/"
    run_url = client.post(explorer, form)["Location"]  # the redirect to the run

    print(f"Match explorer on PostgreSQL: {trusts} real trusts, {members} pool members, {REPEATS} repeats\n")
    post_median, post_p90, post_queries = timed(lambda: client.post(explorer, form, follow=True))
    get_median, get_p90, get_queries = timed(lambda: client.get(run_url))
    base_median, _base_p90, base_queries = timed(lambda: client.get("/"))
    missed = 0
    for label, median, p90, queries in (
        ("shortlist as the user waits (POST + redirect + run page)", post_median, post_p90, post_queries),
        ("read the shortlist page (GET)", get_median, get_p90, get_queries),
    ):
        ok = median < TARGET_MS
        missed += not ok
        line(label, f"{median:.1f} ms", f"< {TARGET_MS:.0f} ms", "PASS" if ok else "FAIL")
        line("  90th percentile", f"{p90:.1f} ms")
        line("  SQL queries", str(queries))
    line("baseline: a trivial signed-in page (GET)", f"{base_median:.1f} ms")
    line("  SQL queries", str(base_queries))
    line("shortlist as the user waits / trivial page", f"{post_median / base_median:.1f}x")

    # Constant queries whatever the registry size: add 200 more trusts and count again.
    Trust.objects.bulk_create(
        Trust(
            ods_code=f"T{chr(65 + n // 36 % 20)}{'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[n % 36]}",
            name=f"Extra {n}",
            trust_type="community",
            latitude=52.0 + n / 500,
            longitude=-1.0,
        )
        for n in range(200)
        if not Trust.objects.filter(
            ods_code=f"T{chr(65 + n // 36 % 20)}{'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[n % 36]}"
        ).exists()
    )
    _m, _p, more_queries = timed(lambda: client.post(explorer, form, follow=True), repeats=3)
    same = more_queries == post_queries
    missed += not same
    line(
        f"queries with {Trust.objects.count()} trusts",
        str(more_queries),
        f"= {post_queries}",
        "PASS" if same else "FAIL",
    )
    print(f"\n{missed} target(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
