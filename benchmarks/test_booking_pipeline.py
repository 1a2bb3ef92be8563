"""The booking pipeline on the emulator vs the same per-minute work hand-written in DuckDB.

Both run the same workload on the same timeline (one batch half-way through each minute; the
task and the gold refresh at each minute mark) and must end with the same gold. Figures: the
wall time of each and their ratio (target: emulator <= 2x).

- 6 simulated hours at 100 source changes/s (2.16M changes), the issue's figure;
- a simulated day at 10 changes/s (864k changes): a day runs end to end.

SNOWSIM_BENCH_HOURS scales the first down for a quick local look (default 6).
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backends import duckdb as local
from backends.clock import VirtualClock, to_datetime
from sim.workloads.booking import BookingWorkload, drive

from .booking_baseline import HandWrittenBookingPipeline

PIPELINE = Path(__file__).parents[1] / "scenarios" / "booking_cdc" / "pipeline.sql"
GOLD_TOTALS = ("SUM(total_bookings), SUM(valid_bookings), SUM(new_bookings), SUM(status_changes), "
               "SUM(deleted_bookings), SUM(total_active_revenue), SUM(total_lost_revenue)")
HOURS = float(os.environ.get("SNOWSIM_BENCH_HOURS", "6"))
RUNS = {
    "6 h at 100 changes/s": (round(HOURS * 60), 6_000),
    "24 h at 10 changes/s": (24 * 60, 600),
}
GOLD: dict[str, tuple] = {}


def run_emulator(minutes: int, per_minute: int) -> tuple:
    conn = local.connect()
    conn.execute_string(PIPELINE.read_text())
    drive(conn, BookingWorkload(seed=1), minutes=minutes, changes_per_minute=per_minute)
    conn.clock.advance(seconds=30)  # the task and the gold refresh at the last minute mark
    totals = conn.cursor().execute(f"SELECT {GOLD_TOTALS} FROM movie_booking_insights").fetchone()
    conn.close()
    return totals


def run_hand_written(minutes: int, per_minute: int) -> tuple:
    clock, pipeline, workload = VirtualClock(), HandWrittenBookingPipeline(), BookingWorkload(seed=1)
    zone = ZoneInfo("America/Los_Angeles")

    def local_now():
        return to_datetime(clock.now()).astimezone(zone).replace(tzinfo=None)

    for _ in range(minutes):
        clock.advance(seconds=30)
        pipeline.apply(workload.changes(clock.now(), per_minute), local_now())
        clock.advance(seconds=30)
        pipeline.consume(local_now())
        pipeline.refresh()
    return pipeline.duck.execute(f"SELECT {GOLD_TOTALS} FROM gold").fetchone()


@pytest.mark.parametrize("run", list(RUNS))
@pytest.mark.parametrize("engine", ["hand-written DuckDB", "emulator"])
def test_booking_pipeline(benchmark, record, run, engine) -> None:
    minutes, per_minute = RUNS[run]
    go = run_emulator if engine == "emulator" else run_hand_written
    totals = benchmark.pedantic(go, args=(minutes, per_minute), rounds=1, iterations=1)
    GOLD.setdefault(run, totals)
    assert totals == GOLD[run], f"{engine} computed a different gold: {totals} vs {GOLD[run]}"
    assert totals[2] > 0
    record(f"booking pipeline, {run}", engine, baseline="hand-written DuckDB")
