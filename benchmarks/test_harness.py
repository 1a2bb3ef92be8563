"""The harness: how fast workloads generate, and how much faster than real time a scenario runs.

- Workload generation: 1M booking, retail, PostgreSQL CDC, TMDb and custom (the `sim init` starter's
  order feed, on a 1M-key space) events each in the harness's 10-second
  chunks, against the floor of building the same number of Arrow rows from ready numpy arrays
  (figure: events/s, and the ratio to the floor). Target >= 200k events/s.
- A scenario per variant: the booking scenario at 100 events/s (24 simulated hours by default,
  the issue's figure, ~7 minutes a variant on 2 cores; SNOWSIM_BENCH_HOURS=6 takes ~5 minutes for
  all three), each variant timed alone. The figure is simulated time / wall time (target >=
  1,000x); the baseline is the simulated duration itself. Every run must conserve events, so a
  fast wrong run fails. The raw bookings table grows to ~4M rows in a day, and the landing task's
  MERGE must find each minute's changed bookings in it: DuckDB scans its key column to do so, so
  a simulated minute costs more as the day goes on (benchmarks/test_merge.py).
- The fixed cost of a simulated minute: one simulated hour at 1 event/s against 100 events/s, and
  a statement shaped like the gold refresh's on 80 rows, on none, and prepared.
- The README's main job as a whole (three variants, 1 simulated hour at 20 events/s): variants run
  side by side in worker processes (`sim run`'s default, one per core) against one after another
  in this process (the baseline).
Where the time goes: `python -m sim run FILE --profile` writes the profile of a run.
"""

from __future__ import annotations

import os
from pathlib import Path
from string import Template

import duckdb
import numpy as np
import pyarrow as pa
import pytest
import yaml

from sim.parallel import cores
from sim.run import CHUNK_MS, run_scenario, run_variant
from sim.scenario import CustomWorkloadSpec, load
from sim.workloads import FEEDS
from sim.workloads.booking_feed import BookingFeed
from sim.workloads.postgres_cdc_feed import PostgresCdcFeed
from sim.workloads.rates import arrivals
from sim.workloads.retail_feed import RetailFeed
from sim.workloads.tmdb_feed import TmdbFeed

ROOT = Path(__file__).resolve().parents[1]
STARTER = ROOT / "sim" / "starter" / "scenario.yaml"
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


def _custom_feed():
    """The starter scenario's custom workload, on a key space that a 1M-event run does not fill."""
    workload = yaml.safe_load(Template(STARTER.read_text()).substitute(name="bench"))["workload"]
    return FEEDS["custom"](1, CustomWorkloadSpec.model_validate({**workload, "key": {"column": "order_id",
                                                                                     "keys": 1_000_000}}))


@pytest.mark.parametrize("generator", ["numpy floor", "booking feed", "retail feed", "postgres cdc feed", "tmdb feed",
                                       "custom feed"])
def test_workload_generation(benchmark, record, generator) -> None:
    make = {"numpy floor": _floor, "booking feed": lambda: _generate(BookingFeed(seed=1)),
            "retail feed": lambda: _generate(RetailFeed(seed=1)),
            "postgres cdc feed": lambda: _generate(PostgresCdcFeed(seed=1)),
            "tmdb feed": lambda: _generate(TmdbFeed(seed=1)),
            "custom feed": lambda: _generate(_custom_feed())}[generator]
    produced = benchmark.pedantic(make, rounds=3, iterations=1)
    assert produced >= EVENTS
    median = record("generate 1M events", generator, baseline="numpy floor")
    benchmark.extra_info["events_per_second"] = produced / median


def _booking(tmp_path: Path, hours: float, rate: float):
    """The main job's scenario at another duration and rate."""
    text = (ROOT / "scenarios" / "booking_snowpipe_vs_streaming.yaml").read_text()
    text = text.replace("duration: 1h", f"duration: {hours:g}h").replace("rate: 20", f"rate: {rate:g}")
    text = text.replace("[booking_cdc/", f"[{ROOT}/scenarios/booking_cdc/").replace(
        ", booking_cdc/", f", {ROOT}/scenarios/booking_cdc/"
    )
    path = tmp_path / f"scenario-{hours:g}h-{rate:g}.yaml"
    path.write_text(text)
    return load(path)


@pytest.mark.parametrize("variant", ["snowpipe-60s", "streaming-classic-1s", "streaming-hp"])
def test_booking_scenario_per_variant(benchmark, tmp_path, variant) -> None:
    loaded = _booking(tmp_path, HOURS, RATE)
    index = [v.name for v in loaded.scenario.variants].index(variant)
    result = benchmark.pedantic(lambda: run_variant(loaded, index, tmp_path / "out"), rounds=1, iterations=1)
    assert result.conserved, f"{variant} lost or duplicated events"
    speedup = result.simulated_seconds / result.wall_seconds  # one round: the benchmark's own time, less its overhead
    benchmark.extra_info.update(simulated_hours=HOURS, events=result.events, speedup=speedup,
                                wall_seconds_by_activity=result.wall_seconds_by_activity)
    print(f"\n{variant}: {HOURS:g} simulated h, {result.events:,} events in {result.wall_seconds:.1f} s: "
          f"{speedup:,.0f}x real time; where the time went:")
    for activity, seconds in result.wall_seconds_by_activity.items():
        print(f"  {seconds:8.1f} s {100 * seconds / result.wall_seconds:4.0f} %  {activity}")


@pytest.mark.parametrize("rate", [1, 100])
def test_cost_of_a_simulated_minute_by_rate(benchmark, record, tmp_path, rate) -> None:
    """One simulated hour (Snowpipe variant) at 1 event/s, the pipeline's fixed cost, against 100 events/s.

    At 1 event/s every table stays small, yet each simulated minute still runs the ~25 DuckDB
    statements of the landing MERGE, the stream consumer and the two refreshes; their planning
    (test_planning_against_running) sets a ceiling on simulated/wall that no data volume lifts.
    """
    loaded = _booking(tmp_path, 1, rate)
    result = benchmark.pedantic(lambda: run_variant(loaded, 0, tmp_path / "out"), rounds=2, iterations=1)
    assert result.conserved
    median = record("1 simulated h, snowpipe", f"{rate} events/s", baseline="1 events/s")
    benchmark.extra_info.update(ms_per_simulated_minute=median * 1000 / 60, speedup=result.simulated_seconds / median)
    print(f"\n{rate} events/s: {median * 1000 / 60:.0f} ms a simulated minute, "
          f"{result.simulated_seconds / median:,.0f}x real time")


@pytest.mark.parametrize("how", ["on 80 rows", "on no rows", "prepared, on 80 rows"])
def test_planning_against_running(benchmark, record, how) -> None:
    """A statement shaped like the gold refresh's (40 conditional sums, grouped) on 80 rows, on none, and prepared.

    On no rows it costs 70-90 % of what it costs on 80 (measured 2026-12-01), and preparing it once
    saves a quarter to a third: the per-statement floor of the emulator is DuckDB's parser, binder
    and optimizer, not data.
    """
    con = duckdb.connect(config={"threads": 2})
    columns = ", ".join(f"i::BIGINT AS a{j}" for j in range(40))
    con.execute(f"CREATE TABLE s AS SELECT (i % 20)::VARCHAR AS k, {columns} FROM range(80) t(i)")
    con.execute("CREATE TABLE empty AS FROM s LIMIT 0")
    sums = ", ".join(f"CAST(sum(CASE WHEN a{j} IS NULL THEN 0 ELSE a{j} END) AS BIGINT)" for j in range(40))
    con.execute(f"PREPARE gold AS SELECT k, {sums} FROM s GROUP BY k")
    sql = {"on 80 rows": f"SELECT k, {sums} FROM s GROUP BY k", "on no rows": f"SELECT k, {sums} FROM empty GROUP BY k",
           "prepared, on 80 rows": "EXECUTE gold"}[how]
    rows = benchmark.pedantic(lambda: con.execute(sql).fetchall(), rounds=50, iterations=1, warmup_rounds=2)
    assert len(rows) == (0 if how == "on no rows" else 20)
    record("40 grouped sums", how, baseline="on 80 rows")


@pytest.mark.parametrize("jobs", ["one after another", "side by side"])
def test_main_job_whole_run(benchmark, record, tmp_path, jobs) -> None:
    loaded = load(ROOT / "scenarios" / "booking_snowpipe_vs_streaming.yaml")
    workers = 1 if jobs == "one after another" else cores()
    results = benchmark.pedantic(lambda: run_scenario(loaded, tmp_path / "out", jobs=workers), rounds=2, iterations=1)
    assert all(r.conserved for r in results)
    record("main job, 3 variants", jobs, baseline="one after another")
    benchmark.extra_info.update(workers=workers)
