"""The harness: how fast workloads generate, and how much faster than real time a scenario runs.

- Workload generation: 1M booking change events and 1M retail events in the harness's 10-second
  chunks, against the floor of building the same number of Arrow rows from ready numpy arrays
  (figure: events/s, and the ratio to the floor). Target >= 200k events/s.
- A scenario per variant: the booking scenario at 100 events/s (24 simulated hours by default,
  the issue's figure, ~7 minutes a variant on 2 cores; SNOWSIM_BENCH_HOURS=6 takes ~5 minutes for
  all three), each variant timed alone. The figure is simulated time / wall time (target >=
  1,000x); the baseline is the simulated duration itself. Every run must conserve events, so a
  fast wrong run fails. The raw bookings table grows to ~4M rows in a day, and the landing task's
  MERGE must find each minute's changed bookings in it: DuckDB scans its key column to do so, so
  a simulated minute costs more as the day goes on (benchmarks/test_merge.py).
- The README's main job as a whole (three variants, 1 simulated hour at 20 events/s): variants run
  side by side in worker processes (`sim run`'s default, one per core) against one after another
  in this process (the baseline).
Where the time goes: `python -m sim run FILE --profile` writes the profile of a run.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from sim.parallel import cores
from sim.run import CHUNK_MS, run_scenario, run_variant
from sim.scenario import load
from sim.workloads.booking_feed import BookingFeed
from sim.workloads.rates import arrivals
from sim.workloads.retail_feed import RetailFeed

ROOT = Path(__file__).resolve().parents[1]
EVENTS = 1_000_000
RATE = 100.0
HOURS = float(os.environ.get("SNOWSIM_BENCH_HOURS", "24"))
START = 1_736_150_400_000


def _generate(feed) -> int:
    rng = np.random.default_rng(0)
    produced, t = 0, START
    while produced < EVENTS:
        produced += feed.batch(arrivals(rng, t, t + CHUNK_MS, 10_000.0)).num_rows  # 100k events a chunk
        t += CHUNK_MS
    return produced


def _floor() -> int:
    """Arrow rows from ready numpy columns: what any generator must at least pay."""
    rng = np.random.default_rng(0)
    produced = 0
    while produced < EVENTS:
        columns = [rng.integers(0, 1 << 30, 100_000) for _ in range(10)]
        produced += pa.Table.from_arrays([pa.array(c) for c in columns], names=[f"c{i}" for i in range(10)]).num_rows
    return produced


@pytest.mark.parametrize("generator", ["numpy floor", "booking feed", "retail feed"])
def test_workload_generation(benchmark, record, generator) -> None:
    make = {"numpy floor": _floor, "booking feed": lambda: _generate(BookingFeed(seed=1)),
            "retail feed": lambda: _generate(RetailFeed(seed=1))}[generator]
    produced = benchmark.pedantic(make, rounds=3, iterations=1)
    assert produced >= EVENTS
    median = record("generate 1M events", generator, baseline="numpy floor")
    benchmark.extra_info["events_per_second"] = produced / median


@pytest.mark.parametrize("variant", ["snowpipe-60s", "streaming-classic-1s", "streaming-hp"])
def test_booking_scenario_per_variant(benchmark, tmp_path, variant) -> None:
    text = (ROOT / "scenarios" / "booking_snowpipe_vs_streaming.yaml").read_text()
    text = text.replace("duration: 1h", f"duration: {HOURS:g}h").replace("rate: 20", f"rate: {RATE:g}")
    text = text.replace("[booking_cdc/", f"[{ROOT}/scenarios/booking_cdc/").replace(", booking_cdc/", f", {ROOT}/scenarios/booking_cdc/")
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    loaded = load(path)
    index = [v.name for v in loaded.scenario.variants].index(variant)
    result = benchmark.pedantic(lambda: run_variant(loaded, index, tmp_path / "out"), rounds=1, iterations=1)
    assert result.conserved, f"{variant} lost or duplicated events"
    speedup = result.simulated_seconds / benchmark.stats.stats.median
    benchmark.extra_info.update(simulated_hours=HOURS, events=result.events, speedup=speedup)
    print(f"\n{variant}: {HOURS:g} simulated h, {result.events:,} events in {benchmark.stats.stats.median:.1f} s: "
          f"{speedup:,.0f}x real time")


@pytest.mark.parametrize("jobs", ["one after another", "side by side"])
def test_main_job_whole_run(benchmark, record, tmp_path, jobs) -> None:
    loaded = load(ROOT / "scenarios" / "booking_snowpipe_vs_streaming.yaml")
    workers = 1 if jobs == "one after another" else cores()
    results = benchmark.pedantic(lambda: run_scenario(loaded, tmp_path / "out", jobs=workers), rounds=2, iterations=1)
    assert all(r.conserved for r in results)
    record("main job, 3 variants", jobs, baseline="one after another")
    benchmark.extra_info.update(workers=workers)
