"""Which refresh mode a dynamic table's query gets, and why: decided once, when it is created.

Snowflake refreshes a dynamic table incrementally when its query allows it and the user did not ask
for FULL (REFRESH_MODE = AUTO, the default); REFRESH_MODE = INCREMENTAL on a query that does not allow
it is an error naming the reason (https://docs.snowflake.com/en/user-guide/dynamic-tables/refresh,
semantics 3.4). The query shapes maintained here: select-project-join (UNION ALL, FLATTEN and
equality outer joins included), GROUP BY over such an input, and SELECT DISTINCT as a GROUP BY.
"""

from __future__ import annotations

from enum import StrEnum

from sqlglot import exp

from backends.duckdb.maintenance.ivm import NotIncremental, SpjQuery, check_spj
from backends.duckdb.maintenance.partial_aggregates import AggregatesMaintenance, NotAlgebraic
from backends.duckdb.maintenance.refresh import (
    FullMaintenance,
    GroupsMaintenance,
    Maintenance,
    RowsMaintenance,
)


class RequestedMode(StrEnum):
    """REFRESH_MODE as the user wrote it; AUTO (the default) lets the query's shape decide."""

    AUTO = "AUTO"
    INCREMENTAL = "INCREMENTAL"
    FULL = "FULL"


def plan_maintenance(query: exp.Expression, columns: list[str], full_sql: str,
                     requested: RequestedMode = RequestedMode.AUTO) -> tuple[Maintenance, str | None]:
    """The dynamic table's maintenance and, when it is FULL, why (SHOW's refresh_mode_reason).

    Incremental when the query's shape allows it and FULL was not requested; REFRESH_MODE = INCREMENTAL
    on a query that does not allow it raises NotIncremental with the reason.
    """
    try:
        maintenance, reason = _incremental(query, columns), None
    except NotIncremental as error:
        reason = error.reason if error.verbatim else (
            f"This dynamic table contains {error.reason}, which is not supported for incremental refresh.")
        if requested == RequestedMode.INCREMENTAL:
            raise NotIncremental(reason) from error
        return FullMaintenance(full_sql, columns), reason
    if requested == RequestedMode.FULL:
        return FullMaintenance(full_sql, columns), "REFRESH_MODE = FULL was requested."
    return maintenance, reason


def _incremental(query: exp.Expression, columns: list[str]) -> Maintenance:
    """The incremental maintenance of the query's shape, or NotIncremental naming what prevents it."""
    if isinstance(query, exp.Select) and query.args.get("distinct") and not query.args.get("group"):
        query = _distinct_as_group_by(query)
    if isinstance(query, exp.Select) and query.args.get("group"):
        return _groups(query, columns)
    return RowsMaintenance(SpjQuery.of(query, columns, allow_flatten=True, allow_outer=True))


def _distinct_as_group_by(query: exp.Select) -> exp.Select:
    """SELECT DISTINCT a, b ... is SELECT a, b ... GROUP BY a, b: maintained group by group."""
    if query.args["distinct"].args.get("on") or any(
        isinstance(e, exp.Star) or e.find(exp.Star) for e in query.expressions
    ):
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
            alias_target = next(
                (
                    e.this
                    for e in query.expressions
                    if isinstance(e, exp.Alias)
                    and isinstance(item, exp.Column)
                    and not item.table
                    and e.alias.upper() == item.name.upper()
                    and not e.this.find(exp.AggFunc)
                ),
                None,
            )
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
    try:
        return AggregatesMaintenance.of(groups)
    except NotAlgebraic:
        return groups


