"""Snowpipe: the producer writes files, stages them, a notification queues them, the pipe loads them.

The chain, per file (R40-R43): rotate (every `rotate_every`, or at `max_file_mb`) -> PUT to the
stage -> notification after `notification_delay` -> the pipe's queue -> load, oldest first, one at a
time, taking `load_overhead` + size / `load_mb_per_second`. Files are real JSON (newline-delimited)
or CSV files under the run's folder. Billing: 0.0037 credits per GB (text at uncompressed size), or
the legacy model's compute plus 0.06 credits per 1,000 files (R45-R49).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from backends.base import Backend
from backends.clock import Millis
from sim.faults import Faults
from sim.ingest.base import Delivery, Usage, sample_seconds, split_at_boundaries
from sim.scenario import SnowpipeVariant


class SnowpipeModel:
    """A producer rotating files into a stage, and the pipe's load queue on the virtual clock."""

    def __init__(self, variant: SnowpipeVariant, backend: Backend, stage: str, pipe: str, outbox: Path,
                 rng: np.random.Generator, activity: Callable[[str], AbstractContextManager] | None = None,
                 time_column: str = "source_ts", faults: Faults | None = None) -> None:
        self.variant = variant
        #: Injected faults it plays: repeated notifications, files with a bad record.
        self.faults = faults
        #: Told when the producer writes and PUTs a file (the harness times it); None: nobody asks.
        self.activity = activity or (lambda kind: contextlib.nullcontext())
        self.backend = backend
        self.stage = stage
        self.pipe = pipe
        self.outbox = outbox
        self.rng = rng
        #: The events' column with their source time (epoch ms, or a timestamp).
        self.time_column = time_column
        outbox.mkdir(parents=True, exist_ok=True)
        self.step_ms = round(1000 * variant.rotate_every)
        self.deliveries: list[Delivery] = []
        self.usage = Usage()
        self._origin: Millis | None = None
        #: Rows of each file still open, by its rotation time.
        self._files: dict[Millis, list[pa.Table]] = {}
        self._sequence = 0
        self._queue: deque[tuple[str, np.ndarray, int]] = deque()
        #: Files written with a bad record on purpose (a fault), by staged name.
        self._corrupted: set[str] = set()
        self._loading = False
        self._in_flight = 0

    @property
    def pending(self) -> int:
        """Files still open, or written but not loaded yet."""
        return self._in_flight + len(self._files)

    def accept(self, events: pa.Table, now: Millis, arrivals: np.ndarray | None = None) -> None:
        """Take the events of the next workload chunk (all arriving at or after `now`, at `arrivals`, else at
        their source times) into the files they belong to.

        A file rotates at its time, or earlier when it reaches `max_file_mb` (sized by its Arrow bytes):
        then at the time of the event that filled it.
        """
        if self._origin is None:
            self._origin = now
        limit = self.variant.max_file_mb * 1e6 if self.variant.max_file_mb else None
        for rotate_at, rows in split_at_boundaries(events, self._origin, self.step_ms, self.time_column, arrivals):
            if rotate_at not in self._files:
                self._files[rotate_at] = []
                self.backend.clock.schedule(rotate_at, lambda at=rotate_at: self._rotate(at))
            self._files[rotate_at].append(rows)
            while limit and sum(t.nbytes for t in self._files[rotate_at]) >= limit:
                self._cut(rotate_at, limit)

    def _cut(self, rotate_at: Millis, limit: float) -> None:
        """Close a full file early: the rows up to the size limit, written when the last of them arrives."""
        rows = pa.concat_tables(self._files[rotate_at])
        count = max(1, int(limit // max(1, rows.nbytes // max(1, rows.num_rows))))
        full, rest = rows.slice(0, count), rows.slice(count)
        self._files[rotate_at] = [rest] if rest.num_rows else []
        # When its last row arrived, but not before now: a file that fills with this chunk may end within rows
        # of an earlier one (the cut is sized by the rows' mean width).
        filled_at = max(int(pc.cast(full[self.time_column][-1:], pa.int64())[0].as_py()), self.backend.clock.now())
        self._in_flight += 1  # counted from now: the write is scheduled
        self.backend.clock.schedule(filled_at, lambda: self._write(full, filled_at, scheduled=True))

    def finish(self, now: Millis) -> None:
        """The workload stopped; files still open rotate at their scheduled times."""

    def _rotate(self, at: Millis) -> None:
        parts = self._files.pop(at)
        if parts:
            self._write(pa.concat_tables(parts), at)

    def _write(self, rows: pa.Table, now: Millis, *, scheduled: bool = False) -> None:
        self._sequence += 1
        if not scheduled:
            self._in_flight += 1
        name = f"{self.variant.name}-{self._sequence:06d}.{self.variant.file_format}"
        path = self.outbox / name
        with self.activity("Snowpipe producer: write and PUT files"):
            if self.variant.file_format == "json":
                pl.from_arrow(rows).write_ndjson(path)
            else:
                pa_csv.write_csv(rows, path, pa_csv.WriteOptions(include_header=False))
            if self.faults is not None and self.faults.bad_record(now):
                with path.open("a") as file:  # a record the pipe cannot read: not JSON, or a number that is not one
                    file.write('{"event_id": "one", \n' if self.variant.file_format == "json" else "one,\n")
                self._corrupted.add(name + ".gz")
                self.faults.note(now, "bad_records", f"file {name} written with a bad record after its "
                                 f"{rows.num_rows:,} events")
            # Parameters bind only values; a file path in PUT is part of the statement, quoted here.
            self.backend.cursor().execute(f"PUT 'file://{path.as_posix()}' @{self.stage}")
        staged = name + ".gz"
        notified = now + round(1000 * sample_seconds(self.variant.notification_delay, self.rng))
        size = path.stat().st_size
        self.backend.clock.schedule(notified, lambda: self._notify(staged, rows["event_id"].to_numpy(), size))

    def _notify(self, staged: str, event_ids: np.ndarray, size: int) -> None:
        self.backend.insert_files(self.pipe, [staged])
        self._queue.append((staged, event_ids, size))
        if not self._loading:
            self._start_load()

    def _notify_again(self, staged: str, size: int) -> None:
        """A repeated notification (a fault): the pipe queues the file again only if it has forgotten it."""
        if self.backend.insert_files(self.pipe, [staged]):
            self._in_flight += 1
            self._queue.append((staged, np.empty(0, np.int64), size))
            if not self._loading:
                self._start_load()
            return
        self.faults.note(self.backend.clock.now(), "duplicate_notifications",
                         f"notification of {staged} repeated; the pipe had it already and ignored it")

    def _start_load(self) -> None:
        _, _, size = self._queue[0]
        seconds = sample_seconds(self.variant.load_overhead, self.rng) + size / 1e6 / self.variant.load_mb_per_second
        self._loading = True
        self.usage.load_seconds += seconds
        self.backend.clock.schedule(self.backend.clock.now() + round(1000 * seconds), self._finish_load, priority=-1)

    def _finish_load(self) -> None:
        staged, event_ids, _ = self._queue.popleft()
        self._in_flight -= 1
        record = self.backend.load_next_file(self.pipe)
        now = self.backend.clock.now()
        if record is None and not len(event_ids) and self.faults is not None:
            self.faults.note(now, "duplicate_notifications", f"notification of {staged} repeated after its load; "
                             "the pipe's load history skipped it (loaded once)")
        if record is not None:
            self.usage.files += 1
            if record.status == "Loaded":
                self.usage.bytes_billed += record.bytes_billed
                self.deliveries.append(Delivery(event_ids, record.csn, record.last_load_time))
            elif staged in self._corrupted:  # the fault's file: its events are lost by the pipe's ON_ERROR
                self.faults.dropped.append(event_ids)
                self.faults.note(now, "bad_records", f"the pipe did not load {staged} ({record.first_error_message}):"
                                 f" its {len(event_ids):,} events are dropped, as ON_ERROR ABORT_STATEMENT or "
                                 "SKIP_FILE does on Snowflake")
            else:
                self.usage.failed_files.append(f"{staged}: {record.first_error_message}")
            if len(event_ids) and self.faults is not None and self.faults.repeat_notification(now):
                self._notify_again(staged, record.file_size)
        self._loading = False
        if self._queue:
            self._start_load()
