"""Resolve a statement's table references against the catalog and rewrite them for DuckDB.

Tables and views become their DuckDB names; streams become the subquery that computes their
change set (maintenance/stream_changes.py); LATERAL FLATTEN becomes a lateral join over DuckDB's json_each;
SYSTEM$STREAM_HAS_DATA, SYSTEM$STREAM_GET_TABLE_TIMESTAMP and CURRENT_DATABASE() & co. read the
catalog and the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from backends.duckdb.catalog.objects import Catalog, CatalogObject, Column, Sequence, Stream, Table, View
from backends.duckdb.compile import table_functions
from backends.duckdb.compile.context import SessionContext
from backends.duckdb.maintenance import stream_changes as streams
from backends.duckdb.maintenance.refresh import DynamicTable
from backends.duckdb.sql.flatten import flatten
from backends.duckdb.sql.names import QualifiedName, display, normalize, parse_name_parts
from backends.duckdb.sql.template import slot_node
from backends.duckdb.sql.translate import generate
from backends.errors import (
    NotSupportedError,
    ProgrammingError,
    compilation_error,
    object_does_not_exist,
)


@dataclass
class Bindings:
    """What a translated statement reads, for the session to supply bounds and apply consumption."""

    streams: list[Stream] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    has_data: list[Stream] = field(default_factory=list)
    #: Streams whose SYSTEM$STREAM_GET_TABLE_TIMESTAMP the statement reads.
    table_timestamps: list[Stream] = field(default_factory=list)
    #: INFORMATION_SCHEMA table functions whose rows are registered before the statement runs.
    functions: list[Any] = field(default_factory=list)

    def add_stream(self, stream: Stream) -> None:
        if stream not in self.streams:
            self.streams.append(stream)

    def add_table(self, table: Table) -> None:
        if table not in self.tables:
            self.tables.append(table)


#: What CURRENT_VERSION() returns: no Snowflake release, so code parsing it (SQLAlchemy's dialect) sees a version
#: and nobody mistakes the emulator for one.
EMULATOR_VERSION = "0.0.0"


class Resolver:
    """Looks names up for one statement, relative to the session's current database and schema."""

    def __init__(self, catalog: Catalog, context: SessionContext, sql: str | None = None) -> None:
        self.catalog = catalog
        self.context = context
        self.sql = sql

    # --- names ---------------------------------------------------------------------------------

    def qualify(self, parts: list[str], *, action: str = "SELECT") -> QualifiedName:
        """Fill in the current database and schema; Snowflake's errors when there is none (a query naming an
        object by its name alone finds nothing rather than saying so)."""
        if len(parts) == 3:
            return QualifiedName(*parts)
        database = self.context.database
        if len(parts) == 1 and action == "SELECT" and (database is None or self.context.schema is None):
            raise object_does_not_exist(parts[0], query=self.sql)
        if database is None:
            raise ProgrammingError(
                f"Cannot perform {action}. This session does not have a current database. "
                "Call 'USE DATABASE', or use a qualified name.",
                errno=90105, sqlstate="22000", query=self.sql,
            )
        if len(parts) == 2:
            return QualifiedName(database, parts[0], parts[1])
        schema = self.context.schema
        if schema is None:
            raise ProgrammingError(
                f"Cannot perform {action}. This session does not have a current schema. "
                "Call 'USE SCHEMA', or use a qualified name.",
                errno=90106, sqlstate="22000", query=self.sql,
            )
        return QualifiedName(database, schema, parts[0])

    def table_name(self, table: exp.Table, *, action: str = "SELECT") -> QualifiedName:
        if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
            raise compilation_error(f"syntax error: {action} expects a table name.", errno=1003, query=self.sql)
        parts = [table.args.get("catalog"), table.args.get("db"), table.this]
        return self.qualify([normalize(p) for p in parts if p is not None], action=action)

    def lookup(self, table: exp.Table, *, action: str = "SELECT") -> CatalogObject:
        name = self.table_name(table, action=action)
        obj = self.catalog.get(name)
        if obj is None:
            written = ".".join(p.sql(dialect="snowflake") for p in table.parts).upper()
            raise object_does_not_exist(written if "." in written else str(name), query=self.sql)
        return obj

    def lookup_text(self, text: str, *, action: str = "SELECT") -> CatalogObject:
        """An object named by a string argument, as SYSTEM$ functions take them."""
        try:
            parts = parse_name_parts(text)
        except ValueError as error:
            raise compilation_error(f"Invalid object name '{text}'.", errno=2003, query=self.sql) from error
        name = self.qualify(parts, action=action)
        obj = self.catalog.get(name)
        if obj is None:
            raise object_does_not_exist(str(name), query=self.sql)
        return obj

    # --- rewriting -----------------------------------------------------------------------------

    def rewrite(self, ast: exp.Expression, *, skip: tuple[exp.Table, ...] = ()) -> Bindings:
        """Rewrite every relation and session function in `ast` in place; `skip` are DML targets."""
        bindings = Bindings()
        self.seen: list[CatalogObject] = []
        cte_names = {normalize(cte.args["alias"].this) for cte in ast.find_all(exp.CTE) if cte.args.get("alias")}
        for node in list(ast.find_all(exp.Lateral, exp.TableFromRows)):
            if isinstance(node.this, exp.Explode):
                flatten(node)
            elif isinstance(node, exp.TableFromRows):
                function = table_functions.rewrite(node, lambda e: generate(e, sql=self.sql), self.sql)
                if function is not None and function not in bindings.functions:
                    bindings.functions.append(function)
        for table in list(ast.find_all(exp.Table)):
            if any(table is s for s in skip) or not isinstance(table.this, exp.Identifier):
                continue
            if not table.args.get("db") and normalize(table.this) in cte_names:
                continue
            if _is_dual(table):
                self.rewrite_dual(table)
                continue
            if _in_information_schema(table):
                self.rewrite_information_schema(table, bindings)
                continue
            self.rewrite_table(table, bindings)
        expand_aliases_in_join_conditions(ast, self.seen)
        cast_text_of_numeric_aggregates(ast, self.seen)
        check_column_case(ast, self.seen, self.sql)
        self.rewrite_functions(ast, bindings)
        self.rewrite_sequences(ast)
        return bindings

    def rewrite_sequences(self, ast: exp.Expression) -> None:
        """`<sequence>.NEXTVAL` draws from the sequence (objects/sequences.py); unaliased, its column is NEXTVAL."""
        for column in list(ast.find_all(exp.Column)):
            if not (column.table and isinstance(column.this, exp.Identifier) and not column.this.quoted
                    and column.name.upper() == "NEXTVAL"):
                continue
            parts = [normalize(p) for p in (column.args.get("catalog"), column.args.get("db"), column.args["table"])
                     if p is not None]
            sequence = self.catalog.get(self.qualify(parts, action="NEXTVAL"))
            if not isinstance(sequence, Sequence):
                continue
            draw: exp.Expression = exp.Anonymous(this="nextval", expressions=[exp.Literal.string(sequence.name.duck)])
            if isinstance(column.parent, exp.Select):
                draw = exp.alias_(draw, "NEXTVAL", quoted=True)
            column.replace(draw)

    def rewrite_dual(self, table: exp.Table) -> None:
        """FROM DUAL: one row and no columns, whatever table of that name exists (only "DUAL" quoted names one).

        Snowflake's documentation does not describe it; sqlglot's Snowflake dialect keeps DUAL unquoted for
        this reason (tobymao/sqlglot#2545). What `SELECT *` returns from it is unknown, so that is refused.
        """
        select = table.find_ancestor(exp.Select)
        items = select.expressions if select is not None else []
        if any(isinstance(item, exp.Star) or isinstance(item.this, exp.Star) for item in items):
            raise NotSupportedError("SELECT * FROM DUAL", query=self.sql)
        one_row = exp.select(exp.alias_(exp.Literal.number(1), "__snowsim_dual", quoted=True))
        alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier("DUAL"))
        table.replace(exp.Subquery(this=one_row, alias=alias))

    def rewrite_information_schema(self, table: exp.Table, bindings: Bindings) -> None:
        """`[db.]INFORMATION_SCHEMA.<view>`: that database's view, built from the catalog when the statement runs."""
        name = normalize(table.this)
        database = normalize(table.args["catalog"]) if table.args.get("catalog") else self.context.database
        if database is None:
            self.qualify(["INFORMATION_SCHEMA", name])  # raises: no current database
        view = table_functions.VIEWS.get(name)
        if database not in self.catalog.databases or view is None:
            raise object_does_not_exist(f"{display(database)}.INFORMATION_SCHEMA.{display(name)}", query=self.sql)
        bound = view.of(database)
        if bound not in bindings.functions:
            bindings.functions.append(bound)
        table.set("alias", table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(name, quoted=True)))
        table.set("catalog", None)
        table.set("db", None)
        table.set("this", exp.to_identifier(bound.view, quoted=True))

    def rewrite_table(self, table: exp.Table, bindings: Bindings) -> None:
        for clause, feature in _TABLE_CLAUSES.items():
            if table.args.get(clause):
                raise NotSupportedError(feature, query=self.sql)
        obj = self.lookup(table)
        self.seen.append(obj)
        if isinstance(obj, Stream):
            streams.check_readable(obj, self.catalog, query=self.sql)
            alias = table.args.get("alias") or exp.TableAlias(this=exp.to_identifier(obj.name.name, quoted=True))
            subquery = exp.Subquery(this=exp.Var(this=streams.changeset_sql(obj)), alias=alias)
            table.replace(subquery)
            bindings.add_stream(obj)
            return
        if isinstance(obj, Table):
            if isinstance(obj, DynamicTable) and not obj.initialized:
                raise ProgrammingError(
                    f"Dynamic Table '{obj.name}' is not initialized. Please run a manual refresh or wait for a "
                    "scheduled refresh before querying.", errno=2213, sqlstate="55000", query=self.sql,
                )
            bindings.add_table(obj)
        elif isinstance(obj, View):
            bindings.functions.extend(v for v in obj.information_schema if v not in bindings.functions)
        else:
            raise NotSupportedError(f"reading a {obj.kind.lower()} in a query", query=self.sql)
        point_at(table, obj.name)

    def rewrite_functions(self, ast: exp.Expression, bindings: Bindings) -> None:
        context = self.context
        values = {
            exp.CurrentDatabase: context.database,
            exp.CurrentSchema: context.schema,
            exp.CurrentRole: context.role,
            exp.CurrentUser: context.user,
            exp.CurrentWarehouse: context.warehouse,
            exp.CurrentVersion: EMULATOR_VERSION,
        }
        for node in list(ast.find_all(exp.Func)):
            if type(node) in values:
                value = values[type(node)]
                node.replace(exp.Null() if value is None else exp.Literal.string(value))
            elif isinstance(node, exp.Anonymous) and str(node.this).upper() == "SYSTEM$STREAM_HAS_DATA":
                node.replace(self.stream_has_data(node, bindings))
            elif isinstance(node, exp.Anonymous) and str(node.this).upper() == "SYSTEM$STREAM_GET_TABLE_TIMESTAMP":
                node.replace(self.stream_table_timestamp(node, bindings))

    def stream_has_data(self, node: exp.Anonymous, bindings: Bindings) -> exp.Expression:
        """SYSTEM$STREAM_HAS_DATA('name'): a slot filled at run time (it also refreshes staleness).

        https://docs.snowflake.com/en/sql-reference/functions/system_stream_has_data
        """
        stream = self._stream_argument(node)
        if stream not in bindings.has_data:
            bindings.has_data.append(stream)
        return slot_node(f"has_data_{stream.uid}")

    def stream_table_timestamp(self, node: exp.Anonymous, bindings: Bindings) -> exp.Expression:
        """SYSTEM$STREAM_GET_TABLE_TIMESTAMP('name'): a slot filled at run time with the commit time, in
        nanoseconds, of the source table's latest version at or before the stream's offset.

        https://docs.snowflake.com/en/sql-reference/functions/system_stream_get_table_timestamp
        """
        stream = self._stream_argument(node)
        if isinstance(stream.source, View):  # documented: "returns an error when the input is a stream on a view"
            raise compilation_error(f"SYSTEM$STREAM_GET_TABLE_TIMESTAMP: stream '{stream.name}' is on a view, "
                                    "not a table.", errno=2003, query=self.sql)
        if stream not in bindings.table_timestamps:
            bindings.table_timestamps.append(stream)
        return slot_node(f"table_ts_{stream.uid}")

    def _stream_argument(self, node: exp.Anonymous) -> Stream:
        """The stream a SYSTEM$STREAM_* function names in its one string argument."""
        function = str(node.this).upper()
        args = node.expressions
        if len(args) != 1 or not isinstance(args[0], exp.Literal) or not args[0].is_string:
            raise compilation_error(f"{function} takes one string literal, the stream's name.", errno=1044,
                                    query=self.sql)
        stream = self.lookup_text(args[0].this)
        if not isinstance(stream, Stream):
            raise compilation_error(f"'{stream.name}' is not a stream.", errno=2003, query=self.sql)
        return stream


def _in_information_schema(table: exp.Table) -> bool:
    return bool(table.args.get("db")) and normalize(table.args["db"]) == "INFORMATION_SCHEMA"


def _is_dual(table: exp.Table) -> bool:
    """An unqualified, unquoted DUAL in a FROM clause: Snowflake's one-row pseudo-table."""
    return (not table.args.get("db") and not table.args.get("catalog") and isinstance(table.this, exp.Identifier)
            and not table.this.quoted and table.this.name.upper() == "DUAL")


def columns_read(objects: list[CatalogObject]) -> list[Column]:
    """The columns of the tables and views a statement reads (a stream's are its source's)."""
    return [c for obj in objects for c in getattr(obj.source if isinstance(obj, Stream) else obj, "columns", [])]


def expand_aliases_in_join_conditions(ast: exp.Expression, objects: list[CatalogObject]) -> None:
    """A select-list alias used in a JOIN's ON, where Snowflake resolves it (DuckDB does not): its expression.

    Only a bare name that no column of the statement's tables has, and that the SELECT defines, is
    replaced, so a real column always wins as in Snowflake.
    """
    columns = {c.name for c in columns_read(objects)}
    for select in ast.find_all(exp.Select):
        aliases = {normalize(e.args["alias"]): e.this for e in select.expressions
                   if isinstance(e, exp.Alias) and e.args.get("alias") is not None}
        if not aliases:
            continue
        for join in select.args.get("joins") or []:
            on = join.args.get("on")
            for column in list(on.find_all(exp.Column)) if on is not None else []:
                name = normalize(column.this) if isinstance(column.this, exp.Identifier) else None
                if not column.table and name in aliases and name not in columns:
                    column.replace(exp.Paren(this=aliases[name].copy()))


#: Aggregates that take a number; Snowflake casts a VARCHAR argument to FLOAT for them.
_NUMERIC_AGGREGATES = (exp.Sum, exp.Avg, exp.Variance, exp.VariancePop, exp.Stddev, exp.StddevSamp, exp.StddevPop,
                       exp.Median)


def cast_text_of_numeric_aggregates(ast: exp.Expression, objects: list[CatalogObject]) -> None:
    """SUM(<VARCHAR column>) and the like: the column's text as FLOAT, as Snowflake casts it implicitly.

    Only a column whose name has a VARCHAR type in every table the statement reads is cast; anything
    else is left to the engine (whose error, for a text it cannot add, is Snowflake's as well).
    """
    types: dict[str, set[str]] = {}
    for c in columns_read(objects):
        types.setdefault(c.name, set()).add(c.type.split("(")[0].upper())
    for node in ast.find_all(*_NUMERIC_AGGREGATES):
        arg = node.this
        if isinstance(arg, exp.Column) and isinstance(arg.this, exp.Identifier):
            if types.get(normalize(arg.this)) == {"VARCHAR"}:
                node.set("this", exp.cast(arg.copy(), "DOUBLE"))


def check_column_case(ast: exp.Expression, objects: list[CatalogObject], sql: str | None) -> None:
    """Quoted identifiers are case-sensitive in Snowflake but not in DuckDB: refuse a case-only match.

    A column reference naming no column or alias of the statement exactly, but a column of a table
    it reads up to case, is Snowflake's invalid identifier (`"col"` vs unquoted col).
    """
    known = {c.name for c in columns_read(objects)}
    if not known:
        return
    exact = set(known) | {"METADATA$ACTION", "METADATA$ISUPDATE", "METADATA$ROW_ID"}
    for node in ast.find_all(exp.Alias, exp.TableAlias):
        if isinstance(node, exp.Alias) and node.args.get("alias") is not None:
            exact.add(normalize(node.args["alias"]))
        elif isinstance(node, exp.TableAlias):
            exact.update(normalize(c) for c in node.columns)
    folded = {name.upper(): name for name in known}
    for column in ast.find_all(exp.Column):
        if not isinstance(column.this, exp.Identifier):
            continue
        name = normalize(column.this)
        if name not in exact and name.upper() in folded:
            raise compilation_error(f"invalid identifier '{display(name)}'", errno=904, query=sql)


def tag_relations(query: exp.Expression, resolver: Resolver) -> None:
    """Remember which catalog object each table reference of a view's query names (for view streams)."""
    ctes = {normalize(c.args["alias"].this) for c in query.find_all(exp.CTE) if c.args.get("alias")}
    for table in query.find_all(exp.Table):
        if _in_information_schema(table):
            continue
        if isinstance(table.this, exp.Identifier) and not (not table.args.get("db") and normalize(table.this) in ctes):
            table.meta["snowsim_object"] = resolver.lookup(table, action="CREATE VIEW")


#: Table-reference clauses DuckDB cannot honour; refused rather than dropped.
_TABLE_CLAUSES = {
    "changes": "the CHANGES clause",
    "when": "time travel (AT | BEFORE)",
    "version": "time travel (AT | BEFORE)",
    "sample": "SAMPLE / TABLESAMPLE",
}


def point_at(table: exp.Table, name: QualifiedName, duck_name: str | None = None) -> None:
    """Make a table reference name the DuckDB object behind `name` (keeping its alias)."""
    table.set("catalog", None)
    table.set("db", exp.to_identifier(name.duck_schema, quoted=True))
    table.set("this", exp.to_identifier(duck_name or name.name, quoted=True))
