"""Streams on views: the view's query differentiated between the stream's offset and now (ivm.py).

Snowflake tracks changes on views made of projections, filters, inner joins and UNION ALL over
tables (https://docs.snowflake.com/en/user-guide/streams-intro#streams-on-views). Rows are keyed
by the base rows they combine and netted like a table stream; an append-only view stream returns
the rows built from at least one inserted base row.
"""

from __future__ import annotations

from backends.duckdb.catalog.objects import Stream, View
from backends.duckdb.maintenance.ivm import (
    KEY,
    NotIncremental,
    SpjQuery,
    branches,
    check_spj,
    net_changes,
    unsupported_for_streams,
)
from backends.duckdb.sql.names import quote
from backends.duckdb.sql.template import slot
from backends.errors import NotSupportedError


def check_view_supports_changes(view: View, *, query: str | None = None) -> None:
    """Refuse views Snowflake cannot track: GROUP BY, DISTINCT, LIMIT, outer joins, subqueries."""
    if view.query is None:
        raise unsupported_for_streams("an unknown definition")
    try:
        for select in branches(view.query):
            # The docs' example view selects CURRENT_TIMESTAMP(): evaluated when the stream is read.
            check_spj(select, allow_clock=True)
    except NotIncremental as error:
        if error.reason == "views in FROM":
            raise NotSupportedError("streams on views that read other views", query=query) from error
        raise unsupported_for_streams(error.reason) from error


def view_changeset_sql(stream: Stream) -> str:
    view = stream.source
    assert isinstance(view, View) and view.query is not None
    columns = [c.name for c in view.columns]
    spj = SpjQuery(view.query, columns)
    lo, hi = slot(f"lo_{stream.uid}"), slot("hi")
    select = ", ".join(f"c.{quote(c)}" for c in columns)
    row_id = f"sha1(CONCAT('{view.uid}:', c.{quote(KEY)})) AS \"METADATA$ROW_ID\""
    if stream.append_only:
        return (
            f"SELECT {select}, 'INSERT' AS \"METADATA$ACTION\", FALSE AS \"METADATA$ISUPDATE\", {row_id} "
            f"FROM ({spj.appended(lo, hi)}) AS c"
        )
    changes = net_changes(spj.side(lo, hi, old=True), spj.side(lo, hi, old=False), columns)
    delta = f'SELECT {select}, c."METADATA$ACTION", c."METADATA$ISUPDATE", {row_id} FROM ({changes}) AS c'
    if not stream.show_initial_rows:
        return delta
    initial = (
        f"SELECT {select}, 'INSERT' AS \"METADATA$ACTION\", FALSE AS \"METADATA$ISUPDATE\", {row_id} "
        f"FROM ({spj.at(hi)}) AS c"
    )
    flag = slot(f"initial_{stream.uid}")
    return f"SELECT * FROM ({delta}) AS d WHERE NOT {flag} UNION ALL SELECT * FROM ({initial}) AS i WHERE {flag}"
