"""A scenario end to end: `python -m sim run` on a few simulated minutes, its report, compare and failures."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pytest

from backends.duckdb.maintenance import compaction
from sim.cli import main
from sim.ingest.streaming import StreamingModel
from sim.report import record
from sim.run import RunError, _conservation, run_scenario, run_variant
from sim.scenario import load

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = f"""
name: tiny
seed: 3
start: 2025-01-06T16:00:00Z
duration: 4 min
pipeline:
  sql: [{ROOT}/scenarios/booking_cdc/landing.sql, {ROOT}/scenarios/booking_cdc/pipeline.sql]
  landing_table: booking_changes
  key: booking_id
  stage: booking_changes_stage
  pipe: booking_changes_pipe
  layers: [booking_changes, raw_movie_bookings, movie_booking_insights]
workload: {{kind: booking, rate: 5}}
variants:
  - {{name: snowpipe, ingestion: snowpipe, file_format: {{fmt}}}}
  - {{name: classic, ingestion: streaming_classic}}
  - {{name: hp, ingestion: streaming_high_performance}}
"""


def _scenario(folder: Path, fmt: str = "json", **replace: str) -> Path:
    text = SCENARIO.replace("{fmt}", fmt)
    for old, new in replace.items():
        text = text.replace(old, new)
    path = folder / "tiny.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="session")
def run_folder(shared_run) -> Path:
    """The tiny scenario's run, its three variants side by side in worker processes (run once a session)."""

    def make(folder: Path) -> None:
        assert main(["run", str(_scenario(folder)), "--out", str(folder / "reports"), "--jobs", "3"]) == 0

    (run,) = (shared_run("tiny-run", make) / "reports").iterdir()
    return run


def _record(run: Path) -> dict:
    return json.loads((run / "run.json").read_text())


def test_a_run_writes_its_report_folder(run_folder) -> None:
    names = {p.name for p in run_folder.iterdir()}
    assert {"run.json", "report.md", "report.html", "latency_cdf.png", "gold_freshness.png", "cost_breakdown.png",
            "latency_vs_cost.png", "warehouse_activity.png", "outbox"} <= names
    assert "backend" not in names  # the emulator's stages and spilled tables
    html = (run_folder / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 5  # self-contained
    report = (run_folder / "report.md").read_text()
    assert "exactly once" in report
    verdict = report[report.index("## Verdict"):report.index("## Conservation")]
    assert "Recommended: " in verdict and all(f"| {name} |" in verdict for name in ("snowpipe", "classic", "hp"))


def test_every_variant_lands_the_same_events_exactly_once(run_folder) -> None:
    record = _record(run_folder)
    events = {v["events"] for v in record["variants"]}
    assert len(events) == 1 and events.pop() > 1000
    assert record["conserved"] and all(v["duplicates"] == v["missing"] == 0 for v in record["variants"])


def test_streaming_is_fresher_than_snowpipe_by_the_documented_delays(run_folder) -> None:
    latency = {v["name"]: v["latency"] for v in _record(run_folder)["variants"]}
    landing = {name: lat["booking_changes"]["p50"] for name, lat in latency.items()}
    # classic: 1 s flush + ~1 s commit; HP: 5-10 s; Snowpipe: ~30 s to rotate + notification + ~20 s load
    assert landing["classic"] < 5 < landing["hp"] < 11 < 30 < landing["snowpipe"]
    for lat in latency.values():  # a layer never shows an event before the layer it reads
        assert lat["booking_changes"]["p50"] <= lat["raw_movie_bookings"]["p50"] <= lat["movie_booking_insights"]["p50"]


def test_costs_are_broken_down_and_priced(run_folder) -> None:
    variants = {v["name"]: v for v in _record(run_folder)["variants"]}
    assert set(variants["snowpipe"]["costs"]["components"]) == {"snowpipe per GB", "warehouse", "serverless tasks"}
    assert set(variants["classic"]["costs"]["components"]) >= {"streaming client hours", "streaming migration"}
    assert set(variants["hp"]["costs"]["components"]) >= {"streaming per GB"}
    for v in variants.values():
        assert v["costs"]["components"]["warehouse"] > 0
        assert v["costs"]["dollars"] == pytest.approx(v["costs"]["credits"] * 3.0)  # Enterprise, AWS us-east-1


def test_streaming_lands_as_its_documented_delays_imply_and_the_report_says_so(run_folder) -> None:
    variants = {v["name"]: v for v in _record(run_folder)["variants"]}
    for name in ("classic", "hp"):  # one flush a second: ~240 draws, so the medians must agree closely
        measured, implied = (
            variants[name]["latency"]["booking_changes"]["p50"],
            variants[name]["implied_landing"]["p50"],
        )
        assert implied - 0.3 <= measured <= implied + 1.0, (name, measured, implied)  # in-order commits only add
    lines = (run_folder / "report.md").read_text().splitlines()
    note = next(line for line in lines if "documented delays alone" in line)
    for name, v in variants.items():  # every variant, not two of them
        assert f"{name} {v['latency']['booking_changes']['p50']:.1f} s vs {v['implied_landing']['p50']:.1f} s" in note


def test_the_report_says_where_each_variants_wall_time_went(run_folder) -> None:
    for variant in _record(run_folder)["variants"]:
        spent = variant["wall_seconds_by_activity"]
        assert {"task APPLY_BOOKING_CHANGES", "refresh MOVIE_BOOKING_INSIGHTS", "workload generation", "other"} <= set(
            spent
        )
        assert sum(spent.values()) == pytest.approx(variant["wall_seconds"], abs=0.01)  # every second, once
    assert ("snowpipe", "pipe load BOOKING_CHANGES_PIPE") in {
        (v["name"], a) for v in _record(run_folder)["variants"] for a in v["wall_seconds_by_activity"]}
    assert "## Where the wall time went" in (run_folder / "report.md").read_text()


def test_a_warehouse_that_never_suspends_costs_720_credits_a_month_whatever_the_run_length(run_folder) -> None:
    # A task every minute and AUTO_SUSPEND 60 s keep the X-Small on: 1 credit an hour once warmed up. The
    # four-minute run also billed the warm-up and the drain, which a month of the same load would not repeat.
    hp = {v["name"]: v for v in _record(run_folder)["variants"]}["hp"]["costs"]
    ingestion_per_month = hp["components"]["streaming per GB"] * 30 * 24 * 60 / 4
    assert hp["credits_per_month"] == pytest.approx(720 + ingestion_per_month, rel=0.005)


def test_compare_marks_each_metric(run_folder, capsys) -> None:
    assert main(["compare", str(run_folder), str(run_folder)]) == 0
    out = capsys.readouterr().out
    assert "same" in out and "better" not in out and "worse" not in out


def test_compare_refuses_to_judge_runs_of_different_scenarios(run_folder, tmp_path, capsys) -> None:
    other = _record(run_folder)
    other["scenario"]["sha256"] = "0" * 64
    (tmp_path / "run.json").write_text(json.dumps(other))
    assert main(["compare", str(run_folder), str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "not comparable: scenario files differ" in out and "better" not in out and "worse" not in out


def test_compare_says_which_scenario_settings_differ() -> None:
    from sim.report.compare import scenario_difference

    before = {"sha256": "a" * 64, "snapshot": {"duration": 3600.0, "workload": {"rate": 20.0, "kind": "booking"}}}
    after = {
        "sha256": "b" * 64,
        "snapshot": {"duration": 300.0, "workload": {"rate": 20.0, "kind": "booking", "profile": "x"}},
    }
    assert scenario_difference(before, after) == "scenario differs: duration 3600.0 -> 300.0; workload.profile - -> x"


def test_variants_give_the_same_figures_side_by_side_as_one_after_another(run_folder, tmp_path) -> None:
    loaded = load(_scenario(tmp_path))
    results = run_scenario(loaded, tmp_path / "serial", jobs=1)
    serial = json.loads(json.dumps(record.build(loaded, results, run_id="serial", wall_seconds=0), default=str))
    timing = {"wall_seconds", "speedup", "wall_seconds_by_activity"}
    figures = [[{k: v for k, v in variant.items() if k not in timing} for variant in r["variants"]]
               for r in (serial, _record(run_folder))]
    assert figures[0] == figures[1]
    assert [v["name"] for v in serial["variants"]] == ["snowpipe", "classic", "hp"]  # the scenario's order


def test_jobs_must_be_positive(tmp_path, capsys) -> None:
    assert main(["run", str(_scenario(tmp_path)), "--out", str(tmp_path / "reports"), "--jobs", "0"]) == 2
    assert "--jobs: must be at least 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_a_run_that_loses_events_fails_loudly(tmp_path, capsys, monkeypatch) -> None:
    # A harness fault: a Streaming client drops its first commit, so its events never land.
    commit = StreamingModel._commit

    def drop_first(self, index: int) -> None:
        if not self.deliveries and not getattr(self, "dropped", False):
            self.dropped = True
            self._uncommitted[index].pop(0)
            return
        commit(self, index)

    monkeypatch.setattr(StreamingModel, "_commit", drop_first)
    path = _scenario(tmp_path, **{"duration: 4 min": "duration: 1 min"})
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts", "--jobs", "1"]) == 1
    assert "conservation FAILED" in capsys.readouterr().err
    (run,) = (tmp_path / "reports").iterdir()
    report = (run / "report.md").read_text()
    assert "snowpipe: all" in report and "classic: FAILED" in report and "hp: FAILED" in report


def test_a_file_the_pipe_cannot_load_stops_the_run_at_once(tmp_path, capsys) -> None:
    # CSV files into a pipe that loads JSON: the first load fails, and every event in it would be lost.
    path = _scenario(tmp_path, fmt="csv", **{"duration: 4 min": "duration: 2 hours"})
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts", "--jobs", "1"]) == 2
    error = capsys.readouterr().err
    assert "snowpipe: the pipe booking_changes_pipe could not load snowpipe-000001.csv.gz" in error
    assert "file_format (csv)" in error
    assert list((tmp_path / "reports").iterdir()) == []  # nothing half-written


def test_a_bad_scenario_stops_before_anything_runs(tmp_path, capsys) -> None:
    path = _scenario(tmp_path, **{"rate: 5": "rate: -5"})
    assert main(["run", str(path), "--out", str(tmp_path / "reports")]) == 2
    assert "tiny.yaml: workload.rate: must be > 0, got -5" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_failing_pipeline_statement_names_file_and_line(tmp_path, capsys, jobs) -> None:
    broken = tmp_path / "broken.sql"
    broken.write_text("CREATE TABLE booking_changes (event_id INT);\nSELECT * FROM nowhere;\n")
    path = _scenario(
        tmp_path,
        **{f"[{ROOT}/scenarios/booking_cdc/landing.sql, {ROOT}/scenarios/booking_cdc/pipeline.sql]": str(broken)},
    )
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--jobs", jobs]) == 2
    assert f"{broken}:2:" in capsys.readouterr().err
    assert list((tmp_path / "reports").iterdir()) == []  # nothing half-written


def test_a_schedule_override_of_a_missing_object_names_its_key(tmp_path, capsys) -> None:
    path = _scenario(tmp_path, **{"workload:": "schedules: {tasks: {apply_changes: 5 MINUTE}}\nworkload:"})
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--jobs", "1"]) == 2
    error = capsys.readouterr().err
    assert "tiny.yaml: schedules.tasks.apply_changes: ALTER TASK apply_changes SUSPEND:" in error
    assert "does not exist" in error
    assert list((tmp_path / "reports").iterdir()) == []


def test_the_files_snowpipe_wrote_can_be_left_out_of_the_run_folder(tmp_path) -> None:
    path = _scenario(tmp_path, **{"duration: 4 min": "duration: 1 min\nreport: {keep_files: false}"})
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts", "--jobs", "1"]) == 0
    (run,) = (tmp_path / "reports").iterdir()
    assert {p.name for p in run.iterdir()} == {"run.json", "report.md", "report.html"}


def test_a_layer_that_is_not_change_tracked_is_named_in_the_report(tmp_path) -> None:
    extra = tmp_path / "side.sql"
    extra.write_text("CREATE TABLE side_table (id INT);\n")
    path = _scenario(tmp_path, **{
        "pipeline.sql]": f"pipeline.sql, {extra}]",
        "layers: [booking_changes, raw_movie_bookings, movie_booking_insights]":
            "layers: [booking_changes, side_table]",
        "duration: 4 min": "duration: 1 min",
    })
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts"]) == 0
    (run,) = (tmp_path / "reports").iterdir()
    assert "no version of side_table reflects the landing table" in (run / "report.md").read_text()


def test_compare_marks_lower_latency_better_and_higher_cost_worse(run_folder) -> None:
    from sim.report.compare import compare

    before = _record(run_folder)
    after = json.loads(json.dumps(before))
    variant = after["variants"][0]
    variant["latency"]["movie_booking_insights"]["p50"] *= 0.5
    variant["costs"]["dollars_per_month"] *= 2
    marks = {(m.variant, m.metric): m.verdict for m in compare(before, after)}
    name = variant["name"]
    assert marks[(name, "gold p50 (s)")] == "better"
    assert marks[(name, "$ / month")] == "worse"
    assert marks[(name, "landing p50 (s)")] == "same"


@pytest.mark.parametrize(("factor", "verdict"), [(0.9, "same"), (1.12, "same"), (0.8, "worse"), (1.2, "better")])
def test_compare_reads_speed_up_through_the_machines_run_to_run_noise(run_folder, factor, verdict) -> None:
    from sim.report.compare import compare

    before = _record(run_folder)
    after = json.loads(json.dumps(before))
    variant = after["variants"][0]
    variant["speedup"] *= factor
    variant["latency"]["movie_booking_insights"]["p50"] *= 1.05  # a simulated figure: 5 % is a change
    marks = {(m.variant, m.metric): m.verdict for m in compare(before, after)}
    assert marks[(variant["name"], "speed-up")] == verdict
    assert marks[(variant["name"], "gold p50 (s)")] == "worse"


def _interrupted_mid_query(*args, **kwargs):
    """What DuckDB does with Ctrl-C during a query: Python's handler runs, then DuckDB raises its own error."""
    try:
        signal.raise_signal(signal.SIGINT)
    except KeyboardInterrupt:
        pass
    raise RuntimeError("Query interrupted")


def _failing(*args, **kwargs):
    raise RuntimeError("a bug")


def test_ctrl_c_stops_a_run_cleanly_and_other_errors_still_surface(tmp_path, capsys, monkeypatch) -> None:
    handler = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr("sim.run.run_scenario", _interrupted_mid_query)
    assert main(["run", str(_scenario(tmp_path)), "--out", str(tmp_path / "reports"), "--jobs", "1"]) == 130
    assert "interrupted: nothing was written" in capsys.readouterr().err
    assert list((tmp_path / "reports").iterdir()) == []
    assert signal.getsignal(signal.SIGINT) is handler
    monkeypatch.setattr("sim.run.run_scenario", _failing)
    with pytest.raises(RuntimeError, match="a bug"):
        main(["run", str(_scenario(tmp_path)), "--out", str(tmp_path / "reports"), "--jobs", "1"])
    assert list((tmp_path / "reports").iterdir()) == []


def test_an_out_folder_that_cannot_be_created_is_refused_before_the_run(tmp_path, capsys) -> None:
    (tmp_path / "a_file").write_text("")
    assert main(["run", str(_scenario(tmp_path)), "--out", str(tmp_path / "a_file" / "reports")]) == 2
    assert "cannot create the run's folder there: Not a directory" in capsys.readouterr().err


def test_a_disk_error_while_writing_the_report_leaves_nothing_half_written(tmp_path, capsys, monkeypatch) -> None:
    def disk_full(run_record, folder):
        raise OSError(28, "No space left on device", str(folder / "run.json"))

    monkeypatch.setattr("sim.report.record.write", disk_full)
    assert (
        main(
            [
                "run",
                str(_scenario(tmp_path, **{"duration: 4 min": "duration: 1 min"})),
                "--out",
                str(tmp_path / "reports"),
                "--no-charts",
                "--jobs",
                "1",
            ]
        )
        == 2
    )
    assert "run.json: No space left on device; nothing was written" in capsys.readouterr().err
    assert list((tmp_path / "reports").iterdir()) == []


def test_variant_runs_only_the_variants_named(tmp_path, capsys) -> None:
    path = _scenario(tmp_path, **{"duration: 4 min": "duration: 1 min"})
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts", "--variant", "hp",
                 "--variant", "snowpipe"]) == 0
    (run,) = (tmp_path / "reports").iterdir()
    assert [v["name"] for v in _record(run)["variants"]] == ["snowpipe", "hp"]
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--variant", "clasic"]) == 2
    assert "--variant clasic: tiny.yaml has no such variant; did you mean 'classic'?" in capsys.readouterr().err
    assert len(list((tmp_path / "reports").iterdir())) == 1  # the refused run wrote nothing


def test_running_out_of_memory_stops_the_run_and_says_so(tmp_path) -> None:
    # Snowflake never fails a load or a task for memory; the emulator's limit must not pass for one.
    loaded = load(_scenario(tmp_path))
    with pytest.raises(RunError, match=r"^snowpipe: the emulator's DuckDB ran out of memory: .*--jobs"):
        run_variant(loaded, 0, tmp_path / "out", options={"duckdb_config": {"memory_limit": "40MB"}})


def test_a_variant_whose_tables_outgrow_the_memory_limit_spills_and_keeps_every_event(tmp_path) -> None:
    loaded = load(_scenario(tmp_path, **{"rate: 5": "rate: 200"}))  # ~60 MB of tables, in 40 MB
    result = run_variant(loaded, 1, tmp_path / "out", options={"duckdb_config": {"memory_limit": "40MB"}})
    assert result.conserved and result.events > 40_000
    assert not (tmp_path / "out" / "backend").exists()  # spilled tables go with the run


def test_a_variant_compacting_after_every_commit_keeps_every_event(tmp_path, monkeypatch) -> None:
    # The harness reads the metering views while the pipeline runs and may hold such a result unfetched;
    # a checkpoint (maintenance/compaction.py) must not fail for that, whenever memory pressure calls for one.
    monkeypatch.setattr(compaction, "CHECK_EVERY", 1)
    monkeypatch.setattr(compaction, "SHARE", 0.0)
    monkeypatch.setattr(compaction, "GROWTH", 0.0)
    loaded = load(_scenario(tmp_path))
    result = run_variant(loaded, 1, tmp_path / "out")
    assert result.conserved and result.events > 1_000


@pytest.mark.parametrize(("landed", "events", "duplicates", "missing"), [
    ([1, 2, 3], 3, 0, 0),
    ([3, 1, 2, 2, 2], 3, 2, 0),  # event 2 landed three times
    ([1, 3], 3, 0, 1),
    ([1, 2, 9, -4], 3, 0, 1),  # ids the workload never made do not count as landed
    ([], 2, 0, 2),
])
def test_conservation_counts_repeated_and_missing_event_ids(landed, events, duplicates, missing) -> None:
    assert _conservation(np.array(landed, dtype=np.int64), events) == (duplicates, missing)


def test_the_warehouse_timeline_is_what_was_billed_and_holds_every_run(run_folder) -> None:
    for v in _record(run_folder)["variants"]:
        periods = v["warehouse_periods"]
        assert periods and all(until - start >= 60 for start, _, until in periods)  # the 60-second minimum
        assert sum(until - start for start, _, until in periods) / 3600 == pytest.approx(
            v["costs"]["components"]["warehouse"], rel=1e-6)  # X-Small: a credit an hour
        for start, _, name in v["busy"]:  # work starts only on a running warehouse (the last may end after "now")
            assert any(a <= start <= b for a, b, _ in periods), (v["name"], name, start)
