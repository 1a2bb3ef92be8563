"""COPY's load metadata makes a load exactly-once: one COPY is one transaction, and the metadata belongs to
the table, to files by their content (ETag), and to committed COPYs only (R50, semantics 4.4)."""

from __future__ import annotations

import pytest

from backends import duckdb as local


@pytest.fixture
def conn(tmp_path):
    conn = local.connect(stage_root=tmp_path / "stages")
    conn.execute_string("CREATE TABLE t (id INT, v STRING); CREATE STREAM s ON TABLE t; CREATE STAGE st")
    yield conn
    conn.close()


def _put(conn, folder, name: str, text: str, *, overwrite: bool = False) -> None:
    path = folder / name
    path.write_text(text)
    conn.cursor().execute(f"PUT 'file://{path}' @st AUTO_COMPRESS = FALSE OVERWRITE = {overwrite}")


def _copy(conn) -> list[tuple]:
    return conn.cursor().execute("COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV)").fetchall()


def _count(conn, what: str = "t") -> int:
    return conn.cursor().execute(f"SELECT COUNT(*) FROM {what}").fetchone()[0]


def test_a_rolled_back_copy_leaves_no_load_record(conn, tmp_path) -> None:
    _put(conn, tmp_path, "a.csv", "1,x\n2,y\n")
    conn.cursor().execute("BEGIN")
    _copy(conn)
    conn.cursor().execute("ROLLBACK")
    assert _count(conn) == 0
    assert [row[1] for row in _copy(conn)] == ["LOADED"]  # the file loads: nothing remembered it
    assert _count(conn) == 2


def test_a_file_staged_again_with_new_content_is_a_new_file(conn, tmp_path) -> None:
    _put(conn, tmp_path, "a.csv", "1,x\n")
    _copy(conn)
    _put(conn, tmp_path, "a.csv", "1,x\n", overwrite=True)  # the same bytes: the same ETag, skipped
    assert _copy(conn) == [("Copy executed with 0 files processed.",)]
    _put(conn, tmp_path, "a.csv", "2,y\n3,z\n", overwrite=True)
    assert [row[1] for row in _copy(conn)] == ["LOADED"]
    assert _count(conn) == 3


def test_truncate_deletes_the_load_metadata(conn, tmp_path) -> None:
    _put(conn, tmp_path, "a.csv", "1,x\n")
    _copy(conn)
    conn.cursor().execute("BEGIN")
    conn.cursor().execute("TRUNCATE TABLE t")
    conn.cursor().execute("ROLLBACK")  # a truncate rolled back forgets nothing
    assert _copy(conn) == [("Copy executed with 0 files processed.",)]
    conn.cursor().execute("TRUNCATE TABLE t")
    assert [row[1] for row in _copy(conn)] == ["LOADED"]
    assert _count(conn) == 1


@pytest.mark.parametrize("recreate", ["CREATE OR REPLACE TABLE t (id INT, v STRING)",
                                      "DROP TABLE t; CREATE TABLE t (id INT, v STRING)"])
def test_a_new_table_of_the_same_name_starts_with_no_load_metadata(conn, tmp_path, recreate) -> None:
    _put(conn, tmp_path, "a.csv", "1,x\n")
    _copy(conn)
    conn.execute_string(recreate)
    assert [row[1] for row in _copy(conn)] == ["LOADED"]
    assert _count(conn) == 1


def test_abort_statement_loads_nothing_when_any_file_fails(conn, tmp_path) -> None:
    _put(conn, tmp_path, "a.csv", "1,x\n")
    _put(conn, tmp_path, "b.csv", "not a number,y\n")
    _put(conn, tmp_path, "c.csv", "3,z\n")
    with pytest.raises(local.errors.ProgrammingError, match=r"b\.csv"):
        _copy(conn)
    assert _count(conn) == 0 and _count(conn, "s") == 0  # not even the good file before the bad one
    history = conn.cursor().execute(
        "SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.COPY_HISTORY(TABLE_NAME => 'T', "
        "START_TIME => DATEADD(HOUR, -1, CURRENT_TIMESTAMP())))").fetchone()
    assert history == (0,)
    skipping = conn.cursor().execute("COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV) ON_ERROR = SKIP_FILE").fetchall()
    assert sorted(row[1] for row in skipping) == ["LOADED", "LOADED", "LOAD_FAILED"]
    assert _count(conn) == 2
