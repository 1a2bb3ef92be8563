"""Backend-neutral conformance cases: a list of steps, each a statement, a query with its rows, or an error.

A case runs on a fresh, empty schema: a new emulator account, or a throwaway schema on a live
account. Rows compare as sets unless `ordered=True`; numbers compare by value (the live
connector returns Decimal where the emulator may return int). `Advance` moves time: the virtual
clock on the emulator, a real wait on a live account.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest


@dataclass(frozen=True)
class Expect:
    """Run `query`; its rows must equal `rows`."""

    query: str
    rows: list[tuple]
    ordered: bool = False
    #: Compare only these result columns (by name, as SHOW and DESCRIBE print them).
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fails:
    """Run `sql`; it must raise an error whose message contains `match`."""

    sql: str
    match: str


@dataclass(frozen=True)
class Advance:
    """Let `seconds` pass: the emulator's virtual clock runs everything due meanwhile."""

    seconds: float


Step = str | Expect | Fails | Advance


@dataclass(frozen=True)
class Case:
    name: str
    steps: tuple[Step, ...]
    #: Reason this case cannot run on a backend: {"snowflake": "..."}.
    skip: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.name


def case(name: str, *steps: Step, **skip: str) -> Case:
    return Case(name, tuple(steps), skip)


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def normalize(rows: list[tuple], ordered: bool) -> list[tuple]:
    rows = [tuple(_normal(v) for v in row) for row in rows]
    return rows if ordered else sorted(rows, key=repr)


def _project(cursor: Any, rows: list[tuple], columns: tuple[str, ...]) -> list[tuple]:
    names = [d[0].lower() for d in cursor.description]
    positions = [names.index(c.lower()) for c in columns]
    return [tuple(row[p] for p in positions) for row in rows]


def _advance(conn: Any, seconds: float) -> None:
    clock = getattr(conn, "clock", None)
    if clock is not None:
        clock.advance(seconds=seconds)
    else:  # a live account: real time has to pass
        time.sleep(seconds)


#: What DuckDB's messages look like; a NotSupportedError may say "DuckDB emulator", nothing more.
ENGINE_TEXT = re.compile(
    r"(Binder|Parser|Conversion|Catalog|Invalid Input|Constraint|Transaction|Not implemented|Out of Range|"
    r"Internal|Dependency|Serialization|Syntax|Invalid Configuration|Sequence|Permission) Error"
    r"|Malformed JSON|LINE \d+:|Candidate functions|duckdb\.|_duckdb",
)


def run_case(conn: Any, item: Case) -> None:
    """Run a case's steps on a DB-API connection (emulator or live)."""
    cursor = conn.cursor()
    for number, step in enumerate(item.steps, start=1):
        if isinstance(step, str):
            cursor.execute(step)
        elif isinstance(step, Advance):
            _advance(conn, step.seconds)
        elif isinstance(step, Expect):
            rows = cursor.execute(step.query).fetchall()
            if step.columns:
                rows = _project(cursor, rows, step.columns)
            got, want = normalize(rows, step.ordered), normalize(step.rows, step.ordered)
            assert got == want, f"step {number}: {step.query}\n  expected {want}\n  got      {got}"
        else:
            try:
                cursor.execute(step.sql)
            except Exception as error:  # noqa: BLE001 - any backend's error class
                assert step.match.lower() in str(error).lower(), f"step {number}: {step.sql}: wrong error: {error}"
                assert not ENGINE_TEXT.search(str(error)), f"step {number}: {step.sql}: engine text: {error}"
            else:
                raise AssertionError(f"step {number}: {step.sql} should have failed with '{step.match}'")


def run_case_on(backend: tuple[str, Any], item: Case) -> None:
    """Run a case on the `backend` fixture's connection, or skip it there with the case's reason."""
    name, conn = backend
    if reason := item.skip.get(name):
        pytest.skip(reason)
    run_case(conn, item)
