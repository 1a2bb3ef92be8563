"""Streams on views: the change set of a select-project-join view, by the delta rule.

Snowflake tracks changes on views made of projections, filters, inner joins and UNION ALL over
tables (https://docs.snowflake.com/en/user-guide/streams-intro#streams-on-views). For a view
over relations R1..Rn, the rows that can have changed are those built from at least one changed
base row; the emulator computes them at the offset and now:

  OLD = union over i of  view(R1 at offset, .., Ri's changed rows at offset, .., Rn at offset)
  NEW = union over i of  view(R1 now,       .., Ri's changed rows now,       .., Rn now)

keyed by the row ids of the base rows each view row combines, then nets OLD against NEW like a
table stream. A view over one table needs only its changed rows, so its reads cost in proportion
to the changes. Append-only view streams return, as inserts, the rows built from at least one
row inserted in the window (joined with the other relations at the offset plus their inserts).
"""

from __future__ import annotations

from sqlglot import exp

from ..errors import NotSupportedError, compilation_error
from . import translate
from .catalog import Stream, Table, View
from .names import normalize, quote
from .template import slot
from .tracking import DELETE, INSERT, ROW_ID, UPDATE_AFTER, UPDATE_BEFORE, table_state_sql

_RID = quote(ROW_ID)


def _branches(query: exp.Expression) -> list[exp.Select]:
    if isinstance(query, exp.Union) and not query.args.get("distinct"):
        return _branches(query.this) + _branches(query.expression)
    if isinstance(query, exp.Select):
        return [query]
    raise _unsupported("set operations other than UNION ALL")


def _unsupported(construct: str) -> Exception:
    return compilation_error(f"Change tracking is not supported on queries with {construct}.", errno=2210)


def check_view_supports_changes(view: View, *, query: str | None = None) -> None:
    """Refuse views Snowflake cannot track: GROUP BY, DISTINCT, LIMIT, outer joins, subqueries, views of views."""
    if view.query is None:
        raise _unsupported("an unknown definition")
    for select in _branches(view.query):
        for clause, name in (("group", "GROUP BY"), ("having", "HAVING"), ("qualify", "QUALIFY"), ("distinct", "DISTINCT"),
                             ("limit", "LIMIT"), ("offset", "OFFSET"), ("order", "ORDER BY"), ("with", "WITH")):
            if select.args.get(clause):
                raise _unsupported(f"'{name}'")
        if any(isinstance(n, exp.AggFunc) for n in select.find_all(exp.AggFunc)) or select.find(exp.Window):
            raise _unsupported("aggregate or window functions")
        for join in select.args.get("joins") or []:
            if join.side or (join.kind and join.kind.upper() not in ("INNER", "CROSS")):
                raise _unsupported("outer joins")
        for table in _occurrences(select):
            obj = table.meta.get("snowsim_object")
            if isinstance(obj, View):
                raise NotSupportedError("streams on views that read other views", query=query)
            if not isinstance(obj, Table):
                raise _unsupported("sources other than tables")
        for sub in select.find_all(exp.Subquery, exp.Exists, exp.Lateral):
            raise _unsupported("subqueries")


def _occurrences(select: exp.Select) -> list[exp.Table]:
    """The table references of one SELECT's FROM and JOIN clauses, in order."""
    found = []
    source = select.args.get("from_")
    items = ([source.this] if source else []) + [j.this for j in select.args.get("joins") or []]
    for item in items:
        if not isinstance(item, exp.Table):
            raise _unsupported("subqueries in FROM")
        found.append(item)
    return found


def _alias(table: exp.Table) -> str:
    alias = table.args.get("alias")
    return normalize(alias.this) if alias is not None and alias.this else normalize(table.this)


def _changed(table: Table, columns: list[str], rid: str, lo: str, hi: str, *, first: bool) -> str:
    """Rows changed in (lo, hi]: their images at lo (`first`) or at hi, where the row existed then."""
    log = table.tracking.changes
    order = '"seq", "kind"' if first else '"seq" DESC, "kind" DESC'
    kinds = f"{UPDATE_BEFORE}, {DELETE}" if first else f"{UPDATE_AFTER}, {INSERT}"
    cols = "".join(f", {quote(c)}" for c in columns)
    return (
        f"SELECT {_RID} AS {quote(rid)}{cols} FROM (SELECT * FROM {log} WHERE \"csn\" > {lo} AND \"csn\" <= {hi} "
        f"QUALIFY row_number() OVER (PARTITION BY {_RID} ORDER BY {order}) = 1) WHERE \"kind\" IN ({kinds})"
    )


def _inserted(table: Table, columns: list[str], rid: str, lo: str, hi: str) -> str:
    cols = "".join(f", {quote(c)}" for c in columns)
    return (
        f"SELECT {_RID} AS {quote(rid)}{cols} FROM {table.tracking.changes} "
        f"WHERE \"csn\" > {lo} AND \"csn\" <= {hi} AND \"kind\" = {INSERT}"
    )


def _state(table: Table, columns: list[str], rid: str, at: str) -> str:
    cols = "".join(f", {quote(c)}" for c in columns)
    return f"SELECT {_RID} AS {quote(rid)}{cols} FROM ({table_state_sql(table, columns, at)})"


def _instantiate(select: exp.Select, relations: list[str], view_columns: list[str]) -> str:
    """The branch with its i-th table replaced by SQL `relations[i]`, view columns renamed, row ids appended."""
    branch = select.copy()
    occurrences = _occurrences(branch)
    rid_names = [f"{ROW_ID}_{i}" for i in range(len(occurrences))]
    for i, (table, relation) in enumerate(zip(occurrences, relations, strict=True)):
        alias = exp.TableAlias(this=exp.to_identifier(_alias(table), quoted=True))
        table.replace(exp.Subquery(this=exp.Var(this=relation), alias=alias))
    for projection in list(branch.expressions):
        star = projection if isinstance(projection, exp.Star) else projection.this if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star) else None
        if star is not None:
            own = rid_names if isinstance(projection, exp.Star) else [
                rid_names[i] for i, t in enumerate(occurrences) if _alias(t) == normalize(projection.args["table"])
            ]
            star.set("except_", [exp.column(name, quoted=True) for name in own])
    for i, table in enumerate(occurrences):
        branch.append("expressions", exp.column(rid_names[i], table=_alias(table), quoted=True))
    translate.transform_expressions(branch)
    text = translate.generate(branch)
    names = ", ".join(quote(c) for c in [*view_columns, *rid_names])
    key = "CONCAT_WS(':', " + ", ".join(quote(r) for r in rid_names) + ")"
    return f"SELECT *, {key} AS \"__key\" FROM ({text}) AS b({names})"


def view_changeset_sql(stream: Stream) -> str:
    view = stream.source
    assert isinstance(view, View) and view.query is not None
    columns = [c.name for c in view.columns]
    lo, hi = slot(f"lo_{stream.uid}"), slot("hi")
    branches = _branches(view.query)
    select_cols = ", ".join(quote(c) for c in columns)
    row_id = f"sha1(CONCAT('{view.uid}:', {{}}.\"__key\"))"

    def tables_of(select: exp.Select) -> list[tuple[Table, list[str], int]]:
        return [(t.meta["snowsim_object"], [c.name for c in t.meta["snowsim_object"].columns], i)
                for i, t in enumerate(_occurrences(select))]

    def union(parts: list[str]) -> str:
        return " UNION ALL ".join(f"SELECT * REPLACE (CONCAT('{b}/', \"__key\") AS \"__key\") FROM ({sql})" for b, sql in parts)

    if stream.append_only:
        parts = []
        for b, select in enumerate(branches):
            tables = tables_of(select)
            for i in range(len(tables)):
                relations = []
                for t, cols, j in tables:
                    rid = f"{ROW_ID}_{j}"
                    if j < i:
                        relations.append(f"{_state(t, cols, rid, lo)} UNION ALL {_inserted(t, cols, rid, lo, hi)}")
                    elif j == i:
                        relations.append(_inserted(t, cols, rid, lo, hi))
                    else:
                        relations.append(_state(t, cols, rid, lo))
                parts.append((b, _instantiate(select, relations, columns)))
        return (
            f"SELECT {select_cols}, 'INSERT' AS \"METADATA$ACTION\", FALSE AS \"METADATA$ISUPDATE\", "
            f"{row_id.format('i')} AS \"METADATA$ROW_ID\" FROM ({union(parts)}) AS i"
        )

    def side(first: bool, at: str) -> str:
        parts = []
        for b, select in enumerate(branches):
            tables = tables_of(select)
            for i in range(len(tables)):
                relations = [
                    _changed(t, cols, f"{ROW_ID}_{j}", lo, hi, first=first) if j == i else _state(t, cols, f"{ROW_ID}_{j}", at)
                    for t, cols, j in tables
                ]
                parts.append((b, _instantiate(select, relations, columns)))
        return f"SELECT DISTINCT ON (\"__key\") * FROM ({union(parts)})"

    def row(prefix: str) -> str:
        return "ROW(" + ", ".join(f"{prefix}.{quote(c)}" for c in columns) + ")"

    delta = f"""
WITH o AS ({side(True, lo)}), n AS ({side(False, hi)})
SELECT {', '.join(f'n.{quote(c)}' for c in columns)}, 'INSERT' AS "METADATA$ACTION",
       o."__key" IS NOT NULL AS "METADATA$ISUPDATE", {row_id.format('n')} AS "METADATA$ROW_ID"
FROM n LEFT JOIN o ON n."__key" = o."__key" WHERE o."__key" IS NULL OR {row('o')} IS DISTINCT FROM {row('n')}
UNION ALL
SELECT {', '.join(f'o.{quote(c)}' for c in columns)}, 'DELETE' AS "METADATA$ACTION",
       n."__key" IS NOT NULL AS "METADATA$ISUPDATE", {row_id.format('o')} AS "METADATA$ROW_ID"
FROM o LEFT JOIN n ON n."__key" = o."__key" WHERE n."__key" IS NULL OR {row('o')} IS DISTINCT FROM {row('n')}
"""
    if not stream.show_initial_rows:
        return delta
    initial_parts = []
    for b, select in enumerate(branches):
        relations = [_state(t, cols, f"{ROW_ID}_{j}", hi) for t, cols, j in tables_of(select)]
        initial_parts.append((b, _instantiate(select, relations, columns)))
    initial = (
        f"SELECT {select_cols}, 'INSERT' AS \"METADATA$ACTION\", FALSE AS \"METADATA$ISUPDATE\", "
        f"{row_id.format('i')} AS \"METADATA$ROW_ID\" FROM ({union(initial_parts)}) AS i"
    )
    flag = slot(f"initial_{stream.uid}")
    return f"SELECT * FROM ({delta}) AS d WHERE NOT {flag} UNION ALL SELECT * FROM ({initial}) AS i WHERE {flag}"
