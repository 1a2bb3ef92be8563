"""A scenario run: every variant on the same seeded workload, on its own emulated account and clock.

Per variant: set up the warehouse and the pipeline SQL, apply the schedule overrides, generate the
workload step by step and hand it to the ingestion model, then drain (in-flight files and commits
land, the pipeline catches up), check conservation and measure latency, freshness and cost.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from backends import registry
from backends.base import Backend
from backends.clock import Millis, to_millis
from backends.errors import EngineOutOfMemory, Error
from backends.scripts import split_with_lines
from sim import costs, metrics, parallel, wallclock
from sim.faults import FaultError, Faults
from sim.ingest import MODELS
from sim.ingest.base import Delivery, IngestionModel, implied_landing
from sim.scenario import (
    LoadedScenario,
    RetailWorkloadSpec,
    Scenario,
    Variant,
)
from sim.workloads import FEEDS, Feed, landing_type
from sim.workloads.rates import arrivals
from sim.workloads.retail_feed import reference_rows as retail_reference_rows
from sim.workloads.rows import source_ms

MINUTE_MS = 60_000
#: The workload is generated in chunks of this length, whatever the variant, so every variant sees the same events.
CHUNK_MS = 10_000
#: A workload's event generator: `batch(times)` gives the events, `time_column` names their source time.


class RunError(Exception):
    """A run that could not go on: a pipeline script failed, or an override named a missing object."""


@dataclass
class VariantResult:
    """Everything measured for one variant."""

    name: str
    ingestion: str
    description: str
    events: int
    landed: int
    duplicates: int
    missing: int
    latency: dict[str, dict]
    not_visible: dict[str, int]
    costs: dict
    wall_seconds: float
    simulated_seconds: float
    #: For charts: per layer, the latencies in seconds (a sample when large); gold freshness; busy intervals.
    latency_samples: dict[str, list[float]] = field(default_factory=dict)
    freshness: dict[str, list] = field(default_factory=dict)
    busy: list[tuple[float, float, str]] = field(default_factory=list)
    #: When the scenario's warehouse ran: (resumed, suspended, billed until), s from the start.
    warehouse_periods: list[tuple[float, float, float]] = field(default_factory=list)
    #: Layers with no recorded version fed by the landing table: not change-tracked, or not downstream of it.
    untraced_layers: list[str] = field(default_factory=list)
    #: Landing p50 / p95 the variant's documented delays imply on their own (`implied_landing`).
    implied_landing: dict[str, float] = field(default_factory=dict)
    #: Where the variant's wall time went: seconds by activity (a task, a refresh, workload generation...).
    wall_seconds_by_activity: dict[str, float] = field(default_factory=dict)
    #: Task runs and refreshes that failed, by object: {kind, name, count, first_error}.
    failures: list[dict] = field(default_factory=list)
    #: Of the missing events, those still on their way when the drain ended (not lost: the drain was short).
    in_flight: int = 0
    #: Of the missing events, those injected faults dropped by Snowflake's own rules (a skipped bad file).
    dropped: int = 0
    #: What the injected faults did, in time order: {at (s from the start), kind, what}.
    faults: list[dict] = field(default_factory=list)

    @property
    def conserved(self) -> bool:
        """Every generated event landed exactly once, or is still on its way (not lost, not doubled)."""
        return self.duplicates == 0 and self.missing == self.in_flight + self.dropped

    @property
    def complete(self) -> bool:
        """Nothing failed, and every event reached every traced layer before the drain ended."""
        traced = [layer for layer in self.not_visible if layer not in self.untraced_layers]
        unexpected = [f for f in self.failures if not f.get("injected")]
        return not unexpected and self.in_flight == 0 and not any(self.not_visible[layer] for layer in traced)


@dataclass(frozen=True)
class RunFolder:
    """Where a run writes: the report's files at the top; per variant, the backend's working files
    (removed when the variant ends) and the files Snowpipe variants stage (`outbox/`)."""

    root: Path

    @property
    def backends(self) -> Path:
        return self.root / "backend"

    def backend(self, variant: str) -> Path:
        return self.backends / variant

    @property
    def outboxes(self) -> Path:
        return self.root / "outbox"

    def outbox(self, variant: str) -> Path:
        return self.outboxes / variant


def run_scenario(loaded: LoadedScenario, out_dir: Path, progress: Callable[[str, float], None] | None = None,
                 jobs: int = 1, *, backend: str = registry.DEFAULT) -> list[VariantResult]:
    """Run every variant of the scenario on `backend`; `progress(variant, fraction)` is told how far each has got.

    With `jobs` > 1, that many variants run at once, each in its own process (`sim.parallel`).
    """
    count = len(loaded.scenario.variants)
    if min(jobs, count) > 1:
        return parallel.run_variants(run_variant, loaded, out_dir, progress, min(jobs, count), backend=backend)
    return [run_variant(loaded, index, out_dir, progress, backend=backend) for index in range(count)]


def run_variant(loaded: LoadedScenario, index: int, out_dir: Path,
                progress: Callable[[str, float], None] | None = None, *, backend: str = registry.DEFAULT,
                workers: int = 1, options: dict[str, Any] | None = None) -> VariantResult:
    """Run one variant on `backend`, one of `workers` running at once; `options` go to the backend's
    `connect_for_run` (the emulator's `duckdb_config`, say). The backend's working files (the emulator's
    stages and spilled tables) live under the run folder until the variant ends."""
    scenario = loaded.scenario
    variant = scenario.variants[index]
    began = wallclock.seconds()
    folder = RunFolder(out_dir)
    conn = registry.backend(backend).connect_for_run(start=scenario.start_utc, folder=folder.backend(variant.name),
                                                     workers=workers, **(options or {}))
    wall = wallclock.WallTimes()
    conn.on_activity(wall)
    try:
        feed = make_feed(scenario)
        with wall("pipeline setup"):
            _set_up(conn, loaded, feed)
        start = conn.clock.now()
        faults = Faults(scenario.faults_for(variant), start)
        faults.schedule(conn)
        model = _model(conn, scenario, variant, folder, np.random.default_rng([scenario.seed, index + 1]), wall,
                       feed.time_column, faults)
        end = start + round(scenario.duration * 1000)
        meter = _SteadyCompute(conn.cursor(), start, warmed_up=start + (end - start) // 4)
        told = lambda fraction: progress and progress(variant.name, fraction)  # noqa: E731
        event_times = _generate(conn, feed, model, scenario, start, end, told, wall, meter.observe, faults)
        steady = meter.since_warm_up(end)
        model.finish(conn.clock.now())
        faults.finish()
        _drain(conn, model, scenario, end + round(scenario.drain * 1000), faults)
        with wall("latency and cost measurement"):
            result = _measure(conn, scenario, variant, model, event_times, start, end, steady, faults)
    except FaultError as error:
        raise RunError(f"{variant.name}: {error}") from error
    except EngineOutOfMemory as error:
        raise RunError(
            f"{variant.name}: {error}. Run fewer variants at once (--jobs), or a shorter scenario."
        ) from error
    finally:
        conn.close()
        shutil.rmtree(folder.backend(variant.name), ignore_errors=True)
        with contextlib.suppress(OSError):  # the last variant out takes the folder too
            folder.backends.rmdir()
    result.wall_seconds = wallclock.seconds() - began
    result.wall_seconds_by_activity = by_activity(wall.seconds, result.wall_seconds)
    if progress:
        progress(variant.name, 1.0)
    return result


def _set_up(conn: Backend, loaded: LoadedScenario, feed: Feed) -> None:
    """Run the pipeline SQL, then check what the run relies on, before any event is generated."""
    scenario = loaded.scenario
    cursor = conn.cursor()
    reference = reference_rows(scenario)
    for path in loaded.sql_paths():
        for statement, line in split_with_lines(_read_script(path)):
            try:
                cursor.execute(statement)
            except Error as error:
                raise RunError(f"{path}:{line}: {error}") from error
        for table in [t for t in reference if _exists(cursor, t)]:  # load reference data once its table exists
            columns, rows = reference.pop(table)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    if reference:
        raise RunError(f"{loaded.path.name}: the pipeline SQL creates no table for the reference data "
                       f"{', '.join(reference)}")
    warehouse = scenario.warehouse  # after the scripts: the pipeline may create the warehouse it names
    try:
        cursor.execute(f"ALTER WAREHOUSE {warehouse.name} SET WAREHOUSE_SIZE = {warehouse.size} "
                       f"AUTO_SUSPEND = {round(warehouse.auto_suspend)}")
    except Error as error:
        raise RunError(f"{loaded.path.name}: warehouse.name: {warehouse.name}: {error}") from error
    pipeline = scenario.pipeline
    for index, layer in enumerate(pipeline.layers):
        try:
            cursor.execute(f"SELECT * FROM {layer} LIMIT 0")
        except Error as error:
            raise RunError(f"{loaded.path.name}: pipeline.layers[{index}]: {layer}: the pipeline SQL made no table "
                           f"or view of that name ({str(error).splitlines()[-1]})") from error
    _check_landing_columns(cursor, loaded, feed)
    # Latency is traced through committed versions, which only change-tracked tables record.
    landing = pipeline.landing_table
    try:
        cursor.execute(f"ALTER TABLE {landing} SET CHANGE_TRACKING = TRUE")
    except Error as error:
        raise RunError(f"{loaded.path.name}: pipeline.landing_table: {landing}: {error}") from error
    overrides = [(f"target_lags.{name}", f"ALTER DYNAMIC TABLE {name} SET TARGET_LAG = '{lag}'")
                 for name, lag in scenario.schedules.target_lags.items()]
    for name, schedule in scenario.schedules.tasks.items():
        overrides += [(f"tasks.{name}", f"ALTER TASK {name} {change}")
                      for change in ("SUSPEND", f"SET SCHEDULE = '{schedule}'", "RESUME")]
    for key, statement in overrides:
        try:
            cursor.execute(statement)
        except Error as error:
            raise RunError(f"{loaded.path.name}: schedules.{key}: {statement}: {error}") from error


def _read_script(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RunError(f"{path}: byte {error.start} is not UTF-8 text: save the script as UTF-8") from None
    except OSError as error:
        raise RunError(f"{path}: cannot read the script: {error.strerror}") from None


def _check_landing_columns(cursor: Any, loaded: LoadedScenario, feed: Feed) -> None:
    """The landing table has a column for each of the workload's (a mismatch fails every delivery later)."""
    landing = loaded.scenario.pipeline.landing_table
    columns = {row[0].upper() for row in cursor.execute(f"DESCRIBE TABLE {landing}").fetchall()}
    missing = [f for f in feed.schema if f.name.upper() not in columns]
    if missing:
        expected = ", ".join(f"{f.name.upper()} {landing_type(f.type)}" for f in feed.schema)
        raise RunError(f"{loaded.path.name}: pipeline.landing_table: {landing} has no column "
                       f"{', '.join(f.name.upper() for f in missing)}; the {loaded.scenario.workload.kind} workload "
                       f"lands these columns: {expected}")


def make_feed(scenario: Scenario) -> Feed:
    """The workload's event generator, seeded by the scenario (the same for every variant)."""
    return FEEDS[scenario.workload.kind](scenario.seed, scenario.workload)


def reference_rows(scenario: Scenario) -> dict[str, tuple[list[str], list[tuple]]]:
    """Reference data the scenario carries for the pipeline's tables (the retail demo's REFERENCE_DATA.*)."""
    workload = scenario.workload
    return retail_reference_rows(workload.reference) if isinstance(workload, RetailWorkloadSpec) else {}


def _exists(cursor: Any, table: str) -> bool:
    schema, name = table.split(".")
    try:
        return bool(cursor.execute(f"SHOW TABLES LIKE '{name}' IN SCHEMA {schema}").fetchall())
    except Error:  # the schema does not exist yet
        return False


def _model(conn: Backend, scenario: Scenario, variant: Variant, folder: RunFolder, rng: np.random.Generator,
           wall: wallclock.WallTimes, time_column: str, faults: Faults) -> IngestionModel:
    return MODELS[variant.ingestion](variant, conn, scenario.pipeline, folder.outbox(variant.name), rng, wall,
                                     time_column, faults)


def _generate(conn: Backend, feed: Feed, model: IngestionModel, scenario: Scenario, start: Millis, end: Millis,
              progress: Callable[[float], Any], wall: wallclock.WallTimes,
              on_chunk: Callable[[Millis], None], faults: Faults) -> np.ndarray:
    """Generate the workload in fixed chunks, the same for every variant; the events' source times, by event id - 1.

    Each chunk is handed to the ingestion model at its start; the model delivers its events at
    their flush or rotation times, all in the chunk or later, so nothing arrives early. `on_chunk(t)`
    is called with the clock at each chunk's start (the run reads the metering there).
    """
    workload = scenario.workload
    profile = workload.profile
    rng = np.random.default_rng(scenario.seed)
    times: list[np.ndarray] = []
    t = start
    reported = -1
    while t < end:
        chunk_end = min(t + CHUNK_MS, end)
        arrived = arrivals(rng, t, chunk_end, workload.rate, profile.peak_hours if profile else None,
                           profile.peak_factor if profile else 1.0)
        conn.clock.run_until(t)
        _stop_on_failed_load(model, scenario)
        faults.tick(conn)
        on_chunk(t)
        with wall("workload generation"):
            events = feed.batch(arrived)  # a feed may emit more events than arrivals (a new customer's profile)
        arriving = source_ms(events[feed.time_column])
        events = faults.late(events, feed.time_column, rng)
        if hasattr(feed, "send_late"):  # a custom workload's own late share
            events = feed.send_late(events)
        model.accept(events, t, arriving)
        times.append(source_ms(events[feed.time_column]))
        t = chunk_end
        percent = int(100 * (t - start) / (end - start))
        if percent != reported:
            progress(0.9 * (t - start) / (end - start))
            reported = percent
    conn.clock.run_until(end)
    _stop_on_failed_load(model, scenario)
    return np.concatenate(times) if times else np.empty(0, np.int64)


def _stop_on_failed_load(model: IngestionModel, scenario: Scenario) -> None:
    """A file the pipe cannot load loses its events (a pipe loads whole files or none): stop at the first one,
    not after the whole run."""
    if model.usage.failed_files:
        variant = model.variant
        raise RunError(
            f"{variant.name}: the pipe {scenario.pipeline.pipe} could not load {model.usage.failed_files[0]}; "
            f"its events would be lost. Does the pipe's FILE_FORMAT read the variant's file_format "
            f"({variant.file_format})?"
        )


def _drain(conn: Backend, model: IngestionModel, scenario: Scenario, deadline: Millis, faults: Faults) -> None:
    """Let in-flight deliveries land and every layer catch up, a minute at a time, up to the deadline.

    Every layer, not only gold: a layer beside gold's path (an SCD2 snapshot) may catch up later. A
    layer with no version fed by the landing table is not waited for (the report says it is untraced).
    """
    pipeline = scenario.pipeline
    while conn.clock.now() < deadline:
        conn.clock.run_until(min(conn.clock.now() + MINUTE_MS, deadline))
        _stop_on_failed_load(model, scenario)
        faults.tick(conn)
        if model.pending:
            continue
        landed = max((d.csn for d in model.deliveries if d.csn is not None), default=0)
        layers = metrics.layer_versions(conn.lineage.versions, pipeline.landing_table, pipeline.layers)
        marks = [layer.watermark for layer in layers.values() if len(layer.watermark)]
        if landed == 0 or (marks and all(m[-1] >= landed for m in marks)):
            return


def _measure(conn: Backend, scenario: Scenario, variant: Variant, model: IngestionModel, event_times: np.ndarray,
             start: Millis, end: Millis, steady: tuple[dict[str, float], float], faults: Faults) -> VariantResult:
    pipeline = scenario.pipeline
    cursor = conn.cursor()
    landed_ids = cursor.execute(f"SELECT event_id FROM {pipeline.landing_table}").fetch_arrow_all()
    landed = (
        landed_ids.column(0).to_numpy().astype(np.int64)
        if landed_ids is not None and landed_ids.num_rows
        else np.empty(0, np.int64)
    )
    events = len(event_times)
    duplicates, missing = _conservation(landed, events)
    event_csn = _event_csn(model.deliveries, events)
    dropped = np.zeros(events, dtype=bool)  # events an injected fault dropped by Snowflake's rules
    for ids in faults.dropped:
        dropped[ids[(ids >= 1) & (ids <= events)] - 1] = True
    # Events no delivery carried while the model still holds some were on their way when the drain ended.
    in_flight = min(missing, int(np.count_nonzero((event_csn == 0) & ~dropped))) if model.pending else 0
    layers = metrics.layer_versions(conn.lineage.versions, pipeline.landing_table, pipeline.layers)
    latency, samples, not_visible, untraced = {}, {}, {}, []
    sample = np.random.default_rng(0).permutation(events)[:20_000] if events > 20_000 else np.arange(events)
    for layer in pipeline.layers:
        if not len(layers[layer].watermark) and not _change_tracked(cursor, layer):
            untraced.append(layer)  # a tracked layer nothing ever reached is traced: every event missed it
        visible = metrics.visible_times(event_csn, layers[layer])
        lag = np.where((visible >= 0) & (event_csn > 0), visible - event_times, metrics.NEVER)
        latency[layer] = metrics.summary(lag)
        not_visible[layer] = int(np.count_nonzero((lag < 0) & ~dropped))
        chosen = lag[sample]
        samples[layer] = sorted(float(v) / 1000 for v in chosen[chosen >= 0])
    step = round(scenario.report.freshness_step * 1000)
    times, lag = metrics.freshness(layers[pipeline.layers[-1]], event_csn, event_times, start, conn.clock.now(), step)
    simulated = (end - start) / 1000
    ingestion = costs.ingestion_credits(variant.ingestion, model.usage, scenario.pricing)
    cost = costs.cost_summary(
        ingestion, _compute_credits(cursor, start), scenario.pricing, events, simulated, steady=steady
    )
    return VariantResult(
        name=variant.name, ingestion=variant.ingestion, description=variant.describe(), events=events,
        landed=len(landed), duplicates=duplicates, missing=missing,
        latency=latency, not_visible=not_visible, costs=cost,
        wall_seconds=0.0, simulated_seconds=simulated, latency_samples=samples,
        freshness={"seconds": [(t - start) / 1000 for t in times.tolist()],
                   "lag": [None if np.isnan(v) else round(float(v), 3) for v in lag.tolist()]},
        busy=_busy(cursor, start),
        warehouse_periods=[((a - start) / 1000, (b - start) / 1000, (c - start) / 1000)
                           for a, b, c in conn.warehouse_periods(scenario.warehouse.name) if b > start],
        untraced_layers=untraced,
        implied_landing=implied_landing(*variant.delay_chain()),
        failures=_injected(pipeline_failures(cursor), faults),
        in_flight=in_flight,
        dropped=int(dropped.sum()),
        faults=[{"at": (e.at - start) / 1000, "kind": e.kind, "what": e.what} for e in faults.timeline],
    )


def _injected(failures: list[dict], faults: Faults) -> list[dict]:
    """Mark the task failures the injected faults caused (reported, but not the pipeline's own)."""
    expected = faults.expected_failures()
    for failure in failures:
        caused = expected.get(failure["name"].upper(), 0)
        if failure["kind"] == "task" and caused and failure["count"] <= caused:
            failure["injected"] = True
    return failures


def _change_tracked(cursor: Any, layer: str) -> bool:
    """Whether `layer` records committed versions (change tracking on, or a dynamic table): only then does a
    layer no version of which reflects the landing table mean that no event reached it."""
    *scope, name = layer.split(".")
    where = f" IN SCHEMA {'.'.join(scope)}" if scope else ""
    try:
        cursor.execute(f"SHOW TABLES LIKE '{name.strip(chr(34))}'{where}")
        rows = cursor.fetchall()
        columns = [column.name for column in cursor.description]
    except Error:
        return False
    tracking, dynamic = columns.index("change_tracking"), columns.index("is_dynamic")
    return any(row[tracking] == "ON" or row[dynamic] == "Y" for row in rows)


def pipeline_failures(cursor: Any) -> list[dict]:
    """Every task run and dynamic-table refresh that failed, by object: how many, and the first error.

    Read from the account's own history (INFORMATION_SCHEMA.TASK_HISTORY, DYNAMIC_TABLE_REFRESH_HISTORY), as on
    Snowflake; a pipeline that fails every run must not pass for a healthy one.
    """
    found: dict[tuple[str, str], dict] = {}
    queries = (
        ("task", "SELECT NAME, ERROR_MESSAGE, SCHEDULED_TIME FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY("
                 "RESULT_LIMIT => 10000, ERROR_ONLY => TRUE)) ORDER BY SCHEDULED_TIME"),
        ("refresh", "SELECT NAME, STATE_MESSAGE, DATA_TIMESTAMP FROM TABLE(INFORMATION_SCHEMA."
                    "DYNAMIC_TABLE_REFRESH_HISTORY(RESULT_LIMIT => 10000, ERROR_ONLY => TRUE)) "
                    "ORDER BY DATA_TIMESTAMP"),
    )
    for kind, query in queries:
        for name, message, _at in cursor.execute(query).fetchall():
            entry = found.setdefault((kind, name), {"kind": kind, "name": name, "count": 0, "first_error": message})
            entry["count"] += 1
    return list(found.values())


def _conservation(landed: np.ndarray, events: int) -> tuple[int, int]:
    """(landed rows repeating an event id, events 1..`events` not landed). By sorting: NumPy's hash-based
    np.unique took 10.3 s for a day's 8.6M ids (NumPy 2.4.6), the sort 0.7 s."""
    ids = np.sort(landed)
    distinct = ids[np.concatenate(([True], ids[1:] != ids[:-1]))] if len(ids) else ids
    return len(ids) - len(distinct), events - int(np.count_nonzero((distinct >= 1) & (distinct <= events)))


def _event_csn(deliveries: list[Delivery], events: int) -> np.ndarray:
    """The landing CSN that delivered each event (indexed by event id - 1); 0 if none did."""
    csn = np.zeros(events, dtype=np.int64)
    for delivery in deliveries:
        ids = delivery.event_ids
        csn[ids[(ids >= 1) & (ids <= events)] - 1] = delivery.csn or 0
    return csn


def _compute_credits(cursor: Any, start: Millis) -> dict[str, float]:
    since = f"TO_TIMESTAMP_LTZ({start // 1000})"
    warehouse = cursor.execute(
        f"SELECT COALESCE(SUM(CREDITS_USED), 0) FROM TABLE(INFORMATION_SCHEMA.WAREHOUSE_METERING_HISTORY("
        f"DATE_RANGE_START => {since}))").fetchone()[0]
    serverless = cursor.execute(
        f"SELECT COALESCE(SUM(CREDITS_USED), 0) FROM TABLE(INFORMATION_SCHEMA.SERVERLESS_TASK_HISTORY("
        f"DATE_RANGE_START => {since}))").fetchone()[0]
    return {"warehouse": float(warehouse), "serverless tasks": float(serverless)}


class _SteadyCompute:
    """Compute credits between the end of the warm-up (the first quarter of the workload: the first file
    lands, the first task runs) and the producer's stop: the steady state a monthly rate scales
    (costs.cost_summary). Read from the metering views as the clock passes each point."""

    def __init__(self, cursor: Any, start: Millis, *, warmed_up: Millis) -> None:
        self.cursor, self.start, self.warmed_up = cursor, start, warmed_up
        self._at_warm_up: tuple[dict[str, float], Millis] | None = None

    def observe(self, now: Millis) -> None:
        if self._at_warm_up is None and now >= self.warmed_up:
            self._at_warm_up = (_compute_credits(self.cursor, self.start), now)

    def since_warm_up(self, end: Millis) -> tuple[dict[str, float], float]:
        before, since = self._at_warm_up or ({}, self.start)
        now = _compute_credits(self.cursor, self.start)
        return {name: credits - before.get(name, 0.0) for name, credits in now.items()}, (end - since) / 1000


def _busy(cursor: Any, start: Millis) -> list[tuple[float, float, str]]:
    """Task runs and refreshes as (start s, end s, what) from the run's start: the warehouse activity chart."""
    rows = cursor.execute(
        "SELECT QUERY_START_TIME, COMPLETED_TIME, NAME FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => "
        "10000)) "
        "WHERE STATE IN ('SUCCEEDED', 'FAILED') "
        "UNION ALL SELECT REFRESH_START_TIME, REFRESH_END_TIME, NAME FROM "
        "TABLE(INFORMATION_SCHEMA.DYNAMIC_TABLE_REFRESH_HISTORY(RESULT_LIMIT => 10000)) "
        "WHERE STATE = 'SUCCEEDED' AND REFRESH_ACTION <> 'NO_DATA'").fetchall()
    return sorted(
        ((to_millis(a) - start) / 1000, (to_millis(b) - start) / 1000, name) for a, b, name in rows if a and b
    )


def by_activity(seconds: dict[str, float], wall: float) -> dict[str, float]:
    """Seconds by activity, largest first, with what no activity claimed (the clock, the models, Python) as "other"."""
    shares = dict(sorted(((k, round(v, 3)) for k, v in seconds.items()), key=lambda item: -item[1]))
    shares["other"] = round(max(wall - sum(seconds.values()), 0.0), 3)
    return shares
