"""Change tracking: hidden row ids and a log of row images per committed statement.

Snowflake adds hidden change-tracking columns to a table when its first stream is created
(https://docs.snowflake.com/en/user-guide/streams-intro#offset-storage). The emulator does the
same: the DuckDB table gets a row-id column and is renamed to `__snowsim_rows_<uid>`, and a view
under the table's own name hides the id, so queries and user views see the table unchanged.

Every DML statement on a tracked table then also writes, into `__snowsim_changes_<uid>`, the row
images it touched, stamped with its transaction's commit sequence number (csn) and its own
statement number (seq):

  kind 0  UPDATE, before image     kind 1  UPDATE, after image
  kind 2  DELETE, before image     kind 3  INSERT, after image

INSERT, UPDATE and DELETE write their images in the same DuckDB statement through a
data-modifying CTE; an UPDATE first copies the before images of the rows it is about to change,
and MERGE (which DuckDB cannot nest in a CTE) is driven step by step by the session.
"""

from __future__ import annotations

import duckdb

from backends.duckdb.catalog.objects import Catalog, Table, Tracking
from backends.duckdb.sql.engine_errors import run_in_transaction
from backends.duckdb.sql.names import internal_name, quote, sql_string
from backends.duckdb.sql.template import slot

UPDATE_BEFORE, UPDATE_AFTER, DELETE, INSERT = 0, 1, 2, 3

#: The hidden row-id column, in the tracked table and in its change log.
ROW_ID = "__snowsim_rid"
#: The change log's bookkeeping columns: the commit (CSN), the statement (a global sequence), the kind of image.
#: Every name of the emulator's own starts with __SNOWSIM_, which user names may not (sql/names.py).
CSN, SEQ, KIND = '"__snowsim_csn"', '"__snowsim_seq"', '"__snowsim_kind"'
_RID = quote(ROW_ID)
_WORK = '"__snowsim_w"'


def enable_sql(table: Table, column_types: list[tuple[str, str]]) -> tuple[Tracking, list[str]]:
    """The bookkeeping objects for tracking `table`, and the DuckDB statements that create them.

    `column_types` are the table's DuckDB columns (name, type) in order.
    """
    name = table.name
    tracking = Tracking(
        rows=name.internal("rows", table.uid),
        changes=name.internal("changes", table.uid),
        sequence=name.internal("rid", table.uid),
    )
    log_columns = ", ".join(f"{quote(c)} {t}" for c, t in column_types)
    statements = [
        f"CREATE SEQUENCE {tracking.sequence}",
        f"ALTER TABLE {name.duck} ADD COLUMN {_RID} BIGINT DEFAULT nextval({sql_string(tracking.sequence)})",
        f"ALTER TABLE {name.duck} RENAME TO {quote(internal_name('rows', table.uid))}",
        view_sql(table, tracking),
        f"CREATE TABLE {tracking.changes} ({CSN} BIGINT, {SEQ} BIGINT, {KIND} UTINYINT, {_RID} BIGINT"
        + (f", {log_columns})" if log_columns else ")"),
    ]
    return tracking, statements


def view_sql(table: Table, tracking: Tracking) -> str:
    """The view that keeps a tracked table's name and hides its row id."""
    return f"CREATE OR REPLACE VIEW {table.name.duck} AS SELECT * EXCLUDE ({_RID}) FROM {tracking.rows}"


def drop_sql(table: Table) -> list[str]:
    tracking = table.tracking
    assert tracking is not None
    return [
        f"DROP VIEW IF EXISTS {table.name.duck}",
        f"DROP TABLE IF EXISTS {tracking.rows}",
        f"DROP TABLE IF EXISTS {tracking.changes}",
        f"DROP SEQUENCE IF EXISTS {tracking.sequence}",
    ]


def _columns(columns: list[str], prefix: str = "") -> str:
    return "".join(f", {prefix}{quote(c)}" for c in columns)


def log_from(table: Table, source: str, kind: int | str, columns: list[str]) -> str:
    """INSERT into the change log every row of `source` (which has the row id and the columns)."""
    return (
        f"INSERT INTO {table.tracking.changes} SELECT {slot('csn')}, {slot('seq')}, {kind}, "
        f"{_RID}{_columns(columns)} FROM {source}"
    )


def capture(table: Table, dml_sql: str, kind: int, columns: list[str]) -> str:
    """Run `dml_sql` (an INSERT, UPDATE or DELETE on the rows table) and log what it returns."""
    return f"WITH {_WORK} AS ({dml_sql} RETURNING *) " + log_from(table, _WORK, kind, columns)


def before_images(table: Table, target: str, alias: str, from_sql: str, where_sql: str, columns: list[str]) -> str:
    """Log the current image of every row an UPDATE is about to change (once per row)."""
    qualified = f"{alias}.{_RID}"
    select = ", ".join(
        [slot("csn"), slot("seq"), str(UPDATE_BEFORE), qualified] + [f"{alias}.{quote(c)}" for c in columns]
    )
    source = f"{target} AS {alias}" + (f", {from_sql}" if from_sql else "")
    where = f" WHERE {where_sql}" if where_sql else ""
    return f"INSERT INTO {table.tracking.changes} SELECT DISTINCT ON ({qualified}) {select} FROM {source}{where}"


def table_state_sql(table: Table, columns: list[str], at: str) -> str:
    """The tracked table as of commit `at`: its rows, with every later change undone through the log."""
    tracking = table.tracking
    later = f"SELECT * FROM {tracking.changes} WHERE {CSN} > {at}"
    first_later = f"SELECT * FROM ({later}) QUALIFY row_number() OVER (PARTITION BY {_RID} ORDER BY {SEQ}, {KIND}) = 1"
    return (
        f"SELECT {_RID}{_columns(columns)} FROM {tracking.rows} "
        f"WHERE {_RID} NOT IN (SELECT {_RID} FROM ({later})) "
        f"UNION ALL SELECT {_RID}{_columns(columns)} FROM ({first_later}) WHERE {KIND} IN ({UPDATE_BEFORE}, {DELETE})"
    )


def duck_columns(duck: duckdb.DuckDBPyConnection, duck_name: str) -> list[tuple[str, str, bool]]:
    """(name, DuckDB type, nullable) of a DuckDB table or view, without the hidden row id."""
    rows = duck.execute(f"DESCRIBE {duck_name}").fetchall()
    return [(r[0], r[1], r[2] == "YES") for r in rows if r[0] != ROW_ID]


def enable_tracking(duck: duckdb.DuckDBPyConnection, catalog: Catalog, table: Table, now: int, *,
                    in_transaction: bool = False) -> None:
    """Add the hidden row id and the change log to a table (first stream, or CHANGE_TRACKING = TRUE)."""
    if table.tracking is not None:
        return
    types = [(n, t) for n, t, _ in duck_columns(duck, table.name.duck)]
    table_tracking, statements = enable_sql(table, types)
    if in_transaction:
        for statement in statements:
            duck.execute(statement)
    else:
        run_in_transaction(duck, statements)
    table_tracking.since = now
    table.tracking = table_tracking
    catalog.changed()


def drop_table_sql(table: Table) -> list[str]:
    """DuckDB statements that drop a table: its data (and change log), its own storage, its sequences."""
    statements = drop_sql(table) if table.tracking else [f"DROP TABLE IF EXISTS {table.name.duck}"]
    statements += [f"DROP TABLE IF EXISTS {name}" for name in table.storage()]
    for position, column in enumerate(table.columns):
        if column.default and column.default.endswith(".NEXTVAL"):
            statements.append(f"DROP SEQUENCE IF EXISTS {quote(table.name.duck_schema)}."
                              f"{quote(internal_name(f'seq_{position}', table.uid))}")
    return statements
