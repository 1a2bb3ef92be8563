"""Queries: a SELECT (or set operation) becomes a one-step `SqlPlan` of translated DuckDB SQL.

Projections without an alias are named as Snowflake names them (their text, upper-cased); table
references are resolved and rewritten (compile/resolve.py); numbered binds become slots.
"""

from __future__ import annotations

from sqlglot import exp

from backends.duckdb.compile.context import SessionLike
from backends.duckdb.compile.plans import SqlPlan
from backends.duckdb.compile.resolve import Resolver
from backends.duckdb.compile.steps import Step
from backends.duckdb.sql import translate
from backends.duckdb.sql.projection_names import projection_text
from backends.duckdb.sql.template import slot_node
from backends.errors import compilation_error


def bind_placeholders(ast: exp.Expression, sql: str) -> None:
    """Numbered binds (:1, :2, ...) become slots the step renumbers for DuckDB."""
    for node in list(ast.find_all(exp.Placeholder)):
        name = node.this
        if name is None or not str(name).isdigit():
            raise compilation_error(f"Bind variable {node.sql(dialect='snowflake')} not set.", errno=2049, query=sql)
        node.replace(slot_node(f"p{int(name) - 1}"))


def finish(ast: exp.Expression, sql: str) -> str:
    """The DuckDB text of a translated tree."""
    bind_placeholders(ast, sql)
    return translate.generate(ast, sql=sql)


def compile_query(ast: exp.Expression, sql: str, session: SessionLike) -> SqlPlan:
    name_unaliased_projections(ast, sql)
    translate.transform_expressions(ast, sql=sql)
    bindings = Resolver(session.catalog, session.context, sql).rewrite(ast)
    step = Step(finish(ast, sql))
    return SqlPlan(session.catalog.version, steps=[step], bindings=bindings, check=step)


def name_unaliased_projections(ast: exp.Expression, sql: str) -> None:
    """Name expression columns as Snowflake does: by their text, upper-cased (`COUNT(*)`)."""
    select = ast
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return

    for projection in select.expressions:
        if isinstance(projection, (exp.Alias, exp.Column, exp.Star)) or projection.find(exp.Star) is projection:
            continue
        text = projection_text(sql, projection)
        if text:
            projection.replace(exp.alias_(projection.copy(), exp.to_identifier(text, quoted=True)))
