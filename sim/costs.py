"""The credit model: ingestion charges by pricing model, warehouse and serverless compute, in credits and dollars.

Rates (backends/pricing.py; Consumption Table eff. 2026-03-31, R93; Snowpipe billing R45-R49; Streaming R63, R74):
- Snowpipe, per GB (current): 0.0037 credits per GB, text files at their uncompressed size.
- Snowpipe, legacy (before 2025-12-08 for Standard/Enterprise): 0.06 credits per 1,000 files plus
  compute at 1.25 credits per compute-hour (UNVERIFIED multiplier); the compute-hours are the
  modelled load time, an assumption to calibrate against a live run.
- Snowpipe Streaming high-performance: 0.0037 credits per uncompressed GB of values.
- Snowpipe Streaming classic: 0.01 credits per client instance per hour, plus file-migration
  compute (multiplier 1) modelled as `classic_migration_seconds_per_gb` (INFERRED; calibrate).
Warehouse credits (per second, 60 s minimum per resume) and serverless tasks (0.9x) come from the
backend's own metering views.
"""

from __future__ import annotations

from backends.pricing import (
    GB,
    SNOWPIPE_CREDITS_PER_GB,
    SNOWPIPE_LEGACY_COMPUTE_MULTIPLIER,
    SNOWPIPE_LEGACY_PER_1000_FILES,
    STREAMING_CLASSIC_MIGRATION_MULTIPLIER,
    STREAMING_CLASSIC_PER_CLIENT_HOUR,
    STREAMING_HP_CREDITS_PER_GB,
)
from sim.ingest.base import Usage
from sim.scenario import Pricing

MONTH_SECONDS = 30 * 86_400


def ingestion_credits(ingestion: str, usage: Usage, pricing: Pricing) -> dict[str, float]:
    """Credits by component for one ingestion method's usage."""
    gigabytes = usage.bytes_billed / GB
    if ingestion == "snowpipe":
        if pricing.snowpipe == "legacy":
            return {
                "snowpipe files": SNOWPIPE_LEGACY_PER_1000_FILES * usage.files / 1000,
                "snowpipe compute": SNOWPIPE_LEGACY_COMPUTE_MULTIPLIER * usage.load_seconds / 3600,
            }
        return {"snowpipe per GB": SNOWPIPE_CREDITS_PER_GB * gigabytes}
    if ingestion == "streaming_high_performance":
        return {"streaming per GB": STREAMING_HP_CREDITS_PER_GB * gigabytes}
    migration_hours = gigabytes * pricing.classic_migration_seconds_per_gb / 3600
    return {
        "streaming client hours": STREAMING_CLASSIC_PER_CLIENT_HOUR * usage.client_seconds / 3600,
        "streaming migration": STREAMING_CLASSIC_MIGRATION_MULTIPLIER * migration_hours,
    }


def cost_summary(ingestion: dict[str, float], compute: dict[str, float], pricing: Pricing, events: int,
                 simulated_seconds: float, *, steady: tuple[dict[str, float], float] | None = None) -> dict:
    """Credits and dollars over the run, and as steady rates: per 30-day month and per million events.

    Ingestion is charged per event (or client-hour) and scales with the workload's `simulated_seconds`.
    Compute scales from `steady`: (compute credits, seconds) from the end of the warm-up until the
    producer stopped. The warm-up (the first files land, the first tasks run) and the drain after the
    last event, while in-flight data reaches gold, happen once a run, not once per run-length of a
    month. Without `steady` the whole run counts.
    """
    components = ingestion | compute
    credits = sum(components.values())
    price = pricing.dollars_per_credit
    steady_credits, steady_seconds = steady if steady and steady[1] > 0 else (compute, simulated_seconds)
    per_second = 0.0
    if simulated_seconds:
        per_second = sum(ingestion.values()) / simulated_seconds + sum(steady_credits.values()) / steady_seconds
    per_event = per_second * simulated_seconds / events if events else None
    monthly = {name: value / simulated_seconds for name, value in ingestion.items()} if simulated_seconds else {}
    monthly |= {name: value / steady_seconds for name, value in steady_credits.items()} if steady_seconds else {}
    return {
        "components": {name: round(value, 9) for name, value in components.items()},
        #: The steady rate by component, US dollars per 30-day month: what every cost figure of the report shows.
        "dollars_per_month_by_component": {name: rate * MONTH_SECONDS * price for name, rate in monthly.items()},
        "steady_seconds": steady_seconds,
        "credits": credits,
        "dollars": credits * price,
        "dollars_per_credit": price,
        "credits_per_million_events": per_event * 1e6 if per_event is not None else None,
        "dollars_per_million_events": per_event * 1e6 * price if per_event is not None else None,
        "credits_per_month": per_second * MONTH_SECONDS,
        "dollars_per_month": per_second * MONTH_SECONDS * price,
    }
