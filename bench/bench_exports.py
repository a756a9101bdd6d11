"""Exports of 100,000 arrangements: CSV streaming and XLSX (write-only), speed and memory, against PostgreSQL.

Builds a throwaway database (buddying_bench_exports) with 500 trusts and 100,000 arrangements in
every state, with buddies, terms of reference, inputs (costs), workstreams and milestones, written
with bulk_create. Then measures, in this process:
  - the register as CSV through the real view (GET /reports/register/export/?format=csv, a
    StreamingHttpResponse read to the end), rows a second and peak memory growth;
  - the register as XLSX in openpyxl's write-only mode (what the background export does);
  - as the baseline in the same run, a naive export: every row loaded into a list first, then
    csv.writer (what streaming avoids), with its memory;
  - the SQL queries of the register page and the dashboard with 1,000 and with 100,000
    arrangements (they must be the same).
Memory is the growth of the process's peak resident set size (VmHWM, reset before each step via
/proc/self/clear_refs), so it counts everything: Python objects, the database driver's buffers and
openpyxl's temporary files' buffers. Prints figures and PASS/FAIL; exits 1 if any target is missed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.test import Client

    from buddying.models import User

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "buddying.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_EXPORTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/buddying_bench_exports"
)
os.environ["REDIS_URL"] = ""  # tasks in-process: the bench needs no worker
os.environ.update(
    {"DEBUG": "false", "SECURE_SSL_REDIRECT": "false", "STATIC_MANIFEST": "false", "ALLOWED_HOSTS": "testserver"}
)

import warnings  # noqa: E402

import psycopg2  # noqa: E402

warnings.filterwarnings("ignore", message="No directory at")

ARRANGEMENTS = int(os.environ.get("BENCH_ARRANGEMENTS", "100000"))
SMALL = 1000
TRUSTS = 500
TARGET_ROWS_PER_SECOND = 20_000
TARGET_MEMORY_MB = 100.0


def recreate_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def _status_kb(key: str) -> int:
    match = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.MULTILINE)
    return int(match.group(1)) if match else 0


class PeakMemory:
    """Peak RSS growth over a block, in MB: VmHWM reset first where Linux allows, else sampled every 2 ms."""

    def __enter__(self) -> PeakMemory:
        self.start = _status_kb("VmRSS")
        self.sampled = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.method = "VmHWM"
        except OSError:
            self.method = "sampled VmRSS"
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.sampled = max(self.sampled, _status_kb("VmRSS"))
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            peak = self.sampled
        else:
            peak = _status_kb("VmHWM")
        self.growth_mb = max(0, peak - self.start) / 1024


def machine() -> str:
    cpu = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
    memory = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
    return (
        f"{cpu.group(1) if cpu else platform.machine()}, {os.cpu_count()} CPUs, "
        f"{int(memory.group(1)) / 1024**2:.0f} GB RAM"
        if memory
        else ""
    ) + f", Python {platform.python_version()}, {platform.system()} {platform.release()}"


def line(label: str, value: str, target: str = "", verdict: str = "") -> None:
    print(f"  {label:<56}{value:>16}  {target:<16}{verdict}")


def build(first: int, count: int, trusts: list, areas: list, regulator: User) -> None:
    """Arrangements first..first+count-1 in every state, with buddies, terms, inputs and milestones."""
    from django.utils import timezone

    from arrangements.models import (
        CLOSED_STATUSES,
        ENDED_STATUSES,
        OPEN_STATUSES,
        RUNNING_STATUSES,
        Arrangement,
        ArrangementBuddy,
        Input,
        Milestone,
        TermsOfReference,
        Workstream,
    )

    now = timezone.now()
    today = timezone.localdate()
    statuses = [Arrangement.Status.ACTIVE] * 3 + list(Arrangement.Status)  # active four times, the rest once
    tiers = list(Arrangement.Tier.values)
    origins = list(Arrangement.Origin.values)
    reasons = [r for r in Arrangement.EndReason.values if r != "objectives-met"]
    arrangements = []
    for n in range(first, first + count):
        status = statuses[n % len(statuses)]
        supported = trusts[n % TRUSTS]
        start = today - dt.timedelta(days=30 + n % 700)
        started = status in RUNNING_STATUSES or status in ENDED_STATUSES
        ended = status in CLOSED_STATUSES
        arrangements.append(
            Arrangement(
                supported=supported,
                title=f"Arrangement {n}: "
                + ("=cmd|' /C calc'!A0" if n % 997 == 0 else "Maternity safety and board governance"),
                origin=origins[n % len(origins)],
                tier=tiers[n % len(tiers)],
                status=status,
                planned_start=start,
                planned_end=start + dt.timedelta(days=365),
                created_at=now - dt.timedelta(minutes=ARRANGEMENTS - n),
                needs_recorded_at=now - dt.timedelta(days=60 + n % 700),
                agreed_at=(now - dt.timedelta(days=40 + n % 650))
                if status not in (Arrangement.Status.PROPOSED, Arrangement.Status.DECLINED)
                else None,
                started_at=(now - dt.timedelta(days=30 + n % 600)) if started else None,
                ended_at=(now - dt.timedelta(days=n % 20)) if ended else None,
                next_review_due=(today + dt.timedelta(days=(n % 120) - 40)) if status == "active" else None,
                end_reason=("objectives-met" if status == "completed" else reasons[n % len(reasons)])
                if status in ENDED_STATUSES
                else "",
                ended_by_party="buddy" if status == "terminated" else ("regulator" if status == "completed" else ""),
                proposed_by=regulator,
            )
        )
    created = Arrangement.objects.bulk_create(arrangements, batch_size=5000)
    buddies, terms, inputs, workstreams = [], [], [], []
    for n, arrangement in zip(range(first, first + count), created, strict=True):
        supported_index = n % TRUSTS
        # Offsets 1..200 from the supported trust: every (supported, buddy) pair is used once.
        buddy = trusts[(supported_index + 1 + n // TRUSTS % 200) % TRUSTS]
        is_open = arrangement.status in OPEN_STATUSES
        buddies.append(
            ArrangementBuddy(
                arrangement=arrangement, buddy=buddy, supported_id=arrangement.supported_id, is_open=is_open
            )
        )
        if n % 5 == 0:
            second = trusts[(supported_index + 250 + n // TRUSTS % 200) % TRUSTS]
            buddies.append(
                ArrangementBuddy(
                    arrangement=arrangement,
                    buddy=second,
                    supported_id=arrangement.supported_id,
                    is_open=is_open,
                    role="issue-specific",
                )
            )
        if arrangement.agreed_at is not None:
            terms.append(
                TermsOfReference(
                    arrangement=arrangement,
                    version=1,
                    scope="Scope",
                    supported_commitments="Days",
                    buddy_commitments="Days",
                    governance="Boards",
                    termination_terms="Notice",
                    fee=Decimal(5000 * (n % 4)),
                )
            )
        if arrangement.started_at is not None:
            inputs.append(
                Input(
                    arrangement=arrangement,
                    kind="visit",
                    date=arrangement.planned_start,
                    description="Board-to-board visit",
                    people_supported=6,
                    people_buddy=4,
                    staff_days=Decimal(4),
                    fee=Decimal(1000),
                    travel_cost=Decimal("250.50"),
                    backfill_cost=Decimal(300),
                    consultancy_estimate=Decimal(12000),
                )
            )
            workstreams.append(
                Workstream(arrangement=arrangement, area=areas[n % len(areas)], supported_lead="A", buddy_lead="B")
            )
    ArrangementBuddy.objects.bulk_create(buddies, batch_size=5000)
    TermsOfReference.objects.bulk_create(terms, batch_size=5000)
    Input.objects.bulk_create(inputs, batch_size=5000)
    made = Workstream.objects.bulk_create(workstreams, batch_size=5000)
    rags = ["green", "amber", "red", "green"]
    Milestone.objects.bulk_create(
        (
            Milestone(workstream=workstream, title="Milestone", due_date=today, rag=rags[(i + j) % len(rags)])
            for i, workstream in enumerate(made)
            for j in range(2)
        ),
        batch_size=5000,
    )


def page_queries(client: Client, url: str) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.status_code
    return len(queries), elapsed


def _streamed(response: Any) -> Iterator[bytes]:
    """A streamed test-client response's chunks (django-stubs type the client's responses as plain HttpResponse)."""
    chunks: Iterator[bytes] = response.streaming_content
    return chunks


def measure(kind: str) -> dict[str, Any]:
    """One measurement in this (fresh) process, so that memory growth is not hidden by memory freed earlier."""
    import django

    django.setup()
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.conf import settings
    from django.test import Client

    from buddying.models import User
    from reports import exports, selectors
    from reports.permissions import reportable_arrangements

    settings.REPORTS_ASYNC_ROWS = 10**9  # stream however many rows: this measures the download itself
    regulator = User.objects.get(username="regulator")
    client = Client()
    client.force_login(regulator)
    definition = selectors.REPORTS["register"]
    queryset = reportable_arrangements(regulator)
    # Warm up on a few rows: imports, the first queries and the session are not what is measured.
    warm = "/reports/register/export/?format=csv&start_from_0=1&start_from_1=1&start_from_2=2100"
    b"".join(_streamed(client.get(warm)))
    with tempfile.TemporaryDirectory() as folder:
        exports.write_xlsx(definition.columns, [], Path(folder) / "warm.xlsx", title="warm")

    with tempfile.TemporaryDirectory() as folder, PeakMemory() as memory:
        started = time.perf_counter()
        if kind == "csv":
            # The median of three downloads: this machine is shared, and one run can be slowed by others.
            times = []
            for _ in range(3):
                started = time.perf_counter()
                response = client.get("/reports/register/export/?format=csv")
                size = sum(len(chunk) for chunk in _streamed(response))
                times.append(time.perf_counter() - started)
            rows = queryset.count()
        elif kind == "xlsx":
            target = Path(folder) / "register.xlsx"
            rows = exports.write_xlsx(
                definition.columns,
                selectors.report_rows(definition, queryset, selectors.Context()),
                target,
                title=definition.title,
            )
            size = target.stat().st_size
        elif kind == "xlsx-cells":
            # Baseline: openpyxl's write-only mode writing every cell itself (no number formats, so if
            # anything a little faster than with them): what write_xlsx did before it streamed the rows.
            from openpyxl import Workbook

            target = Path(folder) / "register-cells.xlsx"
            workbook = Workbook(write_only=True)
            sheet = workbook.create_sheet(title="Register")
            sheet.append([column.label for column in definition.columns])
            rows = 0
            for row in selectors.report_rows(definition, queryset, selectors.Context()):
                sheet.append([exports.xlsx_text(value) if isinstance(value, str) else value for value in row])
                rows += 1  # noqa: SIM113 - the count is what the loop reports
            workbook.save(target)
            size = target.stat().st_size
        else:  # the naive baseline: everything loaded first, then written
            assert definition.base is not None and definition.build is not None  # the register has both
            everything = list(definition.base(queryset))
            built_rows = definition.build(everything, selectors.Context())
            buffer = io.StringIO()
            csv.writer(buffer).writerows(built_rows)
            rows, size = len(built_rows), len(buffer.getvalue().encode())
        seconds = statistics.median(times) if kind == "csv" else time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "memory_mb": memory.growth_mb, "method": memory.method, "size": size}


def measure_in_child(kind: str) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--measure", kind], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def report(label: str, result: dict[str, float], *, targets: bool) -> int:
    rate = result["rows"] / result["seconds"]
    ok_rate, ok_memory = rate >= TARGET_ROWS_PER_SECOND, result["memory_mb"] < TARGET_MEMORY_MB
    print(f"  {label} ({result['size'] / 1e6:.1f} MB, {result['rows']:,} rows)")
    if targets:
        line("    rows a second", f"{rate:,.0f}", f">= {TARGET_ROWS_PER_SECOND:,}", "PASS" if ok_rate else "FAIL")
        line(
            f"    peak memory growth ({result['method']})",
            f"{result['memory_mb']:.1f} MB",
            f"< {TARGET_MEMORY_MB:.0f} MB",
            "PASS" if ok_memory else "FAIL",
        )
    else:
        line("    rows a second", f"{rate:,.0f}")
        line(f"    peak memory growth ({result['method']})", f"{result['memory_mb']:.1f} MB")
    line("    time", f"{result['seconds']:.2f} s")
    return (not ok_rate) + (not ok_memory) if targets else 0


def main() -> int:
    recreate_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from arrangements.models import Arrangement
    from buddying.models import ExpertiseArea, Trust, User

    call_command("migrate", verbosity=0)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    trusts = Trust.objects.bulk_create(
        Trust(
            ods_code=f"R{alphabet[n // 36]}{alphabet[n % 36]}",
            name=f"Ysbyty Gwynedd \u2013 Bro Ddyfrdwy \u2018{n}\u2019 \U0001f3e5"
            if n % 50 == 0
            else f"Bench Hospitals {n} NHS Trust",
            trust_type="acute-district-general",
            region=["london", "midlands", "north-west", "south-east", "south-west"][n % 5],
            latitude=50.5 + (n % 40) / 10,
            longitude=-3.5 + (n // 40) / 4,
        )
        for n in range(TRUSTS)
    )
    areas = ExpertiseArea.objects.bulk_create(ExpertiseArea(slug=f"area-{n}", name=f"Area {n}") for n in range(8))
    regulator = User.objects.create_user(username="regulator", role="regulator", password=None)
    client = Client()
    client.force_login(regulator)

    started = time.perf_counter()
    build(0, SMALL, trusts, areas, regulator)
    small_register = page_queries(client, "/reports/register/")
    small_dashboard = page_queries(client, "/reports/dashboard/")
    build(SMALL, ARRANGEMENTS - SMALL, trusts, areas, regulator)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    built = time.perf_counter() - started
    total = Arrangement.objects.count()
    connection.close()

    print(f"Exports of {total:,} arrangements on PostgreSQL; data built in {built:.0f} s")
    print(f"Machine: {machine()}")
    print(
        "Each export runs in a fresh process; memory is its peak RSS growth over the export (over all three\n"
        "downloads for CSV, whose speed is the median of three).\n"
    )
    missed = report("Register as CSV: StreamingHttpResponse through the view", measure_in_child("csv"), targets=True)
    xlsx = measure_in_child("xlsx")
    missed += report("Register as XLSX: openpyxl workbook, rows streamed into it, to a file", xlsx, targets=True)
    cells = measure_in_child("xlsx-cells")
    report("Baseline: XLSX with openpyxl writing every cell (write-only mode)", cells, targets=False)
    speed_up = (xlsx["rows"] / xlsx["seconds"]) / (cells["rows"] / cells["seconds"])
    print(f"  {'XLSX streamed rows / openpyxl cells, rows a second':<60}{speed_up:>10.1f}x\n")
    report("Baseline: naive CSV (list(queryset), all rows built, csv.writer)", measure_in_child("naive"), targets=False)

    # Constant queries whatever the number of rows.
    print("  SQL queries per page (time at the larger size)")
    for label, url, small in (
        ("register (25 a page)", "/reports/register/", small_register),
        ("dashboard", "/reports/dashboard/", small_dashboard),
    ):
        queries, elapsed = page_queries(client, url)
        same = queries == small[0]
        missed += not same
        line(
            f"    {label}: {SMALL:,} -> {total:,} arrangements",
            f"{small[0]} -> {queries}",
            "equal",
            "PASS" if same else "FAIL",
        )
        line(f"    {label}: time with {total:,}", f"{elapsed:.0f} ms")

    print(f"\n{missed} target(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2])))
        sys.exit(0)
    sys.exit(main())
