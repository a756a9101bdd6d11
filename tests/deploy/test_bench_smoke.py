"""The load and first-request benchmarks run end to end against gunicorn, briefly.

Their targets are not asserted here (a loaded test machine may miss them; `make bench` gives the figures): this catches
a benchmark that no longer drives the service it measures, e.g. after a page, a setting or gunicorn.conf.py changes.
Each builds its own database named after this run's DATABASE_URL, so two `make test` at once never share one.
"""

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run_bench(script: str, *arguments: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *arguments],
        cwd=BENCH.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    verdicts = re.findall(r"\b(PASS|FAIL)$", result.stdout, flags=re.MULTILINE)
    assert verdicts, result.stdout[-2000:]
    assert ("FAIL" in verdicts) == (result.returncode == 1), result.stdout[-2000:]
    return result


def test_the_load_benchmark_signs_people_in_and_reports_latency_and_errors_against_the_sign_in_page():
    result = run_bench("bench_load.py", "--seconds", "3", "--users", "2", "--baseline-seconds", "2")
    assert re.search(r"baseline: the sign-in page, 2 s +\d+ / \d+ / \d+", result.stdout), result.stdout
    assert re.search(r"2 signed-in people, main pages, 3 s +\d+ / \d+ / \d+", result.stdout), result.stdout
    requests, errors = re.search(r"requests \(per second\), errors +(\d+) \([\d.]+/s\), (\d+)", result.stdout).groups()
    assert int(requests) > 0
    assert errors == "0", result.stdout


def test_the_first_request_benchmark_measures_the_page_and_the_pdf_pack_before_and_after_warming():
    result = run_bench("bench_first_request.py", "--rounds", "1")
    for figure in ("the first request, before", "the first request, after", "the first pack after a start, after"):
        assert re.search(rf"{figure} +\d+ ms", result.stdout), result.stdout
