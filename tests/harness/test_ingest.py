"""The ingestion models on the emulator: delay chains, ordering, and every event delivered exactly once."""

from __future__ import annotations

from datetime import UTC

import numpy as np
import pytest

from backends import duckdb as local
from sim.ingest.base import implied_landing, sample_seconds, split_at_boundaries, value_bytes
from sim.ingest.snowpipe import SnowpipeModel
from sim.ingest.streaming import StreamingModel
from sim.scenario import Delay, SnowpipeVariant, StreamingClassicVariant, StreamingHighPerformanceVariant
from sim.workloads.booking_feed import BookingFeed

LANDING = """
CREATE TABLE landing (event_id INT, op STRING, booking_id STRING, customer_id STRING, movie_id STRING,
    booking_date TIMESTAMP, status STRING, ticket_count INT, ticket_price NUMBER(10, 2), source_ts TIMESTAMP);
CREATE STREAM landing_stream ON TABLE landing APPEND_ONLY = TRUE;
CREATE STAGE st;
CREATE PIPE p AS COPY INTO landing FROM @st FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;
"""


@pytest.fixture
def conn(tmp_path):
    conn = local.connect(start="2025-01-06T08:00:00Z", stage_root=tmp_path / "stages")
    conn.execute_string(LANDING)
    yield conn
    conn.close()


def _drive(conn, model, seconds: int, rate: int = 20, sent: list[int] | None = None) -> np.ndarray:
    """Hand the model 10-second chunks of events, then run the clock well past the end.

    `sent` collects each chunk's value bytes."""
    feed = BookingFeed(seed=1)
    start = conn.clock.now()
    for chunk in range(0, seconds, 10):
        t = start + chunk * 1000
        conn.clock.run_until(t)
        times = np.sort(np.random.default_rng(chunk).integers(t, t + 10_000, rate * 10))
        events = feed.batch(times)
        if sent is not None:
            sent.append(value_bytes(events))
        model.accept(events, t)
    model.finish(start + seconds * 1000)
    conn.clock.run_until(start + (seconds + 600) * 1000)
    return np.arange(1, feed.events + 1)


def _delivered(model) -> np.ndarray:
    return np.sort(np.concatenate([d.event_ids for d in model.deliveries]))


def test_classic_streaming_commits_each_flush_in_order_exactly_once(conn) -> None:
    variant = StreamingClassicVariant(name="c", ingestion="streaming_classic", clients=3)
    model = StreamingModel(variant, conn, "landing", "booking_id", np.random.default_rng(0))
    generated = _drive(conn, model, 60)
    assert _delivered(model).tolist() == generated.tolist()
    landed = conn.cursor().execute("SELECT event_id FROM landing ORDER BY event_id").fetchall()
    assert [r[0] for r in landed] == generated.tolist()
    assert model.pending == 0 and model.usage.client_seconds > 0
    tokens = [conn.open_channel("landing", f"c_{i}").latest_committed_offset_token for i in range(3)]
    assert all(tokens)
    # one booking's changes go through one channel, so they commit in event order
    commit_of = {int(e): d.csn for d in model.deliveries for e in d.event_ids}
    rows = conn.cursor().execute("SELECT booking_id, event_id FROM landing ORDER BY booking_id, event_id").fetchall()
    by_booking: dict[str, list[int]] = {}
    for booking, event in rows:
        by_booking.setdefault(booking, []).append(commit_of[event])
    several = [csns for csns in by_booking.values() if len(csns) > 1]
    assert several and all(csns == sorted(csns) for csns in several)


def test_a_client_no_key_hashes_to_sends_nothing_and_loses_nothing(conn) -> None:
    """Keyed on a column with one value (one Kafka topic), two of three clients get empty chunks."""
    variant = StreamingClassicVariant(name="c", ingestion="streaming_classic", clients=3)
    model = StreamingModel(variant, conn, "landing", "movie_id", np.random.default_rng(0))
    feed = BookingFeed(seed=1, movies=1)
    start = conn.clock.now()
    model.accept(feed.batch(np.arange(start, start + 10_000, 100, dtype=np.int64)), start)
    conn.clock.run_until(start + 60_000)
    assert _delivered(model).tolist() == list(range(1, 101))
    assert len({d.csn for d in model.deliveries}) == 10  # one client's ten flushes


def test_high_performance_streaming_lands_within_its_documented_window(conn) -> None:
    variant = StreamingHighPerformanceVariant(name="hp", ingestion="streaming_high_performance")
    model = StreamingModel(variant, conn, "landing", "booking_id", np.random.default_rng(0))
    sent: list[int] = []
    _drive(conn, model, 30, sent=sent)
    lags = []
    for delivery in model.deliveries:
        times = conn.cursor().execute(
            f"SELECT MIN(source_ts), MAX(source_ts) FROM landing WHERE event_id BETWEEN {delivery.event_ids.min()} "
            f"AND {delivery.event_ids.max()}").fetchone()
        lags.append((delivery.visible_at - int(times[1].replace(tzinfo=UTC).timestamp() * 1000)) / 1000)
    assert min(lags) >= 5 - 1e-9 and max(lags) <= 11  # 5-10 s after a flush at most 1 s after the event
    assert model.usage.bytes_billed == sum(sent) > 0  # every value billed once


def test_snowpipe_rotates_a_file_a_minute_and_loads_each_once(conn, tmp_path) -> None:
    variant = SnowpipeVariant(name="sp", ingestion="snowpipe", rotate_every=60, notification_delay=Delay(fixed=2),
                              load_overhead=Delay(fixed=20))
    model = SnowpipeModel(variant, conn, "st", "p", tmp_path / "outbox", np.random.default_rng(0))
    generated = _drive(conn, model, 180)
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == [f"sp-{i:06d}.json" for i in (1, 2, 3)]
    assert _delivered(model).tolist() == generated.tolist()
    start = 1_736_150_400_000
    # rotation at 60 s, notified 2 s later, loaded 20 s (+ size) after that, one file at a time
    assert [round((d.visible_at - start) / 1000) for d in model.deliveries] == [82, 142, 202]
    assert model.usage.files == 3 and not model.usage.failed_files
    history = conn.cursor().execute(
        "SELECT COUNT(*), SUM(ROW_COUNT) FROM TABLE(INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => 'LANDING', "
        "START_TIME => '2025-01-06 00:00:00'::TIMESTAMP_LTZ))").fetchone()
    assert history == (3, len(generated))


def test_a_file_the_pipe_cannot_load_is_reported_not_delivered(conn, tmp_path) -> None:
    variant = SnowpipeVariant(name="sp", ingestion="snowpipe", file_format="csv")  # the pipe expects JSON
    model = SnowpipeModel(variant, conn, "st", "p", tmp_path / "outbox", np.random.default_rng(0))
    _drive(conn, model, 60)
    assert model.deliveries == [] and len(model.usage.failed_files) == 1


@pytest.mark.parametrize(("delay", "low", "high"), [
    (Delay(fixed=3), 3, 3), (Delay(min=5, max=10), 5, 10), (Delay(median=20, p95=60), 0, float("inf")),
])
def test_delays_stay_in_their_shape(delay, low, high) -> None:
    rng = np.random.default_rng(0)
    draws = np.array([sample_seconds(delay, rng) for _ in range(4000)])
    assert draws.min() >= low and draws.max() <= high
    if delay.median is not None:
        assert np.median(draws) == pytest.approx(20, rel=0.05)
        assert np.percentile(draws, 95) == pytest.approx(60, rel=0.1)


@pytest.mark.parametrize(("step", "delays", "p50", "p95"), [
    (60, [Delay(fixed=2)], 32, 59),                        # the wait for the rotation, then a fixed delay
    (1, [Delay(min=5, max=10)], 8.0, 10.3),                 # high-performance Streaming's documented 5-10 s
    (10, [Delay(median=20, p95=60), Delay(fixed=0)], None, None),
])
def test_the_landing_latency_a_delay_chain_implies(step, delays, p50, p95) -> None:
    implied = implied_landing(step, delays)
    if p50 is None:  # a log-normal tail: only its order is known in closed form
        assert 20 < implied["p50"] < 30 and implied["p95"] > 60
        return
    assert implied["p50"] == pytest.approx(p50, abs=0.2)
    assert implied["p95"] == pytest.approx(p95, abs=0.2)


def test_split_at_boundaries_groups_rows_by_their_next_flush() -> None:
    feed = BookingFeed(seed=0)
    table = feed.batch(np.array([0, 400, 999, 1000, 2500], dtype=np.int64))
    groups = split_at_boundaries(table, 0, 1000)
    assert [(at, g["event_id"].to_pylist()) for at, g in groups] == [(1000, [1, 2, 3]), (2000, [4]), (3000, [5])]


def test_value_bytes_counts_values_not_keys() -> None:
    import pyarrow as pa

    assert (
        value_bytes(pa.table({"a_long_key_name": ["xy", None, "z"], "n": pa.array([1, 2, None], pa.int64())})) == 3 + 16
    )
    nested = pa.array([{"ids": [1, 2], "tag": "ab"}, None, {"ids": [], "tag": "c"}],
                      pa.struct([("ids", pa.list_(pa.int64())), ("tag", pa.string())]))
    assert value_bytes(pa.table({"o": nested})) == 16 + 3  # an array's items, not a null object's


def test_snowpipe_closes_a_full_file_early(conn, tmp_path) -> None:
    variant = SnowpipeVariant(name="sp", ingestion="snowpipe", rotate_every=60, max_file_mb=0.01,
                              notification_delay=Delay(fixed=0), load_overhead=Delay(fixed=1))
    model = SnowpipeModel(variant, conn, "st", "p", tmp_path / "outbox", np.random.default_rng(0))
    generated = _drive(conn, model, 60)
    assert len(model.deliveries) > 1  # 1,200 events do not fit in one 10 kB file
    assert _delivered(model).tolist() == generated.tolist()
    first = model.deliveries[0]
    assert first.visible_at < 1_736_150_400_000 + 60_000  # loaded before the minute's rotation


def test_a_client_restart_resends_from_the_committed_offset_token_exactly_once(conn) -> None:
    variant = StreamingClassicVariant(name="c", ingestion="streaming_classic", clients=2, restarts=[15, 31.5],
                                      commit_latency=Delay(fixed=3))
    model = StreamingModel(variant, conn, "landing", "booking_id", np.random.default_rng(0))
    sent: list[int] = []
    generated = _drive(conn, model, 60, sent=sent)
    assert model.restarts == 2
    assert model.usage.bytes_billed > sum(sent)  # what was in flight at a restart is received, and billed, twice
    assert _delivered(model).tolist() == generated.tolist()  # nothing lost, nothing twice
    landed = [r[0] for r in conn.cursor().execute("SELECT event_id FROM landing ORDER BY event_id").fetchall()]
    assert landed == generated.tolist()
    # flushes at 13-15 s were in flight at the restart (3 s commit latency): they land after the reconnect
    late = [d for d in model.deliveries if 15_000 < d.visible_at - 1_736_150_400_000 < 20_000]
    assert late == []
