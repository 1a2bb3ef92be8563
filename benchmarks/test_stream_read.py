"""A stream read costs in proportion to the pending changes, not to the table.

The same 1,000 pending changes (400 updates, 300 deletes, 300 inserts) read from a stream on a
10k-row and on a 1M-row table; the ratio of the two medians is the figure (target <= 2).
"""

from __future__ import annotations

import pytest

from backends import duckdb as local

CHANGES = "UPDATE t SET v = v + 1 WHERE id < 400; DELETE FROM t WHERE id >= 400 AND id < 700; " \
          "INSERT INTO t SELECT 10000000 + SEQ4(), 0 FROM TABLE(GENERATOR(ROWCOUNT => 300))"


@pytest.mark.parametrize("rows", [10_000, 1_000_000], ids=["10k rows", "1M rows"])
def test_stream_read_with_1000_pending_changes(benchmark, record, rows) -> None:
    conn = local.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT, v INT)")
    cur.execute(f"INSERT INTO t SELECT SEQ4(), 0 FROM TABLE(GENERATOR(ROWCOUNT => {rows}))")
    cur.execute("CREATE STREAM s ON TABLE t")
    conn.execute_string(CHANGES)
    read = "SELECT METADATA$ACTION, METADATA$ISUPDATE, COUNT(*) FROM s GROUP BY 1, 2 ORDER BY 1, 2"
    result = benchmark.pedantic(lambda: cur.execute(read).fetchall(), rounds=15, warmup_rounds=2)
    assert result == [("DELETE", False, 300), ("DELETE", True, 400), ("INSERT", False, 300), ("INSERT", True, 400)]
    conn.close()
    record("stream read, 1,000 pending changes", f"{rows:,} rows", baseline="10,000 rows")
