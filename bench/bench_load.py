"""Load: 20 signed-in people using the service at once for 60 s, against gunicorn as `make serve` runs it.

A fresh PostgreSQL database with the demo data and 20 more people (10 regulator staff, 10 trust executives), a
Redis of its own, gunicorn with its production settings (gunicorn.conf.py: 2 workers per CPU plus one, warmed) on
127.0.0.1 only; the client is this process (threads and http.client), bounded to 20 people, each loading a page,
reading it for THINK seconds, then the next, as a busy person would:
  - the baseline in the same run: the same 20 clients loading the sign-in page (no database, a small template);
  - then the 20 signed in, each going round the main pages their role sees.
Prints p50 / p95 / p99 and errors for both, and PASS/FAIL against the targets; exits 1 if one is missed.

    .venv/bin/python bench/bench_load.py [--seconds 60] [--users 20] [--think 1.0] [--baseline-seconds 20]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import threading
import time
from pathlib import Path

# The project root, so that bench.live imports the same way here as in the tests that use it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import live

P95_TARGET_MS = 300.0
BASELINE_SECONDS = 20.0


def line(label: str, value: str, target: str = "", verdict: str = "") -> None:
    print(f"  {label:<52}{value:>22}  {target:<16}{verdict}", flush=True)


def pages_for(browser: live.Browser, *, regulator: bool) -> list[str]:
    """The main pages this person's role sees, found from the service's own links."""
    directory = browser.get("/trusts/").text
    arrangements = browser.get("/arrangements/").text
    trust = re.findall(r'href="(/trusts/[A-Z0-9]+/)"', directory)[:5]
    arrangement = re.findall(r'href="(/arrangements/\d+/)"', arrangements)[:3]
    # An executive's home page is their trust's page (a redirect): they start there.
    pages = ["/"] if regulator else []
    pages += ["/trusts/", "/trusts/map/", "/arrangements/", "/arrangements/notifications/", "/reports/"]
    pages += trust + arrangement
    if regulator:
        matching = browser.get("/matching/").text
        pages += ["/matching/", "/reports/dashboard/", "/matching/frameworks/"]
        pages += re.findall(r'href="(/matching/trusts/[A-Z0-9]+/)"', matching)[:2]
    return pages


def run_users(
    port: int, people: list[tuple[str, str]] | None, *, users: int, seconds: float, think: float
) -> tuple[list[float], int, int]:
    """`users` clients for `seconds`: signed in as `people` round their pages, or (people=None) anonymous on the
    sign-in page. Returns (latencies in s, requests, errors)."""
    latencies: list[float] = []
    errors = 0
    failures: dict[str, int] = {}
    by_page: dict[str, list[float]] = {}
    lock = threading.Lock()
    start = threading.Barrier(users + 1)

    def person(index: int) -> None:
        nonlocal errors
        rng = random.Random(index)
        browser = live.Browser(port, timeout=30)
        if people is None:
            pages = ["/sign-in/"]
        else:
            username, password = people[index % len(people)]
            browser.sign_in(username, password)
            pages = pages_for(browser, regulator=index % 2 == 0)
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            path = rng.choice(pages)
            try:
                response = browser.get(path)
                ok = response.status == 200
                took = response.seconds
            except OSError:
                ok, took = False, 0.0
            with lock:
                if ok:
                    latencies.append(took)
                    by_page.setdefault(path, []).append(took)
                else:
                    errors += 1
                    failure = f"{path} {response.status if took else 'no answer'}"
                    failures[failure] = failures.get(failure, 0) + 1
            time.sleep(rng.uniform(0.5 * think, 1.5 * think))

    threads = [threading.Thread(target=person, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    if people is not None and os.environ.get("BENCH_PAGES"):
        for path, samples in sorted(by_page.items(), key=lambda item: -live.percentile(item[1], 0.5)):
            print(f"  {path:<40} {live.summary(samples)} ms ({len(samples)})", flush=True)
    for failure, times in sorted(failures.items()):
        print(f"  error: {failure} ({times} times)", flush=True)
    return latencies, len(latencies) + errors, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds a person reads a page")
    parser.add_argument("--baseline-seconds", type=float, default=BASELINE_SECONDS)
    args, _ = parser.parse_known_args()  # run_all.py passes its own arguments to every bench

    print(f"Setting up: a fresh database with the demo data and {args.users} more people ...", flush=True)
    with live.demo_service(f"bench_load_{os.getpid()}", extra_users=args.users) as service:
        people = [(name, password) for name, password in service.accounts.items() if name.startswith("bench-")]
        with live.gunicorn(service.env, service.port):
            workers = os.environ.get("WEB_CONCURRENCY") or str((os.cpu_count() or 1) * 2 + 1)
            print(
                f"gunicorn on 127.0.0.1:{service.port}, {workers} workers; {args.users} people, "
                f"reading each page for {args.think:.1f} s on average",
                flush=True,
            )
            base, base_count, base_errors = run_users(
                service.port, None, users=args.users, seconds=args.baseline_seconds, think=args.think
            )
            signed_in, count, errors = run_users(
                service.port, people, users=args.users, seconds=args.seconds, think=args.think
            )
    print(f"  machine: {live.machine_load()}")
    print(f"{'':<54}{'p50 / p95 / p99 ms':>22}")
    line(f"baseline: the sign-in page, {args.baseline_seconds:.0f} s", live.summary(base))
    line("  requests, errors", f"{base_count}, {base_errors}")
    p95 = live.percentile(signed_in, 0.95) * 1000
    ok_p95 = p95 <= P95_TARGET_MS
    ok_errors = errors == 0 and base_errors == 0
    line(f"{args.users} signed-in people, main pages, {args.seconds:.0f} s", live.summary(signed_in))
    line("  p95", f"{p95:.0f} ms", f"<= {P95_TARGET_MS:.0f} ms", "PASS" if ok_p95 else "FAIL")
    line(
        "  requests (per second), errors",
        f"{count} ({count / args.seconds:.1f}/s), {errors}",
        "0 errors",
        "PASS" if ok_errors else "FAIL",
    )
    ratio = live.percentile(signed_in, 0.5) / max(live.percentile(base, 0.5), 1e-6)
    line("  p50 against the sign-in page's", f"x{ratio:.1f}")
    return 0 if ok_p95 and ok_errors else 1


if __name__ == "__main__":
    sys.exit(main())
