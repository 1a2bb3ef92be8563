"""The README stays true: its pytest example passes and CI runs its test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_the_readme_pytest_example_passes(pytester) -> None:
    example = next(block for block in _blocks("python") if "def test_" in block)
    pytester.makepyfile(test_pipeline=example)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_the_readme_library_example_runs() -> None:
    example = next(block for block in _blocks("python") if "local.connect()" in block)
    exec(compile(example, "README.md", "exec"), {})


def test_the_readme_pipeline_example_runs(monkeypatch, capsys) -> None:
    example = next(block for block in _blocks("python") if "pipeline.sql" in block)
    monkeypatch.chdir(ROOT)
    exec(compile(example, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "M000" in printed and "CONSUME_STREAM_TASK" in printed


def test_ci_runs_the_readme_test_command() -> None:
    test_command = next(block.strip() for block in _blocks("bash") if "pytest" in block)
    assert test_command in (ROOT / ".ci" / "run").read_text()


def test_the_quick_start_scenario_exists_and_validates() -> None:
    from sim.scenario import load

    main_job = next(block.strip() for block in _blocks("bash") if "-m sim" in block)
    scenario = re.search(r"sim run (\S+)", main_job).group(1)
    assert load(ROOT / scenario).scenario.name in README


def test_the_readme_scenario_example_validates(tmp_path) -> None:
    from sim.scenario import load

    example = next(block for block in _blocks("yaml") if "variants:" in block)
    (tmp_path / "booking_cdc").symlink_to(ROOT / "scenarios" / "booking_cdc")
    (tmp_path / "example.yaml").write_text(example)
    assert [v.name for v in load(tmp_path / "example.yaml").scenario.variants] == [
        "snowpipe-60s", "streaming-classic-1s", "streaming-hp"]
