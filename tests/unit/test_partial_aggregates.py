"""GROUP BY dynamic tables kept as partial aggregates: which queries qualify, and what the partials do.

Equality with recomputation under random changes is tests/property/test_dynamic_table_oracle.py.
"""

from __future__ import annotations

import pytest

from backends import duckdb as local
from backends.duckdb.maintenance.partial_aggregates import AggregatesMaintenance


@pytest.fixture
def cur():
    conn = local.connect()
    cursor = conn.cursor()
    cursor.execute("CREATE TABLE t (k INT, v INT, f FLOAT, s STRING)")
    cursor.execute("INSERT INTO t VALUES (1, 1, 0.1, 'a'), (2, 2, 0.2, 'a'), (3, NULL, NULL, 'b')")
    yield cursor
    conn.close()


def _maintenance(cur, name: str):
    return next(o for o in cur.connection._account.catalog.objects() if o.name.name == name).maintenance


KEPT = [
    ("SUM(v), COUNT(*), COUNT(v), COUNT_IF(v > 1)", True),
    ("ROUND(SUM(v) * 100.0 / NULLIF(COUNT(*), 0), 2), MAX(k), MIN(k), COUNT(DISTINCT v)", True),
    ("AVG(v)", False),  # no partial for AVG: refreshed group by group
    ("LISTAGG(k, ',')", False),
    ("SUM(DISTINCT v)", False),
]


@pytest.mark.parametrize(("aggregates", "kept"), KEPT)
def test_which_aggregates_are_kept_as_partials(cur, aggregates, kept) -> None:
    cur.execute(f"CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT s, {aggregates} FROM "
                "t GROUP BY s")
    assert isinstance(_maintenance(cur, "D"), AggregatesMaintenance) is kept
    assert cur.execute("SHOW DYNAMIC TABLES LIKE 'D'").fetchall()[0][10] == "INCREMENTAL"


def test_a_refresh_adds_changed_rows_to_the_kept_partials(cur) -> None:
    query = "SELECT s, SUM(v) AS total, COUNT(*) AS n FROM t GROUP BY s"
    cur.execute(f"CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS {query}")
    duck = cur.connection._account.duck
    partials = _maintenance(cur, "D").storage()[0]
    cur.execute("UPDATE t SET v = 10 WHERE k = 1")
    cur.execute("DELETE FROM t WHERE k = 3")
    cur.execute("ALTER DYNAMIC TABLE d REFRESH")
    assert sorted(cur.execute("SELECT * FROM d").fetchall()) == [("a", 12, 2)]
    # group b lost its last row: gone from the table and from the partials
    assert duck.execute(f'SELECT "__snowsim_k0", "__snowsim_n" FROM {partials}').fetchall() == [("a", 2)]


def test_float_sums_are_refreshed_group_by_group(cur) -> None:
    query = "SELECT s, SUM(f) AS total FROM t GROUP BY s"
    cur.execute(f"CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS {query}")
    cur.execute("INSERT INTO t VALUES (4, 4, 0.3, 'a')")
    cur.execute("ALTER DYNAMIC TABLE d REFRESH")
    assert not _maintenance(cur, "D").algebraic  # adding deltas would round differently from the sum
    assert sorted(cur.execute("SELECT * FROM d").fetchall()) == sorted(cur.execute(query).fetchall())


def test_dropping_the_table_drops_its_partials(cur) -> None:
    cur.execute("CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS "
                "SELECT s, COUNT(DISTINCT v) AS kinds FROM t GROUP BY s")
    kept = _maintenance(cur, "D").storage()
    assert len(kept) == 2  # the partials and the distinct values seen per group
    cur.execute("DROP DYNAMIC TABLE d")
    tables = {r[0] for r in cur.connection._account.duck.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert not any(name.split(".")[-1].strip('"') in tables for name in kept)
