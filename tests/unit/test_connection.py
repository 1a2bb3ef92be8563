"""The PEP 249 surface, shaped like snowflake.connector's."""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import polars as pl
import pyarrow as pa
import pytest

from backends import duckdb as local
from backends.duckdb.compile.results import BOOLEAN, FIXED, REAL, TEXT, TIMESTAMP_LTZ, TIMESTAMP_NTZ, VARIANT
from backends.errors import DatabaseError, DataError, InterfaceError, ProgrammingError


@pytest.fixture
def cur(snowsim_connection):
    cursor = snowsim_connection.cursor()
    cursor.execute("CREATE TABLE t (id INT, name STRING, price NUMBER(10,2), ok BOOLEAN, ts TIMESTAMP, v VARIANT)")
    cursor.execute(
        "INSERT INTO t SELECT column1, column2, column3, column4, column5::TIMESTAMP, PARSE_JSON(column6) FROM VALUES "
        "(1, 'a', 1.50, TRUE, '2024-01-01 00:00:00', '{\"k\": 1}'), (2, 'b', 2.00, FALSE, '2024-01-02 00:00:00', '[1]')"
    )
    return cursor


def test_description_uses_snowflake_names_and_type_codes(cur) -> None:
    cur.execute("SELECT id, name, price, ok, ts, v, 1.5::FLOAT AS f, COUNT(*) OVER () FROM t")
    described = [(d.name, d.type_code, d.precision, d.scale) for d in cur.description]
    assert described == [
        ("ID", FIXED, 38, 0), ("NAME", TEXT, None, None), ("PRICE", FIXED, 10, 2), ("OK", BOOLEAN, None, None),
        ("TS", TIMESTAMP_NTZ, 0, 9), ("V", VARIANT, None, None), ("F", REAL, None, None),
        ("COUNT(*) OVER ()", FIXED, 38, 0),
    ]
    assert cur.execute("SELECT CURRENT_TIMESTAMP()").description[0].type_code == TIMESTAMP_LTZ


def test_values_come_back_as_the_connector_returns_them(cur) -> None:
    row = cur.execute("SELECT id, name, price, ok, ts, v FROM t WHERE id = 1").fetchone()
    assert row == (1, "a", Decimal("1.50"), True, datetime(2024, 1, 1), '{\n  "k": 1\n}')


def test_fetch_variants_and_rowcount(cur) -> None:
    cur.execute("SELECT id FROM t ORDER BY id")
    assert cur.rowcount == 2
    assert cur.fetchone() == (1,)
    assert cur.fetchmany(5) == [(2,)]
    assert cur.fetchone() is None
    assert cur.execute("SELECT id FROM t ORDER BY id").fetchall() == [(1,), (2,)]
    assert [row for row in cur.execute("SELECT id FROM t ORDER BY id")] == [(1,), (2,)]


def test_a_pending_result_survives_another_cursor_running(snowsim_connection, cur) -> None:
    cur.execute("SELECT id FROM t ORDER BY id")
    other = snowsim_connection.cursor()
    other.execute("INSERT INTO t (id) VALUES (3)")
    assert cur.fetchall() == [(1,), (2,)]
    assert other.fetchall() == [(1,)]


def test_arrow_and_polars_fetches(cur) -> None:
    table = cur.execute("SELECT id, name FROM t ORDER BY id").fetch_arrow_all()
    assert isinstance(table, pa.Table) and table.column_names == ["ID", "NAME"] and table.num_rows == 2
    frame = cur.execute("SELECT id, price FROM t ORDER BY id").fetch_polars()
    assert isinstance(frame, pl.DataFrame) and frame["ID"].to_list() == [1, 2]


def test_dml_results_have_the_connector_shape(cur) -> None:
    cur.execute("UPDATE t SET name = 'z' WHERE id = 1")
    assert cur.rowcount == 1
    assert [d.name for d in cur.description] == ["number of rows updated", "number of multi-joined rows updated"]
    assert cur.sfqid and cur.query == "UPDATE t SET name = 'z' WHERE id = 1"


def test_dict_cursor(snowsim_connection, cur) -> None:
    dict_cursor = snowsim_connection.cursor(local.DictCursor)
    assert dict_cursor.execute("SELECT id, name FROM t WHERE id = 2").fetchall() == [{"ID": 2, "NAME": "b"}]


def test_bind_styles(cur) -> None:
    assert cur.execute("SELECT name FROM t WHERE id = %s", (2,)).fetchall() == [("b",)]
    assert cur.execute("SELECT name FROM t WHERE id = %(id)s", {"id": 1}).fetchall() == [("a",)]
    qmark = local.connect(paramstyle="qmark").cursor()
    assert qmark.execute("SELECT ? + ?", [1, 2]).fetchone() == (3,)


def test_executemany_reports_the_total(cur) -> None:
    cur.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", [(10, "x"), (11, "y"), (12, "z")])
    assert cur.rowcount == 3
    assert cur.execute("SELECT COUNT(*) FROM t WHERE id >= 10").fetchone() == (3,)


def test_executemany_insert_is_one_statement_over_all_sets(snowsim_connection, cur) -> None:
    """Like the connector's bulk insert: one statement (one query id, one commit), expressions per row."""
    cur.execute("CREATE STREAM s ON TABLE t")
    rows = [(10 + i, f"n{i}", Decimal("1.25") * i, datetime(2024, 3, 1, i), f'{{"i": {i}}}') for i in range(5)]
    cur.executemany("INSERT INTO t (id, name, price, ts, v) VALUES (%s, UPPER(%s), %s, %s, PARSE_JSON(%s))", rows)
    assert cur.rowcount == 5
    assert cur.execute("SELECT id, name, price, ts, v:i::INT FROM t WHERE id >= 10 ORDER BY id").fetchall() == [
        (10 + i, f"N{i}", Decimal("1.25") * i, datetime(2024, 3, 1, i), i) for i in range(5)]
    assert cur.execute("SELECT COUNT(*), COUNT(DISTINCT METADATA$ACTION) FROM s").fetchone() == (5, 1)


def test_executemany_falls_back_to_one_statement_per_set(cur) -> None:
    cur.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", [(20, "x"), ("21", "y")])  # mixed types in a column
    cur.executemany("UPDATE t SET name = %s WHERE id = %s", [("p", 20), ("q", 21)])
    assert cur.rowcount == 2
    assert cur.execute("SELECT id, name FROM t WHERE id >= 20 ORDER BY id").fetchall() == [(20, "p"), (21, "q")]


def test_a_bad_row_fails_the_whole_executemany(cur) -> None:
    with pytest.raises(DataError, match="'oops' is not recognized"):
        cur.executemany("INSERT INTO t (id, name) VALUES (%s, %s)", [(30, "x"), ("oops", "y")] * 2 + [(31, "z")])
    assert cur.execute("SELECT COUNT(*) FROM t WHERE id >= 30").fetchone() == (0,)


def test_execute_string_and_execute_stream(snowsim_connection) -> None:
    script = """
        CREATE TABLE s (x INT);  -- a comment with a ; inside
        INSERT INTO s VALUES (1), (2);
        SELECT 'semi;colon' AS text, SUM(x) FROM s;
    """
    cursors = snowsim_connection.execute_string(script)
    assert len(cursors) == 3
    assert cursors[-1].fetchall() == [("semi;colon", 2 + 1)]
    streamed = list(snowsim_connection.execute_stream(io.StringIO("SELECT 1; SELECT 2")))
    assert [c.fetchone() for c in streamed] == [(1,), (2,)]


def test_one_statement_per_execute(cur) -> None:
    with pytest.raises(ProgrammingError, match="statement count 2"):
        cur.execute("SELECT 1; SELECT 2")


def test_closed_cursor_and_connection_refuse_work_with_the_connectors_errors() -> None:
    conn = local.connect()
    cursor = conn.cursor()
    with pytest.raises(TypeError, match="call execute"):  # the connector's error for a fetch before execute
        cursor.fetchall()
    cursor.close()
    with pytest.raises(InterfaceError) as closed_cursor:
        cursor.execute("SELECT 1")
    assert closed_cursor.value.errno == 252006
    conn.close()
    with pytest.raises(DatabaseError) as closed_connection:
        conn.cursor()
    assert str(closed_connection.value) == "250002 (08003): Connection is closed"


def test_context_manager_commits_when_autocommit_is_off() -> None:
    conn = local.connect(autocommit=False)
    with conn:
        conn.cursor().execute("CREATE TABLE t (a INT)")
        conn.cursor().execute("INSERT INTO t VALUES (1)")
    assert conn.is_closed()


def test_autocommit_off_keeps_changes_until_commit(snowsim_connection) -> None:
    cur = snowsim_connection.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    snowsim_connection.autocommit(False)
    cur.execute("INSERT INTO t VALUES (1)")
    snowsim_connection.rollback()
    assert cur.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    cur.execute("INSERT INTO t VALUES (2)")
    snowsim_connection.commit()
    snowsim_connection.autocommit(True)
    assert cur.execute("SELECT a FROM t").fetchall() == [(2,)]


def test_with_autocommit_off_a_query_does_not_begin_a_transaction() -> None:
    """Only DML begins the implicit transaction: a reader with AUTOCOMMIT off sees each new commit."""
    emulator = local.Emulator()
    writer, reader = emulator.connect(), emulator.connect(autocommit=False)
    writer.cursor().execute("CREATE TABLE t (a INT)")
    writer.cursor().execute("INSERT INTO t VALUES (1)")
    assert reader.cursor().execute("SELECT COUNT(*) FROM t").fetchone() == (1,)
    writer.cursor().execute("INSERT INTO t VALUES (2)")
    assert reader.cursor().execute("SELECT COUNT(*) FROM t").fetchone() == (2,)
    reader.cursor().execute("INSERT INTO t VALUES (3)")  # DML: now a transaction, with its snapshot
    writer.cursor().execute("INSERT INTO t VALUES (4)")
    assert reader.cursor().execute("SELECT COUNT(*) FROM t").fetchone() == (3,)
    reader.rollback()
    assert reader.cursor().execute("SELECT COUNT(*) FROM t").fetchone() == (3,)


def test_selects_that_differ_only_in_filter_values_share_one_plan(snowsim_connection) -> None:
    cur = snowsim_connection.cursor()
    cur.execute("CREATE TABLE t (id INT, name VARCHAR, ts TIMESTAMP_NTZ)")
    cur.execute("INSERT INTO t SELECT SEQ4(), 'n' || (SEQ4() % 3), '2024-01-01'::TIMESTAMP "
                "FROM TABLE(GENERATOR(ROWCOUNT => 30))")
    plans = cur.connection._account.plans
    before = len(plans)
    counts = [cur.execute(f"SELECT COUNT(*) FROM t WHERE id < {n} AND name IN ('n0', 'n1') "
                          f"AND ts >= '2023-12-3{n % 2}'::TIMESTAMP").fetchone()[0] for n in range(10, 16)]
    assert counts == [7, 8, 8, 9, 10, 10]
    assert len(plans) == before + 1
    with pytest.raises(ProgrammingError, match="invalid identifier 'NOPE'"):  # errors name the text as written
        cur.execute("SELECT COUNT(*) FROM t WHERE nope = 5")


def test_sessions_of_one_emulator_share_data_but_not_transactions() -> None:
    emulator = local.Emulator()
    first, second = emulator.connect(), emulator.connect()
    first.cursor().execute("CREATE TABLE t (a INT)")
    first.cursor().execute("BEGIN")
    first.cursor().execute("INSERT INTO t VALUES (1)")
    assert second.cursor().execute("SELECT COUNT(*) FROM t").fetchone() == (0,)
    first.cursor().execute("COMMIT")
    assert second.cursor().execute("SELECT COUNT(*) FROM t").fetchone() == (1,)


def test_file_databases_are_refused_by_name() -> None:
    with pytest.raises(local.NotSupportedError, match="persisting the emulator to a file"):
        local.connect("pipeline.duckdb")
