"""Snowpipe Streaming channels resume exactly once: a token belongs to the table it was committed on, a closed
connection's channel commits nothing, and reopening a channel leaks nothing."""

from __future__ import annotations

import pyarrow as pa
import pytest

from backends import duckdb as local


def _rows(*ids: int) -> pa.Table:
    return pa.table({"id": pa.array(ids, pa.int64())})


def test_a_replaced_table_gives_a_reopened_channel_no_offset_token() -> None:
    conn = local.connect()
    conn.cursor().execute("CREATE TABLE landing (id INT)")
    conn.open_channel("landing", "c").insert_rows(_rows(1, 2), "2")
    assert conn.open_channel("landing", "c").latest_committed_offset_token == "2"
    conn.cursor().execute("CREATE OR REPLACE TABLE landing (id INT)")
    assert conn.open_channel("landing", "c").latest_committed_offset_token is None
    conn.close()


def test_a_channel_opened_before_its_table_was_replaced_refuses_to_commit() -> None:
    conn = local.connect()
    conn.cursor().execute("CREATE TABLE landing (id INT)")
    channel = conn.open_channel("landing", "c")
    conn.cursor().execute("CREATE OR REPLACE TABLE landing (id INT)")
    with pytest.raises(local.errors.OperationalError, match="the table was replaced"):
        channel.insert_rows(_rows(1), "1")
    conn.close()


def test_a_closed_connections_channel_commits_nothing() -> None:
    conn = local.connect()
    conn.cursor().execute("CREATE TABLE landing (id INT)")
    channel = conn.open_channel("landing", "c")
    conn.close()
    with pytest.raises(local.errors.OperationalError, match="is closed"):
        channel.insert_rows(_rows(1), "1")


def test_reopening_a_channel_opens_no_session_and_closing_removes_the_stage_folder() -> None:
    conn = local.connect()
    conn.cursor().execute("CREATE TABLE landing (id INT)")
    conn.cursor().execute("CREATE STAGE st")
    conn.cursor().execute("CREATE TASK t SCHEDULE = '1 MINUTE' AS SELECT 1")  # a session of the emulator's own
    account = conn._account
    root = account.stage_root()
    for _ in range(30):
        conn.open_channel("landing", "c")
    assert len(account.sessions) <= 3  # the connection's, its channels', and at most the task's
    conn.close()
    assert account.closed and not root.exists()
