"""Emulator behaviour no live account can check: the virtual clock, refusals, policies, SHOW output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backends import duckdb as local
from backends.errors import DataError, NotSupportedError, OperationalError, ProgrammingError


@pytest.fixture
def conn():
    connection = local.connect(start="2025-03-01T12:00:00", timezone="UTC")
    yield connection
    connection.close()


def test_current_timestamp_reads_the_virtual_clock(conn) -> None:
    cur = conn.cursor()
    assert cur.execute("SELECT CURRENT_TIMESTAMP()").fetchone()[0] == datetime(2025, 3, 1, 12, tzinfo=UTC)
    conn.clock.advance(minutes=90)
    now, today, sysdate = cur.execute("SELECT CURRENT_TIMESTAMP(), CURRENT_DATE(), SYSDATE()").fetchone()
    assert now == datetime(2025, 3, 1, 13, 30, tzinfo=UTC)
    assert str(today) == "2025-03-01" and sysdate == datetime(2025, 3, 1, 13, 30)


def test_defaults_use_the_clock_at_insert_time(conn) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP())")
    cur.execute("INSERT INTO t (id) VALUES (1)")
    conn.clock.advance(seconds=30)
    cur.execute("INSERT INTO t (id) VALUES (2)")
    assert cur.execute("SELECT id, created_at FROM t ORDER BY id").fetchall() == [
        (1, datetime(2025, 3, 1, 12)), (2, datetime(2025, 3, 1, 12, 0, 30))]


def test_the_session_time_zone_defaults_to_snowflakes(conn) -> None:
    default = local.connect(start="2025-03-01T12:00:00")
    assert default.cursor().execute("SELECT CURRENT_TIMESTAMP()::TIMESTAMP_NTZ").fetchone()[0] == datetime(
        2025, 3, 1, 4
    )
    default.cursor().execute("ALTER SESSION SET TIMEZONE = 'Europe/Paris'")
    assert default.cursor().execute("SELECT CURRENT_TIMESTAMP()::TIMESTAMP_NTZ").fetchone()[0] == datetime(
        2025, 3, 1, 13
    )


def test_an_unconsumed_stream_goes_stale_after_14_days(conn) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("CREATE STREAM s ON TABLE t")
    conn.clock.advance(hours=24 * 13)
    assert cur.execute("SELECT SYSTEM$STREAM_HAS_DATA('s')").fetchone() == (False,)  # keeps it fresh
    conn.clock.advance(hours=24 * 13)
    assert cur.execute("SELECT COUNT(*) FROM s").fetchone() == (0,)
    cur.execute("INSERT INTO t VALUES (1)")
    conn.clock.advance(hours=24 * 15)
    assert cur.execute('SHOW STREAMS').fetchall()[0][10] == "true"
    with pytest.raises(ProgrammingError, match="stale"):
        cur.execute("SELECT * FROM s")


def test_has_data_may_be_a_false_positive_but_never_a_false_negative(conn) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (a INT, b STRING)")
    cur.execute("INSERT INTO t VALUES (1, 'x')")
    cur.execute("CREATE STREAM s ON TABLE t")
    cur.execute("UPDATE t SET b = 'y'")
    cur.execute("UPDATE t SET b = 'x'")
    assert cur.execute("SELECT COUNT(*) FROM s").fetchone() == (0,)
    assert cur.execute("SELECT SYSTEM$STREAM_HAS_DATA('s')").fetchone() == (True,)


def test_a_no_op_update_leaves_the_stream_empty(conn) -> None:
    """Snowflake does not document this case (semantics 1.4); the emulator nets by value."""
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("INSERT INTO t VALUES (1)")
    cur.execute("CREATE STREAM s ON TABLE t")
    cur.execute("UPDATE t SET a = a")
    assert cur.execute("SELECT * FROM s").fetchall() == []


def test_the_clock_cannot_move_inside_a_transaction(conn) -> None:
    cur = conn.cursor()
    cur.execute("BEGIN")
    with pytest.raises(ProgrammingError, match="open transaction"):
        conn.clock.advance(seconds=1)
    cur.execute("COMMIT")
    conn.clock.advance(seconds=1)


def test_system_wait_moves_the_virtual_clock_between_statements_only(conn) -> None:
    cur = conn.cursor()
    assert cur.execute("CALL SYSTEM$WAIT(1.5, 'MINUTES')").fetchall() == [("waited 1.5 minutes",)]
    assert cur.execute("SELECT CURRENT_TIMESTAMP()").fetchone()[0] == datetime(2025, 3, 1, 12, 1, 30, tzinfo=UTC)
    assert cur.execute("select system$wait(250, 'milliseconds')").fetchall() == [("waited 250 milliseconds",)]
    assert cur.description[0].name == "SYSTEM$WAIT(250, 'MILLISECONDS')"
    with pytest.raises(ProgrammingError, match="invalid time unit 'WEEKS' for SYSTEM\\$WAIT"):
        cur.execute("CALL SYSTEM$WAIT(1, 'WEEKS')")
    cur.execute("BEGIN")
    with pytest.raises(ProgrammingError, match="open transaction"):
        cur.execute("CALL SYSTEM$WAIT(1)")
    cur.execute("ROLLBACK")
    # Inside a task the clock is already running its schedule: the run fails, naming the function.
    cur.execute("CREATE TASK waits SCHEDULE = '1 MINUTE' AS SELECT SYSTEM$WAIT(5)")
    cur.execute("ALTER TASK waits RESUME")
    conn.clock.advance(minutes=2)
    runs = cur.execute("SELECT STATE, ERROR_MESSAGE FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY()) "
                       "WHERE STATE IN ('SUCCEEDED', 'FAILED')").fetchall()
    assert runs == [("FAILED", "snowsim: SYSTEM$WAIT inside a task or a dynamic table refresh is not supported by the "
                               "DuckDB emulator (the virtual clock moves between statements)")]


def test_stream_get_table_timestamp_dates_the_version_at_the_offset(conn) -> None:
    cur = conn.cursor()
    t0 = 1_740_830_400_000_000_000  # 2025-03-01 12:00:00 UTC in ns, when the table and stream were created
    cur.execute("CREATE TABLE src (a INT)")
    cur.execute("CREATE TABLE dst (a INT)")
    cur.execute("CREATE STREAM s ON TABLE src")
    stamp = "SELECT SYSTEM$STREAM_GET_TABLE_TIMESTAMP('S')"
    assert cur.execute(stamp).fetchall() == [(t0,)]  # version t0: nothing changed the table yet
    conn.clock.advance(seconds=10)
    cur.execute("INSERT INTO src VALUES (1)")
    conn.clock.advance(seconds=10)
    assert cur.execute(stamp).fetchall() == [(t0,)]  # the offset has not moved past the insert
    cur.execute("INSERT INTO dst SELECT a FROM s")  # consumes: the offset now covers the insert at +10 s
    conn.clock.advance(seconds=10)
    assert cur.execute(stamp).fetchall() == [(t0 + 10 * 10**9,)]
    cur.execute("CREATE VIEW v AS SELECT a FROM src")
    cur.execute("CREATE STREAM sv ON VIEW v")
    with pytest.raises(ProgrammingError, match="stream 'SNOWSIM.PUBLIC.SV' is on a view"):
        cur.execute("SELECT SYSTEM$STREAM_GET_TABLE_TIMESTAMP('SV')")
    # A table changed before its first stream: the emulator kept no version to date that change by.
    cur.execute("CREATE TABLE early (a INT)")
    conn.clock.advance(seconds=5)
    cur.execute("INSERT INTO early VALUES (1)")
    cur.execute("CREATE STREAM e ON TABLE early")
    with pytest.raises(NotSupportedError, match="SYSTEM\\$STREAM_GET_TABLE_TIMESTAMP before the first change tracked"):
        cur.execute("SELECT SYSTEM$STREAM_GET_TABLE_TIMESTAMP('E')")
    # A stream whose table was replaced is stale: it has no offset on the new table to date.
    cur.execute("CREATE OR REPLACE TABLE src (a INT)")
    with pytest.raises(ProgrammingError, match="Stream 'SNOWSIM.PUBLIC.S' is stale: its source table .* was replaced"):
        cur.execute(stamp)


def test_a_runtime_error_ends_the_transaction_loudly(conn) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    cur.execute("BEGIN")
    cur.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(DataError, match="'not a number' is not recognized"):
        cur.execute("INSERT INTO t SELECT 'not a number'::INT")
    with pytest.raises(OperationalError, match="cannot roll back a single statement"):
        cur.execute("INSERT INTO t VALUES (2)")
    cur.execute("ROLLBACK")
    assert cur.execute("SELECT COUNT(*) FROM t").fetchone() == (0,)


@pytest.mark.parametrize(
    ("sql", "feature"),
    [
        ("SELECT HASH('a')", "the function HASH"),
        ("SELECT * FROM dual", "SELECT * FROM DUAL"),  # what Snowflake returns is not documented
        ("SELECT approx_percentile(a, 0.5) FROM t", "the function APPROX_PERCENTILE"),  # as written, not sqlglot's name
        ("SELECT * FROM t CHANGES(INFORMATION => DEFAULT) AT(OFFSET => -60)", "CHANGES clause"),
        ("SELECT * FROM t AT(OFFSET => -60)", "time travel"),
        ("CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH REFRESH_MODE = ADAPTIVE AS SELECT a "
         "FROM t",
         "REFRESH_MODE = ADAPTIVE"),
        ("CREATE TASK k WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' AS CALL p()", "CALL"),
        ("CREATE TASK k WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' OVERLAP_POLICY = ALLOW_ALL_OVERLAP AS SELECT 1",
         "OVERLAP_POLICY = ALLOW_ALL_OVERLAP"),
        ("CREATE WAREHOUSE w MAX_CLUSTER_COUNT = 3", "multi-cluster warehouses"),
        ("CREATE TABLE g (p GEOGRAPHY)", "GEOGRAPHY"),
        ("CREATE STREAM s ON TABLE t AT(OFFSET => -60)", "time travel"),
        ("CREATE STREAM s ON EXTERNAL TABLE t", "ON EXTERNAL TABLE"),
        ("ALTER SESSION SET WEEK_START = 1", "session parameter WEEK_START"),
        ("INSERT ALL INTO t VALUES (1) SELECT 1", "multi-table INSERT"),
        ("ALTER TABLE t SET TAG cost_center = 'x'", "object tags"),  # was accepted and dropped
        ("GRANT SELECT ON TABLE t TO ROLE r", "GRANT"),
        ("CREATE TABLE c CLONE t AT (OFFSET => -60)", "CLONE with time travel"),
        ("SELECT OBJECT_CONSTRUCT(*) FROM t", "OBJECT_CONSTRUCT(*)"),
        ("MERGE INTO t USING t s ON t.a = s.a WHEN MATCHED THEN DELETE WHEN MATCHED AND s.a > 1 THEN DELETE",
         "a WHEN MATCHED clause after one without AND"),
    ],
)
def test_unsupported_features_are_refused_by_name(conn, sql, feature) -> None:
    conn.cursor().execute("CREATE TABLE t (a INT)")
    with pytest.raises(NotSupportedError, match=feature.replace("(", r"\(").replace(")", r"\)").replace("*", r"\*")):
        conn.cursor().execute(sql)


def test_show_and_describe_have_snowflakes_columns(conn) -> None:
    cur = conn.cursor()
    cur.execute(
        "CREATE TABLE t (id INT PRIMARY KEY COMMENT 'key', total NUMBER(10,2) AS (id * 2), s VARCHAR(10) NOT NULL)"
    )
    cur.execute("CREATE STREAM s ON TABLE t APPEND_ONLY = TRUE COMMENT = 'feed'")
    described = cur.execute("DESCRIBE TABLE t").fetchall()
    assert [c[0] for c in cur.description][:6] == ["name", "type", "kind", "null?", "default", "primary key"]
    assert [(r[0], r[1], r[2], r[3], r[5]) for r in described] == [
        ("ID", "NUMBER(38,0)", "COLUMN", "N", "Y"), ("TOTAL", "NUMBER(10,2)", "VIRTUAL", "Y", "N"),
        ("S", "VARCHAR(10)", "COLUMN", "N", "N")]
    stream = cur.execute("SHOW STREAMS LIKE 'S' IN SCHEMA snowsim.public").fetchall()[0]
    columns = [d.name for d in cur.description]
    assert columns == ["created_on", "name", "database_name", "schema_name", "owner", "comment", "table_name",
                       "source_type", "base_tables", "type", "stale", "mode", "stale_after", "invalid_reason",
                       "owner_role_type"]
    record = dict(zip(columns, stream, strict=True))
    assert (
        record["table_name"] == "SNOWSIM.PUBLIC.T" and record["mode"] == "APPEND_ONLY" and record["comment"] == "feed"
    )
    assert record["stale_after"] - record["created_on"] == timedelta(days=14)
    assert cur.execute("DESCRIBE STREAM s").fetchall()[0][1] == "S"
    assert [r[1] for r in cur.execute("SHOW TABLES").fetchall()] == ["T"]
    assert cur.execute("SHOW TERSE TABLES LIKE 't%'").fetchall()[0][1:3] == ("T", "TABLE")
    assert [r[1] for r in cur.execute("SHOW SCHEMAS").fetchall()] == ["INFORMATION_SCHEMA", "PUBLIC"]
    assert "SNOWSIM" in [r[1] for r in cur.execute("SHOW DATABASES").fetchall()]


def test_compiled_plans_are_reused_until_the_catalog_changes(conn) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (a INT)")
    plans = conn._account.plans
    for i in range(3):
        cur.execute(f"INSERT INTO t VALUES ({i})")
    assert sum(1 for key in plans if key[0].startswith("INSERT INTO t VALUES")) == 1
    cur.execute("CREATE STREAM s ON TABLE t")  # tracking changes how INSERT compiles
    cur.execute("INSERT INTO t VALUES (9)")
    assert cur.execute("SELECT a FROM s").fetchall() == [(9,)]


def test_inserted_defaults_read_the_clock_as_it_is_now() -> None:
    conn = local.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE plain (id INT)")
    cur.execute("CREATE TABLE stamped (id INT, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP())")
    for step in range(3):  # a clock-free insert between the moves must not leave the clock behind
        cur.execute("INSERT INTO plain VALUES (%s)", (step,))
        cur.executemany("INSERT INTO stamped (id) VALUES (%s)", [(step,), (step,)])
        conn.clock.advance(minutes=1)
    minutes = cur.execute("SELECT DISTINCT DATEDIFF('minute', MIN(at) OVER (), at) FROM stamped ORDER BY 1").fetchall()
    assert minutes == [(0,), (1,), (2,)]
    conn.close()


@pytest.mark.parametrize(("join", "reason"), [
    ("LEFT JOIN g ON t.s = g.s AND t.v = g.v", None),
    ("LEFT OUTER JOIN g ON (t.s = g.s)", None),
    ("LEFT JOIN g ON t.v >= g.v", "non-equality outer joins"),
    ("RIGHT JOIN g ON t.s = g.s", None),
    ("FULL OUTER JOIN g ON t.s = g.s", None),
    ("LEFT JOIN g USING (s)", None),
])
def test_which_outer_joins_refresh_incrementally(conn, join, reason) -> None:
    """Snowflake: outer joins with equality predicates are incremental, others FULL with the reason."""
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (s STRING, v INT)")
    cur.execute("CREATE TABLE g (s STRING, v INT, label STRING)")
    cur.execute(f"CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH "
                f"AS SELECT t.s, g.label FROM t {join}")
    mode, why = cur.execute("SHOW DYNAMIC TABLES LIKE 'D'").fetchall()[0][10:12]
    full = f"This dynamic table contains {reason}, which is not supported for incremental refresh."
    assert (mode, why) == (("INCREMENTAL", None) if reason is None else ("FULL", full))
