"""Drop-in for `snowflake.connector`: `patch()` makes its `connect` open emulator sessions.

Code written for the connector runs unchanged: its cursor classes, its error classes (with Snowflake's errno
and sqlstate), its `paramstyle`, `write_pandas` and `pd_writer`, the query-status calls of asynchronous
queries, and SQLAlchemy through snowflake-sqlalchemy (which connects through `connect`). This module
imports the connector, an optional dependency: `backends.duckdb.patch()` loads it when first called.
"""

from __future__ import annotations

import contextlib
import json
import uuid
import warnings
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pyarrow as pa
import snowflake.connector
import snowflake.connector.cursor
from snowflake.connector import errors as connector_errors
from snowflake.connector.connection import DEFAULT_CONFIGURATION
from snowflake.connector.constants import QueryStatus

from backends import errors
from backends.duckdb.connection import Connection, Cursor, DictCursor
from backends.duckdb.sql.names import quote, sql_string

#: Connector arguments that would change what results look like; refused unless left at their default.
CHANGES_RESULTS = ("converter_class", "numpy", "arrow_number_to_decimal")
#: Connector arguments the emulated session takes; the connector's other arguments only matter to a live account
#: (credentials, network, caches) and are accepted and ignored, never logged.
SESSION_ARGUMENTS = ("database", "schema", "warehouse", "role", "paramstyle", "autocommit", "timezone",
                     "session_parameters")

#: The connector's cursor classes and the emulator's that behave as they do.
CURSOR_CLASSES: dict[type, type[Cursor]] = {
    snowflake.connector.cursor.SnowflakeCursor: Cursor,
    snowflake.connector.cursor.DictCursor: DictCursor,
}


def connector_error(error: errors.Error) -> connector_errors.Error:
    """The `snowflake.connector.errors` error the real connector would raise, with errno, sqlstate and query id.

    The connector raises every error the server reports for a statement as ProgrammingError, except
    IntegrityError for 100072 (NULL in a non-nullable column); its own client-side errors (errno
    25xxxx, InterfaceError) keep their class, and the emulator's refusals stay NotSupportedError.
    """
    if isinstance(error, (errors.InterfaceError, errors.NotSupportedError)) or _is_client_errno(error.errno):
        same_name = (getattr(connector_errors, c.__name__, None) for c in type(error).__mro__)
        target = next((c for c in same_name if c is not None), connector_errors.Error)
    elif error.errno == NULL_IN_NON_NULLABLE_COLUMN:
        target = connector_errors.IntegrityError
    else:
        target = connector_errors.ProgrammingError
    return target(msg=error.msg, errno=error.errno, sqlstate=error.sqlstate, sfqid=error.sfqid, query=error.query)


#: The one server errno the connector raises as IntegrityError (its SnowflakeCursor._execute_helper).
NULL_IN_NON_NULLABLE_COLUMN = 100072


def _is_client_errno(errno: int) -> bool:
    return 250000 <= errno < 260000


class ConnectorConnection(Connection):
    """A connection as `snowflake.connector.connect` returns one: the connector's errors and cursor classes.

    `database` and `schema` are the connector's own record, not the session's: what connect() named, then
    the session's current one after each statement once the record is set (or after any USE), as
    `SnowflakeConnection` updates them from the server's replies; a database named but missing stays named.
    """

    _named_database: str | None = None
    _named_schema: str | None = None

    def _ran(self, command: str) -> None:
        context, is_use = self._session.context, command.lstrip()[:4].upper() == "USE "
        if context.database is not None and (self._named_database is not None or is_use):
            self._named_database = context.database
        if context.schema is not None and (self._named_schema is not None or is_use):
            self._named_schema = context.schema

    @property
    def database(self) -> str | None:
        return self._named_database

    @property
    def schema(self) -> str | None:
        return self._named_schema

    def cursor(self, cursor_class: type | None = None) -> Cursor:
        if cursor_class is None or issubclass(cursor_class, Cursor):
            return super().cursor(cursor_class)
        emulated = CURSOR_CLASSES.get(cursor_class)
        if emulated is None:
            self._raise(errors.NotSupportedError(
                f"the cursor class {cursor_class.__qualname__}",
                detail="only the connector's SnowflakeCursor and DictCursor are emulated"))
        return super().cursor(emulated)

    def get_query_status(self, sf_qid: str) -> QueryStatus:
        """SUCCESS for an `execute_async` query of this connection (it ran to its end), NO_DATA otherwise."""
        return QueryStatus.SUCCESS if sf_qid in self._async_results else QueryStatus.NO_DATA

    def get_query_status_throw_if_error(self, sf_qid: str) -> QueryStatus:
        return self.get_query_status(sf_qid)

    @staticmethod
    def is_still_running(status: QueryStatus) -> bool:
        return status in (QueryStatus.RUNNING, QueryStatus.QUEUED, QueryStatus.RESUMING_WAREHOUSE,
                          QueryStatus.QUEUED_REPARING_WAREHOUSE, QueryStatus.NO_DATA)

    @staticmethod
    def is_an_error(status: QueryStatus) -> bool:
        return status in (QueryStatus.ABORTING, QueryStatus.FAILED_WITH_ERROR, QueryStatus.ABORTED,
                          QueryStatus.FAILED_WITH_INCIDENT, QueryStatus.DISCONNECTED, QueryStatus.BLOCKED)

    def _raise(self, error: errors.Error) -> None:
        raise connector_error(error) from error


class Patch:
    """What `patch()` yields: the shared emulator, its clock, and the connections made so far."""

    def __init__(self, emulator: Any, create_database: bool) -> None:
        self.emulator = emulator
        self.clock = emulator.clock
        self.connections: list[Connection] = []
        self._create_database = create_database

    def connect(self, **kwargs: Any) -> Connection:
        """What the patched `snowflake.connector.connect` does: a session with no current database or schema
        unless named (as for a user without defaults); a database alone makes its PUBLIC schema current.
        `session_parameters` are set as ALTER SESSION would set them."""
        try:
            options, parameters = _session_options(kwargs)
        except errors.Error as error:
            raise connector_error(error) from None
        connection = self.emulator.connect(
            create_database=self._create_database, connection_class=ConnectorConnection, **options
        )
        connection._named_database = options["current_database"]  # as connect() named them, in canonical form
        connection._named_schema = options["current_schema"] if kwargs.get("schema") else None
        for name, value in parameters.items():
            literal = value if isinstance(value, (bool, int, float)) else sql_string(str(value))
            connection.cursor().execute(f"ALTER SESSION SET {name} = {literal}")
        self.connections.append(connection)
        return connection


def _session_options(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The emulator session's options and the session parameters still to set, from connect()'s arguments."""
    options: dict[str, Any] = {"current_database": None, "current_schema": None,
                               "paramstyle": snowflake.connector.paramstyle}
    parameters = {str(k).upper(): v for k, v in (kwargs.get("session_parameters") or {}).items()}
    for key, value in kwargs.items():
        if key in ("database", "schema"):
            options[f"current_{key}"] = value.upper() if value and not value.startswith('"') else value
        elif key == "timezone":
            parameters.setdefault("TIMEZONE", value)
        elif key in SESSION_ARGUMENTS:
            if value is not None and key != "session_parameters":
                options[key] = value
        elif key in CHANGES_RESULTS:
            if value not in (None, False):
                raise errors.NotSupportedError(f"the connector argument {key}=",
                                               detail="results keep the default types")
        elif key not in DEFAULT_CONFIGURATION and kwargs.get("validate_default_parameters", True):
            warnings.warn(f"'{key}' is an unknown connection parameter", stacklevel=4)  # as the connector warns
    if options["current_database"] and not options["current_schema"]:
        options["current_schema"] = "PUBLIC"
    if "TIMEZONE" in parameters:
        options["timezone"] = parameters.pop("TIMEZONE")
    return options, parameters


@contextlib.contextmanager
def patch(emulator: Any, *extra_targets: str, create_database_on_connect: bool = True) -> Iterator[Patch]:
    """Make `snowflake.connector.connect` (and `extra_targets`, dotted names) open sessions on `emulator`,
    and `write_pandas` / `pd_writer` write through them."""
    handle = Patch(emulator, create_database_on_connect)
    targets: dict[str, Any] = {"snowflake.connector.connect": handle.connect,
                               **dict.fromkeys(extra_targets, handle.connect)}
    with contextlib.suppress(ImportError):  # pandas_tools imports without pandas; some builds may not ship it
        import snowflake.connector.pandas_tools  # noqa: F401

        targets["snowflake.connector.pandas_tools.write_pandas"] = write_pandas
    with contextlib.ExitStack() as stack:
        for target, replacement in targets.items():
            stack.enter_context(mock.patch(target, replacement))
        yield handle


# --- write_pandas ------------------------------------------------------------------------------------------

def _snowflake_type(arrow_type: pa.DataType) -> str:
    """What Snowflake's INFER_SCHEMA makes of a column of the Parquet file the connector writes."""
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "NUMBER(38,0)"
    if pa.types.is_floating(arrow_type):
        return "FLOAT"
    if pa.types.is_decimal(arrow_type):
        return f"NUMBER({arrow_type.precision},{arrow_type.scale})"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "VARCHAR"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_time(arrow_type):
        return "TIME"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP_TZ" if arrow_type.tz else "TIMESTAMP_NTZ"
    if pa.types.is_binary(arrow_type) or pa.types.is_large_binary(arrow_type):
        return "BINARY"
    if pa.types.is_list(arrow_type) or pa.types.is_large_list(arrow_type):
        return "ARRAY"
    if pa.types.is_struct(arrow_type) or pa.types.is_map(arrow_type):
        return "OBJECT"
    if pa.types.is_null(arrow_type):
        return "VARCHAR"
    raise errors.NotSupportedError(f"write_pandas of a column of type {arrow_type}")


def _json_text(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, separators=(",", ":"), default=str)
    if hasattr(value, "tolist"):  # a numpy array in an object column
        return json.dumps(value.tolist(), separators=(",", ":"), default=str)
    return value


def _arrow_rows(df: Any) -> pa.Table:
    """The DataFrame as Arrow: semi-structured values (dicts, lists) as JSON text, as the connector's Parquet
    file holds them for a VARIANT, OBJECT, ARRAY or VARCHAR column."""
    columns = {}
    for name in df.columns:
        series = df[name]
        if series.dtype == object:
            series = series.map(_json_text)
        columns[str(name)] = pa.array(series, from_pandas=True)
    return pa.table(columns)


def write_pandas(
    conn: Connection, df: Any, table_name: str, database: str | None = None, schema: str | None = None,
    chunk_size: int | None = None, compression: str = "gzip", on_error: str = "abort_statement", parallel: int = 4,
    quote_identifiers: bool = True, infer_schema: bool = False, auto_create_table: bool = False,
    create_temp_table: bool = False, overwrite: bool = False, table_type: str = "",
    use_logical_type: bool | None = None, iceberg_config: dict[str, str] | None = None, **kwargs: Any,
) -> tuple[bool, int, int, list[tuple]]:
    """The connector's `write_pandas` on an emulator connection: the DataFrame's rows go into the table by column
    name in one statement (the connector stages a Parquet file and COPYs it; the result is the same rows).

    Returns (success, chunks, rows, COPY result rows) as the connector does.
    """
    if not isinstance(conn, Connection):
        raise TypeError("write_pandas under snowsim.patch() takes a connection made by snowflake.connector.connect")
    if iceberg_config:
        conn._raise(errors.NotSupportedError("write_pandas into an Iceberg table"))
    if create_temp_table:
        table_type = "temporary"
    if table_type.lower() not in ("", "temp", "temporary", "transient"):
        conn._raise(errors.ProgrammingError(
            f"Unsupported table type. Expected table types: temp/temporary, transient; got {table_type!r}"))

    def name(part: str) -> str:
        return quote(part) if quote_identifiers else part

    location = ".".join(name(part) for part in (database, schema, table_name) if part)
    rows = _arrow_rows(df)
    columns = [name(c) for c in rows.column_names]
    cursor = conn.cursor()
    target = location
    if auto_create_table:
        if overwrite:  # the connector loads a new table, then replaces the old one with it
            target = ".".join(name(p) for p in (database, schema, f"{table_name}_{uuid.uuid4().hex[:8]}") if p)
        definitions = ", ".join(f"{c} {_snowflake_type(t)}" for c, t in zip(columns, rows.schema.types, strict=True))
        cursor.execute(f"CREATE {table_type.upper()} TABLE IF NOT EXISTS {target} ({definitions})")
    elif overwrite:
        cursor.execute(f"TRUNCATE TABLE {location}")
    types = {row[0]: str(row[1]).upper() for row in cursor.execute(f"DESCRIBE TABLE {target}").fetchall()}
    rows = _fit_timestamps(rows, [types.get(c.strip('"') if quote_identifiers else c.upper(), "") for c in columns])
    try:
        conn._insert_arrow(target, rows.rename_columns(columns))
        if target != location:
            cursor.execute(f"DROP TABLE IF EXISTS {location}")
            cursor.execute(f"ALTER TABLE {target} RENAME TO {location}")
    except BaseException:
        if target != location:
            cursor.execute(f"DROP TABLE IF EXISTS {target}")
        raise
    file = f"file0.txt.{'gz' if compression == 'gzip' else 'snappy'}"
    return True, 1, rows.num_rows, [(file, "LOADED", rows.num_rows, rows.num_rows, 1, 0, None, None, None, None)]


def _fit_timestamps(rows: pa.Table, target_types: list[str]) -> pa.Table:
    """Zoned timestamps going into TIMESTAMP_NTZ columns keep their UTC wall time, as Snowflake loads them."""
    for i, (field, target) in enumerate(zip(rows.schema, target_types, strict=True)):
        if pa.types.is_timestamp(field.type) and field.type.tz and target.startswith("TIMESTAMP_NTZ"):
            naive = rows.column(i).cast(pa.timestamp(field.type.unit, "UTC")).cast(pa.timestamp(field.type.unit))
            rows = rows.set_column(i, field.name, naive)
    return rows

