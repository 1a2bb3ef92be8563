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


class LiveConnectionError(Exception):
    """The live account could not be reached; says why without any credential."""


def _live_connection() -> Any:
    """A connection to the account the SNOWFLAKE_* variables name.

    The password goes from the environment straight into the connector's call: no frame of ours holds it,
    and a failure is re-raised `from None` with the secret masked, so neither a traceback (pytest shows each
    frame's arguments, and its locals with -l) nor a log can print it.
    """
    if not os.environ.get("SNOWFLAKE_ACCOUNT"):
        pytest.skip("SNOWFLAKE_ACCOUNT not set: live conformance skipped")
    connector = pytest.importorskip("snowflake.connector", reason="pip install 'snowsim[snowflake]' for live runs")
    names = {"account": "SNOWFLAKE_ACCOUNT", "user": "SNOWFLAKE_USER", "database": "SNOWFLAKE_DATABASE",
             "warehouse": "SNOWFLAKE_WAREHOUSE", "role": "SNOWFLAKE_ROLE"}
    try:
        return connector.connect(
            **{key: os.environ[name] for key, name in names.items() if os.environ.get(name)},
            password=os.environ.get("SNOWFLAKE_PASSWORD"), login_timeout=20, network_timeout=20,
        )
    except Exception as error:
        message = str(error)
        if os.environ.get("SNOWFLAKE_PASSWORD"):
            message = message.replace(os.environ["SNOWFLAKE_PASSWORD"], "***")
        raise LiveConnectionError(f"cannot connect to Snowflake account {os.environ['SNOWFLAKE_ACCOUNT']}: "
                                  f"{type(error).__name__}: {message}") from None


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """(name, DB-API connection) on a fresh, empty current schema."""
    if request.param == "duckdb":
        conn = local.connect()
        yield "duckdb", conn
        conn.close()
        return
    yield from _live_backend()


@pytest.fixture(params=BACKENDS)
def connector_backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """(name, connection made by `snowflake.connector.connect`) on a fresh, empty current schema: on the
    emulator through `patch()`, the drop-in for code written against the connector."""
    if request.param == "duckdb":
        connector = pytest.importorskip("snowflake.connector")
        with local.patch():
            conn = connector.connect(database="CONFORMANCE", schema="PUBLIC")
            yield "duckdb", conn
            conn.close()
        return
    yield from _live_backend()


def _live_backend() -> Iterator[tuple[str, Any]]:
    conn = _live_connection()
    schema = f"SNOWSIM_CONFORMANCE_{uuid.uuid4().hex[:10].upper()}"
    cursor = conn.cursor()
    cursor.execute(f"CREATE SCHEMA {schema}")
    try:
        yield "snowflake", conn
    finally:
        cursor.execute(f"DROP SCHEMA IF EXISTS {schema}")
        conn.close()
