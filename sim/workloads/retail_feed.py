"""The retail demo's events: customer profiles and purchases, as JSON objects for a VARIANT landing table.

As `retail-streaming-demo.md` describes: customers fall in segments (premium 15 %, regular 60 %,
occasional 25 % by default) that set their order values, how often they buy again and how much
discounts sway them; 70 % of purchases come from returning customers, chosen by their segment's
purchase frequency; product categories peak in their months; purchases carry a marketing channel
and a shipping warehouse. A customer's attributes are a pure function of the seed and its id, so
the same customer always has the same name, age, city and segment. Everything is drawn with numpy
from pools that faker fills once per seed: no Python object per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from sim.scenario import RetailReference

EVENT_FIELDS = [
    ("customer_id", pa.string()), ("first_name", pa.string()), ("last_name", pa.string()), ("email", pa.string()),
    ("age", pa.int32()), ("city", pa.string()), ("state", pa.string()), ("segment", pa.string()),
    ("order_id", pa.string()), ("product_category", pa.string()), ("quantity", pa.int32()),
    ("unit_price", pa.float64()), ("discount_pct", pa.float64()), ("final_total", pa.float64()),
    ("channel", pa.string()), ("warehouse_id", pa.string()),
]
#: The landing table's columns: what both ingestion paths deliver (EVENT becomes a VARIANT object).
SCHEMA = pa.schema([
    ("event_id", pa.int64()), ("event_type", pa.string()), ("customer_id", pa.string()),
    ("event", pa.struct(EVENT_FIELDS)), ("source_ts", pa.timestamp("ms")),
])
_POOL = 512


def _mix(values: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 of each value with a salt: a well-spread 64-bit hash, vectorised."""
    with np.errstate(over="ignore"):
        z = values.astype(np.uint64) + np.uint64(salt & 0xFFFFFFFFFFFFFFFF) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


@dataclass
class RetailFeed:
    """Seeded generator of retail events; `batch(times)` makes one purchase per time (plus new customers' profiles)."""

    #: The column with each event's source time, which the ingestion models time rows by.
    time_column: ClassVar[str] = "source_ts"
    #: The events' columns, as the landing table must have them.
    schema: ClassVar[pa.Schema] = SCHEMA

    seed: int = 0
    reference: RetailReference = field(default_factory=RetailReference)
    counts: dict[str, int] = field(default_factory=lambda: {"customer": 0, "purchase": 0})
    _rng: np.random.Generator = field(init=False, repr=False)
    _next_event: int = field(init=False, repr=False, default=1)
    _customers: int = field(init=False, repr=False, default=0)
    _by_segment: list[list[np.ndarray]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng([self.seed, 7])
        fake = Faker("en_US")
        fake.seed_instance(self.seed)
        self._first = np.array([fake.first_name() for _ in range(_POOL)])
        self._last = np.array([fake.last_name() for _ in range(_POOL)])
        places = [(fake.city(), fake.state_abbr()) for _ in range(_POOL)]
        self._city = np.array([c for c, _ in places])
        self._state = np.array([s for _, s in places])
        ref = self.reference
        self._segment_names = np.array([s.name for s in ref.customer_segments])
        self._segment_cut = np.cumsum([s.share for s in ref.customer_segments])
        self._aov = np.array([s.avg_order_value for s in ref.customer_segments])
        self._frequency = np.array([s.purchase_frequency for s in ref.customer_segments])
        self._sensitivity = np.array([s.price_sensitivity for s in ref.customer_segments])
        self._by_segment = [[] for _ in ref.customer_segments]

    @property
    def events(self) -> int:
        return self._next_event - 1

    def segment_of(self, customer: np.ndarray) -> np.ndarray:
        """Each customer's segment index: fixed by the seed and the customer's number."""
        draw = (_mix(customer, self.seed * 4 + 1) >> np.uint64(11)).astype(np.float64) / 2.0**53
        return np.minimum(np.searchsorted(self._segment_cut, draw, side="right"), len(self._segment_cut) - 1)

    def batch(self, times: np.ndarray) -> pa.Table:
        n = len(times)
        rng = self._rng
        new = (rng.random(n) >= self.reference.repeat_customer_probability) | (self._customers == 0)
        customer = np.empty(n, dtype=np.int64)
        fresh = np.arange(self._customers, self._customers + int(new.sum()), dtype=np.int64)
        customer[new] = fresh
        customer[~new] = self._returning(int((~new).sum()))
        self._customers += len(fresh)
        fresh_segments = self.segment_of(fresh)
        for index in range(len(self._by_segment)):
            self._by_segment[index].append(fresh[fresh_segments == index])
        purchases = self._purchases(customer, times)
        profiles = self._profiles(fresh, times[new])
        # A new customer's profile comes just before its first purchase (same time, lower event id).
        order = np.argsort(np.concatenate([times[new], times]), kind="stable")
        table = pa.concat_tables([profiles, purchases]).take(pa.array(order))
        first = self._next_event
        self._next_event += table.num_rows
        self.counts["customer"] += profiles.num_rows
        self.counts["purchase"] += purchases.num_rows
        return table.set_column(0, "event_id", pa.array(np.arange(first, first + table.num_rows, dtype=np.int64)))

    def _returning(self, count: int) -> np.ndarray:
        """Existing customers for repeat purchases, segments weighted by how often their customers buy."""
        if count == 0:
            return np.empty(0, dtype=np.int64)
        pools = [np.concatenate(p) if p else np.empty(0, np.int64) for p in self._by_segment]
        self._by_segment = [[pool] for pool in pools]
        weights = np.array([len(pool) for pool in pools], dtype=np.float64) * self._frequency
        segment = self._rng.choice(len(pools), size=count, p=weights / weights.sum())
        chosen = np.empty(count, dtype=np.int64)
        for index, pool in enumerate(pools):
            slots = np.flatnonzero(segment == index)
            if len(slots):
                chosen[slots] = pool[self._rng.integers(0, len(pool), len(slots))]
        return chosen

    def _profiles(self, customers: np.ndarray, times: np.ndarray) -> pa.Table:
        n = len(customers)
        first = self._first[_mix(customers, self.seed * 4 + 2) % np.uint64(_POOL)]
        last = self._last[_mix(customers, self.seed * 4 + 3) % np.uint64(_POOL)]
        place = (_mix(customers, self.seed * 4 + 4) % np.uint64(_POOL)).astype(np.int64)
        ids = _ids(customers)
        number = pc.cast(pa.array(customers + 1), pa.string())
        email = pc.utf8_lower(
            pc.binary_join_element_wise(pa.array(first), ".", pa.array(last), number, "@example.com", "")
        )
        event = pa.StructArray.from_arrays(
            [
                ids,
                pa.array(first),
                pa.array(last),
                email,
                pa.array(18 + (_mix(customers, self.seed * 4 + 5) % np.uint64(62)).astype(np.int32)),
                pa.array(self._city[place]),
                pa.array(self._state[place]),
                pa.array(self._segment_names[self.segment_of(customers)]),
                *(pa.nulls(n, kind) for _, kind in EVENT_FIELDS[8:]),
            ],
            fields=[pa.field(name, kind) for name, kind in EVENT_FIELDS],
        )
        return _table(pa.array(["customer"] * n), ids, event, times)

    def _purchases(self, customers: np.ndarray, times: np.ndarray) -> pa.Table:
        n = len(customers)
        rng, ref = self._rng, self.reference
        segment = self.segment_of(customers)
        category = self._categories(times, rng.random(n))
        channels = ref.marketing_channels
        channel = rng.choice(len(channels), size=n, p=_shares([c.share for c in channels]))
        warehouse = rng.choice(len(ref.warehouses), size=n, p=_shares([w.capacity_share for w in ref.warehouses]))
        quantity = rng.integers(1, 6, n).astype(np.int32)
        order_value = self._aov[segment] * rng.lognormal(0.0, 0.4, n)
        unit_price = np.round(order_value / quantity, 2)
        discount = np.round(
            np.array([c.avg_discount_pct for c in channels])[channel] * (0.5 + self._sensitivity[segment]), 3
        )
        final_total = np.round(quantity * unit_price * (1 - discount), 2)
        ids = _ids(customers)
        order_ids = pc.binary_join_element_wise("O", pc.utf8_lpad(pc.cast(pa.array(np.arange(
            self.counts["purchase"] + 1, self.counts["purchase"] + n + 1)), pa.string()), 10, "0"), "")
        event = pa.StructArray.from_arrays(
            [ids, *(pa.nulls(n, kind) for _, kind in EVENT_FIELDS[1:8]), order_ids,
             pa.array(np.array([c.name for c in ref.product_categories])[category]), pa.array(quantity),
             pa.array(unit_price), pa.array(discount), pa.array(final_total),
             pa.array(np.array([c.name for c in channels])[channel]),
             pa.array(np.array([w.warehouse_id for w in ref.warehouses])[warehouse])],
            fields=[pa.field(name, kind) for name, kind in EVENT_FIELDS],
        )
        return _table(pa.array(["purchase"] * n), ids, event, times)

    def _categories(self, times: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """Product categories by popularity, boosted in their peak months (each event's UTC month)."""
        categories = self.reference.product_categories
        months = times.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64) % 12 + 1
        chosen = np.empty(len(times), dtype=np.int64)
        for month in np.unique(months).tolist():
            weights = np.array(
                [c.popularity * (c.seasonal_boost if month in c.peak_months else 1.0) for c in categories]
            )
            slots = months == month
            cut = np.cumsum(weights / weights.sum())
            chosen[slots] = np.minimum(np.searchsorted(cut, draws[slots], side="right"), len(categories) - 1)
        return chosen


def _shares(values: list[float]) -> np.ndarray:
    weights = np.array(values, dtype=np.float64)
    return weights / weights.sum()


def _ids(customers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise("CUST", pc.utf8_lpad(pc.cast(pa.array(customers + 1), pa.string()), 8, "0"), "")


def _table(kind: pa.Array, customer_ids: pa.Array, event: pa.Array, times: np.ndarray) -> pa.Table:
    return pa.Table.from_arrays(
        [pa.nulls(len(times), pa.int64()), kind, customer_ids, event, pa.array(times, pa.timestamp("ms"))],
        schema=SCHEMA,
    )


def reference_rows(reference: RetailReference) -> dict[str, tuple[list[str], list[tuple]]]:
    """The scenario's reference data as rows of the REFERENCE_DATA tables: {table: (columns, rows)}."""
    import json

    return {
        "REFERENCE_DATA.CUSTOMER_SEGMENTS": (
            ["SEGMENT_NAME", "SHARE", "AVG_ORDER_VALUE", "PURCHASE_FREQUENCY", "PRICE_SENSITIVITY"],
            [
                (s.name, s.share, s.avg_order_value, s.purchase_frequency, s.price_sensitivity)
                for s in reference.customer_segments
            ],
        ),
        "REFERENCE_DATA.PRODUCT_CATEGORIES": (
            ["CATEGORY_NAME", "PEAK_MONTHS", "MARGIN_PCT", "POPULARITY", "SEASONAL_BOOST"],
            [
                (c.name, json.dumps(c.peak_months), c.margin_pct, c.popularity, c.seasonal_boost)
                for c in reference.product_categories
            ],
        ),
        "REFERENCE_DATA.MARKETING_CHANNELS": (
            ["CHANNEL_NAME", "SHARE", "AVG_DISCOUNT_PCT"],
            [(c.name, c.share, c.avg_discount_pct) for c in reference.marketing_channels],
        ),
        "REFERENCE_DATA.WAREHOUSES": (
            ["WAREHOUSE_ID", "CITY", "CAPACITY_SHARE"],
            [(w.warehouse_id, w.city, w.capacity_share) for w in reference.warehouses],
        ),
        "REFERENCE_DATA.GENERATION_PARAMETERS": (
            ["PARAMETER_NAME", "PARAMETER_VALUE"],
            [("repeat_customer_probability", str(reference.repeat_customer_probability))],
        ),
    }
