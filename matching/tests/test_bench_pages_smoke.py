"""The match-explorer page benchmark runs end to end against PostgreSQL (its own throwaway database).

Its timing targets are not asserted here (a loaded test machine may miss them; `make bench` does):
this catches a benchmark that no longer drives the pages it measures, e.g. after a form changes.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_pages.py"


def test_the_page_benchmark_drives_the_explorer_and_prints_each_figure_with_its_verdict():
    # Named after this run's own database, so that two test runs at once (make test's slots) never share it.
    environment = {**os.environ, "BENCH_DATABASE_URL": os.environ["DATABASE_URL"] + "_bench_smoke"}
    result = subprocess.run(
        [sys.executable, str(BENCH)], cwd=BENCH.parents[1], capture_output=True, text=True, timeout=300, env=environment
    )
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode in (0, 1), result.stderr[-2000:]
    for figure in ("shortlist as the user waits (POST", "read the shortlist page (GET)", "queries with"):
        assert figure in result.stdout
    verdicts = re.findall(r"\b(PASS|FAIL)$", result.stdout, flags=re.MULTILINE)
    assert len(verdicts) == 3
    assert ("FAIL" in verdicts) == (result.returncode == 1)
