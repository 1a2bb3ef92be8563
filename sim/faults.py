"""Faults a scenario injects into a variant's run, and what became of each: the report's fault timeline.

A task's failures go through SQL, as a user would cause them on Snowflake: the task is suspended, its body
replaced by one that fails, resumed, and restored once it has failed its runs. The others are the ingestion
models' and the workload's to play (a repeated notification, a file with a bad record, a client crash between
append and commit, events whose source time is late); each asks `Faults` whether it strikes now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from backends.clock import Millis
from backends.errors import Error
from sim.scenario import BadRecords, ClientCrash, DuplicateNotifications, Fault, LateEvents, TaskFailures
from sim.workloads.rows import source_ms, with_source_ms

#: A task body that fails at every run (Snowflake: "Division by zero").
FAILING_BODY = "SELECT 1 / 0"


class FaultError(Exception):
    """A fault could not be injected (the task it names cannot be altered)."""


@dataclass
class TimelineEntry:
    at: Millis
    kind: str
    what: str


@dataclass
class _Broken:
    """A task whose body was replaced, until it has failed `runs` runs."""

    fault: TaskFailures
    since: Millis
    definition: str
    failed: int = 0
    restored: bool = False


@dataclass
class Faults:
    """The faults striking one variant's run, scheduled from its start; what happened is in `timeline`."""

    specs: list[Fault]
    start: Millis
    timeline: list[TimelineEntry] = field(default_factory=list)
    #: Events the injected faults dropped by Snowflake's own rules (a pipe skipping a file with a bad record).
    dropped: list[np.ndarray] = field(default_factory=list)
    _left: dict[int, int] = field(default_factory=dict)  # per fault, strikes left
    _broken: list[_Broken] = field(default_factory=list)
    _late: dict[int, tuple[Millis, int]] = field(default_factory=dict)  # per late-events fault: first, count

    def __post_init__(self) -> None:
        for index, fault in enumerate(self.specs):
            self._left[index] = getattr(fault, "files", 1)

    def note(self, at: Millis, kind: str, what: str) -> None:
        self.timeline.append(TimelineEntry(at, kind, what))

    def _due(self, kind: type, now: Millis) -> Fault | None:
        """The first fault of `kind` that has struck by `now` and has strikes left; it uses one."""
        for index, fault in enumerate(self.specs):
            if isinstance(fault, kind) and self._left[index] > 0 and now >= self.start + round(fault.at * 1000):
                self._left[index] -= 1
                return fault
        return None

    # --- tasks, through SQL ------------------------------------------------------------------------

    def schedule(self, conn: Any) -> None:
        """Put the task failures on the clock."""
        for fault in self.specs:
            if isinstance(fault, TaskFailures):
                at = self.start + round(fault.at * 1000)
                conn.clock.schedule(at, lambda fault=fault, at=at: self._break(conn, fault, at))

    def _break(self, conn: Any, fault: TaskFailures, at: Millis) -> None:
        cursor = conn.cursor()
        rows = cursor.execute(f"SHOW TASKS LIKE '{fault.task}'").fetchall()
        names = [c.name for c in cursor.description]
        if not rows:
            self.note(at, "task_failures", f"no task {fault.task} to fail: nothing injected")
            return
        definition = rows[0][names.index("definition")]
        _alter(cursor, fault.task, f"MODIFY AS {FAILING_BODY}")
        self._broken.append(_Broken(fault, at, definition))
        self.note(at, "task_failures", f"task {fault.task.upper()} made to fail its next {fault.runs} run(s)")

    def tick(self, conn: Any) -> None:
        """Between steps of the run: restore each broken task once it has failed its runs."""
        for broken in self._broken:
            if broken.restored:
                continue
            cursor = conn.cursor()
            broken.failed = cursor.execute(
                "SELECT COUNT(*) FROM TABLE(INFORMATION_SCHEMA.TASK_HISTORY(RESULT_LIMIT => 10000, "
                f"TASK_NAME => '{broken.fault.task}', ERROR_ONLY => TRUE)) "
                f"WHERE SCHEDULED_TIME >= TO_TIMESTAMP_LTZ({broken.since // 1000})").fetchone()[0]
            if broken.failed >= broken.fault.runs:
                _alter(cursor, broken.fault.task, f"MODIFY AS {broken.definition}")
                broken.restored = True
                self.note(conn.clock.now(), "task_failures", f"task {broken.fault.task.upper()} restored after "
                          f"{broken.failed} failed run(s); its next run takes up what they left")

    def expected_failures(self) -> dict[str, int]:
        """Task name -> the failed runs the faults caused (not the pipeline's own failures)."""
        return {b.fault.task.upper(): b.failed for b in self._broken}

    # --- what the ingestion models and the workload ask ----------------------------------------------

    def repeat_notification(self, now: Millis) -> bool:
        return self._due(DuplicateNotifications, now) is not None

    def bad_record(self, now: Millis) -> bool:
        return self._due(BadRecords, now) is not None

    def crash_after_append(self, now: Millis) -> bool:
        return self._due(ClientCrash, now) is not None

    def late(self, events: pa.Table, time_column: str, rng: np.random.Generator) -> pa.Table:
        """`events` with the late share's source times moved back, for each late-events fault whose window
        the events fall in (they still arrive when they arrive: the models deliver by arrival)."""
        for index, fault in enumerate(self.specs):
            if not isinstance(fault, LateEvents) or events.num_rows == 0:
                continue
            begin = self.start + round(fault.at * 1000)
            times = source_ms(events[time_column])
            window = (times >= begin) & (times < begin + round(fault.window * 1000))
            chosen = window & (rng.random(len(times)) < fault.share)
            if not chosen.any():
                continue
            lateness = np.zeros(len(times), np.int64)
            lateness[chosen] = np.round(fault.by.draws(rng, int(chosen.sum())) * 1000)
            events = with_source_ms(events, time_column, times - lateness)
            first, count = self._late.get(index, (int(times[chosen][0]), 0))
            self._late[index] = (first, count + int(chosen.sum()))
        return events

    def finish(self) -> None:
        """The workload stopped: the late events go into the timeline, one line a fault."""
        for index, (first, count) in self._late.items():
            fault = self.specs[index]
            self.note(first, "late_events", f"{count:,} event(s) sent with a source time older than their "
                      f"arrival by {fault.by.describe()}, over {fault.window:g} s")
        self.timeline.sort(key=lambda entry: entry.at)


def _alter(cursor: Any, task: str, change: str) -> None:
    """ALTER TASK ... <change> with the task suspended, as Snowflake requires of a task's definition."""
    for statement in (f"ALTER TASK {task} SUSPEND", f"ALTER TASK {task} {change}", f"ALTER TASK {task} RESUME"):
        try:
            cursor.execute(statement)
        except Error as error:
            raise FaultError(f"faults: task_failures: {statement}: {error}") from error
