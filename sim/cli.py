"""Command line: `python -m sim <command>`.

    run FILE          run a scenario: every variant, a summary table, a report folder
    validate FILE...  check scenario files and list every problem
    compare A B       one mark per metric between two runs
    schema            print the JSON Schema of scenario files
    workloads [FILE]  the workload kinds and the landing columns each produces
    init DIR          write a starter pipeline, scenario and tests to make your own
    sql FILE          run a Snowflake SQL script on the embedded DuckDB emulator and print each result
"""

from __future__ import annotations

import argparse
import difflib
import signal
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sim",
        description="snowsim: run Snowflake CDC pipelines offline on an embedded DuckDB emulator.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sql_parser = commands.add_parser(
        "sql",
        help="run a Snowflake SQL script on the emulator and print each result",
        description=(
            "Run every statement of FILE, in order, on a fresh in-memory emulated Snowflake account "
            "(database SNOWSIM, schema PUBLIC) and print each result as a table. The virtual clock moves "
            "only when the script says so: CALL SYSTEM$WAIT(2, 'MINUTES') runs the tasks and refreshes that "
            "fall due. Stops at the first error, naming the file and line (exit 1); exit 2 if FILE cannot "
            "be read or is not UTF-8, or --start or --timezone is not valid."
        ),
    )
    sql_parser.add_argument("file", type=Path, help="the SQL script (statements separated by semicolons)")
    sql_parser.add_argument(
        "--start", default=None, help="the virtual clock's start, ISO-8601 (default 2025-01-06T00:00:00Z)"
    )
    sql_parser.add_argument("--timezone", default="America/Los_Angeles", help="session TIMEZONE (Snowflake's default)")
    sql_parser.add_argument("--max-rows", type=int, default=20, help="rows printed per result (default 20)")
    sql_parser.set_defaults(handler=run_sql)

    run_parser = commands.add_parser(
        "run",
        help="run a scenario's variants and write a report",
        description=(
            "Validate FILE, then run every ingestion variant on the same seeded workload, each on its own "
            "emulated account and virtual clock. Prints a summary table and writes "
            "<out>/<scenario>-<time>/: run.json, report.md, report.html and PNG charts. Exit codes: 0 every "
            "event landed once and reached every traced layer; 1 a variant lost or duplicated events; 2 the "
            "scenario or its SQL is invalid, a pipe cannot load a file, the emulator ran out of memory or the "
            "run folder cannot be written (nothing is written); 3 the pipeline failed: a task run or refresh "
            "failed, or events never reached a traced layer (the report says which and why); 130 Ctrl-C, "
            "143 SIGTERM (nothing is written when a run stops)."
        ),
    )
    run_parser.add_argument("file", type=Path, help="the scenario file (YAML)")
    run_parser.add_argument(
        "--out", type=Path, default=Path("reports"), help="where the run folder goes (default reports/)"
    )
    run_parser.add_argument("--no-charts", action="store_true", help="skip the PNG charts (faster)")
    run_parser.add_argument("--jobs", type=int, default=None, metavar="N",
                     help="variants run at once, each in its own process (default: one per CPU core, up to the "
                          "number of variants; 1 runs them one after another). The figures are the same either way")
    run_parser.add_argument("--variant", action="append", metavar="NAME",
                     help="run only this variant (repeat for several; default: every variant of the scenario)")
    run_parser.add_argument("--profile", action="store_true",
                     help="profile the run and write profile.txt (top functions by cumulative time) to the run "
                          "folder; runs the variants one after another in this process")
    run_parser.set_defaults(handler=run_command)

    validate_parser = commands.add_parser(
        "validate", help="check scenario files",
        description="Check scenario files; print every problem, by file and key. Exits 0 when every file is valid, "
                    "1 when any is not.")
    validate_parser.add_argument("files", type=Path, nargs="+", help="scenario files (YAML)")
    validate_parser.set_defaults(handler=validate)

    compare_parser = commands.add_parser(
        "compare",
        help="compare two runs",
        description="One mark per metric and variant between two runs (run folders or run.json files): better, "
                    "worse, same, or not comparable when their scenario files differ. Speed-up, a wall-time "
                    "figure, counts as same within 15 %. Exit 2 if a run cannot be read.",
    )
    compare_parser.add_argument("before", type=Path, help="the baseline run")
    compare_parser.add_argument("after", type=Path, help="the run to judge")
    compare_parser.set_defaults(handler=compare_runs)

    init_parser = commands.add_parser(
        "init", help="write a starter pipeline, scenario and tests into DIR",
        description="Write a working starter into DIR (created if missing): pipeline/landing.sql (landing table, "
                    "stage, pipe), pipeline/pipeline.sql (a stream, a MERGE task, a dynamic table), scenario.yaml (a "
                    "custom workload, one Snowpipe and one Streaming variant) and test_pipeline.py. Then "
                    "`python -m sim run DIR/scenario.yaml` and `pytest DIR` run as written. Exit 2, writing nothing, "
                    "if any of these files exists in DIR.")
    init_parser.add_argument("dir", type=Path, help="the folder to write the starter into")
    init_parser.set_defaults(handler=init_starter)

    workloads_parser = commands.add_parser(
        "workloads", help="list the workload kinds and the landing columns each produces",
        description="List every workload kind (workload.kind in a scenario) with the landing columns and Snowflake "
                    "types it produces. With FILE, print the CREATE TABLE of that scenario's landing table for its "
                    "workload (a custom workload's columns come from the file). Exit 2 if FILE is not valid.")
    workloads_parser.add_argument("file", type=Path, nargs="?", help="a scenario file (YAML)")
    workloads_parser.set_defaults(handler=list_workloads)

    schema_parser = commands.add_parser(
        "schema", help="print the JSON Schema of scenario files",
        description="Print the JSON Schema of scenario files (scenarios/schema.json holds a copy).")
    schema_parser.set_defaults(handler=print_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # soft_wrap: a long path is printed whole, also when output is not a terminal (rich would wrap it at 80, and
    # squeeze the summary table to that width).
    wide = None if sys.stdout.isatty() else 160
    return args.handler(args, Console(soft_wrap=True, width=wide), Console(stderr=True, soft_wrap=True))


def print_schema(args: argparse.Namespace, console: Console, errors: Console) -> int:
    import json

    from sim.scenario import json_schema

    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return 0


def _print_problems(errors: Console, error: Exception) -> None:
    """A scenario's problems, a line each, in red."""
    for line in str(error).splitlines():
        errors.print(f"[red]{line}[/red]", highlight=False)


def init_starter(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from sim import starter

    taken = starter.existing(args.dir)
    if taken:
        errors.print(f"[red]{args.dir}: already has {', '.join(str(p.relative_to(args.dir)) for p in taken)}; "
                     "nothing was written (choose another folder, or move them away)[/red]", highlight=False)
        return 2
    try:
        written = starter.write(args.dir)
    except OSError as error:
        errors.print(f"[red]{error.filename or args.dir}: cannot write the starter: {error.strerror}[/red]",
                     highlight=False)
        return 2
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    console.print(f"next: python -m sim run {args.dir / 'scenario.yaml'}   (both variants, a report)\n"
                  f"      pytest {args.dir}   (the pipeline's tests)", highlight=False)
    return 0


def list_workloads(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from sim.scenario import ScenarioError, load
    from sim.workloads import catalogue, feed_schema, landing_type

    if args.file is None:
        for kind, summary, columns in catalogue():
            console.print(f"[bold]{kind}[/bold]: {summary}", highlight=False)
            listed = ", ".join(f"{name} {snowflake_type}" for name, snowflake_type in columns)
            console.print(f"  landing columns: {listed}", highlight=False)
        return 0
    try:
        loaded = load(args.file)
    except ScenarioError as error:
        _print_problems(errors, error)
        return 2
    scenario = loaded.scenario
    columns = ",\n".join(f"    {f.name} {landing_type(f.type)}" for f in feed_schema(scenario.workload))
    print(f"-- the landing columns of {args.file.name}'s {scenario.workload.kind} workload\n"
          f"CREATE TABLE {scenario.pipeline.landing_table} (\n{columns}\n);")
    return 0


def validate(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from sim.scenario import ScenarioError, load

    failed = 0
    for path in args.files:
        try:
            loaded = load(path)
        except ScenarioError as error:
            failed += 1
            _print_problems(errors, error)
            continue
        console.print(f"{path}: ok ({len(loaded.scenario.variants)} variants)", highlight=False)
    return 1 if failed else 0


def run_command(args: argparse.Namespace, console: Console, errors: Console) -> int:
    import shutil

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from sim import parallel, wallclock
    from sim.report import charts, document, record
    from sim.run import RunError, RunFolder, run_scenario
    from sim.scenario import ScenarioError, load

    if args.jobs is not None and args.jobs < 1:
        errors.print(f"[red]--jobs: must be at least 1, got {args.jobs}[/red]", highlight=False)
        return 2
    try:
        loaded = load(args.file)
    except ScenarioError as error:
        _print_problems(errors, error)
        return 2
    if args.variant:
        names = [v.name for v in loaded.scenario.variants]
        unknown = [name for name in args.variant if name not in names]
        for name in unknown:
            close = difflib.get_close_matches(name, names, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"the scenario's variants are {', '.join(names)}"
            errors.print(f"[red]--variant {name}: {args.file.name} has no such variant; {hint}[/red]", highlight=False)
        if unknown:
            return 2
        chosen = [v for v in loaded.scenario.variants if v.name in args.variant]
        loaded = loaded.model_copy(update={"scenario": loaded.scenario.model_copy(update={"variants": chosen})})
    scenario = loaded.scenario
    jobs = 1 if args.profile else args.jobs or parallel.cores()
    run_id = f"{scenario.name}-{wallclock.stamp()}"
    copies = 1
    while (args.out / run_id).exists() or (args.out / f".{run_id}.partial").exists():  # two runs in one second
        copies += 1
        run_id = f"{scenario.name}-{wallclock.stamp()}-{copies}"
    folder = args.out / run_id
    working = args.out / f".{run_id}.partial"  # renamed to `folder` once complete: nothing half-written stays
    try:
        working.mkdir(parents=True)
    except OSError as error:
        errors.print(
            f"[red]--out {args.out}: cannot create the run's folder there: {error.strerror}[/red]", highlight=False
        )
        return 2
    began = wallclock.seconds()
    with _Interrupts() as interrupted:
        try:
            with Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                          TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(), console=console,
                          transient=False) as bar:
                tasks = {v.name: bar.add_task(v.name, total=1.0, start=False) for v in scenario.variants}

                def progress(name: str, done: float) -> None:  # a variant's clock starts when it does
                    bar.start_task(tasks[name])
                    bar.update(tasks[name], completed=done)

                if args.profile:
                    results = _profiled(working, run_scenario, loaded, progress)
                else:
                    results = run_scenario(loaded, working, progress, jobs)
            if not scenario.report.keep_files:  # the files Snowpipe variants staged
                shutil.rmtree(RunFolder(working).outboxes, ignore_errors=True)
            run_record = record.build(loaded, results, run_id=run_id, wall_seconds=wallclock.seconds() - began)
            record.write(run_record, working)
            drawn = charts.draw_all(run_record, working) if scenario.report.charts and not args.no_charts else []
            document.write(run_record, drawn, working)
            working.rename(folder)
        except RunError as error:
            shutil.rmtree(working, ignore_errors=True)
            errors.print(f"[red]{error}[/red]", highlight=False)
            return 2
        except BaseException as error:
            shutil.rmtree(working, ignore_errors=True)  # nothing half-written is left behind
            if isinstance(error, KeyboardInterrupt) or interrupted:
                terminated = signal.SIGTERM in interrupted
                errors.print(f"{'terminated' if terminated else 'interrupted'}: nothing was written", highlight=False)
                return 143 if terminated else 130
            if isinstance(error, OSError):  # the disk filled up, the folder went away: say where
                errors.print(f"[red]{error.filename or args.out}: {error.strerror or error}; nothing was written[/red]",
                             highlight=False)
                return 2
            raise
    console.print(_summary(run_record))
    console.print(f"report: {folder / 'report.html'}", highlight=False)
    for line in document.problems(run_record):
        errors.print(f"[red]{line}[/red]", highlight=False)
    if not run_record["conserved"]:
        errors.print("[red bold]conservation FAILED: events were lost or duplicated (see the report)[/red bold]")
        return 1
    if not run_record["complete"]:
        errors.print("[red bold]the pipeline FAILED: see above and the report[/red bold]")
        return 3
    for v in run_record["variants"]:
        if v.get("faults"):
            console.print(f"{v['name']}: {len(v['faults'])} injected fault event(s); {v.get('dropped', 0):,} events "
                          "dropped by them as Snowflake would (see the report's Faults)", highlight=False)
    console.print("conservation: every generated event landed exactly once (or was dropped by an injected fault, as "
                  "said) and reached every traced layer, in every variant", highlight=False)
    return 0


class _Interrupts(list):
    """Ctrl-C presses and SIGTERMs (what `timeout`, a CI cancel and `kill` send) seen while a run is on: both
    stop the run the same way, its workers terminated and nothing half-written left. DuckDB turns one that lands
    mid-query into its own error ("Query interrupted"), so the run tells an interrupt from a failure by this
    record."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __enter__(self) -> _Interrupts:
        self.previous = {signum: signal.signal(signum, self._seen) for signum in self.SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)

    def _seen(self, signum: int, frame: Any) -> None:
        self.append(signum)
        raise KeyboardInterrupt


def _profiled(folder: Path, run_all: Any, loaded: Any, progress: Any) -> Any:
    """Run under cProfile; profile.txt lists the 40 functions with the most cumulative time."""
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    results = profiler.runcall(run_all, loaded, folder, progress)
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(40)
    (folder / "profile.txt").write_text(text.getvalue())
    return results


def _summary(run_record: dict) -> Table:
    """The report's verdict block: each variant's gold freshness and steady cost, and the recommendation."""
    from rich import box

    from sim.report.verdict import verdict

    found = verdict(run_record)
    gold = run_record["scenario"]["snapshot"]["pipeline"]["layers"][-1]
    table = Table(title=f"{run_record['scenario']['name']}: gold ({gold}) latency from source commit and cost",
                  caption="\n".join([found.recommendation, *found.notes]), caption_justify="left",
                  box=box.SIMPLE_HEAD, header_style="bold")
    table.add_column("variant", no_wrap=True)
    for column in ("gold p50/p95 (s)", "$/month", "vs cheapest", "vs freshest p95"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("cost", no_wrap=True)
    for r in found.rows:
        table.add_row(*r.cells())
    return table


def compare_runs(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from sim.report.compare import compare
    from sim.report.record import read

    try:
        before, after = read(args.before), read(args.after)
    except ValueError as error:
        errors.print(f"[red]{error}[/red]", highlight=False)
        return 2
    marks = compare(before, after)
    reasons = {mark.reason for mark in marks}
    shared = reasons.pop() if len(reasons) == 1 else ""  # e.g. the scenario differs: said once, under the table
    table = Table(title=f"{args.before} -> {args.after}", caption=shared and f"not comparable: {shared}",
                  show_header=True, header_style="bold")
    for column in ("variant", "metric", "before", "after", "mark"):
        table.add_column(column)
    colors = {"better": "green", "worse": "red", "same": "white", "not comparable": "yellow"}
    for mark in marks:
        shown = [("-" if v is None else f"{v:,.3f}") for v in (mark.before, mark.after)]
        verdict = mark.verdict + (f" ({mark.reason})" if mark.reason and not shared else "")
        table.add_row(mark.variant, mark.metric, *shown, f"[{colors[mark.verdict]}]{verdict}[/]")
    console.print(table)
    return 0


def run_sql(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from backends import registry
    from backends.clock import to_millis
    from backends.errors import Error
    from backends.scripts import split_with_lines

    path: Path = args.file
    try:
        script = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        errors.print(f"[red]{path}: byte {error.start} is not UTF-8 text: save the script as UTF-8[/red]")
        return 2
    except OSError as error:
        errors.print(f"[red]{path}: cannot read the script: {error.strerror}[/red]")
        return 2
    try:
        start = None if args.start is None else to_millis(args.start)
    except ValueError:
        errors.print(f"[red]--start {args.start}: expected an ISO-8601 time such as 2025-01-06T08:00:00Z[/red]")
        return 2
    try:
        conn = registry.backend("duckdb").connect(start=start, timezone=args.timezone)
        statements = split_with_lines(script)
    except Error as error:
        errors.print(f"[red]{'--timezone' if 'TIMEZONE' in str(error) else path}: {error}[/red]")
        return 2
    cursor = conn.cursor()
    for statement, line in statements:
        console.print(
            f"[bold cyan]{path}:{line}[/bold cyan] [dim]{' '.join(statement.split())[:100]}[/dim]", soft_wrap=True
        )
        try:
            cursor.execute(statement)
            rows = cursor.fetchmany(args.max_rows + 1)
        except Error as error:
            errors.print(f"[red]{path}:{line}: {error}[/red]")
            conn.close()
            return 1
        console.print(_table(cursor.description, rows, args.max_rows, console.width))
    conn.close()
    return 0


def _table(description: Any, rows: list[tuple], limit: int, width: int = 120) -> Any:
    """A result as a table; one `column | value` block per row when the table would not fit `width` (SHOW, DESCRIBE)."""
    from rich.console import Group

    names = [column.name for column in description or []]
    cells = [["NULL" if v is None else str(v) for v in row] for row in rows[:limit]]
    caption = f"first {limit} rows" if len(rows) > limit else None
    natural = sum(max([len(name), *(len(row[i]) for row in cells)]) + 3 for i, name in enumerate(names)) + 1
    if natural <= width or not cells:
        table = Table(show_header=True, header_style="bold", caption=caption)
        for name in names:
            table.add_column(name)
        for row in cells:
            table.add_row(*row)
        return table
    blocks = []
    for number, row in enumerate(cells, start=1):
        block = Table(title=f"row {number}", show_header=False, title_justify="left")
        block.add_column(style="bold")
        block.add_column()
        for name, value in zip(names, row, strict=True):
            block.add_row(name, value)
        blocks.append(block)
    return Group(*blocks, caption) if caption else Group(*blocks)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
