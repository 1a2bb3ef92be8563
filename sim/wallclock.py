"""The one place the harness reads the wall clock: to name a run's folder, to say how long it took,
and where that time went.

Simulation never does; the no-wall-clock test exempts this module alone.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


def stamp() -> str:
    """The current UTC time as a folder-safe stamp, e.g. 20261130T181500Z."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def seconds() -> float:
    """A monotonic reading for measuring elapsed wall time."""
    return time.perf_counter()


class WallTimes:
    """Wall seconds by activity ("task APPLY_BOOKING_CHANGES", "workload generation"); each is charged
    only for itself: time spent in an activity nested inside another goes to the inner one."""

    def __init__(self, timer: Callable[[], float] = time.perf_counter) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._timer = timer
        self._nested: list[float] = []  # per open activity, the time its nested activities took

    @contextmanager
    def __call__(self, kind: str, name: str = "") -> Iterator[None]:
        started = self._timer()
        self._nested.append(0.0)
        try:
            yield
        finally:
            elapsed = self._timer() - started
            self.seconds[f"{kind} {name}" if name else kind] += elapsed - self._nested.pop()
            if self._nested:
                self._nested[-1] += elapsed
