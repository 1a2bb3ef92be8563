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

from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from sim.clock import Millis
from sim.scenario import StreamingClassicVariant, StreamingHighPerformanceVariant

from . import Delivery, Usage, sample_seconds, split_at_boundaries, value_bytes


class StreamingModel:
    """One client per channel; events are spread over channels by booking, so each booking stays in order."""

    def __init__(self, variant: StreamingClassicVariant | StreamingHighPerformanceVariant, backend: Any,
                 landing_table: str, key: str, rng: np.random.Generator) -> None:
        self.variant = variant
        self.backend = backend
        self.rng = rng
        self.classic = isinstance(variant, StreamingClassicVariant)
        self.key = key
        clients = variant.clients if self.classic else 1
        self.step_ms = round(1000 * (variant.max_client_lag if self.classic else variant.flush_every))
        self.channels = [backend.open_channel(landing_table, f"{variant.name}_{i}") for i in range(clients)]
        self.last_commit: list[Millis] = [0] * clients
        self.deliveries: list[Delivery] = []
        self.usage = Usage()
        self._active_from: Millis | None = None
        self._in_flight = 0

    @property
    def pending(self) -> int:
        """Flushed batches not committed yet."""
        return self._in_flight

    def accept(self, events: pa.Table, now: Millis) -> None:
        """Take the events of the next workload chunk (all at or after `now`): each flush commits what it buffered."""
        if self._active_from is None:
            self._active_from = now
        if events.num_rows == 0:
            return
        if len(self.channels) == 1:
            parts = [events]
        else:
            # Rows of one key always go through the same channel, so its changes stay in order.
            hashed = pl.from_arrow(events.select([self.key])).get_column(self.key).hash(seed=0).to_numpy()
            which = hashed % len(self.channels)
            parts = [events.filter(pa.array(which == i)) for i in range(len(self.channels))]
        for index, rows in enumerate(parts):
            for flush_at, batch in split_at_boundaries(rows, self._active_from, self.step_ms):
                self._schedule_commit(index, batch, flush_at)

    def _schedule_commit(self, index: int, rows: pa.Table, flushed_at: Millis) -> None:
        delay = self.variant.commit_latency if self.classic else self.variant.ingest_to_query
        at = max(flushed_at + round(1000 * sample_seconds(delay, self.rng)), self.last_commit[index])
        self.last_commit[index] = at
        self.usage.bytes_billed += value_bytes(rows)
        self._in_flight += 1
        self.backend.clock.schedule(at, lambda: self._commit(index, rows), priority=-1)

    def _commit(self, index: int, rows: pa.Table) -> None:
        token = str(rows["event_id"][-1].as_py())
        commit = self.channels[index].insert_rows(rows, token)
        self._in_flight -= 1
        self.deliveries.append(Delivery(rows["event_id"].to_numpy(), commit.csn, commit.committed_at))

    def finish(self, now: Millis) -> None:
        """The workload stopped: the client stays up until its last commit (classic bills client time)."""
        if self._active_from is not None:
            last = max([now, *self.last_commit])
            self.usage.client_seconds = len(self.channels) * (last - self._active_from) / 1000
