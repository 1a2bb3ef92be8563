"""Backends run Snowflake SQL: `backends.duckdb` (embedded emulator) and, later, `backends.snowflake` (live)."""
