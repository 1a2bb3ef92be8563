"""What a statement's code may use of the session and account it runs in.

The session layer implements `SessionLike` and `AccountLike` (session/session.py's Session and Account);
compilation, metadata and object modules receive them as parameters and name only these protocols,
so no layer below the sessions imports them (the anchors' "state comes in as arguments").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
import pyarrow as pa

from backends.clock import VirtualClock
from backends.duckdb.catalog.objects import Catalog, CatalogObject, Stream, Table
from backends.duckdb.catalog.warehouses import CostModel, Warehouse
from backends.duckdb.compile.results import Result
from backends.duckdb.compile.steps import Step
from backends.duckdb.sql.substitution import Variable
from backends.lineage import Lineage

#: Snowflake's default session time zone (TIMEZONE parameter).
DEFAULT_TIMEZONE = "America/Los_Angeles"

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class SessionContext:
    """The parts of a session that change how SQL text binds; part of every plan-cache key."""

    database: str | None
    schema: str | None
    role: str = "SYSADMIN"
    warehouse: str | None = None
    user: str = "SNOWSIM"
    account: str = "SNOWSIM"


@dataclass
class StatementRun:
    """Slot values and effects of one statement execution."""

    values: dict[str, object]
    hi: int
    csn: int
    streams: list[Stream]
    writes: list[Table]
    consumes: bool
    query_id: str


class AccountLike(Protocol):
    """The emulated account: its DuckDB database, catalog, clock, commit sequence and warehouses."""

    duck: duckdb.DuckDBPyConnection
    clock: VirtualClock
    catalog: Catalog
    committed_csn: int
    lineage: Lineage
    cost_model: CostModel
    warehouses: dict[str, Warehouse]
    dropped_warehouses: list[Warehouse]

    def state(self, kind: type[T]) -> T:
        """The account's one instance of an object kind's state (its scheduler, its load history)."""

    def activity(self, kind: str, name: str) -> AbstractContextManager: ...

    def session_for(self, obj: CatalogObject, warehouse: str | None) -> SessionLike: ...

    def end_session_for(self, obj: CatalogObject) -> None: ...

    def create_schema(self, database: str, schema: str) -> None: ...

    def stage_root(self) -> Path: ...

    def commit_append(self, session: SessionLike, table: Table, rows: pa.Table) -> int | None: ...


class SessionLike(Protocol):
    """One connection's session: its context, its DuckDB connection and its transaction."""

    account: AccountLike
    catalog: Catalog
    context: SessionContext
    duck: duckdb.DuckDBPyConnection
    timezone: str
    last_query_id: str | None
    #: Check statements by binding them first inside explicit transactions.
    bind_checks: bool
    #: Closed sessions run nothing (a channel of a closed connection refuses to commit).
    closed: bool
    autocommit: bool
    query_tag: str
    variables: dict[str, Variable]

    def set_context(self, **changes: Any) -> None: ...

    def set_timezone(self, timezone: str) -> None: ...

    def execute(self, sql: str, params: Any = None) -> Result: ...

    def select_row(self, sql: str, values: Sequence[Any]) -> tuple[tuple, Result]: ...

    def insert_arrow(self, table: str, rows: pa.Table) -> int | None: ...

    def execute_step(self, step: Step, run: StatementRun, params: Sequence[Any]) -> duckdb.DuckDBPyConnection: ...

    def query_scalar(self, step: Step, run: StatementRun, params: Sequence[Any]) -> int: ...

    def internal_run(self) -> StatementRun: ...

    def run_sql(self, text: str, run: StatementRun) -> int: ...

    def begin(self) -> None: ...

    def commit(self, written: Sequence[Table] = (), reads: Iterable[Table] = ()) -> None: ...

    def rollback(self) -> None: ...

    def commit_implicitly(self) -> None:
        """Commit an open transaction, as DDL does before it runs."""

    def on_commit(self, effect: Callable[[], None]) -> None:
        """Do `effect` when the open transaction commits (never, if it rolls back); now, outside one."""
