"""The credit model: ingestion charges by pricing model, warehouse and serverless compute, in credits and dollars.

Rates (Consumption Table eff. 2026-03-31, R93; Snowpipe billing R45-R49; Streaming R63, R74):
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

from sim.ingest import Usage
from sim.scenario import Pricing

GB = 1024**3
SNOWPIPE_PER_GB = 0.0037
SNOWPIPE_LEGACY_PER_1000_FILES = 0.06
SNOWPIPE_LEGACY_COMPUTE_MULTIPLIER = 1.25
STREAMING_HP_PER_GB = 0.0037
STREAMING_CLASSIC_PER_CLIENT_HOUR = 0.01
STREAMING_CLASSIC_MIGRATION_MULTIPLIER = 1.0
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
        return {"snowpipe per GB": SNOWPIPE_PER_GB * gigabytes}
    if ingestion == "streaming_high_performance":
        return {"streaming per GB": STREAMING_HP_PER_GB * gigabytes}
    migration_hours = gigabytes * pricing.classic_migration_seconds_per_gb / 3600
    return {
        "streaming client hours": STREAMING_CLASSIC_PER_CLIENT_HOUR * usage.client_seconds / 3600,
        "streaming migration": STREAMING_CLASSIC_MIGRATION_MULTIPLIER * migration_hours,
    }


def cost_summary(components: dict[str, float], pricing: Pricing, events: int, simulated_seconds: float) -> dict:
    """Credits and dollars: total, per million events, per 30-day month at the simulated rate."""
    credits = sum(components.values())
    dollars = credits * pricing.dollars_per_credit
    scale = MONTH_SECONDS / simulated_seconds if simulated_seconds else 0.0
    return {
        "components": {name: round(value, 9) for name, value in components.items()},
        "credits": credits,
        "dollars": dollars,
        "dollars_per_credit": pricing.dollars_per_credit,
        "credits_per_million_events": credits / events * 1e6 if events else None,
        "dollars_per_million_events": dollars / events * 1e6 if events else None,
        "credits_per_month": credits * scale,
        "dollars_per_month": dollars * scale,
    }
