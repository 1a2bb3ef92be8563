"""The source rows a workload generator keeps: which exist now, and per-row state arrays that grow."""

from __future__ import annotations

import numpy as np


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
