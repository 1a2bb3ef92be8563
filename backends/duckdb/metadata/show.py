"""SHOW and DESCRIBE with Snowflake's output columns, built from the catalog.

`SHOW [TERSE] <objects> [LIKE '<pattern>'] [IN ACCOUNT | DATABASE [<db>] | SCHEMA [<schema>] |
<db>.<schema>] [STARTS WITH '<prefix>'] [LIMIT <n>]`, without IN: the current schema, else the
current database, else the account. https://docs.snowflake.com/en/sql-reference/sql/show-tables
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from backends.duckdb.catalog.objects import CatalogObject, Column, Database, Schema, Table, View
from backends.duckdb.compile import table_functions
from backends.duckdb.compile.context import SessionLike
from backends.duckdb.compile.resolve import Resolver
from backends.duckdb.compile.results import (
    ResultMetadata,
    RowsResult,
    boolean_column,
    number_column,
    text_column,
    timestamp_column,
)
from backends.duckdb.metadata import information_schema
from backends.duckdb.sql.names import QualifiedName, display, parse_name_parts
from backends.errors import NotSupportedError, compilation_error, object_does_not_exist

_SHOW = re.compile(
    r"""^\s*SHOW\s+(?P<terse>TERSE\s+)?(?P<kind>[A-Z_ ]+?)
        (?:\s+LIKE\s+'(?P<like>(?:[^']|'')*)')?
        (?:\s+IN(?:\s+(?P<scope>ACCOUNT|DATABASE|SCHEMA|TABLE|VIEW)\b)?
           (?:\s+(?P<scope_name>(?!STARTS\b|LIMIT\b)[^\s;]+))?)?
        (?:\s+STARTS\s+WITH\s+'(?P<starts>(?:[^']|'')*)')?
        (?:\s+LIMIT\s+(?P<limit>\d+))?\s*;?\s*$""",
    re.I | re.X | re.S,
)


@dataclass
class ShowRequest:
    kind: str
    terse: bool
    like: str | None
    scope: str | None  # ACCOUNT, DATABASE, SCHEMA, TABLE, VIEW
    scope_name: list[str]
    starts_with: str | None
    limit: int | None
    #: `IN <name>` without ACCOUNT/DATABASE/SCHEMA/TABLE: a table for SHOW ... KEYS, else a database or schema.
    bare_scope: bool = False


def parse_show(sql: str) -> ShowRequest:
    match = _SHOW.match(sql)
    if match is None:
        raise compilation_error(f"syntax error in SHOW command: {sql.strip()[:80]}", errno=1003, query=sql)
    scope_name = parse_name_parts(match["scope_name"]) if match["scope_name"] else []
    scope = (match["scope"] or "").upper() or None
    kind = " ".join(match["kind"].upper().split())
    if scope is None and scope_name:
        # `IN <name>` names a schema (`[ SCHEMA ] <schema_name>` in SHOW TABLES' syntax); SHOW SCHEMAS's, a database.
        scope = "DATABASE" if kind in ("SCHEMAS", "DATABASES") and len(scope_name) == 1 else "SCHEMA"
    return ShowRequest(
        kind=kind,
        terse=bool(match["terse"]),
        like=match["like"].replace("''", "'") if match["like"] is not None else None,
        scope=scope,
        scope_name=scope_name,
        starts_with=match["starts"],
        limit=int(match["limit"]) if match["limit"] else None,
        bare_scope=bool(scope_name) and not match["scope"],
    )


def like_matcher(pattern: str | None) -> Callable[[str], bool]:
    """Snowflake's SHOW ... LIKE: case-insensitive, % and _ wildcards."""
    if pattern is None:
        return lambda name: True
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    compiled = re.compile(f"^{regex}$", re.I | re.S)
    return lambda name: compiled.match(name) is not None


def local_time(session: SessionLike, ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(session.timezone))


def schemas_in_scope(session: SessionLike, request: ShowRequest, sql: str) -> list[Schema]:
    catalog = session.catalog
    scope, names = request.scope, request.scope_name
    context = session.context
    if scope is None:
        scope = "SCHEMA" if context.schema and context.database else "DATABASE" if context.database else "ACCOUNT"
    if scope == "ACCOUNT":
        return [s for db in catalog.databases.values() for s in _schemas(db)]
    if scope == "DATABASE":
        database = names[0] if names else context.database
        if database is None or database not in catalog.databases:
            raise object_does_not_exist(display(database or ""), query=sql)
        return _schemas(catalog.databases[database])
    if scope == "SCHEMA":
        if len(names) == 2:
            database, schema = names
        else:
            database, schema = context.database, names[0] if names else context.schema
        found = _schema(session, database or "", schema or "")
        if found is None:
            raise object_does_not_exist(f"{display(database or '')}.{display(schema or '')}", query=sql)
        return [found]
    raise NotSupportedError(f"SHOW ... IN {scope}", query=sql)


def _schema(session: SessionLike, database: str, name: str) -> Schema | None:
    """A schema by name, a database's INFORMATION_SCHEMA (built, not stored) included."""
    if name == information_schema.SCHEMA_NAME and database in session.catalog.databases:
        return information_schema.schema_of(session.catalog.databases[database])
    return session.catalog.schema(database, name)


def _schemas(database: Database) -> list[Schema]:
    """A database's schemas, its INFORMATION_SCHEMA included, as SHOW lists them."""
    return [*database.schemas.values(), information_schema.schema_of(database)]


def objects_in_scope(session: SessionLike, request: ShowRequest, sql: str, kind: type) -> list[Any]:
    matches = like_matcher(request.like)
    found = [
        obj
        for schema in schemas_in_scope(session, request, sql)
        for obj in schema.objects.values()
        if isinstance(obj, kind) and matches(obj.name.name)
        and (request.starts_with is None or obj.name.name.startswith(request.starts_with))
    ]
    found.sort(key=lambda o: (o.name.database, o.name.schema, o.name.name))
    return found[: request.limit] if request.limit is not None else found


def _result(columns: Sequence[ResultMetadata], rows: Iterable[tuple]) -> RowsResult:
    return RowsResult(columns, list(rows))


# --- SHOW handlers -------------------------------------------------------------------------------


def show_databases(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    matches = like_matcher(request.like)
    columns = [
        timestamp_column("created_on"),
        text_column("name"),
        text_column("is_default"),
        text_column("is_current"),
        text_column("origin"),
        text_column("owner"),
        text_column("comment"),
        text_column("options"),
        text_column("retention_time"),
        text_column("kind"),
        text_column("budget"),
        text_column("owner_role_type"),
    ]
    dbs = sorted((d for d in session.catalog.databases.values() if matches(d.name)), key=lambda d: d.name)
    return _result(columns, (
        (local_time(session, d.created_on), d.name, "N", "Y" if d.name == session.context.database else "N", "",
         "SYSADMIN", d.comment or "", "", "1", "STANDARD", None, "ROLE")
        for d in dbs[: request.limit]
    ))


def show_schemas(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    request_scope = (
        request
        if request.scope
        else ShowRequest(**{**request.__dict__, "scope": "DATABASE" if session.context.database else "ACCOUNT"})
    )
    matches = like_matcher(request.like)
    schemas = [s for s in schemas_in_scope(session, request_scope, sql) if matches(s.name)]
    schemas.sort(key=lambda s: (s.database, s.name))
    columns = [
        timestamp_column("created_on"),
        text_column("name"),
        text_column("is_default"),
        text_column("is_current"),
        text_column("database_name"),
        text_column("owner"),
        text_column("comment"),
        text_column("options"),
        text_column("retention_time"),
        text_column("owner_role_type"),
        text_column("budget"),
    ]
    current = (session.context.database, session.context.schema)
    return _result(columns, (
        (local_time(session, s.created_on), s.name, "N", "Y" if (s.database, s.name) == current else "N", s.database,
         "" if s.name == information_schema.SCHEMA_NAME else "SYSADMIN", s.comment or "", "", "1", "ROLE", None)
        for s in schemas[: request.limit]
    ))


def show_tables(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    tables = objects_in_scope(session, request, sql, Table)
    if request.terse:
        columns = [timestamp_column("created_on"), text_column("name"), text_column("kind"),
                   text_column("database_name"), text_column("schema_name")]
        return _result(columns, ((local_time(session, t.created_on), t.name.name, t.table_type, t.name.database,
                                  t.name.schema) for t in tables))
    columns = [timestamp_column("created_on"), text_column("name"), text_column("database_name"),
               text_column("schema_name"), text_column("kind"), text_column("comment"), text_column("cluster_by"),
               number_column("rows"), number_column("bytes"), text_column("owner"), text_column("retention_time"),
               text_column("automatic_clustering"), text_column("change_tracking"), text_column("search_optimization"),
               text_column("search_optimization_progress"), text_column("search_optimization_bytes"),
               text_column("is_external"), text_column("enable_schema_evolution"), text_column("owner_role_type"),
               text_column("is_event"), text_column("budget"), text_column("is_hybrid"), text_column("is_iceberg"),
               text_column("is_dynamic"), text_column("is_immutable")]
    rows = []
    for t in tables:
        count = session.duck.execute(f"SELECT count(*) FROM {t.duck_rows}").fetchall()[0][0]
        clustering = "ON" if t.cluster_by and not t.recluster_suspended else "OFF"
        rows.append((local_time(session, t.created_on), t.name.name, t.name.database, t.name.schema, t.table_type,
                     t.comment or "", f"LINEAR({t.cluster_by})" if t.cluster_by else "", count, None, t.owner,
                     "1", clustering, "ON" if t.tracking else "OFF", "OFF", None, None, "N",
                     "N", "ROLE", "N", None, "N", "N", "Y" if t.kind == "DYNAMIC TABLE" else "N", "N"))
    return _result(columns, rows)


def show_views(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    views = objects_in_scope(session, request, sql, View)
    columns = [timestamp_column("created_on"), text_column("name"), text_column("reserved"),
               text_column("database_name"), text_column("schema_name"), text_column("owner"), text_column("comment"),
               text_column("text"), boolean_column("is_secure"), boolean_column("is_materialized"),
               text_column("owner_role_type"), text_column("change_tracking")]
    return _result(columns, (
        (local_time(session, v.created_on), v.name.name, "", v.name.database, v.name.schema, v.owner, v.comment or "",
         v.text, v.secure, False, "ROLE", "ON" if v.change_tracking else "OFF")
        for v in views
    ))


def show_columns(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    if request.scope in ("TABLE", "VIEW") or request.bare_scope:  # SHOW COLUMNS IN [TABLE | VIEW] <name>
        resolver = Resolver(session.catalog, session.context, sql)
        name = resolver.qualify(request.scope_name, action="SHOW COLUMNS")
        schema = _schema(session, name.database, name.schema)
        obj = schema.objects.get(name.name) if schema else None
        if obj is None:
            raise object_does_not_exist(".".join(request.scope_name), query=sql)
        relations: list[Any] = [obj]
    else:
        relations = objects_in_scope(session, ShowRequest(**{**request.__dict__, "like": None}), sql, (Table, View))
    matches = like_matcher(request.like)
    columns = [text_column("table_name"), text_column("schema_name"), text_column("column_name"),
               text_column("data_type"), text_column("null?"), text_column("default"), text_column("kind"),
               text_column("expression"), text_column("comment"), text_column("database_name"),
               text_column("autoincrement"), text_column("schema_evolution_record")]
    rows = []
    for rel in relations:
        for c in rel.columns:
            if matches(c.name):
                data_type = column_data_type(c.type, c.nullable)
                rows.append((rel.name.name, rel.name.schema, c.name, data_type, "true" if c.nullable else "false",
                             c.default or "", "VIRTUAL_COLUMN" if c.expression else "COLUMN", c.expression or "",
                             c.comment or "", rel.name.database, "", None))
    return _result(columns, rows)


def show_objects(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """Tables and views (https://docs.snowflake.com/en/sql-reference/sql/show-objects)."""
    found = objects_in_scope(session, request, sql, (Table, View))
    kind = lambda o: "VIEW" if isinstance(o, View) else o.table_type  # noqa: E731
    if request.terse:
        columns = [timestamp_column("created_on"), text_column("name"), text_column("kind"),
                   text_column("database_name"), text_column("schema_name")]
        return _result(columns, ((local_time(session, o.created_on), o.name.name, kind(o), o.name.database,
                                  o.name.schema) for o in found))
    columns = [timestamp_column("created_on"), text_column("name"), text_column("database_name"),
               text_column("schema_name"), text_column("kind"), text_column("comment"), text_column("cluster_by"),
               number_column("rows"), number_column("bytes"), text_column("owner"), text_column("retention_time"),
               text_column("owner_role_type"), text_column("is_hybrid"), text_column("is_dynamic"),
               text_column("is_iceberg")]
    rows = []
    for o in found:
        table = isinstance(o, Table)
        count = session.duck.execute(f"SELECT count(*) FROM {o.duck_rows}").fetchall()[0][0] if table else 0
        rows.append((local_time(session, o.created_on), o.name.name, o.name.database, o.name.schema, kind(o),
                     o.comment or "", f"LINEAR({o.cluster_by})" if table and o.cluster_by else "", count, 0, o.owner,
                     "1", "ROLE", "N", "Y" if o.kind == "DYNAMIC TABLE" else "N", "N"))
    return _result(columns, rows)


def _key_tables(session: SessionLike, request: ShowRequest, sql: str) -> list[Table]:
    """The tables SHOW ... KEYS looks at: `IN [TABLE] <name>` one table, else those of the scope."""
    if request.scope == "TABLE" or request.bare_scope:
        resolver = Resolver(session.catalog, session.context, sql)
        table = session.catalog.get(resolver.qualify(request.scope_name, action="SHOW KEYS"))
        if not isinstance(table, Table):
            raise object_does_not_exist(".".join(request.scope_name), query=sql)
        return [table]
    return objects_in_scope(session, request, sql, Table)


_KEY_COLUMNS = ("created_on", "database_name", "schema_name", "table_name", "column_name", "key_sequence",
                "constraint_name", "rely", "comment")


def _key_columns(names: Sequence[str]) -> list[ResultMetadata]:
    return [timestamp_column(n) if n == "created_on" else number_column(n) if n == "key_sequence" else
            text_column(n) for n in names]


def show_primary_keys(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """One row per column of each primary key, `key_sequence` its place in the key
    (https://docs.snowflake.com/en/sql-reference/sql/show-primary-keys)."""
    rows = []
    for t in _key_tables(session, request, sql):
        keys = [c.name for c in t.columns if c.primary_key]
        rows += [(local_time(session, t.created_on), t.name.database, t.name.schema, t.name.name, c, position,
                  information_schema.constraint_name(t), "false", None) for position, c in enumerate(keys, start=1)]
    return _result(_key_columns(_KEY_COLUMNS), rows)


def show_unique_keys(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """One row per column of each UNIQUE key (https://docs.snowflake.com/en/sql-reference/sql/show-unique-keys)."""
    rows = []
    for t in _key_tables(session, request, sql):
        for index, key in enumerate(t.unique_keys):
            rows += [(local_time(session, t.created_on), t.name.database, t.name.schema, t.name.name, c, position,
                      information_schema.constraint_name(t, "UK", index), "false", None)
                     for position, c in enumerate(key, start=1)]
    return _result(_key_columns(_KEY_COLUMNS), rows)


def show_imported_keys(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """One row per column of each FOREIGN KEY, with the key it references
    (https://docs.snowflake.com/en/sql-reference/sql/show-imported-keys)."""
    names = ("created_on", "pk_database_name", "pk_schema_name", "pk_table_name", "pk_column_name",
             "fk_database_name", "fk_schema_name", "fk_table_name", "fk_column_name", "key_sequence", "update_rule",
             "delete_rule", "fk_name", "pk_name", "deferrability", "rely", "comment")
    rows = []
    for t in _key_tables(session, request, sql):
        for index, key in enumerate(t.foreign_keys):
            target = session.catalog.get(key.table)
            primary = [c.name for c in target.columns if c.primary_key] if isinstance(target, Table) else []
            referenced = key.referenced or tuple(primary)
            pk_name = information_schema.constraint_name(target) if isinstance(target, Table) and primary else None
            rows += [(local_time(session, t.created_on), key.table.database, key.table.schema, key.table.name, pk,
                      t.name.database, t.name.schema, t.name.name, fk, position, "NO ACTION", "NO ACTION",
                      information_schema.constraint_name(t, "FK", index), pk_name, "NOT DEFERRABLE", "false", None)
                     for position, (fk, pk) in enumerate(zip(key.columns, referenced, strict=False), start=1)]
    return _result(_key_columns(names), rows)


#: SHOW FUNCTIONS / SHOW PROCEDURES output columns (sql/show-functions, sql/show-procedures).
_ROUTINE_COLUMNS = ("created_on name schema_name is_builtin is_aggregate is_ansi min_num_arguments max_num_arguments "
                    "arguments description catalog_name is_table_function valid_for_clustering is_secure secrets "
                    "external_access_integrations").split()
_FUNCTION_COLUMNS = (*_ROUTINE_COLUMNS, "is_external_function", "language", "is_memoizable", "is_data_metric")


def _routine_columns(names: Sequence[str]) -> list[ResultMetadata]:
    return [timestamp_column(n) if n == "created_on" else number_column(n) if n.endswith("arguments") and
            n.startswith(("min", "max")) else text_column(n) for n in names]


def show_user_functions(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """The emulator runs no user-defined functions (CREATE FUNCTION is refused): none to show."""
    return _result(_routine_columns(_FUNCTION_COLUMNS), [])


def show_user_procedures(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """The emulator runs no stored procedures (CREATE PROCEDURE is refused): none to show."""
    return _result(_routine_columns(_ROUTINE_COLUMNS), [])


def column_data_type(snowflake_type: str, nullable: bool) -> str:
    """SHOW COLUMNS' data_type: the type as Snowflake's JSON, e.g. {"type":"FIXED","precision":38,"scale":0,...}."""
    fields = information_schema.column_type_fields(snowflake_type)
    kind = fields["DATA_TYPE"]
    if kind == "NUMBER":
        shape = {"type": "FIXED", "precision": fields["NUMERIC_PRECISION"], "scale": fields["NUMERIC_SCALE"]}
    elif kind in ("TEXT", "BINARY"):
        shape = {"type": kind, "length": fields["CHARACTER_MAXIMUM_LENGTH"],
                 "byteLength": fields["CHARACTER_OCTET_LENGTH"]}
    elif kind == "FLOAT":
        shape = {"type": "REAL"}
    elif "DATETIME_PRECISION" in fields:
        shape = {"type": kind, "precision": 0, "scale": fields["DATETIME_PRECISION"]}
    else:
        shape = {"type": kind}
    shape["nullable"] = nullable
    if kind in ("TEXT", "BINARY"):
        shape["fixed"] = kind == "BINARY"
    return json.dumps(shape, separators=(",", ":"))


SHOW_HANDLERS: dict[str, Callable[[SessionLike, ShowRequest, str], RowsResult]] = {
    "DATABASES": show_databases,
    "SCHEMAS": show_schemas,
    "TABLES": show_tables,
    "VIEWS": show_views,
    "COLUMNS": show_columns,
    "OBJECTS": show_objects,
    "PRIMARY KEYS": show_primary_keys,
    "UNIQUE KEYS": show_unique_keys,
    "IMPORTED KEYS": show_imported_keys,
    "USER FUNCTIONS": show_user_functions,
    "USER PROCEDURES": show_user_procedures,
}


# --- DESCRIBE ------------------------------------------------------------------------------------------


def describe_relation(session: SessionLike, obj: CatalogObject | list[Column]) -> RowsResult:
    columns = [text_column("name"), text_column("type"), text_column("kind"), text_column("null?"),
               text_column("default"), text_column("primary key"), text_column("unique key"), text_column("check"),
               text_column("expression"), text_column("comment"), text_column("policy name"),
               text_column("privacy domain")]
    return _result(columns, (
        (c.name, c.type, "VIRTUAL" if c.expression else "COLUMN", "Y" if c.nullable else "N", c.default,
         "Y" if c.primary_key else "N", "N", None, c.expression, c.comment, None, None)
        for c in (obj if isinstance(obj, list) else obj.columns)
    ))


_DESCRIBE = re.compile(
    r"^\s*DESC(?:RIBE)?\s+(?P<kind>DYNAMIC\s+TABLE|TABLE|VIEW|STREAM|TASK|SEQUENCE)?\s*(?P<name>[^\s;]+)\s*;?\s*$",
    re.I | re.S
)


def parse_describe(sql: str, session: SessionLike) -> tuple[str, QualifiedName]:
    """(object kind, qualified name) of `DESCRIBE [kind] name`; TABLE when no kind is named."""
    match = _DESCRIBE.match(sql)
    if match is None:
        raise NotSupportedError("this DESCRIBE form", query=sql)
    kind = " ".join((match["kind"] or "TABLE").upper().split())
    resolver = Resolver(session.catalog, session.context, sql)
    return kind, resolver.qualify(parse_name_parts(match["name"]), action="DESCRIBE")


def describe_table_or_view(session: SessionLike, name: QualifiedName, sql: str) -> RowsResult:
    view = table_functions.VIEWS.get(name.name) if name.schema == information_schema.SCHEMA_NAME else None
    if view is not None and name.database in session.catalog.databases:
        return describe_relation(session, information_schema.view_columns(view))
    obj = session.catalog.get(name)
    if not isinstance(obj, (Table, View)):
        raise object_does_not_exist(str(name), query=sql)
    return describe_relation(session, obj)


DESCRIBE_HANDLERS: dict[str, Callable[[SessionLike, QualifiedName, str], RowsResult]] = {
    "TABLE": describe_table_or_view,
    "VIEW": describe_table_or_view,
    "DYNAMIC TABLE": describe_table_or_view,
}
