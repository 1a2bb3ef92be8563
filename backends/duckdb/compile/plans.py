"""Compiled statements: what runs in DuckDB, what it reads and writes, and what it returns.

A plan is compiled once per (SQL text, session context, catalog version) and run many times.
`SqlPlan` covers queries and DML; `MergePlan` drives MERGE on tracked tables step by step;
`CommandPlan` wraps DDL and session commands implemented in Python.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from backends.duckdb.catalog.objects import CatalogObject, Stream, Table
from backends.duckdb.compile.context import SessionLike, StatementRun
from backends.duckdb.compile.resolve import Bindings
from backends.duckdb.compile.results import DuckResult, Result, counts_result, status_result
from backends.duckdb.compile.steps import Step
from backends.duckdb.sql.names import display
from backends.errors import compilation_error, duplicate_merge_row, object_already_exists


class ResultKind(StrEnum):
    """How a SQL plan's last step becomes the Snowflake result."""

    ROWS = "rows"  # a query's rows
    INSERT = "insert"  # DML: its counts row
    UPDATE = "update"
    DELETE = "delete"
    MERGE = "merge"
    TRUNCATE = "truncate"  # a status message
    DDL = "ddl"  # CREATE TABLE AS: the plan's `after` gives the result


@dataclass
class Plan:
    """Base of compiled statements."""

    version: int
    #: DDL commits an open transaction first, then runs in its own (Snowflake's rule).
    ddl: bool = field(default=False, kw_only=True)
    #: Kept in the plan cache (DDL never is: running it changes the catalog version anyway).
    cacheable: bool = field(default=True, kw_only=True)
    #: Commands read the clock in Python; SqlPlan says whether its SQL may.
    reads_clock = True


@dataclass
class CommandPlan(Plan):
    """A statement implemented in Python: DDL, SHOW, DESCRIBE, USE, transaction control."""

    action: Callable[[SessionLike, Sequence[Any]], Result] = field(kw_only=True)
    transaction_control: bool = field(default=False, kw_only=True)

    def run(self, session: SessionLike, params: Sequence[Any]) -> Result:
        """Carry the statement out now (the session calls it, after committing an open transaction for DDL)."""
        return self.action(session, params)


@dataclass
class SqlPlan(Plan):
    """A query or DML statement: DuckDB steps run in order, atomically.

    `result` says how the last step's output becomes the Snowflake result: a query's rows, or a DML
    statement's counts.
    """

    steps: list[Step] = field(kw_only=True)
    bindings: Bindings = field(default_factory=Bindings, kw_only=True)
    result: ResultKind = field(default=ResultKind.ROWS, kw_only=True)
    #: DML reading a stream consumes it (queries never do).
    consumes: bool = field(default=False, kw_only=True)
    #: Tracked tables whose change log this statement writes.
    writes: list[Table] = field(default_factory=list, kw_only=True)
    #: The statement as the user wrote it, without capture steps: validated by binding in explicit
    #: transactions, where a DuckDB error would abort the whole transaction.
    check: Step | None = field(default=None, kw_only=True)
    #: For UPDATE ... FROM: counts target rows joined to more than one source row, before the update.
    multi_join_count: Step | None = field(default=None, kw_only=True)
    #: Runs after the steps, in the same transaction, and gives the result (CREATE TABLE AS registers the table).
    after: Callable[[SessionLike], Result] | None = field(default=None, kw_only=True)
    #: For INSERT ... VALUES (binds): the same insert over every parameter set at once (executemany).
    bulk: SqlPlan | None = field(default=None, kw_only=True)
    #: What the statement changes outside DuckDB, done when it commits (TRUNCATE forgets the load metadata).
    effects: list[Callable[[], None]] = field(default_factory=list, kw_only=True)
    #: Whether running it may read the virtual clock (CURRENT_TIMESTAMP(), a column default), so the
    #: session must set DuckDB's clock variable first; only proven clock-free plans say False.
    reads_clock: bool = field(default=True, kw_only=True)

    @property
    def one_statement(self) -> bool:
        """All its work is one DuckDB statement, atomic by itself: no BEGIN/COMMIT needed around it in autocommit."""
        return len(self.steps) == 1 and self.multi_join_count is None and self.after is None

    def execute(self, session: SessionLike, run: StatementRun, params: Sequence[Any]) -> Result:
        """Run the steps; the session calls it inside the statement's transaction (Snowflake's rules around it)."""
        multi_joined = 0
        if self.multi_join_count is not None:
            multi_joined = session.query_scalar(self.multi_join_count, run, params)
        cursor = None
        for step in self.steps:
            cursor = session.execute_step(step, run, params)
        if self.after is not None:
            return self.after(session)
        if self.result == ResultKind.ROWS:
            return DuckResult(cursor)
        count = int(cursor.fetchall()[0][0])
        if self.result == ResultKind.INSERT:
            return counts_result({"number of rows inserted": count}, count)
        if self.result == ResultKind.UPDATE:
            return counts_result(
                {"number of rows updated": count, "number of multi-joined rows updated": multi_joined}, count
            )
        if self.result == ResultKind.DELETE:
            return counts_result({"number of rows deleted": count}, count)
        if self.result == ResultKind.TRUNCATE:
            return status_result("Statement executed successfully.")
        raise AssertionError(self.result)

    @property
    def streams(self) -> list[Stream]:
        return self.bindings.streams


@dataclass
class MergePlan(SqlPlan):
    """MERGE. Into a tracked table it runs as steps that log their row images (compile/dml.py _tracked_merge_steps):
    pair source rows with target rows and WHEN clauses, then delete and (re-)insert by clause."""

    PAIRS: ClassVar[str] = '"__snowsim_merge_pairs"'

    clause_kinds: list[str] = field(default_factory=list, kw_only=True)
    merge: Step | None = field(default=None, kw_only=True)
    table: Table | None = field(default=None, kw_only=True)
    pairs: Step | None = field(default=None, kw_only=True)
    #: The steps after pairing, with the row count each adds to (None: not counted).
    clause_steps: list[tuple[str | None, Step]] = field(default_factory=list, kw_only=True)
    #: Finds a target row Snowflake would refuse to update nondeterministically: in the target before
    #: the MERGE, or, into a tracked table, in the pairs.
    duplicate_check: Step | None = field(default=None, kw_only=True)
    #: Whether the source repeats a join key: when it does not, no target row can match twice and
    #: the duplicate check (a scan of the target) is skipped.
    duplicate_keys: Step | None = field(default=None, kw_only=True)

    @property
    def one_statement(self) -> bool:
        return False

    def execute(self, session: SessionLike, run: StatementRun, params: Sequence[Any]) -> Result:
        done: Counter = Counter()
        if self.table is None:
            assert self.merge is not None
            if self._finds_duplicates(session, run, params):
                raise duplicate_merge_row()
            done.update(row[0] for row in session.execute_step(self.merge, run, params).fetchall())
        else:
            assert self.pairs is not None
            session.execute_step(self.pairs, run, params)
            try:
                if self._finds_duplicates(session, run, params):
                    raise duplicate_merge_row()
                for kind, step in self.clause_steps:
                    count = int(session.execute_step(step, run, params).fetchall()[0][0])
                    if kind is not None:
                        done[kind] += count
            finally:
                session.duck.execute(f"DROP TABLE IF EXISTS {self.PAIRS}")
        counts = {MERGE_COUNT_COLUMNS[kind]: done.get(kind, 0) for kind in self.clause_kinds}
        return counts_result(counts, sum(done.values()))

    def _finds_duplicates(self, session: SessionLike, run: StatementRun, params: Sequence[Any]) -> bool:
        return self.duplicate_check is not None and bool(
            self.duplicate_keys is None or session.execute_step(self.duplicate_keys, run, params).fetchone()
        ) and bool(session.execute_step(self.duplicate_check, run, params).fetchone())


#: MERGE's result columns, one per kind of clause the statement has, in this order.
MERGE_COUNT_COLUMNS = {"INSERT": "number of rows inserted", "UPDATE": "number of rows updated",
                       "DELETE": "number of rows deleted"}


def command_plan(
    session: SessionLike, action: Callable[[SessionLike, Sequence[Any]], Result], *, ddl: bool = True
) -> CommandPlan:
    """A statement the emulator carries out in Python (never cached: it acts on state as it is)."""
    return CommandPlan(session.catalog.version, action=action, ddl=ddl, cacheable=False)


def status_plan(session: SessionLike, message: str) -> CommandPlan:
    """A statement with nothing left to do but say so (IF EXISTS on a missing object, a no-op)."""
    return command_plan(session, lambda s, p: status_result(message), ddl=False)


def text_commands(
    *handlers: tuple[re.Pattern, Callable[[re.Match, str, SessionLike], Plan]],
) -> Callable[[str, SessionLike], Plan | None]:
    """A compiler for statements recognised by their text: the first pattern that matches plans the statement."""

    def compile_command(sql: str, session: SessionLike) -> Plan | None:
        for pattern, plan in handlers:
            if match := pattern.match(sql):
                return plan(match, sql, session)
        return None

    return compile_command


def name_in_use(session: SessionLike, existing: CatalogObject | None, kind: type, replace: bool, if_not_exists: bool,
                sql: str) -> Plan | None:
    """CREATE's rules for a name in use: IF NOT EXISTS makes it a no-op (this plan); without OR REPLACE, or held
    by an object of another kind, it is an error; else None (go on and replace it)."""
    if existing is None:
        return None
    if not replace:
        if if_not_exists:
            message = f"{display(existing.name.name)} already exists, statement succeeded."
            return command_plan(session, lambda s, p: status_result(message))
        raise object_already_exists(display(existing.name.name), query=sql)
    if not isinstance(existing, kind):
        raise compilation_error(f"Object '{existing.name}' already exists as {existing.kind}", errno=2002, query=sql)
    return None
