"""Property: after any DML, an incrementally refreshed dynamic table equals its query run afresh.

One account holds a base table, a dimension table, an append-only log and one dynamic table per
incremental shape (projection and filter, GROUP BY, inner join, LEFT JOINs alone, filtered on their
NULLs, under a GROUP BY, after an inner join and after a FLATTEN, a FULL OUTER JOIN, UNION ALL,
DISTINCT, a GROUP BY over another dynamic table, LATERAL FLATTEN, and GROUP BYs kept as partial
aggregates: sums and counts under any change, MIN / MAX / COUNT(DISTINCT) over a log that mostly
only grows). The dimension table gains and loses rows too, so rows of the left side gain, change and
lose their matches. Random inserts, updates and deletes (some in transactions that roll back) are
followed at random by a refresh; after each refresh every dynamic table must hold exactly, as a
multiset, what its defining query returns over the current data.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends import duckdb as local

QUERIES = {
    "D_FILTER": "SELECT k, v * 2 AS v2, s FROM t WHERE v <> 1",
    "D_GROUPS": "SELECT s, COUNT(*) AS n, SUM(v) AS total, MIN(k) AS first, COUNT(DISTINCT v) AS kinds FROM t GROUP BY "
                "s",
    "D_JOIN": "SELECT t.k, g.label FROM t JOIN g ON t.s = g.s WHERE t.v >= 1",
    "D_UNION": "SELECT k, s FROM t WHERE v = 0 UNION ALL SELECT 100, s FROM g",
    "D_DISTINCT": "SELECT DISTINCT s, v FROM t",
    "D_CHAIN": "SELECT s, SUM(v2) AS total FROM d_filter GROUP BY s",
    "D_FLATTEN": "SELECT t.k, f.value::INT AS item FROM t, LATERAL FLATTEN(input => t.items) f",
    "D_SUMS": "SELECT s, COUNT(*) AS n, SUM(v) AS total, COUNT(v) AS known, COUNT_IF(v > 1) AS big, "
              "ROUND(SUM(v) * 100.0 / NULLIF(COUNT(*), 0), 2) AS pct, SUM(v * 0.5::NUMBER(4, 2)) AS half FROM t GROUP "
              "BY s",
    "D_JOIN_SUMS": "SELECT g.label, SUM(t.v) AS total, COUNT(*) AS n FROM t JOIN g ON t.s = g.s WHERE t.k > 0 GROUP BY "
                   "g.label",
    "D_LOG": "SELECT s, MAX(v) AS top, MIN(v) AS low, COUNT(DISTINCT v) AS kinds, SUM(v) AS total, COUNT(*) AS n "
             "FROM e GROUP BY s",
    "D_LEFT": "SELECT t.k, t.v, g.label FROM t LEFT JOIN g ON t.s = g.s WHERE t.v <> 3",
    "D_LEFT_MISSING": "SELECT t.k FROM t LEFT OUTER JOIN g ON g.s = t.s WHERE g.label IS NULL",
    "D_LEFT_SUMS": "SELECT t.s, COUNT(g.label) AS labelled, COUNT(*) AS n, MAX(g.label) AS top, SUM(t.v) AS total "
                   "FROM t LEFT JOIN g ON t.s = g.s GROUP BY t.s",
    "D_LEFT_CHAIN": "SELECT e.v, t.k, g.label FROM e JOIN t ON e.v = t.v LEFT JOIN g ON t.s = g.s AND g.label = e.s",
    "D_FULL": "SELECT t.k, g.s, g.label FROM t FULL OUTER JOIN g ON t.s = g.s",
    "D_FLATTEN_LEFT": "SELECT t.k, f.value::INT AS item, e.s FROM t, LATERAL FLATTEN(input => t.items) f "
                      "LEFT JOIN e ON e.v = f.value::INT",
}

KEYS = st.integers(min_value=0, max_value=7)
VALUES = st.integers(min_value=0, max_value=3)
TEXT = st.sampled_from(["a", "b", "c", None])
ITEMS = st.lists(st.integers(min_value=0, max_value=2), max_size=3)

OPERATIONS = st.one_of(
    st.tuples(st.just("insert"), KEYS, VALUES, TEXT, ITEMS),
    st.tuples(st.just("update"), KEYS, VALUES, TEXT),
    st.tuples(st.just("delete"), KEYS),
    st.tuples(st.just("relabel"), TEXT, st.sampled_from(["x", "y"])),
    st.tuples(st.just("dimension"), TEXT, st.sampled_from(["x", "y", "a"])),
    st.tuples(st.just("undimension"), TEXT),
    st.tuples(st.just("rolled_back"), KEYS, VALUES),
    st.tuples(st.just("append"), VALUES, TEXT),
    st.tuples(st.just("append"), VALUES, TEXT),
    st.tuples(st.just("purge"), VALUES),
    st.tuples(st.just("refresh"),),
)


def _setup():
    conn = local.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (k INT, v INT, s STRING, items VARIANT)")
    cur.execute("CREATE TABLE g (s STRING, label STRING)")
    cur.execute("CREATE TABLE e (v INT, s STRING)")
    cur.execute("INSERT INTO g VALUES ('a', 'x'), ('b', 'y')")
    cur.execute("INSERT INTO t SELECT 0, 0, 'a', PARSE_JSON('[1, 2]')")
    for name, query in QUERIES.items():
        lag = "DOWNSTREAM" if name == "D_FILTER" else "'1 minute'"
        cur.execute(f"CREATE DYNAMIC TABLE {name} TARGET_LAG = {lag} WAREHOUSE = COMPUTE_WH AS {query}")
        assert cur.execute(f"SHOW DYNAMIC TABLES LIKE '{name}'").fetchall()[0][10] == "INCREMENTAL", name
    return conn, cur


def _check(cur) -> None:
    cur.execute("ALTER DYNAMIC TABLE " + ", ".join(QUERIES) + " REFRESH")
    for name, query in QUERIES.items():
        got = Counter(cur.execute(f"SELECT * FROM {name}").fetchall())
        want = Counter(cur.execute(query.replace("d_filter", f"({QUERIES['D_FILTER']})")).fetchall())
        assert got == want, (f"{name}: {query}\n  refreshed  {sorted(got.items(), key=repr)}\n"
                             f"  recomputed {sorted(want.items(), key=repr)}")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=st.lists(OPERATIONS, min_size=1, max_size=16))
def test_incremental_refresh_equals_recomputation(operations) -> None:
    conn, cur = _setup()
    try:
        for operation in operations:
            kind, *args = operation
            if kind == "insert":
                k, v, s, items = args
                cur.execute("INSERT INTO t SELECT %s, %s, %s, PARSE_JSON(%s)", (k, v, s, str(items)))
            elif kind == "update":
                k, v, s = args
                cur.execute("UPDATE t SET v = %s, s = %s WHERE k = %s", (v, s, k))
            elif kind == "delete":
                cur.execute("DELETE FROM t WHERE k = %s", args)
            elif kind == "append":
                cur.execute("INSERT INTO e VALUES (%s, %s)", args)
            elif kind == "purge":
                cur.execute("DELETE FROM e WHERE v = %s", args)
            elif kind == "dimension":
                cur.execute("INSERT INTO g VALUES (%s, %s)", args)
            elif kind == "undimension":
                cur.execute("DELETE FROM g WHERE s = %s", args)
            elif kind == "relabel":
                s, label = args
                cur.execute("UPDATE g SET label = %s WHERE s = %s", (label, s))
            elif kind == "rolled_back":
                k, v = args
                cur.execute("BEGIN")
                cur.execute("UPDATE t SET v = %s WHERE k = %s", (v, k))
                cur.execute("INSERT INTO t SELECT %s, %s, 'c', PARSE_JSON('[0]')", (k, v))
                cur.execute("ROLLBACK")
            else:
                _check(cur)
        _check(cur)
    finally:
        conn.close()
