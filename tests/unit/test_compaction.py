"""Compaction (CHECKPOINT between transactions) frees memory and changes nothing a reader sees."""

from __future__ import annotations

import random

import pytest

from backends import duckdb as local
from backends.duckdb import compaction

SETUP = """
CREATE TABLE bookings (id INT, movie STRING, seats INT, note STRING);
CREATE STREAM changes ON TABLE bookings;
CREATE STREAM arrivals ON TABLE bookings APPEND_ONLY = TRUE;
CREATE TABLE applied (id INT, seats INT, action STRING);
CREATE DYNAMIC TABLE per_movie TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH
    AS SELECT movie, COUNT(*) AS n, SUM(seats) AS seats FROM bookings GROUP BY movie;
"""
READS = [
    "SELECT id, seats, METADATA$ACTION, METADATA$ISUPDATE FROM changes ORDER BY id, METADATA$ACTION",
    "SELECT COUNT(*), SUM(seats) FROM arrivals",
    "SELECT * FROM per_movie ORDER BY movie",
    "SELECT * FROM bookings ORDER BY id",
]


def _script(seed: int) -> list[str]:
    rng = random.Random(seed)
    statements, next_id = [], 0
    for _ in range(80):
        kind = rng.choice(["insert", "insert", "update", "delete", "merge", "consume", "read", "advance"])
        if kind == "insert":
            size = rng.randint(1, 30)
            values = ", ".join(f"({i}, 'M{i % 4}', {i % 7}, 'note {i}')" for i in range(next_id, next_id + size))
            statements.append(f"INSERT INTO bookings VALUES {values}")
            next_id += size
        elif kind == "update":
            statements.append(f"UPDATE bookings SET seats = seats + 1 WHERE id % {rng.randint(2, 9)} = 0")
        elif kind == "delete":
            statements.append(f"DELETE FROM bookings WHERE id % {rng.randint(5, 15)} = 1")
        elif kind == "merge":
            statements.append(f"MERGE INTO bookings b USING (SELECT id, seats FROM bookings WHERE id % 4 = {rng.randint(0, 3)}) s "
                              "ON b.id = s.id WHEN MATCHED THEN UPDATE SET seats = s.seats * 2")
        elif kind == "consume":
            statements.append("INSERT INTO applied SELECT id, seats, METADATA$ACTION FROM changes")
        elif kind == "read":
            statements.append(READS[rng.randrange(len(READS))])
        else:
            statements.append("advance")
    return statements


def _run(statements: list[str]) -> tuple[list, int]:
    conn = local.connect()
    conn.execute_string(SETUP)
    cur = conn.cursor()
    seen = []
    for statement in statements:
        if statement == "advance":
            conn.clock.advance(minutes=1)
        else:
            seen.append(cur.execute(statement).fetchall())
    seen += [cur.execute(q).fetchall() for q in [*READS, "SELECT * FROM applied ORDER BY id, action, seats"]]
    checkpoints = conn._account.compaction.checkpoints
    conn.close()
    return seen, checkpoints


@pytest.mark.parametrize("seed", range(3))
def test_a_checkpoint_after_every_commit_changes_nothing_a_reader_sees(seed, monkeypatch) -> None:
    statements = _script(seed)
    plain, none = _run(statements)
    monkeypatch.setattr(compaction, "CHECK_EVERY", 1)
    monkeypatch.setattr(compaction, "SHARE", 0.0)
    monkeypatch.setattr(compaction, "GROWTH", 0.0)
    compacted, checkpoints = _run(statements)
    assert none == 0 and checkpoints > 50
    assert compacted == plain


def test_compaction_waits_for_most_of_the_limit_and_for_the_data_to_double(monkeypatch) -> None:
    monkeypatch.setattr(compaction, "CHECK_EVERY", 4)
    conn = local.connect()
    account = conn._account
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT, note STRING)")
    cur.execute("INSERT INTO t SELECT SEQ4(), 'a fairly repetitive note ' || (SEQ4() % 100) FROM TABLE(GENERATOR(ROWCOUNT => 200000))")
    used = compaction.table_bytes(account.compaction.duck)
    account.compaction.limit = 4 * used  # the data is a quarter of the limit: not yet
    for _ in range(8):
        cur.execute("INSERT INTO t VALUES (-1, 'x')")
    assert account.compaction.checkpoints == 0
    account.compaction.limit = used  # now past SHARE of it
    for _ in range(4):
        cur.execute("INSERT INTO t VALUES (-1, 'x')")
    assert account.compaction.checkpoints == 1
    assert account.compaction.after_last < used / 2  # compressed
    for _ in range(8):  # no growth since: no second checkpoint
        cur.execute("INSERT INTO t VALUES (-1, 'x')")
    assert account.compaction.checkpoints == 1
    assert cur.execute("SELECT COUNT(*), COUNT(DISTINCT note) FROM t").fetchall() == [(200020, 101)]
    conn.close()
