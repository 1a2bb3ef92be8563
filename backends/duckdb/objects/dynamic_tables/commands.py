"""CREATE / ALTER / DROP DYNAMIC TABLE, SHOW DYNAMIC TABLES. https://docs.snowflake.com/en/sql-reference/sql/create-dynamic-table"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from sqlglot import exp

from backends.duckdb.catalog.objects import Column, base_tables
from backends.duckdb.catalog.tracking import CSN, KIND, ROW_ID, SEQ, Tracking, drop_table_sql, enable_tracking
from backends.duckdb.compile.context import AccountLike, SessionLike
from backends.duckdb.compile.plans import Plan, command_plan, text_commands
from backends.duckdb.compile.queries import compile_query, name_unaliased_projections
from backends.duckdb.compile.resolve import Resolver, tag_relations
from backends.duckdb.compile.results import (
    Result,
    RowsResult,
    number_column,
    status_result,
    text_column,
    timestamp_column,
)
from backends.duckdb.compile.table_functions import TIMESTAMP, Argument, TableFunction
from backends.duckdb.maintenance.incremental import RequestedMode, plan_maintenance
from backends.duckdb.maintenance.ivm import KEY, NotIncremental
from backends.duckdb.maintenance.refresh import DynamicTable
from backends.duckdb.metadata.show import ShowRequest, like_matcher, local_time, schemas_in_scope
from backends.duckdb.objects.dynamic_tables.scheduler import MIN_TARGET_LAG_MS, DynamicTableScheduler
from backends.duckdb.sql import translate
from backends.duckdb.sql.engine_errors import run_in_transaction
from backends.duckdb.sql.names import (
    OBJECT_NAME_PATTERN,
    check_column_name,
    display,
    normalize,
    parse_name_parts,
    quote,
    sql_string,
)
from backends.duckdb.sql.properties import check_known, parse_properties
from backends.duckdb.sql.scripts import split_header_and_body
from backends.duckdb.sql.types import snowflake_type
from backends.errors import (
    NotSupportedError,
    compilation_error,
    object_already_exists,
    object_does_not_exist,
)

_NAME = OBJECT_NAME_PATTERN
_CREATE = re.compile(
    rf"^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:TRANSIENT\s+)?DYNAMIC\s+TABLE\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{_NAME})\s*(?P<columns>\((?:[^()']|'[^']*')*\))?(?P<rest>.*)$",
    re.I | re.S,
)
_ALTER = re.compile(rf"^\s*ALTER\s+DYNAMIC\s+TABLE\s+(?P<exists>IF\s+EXISTS\s+)?"
                    rf"(?P<names>{_NAME}(?:\s*,\s*{_NAME})*)\s+(?P<rest>.*?)\s*;?\s*$", re.I | re.S)
_DROP = re.compile(rf"^\s*DROP\s+DYNAMIC\s+TABLE\s+(?P<exists>IF\s+EXISTS\s+)?(?P<name>{_NAME})\s*;?\s*$", re.I | re.S)
_LAG = re.compile(r"^\s*(\d+)\s*(seconds?|minutes?|hours?|days?)\s*$", re.I)
_LAG_UNITS = {"second": 1_000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}

_KNOWN = {"TARGET_LAG", "WAREHOUSE", "REFRESH_MODE", "INITIALIZE", "COMMENT", "SCHEDULER"}
#: Accepted: retention and clustering do not change what a refresh computes.
_IGNORED = {"DATA_RETENTION_TIME_IN_DAYS", "MAX_DATA_EXTENSION_TIME_IN_DAYS", "INITIALIZATION_WAREHOUSE"}


def parse_lag(text: str, sql: str) -> tuple[int | None, str]:
    """TARGET_LAG as milliseconds (None for DOWNSTREAM) and as SHOW prints it."""
    if text.upper() == "DOWNSTREAM":
        return None, "DOWNSTREAM"
    match = _LAG.match(text)
    if match is None:
        raise compilation_error(f"invalid TARGET_LAG '{text}': expected '<n> seconds|minutes|hours|days' or DOWNSTREAM",
                                errno=2001, query=sql)
    unit = match.group(2).lower().rstrip("s")
    ms = int(match.group(1)) * _LAG_UNITS[unit]
    if ms < MIN_TARGET_LAG_MS:
        raise compilation_error(f"Target lag must be at least 1 minute, got '{text}'.", errno=2001, query=sql)
    return ms, text


def _create(match: re.Match, sql: str, session: SessionLike) -> Plan:
    resolver = Resolver(session.catalog, session.context, sql)
    name = resolver.qualify(parse_name_parts(match["name"]), action="CREATE DYNAMIC TABLE")
    clauses, body = split_header_and_body(match["rest"], sql, "CREATE DYNAMIC TABLE")
    found, rest = parse_properties(clauses)
    if rest.strip():
        raise NotSupportedError(f"CREATE DYNAMIC TABLE with '{rest.strip()[:40]}'", query=sql)
    check_known(found, _KNOWN, _IGNORED, "dynamic table", sql)
    scheduler = found["SCHEDULER"].value.upper() if "SCHEDULER" in found else "ENABLE"
    if scheduler not in ("ENABLE", "DISABLE"):
        raise compilation_error(f"invalid SCHEDULER '{scheduler}': expected ENABLE or DISABLE", errno=2001, query=sql)
    if scheduler == "DISABLE" and "TARGET_LAG" in found:
        raise compilation_error("TARGET_LAG cannot be set when SCHEDULER = DISABLE.", errno=2001, query=sql)
    missing = [
        p for p in ("TARGET_LAG", "WAREHOUSE") if p not in found and not (p == "TARGET_LAG" and scheduler == "DISABLE")
    ]
    if missing:
        raise compilation_error(
            f"Missing option(s): {missing[0]} must be set for dynamic table '{display(name.name)}'.",
            errno=1003,
            query=sql,
        )
    lag_ms, lag_text = parse_lag(found["TARGET_LAG"].value, sql) if scheduler == "ENABLE" else (None, None)
    warehouse = found["WAREHOUSE"].value
    mode = found["REFRESH_MODE"].value.upper() if "REFRESH_MODE" in found else RequestedMode.AUTO
    initialize = found["INITIALIZE"].value.upper() if "INITIALIZE" in found else "ON_CREATE"
    if mode not in RequestedMode.__members__:
        raise NotSupportedError(f"REFRESH_MODE = {mode}", query=sql)
    requested_mode = RequestedMode(mode)
    if initialize not in ("ON_CREATE", "ON_SCHEDULE"):
        raise compilation_error(
            f"invalid INITIALIZE '{initialize}': expected ON_CREATE or ON_SCHEDULE", errno=2001, query=sql
        )
    query = translate.normalize(translate.parse(body))
    if not isinstance(query, exp.Query):
        raise compilation_error("a dynamic table is defined AS a query", errno=1003, query=sql)
    tagged = query.copy()
    tag_relations(tagged, resolver)
    name_unaliased_projections(tagged, body)
    compiled = compile_query(query, body, session)
    if compiled.bindings.streams or compiled.bindings.functions or compiled.steps[0].template.slots:
        raise NotSupportedError("a dynamic table reading streams, table functions or binds", query=sql)
    sources = base_tables(tagged)
    upstreams = [s for s in sources if isinstance(s, DynamicTable)]
    for upstream in upstreams:
        if lag_ms is not None and upstream.target_lag_ms is not None and upstream.target_lag_ms > lag_ms:
            raise compilation_error(
                f"Dynamic table '{display(name.name)}' has a target lag shorter than that of its upstream dynamic "
                f"table '{upstream.name}' ({upstream.target_lag_text}).", errno=2001, query=sql,
            )
    renamed = _column_names(match["columns"])
    duck_query = compiled.steps[0].template.text
    replace, if_not_exists = bool(match["replace"]), bool(match["exists"])

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        account, catalog = session.account, session.catalog
        refreshes = account.state(DynamicTableScheduler)
        if warehouse not in account.warehouses:
            raise object_does_not_exist(display(warehouse), query=sql)
        existing = catalog.get(name)
        if existing is not None:
            if if_not_exists:
                return status_result(f"{display(name.name)} already exists, statement succeeded.")
            if not replace:
                raise object_already_exists(display(name.name), query=sql)
            if not isinstance(existing, DynamicTable):
                raise compilation_error(f"Object '{name}' already exists as {existing.kind}", errno=2002, query=sql)
        types = [(n, t) for n, t, _ in _describe(session, duck_query)]
        columns = [Column(check_column_name(n, sql), snowflake_type(t)) for n, t in types]
        if renamed:
            if len(renamed) != len(columns):
                raise compilation_error(
                    f"The column list has {len(renamed)} names but the query returns {len(columns)} columns.",
                    errno=2026,
                    query=sql,
                )
            for column, new in zip(columns, renamed, strict=True):
                column.name = check_column_name(new, sql)
            types = [(new, t) for new, (_, t) in zip(renamed, types, strict=True)]
        names = [c.name for c in columns]
        try:
            maintenance, reason = plan_maintenance(tagged, names, duck_query, requested_mode)
        except NotIncremental as error:
            raise compilation_error(f"Dynamic table '{display(name.name)}' cannot be incrementally refreshed: "
                                    f"{error.reason}", errno=2001, query=sql) from None
        for source in sources:
            if source.tracking is None:
                enable_tracking(session.duck, session.catalog, source, session.account.clock.now())
        uid = catalog.new_uid()
        dt = DynamicTable(uid, name, account.clock.now(), found["COMMENT"].value if "COMMENT" in found else None,
                          columns=columns, text=sql, query=tagged, target_lag_ms=lag_ms, target_lag_text=lag_text,
                          warehouse=warehouse, refresh_mode=maintenance.mode, refresh_mode_reason=reason,
                          initialize=initialize, maintenance=maintenance, upstreams=upstreams, sources=sources,
                          scheduler_enabled=scheduler == "ENABLE")
        statements = ([*drop_table_sql(existing)] if isinstance(existing, DynamicTable) else []) + storage_sql(
            dt, types
        )
        run_in_transaction(session.duck, statements)
        if isinstance(existing, DynamicTable):
            refreshes.forget(existing)
            session.catalog.mark_streams_stale(existing, f"its source dynamic table {existing.name} was replaced")
            catalog.remove(existing)
        catalog.put(dt)
        if initialize == "ON_CREATE":
            if not refreshes.refresh(dt, account.clock.now(), "CREATION"):
                failure = refreshes.history[-1]
                run_in_transaction(session.duck, drop_table_sql(dt))
                catalog.remove(dt)
                raise compilation_error(
                    f"Dynamic table '{display(name.name)}' could not be initialized: {failure.state_message}",
                    errno=2001,
                    query=sql,
                )
        refreshes.start(dt)
        return status_result(f"Dynamic table {display(name.name)} successfully created.")

    return command_plan(session, run)


def storage_sql(dt: DynamicTable, types: list[tuple[str, str]]) -> list[str]:
    """Tracked storage with a hidden key: rows table, view hiding the bookkeeping columns, change log."""
    name = dt.name
    dt.tracking = Tracking(rows=name.internal("rows", dt.uid), changes=name.internal("changes", dt.uid),
                           sequence=name.internal("rid", dt.uid))
    columns = ", ".join(f"{quote(n)} {t}" for n, t in types)
    return [
        f"CREATE SEQUENCE {dt.tracking.sequence}",
        f"CREATE TABLE {dt.tracking.rows} ({columns}, {quote(KEY)} VARCHAR, "
        f"{quote(ROW_ID)} BIGINT DEFAULT nextval({sql_string(dt.tracking.sequence)}))",
        f"CREATE VIEW {name.duck} AS SELECT * EXCLUDE ({quote(KEY)}, {quote(ROW_ID)}) FROM {dt.tracking.rows}",
        f"CREATE TABLE {dt.tracking.changes} ({CSN} BIGINT, {SEQ} BIGINT, {KIND} UTINYINT, {quote(ROW_ID)} BIGINT, "
        f"{columns}, {quote(KEY)} VARCHAR)",
    ]


def _describe(session: SessionLike, sql: str) -> list[tuple[str, str, bool]]:
    rows = session.duck.execute(f"DESCRIBE {sql}").fetchall()
    return [(r[0], r[1], r[2] == "YES") for r in rows]


def _column_names(text: str | None) -> list[str]:
    if not text:
        return []
    names = []
    for item in re.split(r",(?![^']*'\s*\))", text.strip()[1:-1]):
        words = item.strip().split()
        if words:
            names.append(words[0][1:-1] if words[0].startswith('"') else normalize(words[0]))
    return names


def _alter(match: re.Match, sql: str, session: SessionLike) -> Plan:
    resolver = Resolver(session.catalog, session.context, sql)
    names = [
        resolver.qualify(parse_name_parts(n.strip()), action="ALTER DYNAMIC TABLE") for n in match["names"].split(",")
    ]
    rest = match["rest"]
    verb = rest.split()[0].upper() if rest.split() else ""
    if len(names) > 1 and verb != "REFRESH":
        raise compilation_error("Only REFRESH takes several dynamic tables.", errno=1003, query=sql)

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        account = session.account
        tables = []
        for name in names:
            dt = session.catalog.get(name)
            if not isinstance(dt, DynamicTable):
                if match["exists"] and dt is None:
                    return status_result("Statement executed successfully.")
                raise object_does_not_exist(str(name), query=sql)
            tables.append(dt)
        scheduler = account.state(DynamicTableScheduler)
        if verb == "REFRESH":
            now = account.clock.now()
            for dt in tables:
                if not scheduler.refresh(dt, now, "MANUAL"):
                    failure = next(r for r in reversed(scheduler.history) if r.table is dt)
                    raise compilation_error(f"Dynamic table '{dt.name}' refresh failed: {failure.state_message}",
                                            errno=91000, query=sql)
            return _refresh_result(scheduler, tables)
        dt = tables[0]
        if verb == "SUSPEND":
            scheduler.suspend(dt, "USER_SUSPENDED")
        elif verb == "RESUME":
            scheduler.resume(dt)
        elif verb == "SET":
            found, tail = parse_properties(rest.strip()[3:])
            if tail.strip():
                raise compilation_error(f"syntax error: unexpected '{tail.strip()[:40]}'", errno=1003, query=sql)
            check_known(found, {"TARGET_LAG", "WAREHOUSE", "COMMENT"}, _IGNORED, "dynamic table", sql)
            if "TARGET_LAG" in found:  # also re-enables a disabled scheduler
                dt.target_lag_ms, dt.target_lag_text = parse_lag(found["TARGET_LAG"].value, sql)
                dt.scheduler_enabled = True
                scheduler.start(dt)
            if "WAREHOUSE" in found:
                if found["WAREHOUSE"].value not in account.warehouses:
                    raise object_does_not_exist(display(found["WAREHOUSE"].value), query=sql)
                dt.warehouse = found["WAREHOUSE"].value
            if "COMMENT" in found:
                dt.comment = found["COMMENT"].value
        else:
            raise NotSupportedError(f"ALTER DYNAMIC TABLE ... {verb}", query=sql)
        return status_result("Statement executed successfully.")

    return command_plan(session, run, ddl=verb != "REFRESH")


def _refresh_result(scheduler: Any, tables: list[DynamicTable]) -> RowsResult:
    import json

    rows = []
    for dt in tables:
        last = next(r for r in reversed(scheduler.history) if r.table is dt)
        rows.append((json.dumps({"action": last.refresh_action, "statistics": last.statistics or {}}, indent=2),))
    return RowsResult([text_column("status")], rows)


def _drop(match: re.Match, sql: str, session: SessionLike) -> Plan:
    resolver = Resolver(session.catalog, session.context, sql)
    name = resolver.qualify(parse_name_parts(match["name"]), action="DROP DYNAMIC TABLE")

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        dt = session.catalog.get(name)
        if not isinstance(dt, DynamicTable):
            if match["exists"] and dt is None:
                return status_result(f"Drop statement executed successfully ({display(name.name)} already dropped).")
            raise object_does_not_exist(str(name), query=sql)
        session.account.state(DynamicTableScheduler).forget(dt)
        run_in_transaction(session.duck, drop_table_sql(dt))
        session.catalog.mark_streams_stale(dt, f"its source dynamic table {dt.name} was dropped")
        session.catalog.remove(dt)
        return status_result(f"{display(name.name)} successfully dropped.")

    return command_plan(session, run)


def show_dynamic_tables(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    matches = like_matcher(request.like)
    tables = sorted(
        (o for schema in schemas_in_scope(session, request, sql) for o in schema.objects.values()
         if isinstance(o, DynamicTable) and matches(o.name.name)),
        key=lambda t: (t.name.database, t.name.schema, t.name.name),
    )
    columns = [timestamp_column("created_on"), text_column("name"), text_column("reserved"),
               text_column("database_name"), text_column("schema_name"), text_column("cluster_by"),
               number_column("rows"), number_column("bytes"), text_column("owner"), text_column("target_lag"),
               text_column("refresh_mode"), text_column("refresh_mode_reason"), text_column("warehouse"),
               text_column("comment"), text_column("text"), text_column("automatic_clustering"),
               text_column("scheduling_state"), timestamp_column("last_suspended_on"), text_column("is_clone"),
               text_column("is_replica"), text_column("is_iceberg"), timestamp_column("data_timestamp"),
               text_column("owner_role_type")]
    rows = []
    for dt in tables[: request.limit] if request.limit else tables:
        count = session.duck.execute(f"SELECT count(*) FROM {dt.tracking.rows}").fetchall()[0][0]
        rows.append((
            local_time(session, dt.created_on), dt.name.name, "", dt.name.database, dt.name.schema, "", count, None,
            dt.owner, dt.target_lag_text, dt.refresh_mode, dt.refresh_mode_reason, dt.warehouse, dt.comment or "",
            dt.text, "OFF", "RUNNING" if dt.scheduling_state == "ACTIVE" else "SUSPENDED",
            local_time(session, dt.last_suspended_on) if dt.last_suspended_on else None, "false", "false", "false",
            local_time(session, dt.data_timestamp) if dt.data_timestamp is not None else None, "ROLE",
        ))
    return RowsResult(columns, rows)


compile_dynamic_table_command = text_commands((_CREATE, _create), (_ALTER, _alter), (_DROP, _drop))
"""The plan for one of these statements, or None if `sql` is not one."""

SHOW_HANDLERS = {"DYNAMIC TABLES": show_dynamic_tables}


def _refresh_rows(account: AccountLike) -> list[dict[str, Any]]:
    return [refresh.row() for refresh in account.state(DynamicTableScheduler).history]


DYNAMIC_TABLE_REFRESH_HISTORY = TableFunction(
    "DYNAMIC_TABLE_REFRESH_HISTORY",
    pa.schema([
        ("NAME", pa.string()), ("SCHEMA_NAME", pa.string()), ("DATABASE_NAME", pa.string()), ("STATE", pa.string()),
        ("STATE_CODE", pa.string()), ("STATE_MESSAGE", pa.string()), ("QUERY_ID", pa.string()),
        ("DATA_TIMESTAMP", TIMESTAMP), ("REFRESH_START_TIME", TIMESTAMP), ("REFRESH_END_TIME", TIMESTAMP),
        ("COMPLETION_TARGET", TIMESTAMP), ("QUALIFIED_NAME", pa.string()), ("LAST_COMPLETED_DEPENDENCY", pa.string()),
        ("STATISTICS", pa.string()), ("REFRESH_ACTION", pa.string()), ("REINIT_REASON", pa.string()),
        ("REFRESH_TRIGGER", pa.string()), ("TARGET_LAG_SEC", pa.int64()), ("GRAPH_HISTORY_VALID_FROM", TIMESTAMP),
        ("INPUTS_WITH_CHANGED_DATA", pa.string()),
    ]),
    _refresh_rows,
    [
        Argument("DATA_TIMESTAMP_START", '"DATA_TIMESTAMP" >= ({})'),
        Argument("DATA_TIMESTAMP_END", '"DATA_TIMESTAMP" < ({})'),
        Argument("RESULT_LIMIT", kind="limit"),
        Argument("NAME", '(UPPER("NAME") = UPPER({0}) OR UPPER("QUALIFIED_NAME") = UPPER({0}))'),
        Argument("NAME_PREFIX", 'STARTS_WITH(UPPER("QUALIFIED_NAME"), UPPER({}))'),
        Argument("ERROR_ONLY", "\"STATE\" IN ('FAILED', 'UPSTREAM_FAILED', 'CANCELLED')", kind="flag"),
    ],
    order_by='"DATA_TIMESTAMP" DESC',
    window='"DATA_TIMESTAMP" >= {now} - INTERVAL 7 DAY',
    variant_columns=["STATISTICS", "LAST_COMPLETED_DEPENDENCY", "INPUTS_WITH_CHANGED_DATA"],
)

TABLE_FUNCTIONS = (DYNAMIC_TABLE_REFRESH_HISTORY,)
