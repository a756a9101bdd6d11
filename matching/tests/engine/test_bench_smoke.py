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
        "loop and engine agree on the top 10 (2,000)",
        "heuristic / exact objective, mean over 30 trusts",
        "trusts served / maximum servable (11)",
        "in special measures served / maximum (50)",
        "objective / exact optimum (independent MILP) (50)",
        "proven optimal by the engine (50)",
        "one buddy at a time (linear assignment)",
        "objective / LP upper bound",
    ):
        assert figure in out
    # The vectorised engine and the independent per-candidate loop rank the same candidates.
    assert re.findall(r"loop and engine agree on the top 10 \([\d,]+\)\s+(\w+)", out) == ["True", "True"]
    verdicts = re.findall(r"\b(PASS|FAIL)$", out, flags=re.MULTILINE)
    assert len(verdicts) == 19
    assert ("FAIL" in verdicts) == (result.returncode == 1)
