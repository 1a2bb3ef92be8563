"""The INFORMATION_SCHEMA table-function registry: how `TABLE(INFORMATION_SCHEMA.F(...))` compiles.

`TABLE(INFORMATION_SCHEMA.F(ARG => value, ...))` becomes a subquery over an Arrow table that F
builds from the emulator's state when the statement runs; the arguments become its filter, order
and limit. Argument names are checked at compile time: a wrong one (the reference pipeline's
`TABLE_NAME =>` for DYNAMIC_TABLE_REFRESH_HISTORY) is an error naming the accepted arguments.
The functions themselves are declared by the modules whose state they read (objects/tasks/,
objects/pipes.py, ...) and registered by session/dispatch.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from sqlglot import exp

from backends.duckdb.compile.context import AccountLike
from backends.errors import compilation_error

TIMESTAMP = pa.timestamp("ms", tz="UTC")


@dataclass(frozen=True)
class Argument:
    name: str
    #: SQL condition on the function's rows, `{}` standing for the argument's value (None: not a filter).
    condition: str | None = None
    kind: str = "expression"  # "expression", "limit" or "flag"


@dataclass
class TableFunction:
    name: str
    schema: pa.Schema
    rows: Callable[[AccountLike], list[dict[str, Any]]]
    arguments: list[Argument]
    order_by: str
    default_limit: int | None = 100
    #: A condition always applied (the function's window), if any.
    window: str | None = None
    required: list[str] = field(default_factory=list)
    #: Arguments' values when not given (DuckDB SQL; `{now}` is the clock), e.g. a default time window.
    defaults: dict[str, str] = field(default_factory=dict)
    #: Columns Snowflake types VARIANT; the rows carry them as JSON text.
    variant_columns: list[str] = field(default_factory=list)

    @property
    def view(self) -> str:
        return f"__snowsim_{self.name.lower()}"

    def arrow(self, account: AccountLike) -> pa.Table:
        return pa.Table.from_pylist(self.rows(account), schema=self.schema)


FUNCTIONS: dict[str, TableFunction] = {}


def register(*functions: TableFunction) -> None:
    """Add table functions; a name registered twice is a programming error, not a silent override."""
    for function in functions:
        if function.name in FUNCTIONS:
            raise ValueError(f"INFORMATION_SCHEMA.{function.name} registered twice")
        FUNCTIONS[function.name] = function


def function_call(node: exp.TableFromRows) -> tuple[str, exp.Anonymous] | None:
    """(function name, call) for `TABLE([db.]INFORMATION_SCHEMA.F(...))`, or None for other table functions."""
    target = node.this
    if isinstance(target, exp.Column) and target.table and target.table.upper() == "INFORMATION_SCHEMA":
        raise compilation_error(f"Unknown function INFORMATION_SCHEMA.{target.name.upper()}", errno=2140)
    if not isinstance(target, exp.Dot) or not isinstance(target.expression, exp.Anonymous):
        return None
    qualifier = target.this
    schema = qualifier.expression if isinstance(qualifier, exp.Dot) else qualifier
    if not isinstance(schema, exp.Identifier) or schema.this.upper() != "INFORMATION_SCHEMA":
        return None
    call = target.expression
    return str(call.this).upper(), call


def rewrite(
    node: exp.TableFromRows, generate: Callable[[exp.Expression], str], sql: str | None
) -> TableFunction | None:
    """Replace `node` by a subquery over the function's rows; returns the function (for its rows at run time)."""
    found = function_call(node)
    if found is None:
        return None
    name, call = found
    function = FUNCTIONS.get(name)
    if function is None:
        raise compilation_error(f"Unknown function INFORMATION_SCHEMA.{name}", errno=2140, query=sql)
    accepted = {a.name: a for a in function.arguments}
    given: dict[str, exp.Expression] = {}
    for position, arg in enumerate(call.expressions):
        if not isinstance(arg, exp.Kwarg):  # positional: the documented argument order
            if len(given) != position or position >= len(function.arguments):  # after a named one, or too many
                raise compilation_error(
                    f"too many or misplaced positional arguments for INFORMATION_SCHEMA.{name}; "
                    f"expected, in order: {', '.join(accepted)}", errno=1044, query=sql,
                )
            given[function.arguments[position].name] = arg
            continue
        key = arg.this.name.upper()
        if key not in accepted:
            raise compilation_error(
                f"Invalid argument types for function '{name}': no argument named {key}; "
                f"it takes {', '.join(accepted)}", errno=1044, query=sql,
            )
        given[key] = arg.expression
    now = "getvariable('SNOWSIM_NOW')"
    for key, default in function.defaults.items():
        if key not in given:
            given[key] = exp.Var(this=default.format(now=now))
    for required in function.required:
        if required not in given:
            raise compilation_error(
                f"INFORMATION_SCHEMA.{name} requires the argument {required}", errno=1044, query=sql
            )
    conditions = [function.window.format(now=now)] if function.window else []
    limit = function.default_limit
    for key, value in given.items():
        argument = accepted[key]
        if argument.kind == "limit":
            if not (isinstance(value, exp.Literal) and not value.is_string and 1 <= int(value.this) <= 10_000):
                raise compilation_error(f"{key} must be a number from 1 to 10000", errno=1044, query=sql)
            limit = int(value.this)
        elif argument.kind == "flag":
            conditions.append(f"(NOT ({generate(value)}) OR {argument.condition})")
        else:
            conditions.append(argument.condition.format(generate(value.copy())))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    columns = "*"
    if function.variant_columns:
        columns += " REPLACE (" + ", ".join(f'CAST("{c}" AS JSON) AS "{c}"' for c in function.variant_columns) + ")"
    text = f'SELECT {columns} FROM "{function.view}"{where} ORDER BY {function.order_by}' + (
        f" LIMIT {limit}" if limit else ""
    )
    alias = node.args.get("alias")
    node.replace(exp.Subquery(this=exp.Var(this=text), alias=alias or exp.TableAlias(this=exp.to_identifier(name))))
    return function


# --- INFORMATION_SCHEMA views ----------------------------------------------------------------------


@dataclass(frozen=True)
class InformationSchemaView:
    """A view of every database's INFORMATION_SCHEMA, its rows built from the catalog when a statement runs."""

    name: str
    schema: pa.Schema
    rows: Callable[[AccountLike, str], list[dict[str, Any]]]  # (account, database) -> rows
    #: Snowflake's type of each column, as DESCRIBE VIEW shows it.
    types: dict[str, str] = field(default_factory=dict)

    def of(self, database: str) -> BoundView:
        return BoundView(self, database)


@dataclass(frozen=True)
class BoundView:
    """One database's instance of a view: registered in DuckDB under `view` before the statement runs."""

    definition: InformationSchemaView
    database: str

    @property
    def view(self) -> str:
        digest = hashlib.sha1(self.database.encode()).hexdigest()[:12]
        return f"__snowsim_info_{self.definition.name.lower()}_{digest}"

    def arrow(self, account: AccountLike) -> pa.Table:
        return pa.Table.from_pylist(self.definition.rows(account, self.database), schema=self.definition.schema)


VIEWS: dict[str, InformationSchemaView] = {}


def register_views(*views: InformationSchemaView) -> None:
    for view in views:
        if view.name in VIEWS:
            raise ValueError(f"INFORMATION_SCHEMA.{view.name} registered twice")
        VIEWS[view.name] = view
