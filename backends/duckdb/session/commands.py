"""Session commands: transaction control, USE, ALTER SESSION, SYSTEM$WAIT and session variables.

https://docs.snowflake.com/en/sql-reference/sql/begin, .../use, .../alter-session,
https://docs.snowflake.com/en/sql-reference/functions/system_wait
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

from backends.duckdb.compile.context import DEFAULT_TIMEZONE, SessionLike
from backends.duckdb.compile.plans import CommandPlan, Plan, command_plan
from backends.duckdb.compile.results import (
    TYPE_NAMES,
    Result,
    RowsResult,
    number_column,
    status_result,
    text_column,
    timestamp_column,
)
from backends.duckdb.metadata.show import ShowRequest, like_matcher, local_time
from backends.duckdb.sql.names import display, normalize
from backends.duckdb.sql.substitution import Variable
from backends.errors import NotSupportedError, ProgrammingError, compilation_error

OK = "Statement executed successfully."


def _transaction(session: SessionLike, control: Callable[[SessionLike], None]) -> Plan:
    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        control(session)
        return status_result(OK)

    return CommandPlan(session.catalog.version, action=run, transaction_control=True)


def begin(session: SessionLike, sql: str) -> Plan:
    return _transaction(session, lambda s: s.begin())


def compile_transaction(ast: exp.Expression, sql: str, session: SessionLike) -> Plan:
    if isinstance(ast, exp.Commit):
        return _transaction(session, lambda s: s.commit())
    if isinstance(ast, exp.Rollback):
        return _transaction(session, lambda s: s.rollback())
    return _transaction(session, lambda s: s.begin())


def compile_use(ast: exp.Use, sql: str, session: SessionLike) -> Plan:
    kind = (ast.args.get("kind").name if ast.args.get("kind") is not None else "").upper()
    target = ast.this
    parts = [normalize(p) for p in (target.args.get("catalog"), target.args.get("db"), target.this) if p is not None]

    def missing(what: str) -> ProgrammingError:
        return ProgrammingError(
            f"Object does not exist, or operation cannot be performed.\n{what} '{'.'.join(display(p) for p in parts)}'",
            errno=2043, sqlstate="02000", query=sql,
        )

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        catalog = session.catalog
        if kind == "DATABASE" or (not kind and len(parts) == 1 and parts[0] in catalog.databases):
            if parts[0] not in catalog.databases:
                raise missing("Database")
            schema = "PUBLIC" if "PUBLIC" in catalog.databases[parts[0]].schemas else None
            session.set_context(database=parts[0], schema=schema)
        elif kind == "SCHEMA" or not kind:
            database = parts[0] if len(parts) == 2 else session.context.database
            if database is None or catalog.schema(database, parts[-1]) is None:
                raise missing("Schema")
            session.set_context(database=database, schema=parts[-1])
        elif kind == "WAREHOUSE":
            if parts[-1] not in session.account.warehouses:
                raise missing("Warehouse")
            session.set_context(warehouse=parts[-1])
        elif kind == "ROLE":
            # Access control is not emulated: every session may use every object.
            session.set_context(role=parts[-1])
        else:
            raise NotSupportedError(f"USE {kind}", query=sql)
        return status_result(OK)

    return command_plan(session, run, ddl=False)


#: Session parameters the emulator does not model, with Snowflake's default: setting one to its default (or
#: unsetting it) changes nothing and is accepted; any other value is refused by name.
DEFAULT_ONLY_PARAMETERS = {"QUOTED_IDENTIFIERS_IGNORE_CASE": "FALSE", "JSON_INDENT": "2",
                           "TIMESTAMP_TYPE_MAPPING": "TIMESTAMP_NTZ", "WEEK_START": "0", "WEEK_OF_YEAR_POLICY": "0"}


def alter_session(ast: exp.Alter, sql: str, session: SessionLike) -> Plan:
    """ALTER SESSION SET / UNSET of the parameters the emulator honours (TIMEZONE, AUTOCOMMIT, QUERY_TAG)."""
    settings: list[tuple[str, str | None]] = []  # None: UNSET, back to the default
    for action in ast.args.get("actions") or []:
        for item in action.expressions:
            assignment = item.this
            if isinstance(assignment, exp.EQ):
                value = assignment.expression
                text = value.this if isinstance(value, exp.Literal) else value.sql(dialect="snowflake")
                settings.append((assignment.this.name.upper(), str(text)))
            else:
                settings.append((assignment.name.upper(), None))

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        for name, value in settings:
            if name == "TIMEZONE":
                session.set_timezone(DEFAULT_TIMEZONE if value is None else value)
            elif name == "AUTOCOMMIT":
                session.commit_implicitly()
                session.autocommit = value is None or value.upper() in ("TRUE", "1", "ON")
            elif name == "QUERY_TAG":
                session.query_tag = value or ""
            elif name not in DEFAULT_ONLY_PARAMETERS or (value is not None
                                                         and value.upper() != DEFAULT_ONLY_PARAMETERS[name]):
                raise NotSupportedError(f"the session parameter {name}", query=sql)
        return status_result(OK)

    return command_plan(session, run, ddl=False)


_WAIT = re.compile(
    r"^\s*(?P<verb>CALL|SELECT)\s+"
    r"(?P<call>SYSTEM\$WAIT\s*\(\s*(?P<amount>\d+(?:\.\d*)?)\s*(?:,\s*'(?P<unit>\w+)'\s*)?\))\s*;?\s*$",
    re.I,
)
_WAIT_UNITS_MS = {"DAYS": 86_400_000, "HOURS": 3_600_000, "MINUTES": 60_000, "SECONDS": 1_000, "MILLISECONDS": 1,
                  "MICROSECONDS": 1e-3, "NANOSECONDS": 1e-6}


def compile_wait(sql: str, session: SessionLike) -> Plan | None:
    """`CALL SYSTEM$WAIT(amount [, 'unit'])` (or the same SELECT): the virtual clock moves on by that much,
    running every task and refresh that falls due, so a script can let scheduled work happen."""
    match = _WAIT.match(sql)
    if match is None:
        return None
    unit = (match["unit"] or "SECONDS").upper()
    if unit not in _WAIT_UNITS_MS:
        raise compilation_error(f"invalid time unit '{match['unit']}' for SYSTEM$WAIT: expected one of "
                                f"{', '.join(_WAIT_UNITS_MS)}", errno=2001, query=sql)
    milliseconds = round(float(match["amount"]) * _WAIT_UNITS_MS[unit])
    # CALL names its column after the function; SELECT after the call's text, as unaliased columns are.
    column = "SYSTEM$WAIT" if match["verb"].upper() == "CALL" else " ".join(match["call"].split()).upper()

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        clock = session.account.clock
        if clock.running:
            raise NotSupportedError("SYSTEM$WAIT inside a task or a dynamic table refresh",
                                    detail="the virtual clock moves between statements", query=sql)
        clock.advance(milliseconds=milliseconds)
        return RowsResult([text_column(column)], [(f"waited {match['amount']} {unit.lower()}",)], rowcount=1)

    return command_plan(session, run, ddl=False)


# --- session variables -------------------------------------------------------------------------------------

_VARIABLE_NAMES = r"\(\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*\)|[A-Za-z_]\w*"
_SET = re.compile(rf"^\s*SET\s+(?P<names>{_VARIABLE_NAMES})\s*=\s*(?P<value>.+?)\s*;?\s*$", re.I | re.S)
_UNSET = re.compile(rf"^\s*UNSET\s+(?P<names>{_VARIABLE_NAMES})\s*;?\s*$", re.I | re.S)


def _names(text: str) -> list[str]:
    return [name.strip().upper() for name in text.strip().strip("()").split(",")]


def compile_variable_command(sql: str, session: SessionLike) -> Plan | None:
    """SET name = expression, SET (a, b) = (x, y), UNSET name: the session's variables.

    https://docs.snowflake.com/en/sql-reference/sql/set: each expression is evaluated when the SET runs.
    """
    if match := _SET.match(sql):
        names, value = _names(match["names"]), match["value"]
        if len(names) > 1:
            if not (value.startswith("(") and value.endswith(")")):
                raise compilation_error(f"SET of {len(names)} variables needs {len(names)} values in parentheses",
                                        errno=1003, query=sql)
            value = value[1:-1]

        def run_set(session: SessionLike, params: Sequence[Any]) -> Result:
            row, result = session.select_row(f"SELECT {value}", params)
            if len(row) != len(names):
                raise compilation_error(f"SET assigns {len(names)} variables but gives {len(row)} values",
                                        errno=1003, query=sql)
            now = session.account.clock.now()
            for name, item, column in zip(names, row, result.description, strict=True):
                previous = session.variables.get(name)
                session.variables[name] = Variable(item, TYPE_NAMES[column.type_code].lower(),
                                                   previous.created_on if previous else now, now)
            return status_result(OK)

        return command_plan(session, run_set, ddl=False)
    if match := _UNSET.match(sql):
        names = _names(match["names"])

        def run_unset(session: SessionLike, _params: Sequence[Any]) -> Result:
            for name in names:
                session.variables.pop(name, None)
            return status_result(OK)

        return command_plan(session, run_unset, ddl=False)
    return None


def show_variables(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """SHOW VARIABLES: the session's variables with Snowflake's columns."""
    matches = like_matcher(request.like)
    columns = [number_column("session_id"), timestamp_column("created_on"), timestamp_column("updated_on"),
               text_column("name"), text_column("value"), text_column("type"), text_column("comment")]
    rows = [(id(session), local_time(session, v.created_on), local_time(session, v.updated_on), name,
             None if v.value is None else str(v.value), v.type, "")
            for name, v in sorted(session.variables.items()) if matches(name)]
    return RowsResult(columns, rows[: request.limit] if request.limit else rows)


SHOW_HANDLERS = {"VARIABLES": show_variables}
