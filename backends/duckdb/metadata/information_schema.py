"""INFORMATION_SCHEMA of every database: the views TABLES, COLUMNS, VIEWS, SCHEMATA, DATABASES and
TABLE_CONSTRAINTS, and the account's WAREHOUSE_METERING_HISTORY function (LOAD_HISTORY: objects/pipes.py).

Views list what the catalog holds when the statement runs, with Snowflake's columns
(https://docs.snowflake.com/en/sql-reference/info-schema). As on Snowflake, TABLES, COLUMNS and
SCHEMATA include INFORMATION_SCHEMA itself. Each object kind declares the functions that read its
own state (TASK_HISTORY in objects/tasks/commands.py, COPY_HISTORY in objects/pipes.py, ...); the
registry is compile/table_functions.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pyarrow as pa

from backends.clock import to_datetime
from backends.duckdb.catalog.objects import CatalogObject, Column, Database, Schema, Table, View
from backends.duckdb.catalog.warehouses import hourly_credits
from backends.duckdb.compile import table_functions
from backends.duckdb.compile.context import AccountLike
from backends.duckdb.compile.table_functions import TIMESTAMP, Argument, InformationSchemaView, TableFunction
from backends.duckdb.sql.names import QualifiedName
from backends.duckdb.sql.types import MAX_VARCHAR

SCHEMA_NAME = "INFORMATION_SCHEMA"
SCHEMA_COMMENT = "Views describing the contents of schemas in this database"


def schema_of(database: Database) -> Schema:
    """A database's INFORMATION_SCHEMA as SHOW lists it: a schema holding its views (built, not stored)."""
    views = {
        name: View(0, QualifiedName(database.name, SCHEMA_NAME, name), database.created_on, owner="",
                   columns=view_columns(view))
        for name, view in sorted(table_functions.VIEWS.items())
    }
    return Schema(SCHEMA_NAME, database.name, database.created_on, SCHEMA_COMMENT, views)


def _metering_rows(account: AccountLike) -> list[dict[str, Any]]:
    now = account.clock.now()
    rows = []
    for warehouse in [*account.warehouses.values(), *account.dropped_warehouses]:
        for start, end, credits in hourly_credits(warehouse, now):
            rows.append({"START_TIME": start, "END_TIME": end, "WAREHOUSE_NAME": warehouse.name,
                         "CREDITS_USED": credits, "CREDITS_USED_COMPUTE": credits, "CREDITS_USED_CLOUD_SERVICES": 0.0})
    return rows


WAREHOUSE_METERING_HISTORY = TableFunction(
    "WAREHOUSE_METERING_HISTORY",
    pa.schema([("START_TIME", TIMESTAMP), ("END_TIME", TIMESTAMP), ("WAREHOUSE_NAME", pa.string()),
               ("CREDITS_USED", pa.float64()), ("CREDITS_USED_COMPUTE", pa.float64()),
               ("CREDITS_USED_CLOUD_SERVICES", pa.float64())]),
    _metering_rows,
    [
        Argument("DATE_RANGE_START", '"END_TIME" > ({})'),
        Argument("DATE_RANGE_END", '"START_TIME" < ({})'),
        Argument("WAREHOUSE_NAME", 'UPPER("WAREHOUSE_NAME") = UPPER({})'),
    ],
    order_by='"START_TIME"',
    default_limit=None,
    required=["DATE_RANGE_START"],
)

TABLE_FUNCTIONS = (WAREHOUSE_METERING_HISTORY,)


# --- views -----------------------------------------------------------------------------------------------

_ARROW = {"TEXT": pa.string(), "NUMBER": pa.int64(), "TIMESTAMP_LTZ": TIMESTAMP}
_SNOWFLAKE = {"TEXT": f"VARCHAR({MAX_VARCHAR})", "NUMBER": "NUMBER(38,0)", "TIMESTAMP_LTZ": "TIMESTAMP_LTZ(9)"}


def view(name: str, columns: str, rows) -> InformationSchemaView:
    """A view from `NAME TYPE, ...` (TYPE: TEXT, NUMBER or TIMESTAMP_LTZ) and its rows function."""
    pairs = [item.split() for item in columns.split(",")]
    return InformationSchemaView(
        name, pa.schema([(column, _ARROW[kind]) for column, kind in pairs]), rows,
        types={column: _SNOWFLAKE[kind] for column, kind in pairs},
    )


def _yes(flag: bool) -> str:
    return "YES" if flag else "NO"


def _relations(account: AccountLike, database: str) -> Iterator[tuple[str, CatalogObject]]:
    """(schema, table or view) of a database, in name order."""
    db = account.catalog.databases[database]
    for schema_name in sorted(db.schemas):
        for name in sorted(db.schemas[schema_name].objects):
            obj = db.schemas[schema_name].objects[name]
            if isinstance(obj, (Table, View)):
                yield schema_name, obj


def _table_rows(account: AccountLike, database: str) -> list[dict[str, Any]]:
    rows = []
    for schema, obj in _relations(account, database):
        row = _table_row(database, schema, obj.name.name, obj.owner, to_datetime(obj.created_on), obj.comment)
        if isinstance(obj, Table):
            count = account.duck.cursor().execute(f"SELECT count(*) FROM {obj.duck_rows}").fetchone()[0]
            row |= {"TABLE_TYPE": "TEMPORARY TABLE" if obj.table_type == "TEMPORARY" else "BASE TABLE",
                    "IS_TRANSIENT": _yes(obj.table_type == "TRANSIENT"), "ROW_COUNT": count, "BYTES": 0,
                    "CLUSTERING_KEY": f"LINEAR({obj.cluster_by})" if obj.cluster_by else None, "RETENTION_TIME": 1,
                    "IS_INSERTABLE_INTO": "YES", "AUTO_CLUSTERING_ON": "NO",
                    "IS_TEMPORARY": _yes(obj.table_type == "TEMPORARY"),
                    "IS_DYNAMIC": _yes(obj.kind == "DYNAMIC TABLE")}
        rows.append(row)
    rows += [_table_row(database, SCHEMA_NAME, name, "", None, None) for name in sorted(table_functions.VIEWS)]
    return rows


def _table_row(database: str, schema: str, name: str, owner: str, created: datetime | None,
               comment: str | None) -> dict[str, Any]:
    """A view's row; a table's adds its own columns."""
    return {"TABLE_CATALOG": database, "TABLE_SCHEMA": schema, "TABLE_NAME": name, "TABLE_OWNER": owner,
            "TABLE_TYPE": "VIEW", "IS_TRANSIENT": "NO", "IS_INSERTABLE_INTO": "NO", "IS_TYPED": "YES",
            "CREATED": created, "LAST_ALTERED": created, "LAST_DDL": created,
            "LAST_DDL_BY": owner or None, "COMMENT": comment, "IS_ICEBERG": "NO", "IS_DYNAMIC": "NO",
            "IS_IMMUTABLE": "NO", "IS_HYBRID": "NO", "IS_TEMPORARY": "NO"}


_TYPE = re.compile(r"^([A-Z_]+)(?:\((\d+)(?:,(\d+))?\))?$")


def column_type_fields(snowflake_type: str) -> dict[str, Any]:
    """DATA_TYPE and its size columns for a Snowflake type text such as NUMBER(8,2) or VARCHAR(20)."""
    match = _TYPE.match(snowflake_type.replace(" ", "").upper())
    kind, first, second = (match.group(1), match.group(2), match.group(3)) if match else (snowflake_type, None, None)
    fields: dict[str, Any] = {"DATA_TYPE": kind}
    if kind == "VARCHAR":
        length = int(first or MAX_VARCHAR)
        fields |= {"DATA_TYPE": "TEXT", "CHARACTER_MAXIMUM_LENGTH": length,
                   "CHARACTER_OCTET_LENGTH": min(length * 4, MAX_VARCHAR)}
    elif kind == "BINARY":
        length = int(first or 8388608)
        fields |= {"CHARACTER_MAXIMUM_LENGTH": length, "CHARACTER_OCTET_LENGTH": length}
    elif kind == "NUMBER":
        fields |= {"NUMERIC_PRECISION": int(first or 38), "NUMERIC_PRECISION_RADIX": 10,
                   "NUMERIC_SCALE": int(second or 0)}
    elif kind in ("TIME", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ", "TIMESTAMP_TZ"):
        fields["DATETIME_PRECISION"] = int(first or 9)
    return fields


def _column_rows(account: AccountLike, database: str) -> list[dict[str, Any]]:
    rows = []

    def add(schema: str, table: str, columns: list[Column]) -> None:
        for position, column in enumerate(columns, start=1):
            rows.append({"TABLE_CATALOG": database, "TABLE_SCHEMA": schema, "TABLE_NAME": table,
                         "COLUMN_NAME": column.name, "ORDINAL_POSITION": position, "COLUMN_DEFAULT": column.default,
                         "IS_NULLABLE": _yes(column.nullable), "IS_IDENTITY": "NO", "IS_SELF_REFERENCING": "NO",
                         "COMMENT": column.comment, "DATA_TYPE_ALIAS": column.type,
                         **column_type_fields(column.type)})

    for schema, obj in _relations(account, database):
        add(schema, obj.name.name, obj.columns)
    for name in sorted(table_functions.VIEWS):
        add(SCHEMA_NAME, name, view_columns(table_functions.VIEWS[name]))
    return rows


def view_columns(view: InformationSchemaView) -> list[Column]:
    """The columns of an INFORMATION_SCHEMA view as the catalog would declare them (DESCRIBE, COLUMNS)."""
    return [Column(name, type_) for name, type_ in view.types.items()]


def _view_rows(account: AccountLike, database: str) -> list[dict[str, Any]]:
    rows = []
    for schema, obj in _relations(account, database):
        if isinstance(obj, View):
            created = to_datetime(obj.created_on)
            rows.append({"TABLE_CATALOG": database, "TABLE_SCHEMA": schema, "TABLE_NAME": obj.name.name,
                         "TABLE_OWNER": obj.owner, "VIEW_DEFINITION": obj.text, "CHECK_OPTION": "NONE",
                         "IS_UPDATABLE": "NO", "INSERTABLE_INTO": "NO", "IS_SECURE": _yes(obj.secure),
                         "CREATED": created, "LAST_ALTERED": created, "LAST_DDL": created, "LAST_DDL_BY": obj.owner,
                         "COMMENT": obj.comment})
    return rows


def _schema_rows(account: AccountLike, database: str) -> list[dict[str, Any]]:
    db = account.catalog.databases[database]
    rows = [{"CATALOG_NAME": database, "SCHEMA_NAME": s.name, "SCHEMA_OWNER": "SYSADMIN", "IS_TRANSIENT": "NO",
             "IS_MANAGED_ACCESS": "NO", "RETENTION_TIME": 1, "CREATED": to_datetime(s.created_on),
             "LAST_ALTERED": to_datetime(s.created_on), "COMMENT": s.comment} for s in db.schemas.values()]
    created = to_datetime(db.created_on)
    rows.append({"CATALOG_NAME": database, "SCHEMA_NAME": SCHEMA_NAME, "SCHEMA_OWNER": "", "IS_TRANSIENT": "NO",
                 "IS_MANAGED_ACCESS": "NO", "RETENTION_TIME": 1, "CREATED": created, "LAST_ALTERED": created,
                 "COMMENT": SCHEMA_COMMENT})
    return sorted(rows, key=lambda r: r["SCHEMA_NAME"])


def _database_rows(account: AccountLike, database: str) -> list[dict[str, Any]]:
    """Every database of the account, whichever database's INFORMATION_SCHEMA is read (as documented)."""
    return [{"DATABASE_NAME": d.name, "DATABASE_OWNER": "SYSADMIN", "IS_TRANSIENT": "NO", "COMMENT": d.comment,
             "CREATED": to_datetime(d.created_on), "LAST_ALTERED": to_datetime(d.created_on), "RETENTION_TIME": 1,
             "TYPE": "STANDARD", "OWNER_ROLE_TYPE": "ROLE"}
            for d in sorted(account.catalog.databases.values(), key=lambda d: d.name)]


def constraint_name(table: Table, kind: str = "PK", index: int = 0) -> str:
    """The generated name of a key declared without one (TABLE_CONSTRAINTS, SHOW ... KEYS): unique per table."""
    return f"SYS_CONSTRAINT_{table.uid}" if kind == "PK" else f"SYS_CONSTRAINT_{table.uid}_{kind}{index}"


def _constraint_rows(account: AccountLike, database: str) -> list[dict[str, Any]]:
    rows = []
    for schema, obj in _relations(account, database):
        if not isinstance(obj, Table):
            continue
        created = to_datetime(obj.created_on)
        named = ([(constraint_name(obj), "PRIMARY KEY")] if any(c.primary_key for c in obj.columns) else []) + [
            (constraint_name(obj, "UK", i), "UNIQUE") for i in range(len(obj.unique_keys))] + [
            (constraint_name(obj, "FK", i), "FOREIGN KEY") for i in range(len(obj.foreign_keys))]
        rows += [{"CONSTRAINT_CATALOG": database, "CONSTRAINT_SCHEMA": schema, "CONSTRAINT_NAME": name,
                  "TABLE_CATALOG": database, "TABLE_SCHEMA": schema, "TABLE_NAME": obj.name.name,
                  "CONSTRAINT_TYPE": kind, "IS_DEFERRABLE": "NO", "INITIALLY_DEFERRED": "NO", "ENFORCED": "NO",
                  "COMMENT": None, "CREATED": created, "LAST_ALTERED": created, "RELY": "NO"} for name, kind in named]
    return rows


_TABLE_COLUMNS = (
    "TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, TABLE_OWNER TEXT, TABLE_TYPE TEXT, IS_TRANSIENT TEXT, "
    "CLUSTERING_KEY TEXT, ROW_COUNT NUMBER, BYTES NUMBER, RETENTION_TIME NUMBER, SELF_REFERENCING_COLUMN_NAME TEXT, "
    "REFERENCE_GENERATION TEXT, USER_DEFINED_TYPE_CATALOG TEXT, USER_DEFINED_TYPE_SCHEMA TEXT, "
    "USER_DEFINED_TYPE_NAME TEXT, IS_INSERTABLE_INTO TEXT, IS_TYPED TEXT, COMMIT_ACTION TEXT, "
    "CREATED TIMESTAMP_LTZ, LAST_ALTERED TIMESTAMP_LTZ, LAST_DDL TIMESTAMP_LTZ, LAST_DDL_BY TEXT, "
    "AUTO_CLUSTERING_ON TEXT, COMMENT TEXT, IS_TEMPORARY TEXT, IS_ICEBERG TEXT, IS_DYNAMIC TEXT, IS_IMMUTABLE TEXT, "
    "IS_HYBRID TEXT"
)
_COLUMN_COLUMNS = (
    "TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, COLUMN_NAME TEXT, ORDINAL_POSITION NUMBER, "
    "COLUMN_DEFAULT TEXT, IS_NULLABLE TEXT, DATA_TYPE TEXT, CHARACTER_MAXIMUM_LENGTH NUMBER, "
    "CHARACTER_OCTET_LENGTH NUMBER, NUMERIC_PRECISION NUMBER, NUMERIC_PRECISION_RADIX NUMBER, NUMERIC_SCALE NUMBER, "
    "DATETIME_PRECISION NUMBER, INTERVAL_TYPE TEXT, INTERVAL_PRECISION NUMBER, CHARACTER_SET_CATALOG TEXT, "
    "CHARACTER_SET_SCHEMA TEXT, CHARACTER_SET_NAME TEXT, COLLATION_CATALOG TEXT, COLLATION_SCHEMA TEXT, "
    "COLLATION_NAME TEXT, DOMAIN_CATALOG TEXT, DOMAIN_SCHEMA TEXT, DOMAIN_NAME TEXT, UDT_CATALOG TEXT, "
    "UDT_SCHEMA TEXT, UDT_NAME TEXT, SCOPE_CATALOG TEXT, SCOPE_SCHEMA TEXT, SCOPE_NAME TEXT, "
    "MAXIMUM_CARDINALITY NUMBER, DTD_IDENTIFIER TEXT, IS_SELF_REFERENCING TEXT, IS_IDENTITY TEXT, "
    "IDENTITY_GENERATION TEXT, IDENTITY_START TEXT, IDENTITY_INCREMENT TEXT, IDENTITY_MAXIMUM TEXT, "
    "IDENTITY_MINIMUM TEXT, IDENTITY_CYCLE TEXT, IDENTITY_ORDERED TEXT, SCHEMA_EVOLUTION_RECORD TEXT, COMMENT TEXT, "
    "DATA_TYPE_ALIAS TEXT"
)

VIEWS = (
    view("TABLES", _TABLE_COLUMNS, _table_rows),
    view("COLUMNS", _COLUMN_COLUMNS, _column_rows),
    view("VIEWS", "TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, TABLE_OWNER TEXT, VIEW_DEFINITION TEXT, "
          "CHECK_OPTION TEXT, IS_UPDATABLE TEXT, INSERTABLE_INTO TEXT, IS_SECURE TEXT, CREATED TIMESTAMP_LTZ, "
          "LAST_ALTERED TIMESTAMP_LTZ, LAST_DDL TIMESTAMP_LTZ, LAST_DDL_BY TEXT, COMMENT TEXT", _view_rows),
    view("SCHEMATA", "CATALOG_NAME TEXT, SCHEMA_NAME TEXT, SCHEMA_OWNER TEXT, IS_TRANSIENT TEXT, "
          "IS_MANAGED_ACCESS TEXT, RETENTION_TIME NUMBER, DEFAULT_CHARACTER_SET_CATALOG TEXT, "
          "DEFAULT_CHARACTER_SET_SCHEMA TEXT, DEFAULT_CHARACTER_SET_NAME TEXT, SQL_PATH TEXT, CREATED TIMESTAMP_LTZ, "
          "LAST_ALTERED TIMESTAMP_LTZ, COMMENT TEXT", _schema_rows),
    view("DATABASES", "DATABASE_NAME TEXT, DATABASE_OWNER TEXT, IS_TRANSIENT TEXT, COMMENT TEXT, "
          "CREATED TIMESTAMP_LTZ, LAST_ALTERED TIMESTAMP_LTZ, RETENTION_TIME NUMBER, TYPE TEXT, OWNER_ROLE_TYPE TEXT",
          _database_rows),
    view("TABLE_CONSTRAINTS", "CONSTRAINT_CATALOG TEXT, CONSTRAINT_SCHEMA TEXT, CONSTRAINT_NAME TEXT, "
          "TABLE_CATALOG TEXT, TABLE_SCHEMA TEXT, TABLE_NAME TEXT, CONSTRAINT_TYPE TEXT, IS_DEFERRABLE TEXT, "
          "INITIALLY_DEFERRED TEXT, ENFORCED TEXT, COMMENT TEXT, CREATED TIMESTAMP_LTZ, LAST_ALTERED TIMESTAMP_LTZ, "
          "RELY TEXT", _constraint_rows),
)
