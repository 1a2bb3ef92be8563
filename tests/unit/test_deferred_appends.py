"""Channel commits written to DuckDB later, in batches, are indistinguishable from commits written at once."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from backends import duckdb as local
from backends.duckdb.session.session import deferred

SETUP = """
ALTER SESSION SET TIMEZONE = 'America/New_York';
CREATE TABLE landing (id INT, v INT, tag STRING, at TIMESTAMP_LTZ DEFAULT CURRENT_TIMESTAMP(),
    local_at TIMESTAMP_NTZ DEFAULT CURRENT_TIMESTAMP(), day DATE DEFAULT CURRENT_DATE(), source STRING DEFAULT 'feed');
CREATE STREAM s ON TABLE landing;
CREATE STREAM s_append ON TABLE landing APPEND_ONLY = TRUE;
CREATE TABLE sink (id INT, v INT);
"""
READS = [
    "SELECT id, v, METADATA$ACTION, METADATA$ISUPDATE FROM s ORDER BY id, METADATA$ACTION",
    "SELECT COUNT(*), SUM(v) FROM s_append",
    "SELECT COUNT(*), MAX(id) FROM landing",
    "SELECT SYSTEM$STREAM_HAS_DATA('S')",
]


def _script(seed: int) -> list[tuple]:
    rng = random.Random(seed)
    steps, next_id = [], 0
    for _ in range(60):
        kind = rng.choice(["commit", "commit", "commit", "odd commit", "read", "consume", "update", "txn", "advance"])
        if kind in ("commit", "odd commit", "txn"):
            size = rng.randint(1, 5)
            steps.append((kind, list(range(next_id, next_id + size)), rng.randint(0, 3)))
            next_id += size
        else:
            steps.append((kind, rng.randrange(len(READS)), 0))
    return steps


def _rows(ids: list[int], odd: bool) -> pa.Table:
    if odd:  # columns out of order, one left out, int32: still deferrable after a widening cast
        return pa.table({"V": pa.array([i % 5 for i in ids], pa.int32()), "id": pa.array(ids, pa.int64())})
    return pa.table({"id": ids, "v": [i % 5 for i in ids], "tag": [f"t{i}" for i in ids]})


def _run(steps: list[tuple]) -> tuple[list, list, list]:
    conn = local.connect()
    conn.execute_string(SETUP)
    cur = conn.cursor()
    channel = conn.open_channel("landing", "c")
    seen = []
    for kind, arg, extra in steps:
        if kind in ("commit", "odd commit"):
            channel.insert_rows(_rows(arg, kind == "odd commit"), str(arg[-1]))
        elif kind == "read":
            seen.append(cur.execute(READS[arg]).fetchall())
        elif kind == "consume":
            cur.execute("INSERT INTO sink SELECT id, v FROM s WHERE METADATA$ACTION = 'INSERT'")
        elif kind == "update":
            cur.execute("UPDATE landing SET v = v + 1 WHERE id % 3 = 0")
        elif kind == "txn":  # a commit during a transaction is not seen by it, and is after it
            cur.execute("BEGIN")
            seen.append(cur.execute(READS[0]).fetchall())
            channel.insert_rows(_rows(arg, False), str(arg[-1]))
            seen.append(cur.execute(READS[0]).fetchall())
            cur.execute("INSERT INTO sink SELECT id, v FROM s WHERE METADATA$ACTION = 'INSERT'")
            cur.execute("COMMIT")
            seen.append(cur.execute(READS[0]).fetchall())
        else:  # hours: CURRENT_DATE() changes too
            conn.clock.advance(hours=5)
    final = [
        cur.execute(q).fetchall() for q in ("SELECT * FROM landing ORDER BY id", "SELECT * FROM sink ORDER BY id, v")
    ]
    lineage = [(v.table, v.csn, v.visible_at, v.snapshot) for v in conn.lineage.versions]
    conn.close()
    return seen, final, lineage


@pytest.mark.parametrize("seed", range(6))
def test_deferred_and_immediate_appends_read_the_same(seed, monkeypatch) -> None:
    steps = _script(seed)
    deferred_run = _run(steps)
    monkeypatch.setattr(deferred, "prepare", lambda session, table, rows: None)  # every commit takes the INSERT path
    immediate_run = _run(steps)
    assert deferred_run == immediate_run


def test_appends_that_could_fail_take_the_insert_path() -> None:
    conn = local.connect()
    conn.execute_string(
        "CREATE TABLE t (id INT NOT NULL, at TIMESTAMP DEFAULT CURRENT_TIMESTAMP()); CREATE STREAM st ON TABLE t;"
        "CREATE TABLE u (id INT NOT NULL, v STRING); CREATE STREAM su ON TABLE u;"
        "CREATE TABLE w (id INT AUTOINCREMENT, key STRING DEFAULT UUID_STRING(), v INT); CREATE STREAM sw ON TABLE w;"
    )
    session = conn._session
    account = session.account
    tables = {o.name.name: o for o in account.catalog.objects() if o.kind == "TABLE"}
    assert (
        deferred.prepare(session, tables["T"], pa.table({"id": [1]})) is not None
    )  # the clock's default: once a commit
    assert deferred.prepare(session, tables["W"], pa.table({"key": ["k"], "v": [1]})) is None  # a sequence, per row
    assert deferred.prepare(session, tables["W"], pa.table({"id": [1], "v": [1]})) is None  # a UUID, per row
    assert deferred.prepare(session, tables["W"], pa.table({"id": [1], "key": ["k"], "v": [1]})) is not None
    assert deferred.prepare(session, tables["U"], pa.table({"v": ["x"]})) is None  # NOT NULL id left empty
    assert deferred.prepare(session, tables["U"], pa.table({"id": [1.5], "v": ["x"]})) is None  # a narrowing cast
    assert deferred.prepare(session, tables["U"], pa.table({"id": [1], "nope": ["x"]})) is None  # no such column
    assert deferred.prepare(session, tables["U"], pa.table({"ID": pa.array([1], pa.int16()), "v": ["x"]})) is not None
    with pytest.raises(local.errors.IntegrityError):
        conn.open_channel("u", "c").insert_rows(pa.table({"id": pa.array([None], pa.int64()), "v": ["x"]}), "1")
    conn.close()
