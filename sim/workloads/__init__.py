"""Synthetic source workloads, by the scenario's `workload.kind`: seeded generators of the changes a
pipeline's source receives, the same for every variant of a run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from sim.workloads.booking_feed import BookingFeed
from sim.workloads.postgres_cdc_feed import PostgresCdcFeed
from sim.workloads.retail_feed import RetailFeed
from sim.workloads.tmdb_feed import TmdbFeed


class Feed(Protocol):
    """A workload's event generator: one batch of events per batch of arrival times."""

    #: The events' column holding their source time.
    time_column: str
    #: The events' columns, as the landing table must have them.
    schema: pa.Schema

    @property
    def events(self) -> int:
        """Events generated so far (their ids are 1 to this)."""

    def batch(self, times: np.ndarray) -> pa.Table:
        """The events arriving at `times` (epoch ms, ascending); a feed may add events of its own."""


#: workload.kind -> the feed for (scenario seed, workload spec).
FEEDS: dict[str, Callable[[int, Any], Feed]] = {
    "booking": lambda seed, spec: BookingFeed(seed=seed, movies=spec.movies, customers=spec.customers,
                                              mix=(spec.mix.new, spec.mix.change, spec.mix.delete),
                                              invalid_share=spec.invalid_share),
    "retail": lambda seed, spec: RetailFeed(seed=seed, reference=spec.reference),
    "postgres_cdc": lambda seed, spec: PostgresCdcFeed(seed=seed, mix=spec.mix),
    "tmdb": lambda seed, spec: TmdbFeed(seed=seed, new_share=spec.new_share, invalid_share=spec.invalid_share),
}
