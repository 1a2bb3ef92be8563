"""Latency by version lineage: when each event became visible in each layer of the pipeline.

A landing-table version at CSN x holds every event delivered by commits up to x. A downstream
version reflects, through what it read at its snapshot, every landing commit up to a *watermark*;
an event landed at x is visible in a layer from the first version whose watermark reaches x.
Pure functions over arrays: the event lists can be millions long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from backends.clock import Millis
from backends.lineage import Version

NEVER = -1


@dataclass(frozen=True)
class LayerVersions:
    """A layer's versions in commit order: the landing CSN each reflects, and the earliest visibility from there on."""

    table: str
    watermark: np.ndarray
    visible_from: np.ndarray  # suffix minimum of visibility: the first moment a version reflecting >= x was visible
    visible_at: np.ndarray  # each version's own visibility


def same_table(qualified: str, name: str) -> bool:
    """`DB.SCHEMA.T` against a name written in a scenario (`t`, `schema.t` or `db.schema.t`)."""
    parts = [p.strip('"').upper() for p in name.split(".")]
    return qualified.upper().split(".")[-len(parts):] == parts


def layer_versions(versions: Sequence[Version], landing: str, layers: Sequence[str]) -> dict[str, LayerVersions]:
    """Watermarks of every version of the given layers, derived through whatever tables lie between."""
    history: dict[str, tuple[list[int], list[int], list[int]]] = {}  # table -> (csn, watermark, visible)
    for version in versions:
        if same_table(version.table, landing):
            watermark, visible = version.csn, version.visible_at
        else:
            upstream = [_as_of(history[r], version.snapshot) for r in version.reads if r in history]
            if not upstream:
                continue  # reads nothing fed by the landing table
            watermark = min(w for w, _ in upstream)
            visible = max(version.visible_at, *(v for _, v in upstream))
        csns, marks, times = history.setdefault(version.table, ([], [], []))
        csns.append(version.csn)
        marks.append(watermark)
        times.append(visible)
    result = {}
    for layer in layers:
        table = next((t for t in history if same_table(t, layer)), None)
        _, marks, times = history.get(table, ([], [], []))
        visible_at = np.array(times, dtype=np.int64)
        visible_from = np.minimum.accumulate(visible_at[::-1])[::-1] if len(times) else visible_at
        result[layer] = LayerVersions(table or layer, np.maximum.accumulate(np.array(marks, dtype=np.int64)),
                                      visible_from, visible_at)
    return result


def _as_of(history: tuple[list[int], list[int], list[int]], snapshot: int) -> tuple[int, int]:
    """(watermark, visibility) of a table's latest version committed at or before `snapshot`."""
    csns, marks, times = history
    index = int(np.searchsorted(csns, snapshot, side="right")) - 1
    return (marks[index], times[index]) if index >= 0 else (0, 0)


def visible_times(event_csn: np.ndarray, layer: LayerVersions) -> np.ndarray:
    """When each event (by the landing CSN that delivered it) became visible in the layer; NEVER if it did not."""
    index = np.searchsorted(layer.watermark, event_csn, side="left")
    found = index < len(layer.watermark)
    times = np.full(len(event_csn), NEVER, dtype=np.int64)
    times[found] = layer.visible_from[index[found]]
    return times


def summary(latency_ms: np.ndarray) -> dict[str, float | int]:
    """Percentiles of latencies in seconds, over the events that became visible."""
    seen = latency_ms[latency_ms >= 0] / 1000
    if not len(seen):
        return {"events": 0}
    p50, p95, p99 = np.percentile(seen, [50, 95, 99])
    return {"events": int(len(seen)), "mean": float(seen.mean()), "p50": float(p50), "p95": float(p95),
            "p99": float(p99), "max": float(seen.max())}


def freshness(layer: LayerVersions, event_csn: np.ndarray, event_time: np.ndarray, start: Millis, end: Millis,
              step: Millis) -> tuple[np.ndarray, np.ndarray]:
    """(sample times, lag in seconds): at each time, how old the newest event the layer shows is (NaN: none yet)."""
    samples = np.arange(start, end + 1, step, dtype=np.int64)
    order = np.argsort(layer.visible_at, kind="stable")
    visible_sorted = layer.visible_at[order]
    reached = np.maximum.accumulate(layer.watermark[order]) if len(order) else layer.watermark
    by_csn = np.argsort(event_csn, kind="stable")
    csn_sorted = event_csn[by_csn]
    newest_time = np.maximum.accumulate(event_time[by_csn]) if len(by_csn) else event_time
    lag = np.full(len(samples), np.nan)
    shown = np.searchsorted(visible_sorted, samples, side="right") - 1
    has_version = shown >= 0
    watermark = reached[shown[has_version]]
    last_event = np.searchsorted(csn_sorted, watermark, side="right") - 1
    ok = last_event >= 0
    values = np.full(len(watermark), np.nan)
    values[ok] = (samples[has_version][ok] - newest_time[last_event[ok]]) / 1000
    lag[has_version] = values
    return samples, lag
