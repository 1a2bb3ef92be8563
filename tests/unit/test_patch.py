"""Running code written for snowflake.connector offline: patch() and the pytest fixtures."""

from __future__ import annotations

import snowflake.connector
from snowflake.connector import errors as connector_errors

from backends import duckdb as local


def pipeline_step(account: str) -> int:
    """Code under test, written against the real connector."""
    with snowflake.connector.connect(account=account, user="me", password="s3cret-value", database="analytics",
                                     schema="raw", warehouse="compute_wh") as conn:
        cur = conn.cursor()
        cur.execute("CREATE TABLE IF NOT EXISTS events (id INT)")
        cur.execute("INSERT INTO events VALUES (%s)", (1,))
        return cur.execute("SELECT COUNT(*) FROM events").fetchone()[0]


def test_patch_runs_connector_code_on_one_shared_account() -> None:
    with local.patch() as emulator:
        assert pipeline_step("xy12345") == 1
        assert pipeline_step("xy12345") == 2
        conn = emulator.connections[0]
        assert (conn.database, conn.schema, conn.warehouse) == ("ANALYTICS", "RAW", "compute_wh")


def test_errors_are_the_connector_classes_and_never_carry_credentials() -> None:
    with local.patch():
        conn = snowflake.connector.connect(account="acct", user="me", password="s3cret-value")
        try:
            conn.cursor().execute("SELECT * FROM missing_table")
        except connector_errors.ProgrammingError as error:
            assert error.errno == 2003
            assert "s3cret-value" not in str(error) and "s3cret-value" not in repr(conn)
        else:
            raise AssertionError("the query should have failed")


def test_the_snowsim_fixture_patches_the_connector(snowsim) -> None:
    conn = snowflake.connector.connect(database="db", schema="s")
    conn.cursor().execute("CREATE TABLE t (a INT)")
    assert snowsim.connections == [conn]
    assert snowsim.clock.now() == conn.clock.now()


def test_the_connection_fixture(snowsim_connection) -> None:
    assert snowsim_connection.cursor().execute("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()").fetchone() == (
        "SNOWSIM",
        "PUBLIC",
    )


def test_a_database_named_but_missing_leaves_the_session_without_one() -> None:
    """As on Snowflake: connect() succeeds, CURRENT_DATABASE() is NULL, and the connector keeps the name."""
    with local.patch(create_database_on_connect=False):
        with snowflake.connector.connect(database="marts") as conn:
            cur = conn.cursor()
            assert cur.execute("SELECT CURRENT_DATABASE(), CURRENT_SCHEMA()").fetchone() == (None, None)
            try:
                cur.execute("CREATE TABLE t (i INT)")
            except connector_errors.ProgrammingError as error:
                assert error.errno == 90105
            else:
                raise AssertionError("CREATE TABLE without a current database should fail")
            assert conn.database == "MARTS"
            cur.execute("CREATE DATABASE marts")
        with snowflake.connector.connect(database="marts") as conn:
            # The connector records only what connect() named; the session's schema is the database's PUBLIC.
            assert conn.cursor().execute("SELECT CURRENT_SCHEMA()").fetchone() == ("PUBLIC",)
            assert conn.schema is None
            conn.cursor().execute("USE SCHEMA public")
            assert conn.schema == "PUBLIC"
