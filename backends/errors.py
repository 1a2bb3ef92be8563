"""One exception tree for every backend, shaped like PEP 249 and `snowflake.connector.errors`.

Errors carry Snowflake's structured fields (errno, sqlstate, sfqid) so code written against the
real connector can inspect them the same way. Engine errors are translated into this tree in one
place per backend (`backends/duckdb/sql/engine_errors.py`).
"""

from __future__ import annotations


class Error(Exception):
    """Base of every snowsim database error; `str()` reads like the connector's messages."""

    def __init__(
        self,
        msg: str,
        *,
        errno: int = -1,
        sqlstate: str | None = None,
        sfqid: str | None = None,
        query: str | None = None,
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.errno = errno
        self.sqlstate = sqlstate
        self.sfqid = sfqid
        self.query = query

    def __str__(self) -> str:
        if self.errno < 0:
            return self.msg
        head = f"{self.errno:06d}"
        if self.sqlstate:
            head += f" ({self.sqlstate})"
        return f"{head}: {self.msg}"


class Warning(Exception):  # noqa: A001 - the PEP 249 name
    """PEP 249 warning."""


class InterfaceError(Error):
    """Misuse of the connection or cursor (closed cursor, no result to fetch)."""


class DatabaseError(Error):
    """An error reported by the database."""


class InternalError(DatabaseError):
    """The emulator's own invariant broke; always a bug in snowsim."""


class OperationalError(DatabaseError):
    """The database could not carry out the operation (e.g. an aborted transaction)."""


class ProgrammingError(DatabaseError):
    """Bad SQL or a missing object: Snowflake's SQL compilation errors."""


class IntegrityError(DatabaseError):
    """A constraint was violated (NOT NULL, duplicate MERGE source row)."""


class DataError(DatabaseError):
    """A value could not be processed (bad cast, string too long, division by zero)."""


#: Snowflake's errno for an unsupported feature (`000002 (0A000): Unsupported feature '...'`).
UNSUPPORTED_FEATURE = 2


class NotSupportedError(DatabaseError):
    """A Snowflake feature the backend cannot reproduce faithfully.

    The emulator raises this rather than run something that would behave differently;
    `feature` names what is missing so the message can be searched for.
    """

    def __init__(self, feature: str, *, detail: str = "", query: str | None = None) -> None:
        message = f"snowsim: {feature} is not supported by the DuckDB emulator"
        if detail:
            message += f" ({detail})"
        super().__init__(message, errno=UNSUPPORTED_FEATURE, sqlstate="0A000", query=query)
        self.feature = feature


def compilation_error(
    detail: str, *, errno: int, sqlstate: str = "42000", query: str | None = None
) -> ProgrammingError:
    """A Snowflake `SQL compilation error:` with its code."""
    return ProgrammingError(f"SQL compilation error:\n{detail}", errno=errno, sqlstate=sqlstate, query=query)


def object_does_not_exist(name: str, *, query: str | None = None) -> ProgrammingError:
    """Snowflake's 002003 for a missing (or inaccessible) object."""
    return compilation_error(
        f"Object '{name}' does not exist or not authorized.", errno=2003, sqlstate="42S02", query=query
    )


def object_already_exists(name: str, *, query: str | None = None) -> ProgrammingError:
    """Snowflake's 002002 for CREATE without OR REPLACE / IF NOT EXISTS on an existing name."""
    return compilation_error(f"Object '{name}' already exists.", errno=2002, sqlstate="42710", query=query)


def duplicate_merge_row(*, query: str | None = None) -> IntegrityError:
    """Snowflake's 100090: a MERGE would update or delete one target row through several source rows."""
    return IntegrityError(
        "Duplicate row detected during DML action: a target row matched more than one source row",
        errno=100090, sqlstate="42P18", query=query,
    )


class EngineOutOfMemory(MemoryError):
    """The engine behind a backend reached its memory limit (the emulator's DuckDB): the machine's
    resources, not the pipeline's SQL.

    Never a Snowflake error (a warehouse spills to storage instead), so it is not a connector
    error: it stops whatever is running rather than failing a task, a refresh or a file load.
    """
