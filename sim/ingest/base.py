"""What every ingestion model is and shares: the `IngestionModel` protocol, deliveries, usage, delays.

A model takes the events generated in a step (`accept`), schedules its deliveries on the clock
and delivers through the backend's ingestion verbs (a pipe's files, a channel's rows). Every
delivery records which events it made visible, in which commit (CSN) and when: the harness's
conservation check and latency lineage start there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from backends.clock import Millis
from sim.scenario import Delay


@dataclass(frozen=True)
class Delivery:
    """Events made visible in the landing table by one commit."""

    event_ids: np.ndarray
    csn: int | None
    visible_at: Millis


@dataclass
class Usage:
    """What the ingestion used, for the cost model."""

    files: int = 0
    bytes_billed: int = 0  # Snowpipe: text at uncompressed size; Streaming: values only
    load_seconds: float = 0.0  # Snowpipe's modelled load time (legacy pricing's compute term)
    client_seconds: float = 0.0  # classic Streaming: active client time
    failed_files: list[str] = field(default_factory=list)


class IngestionModel(Protocol):
    """An ingestion variant at work: it takes events as they are generated and lands them on the clock."""

    #: The scenario's variant it models.
    variant: Any
    #: Every delivery so far, in the order it landed.
    deliveries: list[Delivery]
    usage: Usage

    @property
    def pending(self) -> int:
        """Events accepted and not yet delivered."""

    def accept(self, events: pa.Table, now: Millis, arrivals: np.ndarray | None = None) -> None:
        """Take the events arriving from `now` on (at `arrivals`, epoch ms; else at their source times)."""

    def finish(self, now: Millis) -> None:
        """The workload stopped at `now`: deliver what is buffered."""


def sample_seconds(delay: Delay, rng: np.random.Generator) -> float:
    """One draw of a delay: fixed, uniform(min, max), or log-normal with the given median and 95th percentile."""
    return float(delay.draws(rng, 1)[0])


def implied_landing(step_seconds: float, delays: list[Delay], *, samples: int = 100_000) -> dict[str, float]:
    """Landing latency p50 / p95 that a delay chain implies on its own: the wait for the next flush or
    rotation (`step_seconds`, events arriving evenly), plus each delay after it. What the documented
    figures promise, to set beside what a run measured (which adds queueing and, for files, load time by size)."""
    rng = np.random.default_rng(0)
    total = rng.uniform(0, step_seconds, samples)
    for delay in delays:
        total += delay.draws(rng, samples)
    p50, p95 = np.percentile(total, [50, 95])
    return {"p50": round(float(p50), 3), "p95": round(float(p95), 3)}


def value_bytes(rows: pa.Table) -> int:
    """Uncompressed bytes of the values (not keys or headers), as Snowpipe Streaming bills them (R74).

    Strings count their UTF-8 bytes, fixed-width values their width, objects (structs) their fields' values,
    arrays (lists) their items'.
    """
    return sum(_column_bytes(column) for column in rows.columns)


def _column_bytes(column: pa.ChunkedArray) -> int:
    kind = column.type
    if pa.types.is_struct(kind):
        return sum(_column_bytes(child) for child in column.flatten())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return _column_bytes(pc.list_flatten(column))
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind):
        return pc.sum(pc.binary_length(column)).as_py() or 0
    return (kind.bit_width // 8) * (len(column) - column.null_count)


def split_at_boundaries(
    rows: pa.Table, origin: Millis, every_ms: int, time_column: str = "source_ts", arrivals: np.ndarray | None = None
) -> list[tuple[Millis, pa.Table]]:
    """Rows grouped by the first boundary (origin + k * every_ms) after their arrival (`arrivals`, else their
    time): (boundary, rows) in order.

    A client that flushes every `every_ms` sends at each boundary what arrived since the previous one.
    """
    if rows.num_rows == 0:  # a channel no key of the chunk hashed to
        return []
    times = arrivals if arrivals is not None else pc.cast(rows[time_column], pa.int64()).to_numpy()
    boundaries = origin + ((times - origin) // every_ms + 1) * every_ms
    cuts = np.flatnonzero(np.diff(boundaries)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(times)]])
    return [(int(boundaries[a]), rows.slice(a, b - a)) for a, b in zip(starts.tolist(), ends.tolist())]
