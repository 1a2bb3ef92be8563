"""The harness loses and duplicates nothing, and says so when the pipeline does: runs built to break it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.run import run_variant
from sim.scenario import load

ROOT = Path(__file__).resolve().parents[2]


def _scenario(folder: Path, text: str) -> Path:
    path = folder / "scenario.yaml"
    path.write_text(text)
    return path


BOOKING = f"""
name: integrity
seed: 5
start: 2025-01-06T16:00:00Z
duration: 4 min
drain: 3h  # ~300 files of a few rows, loaded one after another
pipeline:
  sql: [{ROOT}/scenarios/booking_cdc/landing.sql, {ROOT}/scenarios/booking_cdc/pipeline.sql]
  landing_table: booking_changes
  key: booking_id
  stage: booking_changes_stage
  pipe: booking_changes_pipe
  layers: [booking_changes, raw_movie_bookings, movie_booking_insights]
workload: {{kind: booking, rate: 4}}
variants:
  - {{name: snowpipe, ingestion: snowpipe, rotate_every: 30s, max_file_mb: 0.002}}
"""


def test_a_file_cut_by_size_inside_an_earlier_chunk_is_written_now_not_in_the_past(tmp_path) -> None:
    # The cut is sized by the rows' mean width, so it can end within rows that arrived before this chunk.
    result = run_variant(load(_scenario(tmp_path, BOOKING)), 0, tmp_path / "out")
    assert result.conserved and result.events > 500


#: The booking landing table, stage and pipe, without the reference pipeline's tasks.
TINY_LANDING = """
CREATE OR REPLACE TABLE booking_changes (event_id NUMBER(38, 0), op STRING, booking_id STRING, customer_id STRING,
    movie_id STRING, booking_date TIMESTAMP, status STRING, ticket_count INT, ticket_price NUMBER(10, 2),
    source_ts TIMESTAMP);
CREATE OR REPLACE STREAM booking_changes_stream ON TABLE booking_changes APPEND_ONLY = TRUE;
CREATE OR REPLACE STAGE booking_changes_stage;
CREATE OR REPLACE PIPE booking_changes_pipe AS
    COPY INTO booking_changes FROM @booking_changes_stage
    FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_INSENSITIVE;
"""
BROKEN_TASK = """
CREATE OR REPLACE TABLE gold (event_id INT) CHANGE_TRACKING = TRUE;
CREATE OR REPLACE TASK move_to_gold WAREHOUSE = COMPUTE_WH SCHEDULE = '1 MINUTE' AS
    INSERT INTO gold SELECT event_id / 0 FROM booking_changes_stream;  -- fails every run
ALTER TASK move_to_gold RESUME;
"""


def _tiny(folder: Path, *, sql: list[str], layers: str = "[booking_changes, gold]", extra: str = "",
          variant: str = "{name: hp, ingestion: streaming_high_performance}") -> Path:
    text = f"""
name: tiny
seed: 3
start: 2025-01-06T16:00:00Z
duration: 3 min
drain: 5 min
pipeline:
  sql: [{', '.join(sql)}]
  landing_table: booking_changes
  key: booking_id
  stage: booking_changes_stage
  pipe: booking_changes_pipe
  layers: {layers}
workload: {{kind: booking, rate: 5}}
variants: [{variant}]
{extra}
"""
    return _scenario(folder, text)


def _pipeline(folder: Path, text: str, name: str = "gold.sql") -> str:
    (folder / name).write_text(text)
    return str(folder / name)


def _landing(folder: Path) -> str:
    return _pipeline(folder, TINY_LANDING, "landing.sql")


def test_a_task_failing_every_run_fails_the_run_loudly(tmp_path, capsys) -> None:
    from sim.cli import main

    path = _tiny(tmp_path, sql=[_landing(tmp_path), _pipeline(tmp_path, BROKEN_TASK)])
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts"]) == 3
    err = capsys.readouterr().err
    assert "hp: task MOVE_TO_GOLD failed" in err and "Division by zero" in err
    assert "events never became visible in gold" in err
    assert "the pipeline FAILED" in err


def test_a_layer_the_pipeline_does_not_make_is_refused_before_running(tmp_path, capsys) -> None:
    from sim.cli import main

    path = _tiny(tmp_path, sql=[_landing(tmp_path)], layers="[booking_changes, booking_changez]")
    assert main(["run", str(path), "--out", str(tmp_path / "reports")]) == 2
    assert "pipeline.layers[1]: booking_changez: the pipeline SQL made no table or view of that name" \
        in capsys.readouterr().err


def test_a_landing_table_without_the_workloads_columns_lists_them(tmp_path, capsys) -> None:
    from sim.cli import main

    landing = _pipeline(tmp_path, "CREATE TABLE booking_changes (event_id INT, op STRING);", "landing.sql")
    path = _tiny(tmp_path, sql=[landing], layers="[booking_changes]")
    assert main(["run", str(path), "--out", str(tmp_path / "reports")]) == 2
    err = capsys.readouterr().err
    assert "pipeline.landing_table: booking_changes has no column BOOKING_ID, CUSTOMER_ID" in err
    assert "EVENT_ID NUMBER, OP VARCHAR, BOOKING_ID VARCHAR" in err and "Traceback" not in err


def test_a_warehouse_the_pipeline_creates_can_be_the_scenarios(tmp_path) -> None:
    from sim.cli import main

    warehouse = _pipeline(tmp_path, "CREATE WAREHOUSE ingest_wh WAREHOUSE_SIZE = XSMALL;", "warehouse.sql")
    path = _tiny(tmp_path, sql=[_landing(tmp_path), warehouse], layers="[booking_changes]",
                 extra="warehouse: {name: ingest_wh, size: SMALL}")
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts"]) == 0


def test_a_drain_too_short_says_not_landed_before_the_drain_ended(tmp_path, capsys) -> None:
    from sim.cli import main

    path = _tiny(tmp_path, sql=[_landing(tmp_path)], layers="[booking_changes]",
                 variant="{name: sp, ingestion: snowpipe, rotate_every: 30s, load_overhead: 10 min}")
    path.write_text(path.read_text().replace("drain: 5 min", "drain: 1 min"))
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts"]) == 3
    (run,) = (tmp_path / "reports").iterdir()
    report = (run / "report.md").read_text()
    assert "had not landed when the drain ended (not lost: raise `drain`)" in report and "FAILED" not in report


def test_a_sql_file_that_is_not_utf8_is_named(tmp_path, capsys) -> None:
    from sim.cli import main

    bad = tmp_path / "latin1.sql"
    bad.write_bytes("SELECT 'caf\xe9';".encode("latin-1"))
    path = _tiny(tmp_path, sql=[_landing(tmp_path), str(bad)], layers="[booking_changes]")
    assert main(["run", str(path), "--out", str(tmp_path / "reports")]) == 2
    assert f"{bad}: byte 11 is not UTF-8 text" in capsys.readouterr().err
    assert main(["sql", str(bad)]) == 2
    assert f"{bad}: byte 11 is not UTF-8 text" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "expected"), [
    (["--start", "notadate"], "--start notadate: expected an ISO-8601 time"),
    (["--timezone", "Mars/Olympus"], "invalid value [Mars/Olympus] for parameter 'TIMEZONE'"),
])
def test_sim_sql_refuses_a_bad_option_without_a_traceback(tmp_path, capsys, option, expected) -> None:
    from sim.cli import main

    script = tmp_path / "ok.sql"
    script.write_text("SELECT 1;")
    assert main(["sql", str(script), *option]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_a_folder_given_as_the_scenario_is_named(tmp_path, capsys) -> None:
    from sim.cli import main

    assert main(["validate", str(tmp_path)]) == 1
    assert f"{tmp_path.name}: is a folder: give the scenario file (YAML) in it" in capsys.readouterr().err


def test_sigterm_stops_a_run_like_ctrl_c_workers_and_all(tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    path = _tiny(tmp_path, sql=[_landing(tmp_path)], layers="[booking_changes]",
                 variant="{name: a, ingestion: streaming_classic}, {name: b, ingestion: streaming_high_performance}")
    path.write_text(path.read_text().replace("duration: 3 min", "duration: 2 days").replace("rate: 5", "rate: 50"))
    out = tmp_path / "reports"
    run = subprocess.Popen([sys.executable, "-m", "sim", "run", str(path), "--out", str(out), "--jobs", "2"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(out.glob(".*.partial/backend/*")) and time.monotonic() < deadline:  # the workers are at work
        time.sleep(0.2)
    os.kill(run.pid, signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 143, err.decode()
    assert b"terminated: nothing was written" in err
    assert not list(out.iterdir())  # no .partial folder, no run folder
    alive = True
    for _ in range(100):  # no worker left in the run's process group, once init has reaped the last ones
        try:
            os.killpg(run.pid, 0)
        except ProcessLookupError:
            alive = False
            break
        time.sleep(0.1)
    assert not alive, "a worker of the terminated run is still alive"


@pytest.fixture(scope="session")
def faulted(shared_run) -> dict:
    """The shipped fault scenario's run record (30 simulated minutes, both variants), run once a session."""
    import json

    from sim.cli import main

    def make(out: Path) -> None:
        assert main(["run", str(ROOT / "scenarios" / "booking_faults.yaml"), "--out", str(out), "--no-charts"]) == 0

    (run,) = [p for p in shared_run("faults", make).iterdir() if p.is_dir()]
    return {"record": json.loads((run / "run.json").read_text()), "report": (run / "report.md").read_text()}


def _variant(faulted: dict, name: str) -> dict:
    return next(v for v in faulted["record"]["variants"] if v["name"] == name)


def test_injected_task_failures_recover_and_every_event_still_reaches_gold(faulted) -> None:
    for name in ("snowpipe-60s", "streaming-classic-1s"):
        v = _variant(faulted, name)
        assert v["failures"] == [{"kind": "task", "name": "APPLY_BOOKING_CHANGES", "count": 3,
                                  "first_error": "Division by zero", "injected": True}]
        assert any("restored after 3 failed run(s)" in f["what"] for f in v["faults"])
        assert v["complete"] and not any(v["not_visible"].values())


def test_repeated_notifications_load_each_file_once(faulted) -> None:
    v = _variant(faulted, "snowpipe-60s")
    repeats = [f for f in v["faults"] if f["kind"] == "duplicate_notifications"]
    assert len(repeats) == 2 and all("loaded once" in f["what"] or "ignored it" in f["what"] for f in repeats)
    assert v["duplicates"] == 0


def test_a_file_with_a_bad_record_drops_its_events_and_the_run_says_so(faulted) -> None:
    v = _variant(faulted, "snowpipe-60s")
    assert v["dropped"] > 0 and v["missing"] == v["dropped"] and v["conserved"]
    assert any("Error parsing JSON" in f["what"] and "dropped" in f["what"] for f in v["faults"])
    assert f"{v['dropped']:,} were dropped with files an injected fault spoiled" in faulted["report"]


def test_a_client_crash_between_append_and_commit_loses_and_doubles_nothing(faulted) -> None:
    v = _variant(faulted, "streaming-classic-1s")
    assert any(f["kind"] == "client_crash" for f in v["faults"])
    assert v["landed"] == v["events"] and v["duplicates"] == 0 and v["missing"] == 0


def test_late_events_land_with_their_old_source_time(faulted) -> None:
    for name in ("snowpipe-60s", "streaming-classic-1s"):
        v = _variant(faulted, name)
        (late,) = [f for f in v["faults"] if f["kind"] == "late_events"]
        assert "source time older than their arrival by 600 s" in late["what"]
        assert v["latency"]["booking_changes"]["max"] >= 600  # a late event lands 10 min after its source time
