"""Virtual warehouses on the virtual clock: resume, busy time, auto-suspend and credits.

Billing follows https://docs.snowflake.com/en/user-guide/cost-understanding-compute: credits per
hour by size, charged per second while the warehouse runs (busy or idle), with a 60-second
minimum each time it starts or resumes; it auto-suspends after AUTO_SUSPEND idle seconds.

How long work occupies a warehouse is a model, not a measurement: a fixed overhead per statement
plus rows processed over a throughput that doubles with each size step (an X-Small is one
compute unit, a Small two, ...). The defaults below are round, documented guesses meant to be
replaced by a calibration profile from live runs; they are deterministic, so runs repeat exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from backends.clock import Millis, Scheduled, VirtualClock

#: Credits per hour of a standard warehouse, by size (Consumption Table, section 6.1 of the semantics).
CREDITS_PER_HOUR = {
    "XSMALL": 1, "SMALL": 2, "MEDIUM": 4, "LARGE": 8, "XLARGE": 16, "XXLARGE": 32, "XXXLARGE": 64,
    "X4LARGE": 128, "X5LARGE": 256, "X6LARGE": 512,
}
#: How SHOW WAREHOUSES spells the sizes.
SIZE_DISPLAY = {
    "XSMALL": "X-Small", "SMALL": "Small", "MEDIUM": "Medium", "LARGE": "Large", "XLARGE": "X-Large",
    "XXLARGE": "2X-Large", "XXXLARGE": "3X-Large", "X4LARGE": "4X-Large", "X5LARGE": "5X-Large", "X6LARGE": "6X-Large",
}
_SIZE_ALIASES = {
    "X-SMALL": "XSMALL", "XS": "XSMALL", "S": "SMALL", "M": "MEDIUM", "L": "LARGE", "X-LARGE": "XLARGE", "XL": "XLARGE",
    "2X-LARGE": "XXLARGE", "X2LARGE": "XXLARGE", "2XLARGE": "XXLARGE", "3X-LARGE": "XXXLARGE", "X3LARGE": "XXXLARGE",
    "3XLARGE": "XXXLARGE", "4X-LARGE": "X4LARGE", "4XLARGE": "X4LARGE", "5X-LARGE": "X5LARGE", "5XLARGE": "X5LARGE",
    "6X-LARGE": "X6LARGE", "6XLARGE": "X6LARGE",
}

MINIMUM_BILLED_MS = 60_000
#: AUTO_SUSPEND when not given (seconds), as in CREATE WAREHOUSE.
DEFAULT_AUTO_SUSPEND_S = 600


def normalize_size(text: str) -> str | None:
    """The canonical size name (XSMALL, SMALL, ..., X6LARGE) of any spelling Snowflake accepts."""
    size = text.strip().strip("'\"").upper()
    size = _SIZE_ALIASES.get(size, size)
    return size if size in CREDITS_PER_HOUR else None


@dataclass(frozen=True)
class CostModel:
    """How long work occupies compute on the virtual clock (deterministic; calibrate from live runs)."""

    #: Per statement: compilation, scheduling, commit.
    overhead_ms: int = 200
    #: Rows an X-Small processes per second; each size step doubles it.
    xsmall_rows_per_second: float = 2_000_000
    #: Provisioning when a suspended warehouse resumes.
    resume_ms: int = 1_000
    #: Queueing before a serverless task starts (the docs' example shows 5 s on a 15 s schedule).
    serverless_start_ms: int = 2_000

    def duration_ms(self, size: str, rows: int) -> int:
        compute_units = CREDITS_PER_HOUR[size]
        return self.overhead_ms + math.ceil(max(rows, 0) * 1000 / (self.xsmall_rows_per_second * compute_units))


@dataclass(eq=False)
class Warehouse:
    """A standard single-cluster warehouse."""

    name: str
    size: str = "XSMALL"
    auto_suspend_s: int | None = DEFAULT_AUTO_SUSPEND_S
    auto_resume: bool = True
    created_on: int = 0
    comment: str | None = None
    owner: str = "SYSADMIN"
    max_concurrency: int = 8
    state: str = "SUSPENDED"
    #: Start of the current run period while STARTED.
    started_at: Millis | None = None
    #: Closed run periods (resume, suspend) for billing.
    periods: list[tuple[Millis, Millis]] = field(default_factory=list)
    #: Busy intervals (start, end) of every piece of work, for activity charts.
    busy: list[tuple[Millis, Millis]] = field(default_factory=list)
    _running_until: list[Millis] = field(default_factory=list)
    _suspend: Scheduled | None = None

    def resume(self, at: Millis, clock: VirtualClock) -> Millis:
        """Start the warehouse (if suspended); returns when it can take work."""
        if self.state == "STARTED":
            return at
        self.state = "STARTED"
        self.started_at = at
        self._schedule_suspend(at, clock)
        return at

    def suspend(self, at: Millis) -> None:
        if self.state != "STARTED" or self.started_at is None:
            return
        self.periods.append((self.started_at, max(at, self.started_at)))
        self.state = "SUSPENDED"
        self.started_at = None
        if self._suspend is not None:
            self._suspend.cancel()
            self._suspend = None

    def admit(self, at: Millis, model: CostModel, clock: VirtualClock) -> Millis:
        """When work arriving at `at` can start: after resuming (if suspended and AUTO_RESUME allows)
        and after a slot frees when MAX_CONCURRENCY_LEVEL queries are running."""
        start = at
        if self.state != "STARTED":
            if not self.auto_resume:
                raise WarehouseSuspended(self.name)
            self.resume(at, clock)
            start = at + model.resume_ms
        running = sorted(t for t in self._running_until if t > start)
        if len(running) >= self.max_concurrency:
            start = running[len(running) - self.max_concurrency]
        return start

    def occupy(self, start: Millis, end: Millis, clock: VirtualClock) -> None:
        """Record work running from `start` to `end`; the idle timer restarts after it."""
        self._running_until = [t for t in self._running_until if t > start] + [end]
        self.busy.append((start, end))
        self._schedule_suspend(end, clock)

    def run(self, at: Millis, rows: int, model: CostModel, clock: VirtualClock) -> tuple[Millis, Millis]:
        """Admit and occupy in one step for work of `rows` rows; returns (start, end) on the virtual clock."""
        start = self.admit(at, model, clock)
        end = start + model.duration_ms(self.size, rows)
        self.occupy(start, end, clock)
        return start, end

    def _schedule_suspend(self, idle_from: Millis, clock: VirtualClock) -> None:
        if self.auto_suspend_s in (None, 0):
            return
        latest = max([idle_from, *self._running_until])
        if self._suspend is not None:
            if self._suspend.at >= latest + self.auto_suspend_s * 1000:
                return
            self._suspend.cancel()
        at = latest + self.auto_suspend_s * 1000
        self._suspend = clock.schedule(at, lambda: self.suspend(at), priority=10)

    def credits(self, now: Millis) -> float:
        """Credits used up to `now`: every run period, each billed for at least 60 seconds."""
        return sum(credits_for(self.size, start, end) for start, end in self.run_periods(now))

    def run_periods(self, now: Millis) -> list[tuple[Millis, Millis]]:
        periods = list(self.periods)
        if self.state == "STARTED" and self.started_at is not None:
            periods.append((self.started_at, max(now, self.started_at)))
        return periods


def billed_ms(start: Millis, end: Millis) -> Millis:
    """A run period's billed time: whole seconds (rounded up), at least 60 of them."""
    return max(math.ceil((end - start) / 1000) * 1000, MINIMUM_BILLED_MS)


def credits_for(size: str, start: Millis, end: Millis) -> float:
    """Credits of one run period: per second, with the 60-second minimum."""
    return CREDITS_PER_HOUR[size] * billed_ms(start, end) / 3_600_000


def hourly_credits(warehouse: Warehouse, now: Millis) -> list[tuple[Millis, Millis, float]]:
    """(hour start, hour end, credits) for WAREHOUSE_METERING_HISTORY; a period's minimum counts in its first hour."""
    hour = 3_600_000
    buckets: dict[Millis, float] = {}
    for start, end in warehouse.run_periods(now):
        billed_end = start + billed_ms(start, end)
        t = start
        while t < billed_end:
            bucket = t - t % hour
            upto = min(billed_end, bucket + hour)
            buckets[bucket] = buckets.get(bucket, 0.0) + CREDITS_PER_HOUR[warehouse.size] * (upto - t) / hour
            t = upto
    return [(b, b + hour, c) for b, c in sorted(buckets.items())]


class WarehouseSuspended(Exception):
    """Work was sent to a suspended warehouse that may not resume itself."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Warehouse '{name}' is suspended and AUTO_RESUME is FALSE; ALTER WAREHOUSE {name} RESUME first."
        )
        self.name = name
