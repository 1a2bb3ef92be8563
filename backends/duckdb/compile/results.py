"""Result sets with the connector's description and Python value types.

A query's rows stay in DuckDB until the caller fetches them, in whichever format it asks for
(tuples, Arrow, polars), so big results never take a detour through Python objects. If another
statement needs the session's DuckDB connection first, the pending rows are materialised.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

import pyarrow as pa

# Type codes of snowflake.connector's FIELD_TYPES, in its order.
FIXED, REAL, TEXT, DATE, TIMESTAMP, VARIANT, TIMESTAMP_LTZ, TIMESTAMP_TZ, TIMESTAMP_NTZ = range(9)
OBJECT, ARRAY, BINARY, TIME, BOOLEAN = range(9, 14)

TYPE_NAMES = {
    FIXED: "FIXED", REAL: "REAL", TEXT: "TEXT", DATE: "DATE", TIMESTAMP: "TIMESTAMP", VARIANT: "VARIANT",
    TIMESTAMP_LTZ: "TIMESTAMP_LTZ", TIMESTAMP_TZ: "TIMESTAMP_TZ", TIMESTAMP_NTZ: "TIMESTAMP_NTZ",
    OBJECT: "OBJECT", ARRAY: "ARRAY", BINARY: "BINARY", TIME: "TIME", BOOLEAN: "BOOLEAN",
}


class ResultMetadata(NamedTuple):
    """One column of `cursor.description`, field for field as the connector's."""

    name: str
    type_code: int
    display_size: int | None
    internal_size: int | None
    precision: int | None
    scale: int | None
    is_nullable: bool | None


def variant_text(value: str | None) -> str | None:
    """VARIANT values as the connector returns them: JSON text indented by two spaces."""
    if value is None:
        return None
    return json.dumps(json.loads(value), indent=2, ensure_ascii=False)


def _integral(value: Decimal | None) -> int | None:
    return None if value is None else int(value)


_TYPE_CACHE: dict[str, tuple[ResultMetadata, Callable[[Any], Any] | None]] = {}


def column_metadata(name: str, duck_type: str) -> tuple[ResultMetadata, Callable[[Any], Any] | None]:
    """The Snowflake description of a DuckDB result column, and the converter its values need."""
    cached = _TYPE_CACHE.get(duck_type)
    if cached is None:
        cached = _describe_type(duck_type)
        _TYPE_CACHE[duck_type] = cached
    meta, convert = cached
    return meta._replace(name=name), convert


def _describe_type(duck_type: str) -> tuple[ResultMetadata, Callable[[Any], Any] | None]:
    t = duck_type.upper()

    def meta(
        code: int, precision: int | None = None, scale: int | None = None, size: int | None = None
    ) -> ResultMetadata:
        return ResultMetadata("", code, None, size, precision, scale, True)

    if t in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER", "USMALLINT", "UTINYINT"):
        return meta(FIXED, 38, 0), None
    if t.startswith("DECIMAL"):
        precision, scale = (int(x) for x in t[t.index("(") + 1 : -1].split(","))
        return meta(FIXED, precision, scale), (_integral if scale == 0 else None)
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return meta(REAL), None
    if t == "VARCHAR":
        return meta(TEXT, size=16777216), None
    if t == "BOOLEAN":
        return meta(BOOLEAN), None
    if t == "DATE":
        return meta(DATE), None
    # Times and timestamps: precision 0 and scale 9 (nanoseconds), as the connector describes them.
    if t == "TIME":
        return meta(TIME, 0, 9), None
    if t in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"):
        return meta(TIMESTAMP_NTZ, 0, 9), None
    if t == "TIMESTAMP WITH TIME ZONE":
        return meta(TIMESTAMP_LTZ, 0, 9), None
    if t == "JSON":
        return meta(VARIANT), variant_text
    if t == "BLOB":
        return meta(BINARY, size=8388608), None
    if t == "UUID":
        return meta(TEXT, size=16777216), str
    # Nested DuckDB types (STRUCT, LIST, MAP) only appear from DuckDB-specific SQL; show them as VARIANT text.
    return meta(VARIANT), lambda v: None if v is None else json.dumps(v, indent=2, default=str)


class Result:
    """Rows and their description; subclasses decide where the rows live until fetched."""

    description: list[ResultMetadata]
    rowcount: int | None

    def fetchmany(self, size: int) -> list[tuple]:
        raise NotImplementedError

    def fetchall(self) -> list[tuple]:
        raise NotImplementedError

    def arrow(self) -> pa.Table:
        """The rows not yet fetched, as an Arrow table."""
        raise NotImplementedError

    def remaining_rows(self) -> list[tuple]:
        """The rows not yet fetched, leaving them to be fetched still (result batches read them so)."""
        raise NotImplementedError

    def materialize(self) -> None:
        """Pull pending rows out of the engine so the connection is free for the next statement."""


class RowsResult(Result):
    """Rows the emulator built in Python: status messages, DML counts, SHOW output."""

    def __init__(self, description: Sequence[ResultMetadata], rows: list[tuple], rowcount: int | None = None) -> None:
        self.description = list(description)
        self._rows = rows
        self._position = 0
        self.rowcount = len(rows) if rowcount is None else rowcount

    def fetchmany(self, size: int) -> list[tuple]:
        start = self._position
        self._position = min(len(self._rows), start + size)
        return self._rows[start : self._position]

    def fetchall(self) -> list[tuple]:
        rest = self._rows[self._position :]
        self._position = len(self._rows)
        return rest

    def remaining_rows(self) -> list[tuple]:
        return self._rows[self._position :]

    def arrow(self) -> pa.Table:
        rows = self.fetchall()
        names = [d.name for d in self.description]
        columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
        return pa.table({name: pa.array(list(values)) for name, values in zip(names, columns, strict=True)})


def text_column(name: str) -> ResultMetadata:
    return ResultMetadata(name, TEXT, None, 16777216, None, None, True)


def number_column(name: str, precision: int = 38, scale: int = 0) -> ResultMetadata:
    return ResultMetadata(name, FIXED, None, None, precision, scale, True)


def boolean_column(name: str) -> ResultMetadata:
    return ResultMetadata(name, BOOLEAN, None, None, None, None, True)


def timestamp_column(name: str) -> ResultMetadata:
    return ResultMetadata(name, TIMESTAMP_LTZ, None, None, 0, 9, True)


def status_result(message: str) -> RowsResult:
    """The single `status` row Snowflake returns for DDL and session commands."""
    return RowsResult([text_column("status")], [(message,)], rowcount=1)


@lru_cache(maxsize=64)
def _count_columns(names: tuple[str, ...]) -> tuple[ResultMetadata, ...]:
    return tuple(number_column(name) for name in names)


def counts_result(counts: dict[str, int], rowcount: int) -> RowsResult:
    """The one-row DML summary (`number of rows inserted`, ...) with the statement's rowcount."""
    return RowsResult(_count_columns(tuple(counts)), [tuple(counts.values())], rowcount=rowcount)


class DuckResult(Result):
    """A query result still held by the session's DuckDB connection.

    Rows move from DuckDB to the caller on fetch; `materialize()` drains the rest into a Python
    buffer when the connection is needed for another statement.
    """

    def __init__(self, duck: Any) -> None:
        self._duck = duck
        columns = [column_metadata(d[0], str(d[1])) for d in duck.description or []]
        self.description = [meta for meta, _ in columns]
        self._converters = [(i, convert) for i, (_, convert) in enumerate(columns) if convert is not None]
        self._pending = True
        self._handed_out = 0  # rows fetched straight from DuckDB
        self._buffer: list[tuple] = []
        self._position = 0
        self._total: int | None = None

    @property
    def rowcount(self) -> int:
        """Rows in the whole result, as the connector reports after a SELECT."""
        self.materialize()
        return self._total or 0

    def _convert(self, rows: list[tuple]) -> list[tuple]:
        if not self._converters or not rows:
            return rows
        out = []
        for row in rows:
            values = list(row)
            for i, convert in self._converters:
                values[i] = convert(values[i])
            out.append(tuple(values))
        return out

    def _finish(self, remaining: int) -> None:
        self._pending = False
        self._total = self._handed_out + remaining

    def materialize(self) -> None:
        if self._pending:
            self._buffer = self._convert(self._duck.fetchall())
            self._finish(len(self._buffer))

    def fetchmany(self, size: int) -> list[tuple]:
        if self._pending:
            rows = self._convert(self._duck.fetchmany(size))
            self._handed_out += len(rows)
            if len(rows) < size:
                self._finish(0)
            return rows
        start = self._position
        self._position = min(len(self._buffer), start + size)
        return self._buffer[start : self._position]

    def fetchall(self) -> list[tuple]:
        if self._pending:
            rows = self._convert(self._duck.fetchall())
            self._finish(len(rows))
            self._handed_out += len(rows)
            return rows
        rest = self._buffer[self._position :]
        self._position = len(self._buffer)
        return rest

    def remaining_rows(self) -> list[tuple]:
        self.materialize()
        return self._buffer[self._position :]

    def arrow(self) -> pa.Table:
        if self._pending:
            with warnings.catch_warnings():
                # DuckDB notes that Arrow from an execute() result costs it one internal copy; going
                # through a lazy relation instead would move errors from execute() to fetch time.
                warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")
                table = self._duck.to_arrow_table()
            self._finish(table.num_rows)
            names = [d.name for d in self.description]
            return table.rename_columns(names) if table.num_columns == len(names) else table
        return RowsResult(self.description, self.fetchall()).arrow()
