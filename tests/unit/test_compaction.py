"""Compaction (pruning change logs, then CHECKPOINT, between transactions) frees memory and changes nothing a
reader sees."""

from __future__ import annotations

import random

import pytest

from backends import duckdb as local
from backends.duckdb.maintenance import compaction

SETUP = """
CREATE TABLE bookings (id INT, movie STRING, seats INT, note STRING);
CREATE STREAM changes ON TABLE bookings;
CREATE STREAM arrivals ON TABLE bookings APPEND_ONLY = TRUE;
CREATE TABLE applied (id INT, seats INT, action STRING);
CREATE TABLE arrived (id INT);
CREATE DYNAMIC TABLE per_movie TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH
    AS SELECT movie, COUNT(*) AS n, SUM(seats) AS seats FROM bookings GROUP BY movie;
CREATE STREAM movie_changes ON DYNAMIC TABLE per_movie;
CREATE TABLE movie_log (movie STRING, n INT, action STRING);
CREATE VIEW big_bookings AS SELECT id, seats FROM bookings WHERE seats > 3;
CREATE STREAM big_changes ON VIEW big_bookings;
CREATE TABLE big_log (id INT, seats INT, action STRING);
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
        kind = rng.choice(
            ["insert", "insert", "update", "delete", "merge", "consume", "read", "advance", "consume others"]
        )
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
            statements.append(
                f"MERGE INTO bookings b USING (SELECT id, seats FROM bookings WHERE id % 4 = {rng.randint(0, 3)}) s "
                "ON b.id = s.id WHEN MATCHED THEN UPDATE SET seats = s.seats * 2"
            )
        elif kind == "consume":
            statements.append("INSERT INTO applied SELECT id, seats, METADATA$ACTION FROM changes")
        elif kind == "consume others":
            statements.append(rng.choice(["INSERT INTO arrived SELECT id FROM arrivals",
                                          "INSERT INTO movie_log SELECT movie, n, METADATA$ACTION FROM movie_changes",
                                          "INSERT INTO big_log SELECT id, seats, METADATA$ACTION FROM big_changes"]))
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
    seen += [
        cur.execute(q).fetchall()
        for q in [
            *READS,
            "SELECT * FROM applied ORDER BY id, action, seats",
            "SELECT * FROM arrived ORDER BY id",
            "SELECT * FROM movie_log ORDER BY ALL",
            "SELECT * FROM big_log ORDER BY ALL",
        ]
    ]
    done = conn._account.compaction
    conn.close()
    return seen, done.checkpoints, done.pruned


def _compact_after_every_commit(monkeypatch) -> None:
    monkeypatch.setattr(compaction, "CHECK_EVERY", 1)
    monkeypatch.setattr(compaction, "SHARE", 0.0)
    monkeypatch.setattr(compaction, "GROWTH", 0.0)


def _filled(monkeypatch):
    """A connection whose one table holds 200,000 rows, its cursor, and the bytes its tables take; looks every 4
    commits."""
    monkeypatch.setattr(compaction, "CHECK_EVERY", 4)
    conn = local.connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT, note STRING)")
    cur.execute("INSERT INTO t SELECT SEQ4(), 'a fairly repetitive note ' || (SEQ4() % 100) FROM "
                "TABLE(GENERATOR(ROWCOUNT => 200000))")
    return conn, cur, compaction.table_bytes(conn._account.compaction.duck)


@pytest.mark.parametrize("seed", range(3))
def test_a_checkpoint_after_every_commit_changes_nothing_a_reader_sees(seed, monkeypatch) -> None:
    statements = _script(seed)
    plain, none, _ = _run(statements)
    _compact_after_every_commit(monkeypatch)
    compacted, checkpoints, pruned = _run(statements)
    assert none == 0 and checkpoints > 50 and pruned > 0
    assert compacted == plain


def test_compaction_waits_for_most_of_the_limit_and_for_the_data_to_double(monkeypatch) -> None:
    conn, cur, used = _filled(monkeypatch)
    account = conn._account
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


def test_a_stream_left_unread_keeps_its_changes_while_logs_read_past_are_pruned(monkeypatch) -> None:
    _compact_after_every_commit(monkeypatch)
    conn = local.connect()
    conn.execute_string("""
        CREATE TABLE read_often (id INT); CREATE STREAM often ON TABLE read_often;
        CREATE TABLE never_read (id INT); CREATE STREAM never ON TABLE never_read;
        CREATE TABLE copied (id INT);
    """)
    cur = conn.cursor()
    for i in range(20):
        cur.execute(f"INSERT INTO read_often VALUES ({i}), ({i + 100})")
        cur.execute(f"INSERT INTO never_read VALUES ({i})")
        cur.execute(f"UPDATE never_read SET id = id + 1000 WHERE id = {i - 1}")
        cur.execute("INSERT INTO copied SELECT id FROM often")
    account = conn._account
    logs = {t.name.name: t.tracking.changes for t in account.catalog.objects() if getattr(t, "tracking", None)}
    rows = {name: account.duck.execute(f"SELECT COUNT(*) FROM {log}").fetchone()[0] for name, log in logs.items()}
    assert rows["READ_OFTEN"] == 0 and rows["NEVER_READ"] == 20 + 2 * 19  # inserts, and each update's two images
    assert account.compaction.pruned == 40
    assert cur.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM copied").fetchone() == (40, 0, 119)
    assert cur.execute("SELECT COUNT(*), MAX(id), COUNT_IF(METADATA$ISUPDATE) FROM never").fetchone() == (20, 1018, 0)
    conn.close()


def test_compaction_starts_at_the_budget_whatever_the_memory_limit(monkeypatch) -> None:
    conn, cur, used = _filled(monkeypatch)
    account = conn._account
    account.compaction.limit = 1 << 40  # a terabyte: its 70 % is never reached
    monkeypatch.setattr(compaction, "BUDGET", 2 * used)
    for _ in range(8):
        cur.execute("INSERT INTO t VALUES (-1, 'x')")
    assert account.compaction.checkpoints == 0
    monkeypatch.setattr(compaction, "BUDGET", used)
    for _ in range(4):
        cur.execute("INSERT INTO t VALUES (-1, 'x')")
    assert account.compaction.checkpoints == 1
    conn.close()
