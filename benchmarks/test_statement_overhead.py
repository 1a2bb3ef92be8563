"""Per-statement cost of the emulator against raw DuckDB running equivalent SQL, and against fakesnow.

Four workloads: 2,000 single-row INSERTs with literals, the same with bind parameters, 200 small
GROUP BY selects with a bind, and the same 200 selects with their value written as a literal (each
text different, as generated SQL is; issue 15 item 7). Every round starts from the same table state,
and the answer is checked after the timing, so a fast wrong answer fails.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import duckdb
import pytest

from backends import duckdb as local

INSERTS = 2000
SELECTS = 200
ROUNDS = 5
TABLE = "CREATE OR REPLACE TABLE t (id INT, name STRING, amount NUMBER(10,2))"
RAW_TABLE = "CREATE OR REPLACE TABLE t (id BIGINT, name VARCHAR, amount DECIMAL(10,2))"
FILL = "INSERT INTO t SELECT i, 'name' || (i % 50), i * 1.25 FROM range(10000) r(i)"
QUERY = "SELECT name, COUNT(*), SUM(amount) FROM t WHERE id < {} GROUP BY name ORDER BY name"


class Engine:
    """One way of running statements: raw DuckDB, the emulator, or fakesnow."""

    def __init__(self, name: str, execute: Callable[[str, Any], list[tuple]], mark: str, table: str) -> None:
        self.name, self.execute, self.mark, self.table = name, execute, mark, table

    def reset(self) -> None:
        """A fresh, empty table (returns None: pytest-benchmark reads a setup's return value as arguments)."""
        self.execute(self.table)


@contextlib.contextmanager
def engine(name: str) -> Iterator[Engine]:
    if name == "duckdb":
        con = duckdb.connect()
        yield Engine(name, lambda sql, p=None: con.execute(sql, p).fetchall(), "?", RAW_TABLE)
        con.close()
    elif name == "snowsim":
        conn = local.connect()
        cur = conn.cursor()
        yield Engine(name, lambda sql, p=None: cur.execute(sql, p).fetchall(), "%s", TABLE)
        conn.close()
    else:
        fakesnow = pytest.importorskip("fakesnow", reason="pip install 'snowsim[bench]' to compare with fakesnow")
        import snowflake.connector

        with fakesnow.patch():
            conn = snowflake.connector.connect(database="bench", schema="s")
            cur = conn.cursor()
            yield Engine(name, lambda sql, p=None: cur.execute(sql, p).fetchall(), "%s", TABLE)
            conn.close()


ENGINES = ["duckdb", "snowsim", "fakesnow"]


@pytest.mark.parametrize("name", ENGINES)
def test_single_row_inserts_with_literals(benchmark, record, name) -> None:
    with engine(name) as e:
        statements = [f"INSERT INTO t VALUES ({i}, 'name{i}', {i}.25)" for i in range(INSERTS)]
        benchmark.pedantic(lambda: [e.execute(s) for s in statements], setup=e.reset, rounds=ROUNDS)
        assert e.execute("SELECT COUNT(*), SUM(id), SUM(amount) FROM t") == [
            (INSERTS, sum(range(INSERTS)), Decimal("1999500.00"))
        ]
    record("2,000 inserts, literals", name, baseline="duckdb")


@pytest.mark.parametrize("name", ENGINES)
def test_single_row_inserts_with_binds(benchmark, record, name) -> None:
    with engine(name) as e:
        sql = f"INSERT INTO t VALUES ({e.mark}, {e.mark}, {e.mark})"
        rows = [(i, f"name{i}", Decimal(f"{i}.25")) for i in range(INSERTS)]
        benchmark.pedantic(lambda: [e.execute(sql, row) for row in rows], setup=e.reset, rounds=ROUNDS)
        assert e.execute("SELECT COUNT(*), SUM(id) FROM t") == [(INSERTS, sum(range(INSERTS)))]
    record("2,000 inserts, bind parameters", name, baseline="duckdb")


def _filled(e: Engine) -> None:
    e.execute(e.table)
    if e.name == "duckdb":
        e.execute(FILL)
    else:
        e.execute("INSERT INTO t SELECT SEQ4(), 'name' || (SEQ4() % 50), SEQ4() * 1.25 FROM "
                  "TABLE(GENERATOR(ROWCOUNT => 10000))")


@pytest.mark.parametrize("name", ENGINES)
def test_small_group_by_selects(benchmark, record, name) -> None:
    with engine(name) as e:
        _filled(e)
        sql = QUERY.format(e.mark)
        results = benchmark.pedantic(lambda: [e.execute(sql, (i * 50,)) for i in range(1, SELECTS + 1)], rounds=ROUNDS)
        assert len(results) == SELECTS and results[-1][0][1] == 200 and len(results[-1]) == 50
    record("200 GROUP BY selects", name, baseline="duckdb")


@pytest.mark.parametrize("name", ENGINES)
def test_small_group_by_selects_with_literals(benchmark, record, name) -> None:
    with engine(name) as e:
        _filled(e)
        rounds = iter(range(ROUNDS + 1))  # each round new texts: a text seen before would hit any cache

        def selects() -> list[list[tuple]]:
            r = next(rounds)
            return [e.execute(f"{QUERY.format(i * 50)[:-len(' GROUP BY name ORDER BY name')]} AND name <> 'x{r}' "
                              "GROUP BY name ORDER BY name") for i in range(1, SELECTS + 1)]

        results = benchmark.pedantic(selects, rounds=ROUNDS)
        assert len(results) == SELECTS and results[-1][0][1] == 200 and len(results[-1]) == 50
    record("200 GROUP BY selects, literals", name, baseline="duckdb")
