"""The movie-booking source workload applied as DML on raw_movie_bookings: inserts, status flips, deletes.

The changes come from the booking change feed (booking_feed.py), so both ways of driving the
booking pipeline see the same kind of data. Each batch draws its updates and deletions from
bookings that existed when the batch began and touches a booking at most once, so a batch's
changes are exactly what a stream consumed after it reports (no netting inside a batch); a share of
new bookings breaks a silver data-quality rule, so the data-quality KPIs have something to measure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow.compute as pc

from backends.clock import Millis
from sim.workloads.booking_feed import BookingFeed

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


@dataclass(frozen=True)
class BookingBatch:
    """One batch of source changes: rows to insert, bookings whose status flips, bookings deleted."""

    new: list[tuple[Any, ...]]
    flips: list[str]
    deletes: list[str]

    def __len__(self) -> int:
        return len(self.new) + len(self.flips) + len(self.deletes)


class BookingWorkload(BookingFeed):
    """The booking change feed (booking_feed.py) as DML batches: `changes` returns the next ones.

    A booking changes at most once per batch.
    """

    def changes(self, now: Millis, count: int) -> BookingBatch:
        """The next `count` changes, as of virtual time `now` (booking dates are up to a day before it)."""
        events = self.batch(np.full(count, now, dtype=np.int64))
        op = events["op"]
        new = events.filter(pc.equal(op, "I")).select(list(_NEW_COLUMNS))
        return BookingBatch(
            new=[tuple(row[c] for c in _NEW_COLUMNS) for row in new.to_pylist()],
            flips=events.filter(pc.equal(op, "U"))["booking_id"].to_pylist(),
            deletes=events.filter(pc.equal(op, "D"))["booking_id"].to_pylist(),
        )


#: The columns of a new booking, in INSERT_SQL's order.
_NEW_COLUMNS = ("booking_id", "customer_id", "movie_id", "booking_date", "status", "ticket_count", "ticket_price")


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
        batch = workload.changes(conn.clock.now(), changes_per_minute)
        apply(cursor, batch)
        if on_batch is not None:
            on_batch(batch, conn.clock.now())
        conn.clock.advance(seconds=30)
