"""The benchmark script runs end to end (quick mode). Its timing targets are not asserted here: a loaded test
machine may miss them; `bench/bench_matching.py` itself exits 1 when it does."""

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "bench_matching.py"


def test_the_quick_benchmark_prints_every_figure_with_its_verdict():
    result = subprocess.run(
        [sys.executable, str(BENCH), "--quick"], cwd=BENCH.parents[1], capture_output=True, text=True, timeout=120
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    for figure in (
        "shortlist, 20,000 candidates",
        "loop / engine (20,000)",
        "heuristic / exact objective, mean over 30 trusts",
        "11 trusts over 2,000, exact (MILP)",
        "objective / LP upper bound (100 over 2,000)",
        "one buddy at a time (linear assignment)",
    ):
        assert figure in out
    verdicts = re.findall(r"\b(PASS|FAIL)$", out, flags=re.MULTILINE)
    assert len(verdicts) == 10
    assert ("FAIL" in verdicts) == (result.returncode == 1)
