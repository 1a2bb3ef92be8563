"""Dynamic tables: content maintained from a query, refreshed on the virtual clock to a target lag.

Rules from https://docs.snowflake.com/en/user-guide/dynamic-tables/overview (section 3 of the
semantics). The emulator's scheduling model:

- a dynamic table with a time lag refreshes every `REFRESH_PERIOD_FRACTION` of its lag, on a grid
  aligned across the account (equal lags share data timestamps), so staleness stays within the
  target while refreshes take less than the remaining half;
- a refresh first brings every upstream dynamic table to the same data timestamp (upstream
  first), so readers never see a mix; DOWNSTREAM tables refresh only as someone's upstream;
- no change in any source since the last refresh: NO_DATA, the warehouse is not resumed;
- a failure keeps the last good content, marks downstream tables UPSTREAM_FAILED, and five
  scheduled failures in a row suspend the table (and its downstream tables).

Content is stored like a tracked table (tracking.py) plus a hidden key column, so streams on a
dynamic table and incremental dynamic tables downstream of it read its change log. An
incremental refresh applies only the net change since the last refresh (ivm.py); a GROUP BY
query recomputes only the groups whose input rows changed, or adds the changed rows to the partial
aggregates it keeps per group (partial_aggregates.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from sqlglot import exp

from backends.clock import Millis, Scheduled
from backends.duckdb.catalog.objects import Table
from backends.duckdb.catalog.tracking import DELETE, INSERT, ROW_ID, UPDATE_AFTER, before_images, capture
from backends.duckdb.catalog.warehouses import WarehouseSuspended
from backends.duckdb.maintenance.ivm import (
    CHANGE,
    CURRENT,
    KEY,
    NotIncremental,
    SpjQuery,
    alias_of,
    check_spj,
    expand_flattens,
    occurrences,
    row_changes,
    source_columns,
    state,
    table_of,
)
from backends.duckdb.sql import translate
from backends.duckdb.sql.names import quote
from backends.duckdb.sql.template import Template, slot
from backends.errors import Error

if TYPE_CHECKING:
    from backends.duckdb.session.session import Account, Session, StatementRun

#: Refresh every half of the target lag: staleness stays within the lag while refreshes are short.
REFRESH_PERIOD_FRACTION = 0.5
MIN_TARGET_LAG_MS = 60_000
MAX_CONSECUTIVE_FAILURES = 5
_KEY = quote(KEY)
_DELTA = '"__snowsim_dt_delta"'
_CHANGE = quote(CHANGE)


@dataclass(eq=False)
class DynamicTable(Table):
    kind: ClassVar[str] = "DYNAMIC TABLE"
    text: str = ""
    query: exp.Expression | None = None
    target_lag_ms: int | None = None  # None: DOWNSTREAM, or no scheduler
    target_lag_text: str | None = "DOWNSTREAM"  # None with SCHEDULER = DISABLE
    #: SCHEDULER = DISABLE: only manual refreshes, which do not cascade upstream.
    scheduler_enabled: bool = True
    warehouse: str = ""
    refresh_mode: str = "INCREMENTAL"
    refresh_mode_reason: str | None = None
    initialize: str = "ON_CREATE"
    scheduling_state: str = "ACTIVE"
    suspend_reason: str | None = None
    last_suspended_on: Millis | None = None
    #: Data timestamp of the current content; None until the first refresh.
    data_timestamp: Millis | None = None
    #: The commit sequence number the sources were read at by the last refresh.
    source_csn: int = 0
    consecutive_failures: int = 0
    busy_until: Millis = 0
    maintenance: Maintenance | None = None
    upstreams: list[DynamicTable] = field(default_factory=list)
    sources: list[Table] = field(default_factory=list)

    @property
    def duck_rows(self) -> str:
        return self.tracking.rows

    @property
    def initialized(self) -> bool:
        return self.data_timestamp is not None


# --- what a refresh computes -------------------------------------------------------------------------


class Maintenance:
    """How a dynamic table's content is (re)computed."""

    mode = "FULL"

    def template(self, kind: str, dt: DynamicTable) -> Template:
        """The SQL of `kind` ("full", "delta", "delta_after_inserts", "appended") with a `dt_lo` commit slot,
        generated once per table."""
        def build() -> str:
            # A refresh reads in a fresh transaction: its sources as they are (CURRENT) and the changes since `dt_lo`.
            lo = slot("dt_lo")
            if kind == "full":
                return self.full(CURRENT)
            if kind == "appended":
                return self.appended(lo, CURRENT)
            return self.delta(lo, CURRENT, dt, inserts_only=kind == "delta_after_inserts")

        return self.cached(kind, build)

    def cached(self, name: str, build: Callable[[], str]) -> Template:
        """The template `name`, built by `build` the first time it is asked for."""
        templates = self.__dict__.setdefault("_templates", {})
        if name not in templates:
            templates[name] = Template(build())
        return templates[name]

    def full(self, hi: str) -> str:
        """Every row, with its key, as of commit `hi`."""
        raise NotImplementedError

    def delta(self, lo: str, hi: str, dt: DynamicTable, *, inserts_only: bool = False) -> str:
        """What changed between `lo` and `hi`, one row per key (ivm.row_changes).
        `inserts_only`: the sources only gained rows in that window."""
        raise NotImplementedError

    #: Whether sources that only gained rows can only add result rows (`appended` gives them).
    appends = False
    #: Whether the change is computed from the sources' changes (`delta`, `delta_after_inserts`, `appended`);
    #: not across an outer join, where a row gained on one side removes a NULL-extended one.
    differentiable = True

    def appended(self, lo: str, hi: str) -> str:
        """The result rows gained when the sources only gained rows between `lo` and `hi` (columns, key)."""
        raise NotImplementedError

    # Hooks for maintenance that keeps state of its own between refreshes (partial_aggregates.py).

    def prepare_delta(self, session: Session, dt: DynamicTable, run: StatementRun, kind: str) -> Template | None:
        """The net change of a `kind` refresh if this maintenance computes it itself, else None."""
        return None

    def after_merge(self, session: Session, dt: DynamicTable, run: StatementRun) -> None:
        """The net change is written: update own state, in the refresh's transaction."""

    def finish(self, committed: bool) -> None:
        """The refresh's transaction committed or rolled back."""

    def storage(self) -> list[str]:
        """DuckDB tables of its own, dropped with the dynamic table."""
        return []


@dataclass
class RowsMaintenance(Maintenance):
    """A select-project-join (or UNION ALL) query: rows keyed by the source rows they combine."""

    spj: SpjQuery
    mode = "INCREMENTAL"
    appends = True

    def full(self, hi: str) -> str:
        return self.spj.at(hi)

    @property
    def differentiable(self) -> bool:
        return self.spj.differentiable

    def delta(self, lo: str, hi: str, dt: DynamicTable, *, inserts_only: bool = False) -> str:
        return row_changes(self.spj.side(lo, hi, old=True), self.spj.side(lo, hi, old=False), self.spj.columns)

    def appended(self, lo: str, hi: str) -> str:
        return self.spj.appended(lo, hi)


@dataclass
class GroupsMaintenance(Maintenance):
    """A GROUP BY over a select-project-join input: only groups whose input rows changed are recomputed."""

    query: exp.Select
    columns: list[str]
    group_by: list[exp.Expression]  # the group-by expressions, over the query's sources
    input: SpjQuery  # the group-by expressions of each input row, keyed by its source rows
    mode = "INCREMENTAL"

    @property
    def differentiable(self) -> bool:
        return self.input.differentiable

    def _grouped(self, hi: str, *, only: str | None) -> str:
        """The groups as of `hi`, keyed; `only`: just the groups whose values (k0, k1, ...) it lists."""
        query = self.query.copy()
        for occurrence in occurrences(query):
            table = table_of(occurrence)
            alias = exp.TableAlias(this=exp.to_identifier(alias_of(occurrence), quoted=True))
            occurrence.replace(exp.Subquery(this=exp.Var(this=state(table, source_columns(table), ROW_ID, hi)), alias=alias))
        translate.transform_expressions(query)
        expand_flattens(query)
        # Built after translation: DuckDB SQL over the translated group-by expressions.
        values = [translate.transform_expressions(exp.Select(expressions=[e.copy()])).expressions[0] for e in self.group_by]
        query.append("expressions", exp.alias_(group_key(values), KEY, quoted=True))
        if only is not None:  # a semi-join on the raw values (NULL matching NULL), before aggregating
            match = exp.and_(*(exp.NullSafeEQ(this=exp.column(f"k{i}", table="c", quoted=True), expression=v.copy())
                               for i, v in enumerate(values)))
            query = query.where(exp.Exists(this=exp.select("1").from_(exp.Var(this=f"({only}) AS c")).where(match)), copy=False)
        names = ", ".join(quote(c) for c in [*self.columns, KEY])
        return f"SELECT * FROM ({translate.generate(query)}) AS g({names})"

    def full(self, hi: str) -> str:
        return self._grouped(hi, only=None)

    def delta(self, lo: str, hi: str, dt: DynamicTable, *, inserts_only: bool = False) -> str:
        picks = ", ".join(f"i.{quote(c)} AS {quote(f'k{n}')}" for n, c in enumerate(self.input.columns))
        inputs = (self.input.appended(lo, hi) if inserts_only else
                  f"{self.input.side(lo, hi, old=True)} UNION ALL {self.input.side(lo, hi, old=False)}")
        changed = f"SELECT DISTINCT {picks} FROM ({inputs}) AS i"
        keys = translate.generate(group_key([exp.column(f"k{n}", quoted=True) for n in range(len(self.input.columns))]))
        cols = ", ".join(quote(c) for c in self.columns)
        old = f"SELECT {cols}, {_KEY} FROM {dt.tracking.rows} WHERE {_KEY} IN (SELECT {keys} FROM ({changed}))"
        return row_changes(old, self._grouped(hi, only=changed), self.columns)


@dataclass
class FullMaintenance(Maintenance):
    """Anything else: the whole query, every refresh."""

    sql: str  # the query, over the DuckDB names of its sources
    columns: list[str]
    mode = "FULL"

    def full(self, hi: str) -> str:
        cols = ", ".join(quote(c) for c in self.columns)
        return f"SELECT {cols}, CAST(NULL AS VARCHAR) AS {_KEY} FROM ({self.sql}) AS q({cols})"


def plan_maintenance(query: exp.Expression, columns: list[str], full_sql: str) -> tuple[Maintenance, str | None]:
    """Incremental maintenance for the query if its shape allows, else FULL with the reason."""
    try:
        if isinstance(query, exp.Select) and query.args.get("distinct") and not query.args.get("group"):
            query = _distinct_as_group_by(query)
        if isinstance(query, exp.Select) and query.args.get("group"):
            return _groups(query, columns), None
        return RowsMaintenance(SpjQuery.of(query, columns, allow_flatten=True, allow_outer=True)), None
    except NotIncremental as error:
        return FullMaintenance(full_sql, columns), f"This dynamic table contains {error.reason}, which is not supported for incremental refresh."


def _distinct_as_group_by(query: exp.Select) -> exp.Select:
    """SELECT DISTINCT a, b ... is SELECT a, b ... GROUP BY a, b: maintained group by group."""
    if query.args["distinct"].args.get("on") or any(isinstance(e, exp.Star) or e.find(exp.Star) for e in query.expressions):
        raise NotIncremental("'DISTINCT ON' or 'DISTINCT *'")
    grouped = query.copy()
    grouped.set("distinct", None)
    grouped.set("group", exp.Group(expressions=[exp.Literal.number(i + 1) for i in range(len(query.expressions))]))
    return grouped


def _groups(query: exp.Select, columns: list[str]) -> GroupsMaintenance:
    check_spj(query, allow_group=True, allow_flatten=True, allow_outer=True)
    group = query.args["group"]
    if group.args.get("rollup") or group.args.get("cube") or group.args.get("grouping_sets"):
        raise NotIncremental("ROLLUP, CUBE or GROUPING SETS")
    expressions = []
    select_items = [e.unalias() if isinstance(e, exp.Alias) else e for e in query.expressions]
    if group.args.get("all"):
        expressions = [e for e in select_items if not e.find(exp.AggFunc)]
    for item in group.expressions:
        if isinstance(item, exp.Literal) and not item.is_string:
            expressions.append(select_items[int(item.this) - 1])
        else:
            alias_target = next((e.this for e in query.expressions if isinstance(e, exp.Alias) and isinstance(item, exp.Column)
                                 and not item.table and e.alias.upper() == item.name.upper() and not e.this.find(exp.AggFunc)), None)
            expressions.append(alias_target if alias_target is not None else item)
    if not expressions:
        raise NotIncremental("a GROUP BY without group expressions")
    input_select = exp.Select(expressions=[e.copy() for e in expressions])
    input_select.set("from_", query.args["from_"].copy())
    if query.args.get("joins"):
        input_select.set("joins", [j.copy() for j in query.args["joins"]])
    if query.args.get("where"):
        input_select.set("where", query.args["where"].copy())
    input_columns = [f"G{i}" for i in range(len(expressions))]
    groups = GroupsMaintenance(query, columns, expressions,
                               SpjQuery.of(input_select, input_columns, allow_flatten=True, allow_outer=True))
    from backends.duckdb.maintenance.partial_aggregates import (  # it builds on this module
        AggregatesMaintenance,
        NotAlgebraic,
    )

    try:
        return AggregatesMaintenance.of(groups)
    except NotAlgebraic:
        return groups


def group_key(values: list[exp.Expression]) -> exp.Expression:
    """A group's identity as text (DuckDB SQL): JSON of its group-by values, so NULLs form one group as in GROUP BY."""
    pairs = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=v) for i, v in enumerate(values)]
    return exp.Cast(this=exp.Anonymous(this="to_json", expressions=[exp.Anonymous(this="struct_pack", expressions=pairs)]),
                    to=exp.DataType.build("VARCHAR"))


# --- refresh history -----------------------------------------------------------------------------


@dataclass
class Refresh:
    """One row of DYNAMIC_TABLE_REFRESH_HISTORY."""

    table: DynamicTable
    state: str
    data_timestamp: Millis
    refresh_start_time: Millis | None
    refresh_end_time: Millis | None
    completion_target: Millis | None
    refresh_action: str | None
    refresh_trigger: str
    query_id: str | None = None
    state_code: str | None = None
    state_message: str | None = None
    statistics: dict | None = None
    inputs_with_changed_data: list | None = None

    def row(self) -> dict:
        dt = self.table
        return {
            "NAME": dt.name.name, "SCHEMA_NAME": dt.name.schema, "DATABASE_NAME": dt.name.database, "STATE": self.state,
            "STATE_CODE": self.state_code, "STATE_MESSAGE": self.state_message, "QUERY_ID": self.query_id,
            "DATA_TIMESTAMP": self.data_timestamp, "REFRESH_START_TIME": self.refresh_start_time,
            "REFRESH_END_TIME": self.refresh_end_time, "COMPLETION_TARGET": self.completion_target,
            "QUALIFIED_NAME": str(dt.name), "LAST_COMPLETED_DEPENDENCY": None,
            "STATISTICS": json.dumps(self.statistics) if self.statistics is not None else None,
            "REFRESH_ACTION": self.refresh_action, "REINIT_REASON": None, "REFRESH_TRIGGER": self.refresh_trigger,
            "TARGET_LAG_SEC": dt.target_lag_ms // 1000 if dt.target_lag_ms else None, "GRAPH_HISTORY_VALID_FROM": None,
            "INPUTS_WITH_CHANGED_DATA": json.dumps(self.inputs_with_changed_data) if self.inputs_with_changed_data is not None else None,
        }


# --- the scheduler ---------------------------------------------------------------------------------


class DynamicTableScheduler:
    """Refreshes an account's dynamic tables on its virtual clock."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.history: list[Refresh] = []
        self._ticks: dict[int, Scheduled] = {}
        self._tick_failures: dict[tuple[int, Millis], bool] = {}

    def tables(self) -> list[DynamicTable]:
        return [o for o in self.account.catalog.objects() if isinstance(o, DynamicTable)]

    def downstream(self, dt: DynamicTable) -> list[DynamicTable]:
        return [d for d in self.tables() if dt in d.upstreams]

    def read_incrementally(self, dt: DynamicTable) -> bool:
        """Does anything read `dt`'s change log: a stream on it (or on a view of it), or a dynamic table on it?

        A refresh of a table nobody reads that way writes no log: a reader created later starts from
        the version current then (a stream at its offset, a dynamic table with its initial refresh)."""
        catalog = self.account.catalog
        return bool(catalog.streams_on(dt)) or any(dt in d.sources for d in self.tables())

    # --- lifecycle -----------------------------------------------------------------------------

    def start(self, dt: DynamicTable) -> None:
        """Begin scheduled refreshes (a table with a time lag; DOWNSTREAM tables wait for consumers)."""
        self.stop(dt)
        if dt.target_lag_ms is None or not dt.scheduler_enabled or dt.scheduling_state != "ACTIVE":
            return
        period = int(dt.target_lag_ms * REFRESH_PERIOD_FRACTION)
        now = self.account.clock.now()
        at = now - now % period + period
        self._ticks[dt.uid] = self.account.clock.schedule(at, lambda: self._tick(dt, at, period), priority=2)

    def stop(self, dt: DynamicTable) -> None:
        tick = self._ticks.pop(dt.uid, None)
        if tick is not None:
            tick.cancel()

    def forget(self, dt: DynamicTable) -> None:
        self.stop(dt)
        self.account.end_session_for(dt)

    def suspend(self, dt: DynamicTable, reason: str) -> None:
        for table in [dt, *self._all_downstream(dt)]:
            if table.scheduling_state == "ACTIVE":
                table.scheduling_state = "SUSPENDED"
                table.suspend_reason = reason if table is dt else f"UPSTREAM_{reason}"
                table.last_suspended_on = self.account.clock.now()
                self.stop(table)

    def resume(self, dt: DynamicTable) -> None:
        for table in [dt, *self._all_downstream(dt)]:
            if table is dt or (table.suspend_reason or "").startswith("UPSTREAM_"):
                table.scheduling_state = "ACTIVE"
                table.suspend_reason = None
                table.consecutive_failures = 0
                self.start(table)

    def _all_downstream(self, dt: DynamicTable) -> list[DynamicTable]:
        found, pending = [], self.downstream(dt)
        while pending:
            table = pending.pop()
            if table not in found:
                found.append(table)
                pending += self.downstream(table)
        return found

    def _tick(self, dt: DynamicTable, at: Millis, period: int) -> None:
        self._ticks[dt.uid] = self.account.clock.schedule(at + period, lambda: self._tick(dt, at + period, period), priority=2)
        if dt.scheduling_state == "ACTIVE" and (dt.data_timestamp or 0) < at:  # not already refreshed as an upstream
            self.refresh(dt, at, "SCHEDULED")

    # --- refreshing --------------------------------------------------------------------------------

    def refresh(self, dt: DynamicTable, data_timestamp: Millis, trigger: str) -> bool:
        """Refresh `dt` and, first, its upstream tables, all to `data_timestamp`; True if `dt` succeeded."""
        upstream_ok = True
        cascade = dt.scheduler_enabled or trigger != "MANUAL"
        for upstream in dt.upstreams if cascade else []:
            if upstream.data_timestamp != data_timestamp or upstream.source_csn < self.account.committed_csn:
                upstream_ok = self.refresh(upstream, data_timestamp, trigger) and upstream_ok
            elif self._tick_failures.get((upstream.uid, data_timestamp)):
                upstream_ok = False
        if not upstream_ok:
            self._record(dt, "UPSTREAM_FAILED", data_timestamp, None, None, None, trigger,
                         message="An upstream dynamic table failed to refresh.")
            self._tick_failures[(dt.uid, data_timestamp)] = True
            return False
        if dt.busy_until > self.account.clock.now() and trigger == "SCHEDULED":
            self._record(dt, "SKIPPED", data_timestamp, None, None, None, trigger,
                         message="The previous refresh is still running.")
            return True
        with self.account.activity("refresh", dt.name.name):
            return self._refresh_one(dt, data_timestamp, trigger)

    def _refresh_one(self, dt: DynamicTable, data_timestamp: Millis, trigger: str) -> bool:
        account = self.account
        now = account.clock.now()
        hi = account.committed_csn
        completion_target = dt.data_timestamp + dt.target_lag_ms if dt.initialized and dt.target_lag_ms else None
        changed_inputs = [s for s in dt.sources if s.tracking and s.tracking.last_change_csn > dt.source_csn]
        if dt.initialized and not changed_inputs:
            dt.data_timestamp, dt.source_csn = data_timestamp, hi
            self._record(dt, "SUCCEEDED", data_timestamp, now, now, completion_target, trigger, action="NO_DATA",
                         statistics=_statistics(0, 0))
            return True
        action = "INCREMENTAL" if dt.initialized and dt.maintenance.mode == "INCREMENTAL" else "FULL"
        if not dt.initialized and dt.maintenance.mode == "INCREMENTAL":
            action = "REINITIALIZE"
        try:
            warehouse = account.warehouses.get(dt.warehouse)
            if warehouse is None:
                raise WarehouseSuspended(dt.warehouse)
            start = warehouse.admit(now, account.cost_model, account.clock)
        except WarehouseSuspended as error:
            return self._failed(dt, data_timestamp, now, completion_target, trigger, "000606", str(error))
        session = self.account.session_for(dt, dt.warehouse)
        mark = account.lineage.mark()
        try:
            inserted, deleted, processed = self._apply(session, dt, hi, action)
        except Error as error:
            return self._failed(dt, data_timestamp, now, completion_target, trigger,
                                f"{error.errno:06d}" if error.errno >= 0 else "100000", error.msg)
        end = start + account.cost_model.duration_ms(warehouse.size, processed)
        warehouse.occupy(start, end, account.clock)
        account.lineage.settle(mark, end)
        dt.busy_until = end
        dt.source_csn = hi
        first = not dt.initialized
        dt.data_timestamp = data_timestamp
        dt.consecutive_failures = 0
        inputs = [{"name": str(s.name), "kind": "DYNAMIC_TABLE" if isinstance(s, DynamicTable) else "TABLE"} for s in changed_inputs]
        self._record(dt, "SUCCEEDED", data_timestamp, start, end, completion_target,
                     "CREATION" if first and trigger == "CREATION" else trigger, action=action,
                     statistics=_statistics(inserted, deleted, queued=start - now, execution=end - start),
                     query_id=session.last_query_id, inputs=inputs)
        if first:
            account.catalog.changed()  # reading it no longer raises "not initialized"
        return True

    def _failed(self, dt: DynamicTable, data_timestamp: Millis, now: Millis, target: Millis | None, trigger: str,
                code: str, message: str) -> bool:
        self._record(dt, "FAILED", data_timestamp, now, now, target, trigger, code=code, message=message)
        self._tick_failures[(dt.uid, data_timestamp)] = True
        if trigger == "SCHEDULED":
            dt.consecutive_failures += 1
            if dt.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
                self.suspend(dt, "SUSPENDED_DUE_TO_ERRORS")
        return False

    def _apply(self, session: Session, dt: DynamicTable, hi: int, action: str) -> tuple[int, int, int]:
        """Bring the content to commit `hi` in one transaction: (rows inserted, rows deleted, rows processed)."""
        session.begin()
        session.txn.reads.update(dt.sources)
        try:
            run = session.internal_run()
            run.values.update(dt_lo=dt.source_csn)
            inserts_only = (action == "INCREMENTAL" and dt.maintenance.differentiable
                            and self._sources_only_gained_rows(session, dt))
            logged = self.read_incrementally(dt)
            if action == "FULL":
                counts = self._replace(session, dt, run, logged)
            elif inserts_only and dt.maintenance.appends:
                counts = self._append(session, dt, run, logged)
            else:
                kind = "delta_after_inserts" if inserts_only else "delta" if action == "INCREMENTAL" else "reinitialize"
                counts = self._merge(session, dt, run, kind, logged)
            session.commit(written=[dt] if counts[2] else [])
            dt.maintenance.finish(committed=True)
            return counts
        except BaseException:
            dt.maintenance.finish(committed=False)
            session.rollback()
            raise

    def _sources_only_gained_rows(self, session: Session, dt: DynamicTable) -> bool:
        """No update or delete in any source since the last refresh (a cheap scan of the logs' recent tail)."""
        probes = " UNION ALL ".join(
            f'SELECT * FROM (SELECT 1 FROM {s.tracking.changes} WHERE "csn" > {dt.source_csn} AND "kind" <> {INSERT} LIMIT 1)'
            for s in dt.sources if s.tracking is not None
        )
        return not probes or not session.duck.execute(probes).fetchall()

    def _replace(self, session: Session, dt: DynamicTable, run: StatementRun, logged: bool) -> tuple[int, int, int]:
        """FULL: delete every row, insert the query's result."""
        stored = [*(c.name for c in dt.columns), KEY]
        full = dt.maintenance.template("full", dt).render(run.values)
        deleted = session.run_sql(_write(dt, f"DELETE FROM {dt.tracking.rows}", DELETE, stored, logged), run)
        cols = ", ".join(quote(c) for c in stored)
        insert = f"INSERT INTO {dt.tracking.rows} ({cols}) {full}"
        inserted = session.run_sql(_write(dt, insert, INSERT, stored, logged), run)
        return inserted, deleted, inserted + deleted

    def _append(self, session: Session, dt: DynamicTable, run: StatementRun, logged: bool) -> tuple[int, int, int]:
        """The sources only gained rows and the result can only gain rows: insert them."""
        stored = [*(c.name for c in dt.columns), KEY]
        rows = dt.maintenance.template("appended", dt).render(run.values)
        cols = ", ".join(quote(c) for c in stored)
        insert = f"INSERT INTO {dt.tracking.rows} ({cols}) {rows}"
        inserted = session.run_sql(_write(dt, insert, INSERT, stored, logged), run)
        return inserted, 0, inserted

    def _merge(self, session: Session, dt: DynamicTable, run: StatementRun, kind: str,
               logged: bool) -> tuple[int, int, int]:
        """Compute the net change into a temporary table, then delete, update and insert the rows it names."""
        columns = [c.name for c in dt.columns]
        stored = [*columns, KEY]
        own = dt.maintenance.prepare_delta(session, dt, run, kind)
        if own is not None:
            delta = own.render(run.values)
        elif kind == "reinitialize" or not dt.maintenance.differentiable:
            # The first refresh, or a query that cannot be differentiated (an outer join): the result, as a
            # change from what is there. It costs a full evaluation; only what differs is written, logged, billed.
            cols = ", ".join(quote(c) for c in columns)
            full = dt.maintenance.template("full", dt).render(run.values)
            delta = row_changes(f"SELECT {cols}, {_KEY} FROM {dt.tracking.rows}", full, columns)
        else:
            delta = dt.maintenance.template(kind, dt).render(run.values)
        session.run_sql(f"CREATE OR REPLACE TEMP TABLE {_DELTA} AS {delta}", run)
        counts = dict(session.duck.execute(f"SELECT {_CHANGE}, count(*) FROM {_DELTA} GROUP BY ALL").fetchall())
        deletes, updates, inserts = counts.get("DELETE", 0), counts.get("UPDATE", 0), counts.get("INSERT", 0)
        target = dt.tracking.rows
        if deletes:
            session.run_sql(_write(dt, f"DELETE FROM {target} AS t WHERE t.{_KEY} IN (SELECT {_KEY} FROM {_DELTA} "
                                       f"WHERE {_CHANGE} = 'DELETE')", DELETE, stored, logged), run)
        if updates:
            match = f"t.{_KEY} = u.{_KEY} AND u.{_CHANGE} = 'UPDATE'"
            if logged:
                session.run_sql(before_images(dt, target, "t", f"{_DELTA} AS u", match, stored), run)
            assignments = ", ".join(f"{quote(c)} = u.{quote(c)}" for c in columns)
            session.run_sql(_write(dt, f"UPDATE {target} AS t SET {assignments} FROM {_DELTA} AS u WHERE {match}",
                                   UPDATE_AFTER, stored, logged), run)
        if inserts:
            cols = ", ".join(quote(c) for c in stored)
            session.run_sql(_write(dt, f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {_DELTA} "
                                       f"WHERE {_CHANGE} = 'INSERT'", INSERT, stored, logged), run)
        session.duck.execute(f"DROP TABLE IF EXISTS {_DELTA}")
        dt.maintenance.after_merge(session, dt, run)
        return inserts + updates, deletes + updates, inserts + 2 * updates + deletes

    def _record(self, dt: DynamicTable, state: str, data_timestamp: Millis, start: Millis | None, end: Millis | None,
                target: Millis | None, trigger: str, *, action: str | None = None, code: str | None = None,
                message: str | None = None, statistics: dict | None = None, query_id: str | None = None,
                inputs: list | None = None) -> None:
        self.history.append(Refresh(dt, state, data_timestamp, start, end, target, action, trigger, query_id, code, message,
                                    statistics, inputs))



def _write(dt: DynamicTable, dml_sql: str, kind: int, stored: list[str], logged: bool) -> str:
    """A refresh's write to the content; with its row images logged when anything reads them (`logged`)."""
    return capture(dt, dml_sql, kind, stored) if logged else dml_sql


def _statistics(inserted: int, deleted: int, *, queued: int = 0, execution: int = 0) -> dict:
    return {"numInsertedRows": inserted, "numDeletedRows": deleted, "numCopiedRows": 0, "numAddedPartitions": 0,
            "numRemovedPartitions": 0, "queuedTimeMs": queued, "compilationTimeMs": 0, "executionTimeMs": execution}


def sources_of(query: exp.Expression) -> list[Table]:
    """The tables (and dynamic tables) a query reads, through views, in order of first appearance."""
    from backends.duckdb.catalog.objects import base_tables

    return base_tables(query)
