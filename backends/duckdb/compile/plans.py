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
from typing import TYPE_CHECKING, Any, ClassVar

from backends.duckdb.catalog.objects import Stream, Table
from backends.duckdb.compile.resolve import Bindings
from backends.duckdb.compile.results import DuckResult, Result, counts_result, status_result
from backends.duckdb.sql.template import Template
from backends.errors import duplicate_merge_row

if TYPE_CHECKING:
    from backends.duckdb.session.session import Session, StatementRun

_PARAM = re.compile(r"^p(\d+)$")


class Step:
    """One DuckDB statement of a plan: its text with slots, and which bind values it takes.

    User binds are slots `p0`, `p1`, ... (their position in the statement); a step renumbers the
    ones it uses as DuckDB's `$1`, `$2`, ... once, when it is built.
    """

    __slots__ = ("template", "param_order", "_binds")

    def __init__(self, text: str, *, bound_rows: str | None = None) -> None:
        template = Template(text)
        order: list[int] = []
        for name in template.slots:
            match = _PARAM.match(name)
            if match and int(match.group(1)) not in order:
                order.append(int(match.group(1)))
        self.template = template
        if bound_rows is not None:  # binds are columns of an Arrow relation, one row per parameter set
            self.param_order: list[int] = []
            self._binds = {f"p{index}": f'{bound_rows}."c{index}"' for index in order}
            return
        self.param_order = order
        self._binds = {f"p{index}": f"${position}" for position, index in enumerate(order, start=1)}

    def render(self, values: dict[str, object]) -> str:
        return self.template.render({**values, **self._binds} if self._binds else values)

    def args(self, params: Sequence[Any]) -> list[Any] | None:
        if not self.param_order:
            return None
        try:
            return [params[i] for i in self.param_order]
        except IndexError:
            from backends.errors import ProgrammingError

            raise ProgrammingError(
                f"the statement needs {max(self.param_order) + 1} bind values but {len(params)} were given",
                errno=252004,
            ) from None


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

    def run(self, session: Session, params: Sequence[Any]) -> Result:
        raise NotImplementedError


@dataclass
class CommandPlan(Plan):
    """A statement implemented in Python: DDL, SHOW, DESCRIBE, USE, transaction control."""

    action: Callable[[Session, Sequence[Any]], Result] = field(kw_only=True)
    transaction_control: bool = field(default=False, kw_only=True)

    def run(self, session: Session, params: Sequence[Any]) -> Result:
        return self.action(session, params)


@dataclass
class SqlPlan(Plan):
    """A query or DML statement: DuckDB steps run in order, atomically.

    `result` says how the last step's output becomes the Snowflake result: "rows" (a query),
    or a DML summary ("insert", "update", "delete").
    """

    steps: list[Step] = field(kw_only=True)
    bindings: Bindings = field(default_factory=Bindings, kw_only=True)
    result: str = field(default="rows", kw_only=True)
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
    after: Callable[[Session], Result] | None = field(default=None, kw_only=True)
    #: For INSERT ... VALUES (binds): the same insert over every parameter set at once (executemany).
    bulk: SqlPlan | None = field(default=None, kw_only=True)
    #: Whether running it may read the virtual clock (CURRENT_TIMESTAMP(), a column default), so the
    #: session must set DuckDB's clock variable first; only proven clock-free plans say False.
    reads_clock: bool = field(default=True, kw_only=True)

    def run(self, session: Session, params: Sequence[Any]) -> Result:
        return session.run_statement(self, params, self._execute)

    @property
    def one_statement(self) -> bool:
        """All its work is one DuckDB statement, atomic by itself: no BEGIN/COMMIT needed around it in autocommit."""
        return len(self.steps) == 1 and self.multi_join_count is None and self.after is None

    def _execute(self, session: Session, run: StatementRun, params: Sequence[Any]) -> Result:
        multi_joined = 0
        if self.multi_join_count is not None:
            multi_joined = session.query_scalar(self.multi_join_count, run, params)
        cursor = None
        for step in self.steps:
            cursor = session.execute_step(step, run, params)
        if self.after is not None:
            return self.after(session)
        if self.result == "rows":
            return DuckResult(cursor)
        count = int(cursor.fetchall()[0][0])
        if self.result == "insert":
            return counts_result({"number of rows inserted": count}, count)
        if self.result == "update":
            return counts_result({"number of rows updated": count, "number of multi-joined rows updated": multi_joined}, count)
        if self.result == "delete":
            return counts_result({"number of rows deleted": count}, count)
        if self.result == "truncate":
            return status_result("Statement executed successfully.")
        raise AssertionError(self.result)

    @property
    def streams(self) -> list[Stream]:
        return self.bindings.streams


@dataclass
class MergePlan(SqlPlan):
    """MERGE. Into a tracked table it runs as steps that log their row images (compiler._tracked_merge_steps):
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

    def _execute(self, session: Session, run: StatementRun, params: Sequence[Any]) -> Result:
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
        counts = {f"number of rows {kind.lower()}d": done.get(kind, 0) for kind in self.clause_kinds}
        return counts_result(counts, sum(done.values()))

    def _finds_duplicates(self, session: Session, run: StatementRun, params: Sequence[Any]) -> bool:
        return self.duplicate_check is not None and bool(
            self.duplicate_keys is None or session.execute_step(self.duplicate_keys, run, params).fetchone()
        ) and bool(session.execute_step(self.duplicate_check, run, params).fetchone())


def command_plan(session: Session, action: Callable[[Session, Sequence[Any]], Result], *, ddl: bool = True) -> CommandPlan:
    """A statement the emulator carries out in Python (never cached: it acts on state as it is)."""
    return CommandPlan(session.catalog.version, action=action, ddl=ddl, cacheable=False)


def text_commands(*handlers: tuple[re.Pattern, Callable[[re.Match, str, Session], Plan]]) -> Callable[[str, Session], Plan | None]:
    """A compiler for statements recognised by their text: the first pattern that matches plans the statement."""

    def compile_command(sql: str, session: Session) -> Plan | None:
        for pattern, plan in handlers:
            if match := pattern.match(sql):
                return plan(match, sql, session)
        return None

    return compile_command
