"""CREATE / DROP / ALTER STREAM, SHOW STREAMS and DESCRIBE STREAM (sqlglot leaves them as raw commands).

https://docs.snowflake.com/en/sql-reference/sql/create-stream and .../show-streams

The other places streams touch, by role: the model, `catalog/objects.py` (Stream, stream_sources);
change sets and staleness, `maintenance/stream_changes.py` and `maintenance/view_changes.py`; a stream in
FROM and the SYSTEM$STREAM_* functions, `compile/resolve.py`; offsets moving at commit,
`session/session.py`; change-log floors, `maintenance/compaction.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from backends.duckdb.catalog.objects import Stream, View, stream_sources
from backends.duckdb.catalog.tracking import enable_tracking
from backends.duckdb.compile.context import SessionLike
from backends.duckdb.compile.plans import Plan, command_plan, text_commands
from backends.duckdb.compile.resolve import Resolver
from backends.duckdb.compile.results import Result, RowsResult, status_result, text_column, timestamp_column
from backends.duckdb.maintenance.refresh import RefreshMode
from backends.duckdb.maintenance.stream_changes import STALE_AFTER_MS
from backends.duckdb.maintenance.view_changes import check_view_supports_changes
from backends.duckdb.metadata.show import ShowRequest, local_time, objects_in_scope
from backends.duckdb.sql.names import OBJECT_NAME_PATTERN, QualifiedName, display, parse_name_parts
from backends.duckdb.sql.properties import option, parse_options
from backends.errors import (
    NotSupportedError,
    compilation_error,
    object_already_exists,
    object_does_not_exist,
)

_NAME = OBJECT_NAME_PATTERN

_CREATE = re.compile(
    rf"""^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?STREAM\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})
        (?:\s+COPY\s+GRANTS)?
        (?:\s+ON\s+(?P<kind>TABLE|VIEW|DYNAMIC\s+TABLE|EXTERNAL\s+TABLE|EVENT\s+TABLE|STAGE)\s+(?P<source>{_NAME})
         |\s+CLONE\s+(?P<clone>{_NAME}))
        (?P<rest>.*?)\s*;?\s*$""",
    re.I | re.X | re.S,
)
_OPTIONS = ("APPEND_ONLY", "INSERT_ONLY", "SHOW_INITIAL_ROWS", "COMMENT")
_DROP = re.compile(rf"^\s*DROP\s+STREAM\s+(?P<exists>IF\s+EXISTS\s+)?(?P<name>{_NAME})\s*;?\s*$", re.I | re.S)
_ALTER_ANY = re.compile(r"^\s*ALTER\s+STREAM\b", re.I)
_ALTER = re.compile(
    rf"^\s*ALTER\s+STREAM\s+(?P<exists>IF\s+EXISTS\s+)?(?P<name>{_NAME})\s+(?P<op>SET|UNSET)\s+COMMENT\s*(?:=\s*'(?P<comment>(?:[^']|'')*)')?\s*;?\s*$",
    re.I | re.S,
)


def create_stream(match: re.Match, sql: str, session: SessionLike) -> Plan:
    if match["clone"]:
        raise NotSupportedError("CREATE STREAM ... CLONE", query=sql)
    kind = " ".join(match["kind"].upper().split())
    if kind not in ("TABLE", "VIEW", "DYNAMIC TABLE"):
        raise NotSupportedError(f"streams ON {kind}", query=sql)
    rest = match["rest"]
    if re.match(r"\s*(AT|BEFORE)\s*\(", rest, re.I):
        raise NotSupportedError("CREATE STREAM ... AT | BEFORE (time travel)", query=sql)
    options = parse_options(rest, sql)
    for key, value in options.items():
        if key not in _OPTIONS or (key != "COMMENT" and value.value not in ("TRUE", "FALSE")):
            raise compilation_error(f"syntax error: unexpected '{key} = {value.value}'", errno=1003, query=sql)
    append_only = option(options, "APPEND_ONLY", "FALSE") == "TRUE"
    if option(options, "INSERT_ONLY", "FALSE") == "TRUE":
        raise NotSupportedError("INSERT_ONLY streams (external tables)", query=sql)
    show_initial = option(options, "SHOW_INITIAL_ROWS", "FALSE") == "TRUE"
    comment = options["COMMENT"].value if "COMMENT" in options else None
    resolver = Resolver(session.catalog, session.context, sql)
    name = resolver.qualify(parse_name_parts(match["name"]), action="CREATE STREAM")
    source_name = resolver.qualify(parse_name_parts(match["source"]), action="CREATE STREAM")
    replace, if_not_exists = bool(match["replace"]), bool(match["exists"])

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        catalog = session.catalog
        existing = catalog.get(name)
        if existing is not None:
            if if_not_exists:
                return status_result(f"{display(name.name)} already exists, statement succeeded.")
            if not replace or not isinstance(existing, Stream):
                raise object_already_exists(display(name.name), query=sql)
        source = catalog.get(source_name)
        if source is None:
            raise object_does_not_exist(str(source_name), query=sql)
        if source.kind != kind:
            raise compilation_error(
                f"Object '{source_name}' is a {source.kind.lower()}; use CREATE STREAM ... ON {source.kind}.",
                errno=2203, query=sql,
            )
        if kind == "DYNAMIC TABLE":
            if append_only:
                raise compilation_error(
                    "Streams on dynamic tables must be standard streams (APPEND_ONLY is not allowed).",
                    errno=2203,
                    query=sql,
                )
            if source.refresh_mode != RefreshMode.INCREMENTAL:
                raise compilation_error(f"Dynamic table '{source_name}' must use incremental refresh to have a stream.",
                                        errno=2203, query=sql)
        if isinstance(source, View):
            check_view_supports_changes(source, query=sql)
            source.change_tracking = True
        stream = Stream(
            catalog.new_uid(), name, session.account.clock.now(), comment, source=source,
            source_kind={"TABLE": "Table", "VIEW": "View", "DYNAMIC TABLE": "Dynamic Table"}[kind],
            mode="APPEND_ONLY" if append_only else "DEFAULT", show_initial_rows=show_initial,
        )
        for table in stream_sources(stream):
            enable_tracking(session.duck, session.catalog, table, session.account.clock.now())
        stream.offset = None if show_initial else session.account.committed_csn
        stream.stale_from = session.account.clock.now()
        if existing is not None:
            catalog.remove(existing)
        catalog.put(stream)
        return status_result(f"Stream {display(name.name)} successfully created.")

    return command_plan(session, run)


def drop_stream(match: re.Match, sql: str, session: SessionLike) -> Plan:
    name = Resolver(session.catalog, session.context, sql).qualify(
        parse_name_parts(match["name"]), action="DROP STREAM"
    )
    if_exists = bool(match["exists"])

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        stream = session.catalog.get(name)
        if not isinstance(stream, Stream):
            if if_exists and stream is None:
                return status_result(f"Drop statement executed successfully ({display(name.name)} already dropped).")
            raise object_does_not_exist(display(name.name), query=sql)
        session.catalog.remove(stream)
        return status_result(f"{display(name.name)} successfully dropped.")

    return command_plan(session, run)


def alter_stream(_statement: re.Match, sql: str, session: SessionLike) -> Plan:
    match = _ALTER.match(sql)
    if match is None:
        raise NotSupportedError("this ALTER STREAM form (only SET / UNSET COMMENT)", query=sql)
    name = Resolver(session.catalog, session.context, sql).qualify(
        parse_name_parts(match["name"]), action="ALTER STREAM"
    )

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        stream = session.catalog.get(name)
        if not isinstance(stream, Stream):
            if match["exists"]:
                return status_result("Statement executed successfully.")
            raise object_does_not_exist(display(name.name), query=sql)
        stream.comment = match["comment"].replace("''", "'") if match["op"].upper() == "SET" else None
        return status_result("Statement executed successfully.")

    return command_plan(session, run)


def stream_rows(session: SessionLike, streams: list[Stream], *, terse: bool = False) -> RowsResult:
    """SHOW STREAMS / DESCRIBE STREAM rows (columns as in section 1.8 of the semantics)."""
    if terse:
        columns = [timestamp_column("created_on"), text_column("name"), text_column("kind"),
                   text_column("database_name"), text_column("schema_name"), text_column("tableOn")]
        return RowsResult(
            columns,
            [
                (
                    local_time(session, s.created_on),
                    s.name.name,
                    "DELTA",
                    s.name.database,
                    s.name.schema,
                    str(s.source.name),
                )
                for s in streams
            ],
        )
    columns = [timestamp_column("created_on"), text_column("name"), text_column("database_name"),
               text_column("schema_name"), text_column("owner"), text_column("comment"), text_column("table_name"),
               text_column("source_type"), text_column("base_tables"), text_column("type"), text_column("stale"),
               text_column("mode"), timestamp_column("stale_after"), text_column("invalid_reason"),
               text_column("owner_role_type")]
    now = session.account.clock.now()
    rows = []
    for s in streams:
        stale_after = s.stale_from + STALE_AFTER_MS
        stale = bool(s.stale_reason) or now > stale_after
        rows.append((
            local_time(session, s.created_on), s.name.name, s.name.database, s.name.schema, s.owner, s.comment or "",
            str(s.source.name), s.source_kind, ", ".join(str(t.name) for t in stream_sources(s)), "DELTA",
            "true" if stale else "false", s.mode, local_time(session, stale_after), "N/A", "ROLE",
        ))
    return RowsResult(columns, rows)


def show_streams(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    return stream_rows(session, objects_in_scope(session, request, sql, Stream), terse=request.terse)


def describe_stream(session: SessionLike, name: QualifiedName, sql: str) -> RowsResult:
    stream = session.catalog.get(name)
    if not isinstance(stream, Stream):
        raise object_does_not_exist(str(name), query=sql)
    return stream_rows(session, [stream])


compile_stream_command = text_commands((_CREATE, create_stream), (_DROP, drop_stream), (_ALTER_ANY, alter_stream))
"""The plan for a stream statement, or None if `sql` is not one."""

SHOW_HANDLERS = {"STREAMS": show_streams}
DESCRIBE_HANDLERS = {"STREAM": describe_stream}
