"""Sequences: CREATE / DROP / SHOW SEQUENCES and DESCRIBE SEQUENCE, each backed by a DuckDB sequence.

`<name>.NEXTVAL` (compile/resolve.py) draws the next value; as on Snowflake, values are unique and
follow the increment, with no promise of being gap-free, and drawing one is not undone by ROLLBACK.
https://docs.snowflake.com/en/sql-reference/sql/create-sequence
"""

from __future__ import annotations

from collections.abc import Sequence as Values
from typing import Any

from sqlglot import exp

from backends.duckdb.catalog.objects import Sequence
from backends.duckdb.compile.context import SessionLike
from backends.duckdb.compile.plans import Plan, command_plan, name_in_use
from backends.duckdb.compile.resolve import Resolver
from backends.duckdb.compile.results import (
    Result,
    RowsResult,
    number_column,
    status_result,
    text_column,
    timestamp_column,
)
from backends.duckdb.metadata.show import ShowRequest, local_time, objects_in_scope
from backends.duckdb.sql.engine_errors import run_in_transaction
from backends.duckdb.sql.names import QualifiedName, display
from backends.errors import NotSupportedError, compilation_error, object_does_not_exist


def _integer(node: exp.Expression | None, default: int, what: str, sql: str) -> int:
    if node is None:
        return default
    text = node.sql(dialect="snowflake")
    try:
        return int(text)
    except ValueError:
        raise compilation_error(f"The sequence's {what} must be an integer, not {text}.", errno=1003,
                                query=sql) from None


def create_sequence(ast: exp.Create, sql: str, session: SessionLike) -> Plan:
    resolver = Resolver(session.catalog, session.context, sql)
    name = resolver.table_name(ast.this, action="CREATE SEQUENCE")
    props = [p for p in (ast.args.get("properties") or exp.Properties(expressions=[])).expressions]
    settings = next((p for p in props if isinstance(p, exp.SequenceProperties)), None)
    comment = next((p.this.this for p in props if isinstance(p, exp.SchemaCommentProperty)), None)
    unknown = [p for p in props if not isinstance(p, (exp.SequenceProperties, exp.SchemaCommentProperty))]
    if unknown:
        raise NotSupportedError(f"CREATE SEQUENCE with {unknown[0].sql(dialect='snowflake')}", query=sql)
    start = _integer(settings.args.get("start") if settings else None, 1, "START", sql)
    increment = _integer(settings.args.get("increment") if settings else None, 1, "INCREMENT", sql)
    if increment == 0:
        raise compilation_error("The sequence's INCREMENT cannot be 0.", errno=1003, query=sql)
    existing = session.catalog.get(name)
    if (exists := name_in_use(session, existing, Sequence, bool(ast.args.get("replace")),
                              bool(ast.args.get("exists")), sql)) is not None:
        return exists

    def run(session: SessionLike, _params: Values[Any]) -> Result:
        statements = [f"DROP SEQUENCE IF EXISTS {name.duck}"] if existing is not None else []
        run_in_transaction(session.duck, statements + [
            f"CREATE SEQUENCE {name.duck} START WITH {start} INCREMENT BY {increment}"])
        if existing is not None:
            session.catalog.remove(existing)
        session.catalog.put(Sequence(session.catalog.new_uid(), name, session.account.clock.now(), comment,
                                     start=start, increment=increment))
        return status_result(f"Sequence {display(name.name)} successfully created.")

    return command_plan(session, run)


def drop_sequence(ast: exp.Drop, sql: str, session: SessionLike) -> Plan:
    resolver = Resolver(session.catalog, session.context, sql)
    target = (ast.args.get("tables") or [ast.this])[0]
    name = resolver.table_name(target, action="DROP SEQUENCE")

    def run(session: SessionLike, _params: Values[Any]) -> Result:
        obj = session.catalog.get(name)
        if not isinstance(obj, Sequence):
            if obj is None and ast.args.get("exists"):
                return status_result(f"Drop statement executed successfully ({display(name.name)} already dropped).")
            raise object_does_not_exist(display(name.name), query=sql)
        run_in_transaction(session.duck, [f"DROP SEQUENCE IF EXISTS {name.duck}"])
        session.catalog.remove(obj)
        return status_result(f"{display(name.name)} successfully dropped.")

    return command_plan(session, run)


def next_value(session: SessionLike, sequence: Sequence) -> int:
    """The value NEXTVAL would give now (DuckDB's duckdb_sequences() keeps the last one drawn)."""
    row = session.duck.execute(
        "SELECT last_value FROM duckdb_sequences() WHERE schema_name = ? AND sequence_name = ?",
        [sequence.name.duck_schema, sequence.name.name],
    ).fetchone()
    last = row[0] if row else None
    return sequence.start if last is None else last + sequence.increment


_COLUMNS = [timestamp_column("created_on"), text_column("name"), text_column("schema_name"),
            text_column("database_name"), number_column("next_value"), number_column("interval"),
            text_column("owner"), text_column("comment"), text_column("ordered"), text_column("owner_role_type")]


def _row(session: SessionLike, s: Sequence) -> tuple:
    return (local_time(session, s.created_on), s.name.name, s.name.schema, s.name.database, next_value(session, s),
            s.increment, s.owner, s.comment or "", "N", "ROLE")


def show_sequences(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """https://docs.snowflake.com/en/sql-reference/sql/show-sequences"""
    return RowsResult(_COLUMNS, [_row(session, s) for s in objects_in_scope(session, request, sql, Sequence)])


def describe_sequence(session: SessionLike, name: QualifiedName, sql: str) -> RowsResult:
    sequence = session.catalog.get(name)
    if not isinstance(sequence, Sequence):
        raise object_does_not_exist(str(name), query=sql)
    return RowsResult(_COLUMNS, [_row(session, sequence)])


CREATE_HANDLERS = {"SEQUENCE": create_sequence}
DROP_HANDLERS = {"SEQUENCE": drop_sequence}
SHOW_HANDLERS = {"SEQUENCES": show_sequences}
DESCRIBE_HANDLERS = {"SEQUENCE": describe_sequence}
