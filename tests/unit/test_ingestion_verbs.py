"""The emulator's ingestion verbs: Snowpipe queues and loads, Streaming channels, version lineage."""

from __future__ import annotations

import contextlib
import json

import pyarrow as pa
import pytest

from backends import duckdb as local
from backends.pricing import GB, SNOWPIPE_CREDITS_PER_GB


@pytest.fixture
def conn(tmp_path):
    conn = local.connect(stage_root=tmp_path / "stages")
    cur = conn.cursor()
    cur.execute("CREATE TABLE landing (id INT, tag STRING)")
    cur.execute("CREATE STREAM landing_stream ON TABLE landing APPEND_ONLY = TRUE")
    cur.execute("CREATE STAGE st")
    cur.execute("CREATE PIPE p AS COPY INTO landing FROM @st FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = "
                "CASE_INSENSITIVE")
    yield conn
    conn.close()


def _stage_file(conn, tmp_path, name: str, ids: range) -> str:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps({"id": i, "tag": "x"}) for i in ids))
    conn.cursor().execute(f"PUT file://{path} @st AUTO_COMPRESS = FALSE")
    return name


def _pipe_status(conn) -> dict:
    return json.loads(conn.cursor().execute("SELECT SYSTEM$PIPE_STATUS('p')").fetchone()[0])


def test_notified_files_wait_in_the_pipe_queue_until_loaded(conn, tmp_path) -> None:
    first, second = _stage_file(conn, tmp_path, "a.json", range(3)), _stage_file(conn, tmp_path, "b.json", range(3, 5))
    assert conn.insert_files("p", [first, second, first]) == 2
    assert _pipe_status(conn)["pendingFileCount"] == 2
    conn.clock.advance(seconds=20)
    record = conn.load_next_file("p")
    assert (record.file_name, record.status, record.row_count, record.pipe_received_time) == (
        "a.json", "Loaded", 3, conn.clock.now() - 20_000)
    assert _pipe_status(conn) == {
        "executionState": "RUNNING",
        "pendingFileCount": 1,
        "lastIngestedTimestamp": "2025-01-06T00:00:20.000Z",
        "lastIngestedFilePath": "a.json",
    }
    assert conn.cursor().execute("SELECT COUNT(*) FROM landing").fetchone() == (3,)


def test_a_pipe_loads_a_file_name_once_and_a_new_pipe_forgets(conn, tmp_path) -> None:
    name = _stage_file(conn, tmp_path, "a.json", range(3))
    conn.insert_files("p", [name])
    assert conn.load_next_file("p").status == "Loaded"
    conn.insert_files("p", [name])
    assert conn.load_next_file("p") is None  # 14-day load history: skipped
    conn.cursor().execute("CREATE OR REPLACE PIPE p AS COPY INTO landing FROM @st FILE_FORMAT = (TYPE = JSON) "
                          "MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE")
    conn.insert_files("p", [name])
    assert conn.load_next_file("p").status == "Loaded"
    assert conn.cursor().execute("SELECT COUNT(*) FROM landing").fetchone() == (6,)


def test_pipe_usage_bills_text_bytes_per_gb(conn, tmp_path) -> None:
    name = _stage_file(conn, tmp_path, "a.json", range(100))
    size = (tmp_path / name).stat().st_size
    conn.insert_files("p", [name])
    conn.load_next_file("p")
    credits, billed, files = (
        conn.cursor()
        .execute(
            "SELECT CREDITS_USED, BYTES_BILLED, FILES_INSERTED FROM TABLE(INFORMATION_SCHEMA.PIPE_USAGE_HISTORY())"
        )
        .fetchone()
    )
    assert (billed, files) == (size, 1)
    assert credits == pytest.approx(SNOWPIPE_CREDITS_PER_GB * size / GB)


def test_a_channel_commits_rows_with_their_offset_token(conn) -> None:
    channel = conn.open_channel("landing", "orders_0")
    assert channel.latest_committed_offset_token is None
    commit = channel.insert_rows(pa.table({"id": [1, 2], "tag": ["a", "b"]}), "2")
    assert (commit.rows, commit.committed_at) == (2, conn.clock.now())
    assert commit.csn is not None
    assert conn.open_channel("landing", "orders_0").latest_committed_offset_token == "2"
    with pytest.raises(local.errors.OperationalError, match="reopened"):
        channel.insert_rows(pa.table({"id": [3], "tag": ["c"]}), "3")
    assert conn.cursor().execute("SELECT id FROM landing ORDER BY id").fetchall() == [(1,), (2,)]


def test_a_channel_on_a_missing_table_is_an_error(conn) -> None:
    with pytest.raises(local.errors.ProgrammingError, match="does not exist"):
        conn.open_channel("nowhere", "c")


def test_lineage_records_what_each_version_read_and_when_it_became_visible(conn) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TABLE copied (id INT, tag STRING)")
    cur.execute("CREATE TASK move WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' AS INSERT INTO copied SELECT id, tag "
                "FROM landing_stream")
    cur.execute("CREATE DYNAMIC TABLE counted TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT tag, COUNT(*) "
                "AS n FROM copied GROUP BY tag")
    cur.execute("ALTER TASK move RESUME")
    conn.clock.advance(seconds=10)
    conn.open_channel("landing", "c").insert_rows(pa.table({"id": [1], "tag": ["a"]}), "1")
    conn.clock.advance(seconds=120)
    versions: dict = {}
    for version in conn.lineage.versions:  # the first version of each table
        versions.setdefault(version.table.split(".")[-1], version)
    landing, copied, counted = versions["LANDING"], versions["COPIED"], versions["COUNTED"]
    assert landing.visible_at == conn.clock.now() - 120_000 and landing.reads == ()
    assert copied.reads == ("SNOWSIM.PUBLIC.LANDING",) and copied.snapshot >= landing.csn
    runs = cur.execute("SELECT COMPLETED_TIME FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY()) WHERE STATE = 'SUCCEEDED' "
                       "ORDER BY SCHEDULED_TIME").fetchall()
    assert copied.visible_at == int(runs[0][0].timestamp() * 1000)  # when the run completed, not when it started
    assert counted.reads == ("SNOWSIM.PUBLIC.COPIED",) and counted.snapshot >= copied.csn
    assert counted.visible_at >= copied.visible_at


def test_pipe_usage_history_looks_back_ten_minutes_unless_told(conn, tmp_path) -> None:
    conn.insert_files("p", [_stage_file(conn, tmp_path, "a.json", range(10))])
    conn.load_next_file("p")
    conn.clock.advance(hours=2)
    usage = "SELECT FILES_INSERTED FROM TABLE(INFORMATION_SCHEMA.PIPE_USAGE_HISTORY({}))"
    assert conn.cursor().execute(usage.format("")).fetchall() == []
    since = "DATE_RANGE_START => DATEADD(HOUR, -3, CURRENT_TIMESTAMP())"
    assert conn.cursor().execute(usage.format(since)).fetchall() == [(1,)]


def test_a_listener_is_told_which_object_the_account_works_for(conn, tmp_path) -> None:
    seen: list[tuple[str, str]] = []

    @contextlib.contextmanager
    def listener(kind: str, name: str):
        seen.append((kind, name))
        yield

    cur = conn.cursor()
    cur.execute("CREATE TABLE copied (id INT, tag STRING)")
    cur.execute("CREATE TASK copy_task WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' AS INSERT INTO copied SELECT id, "
                "tag FROM landing_stream")
    cur.execute("ALTER TASK copy_task RESUME")
    cur.execute("CREATE DYNAMIC TABLE tags TARGET_LAG = '1 minute' WAREHOUSE = COMPUTE_WH AS SELECT tag, COUNT(*) AS n "
                "FROM copied GROUP BY tag")
    conn.on_activity(listener)
    conn.insert_files("p", [_stage_file(conn, tmp_path, "a.json", range(3))])
    conn.load_next_file("p")
    conn.open_channel("landing", "c1").insert_rows(pa.table({"id": [7], "tag": ["y"]}), "1")
    conn.clock.advance(minutes=2)
    assert {("pipe load", "P"), ("channel commit", "LANDING"), ("task", "COPY_TASK"), ("refresh", "TAGS")} <= set(seen)
    conn.on_activity(None)
    seen.clear()
    conn.clock.advance(minutes=2)
    assert seen == []
