"""An emulated Snowflake account and the sessions that run statements in it.

The account owns the DuckDB database, the catalog, the virtual clock and the commit sequence
number (CSN): every transaction that writes a tracked table takes the next CSN when it commits, in
commit order, and a stream's offset is a CSN. A session is one connection's worth of state: current database and
schema, an explicit transaction if one is open, and its own DuckDB connection, so transactions
of different sessions are isolated the way DuckDB isolates connections.

Transactions follow https://docs.snowflake.com/en/sql-reference/transactions: autocommit by
default; BEGIN ... COMMIT groups statements; DDL commits an open transaction first. Stream
offsets move only when a DML statement that read the stream commits, to the upper bound it read:
the last committed CSN in autocommit, the CSN at BEGIN inside an explicit transaction.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from backends.clock import VirtualClock
from backends.duckdb.catalog.objects import (
    Catalog,
    CatalogObject,
    Database,
    Schema,
    Stream,
    Table,
    stream_sources,
)
from backends.duckdb.catalog.tracking import CSN
from backends.duckdb.catalog.warehouses import CostModel, Warehouse
from backends.duckdb.compile.context import DEFAULT_TIMEZONE, SessionContext, StatementRun
from backends.duckdb.compile.dml import BOUND_ROWS
from backends.duckdb.compile.plans import MERGE_COUNT_COLUMNS, MergePlan, Plan, ResultKind, SqlPlan
from backends.duckdb.compile.results import DuckResult, Result, ResultMetadata, number_column, text_column
from backends.duckdb.compile.steps import Step
from backends.duckdb.maintenance.compaction import Compaction, log_floors
from backends.duckdb.maintenance.stream_changes import check_not_expired, check_readable, has_data
from backends.duckdb.objects.tasks.scheduler import TaskScheduler
from backends.duckdb.session import deferred, dispatch
from backends.duckdb.sql import engine_errors
from backends.duckdb.sql import params as params_module
from backends.duckdb.sql.macros import create_macros
from backends.duckdb.sql.names import duck_schema, quote
from backends.duckdb.sql.substitution import MAY_SUBSTITUTE, Variable, substitute
from backends.duckdb.sql.template import Template
from backends.duckdb.sql.translate import NOW_VARIABLE
from backends.errors import Error, NotSupportedError, OperationalError, ProgrammingError
from backends.lineage import Lineage

try:  # DuckDB's bind-without-running, used to validate statements inside explicit transactions.
    from duckdb import _seam as _duckdb_seam
except ImportError:  # pragma: no cover - other DuckDB builds
    _duckdb_seam = None

T = TypeVar("T")

#: An open transaction's change-log rows carry PENDING_CSN + its number until COMMIT gives them the next CSN:
#: above every real CSN, so the transaction's own reads treat them as later than its snapshot.
PENDING_CSN = 1 << 62

#: The result columns of DML other than MERGE (whose columns follow its WHEN clauses).
_DML_COLUMNS = {
    ResultKind.INSERT: [number_column("number of rows inserted")],
    ResultKind.UPDATE: [number_column("number of rows updated"), number_column("number of multi-joined rows updated")],
    ResultKind.DELETE: [number_column("number of rows deleted")],
}
#: Commands that only read, so describe() may run them for their columns.
_READ_ONLY_COMMAND = re.compile(r"\s*(SHOW|DESC|DESCRIBE|LIST|LS)\b", re.I)



class Account:
    """One emulated Snowflake account: a DuckDB database, its catalog, clock and CSN."""

    def __init__(self, duck: duckdb.DuckDBPyConnection, clock: VirtualClock, *, stage_root: Path | None = None) -> None:
        self.duck = duck
        create_macros(duck)
        self.compaction = Compaction(duck.cursor())
        self.clock = clock
        self.catalog = Catalog()
        self.committed_csn = 0
        #: Held while a commit takes its CSN and lands in DuckDB, and while a reader fixes its snapshot: CSNs
        #: then follow DuckDB's commit order, and a reader's upper bound never names an unfinished commit.
        self.commit_lock = threading.RLock()
        self._transactions = itertools.count(1)
        self.lineage = Lineage()
        #: Appends committed but not yet written to DuckDB (session/deferred.py), in commit order.
        self.deferred = deferred.DeferredAppends(duck)
        self._stage_root = stage_root
        #: Folders of its own (a temporary stage root), removed at close.
        self._owned: list[Path] = []
        self._seq = itertools.count(1)
        self._query_ids = itertools.count(1)
        self.plans: dict[tuple, Plan] = {}
        self.sessions: list[Session] = []
        self.cost_model = CostModel()
        self.warehouses: dict[str, Warehouse] = {}
        #: Dropped warehouses keep their billing history.
        self.dropped_warehouses: list[Warehouse] = []
        #: Sessions of tasks and dynamic tables, by object uid.
        self._background: dict[int, Session] = {}
        #: Each object kind's state, by its class (`state`): schedulers, load history, channels.
        self._states: dict[type, Any] = {}
        #: An account made by `connect()` belongs to its connections and closes with the last of them.
        self.close_with_last_session = False
        self.closed = False
        #: Told what the account is busy with, for a harness that times it (`activity`); None: nobody asks.
        self.activity_listener: Callable[[str, str], AbstractContextManager] | None = None
        clock.add_guard(self._refuse_clock_move_in_transaction)

    def state(self, kind: type[T]) -> T:
        """The account's one instance of an object kind's state (a scheduler, the load history), made from
        the account on first use: object modules find their own state here, by class."""
        found = self._states.get(kind)
        if found is None:
            found = self._states[kind] = kind(self)
        return found

    def activity(self, kind: str, name: str) -> AbstractContextManager:
        """A context for work done on an object's behalf (a task run, a refresh, a pipe load, a channel
        commit): the listener, if any, is told when it starts and ends. The emulator never reads the
        wall clock itself."""
        listener = self.activity_listener
        return listener(kind, name) if listener is not None else contextlib.nullcontext()

    def _refuse_clock_move_in_transaction(self) -> None:
        """Scheduled work would run inside an open explicit transaction: refuse to move time."""
        if any(s.txn is not None for s in self.sessions):
            raise ProgrammingError(
                "snowsim: the virtual clock cannot move while a session has an open transaction; "
                "COMMIT or ROLLBACK first (scheduled work would run inside it).",
                sqlstate="25001",
            )

    def close(self) -> None:
        """End every session left (the emulator's own), release the DuckDB database (in memory, so its data is
        gone) and remove the folders the account owns."""
        if self.closed:
            return
        self.closed = True
        for session in list(self.sessions):
            session.close()
        self._background.clear()
        self.plans.clear()
        self.duck.close()
        for folder in self._owned:
            shutil.rmtree(folder, ignore_errors=True)

    def compact_if_due(self) -> None:
        """After a commit: when the tables have grown past the compaction budget, prune the change
        logs and checkpoint (maintenance/compaction.py)."""
        if not self.compaction.due(in_transaction=any(s.txn is not None for s in self.sessions)):
            return
        for session in self.sessions:
            session.release_pending()  # its unfetched result holds a DuckDB transaction open
        self.compaction.prune(log_floors(self.catalog.objects(), self.committed_csn))
        self.compaction.checkpoint()

    def commit_append(self, session: Session, table: Table, rows: pa.Table) -> int | None:
        """Commit an append from `session` that cannot fail now and write it before the next reader (deferred.py).

        Returns its CSN, or None when it must take the INSERT path instead.
        """
        prepared = deferred.prepare(session, table, rows)
        if prepared is None:
            return None
        with self.commit_lock:
            csn = self.committed_csn + 1
            self.deferred.waiting.append(deferred.DeferredAppend(table, prepared, csn, self.next_seq()))
            self.record_commit(csn, [table], reads=(), snapshot=csn - 1)
        self.state(TaskScheduler).on_commit({table})
        return csn

    def record_commit(self, csn: int, written: Any, *, reads: Any, snapshot: int) -> None:
        """A commit in the account's books: the committed CSN, its tables' last change, version lineage."""
        self.committed_csn = csn
        tracked = [table for table in written if table.tracking is not None]
        for table in tracked:
            table.tracking.last_change_csn = csn
        self.lineage.record(
            csn, [str(t.name) for t in tracked], [str(t.name) for t in reads], snapshot, self.clock.now()
        )

    def flush_deferred(self) -> None:
        """Write every waiting append (before any statement or transaction reads the data); a flush another
        thread has begun is finished before this returns."""
        with self.commit_lock:
            if self.deferred.waiting:
                waiting, self.deferred.waiting = self.deferred.waiting, []
                tables = sorted({append.table.name.name for append in waiting})
                with self.activity("channel commit", ", ".join(tables)):  # the rows of the commits, written now
                    deferred.write(self.deferred, waiting)

    def pending_csn(self) -> int:
        """The placeholder CSN of a new transaction's change-log rows (PENDING_CSN)."""
        return PENDING_CSN + next(self._transactions)

    def stage_root(self) -> Path:
        """Where internal stages keep their files: the root given at connect, else a temporary directory."""
        if self._stage_root is None:
            self._stage_root = Path(tempfile.mkdtemp(prefix="snowsim-stages-"))
            self._owned.append(self._stage_root)
        return self._stage_root

    def next_seq(self) -> int:
        return next(self._seq)

    def next_query_id(self) -> str:
        n = next(self._query_ids)
        return f"01{n >> 48:06x}-0000-{(n >> 32) & 0xFFFF:04x}-0000-{n & 0xFFFFFFFF:012x}"

    def session_for(self, obj: CatalogObject, warehouse: str | None) -> Session:
        """The session a task or dynamic table runs its SQL in (in its schema), kept until `end_session_for`."""
        session = self._background.get(obj.uid)
        if session is None:
            session = Session(self, database=obj.name.database, schema=obj.name.schema, warehouse=warehouse,
                              background=True)
            self._background[obj.uid] = session
        return session

    def end_session_for(self, obj: CatalogObject) -> None:
        session = self._background.pop(obj.uid, None)
        if session is not None:
            session.close()

    def ensure_warehouse(self, name: str) -> Warehouse:
        """The warehouse `name`, created X-Small and suspended if missing (a new account's COMPUTE_WH)."""
        if name not in self.warehouses:
            self.warehouses[name] = Warehouse(name, created_on=self.clock.now())
        return self.warehouses[name]

    def ensure_database(self, name: str) -> None:
        """Create database `name` with schema PUBLIC if it does not exist (like a fresh account's default)."""
        catalog = self.catalog
        if name not in catalog.databases:
            now = self.clock.now()
            catalog.databases[name] = Database(name, now)
            self.create_schema(name, "PUBLIC")

    def create_schema(self, database: str, schema: str) -> None:
        self.duck.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(duck_schema(database, schema))}")
        self.catalog.databases[database].schemas[schema] = Schema(schema, database, self.clock.now())
        self.catalog.changed()


@dataclass
class Transaction:
    """An explicit transaction: the CSN it reads at, the one it writes, and effects kept until COMMIT."""

    start_csn: int
    csn: int
    consumed: dict[Stream, int] = field(default_factory=dict)
    written: set[Table] = field(default_factory=set)
    #: Tables its statements read (directly or through streams), for version lineage.
    reads: set[Table] = field(default_factory=set)
    aborted: str | None = None  # the error that ended it inside DuckDB
    implicit: bool = False
    #: What its statements change outside DuckDB, done when it commits (load metadata, load records).
    effects: list[Callable[[], None]] = field(default_factory=list)


class Session:
    """Statement execution for one connection."""

    def __init__(
        self,
        account: Account,
        *,
        database: str | None,
        schema: str | None,
        warehouse: str | None = None,
        role: str = "SYSADMIN",
        paramstyle: str = "pyformat",
        autocommit: bool = True,
        timezone: str = DEFAULT_TIMEZONE,
        background: bool = False,
    ) -> None:
        self.account = account
        #: A session the emulator opened for its own work (a task's, a refresh's, a connection's channels):
        #: it does not keep an account that belongs to its connections open.
        self.background = background
        self.closed = False
        self.catalog = account.catalog
        self.duck = account.duck.cursor()
        self.context = SessionContext(database, schema, role=role, warehouse=warehouse)
        self._context_key = hash(self.context)
        self.paramstyle = paramstyle
        self.autocommit = autocommit
        self.txn: Transaction | None = None
        self.pending: Result | None = None
        self.last_query_id: str | None = None
        self._clock_ms: int | None = None
        self.timezone = timezone
        self.query_tag = ""
        #: Session variables by name (SET / UNSET).
        self.variables: dict[str, Variable] = {}
        #: Check statements by binding them first inside explicit transactions (see `_bind_check`).
        self.bind_checks = True
        self.set_timezone(timezone)
        # sqlglot writes DuckDB lambdas with a single arrow; JSON's -> operator is unaffected.
        self.duck.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")
        account.sessions.append(self)

    # --- entry point ---------------------------------------------------------------------------

    def execute(self, sql: str, params: Any = None) -> Result:
        """Run one Snowflake statement with its bind values."""
        text, values = params_module.normalize(sql, params, self.paramstyle)
        if MAY_SUBSTITUTE.search(text):
            text, values = substitute(text, values, self.variables)
        plan = None
        # Literals become binds so statements that differ only in values share a plan; statements that
        # already bind their values rarely carry literals worth lifting.
        if not values:
            lifted = (params_module.lift_insert_literals(text, values) if text.lstrip()[:6].upper() == "INSERT"
                      else params_module.lift_filter_literals(text))
            if lifted is not None:
                try:
                    plan = self._plan(lifted[0])
                    text, values = lifted
                except Error:
                    plan = None  # compile the statement as written: its error then names what the user wrote
        if plan is None:
            plan = self._plan(text)
        self.last_query_id = self.account.next_query_id()
        return self.run(plan, values)

    def execute_many(self, sql: str, seq_params: Sequence[Any]) -> Result | None:
        """An INSERT ... VALUES of binds, once over every parameter set, as the connector's bulk insert does.

        The parameter sets travel to DuckDB as one Arrow table; None when the statement has no such
        form (or the values do not make typed columns), and the caller runs it once per set.
        """
        normalized = params_module.normalize_many(sql, seq_params, self.paramstyle) if seq_params else None
        if normalized is None:
            return None
        text, value_rows = normalized
        plan = self._plan(text)
        bulk = getattr(plan, "bulk", None)
        if bulk is None:
            return None
        try:
            rows = pa.table({f"c{i}": [values[i] for values in value_rows] for i in range(len(value_rows[0]))})
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, IndexError):
            return None
        return self._run_bulk(bulk, rows)

    def describe(self, sql: str, params: Any = None) -> list[ResultMetadata]:
        """The description a statement's result would have, without running it (the connector's describe()).

        A query is bound in DuckDB with no rows asked for; DML gives its counts columns; DDL and session commands
        their status column, SHOW/DESCRIBE/LIST their own columns (they only read).
        """
        text, values = params_module.normalize(sql, params, self.paramstyle)
        if MAY_SUBSTITUTE.search(text):
            text, values = substitute(text, values, self.variables)
        plan = self._plan(text)
        self.release_pending()
        if isinstance(plan, MergePlan):
            return [number_column(MERGE_COUNT_COLUMNS[kind]) for kind in plan.clause_kinds]
        if isinstance(plan, SqlPlan):
            if plan.result == ResultKind.ROWS:
                return self._describe_query(plan, values)
            return _DML_COLUMNS.get(plan.result, [text_column("status")])
        if _READ_ONLY_COMMAND.match(text):
            return self.run(plan, values).description
        return [text_column("status")]

    def _describe_query(self, plan: SqlPlan, values: Sequence[Any]) -> list[ResultMetadata]:
        if len(plan.steps) != 1:
            raise NotSupportedError("describe() of a query the emulator runs in several steps")
        for function in plan.bindings.functions:
            self.duck.register(function.view, function.arrow(self.account))
        step = plan.steps[0]
        sql = step.render(self._statement_run(plan).values)
        duck = engine_errors.execute(self.duck, f"SELECT * FROM ({sql}) LIMIT 0", step.args(values))
        return DuckResult(duck).description

    def select_row(self, sql: str, values: Sequence[Any]) -> tuple[tuple, Result]:
        """The first row of a query already in `:n` bind form, and its result (SET evaluates its values so)."""
        result = self.run(self._plan(sql), values)
        return result.fetchmany(1)[0], result

    def insert_arrow(self, table: str, rows: pa.Table) -> int | None:
        """INSERT an Arrow table's rows into `table` by column name, as one statement; the CSN it committed.

        How Snowpipe loads and Snowpipe Streaming commits land rows: no SQL text per row, and the
        table's defaults, computed columns and change tracking apply as for any INSERT. The CSN is
        None for a table without change tracking (its commits take none).
        """
        columns = ", ".join(rows.column_names)
        slots = ", ".join(f":{i}" for i in range(1, rows.num_columns + 1))
        plan = self._plan(f"INSERT INTO {table} ({columns}) VALUES ({slots})")
        bulk = getattr(plan, "bulk", None)
        assert bulk is not None, "an INSERT ... VALUES of binds always has a bulk plan"
        before = self.account.committed_csn
        self._run_bulk(bulk, rows.rename_columns([f"c{i}" for i in range(rows.num_columns)]))
        return self.account.committed_csn if self.account.committed_csn > before else None

    def _run_bulk(self, bulk: Plan, rows: pa.Table) -> Result:
        self.last_query_id = self.account.next_query_id()
        self.release_pending()
        # Registering again replaces the relation: no unregister (a DuckDB call) per statement.
        self.duck.register(BOUND_ROWS.strip('"'), rows)
        return self.run(bulk, [])

    def _plan(self, text: str) -> Plan:
        """The compiled plan of a normalized statement, from the account's cache when still valid."""
        key = (text, self._context_key)
        plan = self.account.plans.get(key)
        if plan is None or plan.version != self.catalog.version:
            self.release_pending()
            plan = dispatch.compile_statement(text, self)
            if plan.cacheable:
                self.account.plans[key] = plan
        return plan

    def run(self, plan: Plan, values: Sequence[Any]) -> Result:
        self.account.flush_deferred()
        self.release_pending()
        if plan.reads_clock:
            self._sync_clock()
        if plan.ddl:
            self.commit_implicitly()
        result = self.run_statement(plan, values) if isinstance(plan, SqlPlan) else plan.run(self, values)
        if isinstance(plan, SqlPlan) and plan.result == ResultKind.ROWS:
            self.pending = result
        return result

    # --- statements ------------------------------------------------------------------------------

    def run_statement(self, plan: SqlPlan, params: Sequence[Any]) -> Result:
        """Run a query or DML plan with Snowflake's transaction rules around it."""
        if self.txn is None and not self.autocommit and plan.result != ResultKind.ROWS:
            # With AUTOCOMMIT off the first DML statement begins a transaction; a query does not
            # (https://docs.snowflake.com/en/sql-reference/transactions#autocommit).
            self.begin(implicit=True)
        txn = self.txn
        if txn is not None and txn.aborted:
            raise OperationalError(
                "snowsim: the current transaction was ended inside DuckDB by an earlier error "
                f"({txn.aborted}); the emulator cannot roll back a single statement, so ROLLBACK "
                "and run the transaction again.",
                sqlstate="25P02",
            )
        for function in plan.bindings.functions:
            self.duck.register(function.view, function.arrow(self.account))
        if txn is None:
            # A write or a consumption takes its CSN and commits under the lock, so CSNs follow commit order.
            with self.account.commit_lock if plan.writes or plan.consumes else contextlib.nullcontext():
                return self._autocommit(plan, params)
        run = self._statement_run(plan)
        if plan.check is not None and self.bind_checks:
            self._bind_check(plan.check, run, params)
        try:
            result = plan.execute(self, run, params)
        except Exception as error:
            txn.aborted = str(error).splitlines()[0][:200]
            raise
        if run.consumes:
            for stream in run.streams:
                txn.consumed.setdefault(stream, run.hi)
        txn.effects.extend(plan.effects)
        txn.written.update(run.writes)
        if run.writes:
            txn.reads.update(_reads(plan))
        return result

    def _autocommit(self, plan: SqlPlan, params: Sequence[Any]) -> Result:
        """Run a statement in its own transaction (one DuckDB statement, or several between BEGIN and COMMIT)."""
        self.account.flush_deferred()  # an append committed since the statement began: its rows before the bound
        run = self._statement_run(plan)
        atomic = not plan.one_statement
        if atomic:
            self.duck.execute("BEGIN TRANSACTION")
        try:
            result = plan.execute(self, run, params)
            if atomic:
                self.duck.execute("COMMIT")
        except Exception:
            if atomic:
                self._rollback_quietly()
            raise
        self._apply(
            run.csn if run.writes else None,
            run.writes,
            {s: run.hi for s in run.streams} if run.consumes else {},
            reads=_reads(plan),
            snapshot=run.hi,
        )
        for effect in plan.effects:
            effect()
        return result

    def _statement_run(self, plan: SqlPlan) -> StatementRun:
        txn = self.txn
        hi = txn.start_csn if txn else self.account.committed_csn
        csn = txn.csn if txn else self.account.committed_csn + 1
        now = self.account.clock.now()
        values: dict[str, object] = {"hi": hi, "csn": csn, "seq": self.account.next_seq()}
        for stream in plan.bindings.streams:
            check_not_expired(stream, now)
            # The committed offset, even after a consumption earlier in this transaction: every read
            # inside a transaction returns the same change set (repeatable read, section 1.5).
            offset = stream.offset
            values[f"lo_{stream.uid}"] = offset if offset is not None else 0
            values[f"initial_{stream.uid}"] = offset is None
        for stream in plan.bindings.has_data:
            values[f"has_data_{stream.uid}"] = has_data(stream, now)
        for stream in plan.bindings.table_timestamps:
            values[f"table_ts_{stream.uid}"] = self.stream_table_timestamp(stream)
        return StatementRun(
            values, hi, csn, plan.bindings.streams, plan.writes, plan.consumes, self.last_query_id or ""
        )

    def execute_step(self, step: Step, run: StatementRun, params: Sequence[Any]) -> duckdb.DuckDBPyConnection:
        return engine_errors.execute(self.duck, step.render(run.values), step.args(params))

    # --- internal work (refreshes) inside this session's open transaction --------------------------

    def internal_run(self) -> StatementRun:
        """Slot values for one internal statement of the open transaction (its CSN, a new statement number)."""
        txn = self.txn
        assert txn is not None, "internal statements run inside a transaction"
        values: dict[str, object] = {"hi": txn.start_csn, "csn": txn.csn, "seq": self.account.next_seq()}
        return StatementRun(values, txn.start_csn, txn.csn, [], [], False, self.last_query_id or "")

    def render(self, text: str, run: StatementRun) -> str:
        return Template(text).render(run.values)

    def run_sql(self, text: str, run: StatementRun) -> int:
        """Execute internal SQL with slots; returns the row count it reports (0 when it reports none)."""
        rows = engine_errors.execute(self.duck, self.render(text, run)).fetchall()
        return int(rows[0][0]) if rows and rows[0] and isinstance(rows[0][0], int) else 0

    def query_scalar(self, step: Step, run: StatementRun, params: Sequence[Any]) -> int:
        return int(self.execute_step(step, run, params).fetchall()[0][0])

    def _bind_check(self, step: Step, run: StatementRun, params: Sequence[Any]) -> None:
        """Surface compile errors without touching the transaction (any DuckDB error aborts it)."""
        if _duckdb_seam is None:
            return
        sql = step.render(run.values)
        try:
            _duckdb_seam.bind(self.duck, sql, values=step.args(params))
        except duckdb.Error as error:
            raise engine_errors.translate(error, sql=sql) from error

    def stream_table_timestamp(self, stream: Stream) -> int:
        """SYSTEM$STREAM_GET_TABLE_TIMESTAMP: when the source table's latest version at or before the stream's
        offset committed, epoch nanoseconds; the table's creation (version t0) if nothing changed it before.
        A stale stream has no offset on its table to date: refused as reading it is."""
        check_readable(stream, self.catalog)
        check_not_expired(stream, self.account.clock.now())
        table = stream.source
        name, offset = str(table.name), stream.offset
        for version in reversed(self.account.lineage.versions):  # in commit order
            at_or_before = version.csn <= offset if offset is not None else version.visible_at <= stream.created_on
            if version.table == name and at_or_before:
                return version.visible_at * 1_000_000
        if table.tracking is None or table.tracking.since != table.created_on:
            # Changes made before tracking began (the first stream) left no version to date.
            raise NotSupportedError(f"SYSTEM$STREAM_GET_TABLE_TIMESTAMP before the first change tracked on {name}",
                                    detail="the emulator dates table versions from the table's first stream on; "
                                           "consume the stream first")
        return table.created_on * 1_000_000

    # --- transactions ----------------------------------------------------------------------------

    def begin(self, *, implicit: bool = False) -> None:
        if self.txn is not None:
            return  # Snowflake ignores BEGIN inside a transaction
        account = self.account
        with account.commit_lock:  # no commit between DuckDB's snapshot and the CSN it is read at
            account.flush_deferred()  # the transaction's snapshot holds everything committed before it
            self.duck.execute("BEGIN TRANSACTION")
            self.txn = Transaction(start_csn=account.committed_csn, csn=account.pending_csn(), implicit=implicit)

    def commit(self, written: Sequence[Table] = (), reads: Iterable[Table] = ()) -> None:
        """COMMIT; `written` and `reads` add the tables internal statements changed and read (lineage)."""
        txn = self.txn
        if txn is None:
            return
        txn.written.update(written)
        txn.reads.update(reads)
        if txn.aborted:
            self.rollback()
            raise OperationalError(
                f"snowsim: COMMIT of a transaction DuckDB had already ended ({txn.aborted}); it was rolled back.",
                sqlstate="25P02",
            )
        with self.account.commit_lock:
            csn = self.account.committed_csn + 1 if txn.written else None
            try:
                for table in txn.written:  # the transaction's log rows take its CSN, now that it commits
                    if table.tracking is not None:
                        self.duck.execute(f"UPDATE {table.tracking.changes} SET {CSN} = {csn} WHERE {CSN} = {txn.csn}")
                self.duck.execute("COMMIT")
            except duckdb.Error as error:
                self.txn = None
                self._rollback_quietly()
                raise engine_errors.translate(error) from error
            self.txn = None
            self._apply(csn, txn.written, txn.consumed, reads=txn.reads, snapshot=txn.start_csn)
            for effect in txn.effects:
                effect()

    def rollback(self) -> None:
        if self.txn is None:
            return
        self.txn = None
        self._rollback_quietly()

    def commit_implicitly(self) -> None:
        """DDL commits an open transaction before it runs."""
        if self.txn is not None:
            self.commit()

    def on_commit(self, effect: Callable[[], None]) -> None:
        """Do `effect` when the open transaction commits (never, if it rolls back); now, outside one."""
        if self.txn is not None:
            self.txn.effects.append(effect)
        else:
            effect()

    def _rollback_quietly(self) -> None:
        try:
            self.duck.execute("ROLLBACK")
        except duckdb.Error:
            pass  # DuckDB had no transaction left to roll back

    def _apply(
        self, csn: int | None, written: Any, consumed: dict[Stream, int], *, reads: Any = (), snapshot: int = 0
    ) -> None:
        """Make a committed statement's or transaction's effects visible to streams, and log the versions."""
        now = self.account.clock.now()
        if csn is not None:
            self.account.record_commit(csn, written, reads=reads, snapshot=snapshot)
        for stream, hi in consumed.items():  # an offset never moves back (another consumer may have gone further)
            stream.offset = hi if stream.offset is None else max(stream.offset, hi)
            stream.stale_from = now
        if csn is not None:
            self.account.state(TaskScheduler).on_commit(set(written))
        self.account.compact_if_due()

    # --- plumbing ----------------------------------------------------------------------------

    def evaluate(self, query: str) -> tuple:
        """The one row of a query of no table, at the clock's time and in the session's time zone (a deferred
        append's defaults). The clock goes in as a literal: setting the variable would cost a second statement."""
        self.release_pending()
        now = f"to_timestamp({self.account.clock.now() / 1000!r})"
        return self.duck.execute(query.replace(f"GETVARIABLE('{NOW_VARIABLE}')", now)).fetchall()[0]

    def release_pending(self) -> None:
        """Move a result still held by DuckDB into Python before the connection runs anything else."""
        if self.pending is not None:
            self.pending.materialize()
            self.pending = None

    def _sync_clock(self) -> None:
        now = self.account.clock.now()
        if now != self._clock_ms:
            seconds = now / 1000
            self.duck.execute(f"SET VARIABLE {NOW_VARIABLE} = to_timestamp({seconds!r})")
            self._clock_ms = now

    def set_context(self, **changes: Any) -> None:
        self.context = replace(self.context, **changes)
        self._context_key = hash(self.context)

    def set_timezone(self, timezone: str) -> None:
        try:
            self.duck.execute(f"SET TimeZone = '{timezone.replace(chr(39), '')}'")
        except duckdb.Error as error:
            raise ProgrammingError(f"invalid value [{timezone}] for parameter 'TIMEZONE'", errno=2150) from error
        self.timezone = timezone

    def close(self) -> None:
        """End the session (an open transaction rolls back); the last connection's session closes an account
        that belongs to its connections, with the sessions the emulator opened for its own work."""
        if self.closed:
            return
        self.closed = True
        self.release_pending()
        if self.txn is not None:
            self.rollback()
        account = self.account
        if self in account.sessions:
            account.sessions.remove(self)
        self.duck.close()
        if account.close_with_last_session and not any(not s.background for s in account.sessions):
            account.close()


def _reads(plan: SqlPlan) -> list[Table]:
    """The tables a statement reads, directly or through the streams it reads."""
    return [*plan.bindings.tables, *(table for stream in plan.bindings.streams for table in stream_sources(stream))]
