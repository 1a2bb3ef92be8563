"""What the harness needs from a backend: Snowflake SQL, a clock, and the ingestion verbs.

The DuckDB emulator's connection (`backends.duckdb.connect()`) implements it; a live backend would
implement the same verbs over the connector, a stage and pipe, and the Snowpipe Streaming SDK. The
harness finds a backend by name in `backends/registry.py`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from backends.lineage import Lineage


class Clock(Protocol):
    """Time as the backend sees it (virtual for the emulator, the wall clock live)."""

    def now(self) -> int: ...

    def schedule(self, at: int, callback: Any, *, priority: int = 0) -> Any: ...

    def run_until(self, until: int) -> None: ...


class Channel(Protocol):
    """A Snowpipe Streaming channel: rows and their offset token commit together."""

    @property
    def latest_committed_offset_token(self) -> str | None: ...

    def insert_rows(self, rows: pa.Table, offset_token: str) -> Any: ...


class Backend(Protocol):
    """A DB-API connection shaped like `snowflake.connector`'s, plus the harness's verbs."""

    @property
    def clock(self) -> Clock: ...

    @property
    def lineage(self) -> Lineage:
        """Committed table versions, what each read and when it became visible."""

    def cursor(self) -> Any: ...

    def close(self) -> None: ...

    def open_channel(self, table: str, name: str) -> Channel:
        """Open or reopen a Snowpipe Streaming channel on `table`."""

    def insert_files(self, pipe: str, files: Iterable[str]) -> int:
        """Snowpipe's insertFiles: queue staged files on `pipe`."""

    def load_next_file(self, pipe: str) -> Any:
        """Load the oldest queued file (the emulator; a live pipe loads on its own)."""

    def warehouse_periods(self, name: str) -> list[tuple[int, int, int]]:
        """When warehouse `name` ran: (resumed, suspended or now, billed until), epoch ms (live: from the
        warehouse's resume and suspend events)."""


class BackendModule(Protocol):
    """A backend package, as the registry hands it to the harness."""

    def connect(self, **options: Any) -> Backend:
        """A connection, with the options the backend's own `connect` takes (the emulator: `start`, `timezone`...)."""

    def connect_for_run(self, *, start: int, folder: Path, workers: int = 1) -> Backend:
        """A connection for one variant of a run, starting at `start` (epoch ms): its working files under
        `folder` (the harness removes it after closing), its share of the machine when `workers` variants
        run at once."""
