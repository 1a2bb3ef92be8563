"""No name a user gives a column collides with the emulator's bookkeeping: its own names start with __SNOWSIM_,
which user names may not."""

from __future__ import annotations

import pyarrow as pa
import pytest

from backends import duckdb as local


def test_columns_named_like_the_change_logs_bookkeeping_are_tracked_like_any_other() -> None:
    conn = local.connect()
    cur = conn.cursor()
    cur.execute('CREATE TABLE landing (seq INT, csn INT, kind STRING, "__csn" INT, rid INT, "key" STRING)')
    cur.execute("CREATE STREAM s ON TABLE landing")
    cur.execute("INSERT INTO landing VALUES (1, 2, 'a', 3, 4, 'k')")
    conn.open_channel("landing", "c").insert_rows(pa.table({"SEQ": [5], "CSN": [6], "KIND": ["b"]}), "1")
    cur.execute("UPDATE landing SET kind = 'c' WHERE seq = 1")
    rows = cur.execute("SELECT seq, csn, kind, METADATA$ACTION FROM s ORDER BY seq").fetchall()
    assert rows == [(1, 2, "c", "INSERT"), (5, 6, "b", "INSERT")]
    cur.execute("CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = compute_wh AS "
                "SELECT kind, COUNT(*) AS n FROM landing GROUP BY kind")
    assert cur.execute("SELECT kind, n FROM d ORDER BY kind").fetchall() == [("b", 1), ("c", 1)]
    conn.close()


@pytest.mark.parametrize("statement", [
    'CREATE TABLE t (id INT, "__snowsim_rid" INT)',
    "CREATE TABLE t (id INT, __SNOWSIM_CSN INT)",
    "CREATE TABLE t AS SELECT 1 AS __snowsim_key",
    "CREATE VIEW v AS SELECT 1 AS __snowsim_k0",
])
def test_a_column_named_with_the_reserved_prefix_is_refused_by_name(statement) -> None:
    conn = local.connect()
    with pytest.raises(local.errors.NotSupportedError, match="reserved by the emulator"):
        conn.cursor().execute(statement)
    conn.close()


def test_renaming_a_column_to_the_reserved_prefix_is_refused() -> None:
    conn = local.connect()
    conn.cursor().execute("CREATE TABLE t (id INT)")
    with pytest.raises(local.errors.NotSupportedError, match="reserved by the emulator"):
        conn.cursor().execute("ALTER TABLE t RENAME COLUMN id TO __snowsim_seq")
    conn.close()
