"""Dynamic tables: lag, scheduling, refresh modes, incremental results, failures, history (section 3).

Every case checks the content a reader sees, so an incremental refresh is held to the same
answer as recomputing the query. Cases whose assertions are the emulator's modelled timings
skip on a live account, saying so.
"""

from __future__ import annotations

import pytest

from .cases import Advance, Expect, Fails, case, run_case_on

TIMING = {"snowflake": "asserts the emulator's modelled refresh timings; a live account's vary"}
BASE = ("CREATE TABLE t (id INT, grp STRING, v INT)", "INSERT INTO t VALUES (1, 'a', 10), (2, 'a', 20), (3, 'b', 30)")
DT = "CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH {} AS {}"
HISTORY = ("SELECT {} FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(NAME => '{}')) "
           "WHERE {} ORDER BY DATA_TIMESTAMP, REFRESH_START_TIME")
SHOW = "SHOW DYNAMIC TABLES LIKE 'D'"
CHANGES = ("INSERT INTO t VALUES (4, 'b', 40), (5, 'c', 50)", "UPDATE t SET v = v + 1 WHERE id IN (1, 3)",
           "UPDATE t SET grp = 'c' WHERE id = 2", "DELETE FROM t WHERE id = 1")


def dt(query: str, options: str = "") -> str:
    return DT.format(options, query)


def history(columns: str, name: str = "D", where: str = "TRUE") -> str:
    return HISTORY.format(columns, name, where)


DEFINITION = [
    case(
        "CREATE initializes the content at once",
        *BASE,
        dt("SELECT id, v FROM t WHERE v > 15"),
        Expect("SELECT * FROM d", [(2, 20), (3, 30)]),
        Expect(history("STATE, REFRESH_TRIGGER"), [("SUCCEEDED", "CREATION")]),
    ),
    case(
        "a target lag under one minute is refused",
        *BASE,
        Fails(
            "CREATE DYNAMIC TABLE d TARGET_LAG = '30 seconds' WAREHOUSE = COMPUTE_WH AS SELECT id FROM t", "1 minute"
        ),
    ),
    case(
        "TARGET_LAG and WAREHOUSE are required",
        *BASE,
        Fails("CREATE DYNAMIC TABLE d WAREHOUSE = COMPUTE_WH AS SELECT id FROM t", "TARGET_LAG"),
        Fails("CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' AS SELECT id FROM t", "WAREHOUSE"),
    ),
    case(
        "a lag shorter than an upstream dynamic table's is refused",
        *BASE,
        "CREATE DYNAMIC TABLE up TARGET_LAG = '10 minutes' WAREHOUSE = COMPUTE_WH AS SELECT id FROM t",
        Fails(
            "CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT id FROM up", "target lag"
        ),
    ),
    case(
        "INITIALIZE = ON_SCHEDULE leaves the table unreadable until its first refresh",
        *BASE,
        dt("SELECT id FROM t", "INITIALIZE = ON_SCHEDULE"),
        Fails("SELECT * FROM d", "not initialized"),
        Advance(60),
        Expect("SELECT COUNT(*) FROM d", [(3,)]),
    ),
    case(
        "CREATE OR REPLACE redefines the table",
        *BASE,
        dt("SELECT id FROM t"),
        "CREATE OR REPLACE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT v FROM t",
        Expect("SELECT * FROM d", [(10,), (20,), (30,)]),
    ),
    case(
        "DML on a dynamic table is refused",
        *BASE,
        dt("SELECT id FROM t"),
        Fails("INSERT INTO d VALUES (9)", "dynamic table"),
        Fails("DELETE FROM d", "dynamic table"),
    ),
    case(
        "SHOW DYNAMIC TABLES shows lag, mode and scheduling state",
        *BASE,
        dt("SELECT id FROM t"),
        Expect(
            SHOW,
            [("D", "1 minute", "INCREMENTAL", None, "COMPUTE_WH", "RUNNING")],
            columns=("name", "target_lag", "refresh_mode", "refresh_mode_reason", "warehouse", "scheduling_state"),
        ),
    ),
    case(
        "DROP DYNAMIC TABLE removes it",
        *BASE,
        dt("SELECT id FROM t"),
        "DROP DYNAMIC TABLE d",
        Expect(SHOW, []),
        Fails("SELECT * FROM d", "does not exist"),
    ),
]

SCHEDULING = [
    case("readers see the last refresh until the next one", *BASE, dt("SELECT id FROM t"),
         "INSERT INTO t VALUES (9, 'z', 90)", Expect("SELECT COUNT(*) FROM d", [(3,)]), Advance(60),
         Expect("SELECT COUNT(*) FROM d", [(4,)])),
    case("a one-minute lag refreshes every 30 seconds on the account's grid", *BASE, dt("SELECT id FROM t"),
         Advance(120), Expect(history("DATEDIFF('second', LAG(DATA_TIMESTAMP) OVER (ORDER BY DATA_TIMESTAMP), "
                                      "DATA_TIMESTAMP)", where="REFRESH_TRIGGER = 'SCHEDULED'"),
                              [(None,), (30,), (30,), (30,)], ordered=True), **TIMING),
    case("no change since the last refresh is NO_DATA and the warehouse stays suspended", *BASE,
         "CREATE WAREHOUSE dtwh AUTO_SUSPEND = 60 INITIALLY_SUSPENDED = TRUE",
         "CREATE DYNAMIC TABLE d TARGET_LAG = '1 minute' WAREHOUSE = dtwh AS SELECT id FROM t", Advance(600),
         Expect(history("DISTINCT REFRESH_ACTION", where="REFRESH_TRIGGER = 'SCHEDULED'"), [("NO_DATA",)]),
         Expect("SHOW WAREHOUSES LIKE 'DTWH'", [("SUSPENDED",)], columns=("state",)),
         snowflake="creates an account-level warehouse"),
    case("a DOWNSTREAM table without consumers never refreshes by itself", *BASE,
         dt("SELECT id FROM t").replace("'1 minute'", "DOWNSTREAM"), "INSERT INTO t VALUES (9, 'z', 90)",
         Advance(300), Expect("SELECT COUNT(*) FROM d", [(3,)]), "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT COUNT(*) FROM d", [(4,)]),
         Expect(history("REFRESH_TRIGGER"), [("CREATION",), ("MANUAL",)], ordered=True)),
    case("a DOWNSTREAM table refreshes with its consumer, at the same data timestamp", *BASE,
         "CREATE DYNAMIC TABLE silver TARGET_LAG = DOWNSTREAM WAREHOUSE = COMPUTE_WH AS SELECT id, grp FROM t",
         "CREATE DYNAMIC TABLE gold TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS "
         "SELECT grp, COUNT(*) AS n FROM silver GROUP BY grp",
         "INSERT INTO t VALUES (9, 'a', 90)", Advance(60),
         Expect("SELECT * FROM gold", [("a", 3), ("b", 1)]),
         Expect("SELECT COUNT(*) FROM (SELECT DATA_TIMESTAMP FROM "
                "TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY()) "
                "WHERE REFRESH_ACTION = 'INCREMENTAL' GROUP BY DATA_TIMESTAMP HAVING COUNT(DISTINCT NAME) = 2)",
                [(1,)])),
    case("ALTER DYNAMIC TABLE SUSPEND stops refreshes and RESUME restarts them", *BASE, dt("SELECT id FROM t"),
         "ALTER DYNAMIC TABLE d SUSPEND", Expect(SHOW, [("SUSPENDED",)], columns=("scheduling_state",)),
         "INSERT INTO t VALUES (9, 'z', 90)", Advance(120), Expect("SELECT COUNT(*) FROM d", [(3,)]),
         "ALTER DYNAMIC TABLE d RESUME", Advance(60), Expect("SELECT COUNT(*) FROM d", [(4,)])),
    case("suspending a dynamic table suspends its downstream tables", *BASE,
         "CREATE DYNAMIC TABLE up TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT id FROM t",
         "CREATE DYNAMIC TABLE d TARGET_LAG = '2 minutes' WAREHOUSE = COMPUTE_WH AS SELECT id FROM up",
         "ALTER DYNAMIC TABLE up SUSPEND", Expect(SHOW, [("SUSPENDED",)], columns=("scheduling_state",))),
    case("ALTER DYNAMIC TABLE SET TARGET_LAG changes the schedule", *BASE, dt("SELECT id FROM t"),
         "ALTER DYNAMIC TABLE d SET TARGET_LAG = '10 minutes'",
         Expect(SHOW, [("10 minutes",)], columns=("target_lag",)),
         "INSERT INTO t VALUES (9, 'z', 90)", Advance(240), Expect("SELECT COUNT(*) FROM d", [(3,)]),
         Advance(60), Expect("SELECT COUNT(*) FROM d", [(4,)]), **TIMING),
    case("SCHEDULER = DISABLE refreshes only on request", *BASE,
         "CREATE DYNAMIC TABLE d WAREHOUSE = COMPUTE_WH SCHEDULER = DISABLE AS SELECT id FROM t",
         "INSERT INTO t VALUES (9, 'z', 90)", Advance(300), Expect("SELECT COUNT(*) FROM d", [(3,)]),
         Expect(SHOW, [(None,)], columns=("target_lag",)), "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT COUNT(*) FROM d", [(4,)])),
]

INCREMENTAL = [
    case("projection and filter refresh incrementally to the query's answer", *BASE,
         dt("SELECT id, grp, v * 2 AS v2 FROM t WHERE v < 45"), *CHANGES, "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT * FROM d", [(2, "c", 40), (3, "b", 62), (4, "b", 80)]),
         Expect(history("REFRESH_ACTION", where="REFRESH_TRIGGER = 'MANUAL'"), [("INCREMENTAL",)])),
    case("GROUP BY recomputes the changed groups", *BASE,
         dt("SELECT grp, COUNT(*) AS n, SUM(v) AS total, MAX(id) AS top FROM t GROUP BY grp"), *CHANGES,
         "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT * FROM d", [("b", 2, 71, 4), ("c", 2, 70, 5)]),
         Expect(SHOW, [("INCREMENTAL",)], columns=("refresh_mode",))),
    case("a group whose last row is deleted disappears", *BASE,
         dt("SELECT grp, SUM(v) AS total FROM t GROUP BY grp"), "DELETE FROM t WHERE grp = 'b'",
         "ALTER DYNAMIC TABLE d REFRESH", Expect("SELECT * FROM d", [("a", 30)])),
    case("NULL group keys form one group", "CREATE TABLE t (grp STRING, v INT)",
         "INSERT INTO t VALUES (NULL, 1), ('a', 2)", dt("SELECT grp, SUM(v) AS total FROM t GROUP BY grp"),
         "INSERT INTO t VALUES (NULL, 10)", "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT * FROM d", [(None, 11), ("a", 2)])),
    case("an inner join refreshes incrementally", *BASE, "CREATE TABLE g (grp STRING, label STRING)",
         "INSERT INTO g VALUES ('a', 'A'), ('b', 'B')",
         dt("SELECT t.id, g.label FROM t JOIN g ON t.grp = g.grp"), *CHANGES,
         "UPDATE g SET label = 'B2' WHERE grp = 'b'", "INSERT INTO g VALUES ('c', 'C')",
         "ALTER DYNAMIC TABLE d REFRESH", Expect("SELECT * FROM d", [(2, "C"), (3, "B2"), (4, "B2"), (5, "C")]),
         Expect(SHOW, [("INCREMENTAL",)], columns=("refresh_mode",))),
    case("a LEFT JOIN on equality refreshes incrementally, rows gaining and losing their match", *BASE,
         "CREATE TABLE g (grp STRING, label STRING)", "INSERT INTO g VALUES ('a', 'A')",
         dt("SELECT t.id, g.label FROM t LEFT JOIN g ON t.grp = g.grp"), *CHANGES,
         "INSERT INTO g VALUES ('b', 'B'), ('c', 'C1'), ('c', 'C2')", "DELETE FROM g WHERE grp = 'a'",
         "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT * FROM d", [(2, "C1"), (2, "C2"), (3, "B"), (4, "B"), (5, "C1"), (5, "C2")]),
         Expect(SHOW, [("INCREMENTAL",)], columns=("refresh_mode",))),
    case("a GROUP BY over a LEFT JOIN counts the rows without a match", *BASE,
         "CREATE TABLE g (grp STRING, label STRING)", "INSERT INTO g VALUES ('b', 'B')",
         dt("SELECT t.grp, COUNT(g.label) AS labelled, COUNT(*) AS n FROM t LEFT JOIN g ON t.grp = g.grp "
            "GROUP BY t.grp"),
         *CHANGES, "DELETE FROM g WHERE grp = 'b'", "INSERT INTO g VALUES ('c', 'C')", "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT * FROM d", [("b", 0, 2), ("c", 2, 2)]),
         Expect(SHOW, [("INCREMENTAL",)], columns=("refresh_mode",))),
    case("UNION ALL refreshes incrementally", *BASE, "CREATE TABLE u (id INT)", "INSERT INTO u VALUES (100)",
         dt("SELECT id FROM t UNION ALL SELECT id FROM u"), "DELETE FROM t WHERE id = 1", "INSERT INTO u VALUES (200)",
         "ALTER DYNAMIC TABLE d REFRESH", Expect("SELECT * FROM d", [(2,), (3,), (100,), (200,)]),
         Expect(SHOW, [("INCREMENTAL",)], columns=("refresh_mode",))),
    case("LATERAL FLATTEN refreshes incrementally", "CREATE TABLE o (id INT, tags VARIANT)",
         "INSERT INTO o SELECT 1, PARSE_JSON('[\"a\", \"b\"]')",
         dt("SELECT o.id, f.value::STRING AS tag FROM o, LATERAL FLATTEN(input => o.tags) f"),
         "INSERT INTO o SELECT 2, PARSE_JSON('[\"c\"]')", "UPDATE o SET tags = PARSE_JSON('[\"z\"]') WHERE id = 1",
         "ALTER DYNAMIC TABLE d REFRESH", Expect("SELECT * FROM d", [(1, "z"), (2, "c")]),
         Expect(SHOW, [("INCREMENTAL",)], columns=("refresh_mode",))),
    case("SELECT DISTINCT refreshes incrementally", *BASE, dt("SELECT DISTINCT grp FROM t"),
         "DELETE FROM t WHERE id = 1", "DELETE FROM t WHERE grp = 'b'", "INSERT INTO t VALUES (7, 'q', 0)",
         "ALTER DYNAMIC TABLE d REFRESH", Expect("SELECT * FROM d", [("a",), ("q",)])),
    case("a dynamic table over a dynamic table refreshes incrementally", *BASE,
         "CREATE DYNAMIC TABLE up TARGET_LAG = DOWNSTREAM WAREHOUSE = COMPUTE_WH AS SELECT id, grp, v FROM t WHERE v > "
         "10",
         dt("SELECT grp, SUM(v) AS total FROM up GROUP BY grp"), *CHANGES, "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT * FROM d", [("b", 71), ("c", 70)])),
    case("a window function makes the table FULL, with the reason", *BASE,
         dt("SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM t"),
         Expect(SHOW, [("FULL", "This dynamic table contains window functions, which is not supported for "
                                "incremental refresh.")], columns=("refresh_mode", "refresh_mode_reason")),
         "DELETE FROM t WHERE id = 1", "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT * FROM d", [(2, 1), (3, 2)]),
         Expect(history("REFRESH_ACTION", where="REFRESH_TRIGGER = 'MANUAL'"), [("FULL",)])),
    case("refreshing two dynamic tables that share an upstream refreshes it once", *BASE,
         "CREATE DYNAMIC TABLE up TARGET_LAG = DOWNSTREAM WAREHOUSE = COMPUTE_WH AS SELECT id, grp FROM t",
         "CREATE DYNAMIC TABLE d1 TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT id FROM up",
         "CREATE DYNAMIC TABLE d2 TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT grp FROM up",
         "INSERT INTO t VALUES (4, 'c', 40)", "ALTER DYNAMIC TABLE d1, d2 REFRESH",
         Expect(history("REFRESH_TRIGGER", name="UP", where="REFRESH_TRIGGER = 'MANUAL'"), [("MANUAL",)]),
         Expect("SELECT COUNT(*) FROM d2", [(4,)])),
    case("EXCEPT makes the table FULL, the reason naming the operator as Snowflake does", *BASE,
         "CREATE TABLE u (id INT)",
         dt("SELECT id FROM t EXCEPT SELECT id FROM u"),
         Expect(SHOW, [("FULL", "Unsupported query operator type: SetOperation[EXCEPT]")],
                columns=("refresh_mode", "refresh_mode_reason"))),
    case("REFRESH_MODE = INCREMENTAL on a query that cannot be incremental is refused", *BASE,
         "CREATE TABLE u (id INT)",
         Fails(dt("SELECT id FROM t EXCEPT SELECT id FROM u", "REFRESH_MODE = INCREMENTAL"), "incremental")),
    case("REFRESH_MODE = FULL recomputes every refresh", *BASE, dt("SELECT id FROM t", "REFRESH_MODE = FULL"),
         Expect(SHOW, [("FULL",)], columns=("refresh_mode",)), "INSERT INTO t VALUES (9, 'z', 90)",
         "ALTER DYNAMIC TABLE d REFRESH", Expect("SELECT COUNT(*) FROM d", [(4,)]),
         Expect(history("REFRESH_ACTION", where="REFRESH_TRIGGER = 'MANUAL'"), [("FULL",)])),
    case("the refresh statistics count inserted and deleted rows", *BASE, dt("SELECT id, v FROM t"),
         "INSERT INTO t VALUES (4, 'b', 40)", "DELETE FROM t WHERE id = 1", "ALTER DYNAMIC TABLE d REFRESH",
         Expect(history("STATISTICS:numInsertedRows::INT, STATISTICS:numDeletedRows::INT",
                        where="REFRESH_TRIGGER = 'MANUAL'"), [(1, 1)])),
]

STREAMS = [
    case("a stream on an incremental dynamic table sees each refresh's changes", *BASE, dt("SELECT id, v FROM t"),
         "CREATE STREAM ds ON DYNAMIC TABLE d", "UPDATE t SET v = 11 WHERE id = 1", "DELETE FROM t WHERE id = 2",
         "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT id, v, METADATA$ACTION, METADATA$ISUPDATE FROM ds",
                [(1, 10, "DELETE", True), (1, 11, "INSERT", True), (2, 20, "DELETE", False)])),
    case("a stream created after refreshes sees only the refreshes after it", *BASE, dt("SELECT id, v FROM t"),
         "UPDATE t SET v = 12 WHERE id = 1", "DELETE FROM t WHERE id = 3", "ALTER DYNAMIC TABLE d REFRESH",
         "CREATE STREAM ds ON DYNAMIC TABLE d", "UPDATE t SET v = 13 WHERE id = 1", "INSERT INTO t VALUES (7, 'c', 70)",
         "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT id, v, METADATA$ACTION, METADATA$ISUPDATE FROM ds ORDER BY id, METADATA$ACTION",
                [(1, 12, "DELETE", True), (1, 13, "INSERT", True), (7, 70, "INSERT", False)])),
    case("a dynamic table created on another after its refreshes follows it incrementally", *BASE,
         "CREATE DYNAMIC TABLE up TARGET_LAG = DOWNSTREAM WAREHOUSE = COMPUTE_WH AS SELECT id, grp, v FROM t",
         *CHANGES[:2], "ALTER DYNAMIC TABLE up REFRESH",
         dt("SELECT grp, SUM(v) AS total FROM up GROUP BY grp"), *CHANGES[2:], "ALTER DYNAMIC TABLE d REFRESH",
         Expect("SELECT * FROM d ORDER BY grp", [("b", 71), ("c", 70)]),
         Expect(history("REFRESH_ACTION", where="REFRESH_TRIGGER = 'MANUAL'"), [("INCREMENTAL",)])),
    case("a stream on a FULL dynamic table is refused", *BASE,
         dt("SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS rn FROM t"),
         Fails("CREATE STREAM ds ON DYNAMIC TABLE d", "incremental")),
]

FAILURES = [
    case(
        "a failed refresh keeps the last good content and marks downstream UPSTREAM_FAILED",
        "CREATE TABLE t (id INT, v INT)",
        "INSERT INTO t VALUES (1, 5)",
        "CREATE DYNAMIC TABLE up TARGET_LAG = DOWNSTREAM WAREHOUSE = COMPUTE_WH AS SELECT id, 10 / v AS q FROM t",
        dt("SELECT id, q FROM up"),
        "INSERT INTO t VALUES (2, 0)",
        Advance(30),
        Expect("SELECT * FROM d", [(1, 2)]),
        Expect("SELECT * FROM up", [(1, 2)]),
        Expect(history("STATE, STATE_CODE", name="UP", where="STATE <> 'SUCCEEDED'"), [("FAILED", "100051")]),
        Expect(history("STATE", where="STATE <> 'SUCCEEDED'"), [("UPSTREAM_FAILED",)]),
        **TIMING,
    ),
    case(
        "five scheduled failures in a row suspend the table",
        "CREATE TABLE t (id INT, v INT)",
        "INSERT INTO t VALUES (1, 5)",
        dt("SELECT id, 10 / v AS q FROM t"),
        "INSERT INTO t VALUES (2, 0)",
        Advance(180),
        Expect(
            "SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(ERROR_ONLY => TRUE))", [(5,)]
        ),
        Expect(SHOW, [("SUSPENDED",)], columns=("scheduling_state",)),
        Fails("ALTER DYNAMIC TABLE d REFRESH", "Division by zero"),
        **TIMING,
    ),
    case(
        "refresh history refuses TABLE_NAME, as Snowflake does",
        Fails(
            "SELECT * FROM TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(TABLE_NAME => 'D'))",
            "Invalid argument",
        ),
    ),
]

ALL = DEFINITION + SCHEDULING + INCREMENTAL + STREAMS + FAILURES


@pytest.mark.parametrize("item", ALL, ids=str)
def test_dynamic_table_case(backend, item) -> None:
    run_case_on(backend, item)
