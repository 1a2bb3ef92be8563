"""A dynamic table's refreshes log their row images only while something reads them incrementally."""

from __future__ import annotations

from backends import duckdb as local


def _log_rows(conn, name: str) -> int:
    account = conn._account
    (table,) = [o for o in account.catalog.objects() if o.name.name == name]
    return account.duck.execute(f"SELECT COUNT(*) FROM {table.tracking.changes}").fetchone()[0]


def test_a_dynamic_table_nobody_reads_incrementally_keeps_no_change_log() -> None:
    conn = local.connect()
    conn.execute_string("""
        CREATE TABLE t (id INT, v INT);
        INSERT INTO t VALUES (1, 10), (2, 20);
        CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT id, v * 2 AS w FROM t;
        UPDATE t SET v = 11 WHERE id = 1;
        ALTER DYNAMIC TABLE d REFRESH;
    """)
    assert _log_rows(conn, "D") == 0
    conn.execute_string("""
        CREATE STREAM ds ON DYNAMIC TABLE d;
        UPDATE t SET v = 12 WHERE id = 1;
        ALTER DYNAMIC TABLE d REFRESH;
    """)
    assert _log_rows(conn, "D") == 2  # the update's before and after images
    conn.execute_string("DROP STREAM ds; UPDATE t SET v = 13 WHERE id = 1; ALTER DYNAMIC TABLE d REFRESH;")
    assert _log_rows(conn, "D") == 2
    conn.close()
