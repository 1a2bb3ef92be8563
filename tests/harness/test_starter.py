"""`python -m sim init DIR` and `python -m sim workloads`: a user's own pipeline, from the starter to a report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from backends import duckdb as local
from sim.cli import main
from sim.starter import FILES
from sim.workloads import FEEDS


def test_init_writes_a_starter_that_runs_and_whose_tests_pass(tmp_path, capsys) -> None:
    folder = tmp_path / "my pipeline"
    assert main(["init", str(folder)]) == 0
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == sorted(FILES)
    assert f"python -m sim run {folder / 'scenario.yaml'}" in capsys.readouterr().out
    scenario = folder / "scenario.yaml"
    text = scenario.read_text()
    assert "name: my_pipeline\n" in text and "kind: custom" in text
    scenario.write_text(text.replace("duration: 1h", "duration: 5 min"))  # the same run, shorter

    assert main(["run", str(scenario), "--out", str(tmp_path / "reports"), "--no-charts"]) == 0
    (run,) = (tmp_path / "reports").iterdir()
    variants = json.loads((run / "run.json").read_text())["variants"]
    assert [v["name"] for v in variants] == ["snowpipe-60s", "streaming-hp"]
    for v in variants:
        assert v["conserved"] and v["events"] > 2_500 and v["latency"]["order_totals"]["p95"] > 0

    tests = subprocess.run([sys.executable, "-m", "pytest", str(folder), "-q", "-p", "no:cacheprovider"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_init_writes_nothing_over_a_file_of_the_starter(tmp_path, capsys) -> None:
    (tmp_path / "pipeline").mkdir()
    (tmp_path / "pipeline" / "pipeline.sql").write_text("-- mine")
    assert main(["init", str(tmp_path)]) == 2
    assert "already has pipeline/pipeline.sql; nothing was written" in capsys.readouterr().err
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["pipeline.sql"]
    assert (tmp_path / "pipeline" / "pipeline.sql").read_text() == "-- mine"


def test_workloads_lists_every_kind_with_its_landing_columns(capsys) -> None:
    assert main(["workloads"]) == 0
    out = capsys.readouterr().out
    for kind in FEEDS:
        assert f"{kind}: " in out
    assert "landing columns: event_id NUMBER, op VARCHAR, booking_id VARCHAR" in out
    assert "ticket_price NUMBER(10, 2)" in out


def test_workloads_of_a_scenario_prints_a_landing_table_that_matches_the_starter(tmp_path, capsys) -> None:
    assert main(["init", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["workloads", str(tmp_path / "scenario.yaml")]) == 0
    printed = capsys.readouterr().out
    assert "CREATE TABLE order_changes (" in printed
    conn = local.connect()
    cursor = conn.cursor()
    cursor.execute(printed.replace("CREATE TABLE order_changes", "CREATE TABLE printed"))
    conn.execute_string((tmp_path / "pipeline" / "landing.sql").read_text())
    described = [[row[:2] for row in cursor.execute(f"DESCRIBE TABLE {t}").fetchall()]
                 for t in ("printed", "order_changes")]
    assert described[0] == described[1]
    conn.close()


def test_workloads_of_an_invalid_scenario_names_the_problem(tmp_path, capsys) -> None:
    bad = Path(tmp_path / "bad.yaml")
    bad.write_text("name: x\n")
    assert main(["workloads", str(bad)]) == 2
    assert "bad.yaml: duration:" in capsys.readouterr().err
