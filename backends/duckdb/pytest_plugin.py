"""pytest fixtures for running Snowflake SQL offline (registered through the `pytest11` entry point).

- `snowsim_connection`: a fresh emulator connection (in-memory account, virtual clock).
- `snowsim`: `snowflake.connector.connect` patched for the test, so code written against the
  connector runs on the emulator; yields the patch handle (`.clock`, `.connections`).

Imports happen inside the fixtures so installing snowsim costs other test suites nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def snowsim_connection() -> Iterator[Any]:
    """A connection to a fresh emulated Snowflake account."""
    from backends import duckdb as local

    conn = local.connect()
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture
def snowsim() -> Iterator[Any]:
    """`snowflake.connector.connect` opens emulator sessions on one shared account for this test."""
    from backends import duckdb as local

    with local.patch() as handle:
        yield handle
        for connection in handle.connections:
            connection.close()
