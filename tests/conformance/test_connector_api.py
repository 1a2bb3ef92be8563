"""The connector's API as code written for `snowflake.connector` uses it: cursor classes, result fetches,
describe, asynchronous queries, errors and misuse, paramstyle, write_pandas. On the emulator through patch()."""

from __future__ import annotations

from typing import Any

import pytest

connector = pytest.importorskip("snowflake.connector")
from snowflake.connector import errors as connector_errors  # noqa: E402
from snowflake.connector.cursor import DictCursor  # noqa: E402


def _customers(conn: Any) -> None:
    conn.cursor().execute("CREATE TABLE customers (id INT, first_name VARCHAR)")
    conn.cursor().execute("INSERT INTO customers VALUES (1, 'Jenny'), (2, 'Jasper')")


def test_dict_cursor_rows_are_keyed_by_column_name(connector_backend) -> None:
    _, conn = connector_backend
    _customers(conn)
    with conn.cursor(DictCursor) as cursor:
        cursor.execute("SELECT id, first_name FROM customers ORDER BY id")
        assert cursor.fetchone() == {"ID": 1, "FIRST_NAME": "Jenny"}
        assert cursor.fetchmany(5) == [{"ID": 2, "FIRST_NAME": "Jasper"}]
        assert cursor.fetchall() == []
    *_, last = conn.execute_string("SELECT 1 AS one; SELECT 2 AS two", cursor_class=DictCursor)
    assert last.fetchall() == [{"TWO": 2}]


def test_sqlstate_and_sfqid_follow_the_last_statement(connector_backend) -> None:
    _, conn = connector_backend
    cursor = conn.cursor()
    assert cursor.sfqid is None
    cursor.execute("SELECT 1")
    assert cursor.sqlstate is None and cursor.sfqid
    with pytest.raises(connector_errors.ProgrammingError) as missing:
        cursor.execute("SELECT * FROM no_such_table")
    assert (missing.value.errno, missing.value.sqlstate, cursor.sqlstate) == (2003, "42S02", "42S02")
    assert missing.value.sfqid == cursor.sfqid


def test_statement_errors_are_programming_errors_except_a_null_in_a_not_null_column(connector_backend) -> None:
    _, conn = connector_backend
    cursor = conn.cursor()
    cursor.execute("CREATE TABLE t (a INT NOT NULL)")
    with pytest.raises(connector_errors.ProgrammingError) as bad_value:
        cursor.execute("SELECT 1 / 0")
    assert type(bad_value.value) is connector_errors.ProgrammingError
    assert (bad_value.value.errno, bad_value.value.sqlstate) == (100051, "22012")
    with pytest.raises(connector_errors.IntegrityError) as null:
        cursor.execute("INSERT INTO t VALUES (NULL)")
    assert null.value.errno == 100072


def test_describe_gives_the_description_without_running_the_statement(connector_backend) -> None:
    _, conn = connector_backend
    _customers(conn)
    cursor = conn.cursor()
    described = cursor.describe("SELECT id, first_name FROM customers WHERE id = %s", (1,))
    assert [(d.name, d.type_code) for d in described] == [("ID", 0), ("FIRST_NAME", 2)]
    assert [d.name for d in cursor.describe("INSERT INTO customers VALUES (3, 'Jeremy')")] == [
        "number of rows inserted"]
    assert cursor.execute("SELECT COUNT(*) FROM customers").fetchone() == (2,)


def test_an_async_query_s_result_is_fetched_by_its_query_id(connector_backend) -> None:
    _, conn = connector_backend
    cursor = conn.cursor()
    query_id = cursor.execute_async("SELECT 1 AS a, 2 AS b")["queryId"]
    assert query_id == cursor.sfqid
    other = conn.cursor()
    other.get_results_from_sfqid(query_id)
    assert other.fetchall() == [(1, 2)]
    assert [d.name for d in other.description] == ["A", "B"]
    assert conn.get_query_status(query_id) == connector.constants.QueryStatus.SUCCESS


def test_result_batches_leave_the_rows_to_fetch(connector_backend) -> None:
    _, conn = connector_backend
    _customers(conn)
    cursor = conn.cursor(DictCursor)
    assert cursor.get_result_batches() is None
    cursor.execute("SELECT id FROM customers ORDER BY id")
    batches = cursor.get_result_batches()
    assert [row for batch in batches for row in batch] == [{"ID": 1}, {"ID": 2}]
    assert sum(batch.rowcount for batch in batches) == 2
    assert cursor.fetchall() == [{"ID": 1}, {"ID": 2}]


def test_misuse_raises_the_connectors_errors(connector_backend) -> None:
    _, conn = connector_backend
    cursor = conn.cursor()
    with pytest.raises(TypeError):  # the connector's error for a fetch before any execute
        cursor.fetchall()
    with pytest.raises(connector_errors.NotSupportedError):
        cursor.fetch_pandas_all()
    cursor.close()
    with pytest.raises(connector_errors.InterfaceError) as closed_cursor:
        cursor.execute("SELECT 1")
    assert closed_cursor.value.errno == 252006
    conn.close()
    with pytest.raises(connector_errors.DatabaseError, match=r"250002 \(08003\)"):
        conn.cursor()


def test_fetch_pandas_all_can_be_repeated(connector_backend) -> None:
    pd = pytest.importorskip("pandas")
    _, conn = connector_backend
    _customers(conn)
    cursor = conn.cursor().execute("SELECT id, first_name FROM customers ORDER BY id")
    first = cursor.fetch_pandas_all()
    assert list(first.columns) == ["ID", "FIRST_NAME"] and first["FIRST_NAME"].tolist() == ["Jenny", "Jasper"]
    pd.testing.assert_frame_equal(cursor.fetch_pandas_all(), first)


def test_write_pandas_appends_creates_and_overwrites(connector_backend) -> None:
    pd = pytest.importorskip("pandas")
    from snowflake.connector.pandas_tools import write_pandas

    _, conn = connector_backend
    conn.cursor().execute('CREATE TABLE people (id INT, "first name" VARCHAR, notes VARIANT)')
    frame = pd.DataFrame({"ID": [1, 2], "first name": ["Jenny", "Jasper"], "NOTES": [{"k": 1}, ["a"]]})
    success, chunks, rows, _ = write_pandas(conn, frame, "PEOPLE")
    assert (success, chunks, rows) == (True, 1, 2)
    cursor = conn.cursor()
    assert cursor.execute('SELECT id, "first name", notes:k::INT FROM people ORDER BY id').fetchall() == [
        (1, "Jenny", 1), (2, "Jasper", None)]
    write_pandas(conn, pd.DataFrame({"ID": [3]}), "PEOPLE", overwrite=True)
    assert cursor.execute('SELECT id, "first name" FROM people').fetchall() == [(3, None)]
    write_pandas(conn, pd.DataFrame({"AGE": [30]}), "SCORES", auto_create_table=True)
    write_pandas(conn, pd.DataFrame({"AGE": [40]}), "SCORES", auto_create_table=True, overwrite=True)
    assert cursor.execute("SELECT age FROM scores").fetchall() == [(40,)]


def test_paramstyle_comes_from_connect_or_the_module_at_connect_time(connector_backend, monkeypatch) -> None:
    name, conn = connector_backend
    if name == "snowflake":
        pytest.skip("opens connections of its own; the live account's come from the environment")
    with connector.connect(database="CONFORMANCE", schema="PUBLIC", paramstyle="qmark") as qmark:
        assert qmark.cursor().execute("SELECT ? + 1", (1,)).fetchone() == (2,)
    monkeypatch.setattr(connector, "paramstyle", "numeric")
    with connector.connect(database="CONFORMANCE", schema="PUBLIC") as numeric:
        monkeypatch.setattr(connector, "paramstyle", "pyformat")  # read at connect, as the connector does
        assert numeric.cursor().execute("SELECT :1 + 1", (1,)).fetchone() == (2,)


def test_sqlalchemy_engine_executes_reads_and_writes_frames(connector_backend) -> None:
    pd = pytest.importorskip("pandas")
    sqlalchemy = pytest.importorskip("sqlalchemy")
    pytest.importorskip("snowflake.sqlalchemy")
    from snowflake.connector.pandas_tools import pd_writer

    name, conn = connector_backend
    if name == "duckdb":  # the dialect connects through the patched snowflake.connector.connect
        engine = sqlalchemy.create_engine("snowflake://user:secret@account/CONFORMANCE/PUBLIC")
    else:
        engine = sqlalchemy.create_engine("snowflake://", creator=lambda: conn)
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("CREATE TABLE scores (id INT, score FLOAT)"))
        connection.execute(sqlalchemy.text("INSERT INTO scores VALUES (:id, :score)"), [{"id": 1, "score": 0.5}])
        pd.DataFrame({"ID": [2], "SCORE": [1.5]}).to_sql("scores", connection, index=False, if_exists="append",
                                                         method=pd_writer)
        frame = pd.read_sql("SELECT id, score FROM scores ORDER BY id", connection)
    assert frame.to_dict("list") == {"id": [1, 2], "score": [0.5, 1.5]}
