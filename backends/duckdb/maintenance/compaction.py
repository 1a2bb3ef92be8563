"""Compaction: a CHECKPOINT when the tables fill a budget of memory.

DuckDB keeps an in-memory database's tables uncompressed until a CHECKPOINT compresses them
(about 5x on the booking pipeline: text, timestamps and sequences compress well) and frees the
rows deleted since. A checkpoint rewrites every row group changed since the last one, so it runs
only when the table data has passed BUDGET (or SHARE of DuckDB's memory limit, if that is less)
and grown GROWTH-fold since the last checkpoint, looked at every CHECK_EVERY statements, and
only between transactions. It changes nothing a query can see. Beyond the memory limit, DuckDB
spills table data to its temporary directory.

Before it, the change logs (catalog/tracking.py) lose the rows no reader can need again: those at or
below every stream's offset and every dynamic table's source CSN on the table. Nothing reads a
log further back (the emulator refuses time travel and the CHANGES clause), and a stream or
dynamic table created later starts from the current version.

Measured on a day of the booking pipeline at 100 events/s (classic Streaming, 2026-12-01): with
no compaction the tables reach ~13 GB (peak RSS 14.5 GiB, 464 s); with BUDGET the day compacts
11 times (20 s in all) and peaks at 3.3 GiB, in the same time (456 s). A smaller budget costs
time: at 256 MiB, 3 h compacted 7 times and took 37.6 s against 33.7 s (one run each): more
checkpoints, and scans of compressed tables are slower.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from backends.duckdb.catalog.objects import CatalogObject, Stream, Table, stream_sources
from backends.duckdb.catalog.tracking import CSN
from backends.duckdb.maintenance.refresh import DynamicTable

#: Statements or transactions ended between looks at the memory in use (a look is one small query).
CHECK_EVERY = 64
#: Compact once the table data passes BUDGET bytes or this share of the memory limit, whichever is less,
#: and this many times what it was after the last.
BUDGET = 3 << 29  # 1.5 GiB
SHARE = 0.7
GROWTH = 2.0
_BYTES = {"bytes": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}  # DuckDB's display units


def memory_limit(duck: duckdb.DuckDBPyConnection) -> int:
    """The database's memory limit in bytes (by default 80 % of the memory DuckDB sees, container limits included)."""
    number, unit = duck.execute("SELECT current_setting('memory_limit')").fetchone()[0].split()
    return int(float(number) * _BYTES[unit])


def table_bytes(duck: duckdb.DuckDBPyConnection) -> int:
    """The bytes the database's tables take, in memory and spilled."""
    return int(duck.execute("SELECT coalesce(sum(memory_usage_bytes + temporary_storage_bytes), 0) "
                            "FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'").fetchone()[0])


def log_floors(objects: Iterable[CatalogObject], committed_csn: int) -> dict[str, int]:
    """Per change log, the CSN at or below which no reader will read it again.

    A stream reads changes after its offset (a SHOW_INITIAL_ROWS stream not yet consumed reads the
    table itself); a dynamic table's next refresh reads its sources' changes after its source CSN;
    a stale stream can no longer be read. A log nobody reads is needed from the next commit on."""
    objects = list(objects)
    floors = {o.tracking.changes: committed_csn for o in objects if isinstance(o, Table) and o.tracking}
    readers: list[tuple[list[Table], int]] = []
    for obj in objects:
        if isinstance(obj, Stream) and not obj.stale_reason and obj.offset is not None:
            readers.append((stream_sources(obj), obj.offset))
        elif isinstance(obj, DynamicTable):
            readers.append((obj.sources, obj.source_csn))
    for tables, position in readers:
        for table in tables:
            if table.tracking is not None:
                floors[table.tracking.changes] = min(floors[table.tracking.changes], position)
    return floors


@dataclass
class Compaction:
    """When to checkpoint an account's database; `duck` is a cursor of its own (no other result is open on it)."""

    duck: duckdb.DuckDBPyConnection
    limit: int = 0  # the memory limit, bytes
    commits: int = 0  # statements and transactions ended
    checkpoints: int = 0
    pruned: int = 0  # change-log rows deleted
    after_last: int = 0  # table bytes right after the last checkpoint

    def __post_init__(self) -> None:
        self.limit = self.limit or memory_limit(self.duck)

    def due(self, *, in_transaction: bool) -> bool:
        """A statement or transaction ended: is a checkpoint due? Looked at every CHECK_EVERY ends,
        never while `in_transaction` (a session has a transaction open): at a later look."""
        self.commits += 1
        if self.commits % CHECK_EVERY or in_transaction:
            return False
        used = table_bytes(self.duck)
        return used >= min(BUDGET, SHARE * self.limit) and used >= GROWTH * self.after_last

    def prune(self, floors: dict[str, int]) -> None:
        """Delete change-log rows at or below their log's floor (log_floors); the checkpoint frees them."""
        for log, floor in floors.items():
            self.pruned += self.duck.execute(f"DELETE FROM {log} WHERE {CSN} <= {floor}").fetchone()[0]

    def checkpoint(self) -> None:
        """CHECKPOINT, unless DuckDB still has another write transaction open: then at a later look.

        The caller first ends what it can (a result a session has not fetched to its end can keep
        an autocommit transaction open in DuckDB)."""
        try:
            self.duck.execute("CHECKPOINT")
        except duckdb.TransactionException:
            return
        self.checkpoints += 1
        self.after_last = table_bytes(self.duck)
