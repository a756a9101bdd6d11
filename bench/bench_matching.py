"""Benchmark of the matching engine, with each figure checked against its target in the same run.

    .venv/bin/python bench/bench_matching.py          # full run (about 15 seconds)
    .venv/bin/python bench/bench_matching.py --quick  # smaller run (a few seconds), for the smoke test

Times are medians of repeated calls after warm-up, measured with time.perf_counter around the engine call only
(synthetic inputs are built beforehand; each pool is prepared once, as a server would keep it). Exit code 1 if any
target is missed; every checked line says PASS or FAIL.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import maximum_flow

from matching.engine import (  # the path is set just above
    CandidatePool,
    MatchSettings,
    SupportedTrust,
    allocate_wave,
    build_team,
    prepare_pool,
    score_pool,
    shortlist,
    shortlist_loop,
    synthetic_pool,
    synthetic_supported,
)

SEED = 20140901  # the month of the buddying review
T = TypeVar("T")


class Report:
    def __init__(self) -> None:
        self.failures: list[str] = []

    def section(self, title: str) -> None:
        print(f"\n{title}")
        print("-" * len(title))

    def line(self, label: str, value: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("PASS" if ok else "FAIL")
        print(f"  {label:<58} {value:>22}  {target:<24} {verdict}".rstrip())
        if ok is False:
            self.failures.append(label)


def median_ms(call: Callable[[], object], repeats: int, warmup: int) -> float:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000.0


def cycling(trusts: Sequence[SupportedTrust], call: Callable[[SupportedTrust], object]) -> Callable[[], object]:
    """A call that goes round the supported trusts, so the figure is not one lucky trust."""
    state = {"i": 0}

    def run() -> object:
        trust = trusts[state["i"] % len(trusts)]
        state["i"] += 1
        return call(trust)

    return run


def bench_shortlist(report: Report, quick: bool) -> None:
    report.section("Shortlist (engine time, k=10): national scale (250) with targets; larger pools as a stress test")
    settings = MatchSettings()
    sizes = (250, 2_000, 20_000) if quick else (250, 2_000, 20_000, 200_000)
    for n in sizes:
        pool = synthetic_pool(n, seed=SEED)
        trusts = synthetic_supported(pool, 20, seed=SEED + 1)
        started = time.perf_counter()
        prepare_pool(pool)
        prepare_ms = (time.perf_counter() - started) * 1000.0
        repeats = 40 if n >= 200_000 else 200
        engine = median_ms(
            cycling(trusts, partial(_ranking, pool=pool, settings=settings, include_exclusions=False)),
            repeats,
            warmup=60,
        )
        # The loop: every candidate one at a time. At 200,000 it runs on the first 20,000 and is scaled up.
        sample_n = min(n, 20_000)
        sample = _head(pool, sample_n) if sample_n < n else pool
        loop_repeats = 3 if sample_n >= 20_000 else 10
        loop = median_ms(cycling(trusts, partial(_loop, pool=sample, settings=settings)), loop_repeats, 1)
        loop *= n / sample_n
        ratio = loop / engine
        target = ""
        ok: bool | None = None
        if n == 250:
            target, ok = "< 1 ms", engine < 1.0
        report.line(f"shortlist, {n:,} candidates", f"{engine:.3f} ms", target, ok)
        report.line(f"  pool preparation, once per pool ({n:,})", f"{prepare_ms:.1f} ms")
        note = f" (run on {sample_n:,}, scaled x{n // sample_n})" if sample_n < n else ""
        report.line(f"  per-candidate Python loop{note}", f"{loop:.1f} ms")
        report.line(
            f"  loop / engine ({n:,})",
            f"{ratio:,.0f}x",
            ">= 20x" if n == 20_000 else "",
            ratio >= 20 if n == 20_000 else None,
        )
        if n in (20_000, 200_000):
            with_exclusions = median_ms(
                cycling(trusts, partial(_ranking, pool=pool, settings=settings, include_exclusions=True)),
                5 if n >= 200_000 else 20,
                warmup=2,
            )
            excluded = len(shortlist(trusts[0], pool, settings, 10).excluded)
            report.line(
                f"  with include_exclusions=True ({excluded:,} exclusions listed)",
                f"{with_exclusions:.2f} ms",
            )
        # Sanity: the loop and the engine rank the same candidates.
        if n <= 2_000:
            engine_top = [r.ods_code for r in shortlist(trusts[0], pool, settings, 10).ranked]
            loop_top = [code for code, _ in shortlist_loop(trusts[0], pool, settings, 10)]
            report.line(f"  loop and engine agree on the top 10 ({n:,})", str(engine_top == loop_top), "", None)


def _ranking(
    trust: SupportedTrust, *, pool: CandidatePool, settings: MatchSettings, include_exclusions: bool
) -> object:
    return shortlist(trust, pool, settings, 10, include_exclusions=include_exclusions)


def _loop(trust: SupportedTrust, *, pool: CandidatePool, settings: MatchSettings) -> object:
    return shortlist_loop(trust, pool, settings, 10)


def _head(pool: CandidatePool, n: int) -> CandidatePool:
    fields = {name: getattr(pool, name) for name in pool.__dataclass_fields__}
    head: dict[str, Any] = {
        name: value[:n] if isinstance(value, np.ndarray) else value for name, value in fields.items()
    }
    return CandidatePool(**head)


def bench_team(report: Report, quick: bool) -> None:
    report.section("Team of up to 3 buddies (issue-specific buddying), 2,000 candidates")
    pool = synthetic_pool(2_000, seed=SEED + 2)
    trusts = synthetic_supported(pool, 30 if quick else 60, seed=SEED + 3)
    settings = MatchSettings()
    prepare_pool(pool)
    heuristic = median_ms(cycling(trusts, lambda t: build_team(t, pool, settings, 3, exact=False)), 200, 30)
    ratios = []
    exact_times = []
    proven = 0
    for trust in trusts:
        result = build_team(trust, pool, settings, 3, exact=True)
        assert result.exact is not None
        exact_times.append(result.exact_ms or 0.0)
        proven += result.exact.method == "exact (HiGHS)"
        if result.exact.objective > 0:
            ratios.append(result.heuristic.objective / result.exact.objective)
    mean_ratio = statistics.fmean(ratios)
    report.line("heuristic (scoring + greedy + swaps)", f"{heuristic:.3f} ms", "< 2 ms", heuristic < 2.0)
    report.line(
        f"heuristic / exact objective, mean over {len(ratios)} trusts",
        f"{mean_ratio:.4f}",
        ">= 0.98",
        mean_ratio >= 0.98,
    )
    report.line("  worst trust", f"{min(ratios):.4f}")
    report.line("  heuristic optimal", f"{sum(r >= 1 - 1e-12 for r in ratios)} of {len(ratios)}")
    report.line("  exact proven over the whole pool", f"{proven} of {len(trusts)}")
    report.line("  exact (pruning + HiGHS MILP), median", f"{statistics.median(exact_times):.1f} ms")


def bench_wave(report: Report, quick: bool) -> None:
    """Waves at national scale: 250 candidates, 11, 50 and 100 trusts, and 50 trusts sharing a scarce pool.

    Each wave is compared, in the same run, with two independent computations made here from the trusts' values
    (`PoolScores.values`, the quantity a wave maximises): the most trusts that could each get one useful buddy at
    once (a maximum flow), and the exact optimum (a MILP over every useful pair, no pruning, that must serve as
    many trusts, those in special measures first, as the maximum flow allows).
    """
    report.section("Wave at national scale: 250 candidates, k = 3 each (engine time)")
    settings = MatchSettings()
    national = synthetic_pool(250, seed=SEED + 4)
    # Scarce: the same candidates, but only 30 of them in the framework pool, each with one free place, for 50
    # trusts: not every trust can be served, so who is left out matters.
    members = np.flatnonzero(national.pool_member)[:30]
    scarce_pool = dataclasses.replace(
        national,
        pool_member=np.isin(np.arange(len(national)), members),
        max_arrangements=np.ones(len(national), dtype=np.int64),
        active_arrangements=np.zeros(len(national), dtype=np.int64),
    )
    # The last case is scarce: only the framework pool (pool_only), so not every trust can be served.
    cases = ((11, False), (50, False), (50, True)) if quick else ((11, False), (50, False), (100, False), (50, True))
    shortfalls: list[tuple[str, float, float, tuple[str, str]]] = []
    for trusts_n, scarce in cases:
        settings = MatchSettings(pool_only=scarce)
        pool = scarce_pool if scarce else national
        trusts = [
            dataclasses.replace(trust, in_special_measures=i % 3 == 0)
            for i, trust in enumerate(synthetic_supported(national, trusts_n, seed=SEED + 5))
        ]
        times, results = _repeat(partial(allocate_wave, trusts, pool, settings, 3), 1 if quick else 3)
        result = results[-1]
        ms = statistics.median(times)
        optimum, servable, servable_sm = independent_optimum(trusts, pool, settings, 3)
        served_sm = sum(
            1 for trust, a in zip(trusts, result.allocations, strict=True) if a.members and trust.in_special_measures
        )
        name = f"{trusts_n} trusts{', scarce pool' if scarce else ''}"
        report.line(
            f"{name}: time", f"{ms:.0f} ms", "< 2 s" if trusts_n <= 50 else "", ms < 2000 if trusts_n <= 50 else None
        )
        report.line(
            f"  trusts served / maximum servable ({trusts_n})",
            f"{result.served} / {servable}",
            "equal",
            result.served == servable,
        )
        report.line(
            f"  in special measures served / maximum ({trusts_n})",
            f"{served_sm} / {servable_sm}",
            "equal",
            served_sm == servable_sm,
        )
        share = result.objective / optimum if optimum > 0 else 1.0
        report.line(
            f"  objective / exact optimum (independent MILP) ({trusts_n})",
            f"{share:.4f}",
            ">= 0.99",
            share >= 0.99 - 1e-9,
        )
        if trusts_n <= 50:
            report.line(f"  proven optimal by the engine ({trusts_n})", str(result.exact), "True", result.exact)
        assignment = allocate_wave(trusts, pool, settings, 3, method="assignment")
        stable = allocate_wave(trusts, pool, settings, 3, method="stable")
        shortfalls.append(
            (
                f"{trusts_n} trusts{', pool only' if scarce else ''}",
                100.0 * (1.0 - assignment.objective / result.objective),
                100.0 * (1.0 - stable.objective / result.objective),
                (
                    f"{assignment.served} of {result.max_servable} served",
                    f"{stable.served} of {result.max_servable} served",
                ),
            )
        )
    report.section("The comparison methods: coverage (% less than the coverage method) and trusts served")
    for label, a_less, s_less, served in shortfalls:
        report.line(f"{label}: one buddy at a time (linear assignment)", f"{a_less:.1f}% less, {served[0]}")
        report.line(f"{label}: stable matching (deferred acceptance)", f"{s_less:.1f}% less, {served[1]}")
    report.section("Stress test: 100 trusts over 2,000 candidates (not a national size)")
    big = synthetic_pool(2_000, seed=SEED + 4)
    trusts = synthetic_supported(big, 100, seed=SEED + 5)
    times, results = _repeat(partial(allocate_wave, trusts, big, settings, 3), 1)
    result = results[-1]
    bound = result.upper_bound or result.objective
    report.line("100 trusts over 2,000", f"{statistics.median(times):.0f} ms")
    report.line("  objective / LP upper bound", f"{result.objective / bound:.4f}")


def independent_optimum(
    trusts: Sequence[SupportedTrust], pool: CandidatePool, settings: MatchSettings, k: int
) -> tuple[float, int, int]:
    """The exact optimum of the wave, the most trusts servable and the most in special measures servable.

    Written apart from the engine's allocator: every useful (trust, buddy) pair, no pruning or bound fixing.
    Served maxima by maximum flow (source -> trust 1 -> useful buddy 1 -> sink free places); the MILP then
    maximises sum v[t, c, a] y[t, c, a] with y <= x, one credit per need, k buddies per trust, free places per
    buddy, z_t <= sum_c x[t, c], and at least the maximum served (overall and in special measures).
    """
    prep = prepare_pool(pool)
    values = [score_pool(trust, pool, settings).values for trust in trusts]
    slots = prep.slots
    pairs = [(t, int(c)) for t, v in enumerate(values) for c in np.flatnonzero((v.max(axis=1) > 0) & (slots > 0))]

    def max_served(which: Sequence[int]) -> int:
        chosen = set(which)
        rows = sorted({c for t, c in pairs if t in chosen})
        index = {c: i for i, c in enumerate(rows)}
        t_n, c_n = len(trusts), len(rows)
        size = 2 + t_n + c_n
        graph = np.zeros((size, size), dtype=np.int32)
        for t in chosen:
            graph[0, 1 + t] = 1
        for t, c in pairs:
            if t in chosen:
                graph[1 + t, 1 + t_n + index[c]] = 1
        for c, i in index.items():
            graph[1 + t_n + i, size - 1] = int(slots[c])
        return int(maximum_flow(sparse.csr_array(graph), 0, size - 1).flow_value)

    special = [t for t, trust in enumerate(trusts) if trust.in_special_measures]
    servable = max_served(range(len(trusts)))
    servable_sm = max_served(special)
    x_n = len(pairs)
    ys = [(p, a, values[t][c, a]) for p, (t, c) in enumerate(pairs) for a in np.flatnonzero(values[t][c] > 0)]
    y_n = len(ys)
    z0 = x_n + y_n
    n_vars = z0 + len(trusts)
    rows: list[dict[int, float]] = []
    upper: list[float] = []
    for i, (p, _a, _v) in enumerate(ys):
        rows.append({x_n + i: 1.0, p: -1.0})
        upper.append(0.0)
    credits: dict[tuple[int, int], dict[int, float]] = {}
    for i, (p, a, _v) in enumerate(ys):
        credits.setdefault((pairs[p][0], int(a)), {})[x_n + i] = 1.0
    rows.extend(credits.values())
    upper.extend([1.0] * len(credits))
    per_trust: dict[int, dict[int, float]] = {}
    per_buddy: dict[int, dict[int, float]] = {}
    for p, (t, c) in enumerate(pairs):
        per_trust.setdefault(t, {})[p] = 1.0
        per_buddy.setdefault(c, {})[p] = 1.0
    for t in range(len(trusts)):
        rows.append(per_trust.get(t, {}))
        upper.append(float(k))
        rows.append({z0 + t: 1.0, **dict.fromkeys(per_trust.get(t, {}), -1.0)})
        upper.append(0.0)
    for c, row in per_buddy.items():
        rows.append(row)
        upper.append(float(slots[c]))
    rows.append({z0 + t: -1.0 for t in range(len(trusts))})
    upper.append(-float(servable))
    rows.append({z0 + t: -1.0 for t in special})
    upper.append(-float(servable_sm))
    data, row_index, column = [], [], []
    for r, row in enumerate(rows):
        for j, coefficient in row.items():
            data.append(coefficient)
            row_index.append(r)
            column.append(j)
    matrix = sparse.csr_array((data, (row_index, column)), shape=(len(rows), n_vars))
    cost = np.zeros(n_vars)
    cost[x_n:z0] = [-v for _p, _a, v in ys]
    result = milp(
        cost,
        constraints=[LinearConstraint(matrix, -np.inf, np.asarray(upper))],
        integrality=np.r_[np.ones(x_n), np.zeros(y_n + len(trusts))],
        bounds=Bounds(0.0, 1.0),
        options={"mip_rel_gap": 1e-9, "time_limit": 600},
    )
    return (-float(result.fun) if result.x is not None else math.nan), servable, servable_sm


def _repeat(call: Callable[[], T], repeats: int) -> tuple[list[float], list[T]]:
    call()  # warm-up
    times: list[float] = []
    results: list[T] = []
    for _ in range(repeats):
        started = time.perf_counter()
        results.append(call())
        times.append((time.perf_counter() - started) * 1000.0)
    return times, results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (a few seconds)")
    args = parser.parse_args(argv)
    report = Report()
    started = time.perf_counter()
    print(f"Matching engine benchmark{' (quick)' if args.quick else ''}: Python {sys.version.split()[0]}")
    bench_shortlist(report, args.quick)
    bench_team(report, args.quick)
    bench_wave(report, args.quick)
    print(f"\n{len(report.failures)} target(s) missed; took {time.perf_counter() - started:.0f} s")
    for label in report.failures:
        print(f"  FAIL: {label.strip()}")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
