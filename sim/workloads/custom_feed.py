"""A change feed declared in the scenario (`workload: {kind: custom}`): the user's own columns, keys and mix.

Each event is one change to a keyed source row: `event_id` (gap-free), `op` I / U / D, the key, the
declared columns (the row's image after the change; before it, for a deletion) and `source_ts`. New
rows take keys at random from the key space (deleted keys return to it, for later inserts); changes
and deletions pick live keys. Column values come from seeded pools (Faker providers, listed values)
or numpy distributions, kept per key so that a change redraws only the `updates` columns.
Deterministic for a seed; numpy and Arrow only, never one Python object per event.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from faker import Faker

from sim.scenario import CustomColumn, CustomWorkloadSpec, arrow_type
from sim.workloads.rows import LiveRows, decimals, source_ms, with_source_ms

#: Distinct values a Faker provider is drawn from: enough variety for joins and group-bys, made once per run.
FAKER_POOL = 1_000
DAY_MS = 86_400_000


def landing_schema(spec: CustomWorkloadSpec) -> pa.Schema:
    """The feed's columns, as the landing table must have them."""
    key = pa.string() if spec.key.type == "VARCHAR" else pa.int64()
    return pa.schema([("event_id", pa.int64()), ("op", pa.string()), (spec.key.column, key),
                      *[(c.name, arrow_type(c.type)) for c in spec.columns], ("source_ts", pa.timestamp("ms"))])


class _Values:
    """One declared column: draws per-key state (pool indices or numbers) and turns it into Arrow values."""

    def __init__(self, column: CustomColumn, keys: int, rng: np.random.Generator, seed: int) -> None:
        self.column, self.kind = column, arrow_type(column.type)
        self.pool: pa.Array | None = None
        self.weights: np.ndarray | None = None
        if column.faker is not None:
            fake = Faker("en_US")
            fake.seed_instance(seed)
            provider = getattr(fake, column.faker)
            self.pool = pa.array([str(provider()) for _ in range(FAKER_POOL)], pa.string())
        elif column.values is not None:
            choices = list(column.values)
            self.pool = pa.array(choices, self.kind)
            if isinstance(column.values, dict):
                weights = np.array(list(column.values.values()), dtype=float)
                self.weights = weights / weights.sum()
        self.state = np.zeros(keys, dtype=np.int32 if self.pool is not None else
                              np.float64 if column.uniform or column.normal else np.int64)
        self.null = np.zeros(keys, dtype=bool)
        self.rng = rng

    def draw(self, keys: np.ndarray, times: np.ndarray) -> None:
        """New values for `keys`, changed at `times` (epoch ms)."""
        rng, column, n = self.rng, self.column, len(keys)
        if self.pool is not None:
            self.state[keys] = rng.choice(len(self.pool), n, p=self.weights)
        elif column.uniform is not None:
            low, high = column.uniform
            whole = pa.types.is_integer(self.kind)
            self.state[keys] = np.floor(rng.uniform(low, high + 1, n)).clip(low, high) if whole else \
                rng.uniform(low, high, n)
        elif column.normal is not None:
            self.state[keys] = rng.normal(column.normal.mean, column.normal.sd, n)
        else:  # before: a time up to `before` ahead of the change
            self.state[keys] = times - np.round(rng.uniform(0, column.before * 1000, n)).astype(np.int64)
        if column.null_share:
            self.null[keys] = rng.random(n) < column.null_share

    def arrow(self, keys: np.ndarray) -> pa.Array:
        values, mask = self.state[keys], self.null[keys] if self.column.null_share else None
        kind = self.kind
        if self.pool is not None:
            return self.pool.take(pa.array(values, mask=mask))
        if pa.types.is_integer(kind):
            return pa.array(np.round(values).astype(np.int64), kind, mask=mask)
        if pa.types.is_floating(kind):
            return pa.array(values, kind, mask=mask)
        if pa.types.is_decimal(kind):
            array = decimals(np.round(values * 10 ** kind.scale).astype(np.int64), kind)
            return pc.if_else(pa.array(mask), pa.nulls(len(keys), kind), array) if mask is not None else array
        if pa.types.is_date(kind):
            return pa.array((values // DAY_MS).astype(np.int32), pa.date32(), mask=mask)
        return pa.array(values, pa.timestamp("ms"), mask=mask)


@dataclass
class CustomFeed:
    """Seeded generator of a custom workload's change events; `batch(times)` makes one event per time given."""

    spec: CustomWorkloadSpec
    seed: int = 0
    #: The column with each event's source commit time, which the ingestion models time rows by.
    time_column: str = "source_ts"
    schema: pa.Schema = field(init=False)
    counts: dict[str, int] = field(default_factory=lambda: {"I": 0, "U": 0, "D": 0})
    #: Events sent with a source time older than their arrival (the late share).
    late_events: int = 0

    def __post_init__(self) -> None:
        self.schema = landing_schema(self.spec)
        self._rng = np.random.default_rng(self.seed)
        keys = self.spec.key.keys
        self._columns = [_Values(c, keys, self._rng, self.seed * 1_000 + i) for i, c in enumerate(self.spec.columns)]
        updates = {u.lower() for u in self.spec.updates} if self.spec.updates is not None else None
        self._redrawn = [v for v in self._columns if updates is None or v.column.name.lower() in updates]
        self._unused = self._rng.permutation(keys)  # keys never inserted yet, in the order they will be
        self._next_unused = 0
        self._returned = np.empty(0, np.int64)  # deleted keys, reused once the unused ones run out
        self._live = LiveRows()
        self._next_event = 1
        width = len(str(keys))
        self._key = (lambda k: pc.binary_join_element_wise(
            self.spec.key.prefix, pc.utf8_lpad(pc.cast(pa.array(k + 1), pa.string()), width, "0"), "")
        ) if self.spec.key.type == "VARCHAR" else (lambda k: pa.array(k + 1))

    @property
    def events(self) -> int:
        return self._next_event - 1

    @property
    def free_keys(self) -> int:
        return len(self._unused) - self._next_unused + len(self._returned)

    def batch(self, times: np.ndarray) -> pa.Table:
        """One change event per time (epoch ms, sorted), as an Arrow table with `schema`. A key changes at most
        once a part of at most half the key space, so a small key space still takes a large batch."""
        step = max(1, self.spec.key.keys // 2)
        if len(times) <= step:
            return self._part(times)
        return pa.concat_tables([self._part(times[i:i + step]) for i in range(0, len(times), step)])

    def _part(self, times: np.ndarray) -> pa.Table:
        n, rng = len(times), self._rng
        mix = self.spec.mix
        draw = rng.random(n)
        op = np.where(draw < mix.new, 0, np.where(draw < mix.new + mix.change, 1, 2))
        touched_slots = np.flatnonzero(op > 0)
        if len(touched_slots) > self._live.count:  # not enough live rows yet: the rest are new
            op[touched_slots[self._live.count:]] = 0
            touched_slots = touched_slots[:self._live.count]
        new_slots = np.flatnonzero(op == 0)
        if len(new_slots) > self.free_keys:  # the key space is full: the rest change live rows (there are enough,
            spare = len(new_slots) - self.free_keys  # as a part is at most half the key space)
            op[new_slots[-spare:]] = 1
            new_slots = new_slots[:-spare]
            touched_slots = np.flatnonzero(op > 0)
        touched = self._live.sample(rng, len(touched_slots))
        created = self._take_free(len(new_slots))
        key = np.empty(n, dtype=np.int64)
        key[new_slots], key[touched_slots] = created, touched
        for values in self._columns:
            values.draw(created, times[new_slots])
        updated_slots = touched_slots[op[touched_slots] == 1]
        for values in self._redrawn:
            values.draw(key[updated_slots], times[updated_slots])
        self._live.add(created)
        deleted = key[touched_slots[op[touched_slots] == 2]]
        self._live.remove(deleted)
        self._returned = np.concatenate([self._returned, deleted])
        first = self._next_event
        self._next_event += n
        for code, letter in enumerate("IUD"):
            self.counts[letter] += int(np.count_nonzero(op == code))
        return pa.Table.from_arrays([
            pa.array(np.arange(first, first + n, dtype=np.int64)), pa.array(np.array(["I", "U", "D"])[op]),
            self._key(key), *[values.arrow(key) for values in self._columns], pa.array(times, pa.timestamp("ms")),
        ], schema=self.schema)

    def send_late(self, events: pa.Table) -> pa.Table:
        """`events` with the late share's source times moved back by `late.by` (they still arrive when they do)."""
        late = self.spec.late
        chosen = np.flatnonzero(self._rng.random(events.num_rows) < late.share) if late.share else []
        if not len(chosen):
            return events
        times = source_ms(events[self.time_column]).copy()
        times[chosen] -= np.round(late.by.draws(self._rng, len(chosen)) * 1000).astype(np.int64)
        self.late_events += len(chosen)
        return with_source_ms(events, self.time_column, times)

    def _take_free(self, count: int) -> np.ndarray:
        fresh = self._unused[self._next_unused:self._next_unused + count]
        self._next_unused += len(fresh)
        reused, self._returned = self._returned[:count - len(fresh)], self._returned[count - len(fresh):]
        return np.concatenate([fresh, reused]).astype(np.int64)
