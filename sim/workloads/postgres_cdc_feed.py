"""A PostgreSQL source's change events as Debezium emits them, for the CDC pipeline of
`postgres-cdc-snowpipe-streaming.md`: one row per change to its `customers` or `orders` table.

Each event has Debezium's `op` (c create, u update, d delete), the table, the row's `before` image
(updates and deletions: the source runs with REPLICA IDENTITY FULL) and `after` image (creates and
updates), and `ts_ms`, the source's commit time. Images are objects for a VARIANT column; both
tables' images share one Arrow struct, so an image carries the other table's columns as nulls.
Timestamps in images are ISO text (a converter on the connector), amounts numbers (Debezium's
decimal.handling.mode=double). Customers change their email or name (or only their updated_at);
orders move PENDING -> PAID -> SHIPPED -> DELIVERED or to CANCELLED (a finished order gets its
amount corrected); a customer is deleted only once its orders are (orders reference customers).
Deterministic for a seed; built with numpy and Arrow compute, never one Python object per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from sim.scenario import CdcMix
from sim.workloads.rows import LiveRows, grow

#: An image's columns: the customers table's and the orders table's (customer_id, created_at, updated_at in both).
IMAGE = pa.struct([
    ("customer_id", pa.int64()), ("email", pa.string()), ("name", pa.string()), ("order_id", pa.int64()),
    ("amount", pa.float64()), ("status", pa.string()), ("created_at", pa.string()), ("updated_at", pa.string()),
])
#: The landing table's columns (RAW_CHANGES without its INGESTED_AT default): what both ingestion paths deliver.
SCHEMA = pa.schema([
    ("event_id", pa.int64()), ("operation", pa.string()), ("table_name", pa.string()),
    ("before", IMAGE), ("after", IMAGE), ("ts_ms", pa.int64()),
])
#: What a change can be; the order the feed numbers them in.
KINDS = tuple(CdcMix.model_fields)
STATUSES = np.array(["PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"])
PENDING, PAID, SHIPPED, DELIVERED, CANCELLED = range(5)
DOMAINS = np.array(["example.com", "mail.example.org", "inbox.example.net", "post.example.io"])
_POOL = 256


@dataclass
class PostgresCdcFeed:
    """Seeded generator of Debezium change events; `batch(times)` makes one event per time given.

    Within a batch a row changes at most once and rows created in it are not changed yet, so each
    event's before image is the row as the batch found it.
    """

    #: The column with each event's source commit time (epoch ms), which the ingestion models time rows by.
    time_column: ClassVar[str] = "ts_ms"
    #: The events' columns, as the landing table must have them.
    schema: ClassVar[pa.Schema] = SCHEMA

    seed: int = 0
    mix: CdcMix = field(default_factory=CdcMix)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    _rng: np.random.Generator = field(init=False, repr=False)
    _next_event: int = field(init=False, repr=False, default=1)
    _customers_made: int = field(init=False, repr=False, default=0)
    _orders_made: int = field(init=False, repr=False, default=0)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng([self.seed, 3])
        fake = Faker("en_US")
        fake.seed_instance(self.seed)
        self._first = np.array([fake.first_name() for _ in range(_POOL)])
        self._last = np.array([fake.last_name() for _ in range(_POOL)])
        self._customers, self._orders = LiveRows(), LiveRows()
        # Row state by id - 1: a customer's name, email (its own last name, domain), orders held, times; an order's.
        self._c = {name: np.zeros(1024, np.int64)
                   for name in ("first", "last", "mailbox", "domain", "orders", "created", "updated")}
        self._o = {name: np.zeros(1024, np.int64) for name in ("customer", "cents", "status", "created", "updated")}

    @property
    def events(self) -> int:
        return self._next_event - 1

    def batch(self, times: np.ndarray) -> pa.Table:
        """One change event per time (epoch ms, sorted), as an Arrow table with `SCHEMA`."""
        n = len(times)
        rng = self._rng
        shares = np.cumsum([getattr(self.mix, k) for k in KINDS])
        kind = np.searchsorted(shares, rng.random(n), side="right").clip(0, len(KINDS) - 1)
        target = np.full(n, -1, dtype=np.int64)  # the row a change acts on (id - 1); new rows get theirs in _apply
        slots = [np.flatnonzero(kind == index) for index in range(len(KINDS))]
        live = self._customers
        if live.count:  # buyers, with replacement: one customer may place several orders
            target[slots[3]] = live.ids[rng.integers(0, live.count, len(slots[3]))]
        else:
            kind[slots[3]] = 0
        # Customers deleted or changed are distinct; one deleted holds no order and places none in this batch.
        drawn = live.sample(rng, len(slots[1]) + 4 * len(slots[2]))
        removed = drawn[(self._c["orders"][drawn] == 0) & ~np.isin(drawn, target[slots[3]])][:len(slots[2])]
        _fill(target, kind, slots[2], removed)
        _fill(target, kind, slots[1], drawn[~np.isin(drawn, removed)])
        drawn = self._orders.sample(rng, len(slots[5]) + len(slots[4]))
        _fill(target, kind, slots[5], drawn[:len(slots[5])])
        _fill(target, kind, slots[4], drawn[len(slots[5]):])
        for index, name in enumerate(KINDS):
            self.counts[name] += int(np.count_nonzero(kind == index))

        before = self._images(kind, target, np.isin(kind, (1, 2, 4, 5)))
        self._apply(kind, target, times)
        after = self._images(kind, target, np.isin(kind, (0, 1, 3, 4)))
        first = self._next_event
        self._next_event += n
        operation = np.where(np.isin(kind, (0, 3)), "c", np.where(np.isin(kind, (2, 5)), "d", "u"))
        return pa.Table.from_arrays([
            pa.array(np.arange(first, first + n, dtype=np.int64)), pa.array(operation),
            pa.array(np.where(kind < 3, "customers", "orders")), before, after, pa.array(times, pa.int64()),
        ], schema=SCHEMA)

    def _apply(self, kind: np.ndarray, target: np.ndarray, times: np.ndarray) -> None:
        """Carry the batch's changes out on the source's rows; new rows get their ids in `target`."""
        rng, c, o = self._rng, self._c, self._o
        new = np.flatnonzero(kind == 0)
        ids = np.arange(self._customers_made, self._customers_made + len(new), dtype=np.int64)
        self._customers_made += len(new)
        grow(c, self._customers_made)
        c["first"][ids] = rng.integers(0, _POOL, len(ids))
        c["last"][ids] = c["mailbox"][ids] = rng.integers(0, _POOL, len(ids))  # the mailbox keeps the first last name
        c["domain"][ids], c["orders"][ids] = 0, 0
        c["created"][ids] = c["updated"][ids] = times[new]
        target[new] = ids
        self._customers.add(ids)

        changed = np.flatnonzero(kind == 1)
        rows, what = target[changed], rng.random(len(changed))
        email, name = rows[what < 0.6], rows[(what >= 0.6) & (what < 0.9)]  # the rest only touch updated_at
        c["domain"][email] = (c["domain"][email] + rng.integers(1, len(DOMAINS), len(email))) % len(DOMAINS)
        c["last"][name] = (c["last"][name] + rng.integers(1, _POOL, len(name))) % _POOL
        c["updated"][rows] = times[changed]
        self._customers.remove(target[kind == 2])

        placed = np.flatnonzero(kind == 3)
        ids = np.arange(self._orders_made, self._orders_made + len(placed), dtype=np.int64)
        self._orders_made += len(placed)
        grow(o, self._orders_made)
        o["customer"][ids] = target[placed]
        np.add.at(c["orders"], target[placed], 1)
        o["cents"][ids] = np.round(np.exp(rng.normal(np.log(4_500), 0.7, len(ids)))).astype(np.int64) + 99
        o["status"][ids] = PENDING
        o["created"][ids] = o["updated"][ids] = times[placed]
        target[placed] = ids
        self._orders.add(ids)

        moved = np.flatnonzero(kind == 4)
        rows, draw = target[moved], rng.random(len(moved))
        status = o["status"][rows]
        nxt = np.select([(status == PENDING) & (draw < 0.85), status == PENDING, (status == PAID) & (draw < 0.9),
                         status == PAID, status == SHIPPED], [PAID, CANCELLED, SHIPPED, CANCELLED, DELIVERED], status)
        finished = nxt == status  # DELIVERED or CANCELLED: the amount is corrected instead
        o["cents"][rows[finished]] = np.round(o["cents"][rows[finished]] * rng.uniform(0.8, 1.0, int(finished.sum())))
        o["status"][rows] = nxt
        o["updated"][rows] = times[moved]
        gone = target[kind == 5]
        np.subtract.at(c["orders"], o["customer"][gone], 1)
        self._orders.remove(gone)

    def _images(self, kind: np.ndarray, target: np.ndarray, valid: np.ndarray) -> pa.StructArray:
        """The rows `target` points at as they are now, as images; null where `valid` is False."""
        c, o = self._c, self._o
        customer = valid & (kind < 3)
        order = valid & (kind >= 3)
        at_c = np.where(customer, target, 0)
        at_o = np.where(order, target, 0)
        owner = np.where(order, o["customer"][at_o], at_c)
        first, last = self._first[c["first"][at_c]], self._last[c["last"][at_c]]
        mailbox, domain = self._last[c["mailbox"][at_c]], DOMAINS[c["domain"][at_c]]
        number = pc.cast(pa.array(at_c + 1), pa.string())
        email = pc.utf8_lower(pc.binary_join_element_wise(first, ".", mailbox, ".", number, "@", domain, ""))
        created = np.where(order, o["created"][at_o], c["created"][at_c])
        updated = np.where(order, o["updated"][at_o], c["updated"][at_c])
        fields = [
            pa.array(owner + 1, mask=~valid), _masked(email, customer),
            _masked(pc.binary_join_element_wise(first, last, " "), customer), pa.array(at_o + 1, mask=~order),
            pa.array(o["cents"][at_o] / 100, mask=~order),
            _masked(pa.array(STATUSES[o["status"][at_o]]), order),
            _masked(_iso(created), valid), _masked(_iso(updated), valid),
        ]
        return pa.StructArray.from_arrays(fields, fields=list(IMAGE), mask=pa.array(~valid))


def _fill(target: np.ndarray, kind: np.ndarray, slots: np.ndarray, rows: np.ndarray) -> None:
    """Give `slots` the rows to act on, in order; slots left without one create a customer instead."""
    take = min(len(slots), len(rows))
    target[slots[:take]] = rows[:take]
    kind[slots[take:]] = 0


def _masked(values: pa.Array, keep: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(keep), values, pa.scalar(None, values.type))


def _iso(ms: np.ndarray) -> pa.Array:
    """Epoch ms as ISO text with milliseconds, as the connector's timestamp converter writes them (UTC)."""
    return pc.cast(pa.array(ms, pa.timestamp("ms")), pa.string())  # strftime is ten times slower
