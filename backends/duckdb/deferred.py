"""Appends committed now and written to DuckDB later, in one batch, before anything reads the table.

A Snowpipe Streaming channel commits every second or so; each commit as its own DuckDB statement
costs more than the rows it carries. A commit that can only succeed (its columns are the table's,
of the table's types or safely widened, no NOT NULL column left empty, no default or computed
column to evaluate) is committed at once in the emulator's own terms (its CSN, the table's last
change, version lineage, triggered tasks) and its rows wait; every statement and every transaction
start writes the waiting rows first, each with its own CSN in the change log, so no reader can tell
the difference. Any other commit takes the ordinary INSERT path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from .catalog import Table
from .names import quote, sql_string
from .tracking import INSERT, ROW_ID

if TYPE_CHECKING:
    from .session import Account

_BOUND = "__snowsim_deferred_rows"
_STAGED = '"__snowsim_deferred_staged"'


@dataclass(frozen=True)
class DeferredAppend:
    table: Table
    rows: pa.Table  # columns named and typed as the table's
    csn: int
    seq: int


def prepare(account: Account, table: Table, rows: pa.Table) -> pa.Table | None:
    """`rows` renamed and cast to the table's columns when the append cannot fail; else None (take the INSERT path)."""
    if table.tracking is None or any(c.default or c.expression for c in table.columns):
        return None
    schema = _arrow_schema(account, table)
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
        return pa.types.is_signed_integer(target) and target.bit_width >= source.bit_width + (0 if pa.types.is_signed_integer(source) else 1)
    if pa.types.is_timestamp(source) and pa.types.is_timestamp(target):
        order = ["s", "ms", "us", "ns"]
        return source.tz == target.tz and order.index(target.unit) >= order.index(source.unit)
    if pa.types.is_decimal(source) and pa.types.is_decimal(target):
        return source.scale == target.scale and target.precision >= source.precision
    return False


def _arrow_schema(account: Account, table: Table) -> pa.Schema:
    """The table's columns as DuckDB hands them to Arrow, cached until the catalog changes."""
    key = (table.uid, account.catalog.version)
    schema = account.deferred_schemas.get(key)
    if schema is None:
        columns = ", ".join(quote(c.name) for c in table.columns)
        schema = account.flusher().sql(f"SELECT {columns} FROM {table.tracking.rows} LIMIT 0").to_arrow_table().schema
        account.deferred_schemas[key] = schema
    return schema


def write(account: Account, appends: list[DeferredAppend]) -> None:
    """Write waiting appends, table by table in commit order, in one DuckDB transaction."""
    duck = account.flusher()
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


def _write_table(duck, batch: list[DeferredAppend]) -> None:
    table = batch[0].table
    columns = [c.name for c in table.columns]
    rows = pa.concat_tables([append.rows for append in batch], promote_options="permissive")
    for name in columns:  # a column no commit named is NULL (no defaults: see prepare)
        if name not in rows.column_names:
            rows = rows.append_column(name, pa.nulls(rows.num_rows))
    sizes = [append.rows.num_rows for append in batch]
    rows = (rows.append_column("__csn", pa.array(np.repeat([a.csn for a in batch], sizes), pa.int64()))
            .append_column("__seq", pa.array(np.repeat([a.seq for a in batch], sizes), pa.int64())))
    duck.register(_BOUND, rows)
    quoted = ", ".join(quote(c) for c in columns)
    tracking = table.tracking
    duck.execute(f"CREATE OR REPLACE TEMP TABLE {_STAGED} AS SELECT nextval({sql_string(tracking.sequence)}) AS {quote(ROW_ID)}, "
                 f"* FROM {_BOUND}")
    duck.execute(f"INSERT INTO {tracking.rows} ({quote(ROW_ID)}, {quoted}) SELECT {quote(ROW_ID)}, {quoted} FROM {_STAGED}")
    duck.execute(f'INSERT INTO {tracking.changes} SELECT "__csn", "__seq", {INSERT}, {quote(ROW_ID)}, {quoted} FROM {_STAGED}')
    duck.execute(f"DROP TABLE {_STAGED}")
    duck.unregister(_BOUND)
