"""Tasks on the virtual clock: schedules, triggers, graphs, retries, history.

Rules from https://docs.snowflake.com/en/user-guide/tasks-intro and .../create-task (section 2 of
the semantics). A run scheduled at T:

1. evaluates its WHEN condition without a warehouse; FALSE gives a SKIPPED run whose dependents
   do not run;
2. waits for compute: its warehouse (resumed if suspended, a slot if busy) or, serverless, the
   modelled start delay; QUERY_START_TIME - SCHEDULED_TIME shows that queueing;
3. executes its statements at QUERY_START_TIME, each in its own transaction, and occupies the
   compute for the modelled duration (warehouses.CostModel); a statement that would pass
   USER_TASK_TIMEOUT_MS is rolled back and the run FAILS;
4. completes at COMPLETED_TIME, when its children (AFTER) whose predecessors all succeeded are
   scheduled, a failure is retried (TASK_AUTO_RETRY_ATTEMPTS) or counted towards
   SUSPEND_TASK_AFTER_NUM_FAILURES.

Only one run of a graph executes at a time (OVERLAP_POLICY NO_OVERLAP): a scheduled time that
arrives while the previous run is still going is skipped. Triggered tasks (WHEN without
SCHEDULE) run when a stream they test receives data, at most every
USER_TASK_MINIMUM_TRIGGER_INTERVAL_IN_SECONDS (30 by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from backends.clock import Millis, Scheduled
from backends.duckdb.catalog.objects import CatalogObject, Stream, Table, stream_sources
from backends.duckdb.catalog.warehouses import CREDITS_PER_HOUR, WarehouseSuspended
from backends.duckdb.compile.context import AccountLike, SessionLike
from backends.duckdb.maintenance.stream_changes import has_data
from backends.duckdb.objects.tasks.schedules import Schedule
from backends.duckdb.sql.names import QualifiedName
from backends.errors import Error

#: Serverless tasks bill compute-hours at this multiplier (Consumption Table, section 6.2).
SERVERLESS_TASK_MULTIPLIER = 0.9
#: A serverless task's size before Snowflake has history to size it from.
DEFAULT_SERVERLESS_SIZE = "MEDIUM"
TRANSACTION_WORDS = ("BEGIN", "START", "COMMIT", "ROLLBACK")


@dataclass(eq=False)
class Task(CatalogObject):
    kind: ClassVar[str] = "TASK"
    warehouse: str | None = None
    initial_size: str | None = None
    schedule: Schedule | None = None
    predecessors: list[QualifiedName] = field(default_factory=list)
    condition: str | None = None
    condition_streams: list[QualifiedName] = field(default_factory=list)
    definition: str = ""
    statements: list[str] = field(default_factory=list)
    state: str = "suspended"
    suspend_after_failures: int = 10
    auto_retry_attempts: int = 0
    timeout_ms: int = 3_600_000
    min_trigger_interval_ms: int = 30_000
    target_completion_interval: str | None = None
    overlap_policy: str = "NO_OVERLAP"
    finalize: QualifiedName | None = None
    config: str | None = None
    consecutive_failures: int = 0
    resumed_at: Millis | None = None
    last_suspended_on: Millis | None = None
    last_suspended_reason: str | None = None

    @property
    def id(self) -> str:
        return f"01{self.uid:06x}-0000-0000-0000-000000000000"

    @property
    def triggered(self) -> bool:
        return self.schedule is None and not self.predecessors and self.finalize is None and self.condition is not None


@dataclass
class TaskRun:
    """One row of TASK_HISTORY."""

    name: str
    database: str
    schema: str
    task_uid: int
    query_text: str
    condition_text: str | None
    scheduled_time: Millis
    scheduled_from: str
    run_id: Millis
    root_task_id: str
    graph_run_group_id: str
    attempt_number: int = 1
    state: str = "SCHEDULED"
    query_id: str | None = None
    query_start_time: Millis | None = None
    completed_time: Millis | None = None
    next_scheduled_time: Millis | None = None
    error_code: str | None = None
    error_message: str | None = None
    rows: int = 0


@dataclass
class GraphRun:
    """One run of a task graph, from its root's scheduled time to its last task."""

    group_id: str
    root: Task
    run_id: Millis
    pending: int = 0
    succeeded: set[int] = field(default_factory=set)
    #: Children started in this run (a child is reached from each of its predecessors).
    started: set[int] = field(default_factory=set)
    failed: bool = False


@dataclass
class ServerlessUsage:
    """Compute one serverless task run used, billed per second at the serverless multiplier."""

    task_uid: int
    task_id: str
    name: str
    database: str
    schema: str
    start: Millis
    end: Millis
    size: str

    @property
    def credits(self) -> float:
        seconds = math.ceil((self.end - self.start) / 1000)
        return CREDITS_PER_HOUR[self.size] * seconds / 3600 * SERVERLESS_TASK_MULTIPLIER


class TaskScheduler:
    """Runs an account's tasks on its virtual clock."""

    def __init__(self, account: AccountLike) -> None:
        self.account = account
        self.history: list[TaskRun] = []
        self.serverless_usage: list[ServerlessUsage] = []
        self._next: dict[int, tuple[Scheduled, TaskRun]] = {}
        self._graphs: dict[int, GraphRun] = {}  # root uid -> the graph run in progress
        self._trigger_pending: set[int] = set()
        self._last_trigger: dict[int, Millis] = {}
        self._queued_executes: dict[int, list[TaskRun]] = {}
        self._graph_counter = 0

    # --- catalog lookups -------------------------------------------------------------------------

    def tasks(self) -> list[Task]:
        return [
            o for db in self.account.catalog.databases.values() for s in db.schemas.values() for o in s.tasks.values()
        ]

    def task(self, name: QualifiedName) -> Task | None:
        schema = self.account.catalog.schema(name.database, name.schema)
        return schema.tasks.get(name.name) if schema else None

    def children(self, task: Task) -> list[Task]:
        return [t for t in self.tasks() if task.name in t.predecessors]

    def root_of(self, task: Task) -> Task:
        seen = set()
        while task.predecessors and task.uid not in seen:
            seen.add(task.uid)
            parent = self.task(task.predecessors[0])
            if parent is None:
                break
            task = parent
        return task

    # --- state changes -------------------------------------------------------------------------

    def resume(self, task: Task) -> None:
        now = self.account.clock.now()
        task.state = "started"
        task.resumed_at = now
        if task.schedule is not None and not task.predecessors:
            self._plan_next(task, after=now)
        elif task.triggered:
            self._consider_trigger(task)

    def suspend(self, task: Task, reason: str | None = None) -> None:
        task.state = "suspended"
        task.last_suspended_on = self.account.clock.now()
        task.last_suspended_reason = reason
        pending = self._next.pop(task.uid, None)
        if pending is not None:
            pending[0].cancel()
            if pending[1] in self.history:
                self.history.remove(pending[1])
        self._trigger_pending.discard(task.uid)

    def forget(self, task: Task) -> None:
        """A dropped or replaced task: stop everything scheduled for it."""
        self.suspend(task)
        self.account.end_session_for(task)

    def on_commit(self, tables: set[Table]) -> None:
        """Tables changed: triggered tasks watching them may run."""
        if not tables:
            return
        for task in self.tasks():
            if task.state == "started" and task.triggered and self._watches(task, tables):
                self._consider_trigger(task)

    # --- scheduling ----------------------------------------------------------------------------

    def _plan_next(self, task: Task, after: Millis) -> None:
        """Schedule a root task's next run and show it in TASK_HISTORY as SCHEDULED."""
        assert task.schedule is not None
        at = task.schedule.next_after(after, anchor=task.resumed_at)
        record = self._record(task, at, "SCHEDULE", run_id=at)
        handle = self.account.clock.schedule(at, lambda: self._fire_scheduled(task, record))
        self._next[task.uid] = (handle, record)
        self.history.append(record)

    def _fire_scheduled(self, task: Task, record: TaskRun) -> None:
        self._next.pop(task.uid, None)
        now = self.account.clock.now()
        if task.state != "started":
            return
        self._plan_next(task, after=now)
        record.next_scheduled_time = self._next[task.uid][1].scheduled_time if task.uid in self._next else None
        if task.uid in self._graphs and task.overlap_policy == "NO_OVERLAP":
            self.history.remove(record)  # the previous run is still going: this scheduled time is skipped
            return
        self._start_graph(task, record)

    def execute(self, task: Task) -> None:
        """EXECUTE TASK: run now, even when suspended; after the current run if one is going."""
        now = self.account.clock.now()
        record = self._record(task, now, "EXECUTE_TASK", run_id=now)
        self.history.append(record)
        graph = self._graphs.get(task.uid)
        if graph is None:
            self._start_graph(task, record)
        else:
            self._queued_executes.setdefault(task.uid, []).append(record)

    def _consider_trigger(self, task: Task) -> None:
        if task.uid in self._trigger_pending or task.uid in self._graphs:
            return
        now = self.account.clock.now()
        if not any(has_data(stream, now) for stream in self._condition_streams(task)):
            return
        at = max(now, self._last_trigger.get(task.uid, -(10**15)) + task.min_trigger_interval_ms)
        self._trigger_pending.add(task.uid)
        record = self._record(task, at, "TRIGGER", run_id=at)
        self.history.append(record)

        def fire() -> None:
            self._trigger_pending.discard(task.uid)
            if task.state != "started":
                self.history.remove(record)
                return
            self._last_trigger[task.uid] = record.scheduled_time
            self._start_graph(task, record)

        self.account.clock.schedule(at, fire)

    def _start_graph(self, root: Task, record: TaskRun) -> None:
        self._graph_counter += 1
        graph = GraphRun(f"{record.run_id:x}-{self._graph_counter:08x}", root, record.run_id)
        record.graph_run_group_id = graph.group_id
        self._graphs[root.uid] = graph
        self._run(root, record, graph)

    # --- one run -------------------------------------------------------------------------------

    def _record(self, task: Task, at: Millis, source: str, *, run_id: Millis, attempt: int = 1) -> TaskRun:
        root = self.root_of(task)
        return TaskRun(
            task.name.name, task.name.database, task.name.schema, task.uid, task.definition, task.condition, at, source,
            run_id=run_id, root_task_id=root.id, graph_run_group_id="", attempt_number=attempt,
        )

    def _run(self, task: Task, record: TaskRun, graph: GraphRun) -> None:
        """Evaluate WHEN, then queue for compute; the statements run when it is granted."""
        graph.pending += 1
        now = self.account.clock.now()
        session = self._session(task)
        if task.condition is not None:
            try:
                passes = bool(session.execute(f"SELECT ({task.condition})").fetchall()[0][0])
            except Error as error:
                self._finish(task, record, graph, error=error)
                return
            if not passes:
                record.state = "SKIPPED"
                record.completed_time = now
                graph.failed = True  # dependents do not run
                self._close(task, graph)
                return
        record.state = "EXECUTING"
        try:
            start = self._admit(task, now)
        except WarehouseSuspended as error:
            self._finish(task, record, graph, message=str(error), code="000606")
            return
        if start > now:
            self.account.clock.schedule(start, lambda: self._execute(task, record, graph))
        else:
            self._execute(task, record, graph)

    def _admit(self, task: Task, at: Millis) -> Millis:
        model = self.account.cost_model
        if task.warehouse is None:
            return at + model.serverless_start_ms
        warehouse = self.account.warehouses.get(task.warehouse)
        if warehouse is None:
            raise WarehouseSuspended(task.warehouse)
        return warehouse.admit(at, model, self.account.clock)

    def _execute(self, task: Task, record: TaskRun, graph: GraphRun) -> None:
        clock = self.account.clock
        start = clock.now()
        session = self._session(task)
        record.query_start_time = start
        size = self._size(task)
        model = self.account.cost_model
        elapsed, rows, failure = 0, 0, None
        wrap = not any(s.lstrip().upper().startswith(TRANSACTION_WORDS) for s in task.statements)
        mark = self.account.lineage.mark()
        with self.account.activity("task", task.name.name):
            for statement in task.statements:
                try:
                    if wrap:
                        session.begin()
                    result = session.execute(statement)
                    record.query_id = record.query_id or session.last_query_id
                    count = max(result.rowcount or 0, 0)
                    cost = model.duration_ms(size, count)
                    if elapsed + cost > task.timeout_ms:
                        session.rollback()
                        elapsed = task.timeout_ms
                        failure = ("000630", "Statement reached its statement or warehouse timeout of "
                                             f"{task.timeout_ms // 1000} second(s) and was canceled.")
                        break
                    if wrap:
                        session.commit()
                    elapsed += cost
                    rows += count
                except Error as error:
                    session.rollback()
                    elapsed += model.overhead_ms
                    failure = (f"{error.errno:06d}" if error.errno >= 0 else "100000", error.msg)
                    break
        record.rows = rows
        end = start + max(elapsed, model.overhead_ms)
        self.account.lineage.settle(mark, end)
        self._occupy(task, start, end, size)
        code, message = failure if failure else (None, None)
        clock.schedule(end, lambda: self._finish(task, record, graph, code=code, message=message), priority=5)

    def _occupy(self, task: Task, start: Millis, end: Millis, size: str) -> None:
        if task.warehouse is None:
            name = task.name
            self.serverless_usage.append(
                ServerlessUsage(task.uid, task.id, name.name, name.database, name.schema, start, end, size)
            )
            return
        warehouse = self.account.warehouses.get(task.warehouse)
        if warehouse is not None:
            warehouse.occupy(start, end, self.account.clock)

    def _size(self, task: Task) -> str:
        if task.warehouse is None:
            return task.initial_size or DEFAULT_SERVERLESS_SIZE
        warehouse = self.account.warehouses.get(task.warehouse)
        return warehouse.size if warehouse is not None else "XSMALL"

    def _finish(
        self, task: Task, record: TaskRun, graph: GraphRun, *, error: Error | None = None,
        code: str | None = None, message: str | None = None,
    ) -> None:
        now = self.account.clock.now()
        record.completed_time = now
        if error is not None:
            code, message = (f"{error.errno:06d}" if error.errno >= 0 else "100000"), error.msg
        root = graph.root
        if message is None:
            record.state = "SUCCEEDED"
            root.consecutive_failures = 0
            graph.succeeded.add(task.uid)
            self._start_children(task, graph, now)
        else:
            record.state = "FAILED"
            record.error_code, record.error_message = code, message
            if record.attempt_number <= root.auto_retry_attempts:
                retry = self._record(
                    task, now, "AUTOMATIC RETRY", run_id=graph.run_id, attempt=record.attempt_number + 1
                )
                retry.graph_run_group_id = graph.group_id
                self.history.append(retry)
                graph.pending -= 1
                self._run(task, retry, graph)
                return
            graph.failed = True
            root.consecutive_failures += 1
            limit = root.suspend_after_failures
            if limit and root.consecutive_failures >= limit and root.state == "started":
                record.state = "FAILED_AND_AUTO_SUSPENDED"
                self.suspend(root, reason="SUSPENDED_DUE_TO_ERRORS")
        self._close(task, graph)

    def _start_children(self, task: Task, graph: GraphRun, now: Millis) -> None:
        """Run the children of a task that succeeded once all their predecessors have.

        A suspended child is skipped and "the task graph continues to run as though the child task had
        succeeded"; a child of several predecessors runs when at least one of them is resumed and all
        resumed ones succeeded (https://docs.snowflake.com/en/user-guide/tasks-graphs, suspended child tasks).
        """
        for child in self.children(task):
            if child.uid in graph.succeeded or child.uid in graph.started:
                continue
            if child.state != "started":
                graph.succeeded.add(child.uid)
                self._start_children(child, graph, now)
                continue
            predecessors = [p for p in map(self.task, child.predecessors) if p is not None]
            resumed = [p for p in predecessors if p.state == "started" or p is graph.root]
            if (resumed or len(predecessors) == 1) and all(p.uid in graph.succeeded for p in predecessors):
                graph.started.add(child.uid)
                child_record = self._record(child, now, "SCHEDULE", run_id=graph.run_id)
                child_record.graph_run_group_id = graph.group_id
                self.history.append(child_record)
                self._run(child, child_record, graph)

    def _close(self, task: Task, graph: GraphRun) -> None:
        graph.pending -= 1
        if graph.pending > 0:
            return
        root = graph.root
        self._graphs.pop(root.uid, None)
        queued = self._queued_executes.get(root.uid)
        if queued:
            self._start_graph(root, queued.pop(0))
        elif root.triggered and root.state == "started":
            self._consider_trigger(root)

    # --- helpers -------------------------------------------------------------------------------

    def _session(self, task: Task) -> SessionLike:
        session = self.account.session_for(task, task.warehouse)
        # A failing statement fails the run and rolls its transaction back: there is no earlier
        # work of the transaction to keep, so the bind-first check (a second compile) is not needed.
        session.bind_checks = False
        return session

    def _condition_streams(self, task: Task) -> list[Stream]:
        streams = [self.account.catalog.get(name) for name in task.condition_streams]
        return [s for s in streams if isinstance(s, Stream)]

    def _watches(self, task: Task, tables: set[Table]) -> bool:
        return any(t in tables for stream in self._condition_streams(task) for t in stream_sources(stream))
