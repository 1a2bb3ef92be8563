"""Helpers for the workload tests: a feed's events as Python rows, and a short scenario run end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import yaml

from sim.cli import main

ROOT = Path(__file__).resolve().parents[2]


def feed_events(feed: Any, schema: pa.Schema, start: int, batches: int, per_batch: int,
                batch_ms: int = 10_000) -> list[dict]:
    """`batches` batches of `per_batch` events at seeded times from `start` (epoch ms); each batch has `schema`."""
    rows = []
    for i in range(batches):
        at = start + i * batch_ms
        table = feed.batch(np.sort(np.random.default_rng(i).integers(at, at + batch_ms, per_batch)))
        assert table.schema == schema
        rows += table.to_pylist()
    return rows


def short_run(tmp_path: Path, scenario: str, sql: str, duration: str, variants: list[dict]) -> list[dict]:
    """A shipped scenario cut to `duration` and `variants`, run by `sim run`: the variants of its run.json."""
    data = yaml.safe_load((ROOT / "scenarios" / scenario).read_text())
    data.update(duration=duration, variants=variants)
    data["pipeline"]["sql"] = str(ROOT / "scenarios" / sql)
    path = tmp_path / scenario
    path.write_text(yaml.safe_dump(data))
    assert main(["run", str(path), "--out", str(tmp_path / "reports"), "--no-charts"]) == 0
    (run,) = (tmp_path / "reports").iterdir()
    return json.loads((run / "run.json").read_text())["variants"]
