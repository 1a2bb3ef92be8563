"""CREATE / ALTER / DROP / EXECUTE TASK, SHOW TASKS, DESCRIBE TASK, SYSTEM$TASK_DEPENDENTS_ENABLE.

https://docs.snowflake.com/en/sql-reference/sql/create-task. A task body is one statement or a
`BEGIN ... END` block of statements run in order; Snowflake Scripting control flow (DECLARE, LET,
IF, FOR, ...) and CALL are refused by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from sqlglot import exp

from backends.clock import Millis
from backends.duckdb.catalog.warehouses import normalize_size
from backends.duckdb.compile.context import AccountLike, SessionLike
from backends.duckdb.compile.plans import Plan, command_plan, text_commands
from backends.duckdb.compile.resolve import Resolver
from backends.duckdb.compile.results import Result, RowsResult, status_result, text_column, timestamp_column
from backends.duckdb.compile.table_functions import TIMESTAMP, Argument, TableFunction
from backends.duckdb.metadata.show import ShowRequest, like_matcher, local_time, schemas_in_scope
from backends.duckdb.objects.tasks.scheduler import Task, TaskScheduler
from backends.duckdb.objects.tasks.schedules import parse_schedule
from backends.duckdb.sql import translate
from backends.duckdb.sql.names import OBJECT_NAME_PATTERN, QualifiedName, display, parse_name_parts
from backends.duckdb.sql.properties import Property, check_known, parse_properties
from backends.duckdb.sql.scripts import split_header_and_body
from backends.errors import (
    NotSupportedError,
    compilation_error,
    object_already_exists,
    object_does_not_exist,
)
from backends.scripts import split_statements

_NAME = OBJECT_NAME_PATTERN
_CREATE = re.compile(
    rf"^\s*CREATE\s+(?P<replace>OR\s+(?:REPLACE|ALTER)\s+)?TASK\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})(?P<rest>.*)$",
    re.I | re.S,
)
_ALTER = re.compile(
    rf"^\s*ALTER\s+TASK\s+(?P<exists>IF\s+EXISTS\s+)?(?P<name>{_NAME})\s+(?P<rest>.*?)\s*;?\s*$", re.I | re.S
)
_DROP = re.compile(rf"^\s*DROP\s+TASK\s+(?P<exists>IF\s+EXISTS\s+)?(?P<name>{_NAME})\s*;?\s*$", re.I | re.S)
_EXECUTE = re.compile(rf"^\s*EXECUTE\s+TASK\s+(?P<name>{_NAME})\s*(?P<rest>.*?)\s*;?\s*$", re.I | re.S)
_DEPENDENTS = re.compile(
    r"^\s*SELECT\s+SYSTEM\$TASK_DEPENDENTS_ENABLE\s*\(\s*'(?P<name>(?:[^']|'')+)'\s*\)\s*;?\s*$", re.I | re.S
)

_KNOWN = {
    "WAREHOUSE", "USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE", "SCHEDULE", "CONFIG", "ALLOW_OVERLAPPING_EXECUTION",
    "OVERLAP_POLICY", "SUSPEND_TASK_AFTER_NUM_FAILURES", "TASK_AUTO_RETRY_ATTEMPTS", "USER_TASK_TIMEOUT_MS",
    "USER_TASK_MINIMUM_TRIGGER_INTERVAL_IN_SECONDS", "TARGET_COMPLETION_INTERVAL", "COMMENT", "FINALIZE",
}
#: Accepted: they route notifications or bound serverless sizing, not what a run does.
_IGNORED = {"ERROR_INTEGRATION", "SUCCESS_INTEGRATION", "LOG_LEVEL", "SERVERLESS_TASK_MIN_STATEMENT_SIZE",
            "SERVERLESS_TASK_MAX_STATEMENT_SIZE", "TRACE_LEVEL"}
_SCRIPTING = ("DECLARE", "LET", "IF", "FOR", "WHILE", "LOOP", "REPEAT", "RETURN", "EXCEPTION", "CASE", "CALL",
              "EXECUTE IMMEDIATE", "OPEN", "FETCH", "CLOSE", "BREAK", "CONTINUE", "RAISE")


def _qualify(session: SessionLike, text: str, sql: str) -> QualifiedName:
    return Resolver(session.catalog, session.context, sql).qualify(parse_name_parts(text), action="TASK")


# --- parsing --------------------------------------------------------------------------------------


def body_statements(body: str, sql: str) -> list[str]:
    """A task body's statements: one statement, or those of a BEGIN ... END block."""
    text = body.strip()
    block = re.match(r"^BEGIN\b(.*)\bEND\s*;?\s*$", text, re.I | re.S)
    if re.match(r"^EXECUTE\s+IMMEDIATE\s+\$\$(.*)\$\$\s*$", text, re.I | re.S):
        text = re.match(r"^EXECUTE\s+IMMEDIATE\s+\$\$(.*)\$\$\s*$", text, re.I | re.S).group(1).strip()
        block = re.match(r"^BEGIN\b(.*)\bEND\s*;?\s*$", text, re.I | re.S)
    statements = split_statements(block.group(1)) if block else [text]
    for statement in statements:
        head = " ".join(statement.split()[:2]).upper()
        for word in _SCRIPTING:
            if head == word or head.startswith(word + " "):
                raise NotSupportedError(f"Snowflake Scripting {word} in task bodies", query=sql)
        translate.parse(statement)  # a syntax error surfaces at CREATE TASK, naming the statement
    if not statements:
        raise compilation_error("syntax error: the task body is empty", errno=1003, query=sql)
    return statements


def condition_streams(condition: str, session: SessionLike, sql: str) -> list[QualifiedName]:
    """The streams a WHEN condition tests with SYSTEM$STREAM_HAS_DATA."""
    ast = translate.parse(f"SELECT {condition}")
    names = []
    for call in ast.find_all(exp.Anonymous):
        if (
            str(call.this).upper() == "SYSTEM$STREAM_HAS_DATA"
            and call.expressions
            and isinstance(call.expressions[0], exp.Literal)
        ):
            names.append(_qualify(session, call.expressions[0].this, sql))
    return names


def split_after_and_when(clauses: str, sql: str) -> tuple[dict[str, Property], list[str], str | None]:
    found, rest = parse_properties(clauses)
    rest = re.sub(r"^\s*COPY\s+GRANTS\b", "", rest, flags=re.I)
    after: list[str] = []
    when = None
    match = re.match(r"^\s*AFTER\s+(.*?)(?=\bWHEN\b|$)", rest, re.I | re.S)
    if match:
        after = [a.strip().strip("'") for a in match.group(1).split(",") if a.strip()]
        rest = rest[match.end():]
    match = re.match(r"^\s*WHEN\s+(.*)$", rest, re.I | re.S)
    if match:
        when = match.group(1).strip()
        rest = ""
    if rest.strip():
        raise compilation_error(f"syntax error: unexpected '{rest.strip()[:40]}' in CREATE TASK", errno=1003, query=sql)
    return found, after, when


def apply_properties(task: Task, found: dict[str, Property], session: SessionLike, sql: str) -> None:
    check_known(found, _KNOWN, _IGNORED, "task", sql)
    for name, prop in found.items():
        if name == "WAREHOUSE":
            warehouse = prop.value
            if warehouse not in session.account.warehouses:
                raise object_does_not_exist(display(warehouse), query=sql)
            task.warehouse = warehouse
        elif name == "USER_TASK_MANAGED_INITIAL_WAREHOUSE_SIZE":
            size = normalize_size(prop.value)
            if size is None:
                raise compilation_error(f"invalid warehouse size '{prop.value}'", errno=2001, query=sql)
            task.initial_size = size
        elif name == "SCHEDULE":
            task.schedule = parse_schedule(prop.value, sql=sql)
        elif name == "SUSPEND_TASK_AFTER_NUM_FAILURES":
            task.suspend_after_failures = prop.integer(sql)
        elif name == "TASK_AUTO_RETRY_ATTEMPTS":
            attempts = prop.integer(sql)
            if not 0 <= attempts <= 30:
                raise compilation_error("TASK_AUTO_RETRY_ATTEMPTS must be between 0 and 30", errno=2001, query=sql)
            task.auto_retry_attempts = attempts
        elif name == "USER_TASK_TIMEOUT_MS":
            task.timeout_ms = prop.integer(sql)
        elif name == "USER_TASK_MINIMUM_TRIGGER_INTERVAL_IN_SECONDS":
            seconds = prop.integer(sql)
            if not 10 <= seconds <= 604_800:
                raise compilation_error(
                    "USER_TASK_MINIMUM_TRIGGER_INTERVAL_IN_SECONDS must be 10 to 604800", errno=2001, query=sql
                )
            task.min_trigger_interval_ms = seconds * 1000
        elif name == "TARGET_COMPLETION_INTERVAL":
            task.target_completion_interval = prop.value
        elif name == "COMMENT":
            task.comment = prop.value
        elif name == "CONFIG":
            task.config = prop.value
        elif name == "FINALIZE":
            raise NotSupportedError("finalizer tasks (FINALIZE)", query=sql)
        elif name == "OVERLAP_POLICY":
            if prop.value != "NO_OVERLAP":
                raise NotSupportedError(f"OVERLAP_POLICY = {prop.value}", query=sql)
        elif name == "ALLOW_OVERLAPPING_EXECUTION" and prop.boolean(sql):
            raise NotSupportedError("ALLOW_OVERLAPPING_EXECUTION = TRUE", query=sql)


# --- statements -----------------------------------------------------------------------------------


def _create(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = _qualify(session, match["name"], sql)
    clauses, body = split_header_and_body(match["rest"], sql, "CREATE TASK")
    if re.match(r"^\s*CALL\b", body, re.I):
        raise NotSupportedError("CALL (stored procedures) in task bodies", query=sql)
    found, after, when = split_after_and_when(clauses, sql)
    statements = body_statements(body, sql)
    predecessors = [_qualify(session, a, sql) for a in after]
    streams = condition_streams(when, session, sql) if when else []

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        catalog = session.catalog
        schema = catalog.schema(name.database, name.schema)
        if schema is None:
            raise object_does_not_exist(f"{display(name.database)}.{display(name.schema)}", query=sql)
        existing = schema.tasks.get(name.name)
        if existing is not None:
            if match["exists"]:
                return status_result(f"{display(name.name)} already exists, statement succeeded.")
            if not match["replace"]:
                raise object_already_exists(display(name.name), query=sql)
        task = Task(catalog.new_uid(), name, session.account.clock.now(), definition=body, statements=statements,
                    predecessors=predecessors, condition=when, condition_streams=streams)
        apply_properties(task, found, session, sql)
        for predecessor in predecessors:
            parent = session.account.state(TaskScheduler).task(predecessor)
            if parent is None:
                raise object_does_not_exist(str(predecessor), query=sql)
            if parent.name.database != name.database or parent.name.schema != name.schema:
                raise compilation_error(
                    "A task and its predecessors must be in the same schema.", errno=3051, query=sql
                )
        if predecessors and "TASK_AUTO_RETRY_ATTEMPTS" in found:
            raise compilation_error("TASK_AUTO_RETRY_ATTEMPTS can only be set on a root task.", errno=3050, query=sql)
        if task.schedule is not None and predecessors:
            raise compilation_error(
                f"Task {display(name.name)} cannot have both a schedule and predecessors.", errno=3050, query=sql
            )
        if task.warehouse is None and task.triggered and task.target_completion_interval is None:
            raise compilation_error(
                "A serverless triggered task needs TARGET_COMPLETION_INTERVAL.", errno=3052, query=sql
            )
        if existing is not None:
            session.account.state(TaskScheduler).forget(existing)
        schema.tasks[name.name] = task
        return status_result(f"Task {display(name.name)} successfully created.")

    return command_plan(session, run)


def _task_or_error(session: SessionLike, name: QualifiedName, sql: str) -> Task:
    task = session.account.state(TaskScheduler).task(name)
    if task is None:
        raise object_does_not_exist(str(name), query=sql)
    return task


def _alter(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = _qualify(session, match["name"], sql)
    rest = match["rest"]
    words = rest.split()
    verb = " ".join(words[:2]).upper() if words else ""

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        scheduler = session.account.state(TaskScheduler)
        task = scheduler.task(name)
        if task is None:
            if match["exists"]:
                return status_result("Statement executed successfully.")
            raise object_does_not_exist(str(name), query=sql)
        if verb.startswith("RESUME"):
            scheduler.resume(task)
        elif verb.startswith("SUSPEND"):
            scheduler.suspend(task, reason="USER_SUSPENDED")
        elif verb.startswith("SET"):
            found, tail = parse_properties(rest.strip()[3:])
            if tail.strip():
                raise compilation_error(f"syntax error: unexpected '{tail.strip()[:40]}'", errno=1003, query=sql)
            apply_properties(task, found, session, sql)
            if "SCHEDULE" in found and task.state == "started":
                scheduler.suspend(task)
                scheduler.resume(task)  # the next run follows the new schedule
        elif verb.startswith("UNSET"):
            for item in rest.strip()[5:].split(","):
                key = item.strip().upper()
                if key == "COMMENT":
                    task.comment = None
                elif key == "SCHEDULE":
                    task.schedule = None
                else:
                    raise NotSupportedError(f"ALTER TASK UNSET {key}", query=sql)
        elif verb == "MODIFY AS":
            body = rest.strip()[len("MODIFY"):].strip()[2:].strip()
            task.statements = body_statements(body, sql)
            task.definition = body
        elif verb == "MODIFY WHEN":
            condition = rest.strip()[len("MODIFY"):].strip()[4:].strip()
            task.condition = condition
            task.condition_streams = condition_streams(condition, session, sql)
        elif verb == "REMOVE WHEN":
            task.condition, task.condition_streams = None, []
        elif verb in ("ADD AFTER", "REMOVE AFTER"):
            root = scheduler.root_of(task)
            if root.state == "started":
                raise compilation_error(
                    f"Unable to update graph with root task {root.name} since that root task is not suspended.",
                    errno=91089, query=sql,
                )
            names = [_qualify(session, n.strip(), sql) for n in " ".join(words[2:]).split(",") if n.strip()]
            if verb == "ADD AFTER":
                task.predecessors += [n for n in names if n not in task.predecessors]
            else:
                task.predecessors = [p for p in task.predecessors if p not in names]
        else:
            raise NotSupportedError(f"ALTER TASK ... {verb}", query=sql)
        return status_result("Statement executed successfully.")

    return command_plan(session, run)


def _drop(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = _qualify(session, match["name"], sql)

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        task = session.account.state(TaskScheduler).task(name)
        if task is None:
            if match["exists"]:
                return status_result(f"Drop statement executed successfully ({display(name.name)} already dropped).")
            raise object_does_not_exist(str(name), query=sql)
        session.account.state(TaskScheduler).forget(task)
        del session.catalog.schema(name.database, name.schema).tasks[name.name]
        return status_result(f"{display(name.name)} successfully dropped.")

    return command_plan(session, run)


def _execute(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = _qualify(session, match["name"], sql)
    if match["rest"].strip():
        raise NotSupportedError(f"EXECUTE TASK ... {match['rest'].strip()[:30]}", query=sql)

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        task = _task_or_error(session, name, sql)
        if task.predecessors:  # https://docs.snowflake.com/en/sql-reference/sql/execute-task: standalone or root
            # The documentation gives no error code for this refusal; 003030 is the emulator's choice.
            raise compilation_error(
                f"Task {display(name.name)} has predecessors: EXECUTE TASK runs a standalone task or the root "
                "task of a task graph.", errno=3030, query=sql)
        session.account.state(TaskScheduler).execute(task)
        return status_result(f"Task {display(name.name)} is scheduled to run immediately.")

    return command_plan(session, run, ddl=False)


def _dependents_enable(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = _qualify(session, match["name"].replace("''", "'"), sql)

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        scheduler = session.account.state(TaskScheduler)
        root = _task_or_error(session, name, sql)
        pending = [root]
        while pending:
            task = pending.pop()
            if task.state != "started":
                scheduler.resume(task)
            pending += scheduler.children(task)
        return RowsResult([text_column(f"SYSTEM$TASK_DEPENDENTS_ENABLE('{match['name']}')".upper())], [("",)])

    return command_plan(session, run, ddl=False)


# --- SHOW and DESCRIBE ---------------------------------------------------------------------------


def task_rows(session: SessionLike, tasks: list[Task]) -> RowsResult:
    columns = [timestamp_column("created_on"), text_column("name"), text_column("id"), text_column("database_name"),
               text_column("schema_name"), text_column("owner"), text_column("comment"), text_column("warehouse"),
               text_column("schedule"), text_column("predecessors"), text_column("state"), text_column("definition"),
               text_column("condition"), text_column("allow_overlapping_execution"), text_column("error_integration"),
               timestamp_column("last_committed_on"), timestamp_column("last_suspended_on"),
               text_column("owner_role_type"), text_column("config"), text_column("budget"),
               text_column("task_relations"), text_column("last_suspended_reason")]
    rows = []
    for task in tasks:
        predecessors = [str(p) for p in task.predecessors]
        rows.append((
            local_time(session, task.created_on), task.name.name, task.id, task.name.database, task.name.schema,
            task.owner, task.comment or "", task.warehouse, task.schedule.text if task.schedule else None,
            json.dumps(predecessors, indent=2), task.state, task.definition, task.condition, "false", "null",
            local_time(session, task.created_on),
            local_time(session, task.last_suspended_on) if task.last_suspended_on is not None else None,
            "ROLE", task.config, None, json.dumps({"Predecessors": predecessors}), task.last_suspended_reason,
        ))
    return RowsResult(columns, rows)


def show_tasks(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    matches = like_matcher(request.like)
    tasks = sorted(
        (
            t
            for schema in schemas_in_scope(session, request, sql)
            for t in schema.tasks.values()
            if matches(t.name.name)
        ),
        key=lambda t: (t.name.database, t.name.schema, t.name.name),
    )
    return task_rows(session, tasks[: request.limit] if request.limit else tasks)


compile_task_command = text_commands(
    (_CREATE, _create), (_ALTER, _alter), (_DROP, _drop), (_EXECUTE, _execute), (_DEPENDENTS, _dependents_enable),
)
"""The plan for one of these statements, or None if `sql` is not one."""

def describe_task(session: SessionLike, name: QualifiedName, sql: str) -> RowsResult:
    task = session.account.state(TaskScheduler).task(name)
    if task is None:
        raise object_does_not_exist(str(name), query=sql)
    return task_rows(session, [task])


SHOW_HANDLERS = {"TASKS": show_tasks}
DESCRIBE_HANDLERS = {"TASK": describe_task}


# --- INFORMATION_SCHEMA ------------------------------------------------------------------------------


def _task_history_rows(account: AccountLike) -> list[dict[str, Any]]:
    rows = []
    for run in account.state(TaskScheduler).history:
        rows.append({
            "QUERY_ID": run.query_id, "NAME": run.name, "DATABASE_NAME": run.database, "SCHEMA_NAME": run.schema,
            "QUERY_TEXT": run.query_text, "CONDITION_TEXT": run.condition_text, "STATE": run.state,
            "ERROR_CODE": run.error_code, "ERROR_MESSAGE": run.error_message, "SCHEDULED_TIME": run.scheduled_time,
            "QUERY_START_TIME": run.query_start_time, "NEXT_SCHEDULED_TIME": run.next_scheduled_time,
            "COMPLETED_TIME": run.completed_time, "ROOT_TASK_ID": run.root_task_id, "GRAPH_VERSION": 1,
            "RUN_ID": run.run_id, "RETURN_VALUE": None, "SCHEDULED_FROM": run.scheduled_from,
            "ATTEMPT_NUMBER": run.attempt_number, "CONFIG": None, "QUERY_HASH": None, "QUERY_HASH_VERSION": None,
            "QUERY_PARAMETERIZED_HASH": None, "QUERY_PARAMETERIZED_HASH_VERSION": None,
            "GRAPH_RUN_GROUP_ID": run.graph_run_group_id, "BACKFILL_INFO": None, "SPCS_JOB_ID": None,
        })
    return rows


TASK_HISTORY = TableFunction(
    "TASK_HISTORY",
    pa.schema([
        ("QUERY_ID", pa.string()), ("NAME", pa.string()), ("DATABASE_NAME", pa.string()), ("SCHEMA_NAME", pa.string()),
        ("QUERY_TEXT", pa.string()), ("CONDITION_TEXT", pa.string()), ("STATE", pa.string()),
        ("ERROR_CODE", pa.string()), ("ERROR_MESSAGE", pa.string()), ("SCHEDULED_TIME", TIMESTAMP),
        ("QUERY_START_TIME", TIMESTAMP), ("NEXT_SCHEDULED_TIME", TIMESTAMP), ("COMPLETED_TIME", TIMESTAMP),
        ("ROOT_TASK_ID", pa.string()), ("GRAPH_VERSION", pa.int64()), ("RUN_ID", pa.int64()),
        ("RETURN_VALUE", pa.string()), ("SCHEDULED_FROM", pa.string()), ("ATTEMPT_NUMBER", pa.int64()),
        ("CONFIG", pa.string()), ("QUERY_HASH", pa.string()), ("QUERY_HASH_VERSION", pa.int64()),
        ("QUERY_PARAMETERIZED_HASH", pa.string()), ("QUERY_PARAMETERIZED_HASH_VERSION", pa.int64()),
        ("GRAPH_RUN_GROUP_ID", pa.string()), ("BACKFILL_INFO", pa.string()), ("SPCS_JOB_ID", pa.string()),
    ]),
    _task_history_rows,
    [
        Argument("SCHEDULED_TIME_RANGE_START", '"SCHEDULED_TIME" >= ({})'),
        Argument("SCHEDULED_TIME_RANGE_END", '"SCHEDULED_TIME" < ({})'),
        Argument("RESULT_LIMIT", kind="limit"),
        Argument("TASK_NAME", 'UPPER("NAME") = UPPER({})'),
        Argument("ERROR_ONLY", "\"STATE\" IN ('FAILED', 'FAILED_AND_AUTO_SUSPENDED', 'CANCELLED')", kind="flag"),
        Argument("ROOT_TASK_ID", '"ROOT_TASK_ID" = ({})'),
        Argument("DATABASE_NAME", 'UPPER("DATABASE_NAME") = UPPER({})'),
        Argument("SCHEMA_NAME", 'UPPER("SCHEMA_NAME") = UPPER({})'),
    ],
    order_by='"SCHEDULED_TIME" DESC',
    window='"SCHEDULED_TIME" >= {now} - INTERVAL 7 DAY',
)


def _serverless_task_rows(account: AccountLike) -> list[dict[str, Any]]:
    """Serverless task compute by hour, as SERVERLESS_TASK_HISTORY reports it (credits include the 0.9 multiplier)."""
    hour = 3_600_000
    buckets: dict[tuple[Millis, int], dict[str, Any]] = {}
    for usage in account.state(TaskScheduler).serverless_usage:
        bucket = usage.start - usage.start % hour
        row = buckets.setdefault((bucket, usage.task_uid), {
            "START_TIME": bucket, "END_TIME": bucket + hour, "TASK_ID": usage.task_id, "TASK_NAME": usage.name,
            "DATABASE_NAME": usage.database, "SCHEMA_NAME": usage.schema, "CREDITS_USED": 0.0,
        })
        row["CREDITS_USED"] += usage.credits
    return list(buckets.values())


SERVERLESS_TASK_HISTORY = TableFunction(
    "SERVERLESS_TASK_HISTORY",
    pa.schema([("START_TIME", TIMESTAMP), ("END_TIME", TIMESTAMP), ("TASK_ID", pa.string()), ("TASK_NAME", pa.string()),
               ("DATABASE_NAME", pa.string()), ("SCHEMA_NAME", pa.string()), ("CREDITS_USED", pa.float64())]),
    _serverless_task_rows,
    [
        Argument("DATE_RANGE_START", '"END_TIME" > ({})'),
        Argument("DATE_RANGE_END", '"START_TIME" < ({})'),
        Argument("TASK_NAME", 'UPPER("TASK_NAME") = UPPER({})'),
    ],
    order_by='"START_TIME"',
    default_limit=None,
    window='"END_TIME" > {now} - INTERVAL 14 DAY',
)

TABLE_FUNCTIONS = (TASK_HISTORY, SERVERLESS_TASK_HISTORY)
