"""The source rows a workload generator keeps: which exist now, and per-row state arrays that grow."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class LiveRows:
    """The ids (row numbers) of a source table's rows that exist now; adding and removing are O(1) per row."""

    def __init__(self) -> None:
        self.ids = np.empty(0, dtype=np.int64)
        self.count = 0
        self._position = np.empty(0, dtype=np.int64)  # where each id is in `ids`, -1 once removed

    def add(self, ids: np.ndarray) -> None:
        end = self.count + len(ids)
        if end > len(self.ids):
            self.ids = np.resize(self.ids, max(end, 2 * len(self.ids)))
        if len(ids) and ids.max() >= len(self._position):
            grown = np.full(max(int(ids.max()) + 1, 2 * len(self._position)), -1, dtype=np.int64)
            grown[:len(self._position)] = self._position
            self._position = grown
        self.ids[self.count:end] = ids
        self._position[ids] = np.arange(self.count, end)
        self.count = end

    def remove(self, ids: np.ndarray) -> None:
        for row in ids.tolist():  # swap with the last live row
            at, last = self._position[row], self.ids[self.count - 1]
            self.ids[at], self._position[last] = last, at
            self._position[row] = -1
            self.count -= 1

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Up to `size` distinct live ids, at random."""
        return self.ids[rng.choice(self.count, size=min(size, self.count), replace=False)]


def grow(state: dict[str, np.ndarray], size: int) -> None:
    """Make room for rows up to `size` in each per-row state array (first axis), at least doubling; new rows are 0."""
    for name, array in state.items():
        if size > len(array):
            grown = np.zeros((max(size, 2 * len(array)), *array.shape[1:]), array.dtype)
            grown[:len(array)] = array
            state[name] = grown


def decimals(unscaled: np.ndarray, kind: pa.Decimal128Type) -> pa.Array:
    """Decimals of `kind` from their unscaled int64 values (cents for a scale of 2), built from the 128-bit words
    (no Python object per value)."""
    words = np.empty((len(unscaled), 2), dtype=np.int64)
    words[:, 0] = unscaled
    words[:, 1] = unscaled >> 63  # the high word extends the sign
    return pa.Array.from_buffers(kind, len(unscaled), [None, pa.py_buffer(words.tobytes())])


def source_ms(column: pa.ChunkedArray) -> np.ndarray:
    """A column of source times (epoch ms, or a timestamp of any unit) as epoch milliseconds."""
    if pa.types.is_timestamp(column.type) and column.type.unit != "ms":
        column = pc.cast(column, pa.timestamp("ms", column.type.tz))
    return pc.cast(column, pa.int64()).to_numpy()


def with_source_ms(events: pa.Table, time_column: str, times: np.ndarray) -> pa.Table:
    """`events` with the source times `times` (epoch ms) in `time_column`, in that column's own type."""
    kind = events.schema.field(time_column).type
    column = pa.array(times, pa.int64()) if pa.types.is_integer(kind) else \
        pc.cast(pa.array(times, pa.timestamp("ms")), kind)
    return events.set_column(events.schema.get_field_index(time_column), time_column, column)
