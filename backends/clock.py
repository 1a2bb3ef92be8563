"""The virtual clock: simulated time in integer milliseconds since the Unix epoch (UTC).

Everything the emulator and the harness can see as "now" comes from here; nothing reads the wall
clock or sleeps. It lives in `backends/`, which both sides import, so the emulator never imports
the harness. Scheduled callbacks live in a heap of (time, priority, sequence) like SimPy's event
queue: the sequence number breaks ties in scheduling order, so the same inputs always run in the
same order.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

Millis = int

#: A fixed default start, a Monday at midnight UTC, so runs are reproducible without configuration.
DEFAULT_START = datetime(2025, 1, 6, tzinfo=UTC)


def to_millis(value: datetime | str | int) -> Millis:
    """Epoch milliseconds from an aware datetime, an ISO-8601 string or an int (already ms).

    Naive datetimes and strings without an offset are read as UTC.
    """
    if isinstance(value, bool):
        raise TypeError("a clock time cannot be a bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, an ISO-8601 string or epoch milliseconds, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return round(value.timestamp() * 1000)


def to_datetime(ms: Millis) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass(order=True)
class _Scheduled:
    at: Millis
    priority: int
    sequence: int
    callback: Callable[[], object] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Scheduled:
    """Handle to a scheduled callback; `cancel()` stops it from running."""

    __slots__ = ("_entry",)

    def __init__(self, entry: _Scheduled) -> None:
        self._entry = entry

    @property
    def at(self) -> Millis:
        return self._entry.at

    def cancel(self) -> None:
        self._entry.cancelled = True


class VirtualClock:
    """Simulated time; `advance` runs everything that falls due, in time order."""

    def __init__(self, start: datetime | str | int | None = None) -> None:
        self._now: Millis = to_millis(DEFAULT_START if start is None else start)
        self._queue: list[_Scheduled] = []
        self._sequence = itertools.count()
        self._guards: list[Callable[[], None]] = []
        self._running = False

    @property
    def running(self) -> bool:
        """Whether a callback is running now (time can only move from outside one)."""
        return self._running

    def now(self) -> Millis:
        """The current simulated time, epoch milliseconds."""
        return self._now

    def datetime(self) -> datetime:
        """The current simulated time as an aware UTC datetime."""
        return to_datetime(self._now)

    def schedule(self, at: Millis, callback: Callable[[], object], *, priority: int = 0) -> Scheduled:
        """Run `callback` when the clock reaches `at` (not before now); lower priority runs first on ties."""
        if at < self._now:
            raise ValueError(
                f"cannot schedule in the past: {to_datetime(at).isoformat()} < {self.datetime().isoformat()}"
            )
        entry = _Scheduled(at, priority, next(self._sequence), callback)
        heapq.heappush(self._queue, entry)
        return Scheduled(entry)

    def peek(self) -> Millis | None:
        """When the next live callback is due, or None if nothing is scheduled."""
        while self._queue and self._queue[0].cancelled:
            heapq.heappop(self._queue)
        return self._queue[0].at if self._queue else None

    def add_guard(self, guard: Callable[[], None]) -> None:
        """Register a check that runs before time moves; it raises to refuse (e.g. an open transaction)."""
        self._guards.append(guard)

    def run_until(self, until: datetime | str | int) -> None:
        """Move time to `until`, running every callback due on the way in (time, priority, sequence) order."""
        target = to_millis(until)
        if target < self._now:
            raise ValueError(
                f"the clock cannot go back: {to_datetime(target).isoformat()} < {self.datetime().isoformat()}"
            )
        if self._running:
            raise RuntimeError("the clock cannot move from inside a scheduled callback")
        for guard in self._guards:
            guard()
        self._running = True
        try:
            while (due := self.peek()) is not None and due <= target:
                entry = heapq.heappop(self._queue)
                self._now = entry.at
                entry.callback()
        finally:
            self._running = False
        self._now = target

    def advance(self, *, milliseconds: int = 0, seconds: float = 0, minutes: float = 0, hours: float = 0) -> Millis:
        """Move time forward by the given amount and return the new now."""
        delta = milliseconds + round((seconds + 60 * minutes + 3600 * hours) * 1000)
        if delta < 0:
            raise ValueError("the clock cannot go back")
        self.run_until(self._now + delta)
        return self._now

    def __repr__(self) -> str:
        return f"VirtualClock({self.datetime().isoformat()})"
