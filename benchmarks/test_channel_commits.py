"""A simulated minute of Snowpipe Streaming commits: what the emulator costs over DuckDB appending the rows.

Classic Streaming at 100 events/s commits 100 rows a second through a channel. A minute of it is 60
commits (offset tokens, CSNs, version lineage) and one deferred write of their 6,000 rows into the
table and its change log, which happens when the next statement reads the table. Against raw DuckDB
appending the same rows to a table of the same columns: one INSERT a commit (what the emulator did
before it deferred the writes), and one INSERT of the minute's rows (the floor, and the baseline).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from backends import duckdb as local
from sim.workloads.booking_feed import BookingFeed

LANDING = """CREATE TABLE landing (event_id INT, op STRING, booking_id STRING, customer_id STRING, movie_id STRING,
    booking_date TIMESTAMP, status STRING, ticket_count INT, ticket_price NUMBER(10, 2), source_ts TIMESTAMP)"""
START_MS = 1_736_150_400_000


def _minute_of_commits() -> list[pa.Table]:
    """60 one-second batches of 100 booking changes, as the classic client flushes them."""
    feed = BookingFeed(seed=1)
    rng = np.random.default_rng(0)
    return [feed.batch(np.sort(rng.integers(START_MS + s * 1000, START_MS + (s + 1) * 1000, 100))) for s in range(60)]


@pytest.mark.parametrize("engine", ["emulator", "duckdb, an INSERT a commit", "duckdb, an INSERT a minute"])
def test_a_minute_of_classic_streaming_commits(benchmark, record, engine) -> None:
    batches = _minute_of_commits()
    if engine == "emulator":
        conn = local.connect(start="2025-01-06T08:00:00Z")
        conn.execute_string(LANDING + "; CREATE STREAM landing_stream ON TABLE landing APPEND_ONLY = TRUE")
        channel = conn.open_channel("landing", "c0")
        cursor = conn.cursor()

        def minute() -> int:
            for batch in batches:
                channel.insert_rows(batch, str(batch["event_id"][-1].as_py()))
            return cursor.execute("SELECT COUNT(*) FROM landing").fetchone()[0]  # reading writes the rows
    else:
        conn = duckdb.connect()
        conn.execute("CREATE TABLE landing (event_id BIGINT, op VARCHAR, booking_id VARCHAR, customer_id VARCHAR, "
                     "movie_id VARCHAR, booking_date TIMESTAMP, status VARCHAR, ticket_count BIGINT, "
                     "ticket_price DECIMAL(10, 2), source_ts TIMESTAMP)")

        def minute() -> int:
            if engine.endswith("a commit"):
                for batch in batches:
                    conn.execute("INSERT INTO landing SELECT * FROM batch")
            else:
                rows = pa.concat_tables(batches)  # noqa: F841 - DuckDB reads the local by name below
                conn.execute("INSERT INTO landing SELECT * FROM rows")
            return conn.execute("SELECT COUNT(*) FROM landing").fetchone()[0]

    rows = benchmark.pedantic(minute, rounds=10, warmup_rounds=1)
    assert rows % 6000 == 0 and rows >= 6000
    conn.close()
    record("a minute of classic Streaming commits", engine, baseline="duckdb, an INSERT a minute")
