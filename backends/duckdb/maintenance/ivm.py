"""Incremental view maintenance: what a query's result gained and lost between two commits.

Shared by streams on views and by dynamic tables. A query over tracked tables R1..Rn is
select-project-join (SPJ), possibly a UNION ALL of such branches. Each result row is identified
by a key, the row ids of the source rows it combines (prefixed by its branch). Between commits
lo and hi, only rows built from at least one changed source row can differ:

  OLD = union over i of  branch(R1 at lo, .., Ri's changed rows as of lo, .., Rn at lo)
  NEW = union over i of  branch(R1 at hi, .., Ri's changed rows as of hi, .., Rn at hi)

Ri's changed rows come from its change log alone, so a one-table query costs in proportion to
the changes; other tables of a join are read as of lo or hi (tracking.table_state_sql).

A branch with an outer join (dynamic tables only) is not differentiated that way: a row gained on
one side removes a NULL-extended row. A dynamic table over one takes its change as the difference
between what it holds and the query's result now (maintenance/refresh.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from backends.duckdb.catalog.objects import Table, View
from backends.duckdb.catalog.tracking import (
    CSN,
    DELETE,
    INSERT,
    KIND,
    ROW_ID,
    SEQ,
    UPDATE_AFTER,
    UPDATE_BEFORE,
    table_state_sql,
)
from backends.duckdb.sql import translate
from backends.duckdb.sql.flatten import FLATTEN_COLUMNS, flatten
from backends.duckdb.sql.names import normalize, quote
from backends.errors import compilation_error

_RID = quote(ROW_ID)
KEY = "__snowsim_key"
_KEY = quote(KEY)


class NotIncremental(Exception):
    """The query's shape has no incremental form; `reason` says which construct (as SHOW shows it).

    `verbatim`: the reason is already Snowflake's whole sentence (refresh_mode_reason), not a construct.
    """

    def __init__(self, reason: str, *, verbatim: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.verbatim = verbatim


def branches(query: exp.Expression) -> list[exp.Select]:
    """The SELECT branches of a UNION ALL (a single SELECT is one branch)."""
    if isinstance(query, exp.Union) and not query.args.get("distinct"):
        return branches(query.this) + branches(query.expression)
    if isinstance(query, exp.Select):
        return [query]
    if isinstance(query, exp.SetOperation):  # Snowflake's words (SHOW DYNAMIC TABLES refresh_mode_reason)
        operator = {exp.Union: "UNION", exp.Except: "EXCEPT", exp.Intersect: "INTERSECT"}.get(type(query), "SET")
        raise NotIncremental(f"Unsupported query operator type: SetOperation[{operator}]", verbatim=True)
    raise NotIncremental("set operations other than UNION ALL")


def is_flatten(node: exp.Expression) -> bool:
    """A `LATERAL FLATTEN(...)` (or `TABLE(FLATTEN(...))`) item of a FROM clause."""
    return isinstance(node, exp.Lateral | exp.TableFromRows) and isinstance(node.this, exp.Explode)


def occurrences(select: exp.Select) -> list[exp.Table]:
    """The table references of one SELECT's FROM and JOIN clauses, in order (FLATTENs are not tables)."""
    found = []
    source = select.args.get("from_")
    items = ([source.this] if source else []) + [j.this for j in select.args.get("joins") or []]
    for item in items:
        if is_flatten(item):
            continue
        if not isinstance(item, exp.Table):
            raise NotIncremental("subqueries or table functions in FROM")
        found.append(item)
    if not found:
        raise NotIncremental("a query without a table")
    return found


def check_spj(select: exp.Select, *, allow_group: bool = False, allow_flatten: bool = False,
              allow_outer: bool = False, allow_clock: bool = False) -> None:
    """Refuse what a select-project-join branch cannot contain (GROUP BY, FLATTEN, outer joins with
    equality predicates and the clock's functions only where the caller handles them)."""
    for clause, name in (("having", "HAVING"), ("qualify", "QUALIFY"), ("distinct", "DISTINCT"), ("limit", "LIMIT"),
                         ("offset", "OFFSET"), ("with", "WITH")):
        if select.args.get(clause):
            raise NotIncremental(f"'{name}'")
    if select.args.get("group") and not allow_group:
        raise NotIncremental("'GROUP BY'")
    if not allow_group and any(True for _ in select.find_all(exp.AggFunc)):
        raise NotIncremental("aggregate functions")
    if select.find(exp.Window):
        raise NotIncremental("window functions")
    for join in select.args.get("joins") or []:
        if is_outer(join):
            _check_outer(join, allowed=allow_outer)
        elif join.kind and join.kind.upper() not in ("INNER", "CROSS"):
            raise NotIncremental("outer joins")
    for node in select.find_all(exp.Subquery, exp.Exists, exp.Lateral, exp.TableFromRows):
        if not (allow_flatten and is_flatten(node)):
            raise NotIncremental("subqueries or table functions")
    clock = (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime)
    for func in select.find_all(*clock, exp.Rand, exp.Uuid):
        if allow_clock and isinstance(func, clock):
            continue
        raise NotIncremental(f"the non-deterministic function {func.sql(dialect='snowflake').upper()}")
    for table in occurrences(select):
        obj = table.meta.get("snowsim_object")
        if isinstance(obj, View):
            raise NotIncremental("views in FROM")
        if not isinstance(obj, Table):
            raise NotIncremental("sources other than tables")


def is_outer(join: exp.Join) -> bool:
    return bool(join.side) or (join.kind or "").upper() == "OUTER"


def has_outer(select: exp.Select) -> bool:
    return any(is_outer(join) for join in select.args.get("joins") or [])


def _check_outer(join: exp.Join, *, allowed: bool) -> None:
    """Snowflake refreshes outer joins (LEFT, RIGHT, FULL) with equality predicates incrementally."""
    if not allowed:
        raise NotIncremental("outer joins")
    if join.args.get("using"):  # USING (a, b) is a.a = b.a AND ...
        return
    condition = join.args.get("on")
    node = condition.unnest() if condition is not None else None
    conjuncts = list(node.flatten()) if isinstance(node, exp.And) else [node]
    if node is None or not all(isinstance(c.unnest(), exp.EQ) for c in conjuncts):
        raise NotIncremental("non-equality outer joins")


def alias_of(table: exp.Table) -> str:
    alias = table.args.get("alias")
    return normalize(alias.this) if alias is not None and alias.this else normalize(table.this)


def table_of(occurrence: exp.Table) -> Table:
    return occurrence.meta["snowsim_object"]


# --- relations over the change log -----------------------------------------------------------------


def _cols(columns: list[str]) -> str:
    return "".join(f", {quote(c)}" for c in columns)


#: `hi` for a reader in a fresh transaction: the committed state is the tables as they are, and the
#: log holds nothing after it, so no undo and no upper bound are needed.
CURRENT = "current"


def _window(lo: str, hi: str) -> str:
    return f"{CSN} > {lo}" + ("" if hi == CURRENT else f" AND {CSN} <= {hi}")


def changed(table: Table, columns: list[str], rid: str, lo: str, hi: str, *, first: bool) -> str:
    """Rows changed in (lo, hi]: their images as of lo (`first`) or as of hi, where the row existed then."""
    log = table.tracking.changes
    order = f"{SEQ}, {KIND}" if first else f"{SEQ} DESC, {KIND} DESC"
    kinds = f"{UPDATE_BEFORE}, {DELETE}" if first else f"{UPDATE_AFTER}, {INSERT}"
    return (
        f"SELECT {_RID} AS {quote(rid)}{_cols(columns)} FROM (SELECT * FROM {log} WHERE {_window(lo, hi)} "
        f"QUALIFY row_number() OVER (PARTITION BY {_RID} ORDER BY {order}) = 1) WHERE {KIND} IN ({kinds})"
    )


def inserted(table: Table, columns: list[str], rid: str, lo: str, hi: str) -> str:
    """Rows inserted in (lo, hi], as inserted."""
    return (
        f"SELECT {_RID} AS {quote(rid)}{_cols(columns)} FROM {table.tracking.changes} "
        f"WHERE {_window(lo, hi)} AND {KIND} = {INSERT}"
    )


def state(table: Table, columns: list[str], rid: str, at: str) -> str:
    """The table as of commit `at` (CURRENT: as it is)."""
    if at == CURRENT:
        return f"SELECT {_RID} AS {quote(rid)}{_cols(columns)} FROM {table.tracking.rows}"
    return f"SELECT {_RID} AS {quote(rid)}{_cols(columns)} FROM ({table_state_sql(table, columns, at)})"


def source_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns]


# --- instantiating a branch ------------------------------------------------------------------------------


def instantiate(select: exp.Select, relations: list[str], columns: list[str], prefix: str) -> str:
    """The branch over `relations` (SQL for each table occurrence), renamed to `columns`, with its row key.

    Output: the branch's columns, then `__snowsim_key` ('<prefix>/<rid1>:<rid2>...').
    """
    branch = select.copy()
    found = occurrences(branch)
    rid_names = [f"{ROW_ID}_{i}" for i in range(len(found))]
    for table, relation in zip(found, relations, strict=True):
        alias = exp.TableAlias(this=exp.to_identifier(alias_of(table), quoted=True))
        table.replace(exp.Subquery(this=exp.Var(this=relation), alias=alias))
    for projection in list(branch.expressions):
        star = projection if isinstance(projection, exp.Star) else (
            projection.this if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star) else None
        )
        if star is not None:
            own = rid_names if isinstance(projection, exp.Star) else [
                rid_names[i] for i, t in enumerate(found) if alias_of(t) == normalize(projection.args["table"])
            ]
            star.set("except_", [exp.column(name, quoted=True) for name in own])
    for i, table in enumerate(found):
        branch.append("expressions", exp.column(rid_names[i], table=alias_of(table), quoted=True))
    translate.transform_expressions(branch)
    elements = expand_flattens(branch)  # after translation, like the compiler: FLATTEN becomes DuckDB SQL
    for element in elements:  # a FLATTEN's element path tells its rows from one source row apart
        branch.append("expressions", element)
    rid_names += [f"__snowsim_element_{i}" for i in range(len(elements))]
    text = translate.generate(branch)
    names = ", ".join(quote(c) for c in [*columns, *rid_names])
    key = f"CONCAT('{prefix}/', " + ", ':', ".join(f"CAST({quote(r)} AS VARCHAR)" for r in rid_names) + ")"
    return f"SELECT {', '.join(quote(c) for c in columns)}, {key} AS {_KEY} FROM ({text}) AS b({names})"


def expand_flattens(select: exp.Select) -> list[exp.Column]:
    """Rewrite `select`'s FLATTENs to DuckDB (sql/flatten.py); the PATH column of each, which keys its elements."""
    paths = []
    for node in [j.this for j in select.args.get("joins") or []]:
        if is_flatten(node):
            alias = node.args.get("alias")
            names = [normalize(c) for c in alias.columns] if alias is not None and alias.columns else []
            names += list(FLATTEN_COLUMNS)[len(names):]
            alias_name = normalize(alias.this) if alias is not None and alias.this else "F"
            flatten(node)
            paths.append(exp.column(names[FLATTEN_COLUMNS.index("PATH")], table=alias_name, quoted=True))
    return paths


@dataclass(frozen=True)
class SpjQuery:
    """A UNION ALL of SPJ branches, ready to be evaluated at a commit or differentiated between two."""

    query: exp.Expression
    columns: list[str]

    @classmethod
    def of(cls, query: exp.Expression, columns: list[str], *, allow_flatten: bool = False,
           allow_outer: bool = False) -> SpjQuery:
        for select in branches(query):
            check_spj(select, allow_flatten=allow_flatten, allow_outer=allow_outer)
        return cls(query, columns)

    @property
    def differentiable(self) -> bool:
        """Whether the query can be differentiated (`side`, `appended`): not across an outer join, where a row
        gained on one side removes a NULL-extended one."""
        return not any(has_outer(select) for select in branches(self.query))

    def _tables(self, select: exp.Select) -> list[tuple[Table, list[str], str]]:
        return [(table_of(t), source_columns(table_of(t)), f"{ROW_ID}_{i}") for i, t in enumerate(occurrences(select))]

    def at(self, csn: str) -> str:
        """Every result row, keyed, as of commit `csn`."""
        parts = []
        for b, select in enumerate(branches(self.query)):
            relations = [state(t, cols, rid, csn) for t, cols, rid in self._tables(select)]
            parts.append(instantiate(select, relations, self.columns, str(b)))
        return " UNION ALL ".join(parts)

    def side(self, lo: str, hi: str, *, old: bool) -> str:
        """Result rows built from at least one row changed in (lo, hi], as of lo (`old`) or hi; one per key."""
        at = lo if old else hi
        parts = []
        for b, select in enumerate(branches(self.query)):
            tables = self._tables(select)
            assert not has_outer(select), "an outer join is not differentiated: see differentiable"
            for i in range(len(tables)):
                relations = [
                    changed(t, cols, rid, lo, hi, first=old) if j == i else state(t, cols, rid, at)
                    for j, (t, cols, rid) in enumerate(tables)
                ]
                parts.append(instantiate(select, relations, self.columns, str(b)))
        return f"SELECT DISTINCT ON ({_KEY}) * FROM ({' UNION ALL '.join(parts)})"

    def appended(self, lo: str, hi: str) -> str:
        """Rows built from at least one row inserted in (lo, hi], joined with the others as of lo plus their inserts."""
        parts = []
        for b, select in enumerate(branches(self.query)):
            tables = self._tables(select)
            for i in range(len(tables)):
                relations = []
                for j, (t, cols, rid) in enumerate(tables):
                    if j < i and hi == CURRENT:  # only inserts since lo: the rows as of lo plus them are the rows now
                        relations.append(state(t, cols, rid, CURRENT))
                    elif j < i:
                        relations.append(f"{state(t, cols, rid, lo)} UNION ALL {inserted(t, cols, rid, lo, hi)}")
                    elif j == i:
                        relations.append(inserted(t, cols, rid, lo, hi))
                    else:
                        relations.append(state(t, cols, rid, lo))
                parts.append(instantiate(select, relations, self.columns, str(b)))
        return " UNION ALL ".join(parts)

    def sources(self) -> list[Table]:
        found: list[Table] = []
        for select in branches(self.query):
            for occurrence in occurrences(select):
                if table_of(occurrence) not in found:
                    found.append(table_of(occurrence))
        return found


def net_changes(old: str, new: str, columns: list[str]) -> str:
    """Keyed rows that changed between OLD and NEW: ('INSERT' | 'DELETE', ISUPDATE) like a stream."""
    cols_o = ", ".join(f"o.{quote(c)}" for c in columns)
    cols_n = ", ".join(f"n.{quote(c)}" for c in columns)
    row_o, row_n = f"ROW({cols_o})", f"ROW({cols_n})"
    return f"""
WITH o AS ({old}), n AS ({new})
SELECT {cols_n}, n.{_KEY} AS {_KEY}, 'INSERT' AS "METADATA$ACTION", o.{_KEY} IS NOT NULL AS "METADATA$ISUPDATE"
FROM n LEFT JOIN o ON n.{_KEY} = o.{_KEY} WHERE o.{_KEY} IS NULL OR {row_o} IS DISTINCT FROM {row_n}
UNION ALL
SELECT {cols_o}, o.{_KEY} AS {_KEY}, 'DELETE' AS "METADATA$ACTION", n.{_KEY} IS NOT NULL AS "METADATA$ISUPDATE"
FROM o LEFT JOIN n ON n.{_KEY} = o.{_KEY} WHERE n.{_KEY} IS NULL OR {row_o} IS DISTINCT FROM {row_n}
"""


#: The column `row_changes` names what to do with each key: 'INSERT', 'UPDATE' or 'DELETE'.
CHANGE = "__snowsim_change"


def row_changes(old: str, new: str, columns: list[str]) -> str:
    """One row per key whose row differs between OLD and NEW: its new values (its old key when deleted) and CHANGE.

    What a table kept equal to NEW must do; unlike `net_changes` it does not carry the old images.
    """
    row_o = "ROW(" + ", ".join(f"o.{quote(c)}" for c in columns) + ")"
    row_n = "ROW(" + ", ".join(f"n.{quote(c)}" for c in columns) + ")"
    cols_n = ", ".join(f"n.{quote(c)}" for c in columns)
    return f"""
WITH o AS ({old}), n AS ({new})
SELECT {cols_n}, coalesce(n.{_KEY}, o.{_KEY}) AS {_KEY},
  CASE WHEN n.{_KEY} IS NULL THEN 'DELETE' WHEN o.{_KEY} IS NULL THEN 'INSERT' ELSE 'UPDATE' END AS {quote(CHANGE)}
FROM o FULL JOIN n ON o.{_KEY} = n.{_KEY}
WHERE o.{_KEY} IS NULL OR n.{_KEY} IS NULL OR {row_o} IS DISTINCT FROM {row_n}
"""


def unsupported_for_streams(reason: str) -> Exception:
    return compilation_error(f"Change tracking is not supported on queries with {reason}.", errno=2210)
