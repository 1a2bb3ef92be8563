"""Snowpipe Streaming channels: rows arrive as Arrow and commit with an offset token, exactly once.

A channel belongs to one table and has a name; its last committed offset token is the source of
truth after a reopen, and reopening invalidates older handles, so a client that resumes from the
committed token neither loses nor duplicates rows. Buffering, flushing and commit latency are the
client's (the harness's model); here a commit is the moment rows become queryable.
https://docs.snowflake.com/en/user-guide/snowpipe-streaming/snowpipe-streaming-channels
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from backends.clock import Millis
from backends.duckdb.catalog.objects import Table
from backends.duckdb.compile.context import AccountLike, SessionLike
from backends.duckdb.compile.resolve import Resolver
from backends.duckdb.sql.names import QualifiedName, parse_name_parts
from backends.errors import OperationalError, object_does_not_exist


@dataclass
class ChannelState:
    """What the account keeps for a channel."""

    table: str
    name: str
    created_on: Millis
    #: The table it was opened on: its offset token means nothing to a table replaced since.
    table_uid: int
    offset_token: str | None = None
    rows_inserted: int = 0
    #: Bumped by every open: a handle from an older open may not commit.
    generation: int = 0


class Channels:
    """The account's Snowpipe Streaming channels, by (table, channel name)."""

    def __init__(self, account: AccountLike) -> None:
        self.by_key: dict[tuple[str, str], ChannelState] = {}


@dataclass(frozen=True)
class Commit:
    """What one channel commit did: rows, the CSN that made them visible (None: untracked table), and when."""

    rows: int
    csn: int | None
    committed_at: Millis


class Channel:
    """A client's open channel; `insert_rows` commits a batch and its offset token together."""

    def __init__(self, session: SessionLike, state: ChannelState, table: QualifiedName) -> None:
        self._session = session
        self._state = state
        self._generation = state.generation
        self._table = table

    @property
    def name(self) -> str:
        return self._state.name

    @property
    def latest_committed_offset_token(self) -> str | None:
        return self._state.offset_token

    def insert_rows(self, rows: pa.Table, offset_token: str) -> Commit:
        """Commit `rows` (columns named like the table's) and `offset_token` in one transaction."""
        state = self._state
        if self._session.closed:
            raise OperationalError(f"Channel {state.name} on {state.table} is closed: the connection that opened it "
                                   "was closed. Open the channel again from an open connection.", errno=-1)
        if self._generation != state.generation:
            raise OperationalError(
                f"Channel {state.name} on {state.table} was reopened by another client; this handle is "
                "invalid. Reopen the channel and resume from its latest committed offset token.",
                errno=-1,
            )
        account = self._session.account
        table = account.catalog.get(self._table)
        if not isinstance(table, Table):
            raise object_does_not_exist(str(self._table))
        if table.uid != state.table_uid:
            raise OperationalError(f"Channel {state.name} on {state.table} is invalid: the table was replaced since "
                                   "the channel opened. Reopen the channel (it starts with no offset token).", errno=-1)
        csn = None
        if rows.num_rows:
            with account.activity("channel commit", self._table.name):
                csn = account.commit_append(self._session, table, rows) or self._session.insert_arrow(state.table, rows)
        state.offset_token = offset_token
        state.rows_inserted += rows.num_rows
        return Commit(rows.num_rows, csn, account.clock.now())


def open_channel(session: SessionLike, table: str, name: str) -> Channel:
    """Open (or reopen) channel `name` on `table`; the table must exist. Its offset token is the one last
    committed through the channel on this same table (a table created or replaced since starts with none)."""
    qualified = Resolver(session.catalog, session.context).qualify(parse_name_parts(table))
    target = session.catalog.get(qualified)
    if not isinstance(target, Table):
        raise object_does_not_exist(str(qualified))
    key = (str(qualified), name.upper())
    channels = session.account.state(Channels).by_key
    state = channels.get(key)
    if state is None or state.table_uid != target.uid:  # a table replaced since: a new channel, with no token
        state = ChannelState(str(qualified), name.upper(), session.account.clock.now(), target.uid)
        channels[key] = state
    state.generation += 1
    return Channel(session, state, qualified)
