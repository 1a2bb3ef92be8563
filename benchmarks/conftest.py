"""Benchmarks report ratios against a baseline measured in the same run (never absolute targets).

Each benchmark records its median and minimum under (group, engine); at the end of the session a
table of ratios to the group's baseline engine is printed. Raw samples go where pytest-benchmark writes
them (`--benchmark-autosave` keeps them under the ignored .benchmarks/ folder).
"""

from __future__ import annotations

from collections import defaultdict

import pytest

MEDIANS: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
BASELINES: dict[str, str] = {}


@pytest.fixture
def record(benchmark):
    """After `benchmark(...)` ran, `record(group, engine, baseline=...)` files its times for the ratio table."""

    def file(group: str, engine: str, *, baseline: str) -> float:
        if benchmark.stats is None:  # --benchmark-disable: each benchmark ran once, untimed (a smoke test)
            return float("nan")
        stats = benchmark.stats.stats
        MEDIANS[group][engine] = (stats.median, stats.min)
        BASELINES[group] = baseline
        return stats.median

    return file


def pytest_terminal_summary(terminalreporter) -> None:
    if not MEDIANS:
        return
    write = terminalreporter.write_line
    write("")
    write("ratios to the baseline measured in this run (median, and min which this noisy machine reads better):")
    for group, engines in MEDIANS.items():
        base = engines.get(BASELINES[group])
        for engine, (median, fastest) in sorted(engines.items(), key=lambda item: item[1]):
            ratios = f"{median / base[0]:5.2f}x median  {fastest / base[1]:5.2f}x min" if base else "n/a"
            write(f"  {group:<38} {engine:<16} {median * 1000:9.1f} ms  {ratios}  of {BASELINES[group]}")
