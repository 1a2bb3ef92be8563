"""Scenario files: the broken-file corpus gets every error at once, shipped scenarios validate, the schema is
current."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.scenario import ScenarioError, json_schema, load, parse_seconds

ROOT = Path(__file__).resolve().parents[2]
BROKEN = sorted((ROOT / "tests" / "scenarios" / "broken").glob("*.yaml"))
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))


def _expected(path: Path) -> list[str]:
    return [
        line.removeprefix("# expect: ").strip()
        for line in path.read_text().splitlines()
        if line.startswith("# expect: ")
    ]


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_a_broken_scenario_gets_every_error_naming_file_and_key(path: Path) -> None:
    with pytest.raises(ScenarioError) as raised:
        load(path)
    problems = str(raised.value).splitlines()
    for expected in _expected(path):
        assert any(line.startswith(expected) for line in problems), f"missing: {expected}\ngot:\n" + "\n".join(problems)
    assert len(problems) == len(_expected(path)), "every problem of the file is listed once:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_validate(path: Path) -> None:
    loaded = load(path)
    assert all(p.is_file() for p in loaded.sql_paths())


def test_the_committed_json_schema_is_current() -> None:
    committed = json.loads((ROOT / "scenarios" / "schema.json").read_text())
    assert committed == json_schema(), "regenerate it: python -m sim schema > scenarios/schema.json"


@pytest.mark.parametrize(("text", "seconds"), [
    (90, 90.0), ("90s", 90.0), ("15 min", 900.0), ("1h", 3600.0), ("2 days", 172800.0), ("250ms", 0.25),
    ("1.5 hours", 5400.0),
])
def test_durations(text, seconds) -> None:
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["an hour", "5 fortnights", "", True])
def test_bad_durations_say_what_is_expected(text) -> None:
    with pytest.raises(ValueError, match="expected a duration such as 90s"):
        parse_seconds(text)


def test_a_missing_file_is_named(tmp_path) -> None:
    with pytest.raises(ScenarioError, match=r"nothing.yaml: cannot read the file"):
        load(tmp_path / "nothing.yaml")


def test_validate_lists_each_file_and_exits_1_if_any_is_invalid(capsys) -> None:
    from sim.cli import main

    assert main(["validate", *map(str, SHIPPED)]) == 0
    out = capsys.readouterr().out
    assert all(f"{path}: ok ({len(load(path).scenario.variants)} variants)" in out for path in SHIPPED)
    broken = ROOT / "tests" / "scenarios" / "broken" / "negative_rate.yaml"
    assert main(["validate", str(SHIPPED[0]), str(broken)]) == 1
    captured = capsys.readouterr()
    assert (
        f"{SHIPPED[0]}: ok" in captured.out and "negative_rate.yaml: workload.rate: must be > 0, got -5" in captured.err
    )
