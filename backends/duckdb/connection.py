"""PEP 249 connection and cursor, shaped like `snowflake.connector`'s, over an emulator session."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pyarrow as pa

from backends.clock import Millis, VirtualClock
from backends.duckdb.catalog.warehouses import billed_ms
from backends.duckdb.compile.results import Result, ResultMetadata, RowsResult
from backends.duckdb.objects import channels, pipes
from backends.duckdb.objects.channels import Channel
from backends.duckdb.session.session import DEFAULT_TIMEZONE, Account, Session
from backends.errors import DatabaseError, Error, InterfaceError, NotSupportedError
from backends.lineage import Lineage
from backends.scripts import split_statements


class Connection:
    """A session on an emulated Snowflake account; what `backends.duckdb.connect()` returns."""

    def __init__(
        self,
        account: Account,
        *,
        current_database: str | None = None,
        current_schema: str | None = None,
        warehouse: str | None = None,
        role: str = "SYSADMIN",
        paramstyle: str = "pyformat",
        autocommit: bool = True,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self._account = account
        self._session = Session(
            account, database=current_database, schema=current_schema, warehouse=warehouse, role=role,
            paramstyle=paramstyle, autocommit=autocommit, timezone=timezone,
        )
        self._closed = False
        #: The session channels commit through (autocommit, apart from the connection's own transactions).
        self._ingest: Session | None = None
        #: The results of `execute_async` queries by query id: their description and rows.
        self._async_results: dict[str, tuple[list[ResultMetadata], list[tuple]]] = {}

    # --- what the connector exposes ---------------------------------------------------------------

    @property
    def clock(self) -> VirtualClock:
        """The virtual clock every timestamp in this account comes from."""
        return self._account.clock

    def _ran(self, command: str) -> None:
        """Called after each statement that succeeded (the connector's view of the session follows it)."""

    @property
    def database(self) -> str | None:
        return self._session.context.database

    @property
    def schema(self) -> str | None:
        return self._session.context.schema

    @property
    def warehouse(self) -> str | None:
        return self._session.context.warehouse

    @property
    def role(self) -> str:
        return self._session.context.role

    @property
    def paramstyle(self) -> str:
        return self._session.paramstyle

    @property
    def session_id(self) -> int:
        return id(self._session)

    def cursor(self, cursor_class: type[Cursor] | None = None) -> Cursor:
        self._check_open()
        return (cursor_class or Cursor)(self)

    def commit(self) -> None:
        self._check_open()
        self._session.commit()

    def rollback(self) -> None:
        self._check_open()
        self._session.rollback()

    def autocommit(self, mode: bool) -> None:
        """Turn autocommit on or off, as `snowflake.connector` does (ALTER SESSION SET AUTOCOMMIT)."""
        self._check_open()
        self._session.commit_implicitly()
        self._session.autocommit = bool(mode)

    def execute_string(
        self, sql_text: str, remove_comments: bool = False, return_cursors: bool = True,
        cursor_class: type[Cursor] | None = None, **kwargs: Any,
    ) -> list[Cursor]:
        """Run every statement of a script in order; the cursors of each, as the connector returns them."""
        cursors = []
        for statement in split_statements(sql_text):
            cursor = self.cursor(cursor_class)
            cursor.execute(statement, **kwargs)
            cursors.append(cursor)
        return cursors if return_cursors else []

    def execute_stream(
        self, stream: Any, remove_comments: bool = False, cursor_class: type[Cursor] | None = None
    ) -> Iterator[Cursor]:
        yield from self.execute_string(stream.read(), cursor_class=cursor_class)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            if self._ingest is not None:
                self._ingest.close()
            self._session.close()

    # --- ingestion verbs: how the harness's Snowpipe and Streaming models deliver rows ------------

    @property
    def lineage(self) -> Lineage:
        """Every committed table version, when it became visible and what it read (the harness's latency source)."""
        return self._account.lineage

    def on_activity(self, listener: Callable[[str, str], AbstractContextManager] | None) -> None:
        """`listener(kind, name)` is entered around each task run, refresh, pipe load and channel commit
        of the account (kind "task", "refresh", "pipe load", "COPY INTO", "channel commit"): how the
        harness finds where wall time goes. None stops it."""
        self._account.activity_listener = listener

    def open_channel(self, table: str, name: str) -> Channel:
        """Open or reopen a Snowpipe Streaming channel on `table`; every channel of the connection commits
        through one session of its own (autocommit), closed with the connection."""
        self._check_open()
        if self._ingest is None:
            self._ingest = Session(self._account, database=self.database, schema=self.schema,
                                   timezone=self._session.timezone, background=True)
        try:
            return channels.open_channel(self._ingest, table, name)
        except Error as error:
            self._raise(error)
            raise

    def insert_files(self, pipe: str, files: Iterable[str]) -> int:
        """Snowpipe's insertFiles (or an auto-ingest notification): queue staged files on `pipe`."""
        self._check_open()
        return pipes.insert_files(self._session, pipes.find_pipe(self._session, pipe), list(files))

    def load_next_file(self, pipe: str) -> pipes.LoadRecord | None:
        """Load the oldest file queued on `pipe`, now; None when the pipe had loaded that file already."""
        self._check_open()
        return pipes.load_next(self._session, pipes.find_pipe(self._session, pipe))

    def warehouse_periods(self, name: str) -> list[tuple[Millis, Millis, Millis]]:
        """When warehouse `name` ran: (resumed, suspended or now, billed until: the 60-second minimum), epoch ms."""
        self._check_open()
        warehouse = self._account.warehouses.get(name.upper())
        periods = warehouse.run_periods(self._account.clock.now()) if warehouse else []
        return [(start, end, start + billed_ms(start, end)) for start, end in periods]

    def is_closed(self) -> bool:
        return self._closed

    def _insert_arrow(self, table: str, rows: pa.Table) -> None:
        """INSERT an Arrow table's rows by column name (`write_pandas`); names are SQL identifiers."""
        self._check_open()
        try:
            self._session.insert_arrow(table, rows)
        except Error as error:
            self._raise(error)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Commit on success and roll back on error when autocommit is off, then close (the connector's rule)."""
        try:
            if not self._closed and not self._session.autocommit:
                if exc_type is None:
                    self.commit()
                else:
                    self.rollback()
        finally:
            self.close()

    def _check_open(self) -> None:
        if self._closed:
            self._raise(DatabaseError("Connection is closed", errno=250002, sqlstate="08003"))

    def _raise(self, error: Error) -> None:
        """Raise `error` in the exception classes callers expect (patch() maps to the connector's)."""
        raise error

    def __repr__(self) -> str:
        return f"<snowsim DuckDB connection {self.database}.{self.schema} at {self.clock}>"


class Cursor:
    """A PEP 249 cursor with the connector's extras (sfqid, sqlstate, describe, Arrow and pandas fetches,
    result batches, execute_async), behaving as `snowflake.connector`'s cursor does, misuse included."""

    arraysize = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._result: Result | None = None
        self._closed = False
        self.sfqid: str | None = None
        #: The SQLSTATE of the last statement's error; None after a success (the connector's rule).
        self.sqlstate: str | None = None
        self.query: str | None = None
        self._executemany_total: int | None = None
        #: The whole result as Arrow, once a DataFrame or Arrow fetch has read it (they can be repeated).
        self._arrow: pa.Table | None = None
        #: A query id whose result `get_results_from_sfqid` could not find (fetching then says so).
        self._unknown_sfqid: str | None = None

    # --- executing ------------------------------------------------------------------------------------

    def execute(self, command: str, params: Any = None, **kwargs: Any) -> Cursor:
        """Run one statement; `params` bind its placeholders (paramstyle of the connection)."""
        self._check_open()
        self._reset(command)
        session = self.connection._session
        try:
            self._result = session.execute(command, params)
        except Error as error:
            self._failed(error, command)
        self.sfqid = session.last_query_id
        self.connection._ran(command)
        return self

    def execute_async(self, command: str, params: Any = None, **kwargs: Any) -> dict[str, Any]:
        """The connector's asynchronous execute: here the statement runs to its end before this returns, and
        its result is kept on the connection for `get_results_from_sfqid` (Snowflake keeps results 24 h)."""
        self.execute(command, params)
        assert self._result is not None and self.sfqid is not None
        self.connection._async_results[self.sfqid] = self._result.description, self._result.fetchall()
        self._result = None
        return {"queryId": self.sfqid}

    def get_results_from_sfqid(self, sfqid: str) -> None:
        """Make the result of an `execute_async` query this cursor's result."""
        self._check_open()
        self._reset(None)
        self.sfqid = sfqid
        kept = self.connection._async_results.get(sfqid)
        if kept is None:
            self._unknown_sfqid = sfqid
            return
        description, rows = kept
        self._result = RowsResult(description, list(rows))

    def query_result(self, qid: str) -> Cursor:
        self.get_results_from_sfqid(qid)
        return self

    def describe(self, command: str, params: Any = None, **kwargs: Any) -> list[ResultMetadata]:
        """The description the statement's result would have, without running it."""
        self._check_open()
        try:
            return self.connection._session.describe(command, params)
        except Error as error:
            error.query = error.query or command
            self.connection._raise(error)
            raise

    def _reset(self, command: str | None) -> None:
        self.query, self._result, self._arrow, self._executemany_total = command, None, None, None
        self.sqlstate = self._unknown_sfqid = None

    def _failed(self, error: Error, command: str) -> None:
        self.sfqid = error.sfqid = self.connection._session.last_query_id
        self.sqlstate = error.sqlstate
        error.query = error.query or command
        self.connection._raise(error)

    def executemany(self, command: str, seqparams: Iterable[Any], **kwargs: Any) -> Cursor:
        """Run a statement for every parameter set; rowcount is the total.

        An INSERT ... VALUES of binds runs once over all sets, as the connector's bulk insert does
        (one statement, one change-log entry per row); anything else runs once per set.
        """
        self._check_open()
        seqparams = list(seqparams)
        session = self.connection._session
        self._reset(command)
        try:
            self._result = session.execute_many(command, seqparams)
        except Error as error:
            self._failed(error, command)
        if self._result is not None:
            self.sfqid = session.last_query_id
            return self
        # An INSERT stays one atomic change even row by row (the connector sends it as one statement).
        atomic = command.lstrip()[:6].upper() == "INSERT" and session.txn is None
        if atomic:
            session.begin()
        total = 0
        try:
            for params in seqparams:
                self.execute(command, params, **kwargs)
                total += max(self.rowcount or 0, 0)
        except BaseException:
            if atomic:
                session.rollback()
            raise
        if atomic:
            session.commit()
        self._executemany_total = total
        return self

    # --- results ---------------------------------------------------------------------------------------

    @property
    def description(self) -> list[ResultMetadata] | None:
        return self._result.description if self._result is not None else None

    @property
    def rowcount(self) -> int | None:
        if self._executemany_total is not None:
            return self._executemany_total
        return self._result.rowcount if self._result is not None else None

    def _rows(self) -> Result:
        self._check_open()
        if self._unknown_sfqid is not None:
            self.connection._raise(DatabaseError(
                "Cannot retrieve data on the status of this query. No information returned from server for query "
                f"'{self._unknown_sfqid}'"))
        if self._result is None:
            # The connector's own error for a fetch before any execute.
            raise TypeError("'NoneType' object is not an iterator (no result to fetch: call execute() first)")
        return self._result

    def _shape(self, rows: list[tuple]) -> list[Any]:
        return rows

    def fetchone(self) -> Any | None:
        rows = self._shape(self._rows().fetchmany(1))
        return rows[0] if rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._shape(self._rows().fetchmany(size or self.arraysize))

    def fetchall(self) -> list[Any]:
        return self._shape(self._rows().fetchall())

    def fetch_arrow_all(self, force_return_table: bool = False, **kwargs: Any) -> pa.Table | None:
        """The whole result as one Arrow table, straight from DuckDB; None for no rows unless
        `force_return_table` (the connector's rule). Asking again gives the same table."""
        table = self._arrow_result()
        return table if table.num_rows or force_return_table else None

    def fetch_arrow_batches(self, **kwargs: Any) -> Iterator[pa.Table]:
        table = self._arrow_result()
        yield from (pa.Table.from_batches([batch], table.schema) for batch in table.to_batches())

    def fetch_polars(self) -> Any:
        """snowsim extension: the whole result as a polars DataFrame (via Arrow, no Python rows)."""
        import polars as pl

        return pl.from_arrow(self._arrow_result())

    def fetch_pandas_all(self, **kwargs: Any) -> Any:
        return _to_pandas(self._arrow_result(pandas=True), **kwargs)

    def fetch_pandas_batches(self, **kwargs: Any) -> Iterator[Any]:
        for table in self.fetch_arrow_batches():
            yield _to_pandas(table, **kwargs)

    def get_result_batches(self) -> list[ResultBatch] | None:
        """The result as the connector's result batches (here one), None before any execute."""
        if self._result is None:
            return None
        rows = self._result.remaining_rows()
        return [ResultBatch(self._result.description, rows, self._shape)]

    def _arrow_result(self, pandas: bool = False) -> pa.Table:
        if self._result is None and self._unknown_sfqid is None:
            self._check_open()
            # The connector's NotSupportedError: no Arrow result to read.
            self.connection._raise(NotSupportedError(
                "fetching a DataFrame or Arrow table before execute()", detail="there is no result yet"))
        if self._arrow is None:
            self._arrow = self._rows().arrow()
        return self._arrow

    def __iter__(self) -> Iterator[Any]:
        while (row := self.fetchone()) is not None:
            yield row

    # --- lifecycle -----------------------------------------------------------------------------------

    def close(self) -> bool:
        self._closed = True
        self._result = None
        return True

    def is_closed(self) -> bool:
        return self._closed

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _check_open(self) -> None:
        if self._closed:
            self.connection._raise(InterfaceError("Cursor is closed in execute.", errno=252006))
        self.connection._check_open()


class DictCursor(Cursor):
    """Rows as dicts keyed by column name, like `snowflake.connector.DictCursor`."""

    def _shape(self, rows: list[tuple]) -> list[Any]:
        names = [d.name for d in self.description or []]
        return [dict(zip(names, row, strict=True)) for row in rows]



class ResultBatch:
    """One batch of a result, as the connector's `get_result_batches()` gives: iterate it for rows (tuples, or
    dicts from a DictCursor), or turn it into Arrow or pandas."""

    def __init__(self, description: list[ResultMetadata], rows: list[tuple],
                 shape: Callable[[list[tuple]], list[Any]]) -> None:
        self.schema = description
        self._rows = rows
        self._shape = shape

    @property
    def rowcount(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._shape(self._rows))

    def to_arrow(self, **kwargs: Any) -> pa.Table:
        return RowsResult(self.schema, list(self._rows)).arrow()

    def to_pandas(self, **kwargs: Any) -> Any:
        return _to_pandas(self.to_arrow(), **kwargs)


def _to_pandas(table: pa.Table, **kwargs: Any) -> Any:
    try:
        import pandas  # noqa: F401
    except ImportError as error:
        raise NotSupportedError("DataFrame fetches without pandas installed", detail="pip install pandas") from error
    return table.to_pandas(**kwargs)
