"""A stream's offset means "every change committed before it", whatever order transactions commit in.

Snowflake's streams return every change committed after the offset (semantics 1.1-1.5); a transaction
that began before a consumption but commits after it must still reach the stream. Commit sequence
numbers are therefore taken at COMMIT, in commit order, not when a transaction begins.
"""

from __future__ import annotations

import threading

import pytest

from backends import duckdb as local


@pytest.fixture
def emulator():
    return local.Emulator()


def _setup(emulator) -> None:
    conn = emulator.connect()
    conn.execute_string("CREATE TABLE src (id INT); CREATE STREAM s ON TABLE src; CREATE TABLE sink (id INT)")
    conn.close()


def _ids(conn) -> list[int]:
    return [row[0] for row in conn.cursor().execute("SELECT id FROM sink ORDER BY id").fetchall()]


def test_a_transaction_that_commits_after_a_consumption_still_reaches_the_stream(emulator) -> None:
    _setup(emulator)
    a, b, c = emulator.connect(), emulator.connect(), emulator.connect()
    a.cursor().execute("BEGIN")
    a.cursor().execute("INSERT INTO src VALUES (1)")
    b.cursor().execute("BEGIN")
    b.cursor().execute("INSERT INTO src VALUES (2)")
    b.cursor().execute("COMMIT")
    c.cursor().execute("INSERT INTO sink SELECT id FROM s")
    assert _ids(c) == [2]
    a.cursor().execute("COMMIT")
    c.cursor().execute("INSERT INTO sink SELECT id FROM s")
    assert _ids(c) == [1, 2]
    assert c.cursor().execute("SELECT COUNT(*) FROM s").fetchone() == (0,)


def test_an_autocommit_insert_during_an_open_transaction_is_not_lost(emulator) -> None:
    _setup(emulator)
    a, b, c = emulator.connect(), emulator.connect(), emulator.connect()
    a.cursor().execute("BEGIN")
    a.cursor().execute("INSERT INTO src VALUES (1)")
    b.cursor().execute("INSERT INTO src VALUES (2)")  # autocommit, while A is open
    c.cursor().execute("INSERT INTO sink SELECT id FROM s")
    a.cursor().execute("COMMIT")
    c.cursor().execute("INSERT INTO sink SELECT id FROM s")
    assert _ids(c) == [1, 2]


def test_two_transactions_begun_together_take_distinct_commit_numbers(emulator) -> None:
    _setup(emulator)
    a, b, c = emulator.connect(), emulator.connect(), emulator.connect()
    for conn, value in ((a, 1), (b, 2)):
        conn.cursor().execute("BEGIN")
        conn.cursor().execute(f"INSERT INTO src VALUES ({value})")
    b.cursor().execute("COMMIT")
    a.cursor().execute("COMMIT")
    versions = [(v.table, v.csn) for v in c.lineage.versions if v.table.endswith(".SRC")]
    assert [csn for _, csn in versions] == sorted({csn for _, csn in versions})  # distinct, in commit order
    c.cursor().execute("INSERT INTO sink SELECT id FROM s")
    assert _ids(c) == [1, 2]


def test_a_consumption_never_moves_an_offset_back(emulator) -> None:
    # C read the stream at its transaction's start; D consumed more since. C's commit must not re-offer D's rows.
    _setup(emulator)
    c, d, w = emulator.connect(), emulator.connect(), emulator.connect()
    w.cursor().execute("INSERT INTO src VALUES (1)")
    c.cursor().execute("BEGIN")
    c.cursor().execute("INSERT INTO sink SELECT id FROM s")
    w.cursor().execute("INSERT INTO src VALUES (2)")
    d.cursor().execute("INSERT INTO sink SELECT id FROM s")
    c.cursor().execute("COMMIT")
    assert d.cursor().execute("SELECT COUNT(*) FROM s").fetchone() == (0,)


def test_threads_writing_and_consuming_under_patch_lose_and_duplicate_nothing() -> None:
    connector = pytest.importorskip("snowflake.connector")
    writers, rows = 3, 120
    with local.patch():
        setup = connector.connect(database="db", schema="s")
        setup.cursor().execute("CREATE TABLE src (id INT)")
        setup.cursor().execute("CREATE STREAM s ON TABLE src")
        setup.cursor().execute("CREATE TABLE sink (id INT)")
        done = threading.Event()
        errors: list[BaseException] = []

        def write(first: int) -> None:
            try:
                conn = connector.connect(database="db", schema="s")
                for i in range(first, first + rows):
                    if i % 3:
                        conn.cursor().execute(f"INSERT INTO src VALUES ({i})")
                    else:  # some in explicit transactions
                        cur = conn.cursor()
                        cur.execute("BEGIN")
                        cur.execute(f"INSERT INTO src VALUES ({i})")
                        cur.execute("COMMIT")
            except BaseException as error:  # surfaced below: a thread's failure must fail the test
                errors.append(error)

        def consume() -> None:
            try:
                conn = connector.connect(database="db", schema="s")
                while not done.is_set():
                    conn.cursor().execute("INSERT INTO sink SELECT id FROM s")
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=write, args=(w * 1000,)) for w in range(writers)]
        consumer = threading.Thread(target=consume)
        consumer.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        consumer.join()
        assert not errors, errors
        setup.cursor().execute("INSERT INTO sink SELECT id FROM s")  # what the consumer had not reached yet
        ids = [row[0] for row in setup.cursor().execute("SELECT id FROM sink").fetchall()]
        assert len(ids) == writers * rows and len(set(ids)) == writers * rows
