"""Ingestion models, by the scenario's `ingestion` kind: how source events reach the landing table,
as chains of delays on the virtual clock (the protocol and what models share: `sim/ingest/base.py`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from backends.base import Backend
from sim.faults import Faults
from sim.ingest.base import IngestionModel
from sim.ingest.snowpipe import SnowpipeModel
from sim.ingest.streaming import StreamingModel
from sim.scenario import PipelineSpec
from sim.wallclock import WallTimes

#: (variant, backend, pipeline, outbox for staged files, random generator, wall-time ledger, feed's time column,
#: injected faults).
ModelFactory = Callable[[Any, Backend, PipelineSpec, Path, np.random.Generator, WallTimes, str, Faults], IngestionModel]


def _snowpipe(variant, backend, pipeline, outbox, rng, wall, time_column, faults) -> IngestionModel:
    return SnowpipeModel(variant, backend, pipeline.stage, pipeline.pipe, outbox, rng, wall, time_column, faults)


def _streaming(variant, backend, pipeline, outbox, rng, wall, time_column, faults) -> IngestionModel:
    return StreamingModel(variant, backend, pipeline.landing_table, pipeline.key, rng, time_column, faults)


MODELS: dict[str, ModelFactory] = {
    "snowpipe": _snowpipe,
    "streaming_classic": _streaming,
    "streaming_high_performance": _streaming,
}
