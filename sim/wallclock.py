"""The one place the harness reads the wall clock: to name a run's folder and to say how long it took.

Simulation never does; the no-wall-clock test exempts this module alone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


def stamp() -> str:
    """The current UTC time as a folder-safe stamp, e.g. 20261130T181500Z."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def seconds() -> float:
    """A monotonic reading for measuring elapsed wall time."""
    return time.perf_counter()
