"""LATERAL FLATTEN as a lateral subquery over DuckDB's json_each.

Output columns follow https://docs.snowflake.com/en/sql-reference/functions/flatten (SEQ, KEY, PATH,
INDEX, VALUE, THIS); SEQ is NULL (DuckDB cannot number the outer rows from inside the lateral join)
and referring to it explicitly is refused.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from backends.duckdb.sql.names import normalize
from backends.errors import NotSupportedError

FLATTEN_COLUMNS = ("SEQ", "KEY", "PATH", "INDEX", "VALUE", "THIS")

_FLATTEN_SELECT = """
SELECT
  CAST(NULL AS BIGINT) AS c0,
  CASE WHEN json_type(i.x) = 'OBJECT' THEN e.key END AS c1,
  CASE WHEN json_type(i.x) = 'ARRAY' THEN CONCAT(i.p, '[', e.key, ']')
       ELSE CONCAT(i.p, CASE WHEN i.p <> '' THEN '.' ELSE '' END, e.key) END AS c2,
  CASE WHEN json_type(i.x) = 'ARRAY' THEN CAST(e.key AS BIGINT) END AS c3,
  e.value AS c4,
  i.x AS c5
"""
_INPUT = "(SELECT CAST(__snowsim_input AS JSON) AS x, __snowsim_path AS p) AS i"
_WHERE = "WHERE json_type(i.x) IN ('ARRAY', 'OBJECT')"
# An input that reads no column is passed to json_each itself, not through the one-row subquery: joined
# on that row's column, DuckDB hash-joins and the elements come back in reverse index order.
_FLATTEN_SQL = f"{_FLATTEN_SELECT} FROM {_INPUT}, json_each(i.x) AS e {_WHERE}"
_FLATTEN_CONSTANT_SQL = f"{_FLATTEN_SELECT} FROM {_INPUT}, json_each(CAST(__snowsim_input AS JSON)) AS e {_WHERE}"


def flatten(node: exp.Lateral | exp.TableFromRows) -> None:
    """LATERAL FLATTEN(input => ...) as a lateral subquery over json_each.

    Output columns follow https://docs.snowflake.com/en/sql-reference/functions/flatten; SEQ is
    NULL (DuckDB cannot number the outer rows from inside the lateral join) and referring to it
    explicitly is refused.
    """
    explode: exp.Explode = node.this
    args: dict[str, exp.Expression] = {}
    positional = [explode.this, *explode.expressions]
    for i, arg in enumerate(positional):
        if isinstance(arg, exp.Kwarg):
            args[arg.this.name.lower()] = arg.expression
        elif i == 0:
            args["input"] = arg
        else:
            raise NotSupportedError("FLATTEN with positional arguments after INPUT")
    for unsupported in ("recursive", "mode"):
        if unsupported in args and not (unsupported == "recursive" and _is_false(args[unsupported])):
            if not (
                unsupported == "mode" and isinstance(args["mode"], exp.Literal) and args["mode"].this.upper() == "BOTH"
            ):
                raise NotSupportedError(f"FLATTEN's {unsupported.upper()} argument")
    source = args["input"]
    path_text = ""
    if "path" in args:
        path = args["path"]
        if not (isinstance(path, exp.Literal) and path.is_string):
            raise NotSupportedError("FLATTEN with a non-literal PATH")
        path_text = path.this
        source = exp.JSONExtract(
            this=source,
            expression=exp.Literal.string("$." + path_text if not path_text.startswith("[") else "$" + path_text),
        )
    template = _FLATTEN_SQL if source.find(exp.Column) else _FLATTEN_CONSTANT_SQL
    query = sqlglot.parse_one(template, read="duckdb")
    for column in list(query.find_all(exp.Column)):
        if column.name == "__snowsim_input":
            column.replace(source.copy())
        elif column.name == "__snowsim_path":
            column.replace(exp.Literal.string(path_text))
    alias = node.args.get("alias")
    names = list(FLATTEN_COLUMNS)
    if alias is not None and alias.columns:
        names = [normalize(c) for c in alias.columns] + names[len(alias.columns):]
    for projection, name in zip(query.expressions, names, strict=True):
        projection.set("alias", exp.to_identifier(name, quoted=True))
    alias_name = normalize(alias.this) if alias is not None and alias.this else "F"
    _refuse_seq(node, alias_name, names[0])
    lateral = exp.Lateral(
        this=exp.Subquery(this=query), alias=exp.TableAlias(this=exp.to_identifier(alias_name, quoted=True))
    )
    outer = "outer" in args and not _is_false(args["outer"])
    parent = node.parent
    if outer and isinstance(parent, exp.Join):
        parent.set("side", "LEFT")
        parent.set("kind", None)
        parent.set("on", exp.true())
    elif outer:
        raise NotSupportedError("FLATTEN(OUTER => TRUE) outside a join")
    node.replace(lateral)


def _is_false(value: exp.Expression) -> bool:
    return isinstance(value, exp.Boolean) and not value.this


def _refuse_seq(node: exp.Expression, alias: str, seq_name: str) -> None:
    statement = node.root()
    for column in statement.find_all(exp.Column):
        if normalize(column.this) == seq_name and column.table and normalize(column.args["table"]) == alias:
            raise NotSupportedError("FLATTEN's SEQ column", detail="it cannot be numbered inside DuckDB's lateral join")


