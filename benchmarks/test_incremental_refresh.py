"""An incremental refresh costs in proportion to the changes, not to the table.

The same 10,000 changes (inserts, updates or deletes, scattered over the table) refreshed into a
dynamic table over a 1M-row and over a 10M-row base; the figure is the ratio of the two medians
(target <= 2). Inserts take the append path; updates and deletes are merged by key, which in
DuckDB means scans of the key column (no index helps scattered keys), so they are reported
apart, next to DuckDB's own floor: the same key-matched DELETE and UPDATE run directly on a bare
table of 1M and 10M rows. A GROUP BY table with ten rows per group shows what recomputing changed
groups costs.
"""

from __future__ import annotations

import itertools
import random

import duckdb
import pytest

from backends import duckdb as local

CHANGES = 10_000
DEFINITIONS = {
    "projection and filter": "SELECT id, grp, v * 2 AS v2 FROM base WHERE v >= 0",
    "GROUP BY, 10 rows a group": "SELECT grp, COUNT(*) AS n, SUM(v) AS total FROM base GROUP BY grp",
}


def _change_sql(change: str, rows: int, round_number: int) -> str:
    stride = rows // CHANGES  # every stride-th row: scattered over the whole table
    if change == "inserts":
        first = rows + round_number * CHANGES
        return (f"INSERT INTO base SELECT {first} + SEQ4(), ({first} + SEQ4()) / 10, 0 "
                f"FROM TABLE(GENERATOR(ROWCOUNT => {CHANGES}))")
    if change == "updates":
        return f"UPDATE base SET v = v + 1 WHERE id % {stride} = {round_number}"
    return f"DELETE FROM base WHERE id % {stride} = {round_number}"


@pytest.mark.parametrize("rows", [1_000_000, 10_000_000], ids=["1M rows", "10M rows"])
@pytest.mark.parametrize("change", ["inserts", "updates", "deletes"])
@pytest.mark.parametrize("shape", list(DEFINITIONS))
def test_refresh_of_10k_changes(benchmark, record, shape, change, rows) -> None:
    conn = local.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE base (id INT, grp INT, v INT)")
    cur.execute(f"INSERT INTO base SELECT SEQ4(), SEQ4() / 10, 0 FROM TABLE(GENERATOR(ROWCOUNT => {rows}))")
    cur.execute(f"CREATE DYNAMIC TABLE d TARGET_LAG = '1 day' WAREHOUSE = COMPUTE_WH AS {DEFINITIONS[shape]}")
    rounds = itertools.count()

    def setup() -> None:
        cur.execute(_change_sql(change, rows, next(rounds)))

    benchmark.pedantic(lambda: cur.execute("ALTER DYNAMIC TABLE d REFRESH").fetchall(), setup=setup, rounds=5)
    action = cur.execute(
        "SELECT DISTINCT REFRESH_ACTION FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY()) "
        "WHERE REFRESH_TRIGGER = 'MANUAL'").fetchall()
    assert action == [("INCREMENTAL",)]
    assert cur.execute("SELECT COUNT(*) FROM d").fetchone() == cur.execute(
        f"SELECT COUNT(*) FROM ({DEFINITIONS[shape]})").fetchone()
    conn.close()
    record(f"refresh of 10k {change}, {shape}", f"{rows:,} rows", baseline="1,000,000 rows")


@pytest.mark.parametrize("rows", [1_000_000, 10_000_000], ids=["1M rows", "10M rows"])
@pytest.mark.parametrize("statement", ["DELETE", "UPDATE"])
def test_duckdb_floor_for_10k_scattered_keys(benchmark, record, statement, rows) -> None:
    duck = duckdb.connect()
    duck.execute(f"CREATE TABLE t AS SELECT range AS k, range % 1000 AS v FROM range({rows})")
    duck.execute("CREATE TABLE ks (k BIGINT)")
    keys = iter(random.Random(1).sample(range(rows), 10 * CHANGES))
    sql = ("DELETE FROM t WHERE k IN (SELECT k FROM ks)" if statement == "DELETE"
           else "UPDATE t SET v = v + 1 FROM ks WHERE t.k = ks.k")

    def setup() -> None:
        duck.execute("DELETE FROM ks")
        duck.execute("INSERT INTO ks SELECT unnest($1::BIGINT[])", [[next(keys) for _ in range(CHANGES)]])

    benchmark.pedantic(lambda: duck.execute(sql), setup=setup, rounds=5)
    record(f"DuckDB alone: {statement} of 10k scattered keys", f"{rows:,} rows", baseline="1,000,000 rows")
