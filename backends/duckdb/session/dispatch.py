"""Compile one Snowflake statement into a plan: the one table of statement kinds.

Statements sqlglot cannot parse faithfully are recognised from their text first, in order (the first
recogniser that matches plans the statement); the rest are parsed and dispatched by syntax-tree node
and, for CREATE, DROP and ALTER, by object kind. SHOW and DESCRIBE find their handler by object kind
in tables merged from every object module, the way sqlglot dialects extend their parser tables.
Queries and DML compile to SQL plans (compile/queries.py, compile/dml.py); everything else is a
command of an object module (objects/) or of the session (session/commands.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlglot import exp

from backends.duckdb.compile import dml, table_functions
from backends.duckdb.compile.context import SessionLike
from backends.duckdb.compile.plans import Plan, command_plan
from backends.duckdb.compile.queries import compile_query
from backends.duckdb.metadata import information_schema, show
from backends.duckdb.objects import pipes, sequences, streams, tables, warehouses
from backends.duckdb.objects.dynamic_tables import commands as dynamic_tables
from backends.duckdb.objects.tasks import commands as tasks
from backends.duckdb.session import commands as session_commands
from backends.duckdb.sql import translate
from backends.duckdb.sql.scripts import without_comments
from backends.errors import NotSupportedError, compilation_error

_START_TRANSACTION = re.compile(r"^\s*START\s+TRANSACTION\b", re.I)


def merged(*tables: Mapping[str, Any]) -> dict[str, Any]:
    """One table from several; a kind registered twice is a programming error, not a silent override."""
    found: dict[str, Any] = {}
    for table in tables:
        twice = found.keys() & table.keys()
        if twice:
            raise ValueError(f"registered twice: {', '.join(sorted(twice))}")
        found.update(table)
    return found


#: SHOW <kind> and DESCRIBE <kind>, by object kind.
SHOW = merged(show.SHOW_HANDLERS, streams.SHOW_HANDLERS, tasks.SHOW_HANDLERS, dynamic_tables.SHOW_HANDLERS,
              warehouses.SHOW_HANDLERS, session_commands.SHOW_HANDLERS, sequences.SHOW_HANDLERS,
              pipes.SHOW_HANDLERS)
DESCRIBE = merged(show.DESCRIBE_HANDLERS, streams.DESCRIBE_HANDLERS, tasks.DESCRIBE_HANDLERS,
                  sequences.DESCRIBE_HANDLERS)
#: TABLE(INFORMATION_SCHEMA.<function>(...)), declared by the modules whose state each reads.
table_functions.register(*information_schema.TABLE_FUNCTIONS, *tasks.TABLE_FUNCTIONS, *dynamic_tables.TABLE_FUNCTIONS,
                         *pipes.TABLE_FUNCTIONS)
table_functions.register_views(*information_schema.VIEWS, pipes.LOAD_HISTORY)


#: What CREATE can make on Snowflake (https://docs.snowflake.com/en/sql-reference/sql/create): one of these
#: the emulator lacks is refused by name; any other word (DuckDB's MACRO, TYPE ...) is a syntax error there.
SNOWFLAKE_CREATE_KINDS = frozenset("""
    ACCOUNT AGGREGATION ALERT API APPLICATION AUTHENTICATION CATALOG COMPUTE CONNECTION CONTACT CORTEX DATA
    DATABASE DATASET DBT DYNAMIC EVENT EXTERNAL FAILOVER FILE FUNCTION GIT HYBRID ICEBERG IMAGE INDEX JOIN
    LISTING MASKING MATERIALIZED MODEL NETWORK NOTEBOOK NOTIFICATION ORGANIZATION PACKAGES PASSWORD PIPE PRIVACY
    PROCEDURE PROJECTION REPLICATION RESOURCE ROLE ROW SCHEMA SECRET SECURITY SEMANTIC SEQUENCE SERVICE SESSION
    SHARE SNAPSHOT STAGE STORAGE STREAM STREAMLIT TABLE TAG TASK USER VIEW WAREHOUSE
""".split())
_CREATE_MODIFIERS = frozenset(
    "OR REPLACE ALTER TEMPORARY TEMP TRANSIENT VOLATILE LOCAL GLOBAL SECURE RECURSIVE".split()
)


def unknown_create_kind(sql: str) -> tuple[int, str] | None:
    """(position, word) of the object kind of a CREATE that Snowflake has no such kind of, else None."""
    words = list(re.finditer(r"[A-Za-z_]+", sql))
    if not words or words[0].group().upper() != "CREATE":
        return None
    for match in words[1:]:
        word = match.group().upper()
        if word not in _CREATE_MODIFIERS:
            return None if word in SNOWFLAKE_CREATE_KINDS else (match.start(), match.group())
    return None


def compile_statement(sql: str, session: SessionLike) -> Plan:
    """The plan for one statement, compiled against the session's catalog and context."""
    bare = without_comments(sql)
    for compile_text in _COMMANDS_WITHOUT_COMMENTS:
        plan = compile_text(bare, session)
        if plan is not None:
            return plan
    for compile_text in _COMMANDS_WITH_BODIES:
        plan = compile_text(sql, session)
        if plan is not None:
            return plan
    ast = translate.parse(dml.merge_by_name_placeholders(sql) if "BY NAME" in sql.upper() else sql)
    if isinstance(ast, exp.Command):
        unknown = unknown_create_kind(sql)
        if unknown is not None:
            raise compilation_error(
                f"syntax error line 1 at position {unknown[0]} unexpected '{unknown[1]}'.", errno=1003, query=sql
            )
        words = " ".join(sql.split()[:3]).upper()
        raise NotSupportedError(f"the statement '{words} ...'", query=sql)
    ast = translate.normalize(ast)
    handler = _HANDLERS.get(type(ast))
    if handler is None:
        if isinstance(ast, exp.Query):
            return compile_query(ast, sql, session)
        raise NotSupportedError(f"the statement {ast.key.upper()}", query=sql)
    return handler(ast, sql, session)


def _start_transaction(sql: str, session: SessionLike) -> Plan | None:
    return session_commands.begin(session, sql) if _START_TRANSACTION.match(sql) else None


def _show_or_describe(sql: str, session: SessionLike) -> Plan | None:
    head = sql.lstrip()[:4].upper()
    if head == "SHOW":
        request = show.parse_show(sql)
        lister = SHOW.get(request.kind)
        if lister is None:
            raise NotSupportedError(f"SHOW {request.kind}", query=sql)
        return command_plan(session, lambda s, _params: lister(s, request, sql), ddl=False)
    if head == "DESC":
        kind, name = show.parse_describe(sql, session)
        describer = DESCRIBE[kind]
        return command_plan(session, lambda s, _params: describer(s, name, sql), ddl=False)
    return None


def _by_object_kind(verb: str, handlers: Mapping[str, Callable[[Any, str, SessionLike], Plan]]):
    """CREATE, DROP or ALTER: the handler for the object kind the statement names."""

    def compile_kind(ast: exp.Expression, sql: str, session: SessionLike) -> Plan:
        kind = (ast.args.get("kind") or "").upper()
        handler = handlers.get(kind)
        if handler is None:
            raise NotSupportedError(f"{verb} {kind}", query=sql)
        return handler(ast, sql, session)

    return compile_kind


#: Statements sqlglot cannot parse faithfully, recognised from their text before it tries (in order): first those
#: read without their comments, then those that keep a body as written (a task's, a dynamic table's, a pipe's).
_COMMANDS_WITHOUT_COMMENTS = (
    _start_transaction,
    session_commands.compile_wait,
    session_commands.compile_variable_command,
    _show_or_describe,
    warehouses.compile_warehouse_command,
    streams.compile_stream_command,
    tables.compile_table_command,
)
_COMMANDS_WITH_BODIES = (
    tasks.compile_task_command,
    dynamic_tables.compile_dynamic_table_command,
    pipes.compile_pipe_command,
)

_HANDLERS = {
    exp.Select: compile_query,
    exp.Union: compile_query,
    exp.Intersect: compile_query,
    exp.Except: compile_query,
    exp.Subquery: compile_query,
    exp.Insert: dml.compile_insert,
    exp.Update: dml.compile_update,
    exp.Delete: dml.compile_delete,
    exp.Merge: dml.compile_merge,
    exp.TruncateTable: dml.compile_truncate,
    exp.Create: _by_object_kind("CREATE", merged({
        "DATABASE": tables.create_database, "SCHEMA": tables.create_schema, "TABLE": tables.create_table,
        "VIEW": tables.create_view,
    }, sequences.CREATE_HANDLERS)),
    exp.Drop: _by_object_kind("DROP", merged({
        "DATABASE": tables.drop_database, "SCHEMA": tables.drop_schema, "TABLE": tables.drop_relation,
        "VIEW": tables.drop_relation,
    }, sequences.DROP_HANDLERS)),
    exp.Alter: _by_object_kind("ALTER", {"TABLE": tables.alter_table, "SESSION": session_commands.alter_session}),
    exp.Comment: tables.comment_on,
    exp.Use: session_commands.compile_use,
    exp.Transaction: session_commands.compile_transaction,
    exp.Commit: session_commands.compile_transaction,
    exp.Rollback: session_commands.compile_transaction,
}

if hasattr(exp, "MultitableInserts"):
    _HANDLERS[exp.MultitableInserts] = dml.compile_insert
