"""The movie-booking source workload: new bookings, status changes and deletions on raw_movie_bookings.

Deterministic for a seed. Each batch draws its updates and deletions from bookings that existed
when the batch began, and touches a booking at most once, so a batch's changes are exactly what
a stream consumed after it reports (no netting inside a batch). A small share of new bookings
breaks a validation rule of the silver layer (missing customer, negative price, no tickets, a
booking date in the future), so the data-quality KPIs have something to measure.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sim.clock import Millis, to_datetime

RAW_TABLE = "raw_movie_bookings"
INSERT_SQL = (
    f"INSERT INTO {RAW_TABLE} (booking_id, customer_id, movie_id, booking_date, status, ticket_count, ticket_price) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
_IDS = "SELECT value::STRING FROM TABLE(FLATTEN(input => PARSE_JSON(%s)))"
FLIP_SQL = (
    f"UPDATE {RAW_TABLE} SET status = IFF(status = 'BOOKED', 'CANCELLED', 'BOOKED'), "
    f"updated_at = CURRENT_TIMESTAMP() WHERE booking_id IN ({_IDS})"
)
DELETE_SQL = f"DELETE FROM {RAW_TABLE} WHERE booking_id IN ({_IDS})"
PRICES = [Decimal(p) for p in ("9.50", "12.00", "15.00", "18.50", "25.00", "60.00", "120.00")]


@dataclass(frozen=True)
class BookingBatch:
    """One batch of source changes: rows to insert, bookings whose status flips, bookings deleted."""

    new: list[tuple[Any, ...]]
    flips: list[str]
    deletes: list[str]

    def __len__(self) -> int:
        return len(self.new) + len(self.flips) + len(self.deletes)


@dataclass
class BookingWorkload:
    """Seeded generator of booking changes; `batch` returns the next `changes` of them."""

    seed: int = 0
    movies: int = 20
    customers: int = 5_000
    #: Shares of new bookings, status flips and deletions among changes (once bookings exist).
    mix: tuple[float, float, float] = (0.6, 0.3, 0.1)
    invalid_share: float = 0.02
    #: Booking dates are wall-clock times in this zone, as CURRENT_TIMESTAMP() stored in a
    #: TIMESTAMP_NTZ column is (Snowflake's default TIMEZONE).
    timezone: str = "America/Los_Angeles"
    _random: random.Random = field(init=False, repr=False)
    _live: list[str] = field(init=False, repr=False, default_factory=list)
    _position: dict[str, int] = field(init=False, repr=False, default_factory=dict)
    _next_id: int = field(init=False, repr=False, default=0)
    _zone: ZoneInfo = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if abs(sum(self.mix) - 1) > 1e-9 or min(self.mix) < 0:
            raise ValueError(f"mix must be three non-negative shares summing to 1, got {self.mix}")
        self._random = random.Random(self.seed)
        self._zone = ZoneInfo(self.timezone)

    @property
    def live_bookings(self) -> int:
        return len(self._live)

    def batch(self, now: Millis, changes: int) -> BookingBatch:
        """The next `changes` changes, as of virtual time `now` (booking dates are up to a day before it)."""
        rng = self._random
        new_share, flip_share, _ = self.mix
        n_flips = min(round(changes * flip_share), len(self._live))
        n_deletes = min(changes - round(changes * new_share) - n_flips, len(self._live) - n_flips)
        n_deletes = max(n_deletes, 0)
        touched = rng.sample(self._live, n_flips + n_deletes)
        flips, deletes = touched[:n_flips], touched[n_flips:]
        for booking_id in deletes:
            self._remove(booking_id)
        new = [self._booking(now) for _ in range(changes - n_flips - n_deletes)]
        return BookingBatch(new, flips, deletes)

    def _booking(self, now: Millis) -> tuple[Any, ...]:
        rng = self._random
        self._next_id += 1
        booking_id = f"B{self._next_id:09d}"
        self._position[booking_id] = len(self._live)
        self._live.append(booking_id)
        customer: str | None = f"C{rng.randrange(self.customers):06d}"
        movie = f"M{rng.randrange(self.movies):03d}"
        booked_at = to_datetime(now - rng.randrange(86_400_000)).astimezone(self._zone).replace(tzinfo=None, microsecond=0)
        tickets = rng.choice((1, 1, 2, 2, 2, 3, 4, 5, 6, 8))
        price = rng.choice(PRICES)
        if rng.random() < self.invalid_share:
            flaw = rng.randrange(4)
            if flaw == 0:
                customer = None
            elif flaw == 1:
                price = -price
            elif flaw == 2:
                tickets = 0
            else:
                booked_at += timedelta(days=30)
        return (booking_id, customer, movie, booked_at, "BOOKED", tickets, price)

    def _remove(self, booking_id: str) -> None:
        position = self._position.pop(booking_id)
        last = self._live.pop()
        if last != booking_id:
            self._live[position] = last
            self._position[last] = position


def apply(cursor: Any, batch: BookingBatch) -> None:
    """Apply a batch through a DB-API cursor (emulator or live): one statement per kind of change."""
    if batch.new:
        cursor.executemany(INSERT_SQL, batch.new)
    if batch.flips:
        cursor.execute(FLIP_SQL, (json.dumps(batch.flips),))
    if batch.deletes:
        cursor.execute(DELETE_SQL, (json.dumps(batch.deletes),))


def drive(conn: Any, workload: BookingWorkload, *, minutes: int, changes_per_minute: int,
          on_batch: Any = None) -> None:
    """Run the workload on an emulator connection's clock: one batch half-way through each minute.

    Batches land between the pipeline's minute marks, so each is consumed whole by the next run of
    a once-a-minute task. `on_batch(batch, now)` sees every batch as it is applied.
    """
    cursor = conn.cursor()
    for _ in range(minutes):
        conn.clock.advance(seconds=30)
        batch = workload.batch(conn.clock.now(), changes_per_minute)
        apply(cursor, batch)
        if on_batch is not None:
            on_batch(batch, conn.clock.now())
        conn.clock.advance(seconds=30)
