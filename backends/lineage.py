"""Version lineage: every committed version of a tracked table, when it became visible, and what it read.

A version is made by a commit (CSN) that writes the table. It records the tables the commit read
and the snapshot it read them at (the CSN committed when its transaction began), so the harness can
tell, for any row that landed in a root table at CSN x, the first version of every downstream table
that reflects it (`sim/metrics.py`). Every backend keeps one; in the emulator, task and refresh versions
become visible when the run or refresh completes on the virtual clock, not when it executed them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from backends.clock import Millis


@dataclass(frozen=True)
class Version:
    """One committed version of one table."""

    table: str
    csn: int
    visible_at: Millis
    snapshot: int
    reads: tuple[str, ...]


class Lineage:
    """The account's log of table versions, in commit order."""

    def __init__(self) -> None:
        self.versions: list[Version] = []

    def record(self, csn: int, written: Iterable[str], reads: Iterable[str], snapshot: int, at: Millis) -> None:
        read = tuple(sorted(set(reads)))
        for table in sorted(set(written)):
            self.versions.append(Version(table, csn, at, snapshot, tuple(r for r in read if r != table)))

    def mark(self) -> int:
        """A position in the log, for `settle`."""
        return len(self.versions)

    def settle(self, mark: int, visible_at: Millis) -> None:
        """Versions committed since `mark` become visible at `visible_at` (a task run's or refresh's end)."""
        for index in range(mark, len(self.versions)):
            version = self.versions[index]
            self.versions[index] = Version(version.table, version.csn, visible_at, version.snapshot, version.reads)
