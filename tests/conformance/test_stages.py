"""Internal stages, PUT, LIST and bulk COPY INTO with its load metadata (semantics section 4.4).

Each test writes its own small files and runs on every available backend.
"""

from __future__ import annotations

import json

import pytest

from .cases import Fails, case, run_case_on


def _put(cursor, path, stage_path: str) -> None:
    cursor.execute(f"PUT file://{path} @{stage_path}")


def test_put_compresses_and_list_shows_the_file(backend, tmp_path) -> None:
    _, conn = backend
    cur = conn.cursor()
    (tmp_path / "a.csv").write_text("1,x\n2,y\n")
    cur.execute("CREATE STAGE st")
    put = cur.execute(f"PUT file://{tmp_path}/a.csv @st/in").fetchall()
    assert [(row[0], row[1], row[6]) for row in put] == [("a.csv", "a.csv.gz", "UPLOADED")]
    assert [row[0] for row in cur.execute("LIST @st").fetchall()] == ["st/in/a.csv.gz"]


def test_copy_loads_each_file_once(backend, tmp_path) -> None:
    _, conn = backend
    cur = conn.cursor()
    (tmp_path / "a.csv").write_text("id,v\n1,x\n2,\"y, z\"\n")
    cur.execute("CREATE TABLE t (id INT, v STRING)")
    cur.execute("CREATE STAGE st")
    _put(cur, tmp_path / "a.csv", "st")
    loaded = cur.execute("COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1)").fetchall()
    assert [(row[1], row[2], row[3]) for row in loaded] == [("LOADED", 2, 2)]
    again = cur.execute("COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV SKIP_HEADER = 1)").fetchall()
    assert again == [("Copy executed with 0 files processed.",)]
    assert sorted(cur.execute("SELECT id, v FROM t").fetchall()) == [(1, "x"), (2, "y, z")]
    history = cur.execute(
        "SELECT FILE_NAME, STATUS, ROW_COUNT FROM TABLE(INFORMATION_SCHEMA.COPY_HISTORY("
        "TABLE_NAME => 'T', START_TIME => DATEADD(HOUR, -1, CURRENT_TIMESTAMP())))").fetchall()
    assert history == [("a.csv.gz", "Loaded", 2)]


def test_json_loads_into_one_variant_column_or_by_column_name(backend, tmp_path) -> None:
    _, conn = backend
    cur = conn.cursor()
    (tmp_path / "e.json").write_text("\n".join(json.dumps({"ID": i, "tag": f"t{i}"}) for i in (1, 2)))
    cur.execute("CREATE TABLE raw (v VARIANT)")
    cur.execute("CREATE TABLE typed (id INT, tag STRING)")
    cur.execute("CREATE STAGE st")
    _put(cur, tmp_path / "e.json", "st")
    cur.execute("COPY INTO raw FROM @st FILE_FORMAT = (TYPE = JSON)")
    assert sorted(cur.execute("SELECT v:ID::INT, v:tag::STRING FROM raw").fetchall()) == [(1, "t1"), (2, "t2")]
    with pytest.raises(Exception, match="one and only one column"):
        cur.execute("COPY INTO typed FROM @st FILE_FORMAT = (TYPE = JSON)")
    cur.execute("COPY INTO typed FROM @st FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE")
    assert sorted(cur.execute("SELECT id, tag FROM typed").fetchall()) == [(1, "t1"), (2, "t2")]


def test_a_bad_file_aborts_the_copy_and_loads_nothing(backend, tmp_path) -> None:
    _, conn = backend
    cur = conn.cursor()
    (tmp_path / "bad.csv").write_text("1\nnot a number\n")
    cur.execute("CREATE TABLE t (id INT)")
    cur.execute("CREATE STAGE st")
    _put(cur, tmp_path / "bad.csv", "st")
    with pytest.raises(Exception, match="not recognized|not a number"):
        cur.execute("COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV)")
    assert cur.execute("SELECT COUNT(*) FROM t").fetchall() == [(0,)]


def test_on_error_continue_and_skip_file_n_load_the_good_records(backend, tmp_path) -> None:
    """ON_ERROR = CONTINUE loads every record the table accepts; SKIP_FILE_n skips a file with n bad ones."""
    _, conn = backend
    cur = conn.cursor()
    (tmp_path / "a.csv").write_text("1,x\n2,y\n")
    (tmp_path / "b.csv").write_text("3,z\nbad,w\n4,q\n")
    cur.execute("CREATE TABLE t (id INT, s VARCHAR)")
    cur.execute("CREATE STAGE st")
    for name in ("a.csv", "b.csv"):
        _put(cur, tmp_path / name, "st")
    rows = cur.execute("COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV) ON_ERROR = CONTINUE").fetchall()
    assert [d[0] for d in cur.description] == [
        "file", "status", "rows_parsed", "rows_loaded", "error_limit", "errors_seen", "first_error",
        "first_error_line", "first_error_character", "first_error_column_name"]
    assert sorted((r[1], r[2], r[3], r[5], r[7], r[9]) for r in rows) == [
        ("LOADED", 2, 2, 0, None, None), ("PARTIALLY_LOADED", 3, 2, 1, 2, '"T"["ID":1]')]
    assert "not recognized" in next(r[6] for r in rows if r[1] == "PARTIALLY_LOADED")
    assert cur.execute("SELECT COUNT(*) FROM t").fetchall() == [(4,)]
    again = cur.execute("COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV) ON_ERROR = SKIP_FILE_1 FORCE = TRUE "
                        "PATTERN = '.*b[.]csv.*'").fetchall()
    assert [(r[1], r[3]) for r in again] == [("LOAD_FAILED", 0)]
    cur.execute("COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV) ON_ERROR = 'SKIP_FILE_50%' FORCE = TRUE "
                "FILES = ('b.csv.gz') PURGE = TRUE")
    assert cur.execute("SELECT COUNT(*) FROM t").fetchall() == [(6,)]
    assert [r[0] for r in cur.execute("LIST @st").fetchall()] == ["st/a.csv.gz"]


def test_a_named_file_format_is_used_by_format_name(backend, tmp_path) -> None:
    _, conn = backend
    cur = conn.cursor()
    (tmp_path / "a.csv").write_text("id|s\n1|x\n2|y\n")
    cur.execute("CREATE TABLE t (id INT, s VARCHAR)")
    cur.execute("CREATE STAGE st")
    _put(cur, tmp_path / "a.csv", "st")
    cur.execute("CREATE FILE FORMAT pipe_csv TYPE = CSV FIELD_DELIMITER = '|' SKIP_HEADER = 1")
    assert [r[1] for r in cur.execute("SHOW FILE FORMATS LIKE 'PIPE_CSV'").fetchall()] == ["PIPE_CSV"]
    cur.execute("COPY INTO t FROM @st FILE_FORMAT = (FORMAT_NAME = 'pipe_csv')")
    assert sorted(cur.execute("SELECT id, s FROM t").fetchall()) == [(1, "x"), (2, "y")]
    cur.execute("DROP FILE FORMAT pipe_csv")
    with pytest.raises(Exception, match="does not exist"):
        cur.execute("COPY INTO t FROM @st FILE_FORMAT = (FORMAT_NAME = 'pipe_csv') FORCE = TRUE")


DDL = [
    case("CREATE STAGE on a name in use fails; IF NOT EXISTS and OR REPLACE do not",
         "CREATE STAGE st", Fails("CREATE STAGE st", "already exists"), "CREATE STAGE IF NOT EXISTS st",
         "CREATE OR REPLACE STAGE st", "CREATE TABLE t (a INT)", Fails("CREATE OR REPLACE STAGE t", "already exists")),
    case("a pipe needs its stage and its table",
         "CREATE TABLE t (a INT)", Fails("CREATE PIPE p AS COPY INTO t FROM @nowhere", "does not exist"),
         "CREATE STAGE st", Fails("CREATE PIPE p AS COPY INTO nothing FROM @st", "does not exist"),
         "CREATE PIPE p AS COPY INTO t FROM @st FILE_FORMAT = (TYPE = CSV)", "DROP PIPE p", "DROP STAGE st",
         Fails("LIST @st", "does not exist")),
    case("AUTO_INGEST = TRUE needs an external stage: on an internal one the pipe is not created",
         "CREATE TABLE t (a INT)", "CREATE STAGE st",
         Fails("CREATE PIPE p AUTO_INGEST = TRUE AS COPY INTO t FROM @st", "stage"),
         "CREATE PIPE p AUTO_INGEST = FALSE AS COPY INTO t FROM @st"),  # no pipe p was left to clash with
    case("COPY options the emulator cannot honour are refused by name",
         "CREATE TABLE t (a INT)", "CREATE STAGE st",
         Fails("COPY INTO t FROM @st FILE_FORMAT = (TYPE = PARQUET)", "TYPE = PARQUET"),
         Fails("COPY INTO t FROM @st VALIDATION_MODE = RETURN_ERRORS", "VALIDATION_MODE"),
         Fails("COPY INTO t FROM (SELECT $1 FROM @st)", "COPY INTO"), snowflake="asserts the emulator's refusals"),
]


@pytest.mark.parametrize("item", DDL, ids=str)
def test_stage_and_pipe_ddl(backend, item) -> None:
    run_case_on(backend, item)


def test_put_takes_quoted_paths_with_spaces_and_wildcards(backend, tmp_path) -> None:
    _, conn = backend
    cur = conn.cursor()
    folder = tmp_path / "my files"
    folder.mkdir()
    for name in ("a.csv", "b.csv", "c.txt"):
        (folder / name).write_text("1\n")
    cur.execute("CREATE STAGE st")
    put = cur.execute(f"PUT 'file://{folder}/*.csv' @st AUTO_COMPRESS = FALSE").fetchall()
    assert sorted(row[1] for row in put) == ["a.csv", "b.csv"]
