"""When source events happen: a Poisson process at a constant rate or one that follows a daily profile."""

from __future__ import annotations

import numpy as np

from backends.clock import Millis

HOUR_MS = 3_600_000


def rate_at(hour_start: Millis, rate: float, peak_hours: list[int] | None, peak_factor: float) -> float:
    """Events per second during the UTC hour that starts at `hour_start`."""
    if not peak_hours:
        return rate
    hour = (hour_start // HOUR_MS) % 24
    return rate * peak_factor if hour in peak_hours else rate


def arrivals(rng: np.random.Generator, start: Millis, end: Millis, rate: float,
             peak_hours: list[int] | None = None, peak_factor: float = 1.0) -> np.ndarray:
    """Sorted event times (epoch ms) in [start, end), a Poisson process piecewise constant per hour."""
    times = []
    t = start
    while t < end:
        boundary = min(end, (t // HOUR_MS + 1) * HOUR_MS)
        expected = rate_at(t // HOUR_MS * HOUR_MS, rate, peak_hours, peak_factor) * (boundary - t) / 1000
        count = rng.poisson(expected)
        times.append(np.sort(rng.integers(t, boundary, size=count, dtype=np.int64)))
        t = boundary
    return np.concatenate(times) if times else np.empty(0, dtype=np.int64)
