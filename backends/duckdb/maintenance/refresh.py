"""Dynamic tables' content and how a refresh computes it: the model and its maintenance strategies.

A `DynamicTable` is a table whose content a query maintains. Its content is stored like a tracked
table (catalog/tracking.py) plus a hidden key column, so streams on a dynamic table and
incremental dynamic tables downstream of it read its change log. Its `Maintenance` says what a
refresh computes: the whole result (FULL), or only the net change since the last refresh
(INCREMENTAL, maintenance/ivm.py): rows keyed by the source rows they combine, or, for a GROUP BY,
the groups whose input rows changed (or the partial aggregates kept per group,
maintenance/partial_aggregates.py). Which strategy a query gets is decided once, at CREATE
(maintenance/incremental.py); the refreshes themselves are scheduled by
objects/dynamic_tables/scheduler.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

import duckdb
from sqlglot import exp

from backends.clock import Millis
from backends.duckdb.catalog.objects import Table
from backends.duckdb.catalog.tracking import ROW_ID
from backends.duckdb.maintenance.ivm import (
    CURRENT,
    KEY,
    SpjQuery,
    alias_of,
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

_KEY = quote(KEY)


class RefreshMode(StrEnum):
    """What every refresh of a dynamic table computes (SHOW DYNAMIC TABLES' refresh_mode)."""

    INCREMENTAL = "INCREMENTAL"
    FULL = "FULL"


class RefreshKind(StrEnum):
    """The SQL a refresh runs: the whole result, or the change since the last refresh."""

    FULL = "full"
    DELTA = "delta"
    #: The change, when the sources only gained rows since the last refresh.
    DELTA_AFTER_INSERTS = "delta_after_inserts"
    #: The result rows gained, when the sources only gained rows and the result can only gain rows.
    APPENDED = "appended"
    #: The first refresh of an incremental table: the whole result, as a change from the empty content.
    REINITIALIZE = "reinitialize"


@dataclass(eq=False)
class DynamicTable(Table):
    """A table whose content a query maintains, refreshed to a target lag (objects/dynamic_tables/)."""

    kind: ClassVar[str] = "DYNAMIC TABLE"
    text: str = ""
    query: exp.Expression | None = None
    target_lag_ms: int | None = None  # None: DOWNSTREAM, or no scheduler
    target_lag_text: str | None = "DOWNSTREAM"  # None with SCHEDULER = DISABLE
    #: SCHEDULER = DISABLE: only manual refreshes, which do not cascade upstream.
    scheduler_enabled: bool = True
    warehouse: str = ""
    refresh_mode: RefreshMode = RefreshMode.INCREMENTAL
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

    def storage(self) -> list[str]:
        return self.maintenance.storage() if self.maintenance else []


# --- what a refresh computes -------------------------------------------------------------------------


class Maintenance:
    """How a dynamic table's content is (re)computed."""

    mode = RefreshMode.FULL

    def template(self, kind: RefreshKind, dt: DynamicTable) -> Template:
        """The SQL of `kind` (not REINITIALIZE, which takes FULL's) with a `dt_lo` commit slot, generated once
        per table."""
        def build() -> str:
            # A refresh reads in a fresh transaction: its sources as they are (CURRENT) and the changes since `dt_lo`.
            lo = slot("dt_lo")
            if kind == RefreshKind.FULL:
                return self.full(CURRENT)
            if kind == RefreshKind.APPENDED:
                return self.appended(lo, CURRENT)
            return self.delta(lo, CURRENT, dt, inserts_only=kind == RefreshKind.DELTA_AFTER_INSERTS)

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

    # Hooks for maintenance that keeps state of its own between refreshes (partial_aggregates.py); they run
    # their SQL on the refresh's DuckDB connection, inside its transaction, with the refresh's slot values.

    def prepare_delta(self, duck: duckdb.DuckDBPyConnection, dt: DynamicTable, values: dict[str, object],
                      kind: RefreshKind) -> Template | None:
        """The net change of a `kind` refresh if this maintenance computes it itself, else None."""
        return None

    def after_merge(self, duck: duckdb.DuckDBPyConnection, dt: DynamicTable, values: dict[str, object]) -> None:
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
    mode = RefreshMode.INCREMENTAL
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
    mode = RefreshMode.INCREMENTAL

    @property
    def differentiable(self) -> bool:
        return self.input.differentiable

    def _grouped(self, hi: str, *, only: str | None) -> str:
        """The groups as of `hi`, keyed; `only`: just the groups whose values (k0, k1, ...) it lists."""
        query = self.query.copy()
        for occurrence in occurrences(query):
            table = table_of(occurrence)
            alias = exp.TableAlias(this=exp.to_identifier(alias_of(occurrence), quoted=True))
            occurrence.replace(
                exp.Subquery(this=exp.Var(this=state(table, source_columns(table), ROW_ID, hi)), alias=alias)
            )
        translate.transform_expressions(query)
        expand_flattens(query)
        # Built after translation: DuckDB SQL over the translated group-by expressions.
        values = [
            translate.transform_expressions(exp.Select(expressions=[e.copy()])).expressions[0] for e in self.group_by
        ]
        query.append("expressions", exp.alias_(group_key(values), KEY, quoted=True))
        if only is not None:  # a semi-join on the raw values (NULL matching NULL), before aggregating
            match = exp.and_(*(exp.NullSafeEQ(this=exp.column(f"k{i}", table="c", quoted=True), expression=v.copy())
                               for i, v in enumerate(values)))
            query = query.where(
                exp.Exists(this=exp.select("1").from_(exp.Var(this=f"({only}) AS c")).where(match)), copy=False
            )
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
    mode = RefreshMode.FULL

    def full(self, hi: str) -> str:
        cols = ", ".join(quote(c) for c in self.columns)
        return f"SELECT {cols}, CAST(NULL AS VARCHAR) AS {_KEY} FROM ({self.sql}) AS q({cols})"



def group_key(values: list[exp.Expression]) -> exp.Expression:
    """A group's identity as text (DuckDB SQL): JSON of its group-by values, so NULLs form one group as in GROUP BY."""
    pairs = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=v) for i, v in enumerate(values)]
    return exp.Cast(
        this=exp.Anonymous(this="to_json", expressions=[exp.Anonymous(this="struct_pack", expressions=pairs)]),
        to=exp.DataType.build("VARCHAR"),
    )
