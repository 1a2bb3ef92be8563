"""Appends committed now and written to DuckDB later, in one batch, before anything reads the table.

A Snowpipe Streaming channel commits every second or so; each commit as its own DuckDB statement
costs more than the rows it carries. A commit that can only succeed (its columns are the table's,
of the table's types or safely widened, no NOT NULL column left empty, no computed column, no
default but constants and the clock's, which are evaluated once, at the commit) is committed at
once in the emulator's own terms (its CSN, the table's last change, version lineage, triggered
tasks) and its rows wait; every statement and every transaction start writes the waiting rows
first, each with its own CSN in the change log, so no reader can tell the difference. Any other
commit takes the ordinary INSERT path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import duckdb
import numpy as np
import pyarrow as pa
import sqlglot
from sqlglot import exp

from backends.duckdb.catalog.objects import Catalog, Table
from backends.duckdb.catalog.tracking import CSN, INSERT, ROW_ID, SEQ
from backends.duckdb.sql.names import quote, sql_string
from backends.duckdb.sql.translate import expression_sql
from backends.duckdb.sql.types import column_type

_BOUND = "__snowsim_deferred_rows"
_STAGED = '"__snowsim_deferred_staged"'
#: What a default evaluated once per commit may contain: constants and the clock (CURRENT_TIMESTAMP() and kin).
_PER_COMMIT = (exp.Literal, exp.Null, exp.Boolean, exp.Cast, exp.DataType, exp.DataTypeParam, exp.Paren, exp.Neg,
               exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.ConvertTimezone)


@dataclass(frozen=True)
class DeferredAppend:
    table: Table
    rows: pa.Table  # columns named and typed as the table's
    csn: int
    seq: int


@dataclass
class DeferredAppends:
    """An account's appends committed but not yet written, in commit order, and what preparing them caches."""

    duck: duckdb.DuckDBPyConnection  # the account's database; waiting rows are written through a cursor of it
    waiting: list[DeferredAppend] = field(default_factory=list)
    #: Per table and catalog version: its columns as DuckDB hands them to Arrow.
    schemas: dict[tuple[int, int], pa.Schema] = field(default_factory=dict)
    #: Per table, catalog version and missing columns: the query of their defaults, or None.
    defaults: dict[tuple, str | None] = field(default_factory=dict)
    _flusher: duckdb.DuckDBPyConnection | None = None

    def flusher(self) -> duckdb.DuckDBPyConnection:
        """The connection deferred appends are written through."""
        if self._flusher is None:
            self._flusher = self.duck.cursor()
        return self._flusher


class _Account(Protocol):
    deferred: DeferredAppends
    catalog: Catalog


class _Session(Protocol):
    """The session committing an append: it evaluates the commit's defaults at the clock's time."""

    account: _Account

    def evaluate(self, query: str) -> tuple: ...


def prepare(session: _Session, table: Table, rows: pa.Table) -> pa.Table | None:
    """`rows` renamed and cast to the table's columns, defaults filled, when the append cannot fail; else None
    (take the INSERT path)."""
    account = session.account
    if table.tracking is None or any(c.expression for c in table.columns):
        return None
    appends, version = account.deferred, account.catalog.version
    schema = _arrow_schema(appends, version, table)
    by_name = {c.name.upper(): c for c in table.columns}
    names, arrays = [], []
    for name, column in zip(rows.column_names, rows.columns, strict=True):
        target = by_name.get(name.upper())
        if target is None or target.name in names:
            return None
        wanted = schema.field(target.name).type
        if not _widening(column.type, wanted):
            return None
        names.append(target.name)
        arrays.append(column if column.type == wanted or pa.types.is_string(wanted) else column.cast(wanted))
    missing = [c for c in table.columns if c.default and c.name not in names]
    if missing:
        query = _defaults_query(appends, version, table, missing)
        if query is None:
            return None
        for column, value in zip(missing, session.evaluate(query), strict=True):
            names.append(column.name)
            arrays.append(pa.repeat(pa.scalar(value, schema.field(column.name).type), rows.num_rows))
    for column in table.columns:
        if not column.nullable and (column.name not in names or arrays[names.index(column.name)].null_count):
            return None
    return pa.table(dict(zip(names, arrays, strict=True)))


def _widening(source: pa.DataType, target: pa.DataType) -> bool:
    """A cast that cannot fail or lose information (VARIANT columns take objects as the INSERT path does)."""
    if source == target:
        return True
    if pa.types.is_string(target):  # DuckDB's JSON (VARIANT) reads as text: objects and text become JSON
        return pa.types.is_struct(source) or pa.types.is_string(source)
    if pa.types.is_integer(source) and pa.types.is_integer(target):
        return pa.types.is_signed_integer(target) and target.bit_width >= source.bit_width + (
            0 if pa.types.is_signed_integer(source) else 1
        )
    if pa.types.is_timestamp(source) and pa.types.is_timestamp(target):
        order = ["s", "ms", "us", "ns"]
        return source.tz == target.tz and order.index(target.unit) >= order.index(source.unit)
    if pa.types.is_decimal(source) and pa.types.is_decimal(target):
        return source.scale == target.scale and target.precision >= source.precision
    return False


def _defaults_query(appends: DeferredAppends, version: int, table: Table, columns: list) -> str | None:
    """A query giving `columns`' defaults cast to their types, as the INSERT path would fill them; None when one
    is not the same for every row of a commit (a sequence, UUID_STRING(), RANDOM()...). Cached per catalog version."""
    key = (table.uid, version, tuple(c.name for c in columns))
    if key not in appends.defaults:
        parsed = [sqlglot.parse_one(c.default, read="snowflake") for c in columns]
        if all(isinstance(node, _PER_COMMIT) for tree in parsed for node in tree.walk()):
            types = [column_type(exp.DataType.build(c.type, dialect="snowflake"))[1] for c in columns]
            casts = [f"CAST(({expression_sql(tree, c.default)}) AS {kind})"
                     for tree, c, kind in zip(parsed, columns, types, strict=True)]
            appends.defaults[key] = "SELECT " + ", ".join(casts)
        else:
            appends.defaults[key] = None
    return appends.defaults[key]


def _arrow_schema(appends: DeferredAppends, version: int, table: Table) -> pa.Schema:
    """The table's columns as DuckDB hands them to Arrow, cached until the catalog changes."""
    key = (table.uid, version)
    schema = appends.schemas.get(key)
    if schema is None:
        columns = ", ".join(quote(c.name) for c in table.columns)
        schema = appends.flusher().sql(f"SELECT {columns} FROM {table.tracking.rows} LIMIT 0").to_arrow_table().schema
        appends.schemas[key] = schema
    return schema


def write(deferred: DeferredAppends, appends: list[DeferredAppend]) -> None:
    """Write waiting appends, table by table in commit order, in one DuckDB transaction."""
    duck = deferred.flusher()
    duck.execute("BEGIN TRANSACTION")
    try:
        tables: dict[int, list[DeferredAppend]] = {}
        for append in appends:
            tables.setdefault(append.table.uid, []).append(append)
        for batch in tables.values():
            _write_table(duck, batch)
        duck.execute("COMMIT")
    except BaseException:
        duck.execute("ROLLBACK")
        raise


def _write_table(duck: duckdb.DuckDBPyConnection, batch: list[DeferredAppend]) -> None:
    table = batch[0].table
    columns = [c.name for c in table.columns]
    rows = pa.concat_tables([append.rows for append in batch], promote_options="permissive")
    for name in columns:  # a column no commit named is NULL (prepare filled the defaults)
        if name not in rows.column_names:
            rows = rows.append_column(name, pa.nulls(rows.num_rows))
    sizes = [append.rows.num_rows for append in batch]
    rows = (rows.append_column("__snowsim_csn", pa.array(np.repeat([a.csn for a in batch], sizes), pa.int64()))
            .append_column("__snowsim_seq", pa.array(np.repeat([a.seq for a in batch], sizes), pa.int64())))
    duck.register(_BOUND, rows)
    quoted = ", ".join(quote(c) for c in columns)
    tracking = table.tracking
    duck.execute(f"CREATE OR REPLACE TEMP TABLE {_STAGED} AS SELECT nextval({sql_string(tracking.sequence)}) AS "
                 f"{quote(ROW_ID)}, "
                 f"* FROM {_BOUND}")
    duck.execute(
        f"INSERT INTO {tracking.rows} ({quote(ROW_ID)}, {quoted}) SELECT {quote(ROW_ID)}, {quoted} FROM {_STAGED}"
    )
    duck.execute(
        f"INSERT INTO {tracking.changes} SELECT {CSN}, {SEQ}, {INSERT}, {quote(ROW_ID)}, {quoted} FROM {_STAGED}"
    )
    duck.execute(f"DROP TABLE {_STAGED}")
    duck.unregister(_BOUND)
