"""Snowpipe Streaming, classic and high-performance: a client buffer flushed on a cadence, then committed.

- Classic (R60-R66): the SDK flushes its buffer every MAX_CLIENT_LAG (default 1 s); blob persist and
  the commit come on top (`commit_latency`). Billed per active client-hour (0.01 credits) plus file
  migration compute.
- High-performance (R70-R74): rows flow through the table's pipe; "ingest to query latencies within 5
  to 10 seconds" (`ingest_to_query`). Billed 0.0037 credits per uncompressed GB of values.
Commits of one channel happen in order, and each carries the offset token of its last event, so a
reopened channel resumes exactly once. Rows go to the backend as Arrow, never as SQL text.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from backends.base import Backend
from backends.clock import Millis, Scheduled
from sim.faults import Faults
from sim.ingest.base import Delivery, Usage, sample_seconds, split_at_boundaries, value_bytes
from sim.scenario import StreamingClassicVariant, StreamingHighPerformanceVariant

#: How long a restarted client takes to reopen its channels (INFERRED: a client start and an open call).
RECONNECT_MS = 5_000


class StreamingModel:
    """One client per channel; events are spread over channels by key, so each key's changes stay in order.

    A client restart (`restarts`) loses what the client had not committed; the client reopens its
    channel, reads the latest committed offset token and sends again every event after it, as a
    Kafka connector replays its partition from the committed offset: nothing lost, nothing twice.
    """

    def __init__(self, variant: StreamingClassicVariant | StreamingHighPerformanceVariant, backend: Backend,
                 landing_table: str, key: str, rng: np.random.Generator, time_column: str = "source_ts",
                 faults: Faults | None = None) -> None:
        self.variant = variant
        #: Injected faults it plays: a client crash between append and commit.
        self.faults = faults
        self.backend = backend
        self.rng = rng
        #: The events' column with their source time (epoch ms, or a timestamp).
        self.time_column = time_column
        self.classic = isinstance(variant, StreamingClassicVariant)
        self.key = key
        self.landing_table = landing_table
        clients = variant.clients if self.classic else 1
        self.step_ms = round(1000 * (variant.max_client_lag if self.classic else variant.flush_every))
        self.channels = [backend.open_channel(landing_table, self._channel_name(i)) for i in range(clients)]
        self.last_commit: list[Millis] = [0] * clients
        self.deliveries: list[Delivery] = []
        self.usage = Usage()
        self.restarts = 0
        self._active_from: Millis | None = None
        #: Per channel, in commit order: (flush time, rows, scheduled commit) not committed yet.
        self._uncommitted: list[list[tuple[Millis, pa.Table, Scheduled]]] = [[] for _ in range(clients)]

    def _channel_name(self, index: int) -> str:
        return f"{self.variant.name}_{index}"

    @property
    def pending(self) -> int:
        """Batches not committed yet."""
        return sum(len(batches) for batches in self._uncommitted)

    def accept(self, events: pa.Table, now: Millis, arrivals: np.ndarray | None = None) -> None:
        """Take the events of the next workload chunk (arriving at or after `now`, at `arrivals`, else at their
        source times): each flush commits what it buffered."""
        if self._active_from is None:
            self._active_from = now
            for seconds in self.variant.restarts:
                self.backend.clock.schedule(now + round(1000 * seconds), self._restart, priority=-2)
        if events.num_rows == 0:
            return
        if len(self.channels) == 1:
            parts = [(events, arrivals)]
        else:
            # Rows of one key always go through the same channel, so its changes stay in order.
            hashed = pl.from_arrow(events.select([self.key])).get_column(self.key).hash(seed=0).to_numpy()
            which = hashed % len(self.channels)
            parts = [(events.filter(pa.array(which == i)), None if arrivals is None else arrivals[which == i])
                     for i in range(len(self.channels))]
        self.usage.bytes_billed += value_bytes(events)  # every event is sent once, in one of the batches below
        for index, (rows, arrived) in enumerate(parts):
            for flush_at, batch in split_at_boundaries(rows, self._active_from, self.step_ms, self.time_column,
                                                       arrived):
                self._schedule_commit(index, batch, flush_at)

    def _schedule_commit(self, index: int, rows: pa.Table, flushed_at: Millis) -> None:
        delay = self.variant.commit_latency if self.classic else self.variant.ingest_to_query
        at = max(flushed_at + round(1000 * sample_seconds(delay, self.rng)), self.last_commit[index])
        self.last_commit[index] = at
        handle = self.backend.clock.schedule(at, lambda: self._commit(index), priority=-1)
        self._uncommitted[index].append((flushed_at, rows, handle))
        if self.faults is not None and at > flushed_at and self.faults.crash_after_append(flushed_at):
            # The batch is appended at its flush and commits later: the client dies in between.
            self.backend.clock.schedule(flushed_at, lambda: self._crash(rows.num_rows), priority=-2)

    def _crash(self, rows: int) -> None:
        self.faults.note(self.backend.clock.now(), "client_crash", f"client crashed after appending {rows:,} rows, "
                         "before their commit; it reopened its channels and resent from the committed offset tokens")
        self._restart()

    def _commit(self, index: int) -> None:
        _, rows, _ = self._uncommitted[index].pop(0)
        token = str(rows["event_id"][-1].as_py())
        commit = self.channels[index].insert_rows(rows, token)
        self.deliveries.append(Delivery(rows["event_id"].to_numpy(), commit.csn, commit.committed_at))

    def _restart(self) -> None:
        """The client process restarts: reopen each channel and resend everything after its committed token."""
        now = self.backend.clock.now()
        self.restarts += 1
        for index, batches in enumerate(self._uncommitted):
            for _, _, handle in batches:
                handle.cancel()
            self._uncommitted[index] = []
            self.last_commit[index] = now
            self.channels[index] = self.backend.open_channel(self.landing_table, self._channel_name(index))
            token = self.channels[index].latest_committed_offset_token
            committed = int(token) if token is not None else 0
            for flushed_at, rows, _ in batches:
                resend = rows.filter(pc.greater(rows["event_id"], committed))
                if not resend.num_rows:
                    continue
                if flushed_at <= now:  # sent before the restart: received, and billed, twice
                    self.usage.bytes_billed += value_bytes(resend)
                self._schedule_commit(index, resend, max(flushed_at, now + RECONNECT_MS))

    def finish(self, now: Millis) -> None:
        """The workload stopped: the client stays up until its last commit (classic bills client time)."""
        if self._active_from is not None:
            last = max([now, *self.last_commit])
            self.usage.client_seconds = len(self.channels) * (last - self._active_from) / 1000
