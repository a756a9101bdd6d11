"""The first request after a web worker starts, and the PDF pack (first and warm), against gunicorn as `make serve`
runs it.

A fresh PostgreSQL database with the demo data, a Redis of its own, and gunicorn on 127.0.0.1 with one worker,
started ROUNDS times in each of two ways:
  - before: gunicorn's defaults (no gunicorn.conf.py), each worker loading Django itself and importing views,
    compiling templates and loading the PDF engine on the requests that first need them;
  - after: gunicorn.conf.py, which loads Django once and warms it (buddying/warmup.py) before forking the worker.
Each start waits until the worker serves a static file, then times, for a signed-in regulator (a session made in
the database, so no sign-in warms anything first): the first request of a page, the same page again, the first
PDF pack of an arrangement, the pack again; and the baseline in the same run, a trivial page (the sign-in page).
Prints medians over the starts and PASS/FAIL against the targets; exits 1 if one is missed.

    .venv/bin/python bench/bench_first_request.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
from pathlib import Path

# The project root, so that bench.live imports the same way here as in the tests that use it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import live

PAGE = "/"  # a regulator's home page: where everyone lands after signing in
REPEATS = 5
# The first request may cost at most this much more than the same page warm.
FIRST_REQUEST_EXTRA_MS = 250.0
# The first pack after a start may cost at most this much more than a warm pack.
FIRST_PACK_EXTRA_MS = 250.0


def line(label: str, value: str, target: str = "", verdict: str = "") -> None:
    print(f"  {label:<58}{value:>12}  {target:<18}{verdict}", flush=True)


def one_start(service: live.DemoService, session: str, pack: str, *, warm: bool) -> dict[str, float]:
    with live.gunicorn(service.env, service.port, warm=warm, workers=1):
        browser = live.Browser(service.port)
        browser.cookies["sessionid"] = session

        def timed(path: str, *, anonymous: bool = False) -> float:
            client = live.Browser(service.port) if anonymous else browser
            response = client.get(path)
            assert response.status == 200, f"{path}: {response.status}"
            return response.seconds * 1000

        figures = {"first page": timed(PAGE)}
        figures["page again"] = statistics.median(timed(PAGE) for _ in range(REPEATS))
        figures["first pack"] = timed(pack)
        figures["pack again"] = statistics.median(timed(pack) for _ in range(REPEATS))
        figures["trivial page"] = statistics.median(timed("/sign-in/", anonymous=True) for _ in range(REPEATS))
        return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args, _ = parser.parse_known_args()  # run_all.py passes its own arguments to every bench

    print("Setting up: a fresh database with the demo data ...", flush=True)
    with live.demo_service(f"bench_first_{os.getpid()}") as service:
        session = live.session_for(service.env, "regulator")
        # An arrangement of the demo data, found the way a regulator would (its pack is a link on its page).
        with live.gunicorn(service.env, service.port, workers=1):
            browser = live.Browser(service.port)
            browser.cookies["sessionid"] = session
            arrangement = re.findall(r'href="/arrangements/(\d+)/"', browser.get("/arrangements/").text)[0]
        pack = f"/reports/arrangements/{arrangement}/pack/"
        results = {
            mode: [one_start(service, session, pack, warm=mode == "after") for _ in range(args.rounds)]
            for mode in ("before", "after")
        }

    def median(mode: str, name: str) -> float:
        return statistics.median(figures[name] for figures in results[mode])

    trivial = statistics.median(figures["trivial page"] for mode in results for figures in results[mode])
    first_extra = median("after", "first page") - median("after", "page again")
    pack_extra = median("after", "first pack") - median("after", "pack again")
    ok_first = first_extra <= FIRST_REQUEST_EXTRA_MS
    ok_pack = pack_extra <= FIRST_PACK_EXTRA_MS
    print(f"  machine: {live.machine_load()}")
    print(f"  Medians of {args.rounds} starts of a one-worker gunicorn, before (gunicorn's defaults) and after")
    print("  (gunicorn.conf.py: Django loaded and warmed before the worker forks).")
    print("  The first request after a worker starts: a signed-in regulator's home page")
    line("    baseline: a trivial page (the sign-in page), warm", f"{trivial:.0f} ms")
    line("    the page, warm", f"{median('after', 'page again'):.0f} ms")
    line("    the first request, before", f"{median('before', 'first page'):.0f} ms")
    line("    the first request, after", f"{median('after', 'first page'):.0f} ms")
    line(
        "    after: what the first request costs over a warm one",
        f"{first_extra:.0f} ms",
        f"<= {FIRST_REQUEST_EXTRA_MS:.0f} ms",
        "PASS" if ok_first else "FAIL",
    )
    print("  The PDF pack of an arrangement")
    line("    baseline: a trivial page (the sign-in page), warm", f"{trivial:.0f} ms")
    line(
        "    a pack, warm (before / after)",
        f"{median('before', 'pack again'):.0f} / {median('after', 'pack again'):.0f} ms",
    )
    line("    the first pack after a start, before", f"{median('before', 'first pack'):.0f} ms")
    line("    the first pack after a start, after", f"{median('after', 'first pack'):.0f} ms")
    line(
        "    after: what the first pack costs over a warm one",
        f"{pack_extra:.0f} ms",
        f"<= {FIRST_PACK_EXTRA_MS:.0f} ms",
        "PASS" if ok_pack else "FAIL",
    )
    return 0 if ok_first and ok_pack else 1


if __name__ == "__main__":
    sys.exit(main())
