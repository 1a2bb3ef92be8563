"""python -m sim sql: runs a script, names file and line on error."""

from __future__ import annotations

from pathlib import Path

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_script_runs(capsys) -> None:
    assert main(["sql", str(ROOT / "scenarios/examples/streams_demo.sql")]) == 0
    out = capsys.readouterr().out
    assert "CANCELLED" in out and "BOOKINGS_STREAM" in out
    # SYSTEM$WAIT let the task run: its first run applied B004, its second found nothing to do
    assert "waited 150 seconds" in out and "│ B004       │ BOOKED    │ 30.00" in out and "SKIPPED" in out


def test_an_error_names_the_file_and_line(tmp_path, capsys) -> None:
    script = tmp_path / "bad.sql"
    script.write_text("CREATE TABLE t (a INT);\n\nSELECT missing_column\nFROM t;\n")
    assert main(["sql", str(script)]) == 1
    err = capsys.readouterr().err
    assert f"{script}:3:" in err and "invalid identifier 'MISSING_COLUMN'" in err


def test_a_missing_file_is_reported(tmp_path, capsys) -> None:
    assert main(["sql", str(tmp_path / "nope.sql")]) == 2
    assert f"{tmp_path / 'nope.sql'}: cannot read the script" in capsys.readouterr().err


def test_a_result_too_wide_for_the_terminal_is_shown_a_row_at_a_time(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    script = tmp_path / "wide.sql"
    script.write_text("CREATE TABLE t (a INT);\nCREATE STREAM s ON TABLE t;\nSHOW STREAMS;\nSELECT 1 AS narrow;\n")
    assert main(["sql", str(script)]) == 0
    out = capsys.readouterr().out
    assert "row 1" in out and "│ owner_role_type │ ROLE" in out  # SHOW STREAMS' 15 columns, one per line
    assert "┃ NARROW ┃" in out  # a narrow result stays a table
