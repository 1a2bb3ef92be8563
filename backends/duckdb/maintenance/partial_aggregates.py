"""Algebraic refresh of GROUP BY dynamic tables: partial aggregates kept per group between refreshes.

A GROUP BY whose aggregates are SUM, COUNT and COUNT_IF (and MIN, MAX, COUNT(DISTINCT x)) keeps,
in a hidden table, each group's row count and the partial aggregates its output is computed from
(for SUM: the sum and the count of non-NULL values, so an all-NULL group gives NULL). A refresh
then reads only the changed input rows: rows as of the last refresh count -1, rows as of now +1,
and adds them to the kept partials of their groups, instead of re-reading every changed group.

MIN, MAX and COUNT(DISTINCT x) can only grow this way, so they are maintained while the sources
only gain rows (the common case: a change log, a silver layer over one). A refresh that saw
updates or deletes recomputes the changed groups (GroupsMaintenance) and the partials are rebuilt
at the next refresh that can use them. Sums of floats are not maintained (their rounding would
depend on the order of changes), nor are other aggregates: such queries refresh group by group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import duckdb
from sqlglot import exp

from backends.duckdb.maintenance.ivm import CURRENT, KEY, NotIncremental, SpjQuery, row_changes
from backends.duckdb.maintenance.refresh import DynamicTable, GroupsMaintenance, RefreshKind, group_key
from backends.duckdb.sql import translate
from backends.duckdb.sql.engine_errors import execute
from backends.duckdb.sql.names import quote
from backends.duckdb.sql.template import Template, slot

_KEY = quote(KEY)
_SIGN = '"__snowsim_sign"'
_N = '"__snowsim_n"'
_GROUPS = '"__snowsim_dt_groups"'
#: Aggregates kept as partials; those in _GROWING_ONLY only while the sources only gain rows.
_KINDS = {exp.Sum: "sum", exp.Count: "count", exp.CountIf: "count_if", exp.Min: "min", exp.Max: "max"}
_GROWING_ONLY = {"min", "max", "distinct"}


def _k(i: int) -> str:
    return f"__snowsim_k{i}"


def _p(i: int) -> str:
    return f"__snowsim_p{i}"


@dataclass(frozen=True)
class Partial:
    """One aggregate of the query: its kind and its argument (input column A<i>; None for COUNT(*))."""

    kind: str  # sum, count, count_if, min, max, distinct
    argument: str | None

    def columns(self, i: int) -> list[str]:
        """The kept columns: a sum and a count of non-NULL values for SUM, one value otherwise."""
        return [f"__snowsim_s{i}", f"__snowsim_c{i}"] if self.kind == "sum" else [f"__snowsim_v{i}"]


class PartialsUpdate(Enum):
    """What a refresh does to the kept partials once its change is written (None: they no longer match)."""

    ADD = "add the changed groups' new partials"
    REBUILD = "rebuild every group's partials from the content"


class NotAlgebraic(Exception):
    """The query has an aggregate (or an output) that partials cannot maintain."""


@dataclass
class AggregatesMaintenance(GroupsMaintenance):
    """GroupsMaintenance that adds changed rows to kept partial aggregates when it can."""

    partials: list[Partial] = field(default_factory=list)
    outputs: list[exp.Expression] = field(default_factory=list)  # the select items over k<i> and p<i>
    rows: SpjQuery | None = None  # input rows: G<i> (group-by values), then A<i> (aggregate arguments)
    #: False once the partials' types showed a float sum: refresh group by group from then on.
    algebraic: bool = True
    #: Whether the kept partials match the table's committed content; `_pending` is what this refresh leaves.
    _ready: bool = False
    _pending: PartialsUpdate | None = None
    _names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, groups: GroupsMaintenance) -> AggregatesMaintenance:
        """Partials for `groups`'s query, or NotAlgebraic."""
        query = groups.query
        if query.args.get("order") or not groups.input.differentiable:  # partials add the input's differences
            raise NotAlgebraic
        partials: list[Partial] = []
        arguments: list[exp.Expression] = []
        outputs = []
        for item in query.expressions:
            output = (item.this if isinstance(item, exp.Alias) else item).copy()
            for node in list(output.find_all(exp.AggFunc)):
                kind, argument = _partial(node)
                if argument is not None and argument not in arguments:
                    arguments.append(argument)
                partial = Partial(kind, None if argument is None else f"A{arguments.index(argument)}")
                if partial not in partials:  # the same aggregate twice is kept once
                    partials.append(partial)
                reference = exp.column(_p(partials.index(partial)), quoted=True)
                output = reference if node is output else output
                node.replace(reference)
            output = output.transform(lambda n: _group_reference(n, groups.group_by))
            if any(not c.name.startswith("__snowsim_") for c in output.find_all(exp.Column)) or isinstance(
                output, exp.Star
            ):
                raise NotAlgebraic
            outputs.append(output)
        if not partials:
            raise NotAlgebraic
        select = groups.input.query.copy()
        select.set("expressions", [*select.expressions, *(a.copy() for a in arguments)])
        columns = [*groups.input.columns, *(f"A{i}" for i in range(len(arguments)))]
        try:
            rows = SpjQuery.of(select, columns, allow_flatten=True, allow_outer=True)
        except NotIncremental as error:
            raise NotAlgebraic from error
        return cls(
            groups.query, groups.columns, groups.group_by, groups.input, partials=partials, outputs=outputs, rows=rows
        )

    # --- what a refresh runs ---------------------------------------------------------------------

    def prepare_delta(self, duck: duckdb.DuckDBPyConnection, dt: DynamicTable, values: dict[str, object],
                      kind: RefreshKind) -> Template | None:
        """Compute the changed groups from the kept partials and return their net change; None: not this time."""
        growing = kind == RefreshKind.DELTA_AFTER_INSERTS
        addable = growing or not any(p.kind in _GROWING_ONLY for p in self.partials)  # this refresh's changes add up
        if not (self.algebraic and (addable or kind == RefreshKind.REINITIALIZE)):
            self._pending = (
                None  # updates and deletes left MIN / MAX / COUNT(DISTINCT) unknown: rebuild when addable again
            )
            return None
        if not self._ready or kind == RefreshKind.REINITIALIZE:
            self._pending = PartialsUpdate.REBUILD  # after the changed groups are recomputed
            return None
        self._pending = PartialsUpdate.ADD
        names = self._storage(dt)
        for i, partial in enumerate(self.partials):
            if partial.kind == "distinct":
                execute(duck, self.cached(f"values{i}", lambda i=i: self._new_values_sql(i, names)).render(values))
        groups = self.cached(f"groups_{growing}", lambda: self._groups_sql(names, growing=growing))
        execute(duck, groups.render(values))
        return self.cached("changes", lambda: self._changes_sql(dt))

    def after_merge(self, duck: duckdb.DuckDBPyConnection, dt: DynamicTable, values: dict[str, object]) -> None:
        """Bring the kept partials to the content just written (in the refresh's transaction)."""
        if not self.algebraic or self._pending is None:
            return
        names = self._storage(dt)
        if self._pending is PartialsUpdate.REBUILD:
            for sql in self._rebuild_sql(names):
                execute(duck, sql)
            types = dict(
                execute(duck, f"SELECT column_name, column_type FROM (DESCRIBE {names['partials']})").fetchall()
            )
            if any(types.get(f"__snowsim_s{i}") in ("FLOAT", "DOUBLE") for i in range(len(self.partials))):
                self.algebraic, self._pending = False, None
            return
        partials = names["partials"]
        execute(duck, f"DELETE FROM {partials} WHERE {_KEY} IN (SELECT {_KEY} FROM {_GROUPS})")
        execute(duck, f"INSERT INTO {partials} SELECT * FROM {_GROUPS} WHERE {_N} > 0")
        for i, partial in enumerate(self.partials):
            if partial.kind == "distinct":
                execute(duck, f"INSERT INTO {names[f'values{i}']} SELECT * FROM {_new_values(i)}")
                execute(duck, f"DROP TABLE IF EXISTS {_new_values(i)}")
        execute(duck, f"DROP TABLE IF EXISTS {_GROUPS}")

    def finish(self, committed: bool) -> None:
        """The refresh's transaction ended: the partials match the content only if it committed and they were kept."""
        self._ready = committed and self._pending is not None and self.algebraic
        self._pending = None

    def storage(self) -> list[str]:
        return list(self._names.values())

    # --- SQL ---------------------------------------------------------------------------------------

    def _storage(self, dt: DynamicTable) -> dict[str, str]:
        if not self._names:
            self._names["partials"] = dt.name.internal("partials", dt.uid)
            for i, partial in enumerate(self.partials):
                if partial.kind == "distinct":
                    self._names[f"values{i}"] = dt.name.internal(f"distinct{i}", dt.uid)
        return self._names

    def _key(self) -> str:
        return translate.generate(group_key([exp.column(c, quoted=True) for c in self.input.columns]))

    def _aggregated(self, signed: str, *, full: bool) -> str:
        """Per group of `signed` input rows (with _SIGN): key, group values, row count, partials."""
        items = [
            f"{self._key()} AS {_KEY}",
            *(f"{quote(c)} AS {quote(_k(i))}" for i, c in enumerate(self.input.columns)),
            f"CAST(sum({_SIGN}) AS BIGINT) AS {_N}",
        ]
        for i, partial in enumerate(self.partials):
            a = quote(partial.argument) if partial.argument else None
            names = [quote(c) for c in partial.columns(i)]
            if partial.kind == "sum":
                items.append(f"sum({a} * {_SIGN}) AS {names[0]}")
                items.append(f"CAST(sum(CASE WHEN {a} IS NULL THEN 0 ELSE {_SIGN} END) AS BIGINT) AS {names[1]}")
            elif partial.kind in ("count", "count_if"):
                counted = {"count": _SIGN if a is None else f"CASE WHEN {a} IS NULL THEN 0 ELSE {_SIGN} END",
                           "count_if": f"CASE WHEN {a} THEN {_SIGN} ELSE 0 END"}[partial.kind]
                items.append(f"CAST(sum({counted}) AS BIGINT) AS {names[0]}")
            elif partial.kind in ("min", "max"):
                items.append(f"{partial.kind}({a}) AS {names[0]}")
            elif full:  # distinct: counted on a full build; a refresh counts the new values (_groups_sql)
                items.append(f"count(DISTINCT {a}) AS {names[0]}")
        return f"SELECT {', '.join(items)} FROM ({signed}) GROUP BY ALL"

    def _signed(self, kind: str) -> str:
        lo = slot("dt_lo")
        if kind == RefreshKind.FULL:
            return f"SELECT *, 1 AS {_SIGN} FROM ({self.rows.at(CURRENT)})"
        if kind == "growing":
            return f"SELECT *, 1 AS {_SIGN} FROM ({self.rows.appended(lo, CURRENT)})"
        return (f"SELECT *, -1 AS {_SIGN} FROM ({self.rows.side(lo, CURRENT, old=True)}) "
                f"UNION ALL SELECT *, 1 AS {_SIGN} FROM ({self.rows.side(lo, CURRENT, old=False)})")

    def _rebuild_sql(self, names: dict[str, str]) -> list[str]:
        statements = [
            f"CREATE OR REPLACE TABLE {names['partials']} AS {self._aggregated(self._signed('full'), full=True)}"
        ]
        for i, partial in enumerate(self.partials):
            if partial.kind == "distinct":
                statements.append(
                    f"CREATE OR REPLACE TABLE {names[f'values{i}']} AS {self._values(i, self.rows.at(CURRENT))}"
                )
        return statements

    def _values(self, i: int, rows: str) -> str:
        """The distinct (group, value) pairs of COUNT(DISTINCT) partial `i` among `rows`."""
        a = quote(self.partials[i].argument)
        return f"SELECT DISTINCT {self._key()} AS {_KEY}, {a} AS v FROM ({rows}) AS r WHERE {a} IS NOT NULL"

    def _new_values_sql(self, i: int, names: dict[str, str]) -> str:
        """The pairs of COUNT(DISTINCT) partial `i` that the rows inserted since the last refresh add."""
        added = self._values(i, self.rows.appended(slot("dt_lo"), CURRENT))
        return (f"CREATE OR REPLACE TEMP TABLE {_new_values(i)} AS SELECT * FROM ({added}) AS n "
                f"WHERE NOT EXISTS (SELECT 1 FROM {names[f'values{i}']} AS s WHERE s.{_KEY} = n.{_KEY} AND s.v = n.v)")

    def _groups_sql(self, names: dict[str, str], *, growing: bool) -> str:
        """The changed groups' new partials: the kept ones plus the changed rows' (a temporary table)."""
        delta = self._aggregated(self._signed("growing" if growing else "delta"), full=False)
        items = [
            f"d.{_KEY}",
            *(f"d.{quote(_k(i))}" for i in range(len(self.input.columns))),
            f"coalesce(o.{_N}, 0) + d.{_N} AS {_N}",
        ]
        joins = []
        for i, partial in enumerate(self.partials):
            for column in map(quote, partial.columns(i)):
                if partial.kind in ("min", "max"):
                    pick = "least" if partial.kind == "min" else "greatest"
                    items.append(f"{pick}(o.{column}, d.{column}) AS {column}")  # DuckDB's least/greatest skip NULLs
                elif partial.kind == "distinct":
                    joins.append(
                        f"LEFT JOIN (SELECT {_KEY}, count(*) AS added FROM {_new_values(i)} GROUP BY ALL) AS n{i} "
                        f"ON n{i}.{_KEY} = d.{_KEY}"
                    )
                    items.append(f"coalesce(o.{column}, 0) + coalesce(n{i}.added, 0) AS {column}")
                else:
                    items.append(f"coalesce(o.{column}, 0) + coalesce(d.{column}, 0) AS {column}")
        return (f"CREATE OR REPLACE TEMP TABLE {_GROUPS} AS SELECT {', '.join(items)} FROM ({delta}) AS d "
                f"LEFT JOIN {names['partials']} AS o ON o.{_KEY} = d.{_KEY} {' '.join(joins)}")

    def _changes_sql(self, dt: DynamicTable) -> str:
        """The dynamic table's net change: the changed groups' rows as stored against their outputs now."""
        values = []
        for i, partial in enumerate(self.partials):
            s, *c = (quote(n) for n in partial.columns(i))
            values.append(
                f"CASE WHEN {c[0]} = 0 THEN NULL ELSE {s} END AS {quote(_p(i))}"
                if partial.kind == "sum"
                else f"{s} AS {quote(_p(i))}"
            )
        outputs = []
        for output, column in zip(self.outputs, self.columns, strict=True):
            select = translate.transform_expressions(exp.Select(expressions=[output.copy()]))
            outputs.append(f"{translate.generate(select.expressions[0])} AS {quote(column)}")
        new = (f"SELECT {', '.join(outputs)}, {_KEY} FROM (SELECT *, {', '.join(values)} FROM {_GROUPS}) AS g "
               f"WHERE {_N} > 0")
        cols = ", ".join(quote(c) for c in self.columns)
        old = f"SELECT {cols}, {_KEY} FROM {dt.tracking.rows} WHERE {_KEY} IN (SELECT {_KEY} FROM {_GROUPS})"
        return row_changes(old, new, self.columns)


def _new_values(i: int) -> str:
    return quote(f"__snowsim_dt_new_values{i}")


def _partial(node: exp.AggFunc) -> tuple[str, exp.Expression | None]:
    """The kind of partial an aggregate call is kept as, and its argument (None for COUNT(*))."""
    kind = _KINDS.get(type(node))
    if kind is None or node.args.get("expressions"):
        raise NotAlgebraic
    argument = node.this
    if isinstance(argument, exp.Distinct):
        if kind != "count" or len(argument.expressions) != 1:
            raise NotAlgebraic
        kind, argument = "distinct", argument.expressions[0]
    if isinstance(argument, exp.Star):
        if kind != "count":
            raise NotAlgebraic
        return kind, None
    if argument is None or argument.find(exp.AggFunc, exp.Window):
        raise NotAlgebraic
    return kind, argument.copy()


def _group_reference(node: exp.Expression, group_by: list[exp.Expression]) -> exp.Expression:
    for i, value in enumerate(group_by):
        if node == value:
            return exp.column(_k(i), quoted=True)
    return node
