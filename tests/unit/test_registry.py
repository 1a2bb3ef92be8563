"""The harness finds a backend by name; an unknown name says which ones exist."""

from __future__ import annotations

import pytest

from backends import registry


def test_the_emulator_is_the_default_backend() -> None:
    conn = registry.backend().connect()
    assert conn.cursor().execute("SELECT CURRENT_DATABASE()").fetchone() == ("SNOWSIM",)
    conn.close()


def test_an_unknown_backend_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"Unknown backend 'duckbd'. Did you mean 'duckdb'\? Known backends: duckdb"):
        registry.backend("duckbd")
