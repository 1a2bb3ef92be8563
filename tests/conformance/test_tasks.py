"""Tasks: lifecycle, schedules, WHEN, triggers, graphs, failures and TASK_HISTORY (semantics section 2).

Cases use the COMPUTE_WH warehouse a new account has (the emulator creates it X-Small and
suspended). Cases whose assertions are the emulator's modelled timings or bills skip on a live
account, saying so.
"""

from __future__ import annotations

import pytest

from .cases import Advance, Expect, Fails, case, run_case_on

TIMING = {"snowflake": "asserts the emulator's modelled timings; a live account's vary"}
SETUP = ("CREATE TABLE t (a INT)", "CREATE TABLE src (a INT)", "CREATE STREAM s ON TABLE src")
EVERY_MINUTE = "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' AS INSERT INTO t VALUES (1)"
FAILING = "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' {} AS INSERT INTO t SELECT 1 / 0"
TRIGGERED = "CREATE TASK t1 WAREHOUSE = COMPUTE_WH WHEN SYSTEM$STREAM_HAS_DATA('S') AS INSERT INTO t SELECT a FROM s"
SHOW = "SHOW TASKS LIKE 'T1'"


def history(columns: str, where: str = "STATE <> 'SCHEDULED'", task: str = "T1") -> str:
    return (f"SELECT {columns} FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(TASK_NAME => '{task}')) "
            f"WHERE {where} ORDER BY SCHEDULED_TIME, ATTEMPT_NUMBER")


LIFECYCLE = [
    case(
        "a new task is suspended until RESUME",
        *SETUP,
        EVERY_MINUTE,
        Expect(
            SHOW, [("T1", "suspended", "1 MINUTE", "COMPUTE_WH")], columns=("name", "state", "schedule", "warehouse")
        ),
        "ALTER TASK t1 RESUME",
        Expect(SHOW, [("started",)], columns=("state",)),
        "ALTER TASK t1 SUSPEND",
        Expect(SHOW, [("suspended",)], columns=("state",)),
    ),
    case("a suspended task never runs", *SETUP, EVERY_MINUTE, Advance(130), Expect("SELECT COUNT(*) FROM t", [(0,)])),
    case(
        "a scheduled task runs once per interval",
        *SETUP,
        EVERY_MINUTE,
        "ALTER TASK t1 RESUME",
        Advance(150),
        Expect("SELECT COUNT(*) FROM t", [(2,)]),
        Expect(history("STATE, SCHEDULED_FROM, ATTEMPT_NUMBER"), [("SUCCEEDED", "SCHEDULE", 1)] * 2, ordered=True),
    ),
    case(
        "SYSTEM$WAIT lets the scheduled runs happen",
        *SETUP,
        EVERY_MINUTE,
        "ALTER TASK t1 RESUME",
        Expect("CALL SYSTEM$WAIT(150)", [("waited 150 seconds",)], columns=("SYSTEM$WAIT",)),
        Expect("SELECT COUNT(*) FROM t", [(2,)]),
    ),
    case(
        "TASK_HISTORY shows the next run as SCHEDULED with no query yet",
        *SETUP,
        EVERY_MINUTE,
        "ALTER TASK t1 RESUME",
        Expect(history("STATE, QUERY_ID IS NULL", where="TRUE"), [("SCHEDULED", True)]),
    ),
    case(
        "the first run queues while the suspended warehouse resumes",
        *SETUP,
        EVERY_MINUTE,
        "ALTER TASK t1 RESUME",
        Advance(70),
        Expect(
            history(
                "DATEDIFF('millisecond', SCHEDULED_TIME, QUERY_START_TIME), "
                "DATEDIFF('millisecond', QUERY_START_TIME, COMPLETED_TIME)"
            ),
            [(1000, 201)],
        ),  # resume 1 s; 200 ms overhead + 1 row
        Expect("SHOW WAREHOUSES LIKE 'COMPUTE_WH'", [("STARTED",)], columns=("state",)),
        **TIMING,
    ),
    case(
        "a cron schedule runs on its grid",
        *SETUP,
        "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = 'USING CRON */5 * * * * UTC' AS INSERT INTO t VALUES (1)",
        "ALTER TASK t1 RESUME",
        Advance(660),
        Expect("SELECT COUNT(*) FROM t", [(2,)]),
        Expect(history("MINUTE(SCHEDULED_TIME) % 5, SECOND(SCHEDULED_TIME)"), [(0, 0), (0, 0)]),
        snowflake="waits eleven minutes",
    ),
    case(
        "CREATE OR REPLACE cancels the next run and leaves the task suspended",
        *SETUP,
        EVERY_MINUTE,
        "ALTER TASK t1 RESUME",
        "CREATE OR REPLACE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' AS INSERT INTO t VALUES (2)",
        Advance(70),
        Expect("SELECT COUNT(*) FROM t", [(0,)]),
        Expect(SHOW, [("suspended",)], columns=("state",)),
    ),
    case(
        "ALTER TASK SET SCHEDULE takes effect from the next run",
        *SETUP,
        EVERY_MINUTE,
        "ALTER TASK t1 RESUME",
        "ALTER TASK t1 SET SCHEDULE = '2 MINUTES'",
        Advance(150),
        Expect("SELECT COUNT(*) FROM t", [(1,)]),
        Expect(SHOW, [("2 MINUTES",)], columns=("schedule",)),
        **TIMING,
    ),
    case(
        "a BEGIN ... END body runs its statements in order",
        *SETUP,
        "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' AS BEGIN INSERT INTO t VALUES (1); "
        "UPDATE t SET a = a + 10; END",
        "EXECUTE TASK t1",
        Advance(30),
        Expect("SELECT a FROM t", [(11,)]),
    ),
    case(
        "DESCRIBE TASK shows its definition, condition and state",
        *SETUP,
        "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '5 MINUTES' WHEN SYSTEM$STREAM_HAS_DATA('S') "
        "AS INSERT INTO t SELECT a FROM s",
        Expect(
            "DESCRIBE TASK t1",
            [("T1", "5 MINUTES", "suspended", "INSERT INTO t SELECT a FROM s", "SYSTEM$STREAM_HAS_DATA('S')")],
            columns=("name", "schedule", "state", "definition", "condition"),
        ),
    ),
    case(
        "DROP TASK removes it",
        *SETUP,
        EVERY_MINUTE,
        "DROP TASK t1",
        Expect(SHOW, []),
        Fails("DROP TASK t1", "does not exist"),
    ),
]

CONDITIONS = [
    case("WHEN false skips the run without resuming the warehouse", *SETUP,
         "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' WHEN SYSTEM$STREAM_HAS_DATA('S') "
         "AS INSERT INTO t SELECT a FROM s", "ALTER TASK t1 RESUME", Advance(70),
         Expect(history("STATE, QUERY_ID IS NULL"), [("SKIPPED", True)]),
         Expect("SHOW WAREHOUSES LIKE 'COMPUTE_WH'", [("SUSPENDED",)], columns=("state",)), **TIMING),
    case("WHEN true runs the body and the run consumes the stream", *SETUP,
         "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' WHEN SYSTEM$STREAM_HAS_DATA('S') "
         "AS INSERT INTO t SELECT a FROM s", "INSERT INTO src VALUES (1), (2)", "ALTER TASK t1 RESUME", Advance(70),
         Expect("SELECT a FROM t", [(1,), (2,)]), Expect("SELECT COUNT(*) FROM s", [(0,)]),
         Expect(history("STATE, CONDITION_TEXT"), [("SUCCEEDED", "SYSTEM$STREAM_HAS_DATA('S')")])),
    case("WHEN combines stream checks with AND, OR and NOT", *SETUP, "CREATE TABLE src2 (a INT)",
         "CREATE STREAM s2 ON TABLE src2",
         "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' "
         "WHEN SYSTEM$STREAM_HAS_DATA('S') AND NOT SYSTEM$STREAM_HAS_DATA('S2') AS INSERT INTO t SELECT a FROM s",
         "INSERT INTO src VALUES (1)", "INSERT INTO src2 VALUES (1)", "ALTER TASK t1 RESUME", Advance(70),
         Expect(history("STATE"), [("SKIPPED",)])),
    case("a triggered task runs when its stream gets data", *SETUP, TRIGGERED, "ALTER TASK t1 RESUME",
         Expect(SHOW, [(None,)], columns=("schedule",)), "INSERT INTO src VALUES (7)", Advance(20),
         Expect("SELECT a FROM t", [(7,)]), Expect(history("STATE, SCHEDULED_FROM"), [("SUCCEEDED", "TRIGGER")])),
    case("triggered runs are at least 30 seconds apart by default", *SETUP, TRIGGERED, "ALTER TASK t1 RESUME",
         "INSERT INTO src VALUES (1)", Advance(5), "INSERT INTO src VALUES (2)", Advance(20),
         Expect("SELECT COUNT(*) FROM t", [(1,)]), Advance(10), Expect("SELECT COUNT(*) FROM t", [(2,)]),
         Expect(history("DATEDIFF('second', LAG(SCHEDULED_TIME) OVER (ORDER BY SCHEDULED_TIME), SCHEDULED_TIME)"),
                [(None,), (30,)], ordered=True), **TIMING),
    case("a serverless triggered task needs TARGET_COMPLETION_INTERVAL", *SETUP,
         Fails("CREATE TASK t1 WHEN SYSTEM$STREAM_HAS_DATA('S') AS INSERT INTO t SELECT a FROM s",
               "TARGET_COMPLETION_INTERVAL")),
]

FAILURES = [
    case("a failing run is FAILED with the statement's error", *SETUP, FAILING.format(""), "ALTER TASK t1 RESUME",
         Advance(70), Expect(history("STATE, ERROR_CODE, ERROR_MESSAGE"), [("FAILED", "100051", "Division by zero")])),
    case("SUSPEND_TASK_AFTER_NUM_FAILURES suspends after that many failures in a row", *SETUP,
         FAILING.format("SUSPEND_TASK_AFTER_NUM_FAILURES = 2"), "ALTER TASK t1 RESUME", Advance(190),
         Expect(history("STATE"), [("FAILED",), ("FAILED_AND_AUTO_SUSPENDED",)], ordered=True),
         Expect(SHOW, [("suspended",)], columns=("state",))),
    case("TASK_AUTO_RETRY_ATTEMPTS retries a failed run", *SETUP, FAILING.format("TASK_AUTO_RETRY_ATTEMPTS = 2"),
         "ALTER TASK t1 RESUME", Advance(70),
         Expect(history("STATE, SCHEDULED_FROM, ATTEMPT_NUMBER"),
                [("FAILED", "SCHEDULE", 1), ("FAILED", "AUTOMATIC RETRY", 2), ("FAILED", "AUTOMATIC RETRY", 3)],
                ordered=True), **TIMING),
    case("a run past USER_TASK_TIMEOUT_MS fails and is rolled back", *SETUP,
         "CREATE TASK t1 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' USER_TASK_TIMEOUT_MS = 100 "
         "AS INSERT INTO t VALUES (1)", "ALTER TASK t1 RESUME", Advance(70),
         Expect(history("STATE, ERROR_CODE"), [("FAILED", "000630")]), Expect("SELECT COUNT(*) FROM t", [(0,)]),
         **TIMING),
    case("ERROR_ONLY keeps failed runs", *SETUP, FAILING.format(""), "ALTER TASK t1 RESUME", Advance(70),
         Expect("SELECT STATE FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(ERROR_ONLY => TRUE))", [("FAILED",)])),
    case("TASK_HISTORY refuses an unknown argument", Fails(
        "SELECT * FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(TABLE_NAME => 'T1'))", "Invalid argument")),
]

GRAPHS = [
    case(
        "a child runs after its root, in the same graph run",
        *SETUP,
        EVERY_MINUTE,
        "CREATE TASK t2 WAREHOUSE = COMPUTE_WH AFTER t1 AS INSERT INTO t VALUES (2)",
        "ALTER TASK t2 RESUME",
        "ALTER TASK t1 RESUME",
        Advance(70),
        Expect("SELECT a FROM t", [(1,), (2,)]),
        Expect(
            "SELECT COUNT(DISTINCT RUN_ID), COUNT(DISTINCT GRAPH_RUN_GROUP_ID), MIN(NAME), MAX(NAME) "
            "FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY()) WHERE STATE = 'SUCCEEDED'",
            [(1, 1, "T1", "T2")],
        ),
    ),
    case(
        "a child waits for all its predecessors",
        *SETUP,
        EVERY_MINUTE,
        "CREATE TASK t2 WAREHOUSE = COMPUTE_WH AFTER t1 AS INSERT INTO t VALUES (2)",
        "CREATE TASK t3 WAREHOUSE = COMPUTE_WH AFTER t1, t2 AS INSERT INTO t SELECT COUNT(*) * 10 FROM t",
        "SELECT SYSTEM$TASK_DEPENDENTS_ENABLE('T1')",
        Advance(70),
        Expect("SELECT a FROM t", [(1,), (2,), (20,)]),
    ),
    case(
        "a suspended child is skipped as though it had succeeded: its children still run",
        *SETUP,
        EVERY_MINUTE,
        "CREATE TASK t2 WAREHOUSE = COMPUTE_WH AFTER t1 AS INSERT INTO t VALUES (2)",
        "CREATE TASK t3 WAREHOUSE = COMPUTE_WH AFTER t2 AS INSERT INTO t VALUES (3)",
        "CREATE TASK t4 WAREHOUSE = COMPUTE_WH AFTER t1, t2 AS INSERT INTO t VALUES (4)",
        "SELECT SYSTEM$TASK_DEPENDENTS_ENABLE('T1')",
        "ALTER TASK t1 SUSPEND",
        "ALTER TASK t2 SUSPEND",
        "ALTER TASK t1 RESUME",
        Advance(70),
        Expect("SELECT a FROM t", [(1,), (3,), (4,)]),
        Expect("SELECT DISTINCT NAME FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY()) WHERE STATE = 'SUCCEEDED'",
               [("T1",), ("T3",), ("T4",)]),
    ),
    case(
        "a child does not run when its root fails",
        *SETUP,
        FAILING.format(""),
        "CREATE TASK t2 WAREHOUSE = COMPUTE_WH AFTER t1 AS INSERT INTO t VALUES (2)",
        "ALTER TASK t2 RESUME",
        "ALTER TASK t1 RESUME",
        Advance(70),
        Expect("SELECT COUNT(*) FROM t", [(0,)]),
    ),
    case(
        "SYSTEM$TASK_DEPENDENTS_ENABLE resumes a whole graph",
        *SETUP,
        EVERY_MINUTE,
        "CREATE TASK t2 WAREHOUSE = COMPUTE_WH AFTER t1 AS INSERT INTO t VALUES (2)",
        "SELECT SYSTEM$TASK_DEPENDENTS_ENABLE('T1')",
        Expect("SHOW TASKS", [("T1", "started"), ("T2", "started")], columns=("name", "state")),
    ),
    case(
        "a child task cannot have a schedule",
        *SETUP,
        EVERY_MINUTE,
        Fails(
            "CREATE TASK t2 WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' AFTER t1 AS INSERT INTO t VALUES (2)",
            "schedule",
        ),
    ),
    case(
        "TASK_AUTO_RETRY_ATTEMPTS is for root tasks only",
        *SETUP,
        EVERY_MINUTE,
        Fails(
            "CREATE TASK t2 WAREHOUSE = COMPUTE_WH TASK_AUTO_RETRY_ATTEMPTS = 1 AFTER t1 AS INSERT INTO t VALUES (2)",
            "root task",
        ),
    ),
    case(
        "the graph must be suspended to change it",
        *SETUP,
        EVERY_MINUTE,
        "CREATE TASK t2 WAREHOUSE = COMPUTE_WH AFTER t1 AS INSERT INTO t VALUES (2)",
        "ALTER TASK t1 RESUME",
        Fails("ALTER TASK t2 REMOVE AFTER t1", "not suspended"),
    ),
    case(
        "EXECUTE TASK runs a suspended task once",
        *SETUP,
        EVERY_MINUTE,
        "EXECUTE TASK t1",
        Advance(30),
        Expect("SELECT COUNT(*) FROM t", [(1,)]),
        Expect(history("STATE, SCHEDULED_FROM"), [("SUCCEEDED", "EXECUTE_TASK")]),
        Expect(SHOW, [("suspended",)], columns=("state",)),
    ),
    case(
        "EXECUTE TASK runs a standalone or root task, not a child",
        *SETUP,
        EVERY_MINUTE,
        "CREATE TASK t2 WAREHOUSE = COMPUTE_WH AFTER t1 AS INSERT INTO t VALUES (2)",
        Fails("EXECUTE TASK t2", "t2"),  # Snowflake documents the refusal, not its wording
    ),
]

SERVERLESS = [
    case(
        "a serverless task starts without a warehouse and bills 0.9x of its size",
        *SETUP,
        "CREATE TASK t1 SCHEDULE = '1 MINUTE' USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE = 'XSMALL' "
        "AS INSERT INTO t VALUES (1)",
        "ALTER TASK t1 RESUME",
        Advance(70),
        Expect(history("STATE, DATEDIFF('millisecond', SCHEDULED_TIME, QUERY_START_TIME)"), [("SUCCEEDED", 2000)]),
        # one second (200 ms rounded up) of an X-Small at 0.9: 0.9 / 3600 credits
        Expect(
            "SELECT ROUND(SUM(CREDITS_USED) * 3600 / 0.9, 6) FROM TABLE(INFORMATION_SCHEMA.SERVERLESS_TASK_HISTORY())",
            [(1,)],
        ),
        Expect("SHOW WAREHOUSES LIKE 'COMPUTE_WH'", [("SUSPENDED",)], columns=("state",)),
        **TIMING,
    ),
]

ALL = LIFECYCLE + CONDITIONS + FAILURES + GRAPHS + SERVERLESS


@pytest.mark.parametrize("item", ALL, ids=str)
def test_task_case(backend, item) -> None:
    run_case_on(backend, item)
