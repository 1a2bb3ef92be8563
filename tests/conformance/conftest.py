"""The `backend` fixture: every conformance case runs on each available backend.

duckdb runs everywhere. snowflake runs only when SNOWFLAKE_ACCOUNT (with SNOWFLAKE_USER and
SNOWFLAKE_PASSWORD, and optionally SNOWFLAKE_DATABASE, SNOWFLAKE_WAREHOUSE, SNOWFLAKE_ROLE) is
set; each case then gets a throwaway schema that is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from backends import duckdb as local

BACKENDS = [pytest.param("duckdb"), pytest.param("snowflake", marks=pytest.mark.snowflake)]


def _live_connection() -> Any:
    if not os.environ.get("SNOWFLAKE_ACCOUNT"):
        pytest.skip("SNOWFLAKE_ACCOUNT not set: live conformance skipped")
    connector = pytest.importorskip("snowflake.connector", reason="pip install 'snowsim[snowflake]' for live runs")
    options = {
        "account": os.environ["SNOWFLAKE_ACCOUNT"],
        "user": os.environ.get("SNOWFLAKE_USER"),
        "password": os.environ.get("SNOWFLAKE_PASSWORD"),
        "database": os.environ.get("SNOWFLAKE_DATABASE"),
        "warehouse": os.environ.get("SNOWFLAKE_WAREHOUSE"),
        "role": os.environ.get("SNOWFLAKE_ROLE"),
    }
    return connector.connect(**{k: v for k, v in options.items() if v})


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """(name, DB-API connection) on a fresh, empty current schema."""
    if request.param == "duckdb":
        conn = local.connect()
        yield "duckdb", conn
        conn.close()
        return
    conn = _live_connection()
    schema = f"SNOWSIM_CONFORMANCE_{uuid.uuid4().hex[:10].upper()}"
    cursor = conn.cursor()
    cursor.execute(f"CREATE SCHEMA {schema}")
    try:
        yield "snowflake", conn
    finally:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema}")
        conn.close()
