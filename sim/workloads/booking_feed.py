"""The booking service's change feed: one row per change (new booking, status change, deletion), as Arrow.

This is what a CDC connector (Debezium, a Kafka topic) would hand to Snowpipe or Snowpipe
Streaming: `op` I / U / D with the booking's full row image after the change (before it, for a
deletion), the source commit time `source_ts` (UTC) and a gap-free `event_id`. Deterministic for
a seed; generated with numpy, never one Python object per row. A configurable share of new
bookings breaks one of the silver layer's data-quality rules (missing customer, negative price,
no tickets, a booking date in the future).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sim.workloads.rows import LiveRows, decimals, grow

#: The landing table's columns, in order: what both ingestion paths deliver.
SCHEMA = pa.schema([
    ("event_id", pa.int64()), ("op", pa.string()), ("booking_id", pa.string()), ("customer_id", pa.string()),
    ("movie_id", pa.string()), ("booking_date", pa.timestamp("ms")), ("status", pa.string()),
    ("ticket_count", pa.int32()), ("ticket_price", pa.decimal128(10, 2)), ("source_ts", pa.timestamp("ms")),
])
PRICE_CENTS = np.array([950, 1200, 1500, 1850, 2500, 6000, 12000], dtype=np.int64)
TICKETS = np.array([1, 1, 2, 2, 2, 3, 4, 5, 6, 8], dtype=np.int32)
DAY_MS = 86_400_000


@dataclass
class BookingFeed:
    """Seeded generator of booking change events; `batch(times)` makes one event per time given."""

    #: The column with each event's source commit time, which the ingestion models time rows by.
    time_column: ClassVar[str] = "source_ts"
    #: The events' columns, as the landing table must have them.
    schema: ClassVar[pa.Schema] = SCHEMA

    seed: int = 0
    movies: int = 20
    customers: int = 5_000
    #: Shares of new bookings, status changes and deletions (changes and deletions need live bookings).
    mix: tuple[float, float, float] = (0.6, 0.3, 0.1)
    invalid_share: float = 0.02
    #: Booking dates are wall-clock times in this zone, as CURRENT_TIMESTAMP() stored in TIMESTAMP_NTZ is.
    timezone: str = "America/Los_Angeles"
    counts: dict[str, int] = field(default_factory=lambda: {"I": 0, "U": 0, "D": 0})
    _rng: np.random.Generator = field(init=False, repr=False)
    _next_event: int = field(init=False, repr=False, default=1)
    _live: LiveRows = field(init=False, repr=False)
    _rows: dict[str, np.ndarray] = field(init=False, repr=False)
    _created: int = field(init=False, repr=False, default=0)

    def __post_init__(self) -> None:
        if abs(sum(self.mix) - 1) > 1e-9 or min(self.mix) < 0:
            raise ValueError(f"mix must be three non-negative shares summing to 1, got {self.mix}")
        self._rng = np.random.default_rng(self.seed)
        self._live = LiveRows()
        self._rows = {
            "customer": np.empty(1024, dtype=np.int64), "movie": np.empty(1024, dtype=np.int64),
            "booked_at": np.empty(1024, dtype=np.int64), "booked": np.empty(1024, dtype=bool),
            "tickets": np.empty(1024, dtype=np.int32), "cents": np.empty(1024, dtype=np.int64),
        }

    @property
    def events(self) -> int:
        return self._next_event - 1

    @property
    def live_bookings(self) -> int:
        return self._live.count

    def batch(self, times: np.ndarray) -> pa.Table:
        """One change event per time (epoch ms, sorted), as an Arrow table with `SCHEMA`."""
        n = len(times)
        rng = self._rng
        draw = rng.random(n)
        new_share, change_share, _ = self.mix
        op = np.where(draw < new_share, 0, np.where(draw < new_share + change_share, 1, 2))
        touched_slots = np.flatnonzero(op > 0)
        live = self._live.count
        if len(touched_slots) > live:  # not enough bookings yet: the rest are new
            op[touched_slots[live:]] = 0
            touched_slots = touched_slots[:live]
        touched = self._live.sample(rng, len(touched_slots)) if len(touched_slots) else np.empty(0, np.int64)
        new_slots = np.flatnonzero(op == 0)
        created = self._create(len(new_slots), times[new_slots])
        booking = np.empty(n, dtype=np.int64)
        booking[new_slots] = created
        booking[touched_slots] = touched
        changed = touched[op[touched_slots] == 1]
        self._rows["booked"][changed] = ~self._rows["booked"][changed]
        self._live.remove(touched[op[touched_slots] == 2])
        first = self._next_event
        self._next_event += n
        for code, letter in enumerate("IUD"):
            self.counts[letter] += int(np.count_nonzero(op == code))
        return self._table(np.arange(first, first + n, dtype=np.int64), op, booking, times)

    def _create(self, count: int, times: np.ndarray) -> np.ndarray:
        numbers = np.arange(self._created, self._created + count, dtype=np.int64)
        self._created += count
        grow(self._rows, self._created)
        rng, rows = self._rng, self._rows
        rows["customer"][numbers] = rng.integers(0, self.customers, count)
        rows["movie"][numbers] = rng.integers(0, self.movies, count)
        rows["booked_at"][numbers] = _local_ms(times, self.timezone) - rng.integers(0, DAY_MS, count)
        rows["booked"][numbers] = True
        rows["tickets"][numbers] = TICKETS[rng.integers(0, len(TICKETS), count)]
        rows["cents"][numbers] = PRICE_CENTS[rng.integers(0, len(PRICE_CENTS), count)]
        flawed = numbers[rng.random(count) < self.invalid_share]
        flaw = rng.integers(0, 4, len(flawed))
        rows["customer"][flawed[flaw == 0]] = -1
        rows["cents"][flawed[flaw == 1]] *= -1
        rows["tickets"][flawed[flaw == 2]] = 0
        rows["booked_at"][flawed[flaw == 3]] += 30 * DAY_MS
        self._live.add(numbers)
        return numbers

    def _table(self, event_ids: np.ndarray, op: np.ndarray, booking: np.ndarray, times: np.ndarray) -> pa.Table:
        rows = self._rows
        customer = rows["customer"][booking]
        cents = rows["cents"][booking]
        return pa.Table.from_arrays([
            pa.array(event_ids),
            pa.array(np.array(["I", "U", "D"])[op]),
            _ids("B", booking + 1, 9),
            _ids("C", customer, 6, null=customer < 0),
            _ids("M", rows["movie"][booking], 3),
            pa.array(rows["booked_at"][booking], pa.timestamp("ms")),
            pa.array(np.where(rows["booked"][booking], "BOOKED", "CANCELLED")),
            pa.array(rows["tickets"][booking]),
            decimals(cents, SCHEMA.field("ticket_price").type),
            pa.array(times, pa.timestamp("ms")),
        ], schema=SCHEMA)


def _ids(prefix: str, numbers: np.ndarray, width: int, null: np.ndarray | None = None) -> pa.Array:
    text = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    joined = pc.binary_join_element_wise(prefix, text, "")
    return (
        pc.if_else(pa.array(null), pa.nulls(len(numbers), pa.string()), joined)
        if null is not None and null.any()
        else joined
    )


def _local_ms(times: np.ndarray, timezone: str) -> np.ndarray:
    """Epoch ms as wall-clock ms in `timezone` (the offset of each event's own hour)."""
    zone = ZoneInfo(timezone)
    hours, index = np.unique(times // 3_600_000, return_inverse=True)
    offsets = np.array([int(datetime.fromtimestamp(h * 3600, UTC).astimezone(zone).utcoffset().total_seconds() * 1000)
                        for h in hours.tolist()], dtype=np.int64)
    return times + (offsets[index] if len(hours) else 0)

