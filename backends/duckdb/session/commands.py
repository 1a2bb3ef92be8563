"""SessionLike commands: transaction control, USE, ALTER SESSION and SYSTEM$WAIT.

https://docs.snowflake.com/en/sql-reference/sql/begin, .../use, .../alter-session,
https://docs.snowflake.com/en/sql-reference/functions/system_wait
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlglot import exp

from backends.duckdb.compile.context import SessionLike
from backends.duckdb.compile.plans import CommandPlan, Plan, command_plan
from backends.duckdb.compile.results import Result, RowsResult, status_result, text_column
from backends.duckdb.sql.names import display, normalize
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


#: SessionLike parameters the emulator honours; others are refused rather than ignored.
def alter_session(ast: exp.Alter, sql: str, session: SessionLike) -> Plan:
    settings: list[tuple[str, str]] = []
    for action in ast.args.get("actions") or []:
        for item in action.expressions:
            assignment = item.this
            if not isinstance(assignment, exp.EQ):
                raise NotSupportedError("ALTER SESSION UNSET", query=sql)
            name = assignment.this.name.upper()
            value = assignment.expression
            text = value.this if isinstance(value, exp.Literal) else value.sql(dialect="snowflake")
            settings.append((name, str(text)))

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        for name, value in settings:
            if name == "TIMEZONE":
                session.set_timezone(value)
            elif name == "AUTOCOMMIT":
                session.commit_implicitly()
                session.autocommit = value.upper() in ("TRUE", "1", "ON")
            elif name == "QUERY_TAG":
                session.query_tag = value
            else:
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
