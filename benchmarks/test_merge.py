"""MERGE into a tracked table (the booking landing task's statement) against DuckDB's own MERGE.

Each round merges 6,000 changes (2,000 updates and 400 deletes of scattered existing keys, 3,600
new keys: one minute of the booking feed at 100 events/s) into a table of 1M or 4M rows (a
simulated day of bookings is ~4M). The emulator's table has a stream on it, so every row image
is also written to its change log; DuckDB's is a bare table running the same MERGE. Figure: the
emulator's median as a ratio to DuckDB's at the same size. Both read the key column of the
whole table to find the matches, so both grow with the table.
"""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import pytest

from backends import duckdb as local

COLUMNS = "booking_id STRING, customer_id STRING, status STRING, ticket_count INT, ticket_price NUMBER(10, 2)"
FILL = ("SELECT 'B' || LPAD(i::VARCHAR, 10, '0'), 'C' || (i % 5000)::VARCHAR, 'BOOKED', (i % 7)::INT, "
        "(i % 100)::DECIMAL(10, 2) FROM range({rows}) r(i)")
MERGE = ("MERGE INTO r USING src c ON r.booking_id = c.booking_id WHEN MATCHED AND c.op = 'D' THEN DELETE "
         "WHEN MATCHED THEN UPDATE SET status = c.status, ticket_count = c.ticket_count "
         "WHEN NOT MATCHED AND c.op <> 'D' THEN INSERT (booking_id, customer_id, status, ticket_count, ticket_price) "
         "VALUES (c.booking_id, 'C0', c.status, c.ticket_count, 9.50)")


def _source(rows: int, round_number: int) -> str:
    """One minute of changes as a DuckDB query: scattered existing keys (each round its own), then new ones."""
    picks = np.random.default_rng(round_number).choice(rows // 8, 2_400, replace=False) * 8 + round_number
    existing = ", ".join(f"('B{k:010d}', '{'D' if i >= 2_000 else 'U'}')" for i, k in enumerate(picks.tolist()))
    first = 10 * rows + 3_600 * round_number
    return (
        f"SELECT b AS booking_id, op, 'CANCELLED' AS status, 3 AS ticket_count FROM (VALUES {existing}) v(b, op) "
        f"UNION ALL SELECT 'N' || LPAD(i::VARCHAR, 10, '0'), 'I', 'BOOKED', 2 FROM range({first}, {first + 3_600}) r(i)"
    )


@pytest.mark.parametrize("rows", [1_000_000, 4_000_000], ids=["1M rows", "4M rows"])
@pytest.mark.parametrize("engine", ["duckdb", "emulator"])
def test_merge_of_one_minute_of_changes(benchmark, record, engine, rows) -> None:
    rounds = itertools.count()
    if engine == "duckdb":
        duck = duckdb.connect()
        duck.execute(f"CREATE TABLE r ({COLUMNS.replace('STRING', 'VARCHAR').replace('NUMBER', 'DECIMAL')})")
        duck.execute(f"INSERT INTO r {FILL.format(rows=rows)}")

        def setup() -> None:
            duck.execute(f"CREATE OR REPLACE TEMP TABLE src AS {_source(rows, next(rounds))}")

        benchmark.pedantic(lambda: duck.execute(MERGE).fetchall(), setup=setup, rounds=5)
        ran = next(rounds)  # 5, or 1 under --benchmark-disable
        assert duck.execute("SELECT count(*) FROM r").fetchone()[0] == rows + ran * (3_600 - 400)
    else:
        conn = local.connect()
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE r ({COLUMNS})")
        cur.execute("CREATE STREAM rs ON TABLE r")
        duck = conn._account.duck
        cur.execute("CREATE TABLE src (booking_id STRING, op STRING, status STRING, ticket_count INT)")
        table = next(o for o in conn._account.catalog.objects() if o.name.name == "R")
        duck.execute(f"INSERT INTO {table.tracking.rows} (BOOKING_ID, CUSTOMER_ID, STATUS, TICKET_COUNT, TICKET_PRICE) "
                     f"{FILL.format(rows=rows)}")  # the starting rows, not logged: the stream reads only the merges
        source = next(o for o in conn._account.catalog.objects() if o.name.name == "SRC")

        def setup() -> None:
            duck.execute(f"DELETE FROM {source.name.duck}")
            duck.execute(f"INSERT INTO {source.name.duck} {_source(rows, next(rounds))}")

        benchmark.pedantic(lambda: cur.execute(MERGE).fetchall(), setup=setup, rounds=5)
        ran = next(rounds)  # 5, or 1 under --benchmark-disable
        assert cur.execute("SELECT count(*) FROM r").fetchone()[0] == rows + ran * (3_600 - 400)
        assert cur.execute("SELECT count(*) FROM rs WHERE METADATA$ACTION = 'INSERT'").fetchone()[0] == ran * (
            3_600 + 2_000
        )
        conn.close()
    record(f"MERGE of 6k changes, {rows // 1_000_000}M rows", engine, baseline="duckdb")
