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

What a refresh computes is the table's maintenance strategy (maintenance/refresh.py), chosen at
CREATE (maintenance/incremental.py); each refresh here picks NO_DATA, INCREMENTAL, FULL or
REINITIALIZE and writes the result, the net change or the appended rows in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from backends.clock import Millis, Scheduled
from backends.duckdb.catalog.tracking import CSN, DELETE, INSERT, KIND, UPDATE_AFTER, before_images, capture
from backends.duckdb.catalog.warehouses import WarehouseSuspended
from backends.duckdb.compile.context import AccountLike, SessionLike, StatementRun
from backends.duckdb.maintenance.ivm import (
    CHANGE,
    KEY,
    row_changes,
)
from backends.duckdb.maintenance.refresh import DynamicTable, RefreshKind, RefreshMode
from backends.duckdb.sql.names import quote
from backends.errors import Error

#: Refresh every half of the target lag: staleness stays within the lag while refreshes are short.
REFRESH_PERIOD_FRACTION = 0.5
MIN_TARGET_LAG_MS = 60_000
MAX_CONSECUTIVE_FAILURES = 5
_KEY = quote(KEY)
_DELTA = '"__snowsim_dt_delta"'
_CHANGE = quote(CHANGE)


class RefreshAction(StrEnum):
    """What one refresh did (DYNAMIC_TABLE_REFRESH_HISTORY's REFRESH_ACTION)."""

    NO_DATA = "NO_DATA"
    INCREMENTAL = "INCREMENTAL"
    FULL = "FULL"
    REINITIALIZE = "REINITIALIZE"


def refresh_action(dt: DynamicTable) -> RefreshAction:
    """The action of a refresh that has changes to apply: an incremental table's first refresh
    reinitializes it, later ones apply the change; a FULL table recomputes every time."""
    if dt.maintenance.mode != RefreshMode.INCREMENTAL:
        return RefreshAction.FULL
    return RefreshAction.INCREMENTAL if dt.initialized else RefreshAction.REINITIALIZE


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
    refresh_action: RefreshAction | None
    refresh_trigger: str
    query_id: str | None = None
    state_code: str | None = None
    state_message: str | None = None
    statistics: dict | None = None
    inputs_with_changed_data: list | None = None

    def row(self) -> dict:
        dt = self.table
        return {
            "NAME": dt.name.name,
            "SCHEMA_NAME": dt.name.schema,
            "DATABASE_NAME": dt.name.database,
            "STATE": self.state,
            "STATE_CODE": self.state_code,
            "STATE_MESSAGE": self.state_message,
            "QUERY_ID": self.query_id,
            "DATA_TIMESTAMP": self.data_timestamp,
            "REFRESH_START_TIME": self.refresh_start_time,
            "REFRESH_END_TIME": self.refresh_end_time,
            "COMPLETION_TARGET": self.completion_target,
            "QUALIFIED_NAME": str(dt.name),
            "LAST_COMPLETED_DEPENDENCY": None,
            "STATISTICS": json.dumps(self.statistics) if self.statistics is not None else None,
            "REFRESH_ACTION": self.refresh_action,
            "REINIT_REASON": None,
            "REFRESH_TRIGGER": self.refresh_trigger,
            "TARGET_LAG_SEC": dt.target_lag_ms // 1000 if dt.target_lag_ms else None,
            "GRAPH_HISTORY_VALID_FROM": None,
            "INPUTS_WITH_CHANGED_DATA": json.dumps(self.inputs_with_changed_data)
            if self.inputs_with_changed_data is not None
            else None,
        }


# --- the scheduler ---------------------------------------------------------------------------------


class DynamicTableScheduler:
    """Refreshes an account's dynamic tables on its virtual clock."""

    def __init__(self, account: AccountLike) -> None:
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
        self._ticks[dt.uid] = self.account.clock.schedule(
            at + period, lambda: self._tick(dt, at + period, period), priority=2
        )
        if dt.scheduling_state == "ACTIVE" and (dt.data_timestamp or 0) < at:  # not already refreshed as an upstream
            self.refresh(dt, at, "SCHEDULED")

    # --- refreshing --------------------------------------------------------------------------------

    def refresh(self, dt: DynamicTable, data_timestamp: Millis, trigger: str) -> bool:
        """Refresh `dt` and, first, its upstream tables, all to `data_timestamp`; True if `dt` succeeded."""
        upstream_ok = True
        cascade = dt.scheduler_enabled or trigger != "MANUAL"
        for upstream in dt.upstreams if cascade else []:
            # Once per data timestamp: two tables sharing an upstream refresh it once, unless its sources
            # changed since (a commit in the same millisecond).
            if upstream.data_timestamp != data_timestamp or _sources_changed(upstream):
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
        changed_inputs = _changed_sources(dt)
        if dt.initialized and not changed_inputs:
            dt.data_timestamp, dt.source_csn = data_timestamp, hi
            self._record(
                dt,
                "SUCCEEDED",
                data_timestamp,
                now,
                now,
                completion_target,
                trigger,
                action=RefreshAction.NO_DATA,
                statistics=_statistics(0, 0),
            )
            return True
        action = refresh_action(dt)
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
        inputs = [
            {"name": str(s.name), "kind": "DYNAMIC_TABLE" if isinstance(s, DynamicTable) else "TABLE"}
            for s in changed_inputs
        ]
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

    def _apply(self, session: SessionLike, dt: DynamicTable, hi: int, action: RefreshAction) -> tuple[int, int, int]:
        """Bring the content to commit `hi` in one transaction: (rows inserted, rows deleted, rows processed)."""
        session.begin()
        try:
            run = session.internal_run()
            run.values.update(dt_lo=dt.source_csn)
            inserts_only = (action == RefreshAction.INCREMENTAL and dt.maintenance.differentiable
                            and self._sources_only_gained_rows(session, dt))
            logged = self.read_incrementally(dt)
            if action == RefreshAction.FULL:
                counts = self._replace(session, dt, run, logged)
            elif inserts_only and dt.maintenance.appends:
                counts = self._append(session, dt, run, logged)
            else:
                kind = (RefreshKind.DELTA_AFTER_INSERTS if inserts_only else RefreshKind.DELTA
                        if action == RefreshAction.INCREMENTAL else RefreshKind.REINITIALIZE)
                counts = self._merge(session, dt, run, kind, logged)
            session.commit(written=[dt] if counts[2] else [], reads=dt.sources)
            dt.maintenance.finish(committed=True)
            return counts
        except BaseException:
            dt.maintenance.finish(committed=False)
            session.rollback()
            raise

    def _sources_only_gained_rows(self, session: SessionLike, dt: DynamicTable) -> bool:
        """No update or delete in any source since the last refresh (a cheap scan of the logs' recent tail)."""
        probes = " UNION ALL ".join(
            f"SELECT * FROM (SELECT 1 FROM {s.tracking.changes} WHERE {CSN} > {dt.source_csn} AND {KIND} <> {INSERT} "
            'LIMIT 1)'
            for s in dt.sources if s.tracking is not None
        )
        return not probes or not session.duck.execute(probes).fetchall()

    def _replace(self, session: SessionLike, dt: DynamicTable, run: StatementRun, logged: bool) -> tuple[int, int, int]:
        """FULL: delete every row, insert the query's result."""
        stored = [*(c.name for c in dt.columns), KEY]
        full = dt.maintenance.template(RefreshKind.FULL, dt).render(run.values)
        deleted = session.run_sql(_write(dt, f"DELETE FROM {dt.tracking.rows}", DELETE, stored, logged), run)
        cols = ", ".join(quote(c) for c in stored)
        insert = f"INSERT INTO {dt.tracking.rows} ({cols}) {full}"
        inserted = session.run_sql(_write(dt, insert, INSERT, stored, logged), run)
        return inserted, deleted, inserted + deleted

    def _append(self, session: SessionLike, dt: DynamicTable, run: StatementRun, logged: bool) -> tuple[int, int, int]:
        """The sources only gained rows and the result can only gain rows: insert them."""
        stored = [*(c.name for c in dt.columns), KEY]
        rows = dt.maintenance.template(RefreshKind.APPENDED, dt).render(run.values)
        cols = ", ".join(quote(c) for c in stored)
        insert = f"INSERT INTO {dt.tracking.rows} ({cols}) {rows}"
        inserted = session.run_sql(_write(dt, insert, INSERT, stored, logged), run)
        return inserted, 0, inserted

    def _merge(self, session: SessionLike, dt: DynamicTable, run: StatementRun, kind: RefreshKind,
               logged: bool) -> tuple[int, int, int]:
        """Compute the net change into a temporary table, then delete, update and insert the rows it names."""
        columns = [c.name for c in dt.columns]
        stored = [*columns, KEY]
        own = dt.maintenance.prepare_delta(session.duck, dt, run.values, kind)
        if own is not None:
            delta = own.render(run.values)
        elif kind == RefreshKind.REINITIALIZE or not dt.maintenance.differentiable:
            # The first refresh, or a query that cannot be differentiated (an outer join): the result, as a
            # change from what is there. It costs a full evaluation; only what differs is written, logged, billed.
            cols = ", ".join(quote(c) for c in columns)
            full = dt.maintenance.template(RefreshKind.FULL, dt).render(run.values)
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
        dt.maintenance.after_merge(session.duck, dt, run.values)
        return inserts + updates, deletes + updates, inserts + 2 * updates + deletes

    def _record(self, dt: DynamicTable, state: str, data_timestamp: Millis, start: Millis | None, end: Millis | None,
                target: Millis | None, trigger: str, *, action: RefreshAction | None = None, code: str | None = None,
                message: str | None = None, statistics: dict | None = None, query_id: str | None = None,
                inputs: list | None = None) -> None:
        self.history.append(
            Refresh(
                dt,
                state,
                data_timestamp,
                start,
                end,
                target,
                action,
                trigger,
                query_id,
                code,
                message,
                statistics,
                inputs,
            )
        )



def _write(dt: DynamicTable, dml_sql: str, kind: int, stored: list[str], logged: bool) -> str:
    """A refresh's write to the content; with its row images logged when anything reads them (`logged`)."""
    return capture(dt, dml_sql, kind, stored) if logged else dml_sql


def _statistics(inserted: int, deleted: int, *, queued: int = 0, execution: int = 0) -> dict:
    return {"numInsertedRows": inserted, "numDeletedRows": deleted, "numCopiedRows": 0, "numAddedPartitions": 0,
            "numRemovedPartitions": 0, "queuedTimeMs": queued, "compilationTimeMs": 0, "executionTimeMs": execution}


def _changed_sources(dt: DynamicTable) -> list:
    """The tables `dt` reads that committed a change after `dt`'s last refresh read them."""
    return [s for s in dt.sources if s.tracking and s.tracking.last_change_csn > dt.source_csn]


def _sources_changed(dt: DynamicTable) -> bool:
    return not dt.initialized or bool(_changed_sources(dt))
