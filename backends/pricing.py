"""Snowflake's published ingestion rates, shared by the emulator's usage views and the harness's cost model.

Consumption Table eff. 2026-03-31 (R93); Snowpipe billing R45-R49; Streaming R63, R74 (the references
are in shared/reference/snowflake-semantics.md). Warehouse rates by size are in the emulator's warehouse
model (backends/duckdb/catalog/warehouses.py).
"""

from __future__ import annotations

#: Bytes in the GB Snowflake bills by (binary, as its storage figures).
GB = 1024**3
#: Snowpipe, per GB (current): text files at their uncompressed size.
SNOWPIPE_CREDITS_PER_GB = 0.0037
#: Snowpipe, legacy (before 2025-12-08 for Standard/Enterprise): per 1,000 files, plus compute-hours at a
#: multiplier (UNVERIFIED).
SNOWPIPE_LEGACY_PER_1000_FILES = 0.06
SNOWPIPE_LEGACY_COMPUTE_MULTIPLIER = 1.25
#: Snowpipe Streaming high-performance: per uncompressed GB of values.
STREAMING_HP_CREDITS_PER_GB = 0.0037
#: Snowpipe Streaming classic: per client instance per hour, plus file-migration compute at this multiplier.
STREAMING_CLASSIC_PER_CLIENT_HOUR = 0.01
STREAMING_CLASSIC_MIGRATION_MULTIPLIER = 1.0
