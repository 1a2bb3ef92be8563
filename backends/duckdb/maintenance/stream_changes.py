"""Streams: the change set between a stream's offset and now, computed from the change log.

Semantics follow https://docs.snowflake.com/en/user-guide/streams-intro (sections 1.1-1.9 of
shared/reference/snowflake-semantics.md). A stream stores only an offset, a commit sequence
number (CSN). Reading it takes the change log rows of its table with offset < csn <= upper bound
(catalog/tracking.py writes them) and nets them per row id:

  first event in the window  -> the row's image at the offset (absent if the first event inserted it)
  last event in the window   -> the row's image now (absent if the last event deleted it)

  absent  -> present            INSERT,            METADATA$ISUPDATE = FALSE
  present -> absent             DELETE (old),      FALSE
  present -> present, changed   DELETE(old) + INSERT(new), both TRUE
  unchanged, or absent->absent  nothing  (so a no-op UPDATE yields nothing: docs/emulator.md)

Append-only streams return every row inserted in the window with its as-inserted image. Only
log rows above the offset are read (DuckDB skips older row groups by the csn column's min/max),
so a read costs in proportion to the changes, not to the table.
"""

from __future__ import annotations

from backends.duckdb.catalog.objects import Catalog, Stream, Table, View, stream_sources
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
from backends.duckdb.maintenance.view_changes import view_changeset_sql
from backends.duckdb.sql.names import quote
from backends.duckdb.sql.template import slot
from backends.errors import ProgrammingError

METADATA_COLUMNS = ("METADATA$ACTION", "METADATA$ISUPDATE", "METADATA$ROW_ID")

#: A stream is readable for max(DATA_RETENTION_TIME_IN_DAYS=1, MAX_DATA_EXTENSION_TIME_IN_DAYS=14)
#: days after it was last consumed (or found empty by SYSTEM$STREAM_HAS_DATA).
STALE_AFTER_MS = 14 * 24 * 3600 * 1000


def check_readable(stream: Stream, catalog: Catalog, *, query: str | None = None) -> None:
    """Refuse to read a stream whose source was dropped or replaced: it is stale and must be recreated."""
    if stream.stale_reason:
        raise ProgrammingError(
            f"Stream '{stream.name}' is stale: {stream.stale_reason}. Recreate the stream to read it again.",
            sqlstate="55000",
            query=query,
        )


def check_not_expired(stream: Stream, now_ms: int, *, query: str | None = None) -> None:
    """Refuse a stream not consumed within its staleness window (section 1.7)."""
    if now_ms > stream.stale_from + STALE_AFTER_MS:
        raise ProgrammingError(
            f"Stream '{stream.name}' is stale: it was not consumed within 14 days "
            "(MAX_DATA_EXTENSION_TIME_IN_DAYS). Recreate the stream to read it again.",
            sqlstate="55000",
            query=query,
        )


def has_data(stream: Stream, now_ms: int) -> bool:
    """SYSTEM$STREAM_HAS_DATA: no false negatives; a FALSE answer keeps the stream from going stale."""
    if stream.stale_reason:
        return False
    offset = stream.offset
    found = offset is None or any(
        t.tracking is not None and t.tracking.last_change_csn > offset for t in stream_sources(stream)
    )
    if not found:
        stream.stale_from = now_ms
    return found


def columns_of(stream: Stream) -> list[str]:
    source = stream.source
    return [c.name for c in source.columns] if isinstance(source, (Table, View)) else []


def changeset_sql(stream: Stream) -> str:
    """SQL (with slots) selecting the stream's change set: source columns then the METADATA$ columns."""
    if isinstance(stream.source, View):
        return view_changeset_sql(stream)
    table = stream.source
    assert isinstance(table, Table) and table.tracking is not None, "a stream's table is tracked"
    columns = [c.name for c in table.columns]
    lo, hi = slot(f"lo_{stream.uid}"), slot("hi")
    if stream.append_only:
        delta = append_only_sql(table, columns, lo, hi)
    else:
        delta = net_changes_sql(table, columns, lo, hi)
    if not stream.show_initial_rows:
        return delta
    initial = slot(f"initial_{stream.uid}")
    return (
        f"SELECT * FROM ({delta}) AS d WHERE NOT {initial} "
        f"UNION ALL SELECT * FROM ({initial_rows_sql(table, columns, hi)}) AS i WHERE {initial}"
    )


def row_id_sql(table: Table, rid: str) -> str:
    """METADATA$ROW_ID: stable for a row, identical for every stream on the same table."""
    return f"sha1(CONCAT('{table.uid}:', {rid}))"


def _select(prefix: str, columns: list[str]) -> str:
    return ", ".join(f"{prefix}.{quote(c)}" for c in columns)


def _row(prefix: str, columns: list[str]) -> str:
    return f"ROW({_select(prefix, columns)})" if columns else "ROW(1)"


def net_changes_sql(table: Table, columns: list[str], lo: str, hi: str) -> str:
    """A standard stream's minimal change set over (lo, hi]."""
    log = table.tracking.changes
    rid = quote(ROW_ID)
    order = f"{SEQ}, {KIND}"
    window = f"SELECT * FROM {log} WHERE {CSN} > {lo} AND {CSN} <= {hi}"
    return f"""
WITH w AS ({window}),
first_event AS (SELECT * FROM w QUALIFY row_number() OVER (PARTITION BY {rid} ORDER BY {order}) = 1),
last_event AS (SELECT * FROM w QUALIFY row_number() OVER (PARTITION BY {rid} ORDER BY {SEQ} DESC, {KIND} DESC) = 1),
b AS (SELECT * FROM first_event WHERE {KIND} IN ({UPDATE_BEFORE}, {DELETE})),
a AS (SELECT * FROM last_event WHERE {KIND} IN ({UPDATE_AFTER}, {INSERT}))
SELECT {_select('a', columns)}{', ' if columns else ''}'INSERT' AS "METADATA$ACTION",
       b.{rid} IS NOT NULL AS "METADATA$ISUPDATE", {row_id_sql(table, f'a.{rid}')} AS "METADATA$ROW_ID"
FROM a LEFT JOIN b ON a.{rid} = b.{rid}
WHERE b.{rid} IS NULL OR {_row('b', columns)} IS DISTINCT FROM {_row('a', columns)}
UNION ALL
SELECT {_select('b', columns)}{', ' if columns else ''}'DELETE' AS "METADATA$ACTION",
       a.{rid} IS NOT NULL AS "METADATA$ISUPDATE", {row_id_sql(table, f'b.{rid}')} AS "METADATA$ROW_ID"
FROM b LEFT JOIN a ON a.{rid} = b.{rid}
WHERE a.{rid} IS NULL OR {_row('b', columns)} IS DISTINCT FROM {_row('a', columns)}
"""


def append_only_sql(table: Table, columns: list[str], lo: str, hi: str) -> str:
    """An append-only stream: rows inserted over (lo, hi], as inserted."""
    rid = quote(ROW_ID)
    return (
        f"SELECT {_select('c', columns)}{', ' if columns else ''}'INSERT' AS \"METADATA$ACTION\", "
        f"FALSE AS \"METADATA$ISUPDATE\", {row_id_sql(table, f'c.{rid}')} AS \"METADATA$ROW_ID\" "
        f"FROM {table.tracking.changes} AS c WHERE c.{CSN} > {lo} AND c.{CSN} <= {hi} AND c.{KIND} = {INSERT}"
    )


def initial_rows_sql(table: Table, columns: list[str], hi: str) -> str:
    """SHOW_INITIAL_ROWS before the first consumption: the table as of `hi`, every row an INSERT.

    The offset of such a stream is "before the table existed", so its first change set is the
    net change from empty: the rows present at the upper bound.
    """
    rid = quote(ROW_ID)
    return (
        f"SELECT {_select('s', columns)}{', ' if columns else ''}'INSERT' AS \"METADATA$ACTION\", "
        f"FALSE AS \"METADATA$ISUPDATE\", {row_id_sql(table, f's.{rid}')} AS \"METADATA$ROW_ID\" "
        f"FROM ({table_state_sql(table, columns, hi)}) AS s"
    )
