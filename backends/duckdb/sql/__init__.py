"""Layer 1, SQL text: Snowflake SQL in, DuckDB SQL out, DuckDB errors back as Snowflake's.

Knows no catalog object and no session; imports only `backends.errors`, sqlglot, duckdb and pyarrow.
"""
