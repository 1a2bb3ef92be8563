"""The embedded DuckDB emulator of Snowflake: `connect()` returns a connection shaped like the connector's.

    from backends import duckdb as local
    conn = local.connect()                       # fresh in-memory account on a virtual clock
    cur = conn.cursor()
    cur.execute("CREATE TABLE t (id INT)")
    cur.execute("CREATE STREAM s ON TABLE t")
    cur.execute("INSERT INTO t VALUES (%s)", (1,))
    cur.execute("SELECT id, METADATA$ACTION FROM s").fetchall()

`patch()` makes `snowflake.connector.connect` return emulator connections, so existing connector
code runs offline; every connection made inside one `patch()` shares one account.
"""

from __future__ import annotations

import contextlib
import importlib.util
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb as _duckdb

from backends import errors
from backends.clock import VirtualClock
from backends.duckdb.connection import Connection, Cursor, DictCursor
from backends.duckdb.maintenance.compaction import memory_limit
from backends.duckdb.session.session import DEFAULT_TIMEZONE, Account

apilevel = "2.0"
threadsafety = 1
paramstyle = "pyformat"

Error = errors.Error
DatabaseError = errors.DatabaseError
ProgrammingError = errors.ProgrammingError
NotSupportedError = errors.NotSupportedError

#: DuckDB settings of an emulated account. An in-memory database still checkpoints (compresses
#: its row groups) inside whichever COMMIT crosses the threshold, which made single commits of a
#: simulated pipeline take up to seconds; the emulator keeps its data uncompressed instead.
DUCKDB_CONFIG = {"checkpoint_threshold": "16GB"}

#: The database and schema a new emulated account starts with, current in every new session.
DEFAULT_DATABASE = "SNOWSIM"
DEFAULT_SCHEMA = "PUBLIC"
#: The warehouse a new account has, as a Snowflake trial account does (X-Small, suspended).
DEFAULT_WAREHOUSE = "COMPUTE_WH"

__all__ = [
    "Connection", "Cursor", "DictCursor", "Emulator", "apilevel", "connect", "connect_for_run", "errors", "paramstyle",
    "patch", "threadsafety",
]


class Emulator:
    """An emulated Snowflake account: one DuckDB database, one catalog, one virtual clock.

    Every `connect()` on it opens a new session that sees the same objects and data.
    """

    def __init__(
        self,
        database: str = ":memory:",
        *,
        clock: VirtualClock | None = None,
        start: datetime | str | None = None,
        stage_root: str | Path | None = None,
        duckdb_config: dict[str, Any] | None = None,
        default_database: bool = True,
    ) -> None:
        if database != ":memory:":
            raise NotSupportedError(
                "persisting the emulator to a file",
                detail="the catalog of streams and offsets lives in memory; use database=':memory:'",
            )
        if clock is not None and start is not None:
            raise ValueError("give either clock= or start=, not both")
        self.clock = clock or VirtualClock(start)
        self._account = Account(_duckdb.connect(database, config=DUCKDB_CONFIG | (duckdb_config or {})), self.clock,
                                stage_root=Path(stage_root) if stage_root is not None else None)
        if default_database:  # patch() leaves the account as empty as a new one: databases are the code's own
            self._account.ensure_database(DEFAULT_DATABASE)
        self._account.ensure_warehouse(DEFAULT_WAREHOUSE)

    def connect(
        self,
        *,
        current_database: str | None = DEFAULT_DATABASE,
        current_schema: str | None = DEFAULT_SCHEMA,
        warehouse: str | None = None,
        role: str = "SYSADMIN",
        paramstyle: str = paramstyle,
        autocommit: bool = True,
        timezone: str = DEFAULT_TIMEZONE,
        create_database: bool = False,
        connection_class: type[Connection] = Connection,
    ) -> Connection:
        """A new session; with `create_database`, a missing current database/schema is created first."""
        account = self._account
        if create_database and current_database:
            account.ensure_database(current_database)
            if current_schema and current_schema not in account.catalog.databases[current_database].schemas:
                account.create_schema(current_database, current_schema)
        # As on Snowflake, naming a database or schema that does not exist leaves the session without one.
        database = account.catalog.databases.get(current_database) if current_database else None
        if database is None:
            current_database = current_schema = None
        elif current_schema not in database.schemas:
            current_schema = None
        return connection_class(
            account, current_database=current_database, current_schema=current_schema, warehouse=warehouse,
            role=role, paramstyle=paramstyle, autocommit=autocommit, timezone=timezone,
        )


def connect(database: str = ":memory:", **options: Any) -> Connection:
    """A connection to a fresh emulated account (in-memory DuckDB, virtual clock).

    Options: `current_database` / `current_schema` (default SNOWSIM.PUBLIC), `warehouse`, `role`,
    `paramstyle` ('pyformat' like the connector, or 'qmark' / 'numeric'), `autocommit`,
    `timezone` (Snowflake's default America/Los_Angeles), `clock` or `start` for the virtual clock,
    `stage_root` for the directory internal stages keep their files in (default: a temporary one),
    `duckdb_config` for settings of the DuckDB database behind the account (`threads`,
    `memory_limit`, `temp_directory`: where table data spills beyond the limit).
    """
    clock, start, stage_root = options.pop("clock", None), options.pop("start", None), options.pop("stage_root", None)
    emulator = Emulator(database, clock=clock, start=start, stage_root=stage_root,
                        duckdb_config=options.pop("duckdb_config", None))
    emulator._account.close_with_last_session = True
    return emulator.connect(**options)


def connect_for_run(*, start: int, folder: Path, workers: int = 1,
                    duckdb_config: dict[str, Any] | None = None) -> Connection:
    """A connection for one variant of a harness run (`backends.base.BackendModule`).

    Its internal stages and the table data DuckDB spills beyond its memory limit live under `folder`
    (the caller removes it once the connection is closed); with `workers` variants at once, each takes
    that share of the threads and of the memory limit DuckDB would use alone. `duckdb_config` adds settings.
    """
    spill = folder / "spill"
    spill.mkdir(parents=True, exist_ok=True)  # DuckDB creates only the last level, and only when it first spills
    config = {"temp_directory": str(spill)}
    if workers > 1:
        with _duckdb.connect() as probe:
            threads = int(probe.execute("SELECT current_setting('threads')").fetchone()[0])
            config |= {"threads": max(1, threads // workers), "memory_limit": f"{memory_limit(probe) // workers}B"}
    emulator = Emulator(start=start, stage_root=folder / "stages", duckdb_config=config | (duckdb_config or {}))
    emulator._account.close_with_last_session = True
    return emulator.connect()


# --- running connector code offline ------------------------------------------------------------------


def patch(
    *extra_targets: str, create_database_on_connect: bool = True, start: datetime | str | None = None
) -> contextlib.AbstractContextManager[Any]:
    """Make `snowflake.connector.connect` (and `extra_targets`, dotted names) open emulator sessions.

    All connections opened inside share one emulated account, so data written through one is seen through the
    next, as on a live account; `write_pandas` and `pd_writer` write through them. With
    `create_database_on_connect`, the database and schema named in connect() are created when missing.
    Yields a handle with the account's `clock` and the `connections` made so far.
    """
    try:
        installed = importlib.util.find_spec("snowflake.connector") is not None
    except ModuleNotFoundError:
        installed = False
    if not installed:
        raise ImportError(
            "patch() replaces snowflake.connector.connect, which is not installed: pip install 'snowsim[snowflake]'"
        )
    # The connector is an optional dependency: its drop-in module loads only when patch() is called.
    from backends.duckdb import connector

    return connector.patch(Emulator(start=start, default_database=False), *extra_targets,
                           create_database_on_connect=create_database_on_connect)
