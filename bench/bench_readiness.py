"""Benchmark of pool readiness: 200 scenarios of 11 trusts over a 60-member pool, against one wave allocation of
11 trusts measured in the same run.

    .venv/bin/python bench/bench_readiness.py          # full run (under a minute)
    .venv/bin/python bench/bench_readiness.py --quick  # 20 scenarios, for the smoke test

Time with time.perf_counter around the engine call only; peak memory with tracemalloc (Python and NumPy
allocations) around a separate call. The simulation runs in a Celery worker (matching.tasks.run_pool_simulation),
never in a web worker: the pool page only enqueues it and polls its progress. Exit code 1 if a target is missed;
every checked line says PASS or FAIL.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from matching.engine import MatchSettings, allocate_wave, synthetic_pool, synthetic_supported  # the path is set above
from matching.engine.readiness import AtRiskTrust, draw_scenarios, evaluate_scenarios, summarise

SEED = 20140901
POOL_MEMBERS = 60
AT_RISK = 40
SIZE = 11
REGIONS = ("london", "midlands", "north-west", "south-east", "south-west", "east-of-england", "north-east")
# Targets: the simulation's cost is its wave allocations (overhead at most 50% over 200 single allocations, less
# where draws repeat), it fits well inside the task's soft time limit (9 minutes), and its memory stays small.
OVERHEAD_TARGET = 1.5
SECONDS_TARGET = 60.0
PEAK_MB_TARGET = 100.0


def line(label: str, value: str, target: str = "", ok: bool | None = None) -> bool:
    verdict = "" if ok is None else ("PASS" if ok else "FAIL")
    print(f"  {label:<58} {value:>16}  {target:<18} {verdict}".rstrip())
    return ok is not False


def peak_mb(call) -> float:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    tracemalloc.reset_peak()
    call()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 scenarios instead of 200")
    draws = 20 if parser.parse_args().quick else 200
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Pool readiness: {draws} scenarios x {SIZE} trusts, {POOL_MEMBERS}-member pool (load {load:.2f})")

    pool = synthetic_pool(POOL_MEMBERS, seed=SEED)
    pool = dataclasses.replace(pool, pool_member=np.ones(POOL_MEMBERS, dtype=bool))
    supported = synthetic_supported(pool, AT_RISK, seed=SEED + 1)
    at_risk = [AtRiskTrust(trust=t, region=REGIONS[i % len(REGIONS)]) for i, t in enumerate(supported)]
    settings = MatchSettings(pool_only=True)
    scenarios, _ = draw_scenarios(at_risk, (), sizes=(SIZE,), draws=draws, seed=SEED)
    first = [dataclasses.replace(at_risk[i].trust, in_special_measures=True) for i in scenarios[0].members]

    allocate_wave(first, pool, settings, k=3, exact=False)  # warm-up (imports, caches)
    repeats = 5
    started = time.perf_counter()
    for _ in range(repeats):
        allocate_wave(first, pool, settings, k=3, exact=False)
    single_s = (time.perf_counter() - started) / repeats
    started = time.perf_counter()
    allocate_wave(first, pool, settings, k=3)
    exact_s = time.perf_counter() - started
    single_mb = peak_mb(lambda: allocate_wave(first, pool, settings, k=3, exact=False))

    started = time.perf_counter()
    tallies = evaluate_scenarios(pool, at_risk, scenarios, settings, k=3)
    readiness_s = time.perf_counter() - started
    result = summarise(at_risk, scenarios, tallies, seed=SEED, draws=draws)
    readiness_mb = peak_mb(lambda: evaluate_scenarios(pool, at_risk, scenarios, settings, k=3))

    served = result.sizes[0].served_well
    ok = True
    print("\nBaseline (same run)")
    line("one wave allocation of 11 trusts, heuristic (s)", f"{single_s:.4f}")
    line("one wave allocation of 11 trusts, exact MILP (s)", f"{exact_s:.4f}")
    line("one wave allocation, peak memory (MB)", f"{single_mb:.1f}")
    print("\nReadiness")
    ok &= line(
        f"{draws} scenarios x {SIZE} trusts (s)",
        f"{readiness_s:.2f}",
        f"< {SECONDS_TARGET:.0f}",
        readiness_s < SECONDS_TARGET,
    )
    ratio = readiness_s / (draws * single_s)
    ok &= line(
        f"readiness / {draws} single allocations", f"{ratio:.2f}", f"<= {OVERHEAD_TARGET}", ratio <= OVERHEAD_TARGET
    )
    ok &= line("peak memory (MB)", f"{readiness_mb:.1f}", f"< {PEAK_MB_TARGET:.0f}", readiness_mb < PEAK_MB_TARGET)
    line("distinct waves allocated", f"{result.waves_run}")
    line(
        "share of trusts served well (standard error)",
        f"{served.estimate:.3f} ({served.standard_error:.3f})",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
