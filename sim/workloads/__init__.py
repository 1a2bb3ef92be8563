"""Synthetic source workloads, by the scenario's `workload.kind`: seeded generators of the changes a
pipeline's source receives, the same for every variant of a run."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from sim.scenario import CUSTOM_FIXED_COLUMNS
from sim.workloads.booking_feed import BookingFeed
from sim.workloads.custom_feed import CustomFeed, landing_schema
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
    "custom": lambda seed, spec: CustomFeed(spec, seed=seed),
}


def landing_type(kind: pa.DataType) -> str:
    """The Snowflake column type that holds a feed column of this Arrow type."""
    if pa.types.is_decimal(kind):
        return f"NUMBER({kind.precision}, {kind.scale})"
    for test, name in ((pa.types.is_integer, "NUMBER"), (pa.types.is_floating, "FLOAT"),
                       (pa.types.is_boolean, "BOOLEAN"), (pa.types.is_timestamp, "TIMESTAMP_NTZ"),
                       (pa.types.is_date, "DATE"), (pa.types.is_string, "VARCHAR"),
                       (pa.types.is_large_string, "VARCHAR")):
        if test(kind):
            return name
    return "VARIANT"  # objects and arrays: a JSON image


def catalogue() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Every workload kind: (kind, what it is, its landing columns as (name, Snowflake type))."""
    built_in = {"booking": BookingFeed, "retail": RetailFeed, "postgres_cdc": PostgresCdcFeed, "tmdb": TmdbFeed}
    kinds = []
    for kind, feed in built_in.items():
        summary = " ".join((sys.modules[feed.__module__].__doc__ or "").strip().split("\n\n")[0].split())
        kinds.append((kind, summary, [(f.name, landing_type(f.type)) for f in feed.schema]))
    custom = [(CUSTOM_FIXED_COLUMNS[0], "NUMBER"), (CUSTOM_FIXED_COLUMNS[1], "VARCHAR"),
              ("<key.column>", "VARCHAR or NUMBER (key.type)"), ("<each of columns>", "its declared type"),
              (CUSTOM_FIXED_COLUMNS[2], "TIMESTAMP_NTZ")]
    kinds.append(("custom", "your own change feed, declared in the scenario: key space, columns and how their "
                            "values are drawn, insert/update/delete mix, late share", custom))
    return kinds


def feed_schema(spec: Any) -> pa.Schema:
    """The landing columns a scenario's workload produces."""
    return landing_schema(spec) if spec.kind == "custom" else FEEDS[spec.kind](0, spec).schema
