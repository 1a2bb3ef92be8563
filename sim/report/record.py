"""run.json: the scenario (checksum and snapshot), package versions and every figure of every variant."""

from __future__ import annotations

import json
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from sim.run import VariantResult
from sim.scenario import LoadedScenario

SCHEMA_VERSION = 1
PACKAGES = ("snowsim", "duckdb", "sqlglot", "pyarrow", "polars", "numpy", "pydantic", "matplotlib")


def build(loaded: LoadedScenario, results: list[VariantResult], *, run_id: str, wall_seconds: float) -> dict[str, Any]:
    """The run record as plain JSON data."""
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "scenario": {
            "name": loaded.scenario.name,
            "file": str(loaded.path),
            "sha256": loaded.sha256,
            "snapshot": loaded.scenario.model_dump(mode="json"),
        },
        "packages": {name: _version(name) for name in PACKAGES},
        "wall_seconds": wall_seconds,
        "conserved": all(r.conserved for r in results),
        "complete": all(r.complete for r in results),
        "variants": [_variant(r) for r in results],
    }


def _variant(result: VariantResult) -> dict[str, Any]:
    data = asdict(result)
    samples = data.pop("latency_samples")
    data["conserved"] = result.conserved
    data["complete"] = result.complete
    data["speedup"] = result.simulated_seconds / result.wall_seconds if result.wall_seconds else None
    # The latency distribution as percentiles 0..100: enough to draw and compare CDFs.
    data["latency_percentiles"] = {
        layer: [round(float(v), 3) for v in np.percentile(values, range(101))] if values else []
        for layer, values in samples.items()
    }
    data["busy"] = [list(interval) for interval in result.busy]
    data["warehouse_periods"] = [list(period) for period in result.warehouse_periods]
    return data


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def write(record: dict[str, Any], folder: Path) -> Path:
    path = folder / "run.json"
    path.write_text(json.dumps(record, indent=1, default=str) + "\n")
    return path


def read(path: str | Path) -> dict[str, Any]:
    """A run record from run.json or from the run's folder."""
    path = Path(path)
    if path.is_dir():
        path = path / "run.json"
    try:
        record = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a run record ({error})") from error
    if record.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(
            f"{path}: schema_version {record.get('schema_version')!r}, this snowsim reads {SCHEMA_VERSION}"
        )
    return record
