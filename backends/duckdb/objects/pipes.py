"""Internal stages, PUT, LIST, COPY INTO and Snowpipe pipes, with load history.

- A stage is a local directory (under the account's stage root); `PUT file://... @stage` copies a
  file into it, gzip-compressed unless AUTO_COMPRESS = FALSE, as Snowflake's PUT does.
- `COPY INTO t FROM @stage[/path] FILE_FORMAT = (TYPE = CSV | JSON ...)` loads the files it has not
  loaded before (bulk load metadata, 64 days); each file is one transaction.
- `CREATE PIPE p AS COPY INTO ...`: files enter the pipe's queue when notified (`insert_files`, the
  REST insertFiles call or an auto-ingest notification) and load one at a time, oldest first, when
  the harness's Snowpipe model says the load completes (`load_next`). A file name is loaded once per
  pipe within 14 days, even if its content changed.
  https://docs.snowflake.com/en/user-guide/data-load-snowpipe-intro
Load history feeds COPY_HISTORY and PIPE_USAGE_HISTORY (0.0037 credits per GB, text files at their
uncompressed size) and SYSTEM$PIPE_STATUS.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import shutil
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from backends.clock import Millis, to_datetime
from backends.duckdb.catalog.objects import CatalogObject, Table
from backends.duckdb.compile.context import AccountLike, SessionLike
from backends.duckdb.compile.load_errors import LoadError, refused_rows
from backends.duckdb.compile.plans import Plan, command_plan, text_commands
from backends.duckdb.compile.resolve import Resolver
from backends.duckdb.compile.results import (
    Result,
    RowsResult,
    number_column,
    status_result,
    text_column,
    timestamp_column,
)
from backends.duckdb.compile.table_functions import TIMESTAMP, Argument, TableFunction
from backends.duckdb.metadata import information_schema
from backends.duckdb.metadata.show import ShowRequest, local_time, objects_in_scope
from backends.duckdb.sql import engine_errors
from backends.duckdb.sql.names import (
    OBJECT_NAME_PATTERN,
    QualifiedName,
    display,
    parse_name_parts,
    quote,
    sql_string,
)
from backends.duckdb.sql.properties import option, parse_options
from backends.errors import (
    Error,
    NotSupportedError,
    ProgrammingError,
    compilation_error,
    object_already_exists,
    object_does_not_exist,
)
from backends.pricing import GB, SNOWPIPE_CREDITS_PER_GB

SNOWPIPE_HISTORY_MS = 14 * 24 * 3600 * 1000
BULK_HISTORY_MS = 64 * 24 * 3600 * 1000

_NAME = OBJECT_NAME_PATTERN
_STAGE_REF = rf"@(?P<stage>{_NAME})(?P<path>/[^\s;]*)?"
_CREATE_STAGE = re.compile(
    rf"^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?STAGE\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})(?P<rest>.*?)\s*;?\s*$",
    re.I | re.S,
)
#: PUT file://path or, for paths with spaces, 'file://path'.
_PUT = re.compile(
    rf"^\s*PUT\s+(?:'file://(?P<quoted>[^']+)'|file://(?P<file>\S+))\s+{_STAGE_REF}(?P<rest>.*?)\s*;?\s*$", re.I | re.S
)
_LIST = re.compile(rf"^\s*(?:LIST|LS)\s+{_STAGE_REF}\s*;?\s*$", re.I | re.S)
_COPY = re.compile(rf"^\s*COPY\s+INTO\s+(?P<table>{_NAME})\s+FROM\s+{_STAGE_REF}(?P<rest>.*?)\s*;?\s*$", re.I | re.S)
#: Any other COPY INTO (a transformation, unloading to a stage): refused by parse_copy, by name.
_OTHER_COPY = re.compile(r"^\s*COPY\s+INTO\b", re.I)
_CREATE_PIPE = re.compile(
    rf"^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?PIPE\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})(?P<options>.*?)\s+AS\s+(?P<copy>COPY\s+INTO\b.*?)\s*;?\s*$",
    re.I | re.S,
)
_CREATE_FILE_FORMAT = re.compile(
    rf"^\s*CREATE\s+(?P<replace>OR\s+REPLACE\s+)?(?:TEMPORARY\s+)?FILE\s+FORMAT\s+(?P<exists>IF\s+NOT\s+EXISTS\s+)?"
    rf"(?P<name>{_NAME})(?P<rest>.*?)\s*;?\s*$",
    re.I | re.S,
)
_DROP = re.compile(
    rf"^\s*DROP\s+(?P<kind>STAGE|PIPE|FILE\s+FORMAT)\s+(?P<exists>IF\s+EXISTS\s+)?(?P<name>{_NAME})\s*;?\s*$",
    re.I | re.S
)
_PIPE_STATUS = re.compile(
    r"^\s*SELECT\s+SYSTEM\$PIPE_STATUS\s*\(\s*'(?P<name>(?:[^']|'')+)'\s*\)\s*;?\s*$", re.I | re.S
)


@dataclass(eq=False)
class Stage(CatalogObject):
    kind: ClassVar[str] = "STAGE"
    directory: Path = Path()


@dataclass(frozen=True)
class FileFormat:
    """The subset of Snowflake file format options the emulator reads faithfully."""

    type: str = "CSV"
    skip_header: int = 0
    field_delimiter: str = ","
    strip_outer_array: bool = False

    @classmethod
    def parse(cls, text: str, sql: str) -> FileFormat:
        options = parse_options(text, sql)
        known = {
            "TYPE",
            "SKIP_HEADER",
            "FIELD_DELIMITER",
            "COMPRESSION",
            "STRIP_OUTER_ARRAY",
            "FIELD_OPTIONALLY_ENCLOSED_BY",
        }
        for key in options:
            if key not in known:
                raise NotSupportedError(f"file format option {key}", query=sql)
        kind = option(options, "TYPE", "CSV").upper()
        if kind not in ("CSV", "JSON"):
            raise NotSupportedError(f"loading files of TYPE = {kind}", detail="CSV and JSON are emulated", query=sql)
        compression = option(options, "COMPRESSION", "AUTO").upper()
        if compression not in ("AUTO", "GZIP", "NONE"):
            raise NotSupportedError(f"COMPRESSION = {compression}", query=sql)
        return cls(kind, int(option(options, "SKIP_HEADER", "0")), option(options, "FIELD_DELIMITER", ","),
                   option(options, "STRIP_OUTER_ARRAY", "FALSE").upper() == "TRUE")


@dataclass(eq=False)
class NamedFileFormat(CatalogObject):
    """CREATE FILE FORMAT: options a COPY names with FILE_FORMAT = (FORMAT_NAME = '<name>')."""

    kind: ClassVar[str] = "FILE FORMAT"
    file_format: FileFormat = field(default_factory=FileFormat)
    options: str = ""


@dataclass(frozen=True)
class CopyInto:
    """A parsed `COPY INTO <table> FROM @<stage>[/path] ...`."""

    table: QualifiedName
    stage: QualifiedName
    path: str
    file_format: FileFormat
    match_by_column_name: bool
    on_error: str  # ABORT_STATEMENT, CONTINUE or SKIP_FILE
    #: SKIP_FILE_<n>: skip a file with this many refused records or more (a fraction of its records with `%`).
    skip_limit: float = 1
    skip_limit_percent: bool = False
    force: bool = False
    files: tuple[str, ...] = ()
    pattern: str | None = None
    purge: bool = False

    def error_limit(self, parsed: int) -> int:
        """COPY's `error_limit` column for a file of `parsed` records."""
        if self.on_error == "CONTINUE":
            return parsed
        if self.skip_limit_percent:
            return max(1, math.ceil(parsed * self.skip_limit / 100))
        return int(self.skip_limit)


@dataclass
class LoadRecord:
    """One file's load, as COPY_HISTORY shows it."""

    file_name: str
    stage_location: str
    table: QualifiedName
    pipe: QualifiedName | None
    status: str  # Loaded | Load failed
    row_count: int
    row_parsed: int
    file_size: int
    bytes_billed: int
    last_load_time: Millis
    pipe_received_time: Millis | None
    first_error_message: str | None = None
    csn: int | None = None
    #: The file's ETag when loaded (its MD5, as an internal stage's): a file staged again with new content is new.
    etag: str = ""
    #: Records refused (ON_ERROR = CONTINUE / SKIP_FILE_n), and where the first one is.
    error_count: int = 0
    error_limit: int = 1
    first_error: LoadError | None = None

    @property
    def errors_seen(self) -> int:
        """Records refused, or 1 for a file that failed as a whole (COPY's errors_seen, COPY_HISTORY's ERROR_COUNT)."""
        return self.error_count or (1 if self.status == "Load failed" else 0)


class LoadHistory:
    """The account's load metadata: every file COPY INTO and pipes loaded or failed to load, oldest first
    (COPY_HISTORY, PIPE_USAGE_HISTORY, and which files a COPY skips as loaded)."""

    def __init__(self, account: AccountLike) -> None:
        self.records: list[LoadRecord] = []


@dataclass(eq=False)
class Pipe(CatalogObject):
    kind: ClassVar[str] = "PIPE"
    definition: str = ""
    copy: CopyInto | None = None
    #: Notified files waiting to load: (file name relative to the stage, received time).
    queue: deque = field(default_factory=deque)
    loaded: dict[str, Millis] = field(default_factory=dict)
    last_ingested: LoadRecord | None = None


def compile_pipe_command(sql: str, session: SessionLike) -> Plan | None:
    return _COMMANDS(sql, session)


# --- stages ---------------------------------------------------------------------------------------


def _create_stage(match: re.Match, sql: str, session: SessionLike) -> Plan:
    rest = match["rest"].strip()
    if re.search(r"\bURL\s*=|STORAGE_INTEGRATION|CREDENTIALS", rest, re.I):
        raise NotSupportedError(
            "external stages (URL, STORAGE_INTEGRATION)", detail="internal stages are emulated", query=sql
        )
    name = Resolver(session.catalog, session.context, sql).qualify(
        parse_name_parts(match["name"]), action="CREATE STAGE"
    )

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        existing = _existing(session, name, Stage, match, sql)
        if isinstance(existing, Result):
            return existing
        if existing is not None:
            shutil.rmtree(existing.directory, ignore_errors=True)
        directory = session.account.stage_root() / name.database / name.schema / name.name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        session.catalog.put(Stage(session.catalog.new_uid(), name, session.account.clock.now(), directory=directory))
        return status_result(f"Stage area {display(name.name)} successfully created.")

    return command_plan(session, run)


def _create_file_format(match: re.Match, sql: str, session: SessionLike) -> Plan:
    """https://docs.snowflake.com/en/sql-reference/sql/create-file-format"""
    options = parse_options(match["rest"], sql)
    comment = options.pop("COMMENT").value if "COMMENT" in options else None
    text = " ".join(f"{o.name} = {sql_string(o.value) if o.quoted else o.value}" for o in options.values())
    file_format = FileFormat.parse(text, sql)
    name = Resolver(session.catalog, session.context, sql).qualify(parse_name_parts(match["name"]),
                                                                    action="CREATE FILE FORMAT")

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        existing = _existing(session, name, NamedFileFormat, match, sql)
        if isinstance(existing, Result):
            return existing
        if existing is not None:
            session.catalog.remove(existing)
        session.catalog.put(NamedFileFormat(session.catalog.new_uid(), name, session.account.clock.now(), comment,
                                            file_format=file_format, options=text))
        return status_result(f"File format {display(name.name)} successfully created.")

    return command_plan(session, run)


def _file_format(session: SessionLike, text: str, sql: str) -> FileFormat:
    """A COPY's FILE_FORMAT = ( ... ): its options, or the named format's (FORMAT_NAME = '<name>')."""
    options = parse_options(text, sql)
    if "FORMAT_NAME" not in options:
        return FileFormat.parse(text, sql)
    if len(options) > 1:
        raise compilation_error("FORMAT_NAME cannot be combined with other file format options.", errno=2018,
                                query=sql)
    name = Resolver(session.catalog, session.context, sql).qualify(parse_name_parts(options["FORMAT_NAME"].value))
    found = session.catalog.get(name)
    if not isinstance(found, NamedFileFormat):
        raise object_does_not_exist(str(name), query=sql)
    return found.file_format


def show_file_formats(session: SessionLike, request: ShowRequest, sql: str) -> RowsResult:
    """https://docs.snowflake.com/en/sql-reference/sql/show-file-formats"""
    columns = [timestamp_column("created_on"), text_column("name"), text_column("database_name"),
               text_column("schema_name"), text_column("type"), text_column("owner"), text_column("comment"),
               text_column("format_options"), text_column("owner_role_type")]
    return RowsResult(columns, [
        (local_time(session, f.created_on), f.name.name, f.name.database, f.name.schema, f.file_format.type, f.owner,
         f.comment or "", f.options, "ROLE")
        for f in objects_in_scope(session, request, sql, NamedFileFormat)
    ])


SHOW_HANDLERS = {"FILE FORMATS": show_file_formats}


def _existing(session: SessionLike, name: QualifiedName, kind: type, match: re.Match, sql: str) -> Any:
    """CREATE's rules for a name in use: the IF NOT EXISTS status result, an error, or the object OR REPLACE
    replaces."""
    existing = session.catalog.get(name)
    if existing is None:
        return None
    if match["exists"]:
        return status_result(f"{display(name.name)} already exists, statement succeeded.")
    if not match["replace"] or not isinstance(existing, kind):
        raise object_already_exists(display(name.name), query=sql)
    return existing


def _stage(session: SessionLike, text: str, sql: str) -> Stage:
    name = Resolver(session.catalog, session.context, sql).qualify(parse_name_parts(text))
    stage = session.catalog.get(name)
    if not isinstance(stage, Stage):
        raise compilation_error(
            f"Stage '{name}' does not exist or not authorized.", errno=2003, sqlstate="02000", query=sql
        )
    return stage


def _put(match: re.Match, sql: str, session: SessionLike) -> Plan:
    options = parse_options(match["rest"], sql)
    for key in options:
        if key not in ("AUTO_COMPRESS", "OVERWRITE", "PARALLEL", "SOURCE_COMPRESSION"):
            raise NotSupportedError(f"PUT option {key}", query=sql)
    compress = option(options, "AUTO_COMPRESS", "TRUE").upper() == "TRUE"
    overwrite = option(options, "OVERWRITE", "FALSE").upper() == "TRUE"

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        stage = _stage(session, match["stage"], sql)
        pattern = match["quoted"] or match["file"]
        sources = (
            sorted(Path(pattern).parent.glob(Path(pattern).name))
            if any(c in pattern for c in "*?[")
            else [Path(pattern)]
        )
        folder = stage.directory / (match["path"] or "/").strip("/")
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for source in sources:
            if not source.is_file():
                raise ProgrammingError(f"File '{source}' does not exist or not authorized.", errno=253006, query=sql)
            already = source.name.endswith(".gz")
            target = folder / (source.name + (".gz" if compress and not already else ""))
            status = "SKIPPED" if target.exists() and not overwrite else "UPLOADED"
            if status == "UPLOADED":
                if compress and not already:
                    # mtime=0: the same file compresses to the same bytes, run after run. Level 1: a third
                    # of the time of the default; Snowflake bills text by its uncompressed size anyway.
                    with source.open("rb") as raw, target.open("wb") as out, \
                            gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0) as packed:
                        shutil.copyfileobj(raw, packed)
                else:
                    shutil.copyfile(source, target)
            rows.append((source.name, target.name, source.stat().st_size, target.stat().st_size,
                         "GZIP" if already else "NONE", "GZIP" if compress or already else "NONE", status, ""))
        columns = [text_column(c) for c in ("source", "target")] + [
            number_column(c) for c in ("source_size", "target_size")
        ]
        columns += [text_column(c) for c in ("source_compression", "target_compression", "status", "message")]
        return RowsResult(columns, rows)

    return command_plan(session, run, ddl=False)


def _list(match: re.Match, sql: str, session: SessionLike) -> Plan:
    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        stage = _stage(session, match["stage"], sql)
        rows = [
            (f"{stage.name.name.lower()}/{name}", size, file_etag(stage.directory / name), "")
            for name, size in _stage_files(stage, match["path"] or "")
        ]
        return RowsResult(
            [text_column("name"), number_column("size"), text_column("md5"), text_column("last_modified")], rows
        )

    return command_plan(session, run, ddl=False)


def _stage_files(stage: Stage, path: str) -> list[tuple[str, int]]:
    """(name relative to the stage, size) of the stage's files under `path`, in name order."""
    prefix = path.strip("/")
    files = []
    for file in sorted(p for p in stage.directory.rglob("*") if p.is_file()):
        relative = file.relative_to(stage.directory).as_posix()
        if relative.startswith(prefix):
            files.append((relative, file.stat().st_size))
    return files


# --- COPY INTO ------------------------------------------------------------------------------------


_ON_ERROR = re.compile(r"^(?:(?P<kind>ABORT_STATEMENT|CONTINUE)|SKIP_FILE(?:_(?P<limit>\d+(?:\.\d+)?)(?P<pct>%)?)?)$",
                       re.I)


def parse_copy(text: str, session: SessionLike, sql: str) -> CopyInto:
    """https://docs.snowflake.com/en/sql-reference/sql/copy-into-table (copy options)."""
    match = _COPY.match(text)
    if match is None:
        raise NotSupportedError("this form of COPY INTO", detail="COPY INTO <table> FROM @<stage>[/path] is emulated; "
                                "transformations (FROM (SELECT ...)) and unloading are not", query=sql)
    resolver = Resolver(session.catalog, session.context, sql)
    options = parse_options(match["rest"], sql)
    for key in options:
        if key not in ("FILE_FORMAT", "MATCH_BY_COLUMN_NAME", "ON_ERROR", "PATTERN", "FILES", "FORCE", "PURGE"):
            raise NotSupportedError(f"COPY INTO option {key}", query=sql)
    match_by = option(options, "MATCH_BY_COLUMN_NAME", "NONE").upper()
    if match_by not in ("NONE", "CASE_INSENSITIVE"):
        raise NotSupportedError(f"MATCH_BY_COLUMN_NAME = {match_by}", query=sql)
    on_error = _ON_ERROR.match(option(options, "ON_ERROR", "ABORT_STATEMENT").strip())
    if on_error is None:
        raise compilation_error(f"invalid value [{options['ON_ERROR'].value}] for parameter 'ON_ERROR'", errno=2018,
                                query=sql)
    files = tuple(f.strip().strip("'") for f in option(options, "FILES", "").split(",") if f.strip())
    pattern = option(options, "PATTERN", "") or None
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as error:
            raise compilation_error(f"invalid regular expression in PATTERN: {error}", errno=2018, query=sql) from None
    return CopyInto(
        resolver.qualify(parse_name_parts(match["table"]), action="COPY"),
        resolver.qualify(parse_name_parts(match["stage"])),
        (match["path"] or "").strip("/"),
        _file_format(session, option(options, "FILE_FORMAT", "TYPE = CSV"), sql),
        match_by == "CASE_INSENSITIVE",
        (on_error["kind"] or "SKIP_FILE").upper(),
        skip_limit=float(on_error["limit"] or 1),
        skip_limit_percent=bool(on_error["pct"]),
        force=option(options, "FORCE", "FALSE").upper() == "TRUE",
        files=files,
        pattern=pattern,
        purge=option(options, "PURGE", "FALSE").upper() == "TRUE",
    )


def copy_candidates(stage: Stage, copy: CopyInto) -> list[str]:
    """The staged files a COPY considers: under its path, then those FILES names or PATTERN matches."""
    names = [name for name, _size in _stage_files(stage, copy.path)]
    if copy.files:
        prefix = f"{copy.path}/" if copy.path else ""
        wanted = {prefix + f.strip("/") for f in copy.files}
        names = [n for n in names if n in wanted]
    if copy.pattern is not None:
        names = [n for n in names if re.fullmatch(copy.pattern, n)]
    return names


#: COPY INTO's result columns for a load (sql/copy-into-table, output).
_COPY_RESULT = [text_column("file"), text_column("status")] + [number_column(c) for c in (
    "rows_parsed", "rows_loaded", "error_limit", "errors_seen")] + [
    text_column("first_error"), number_column("first_error_line"), number_column("first_error_character"),
    text_column("first_error_column_name")]


def _copy(match: re.Match, sql: str, session: SessionLike) -> Plan:
    copy = parse_copy(sql, session, sql)

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        """One COPY is one transaction: with ON_ERROR = ABORT_STATEMENT a file that cannot load loads nothing;
        the table's load metadata and COPY_HISTORY learn of the files only if it commits."""
        stage = _stage(session, str(copy.stage), sql)
        table = session.catalog.get(copy.table)
        if not isinstance(table, Table):
            raise object_does_not_exist(str(copy.table), query=sql)
        now = session.account.clock.now()
        loads = []
        for name in copy_candidates(stage, copy):
            etag = file_etag(stage.directory / name)
            loaded_at = table.loaded_files.get((name, etag))
            if not copy.force and loaded_at is not None and now - loaded_at < BULK_HISTORY_MS:
                continue  # loaded before, unchanged: COPY's load metadata skips it (R50)
            record, rows = read_staged(session, copy, stage, name, pipe=None, received_at=None)
            if rows is None and copy.on_error == "ABORT_STATEMENT":
                raise ProgrammingError(f"{record.first_error_message} (file {name})", errno=100069, query=sql)
            if rows is not None:
                rows = _keep_accepted(session, copy, table, record, rows, sql)
            loads.append((record, rows))
        _insert_in_one_transaction(session, copy, loads, table, sql)
        if copy.purge:
            session.on_commit(lambda: _purge(stage, [r for r, _ in loads if r.status != "Load failed"]))
        if not loads:
            return status_result("Copy executed with 0 files processed.")
        return RowsResult(_COPY_RESULT, [_result_row(stage, r) for r, _ in loads])

    return command_plan(session, run, ddl=False)


def _keep_accepted(session: SessionLike, copy: CopyInto, table: Table, record: LoadRecord, rows: pa.Table,
                   sql: str) -> pa.Table | None:
    """The rows of a file that load under the COPY's ON_ERROR; None when the file is skipped."""
    first_line = copy.file_format.skip_header + 1 if copy.file_format.type == "CSV" else 1
    kept, refused, error = refused_rows(session.account.duck, rows, table.columns, table.name.name,
                                        first_line=first_line)
    record.error_count, record.first_error = refused, error
    record.error_limit = copy.error_limit(rows.num_rows)
    if not refused:
        return rows
    record.first_error_message = error.message if error else None
    if copy.on_error == "ABORT_STATEMENT":
        raise ProgrammingError(f"{error.message}\n  File '{record.file_name}', line {error.line}, character "
                               f"{error.character}\n  Row {error.line - first_line + 1}, column {error.column_name}",
                               errno=100038, sqlstate="22018", query=sql)
    if copy.on_error == "SKIP_FILE" and refused >= record.error_limit:
        record.status, record.row_count = "Load failed", 0
        return None
    return kept


def _result_row(stage: Stage, r: LoadRecord) -> tuple:
    status = "LOAD_FAILED" if r.status == "Load failed" else "PARTIALLY_LOADED" if r.error_count else "LOADED"
    error = r.first_error
    return (f"{stage.name.name.lower()}/{r.file_name}", status, r.row_parsed, r.row_count, r.error_limit, r.errors_seen,
            r.first_error_message, error.line if error else None, error.character if error else None,
            error.column_name if error else None)


def _purge(stage: Stage, records: list[LoadRecord]) -> None:
    """PURGE = TRUE: the files a committed COPY loaded leave the stage."""
    for record in records:
        (stage.directory / record.file_name).unlink(missing_ok=True)


def _insert_in_one_transaction(session: SessionLike, copy: CopyInto, loads: list[tuple[LoadRecord, pa.Table | None]],
                               table: Table, sql: str) -> None:
    """Insert the files' rows in one transaction (the session's, else one of the COPY's own).

    A file whose rows the table refuses (a value that does not convert) fails the COPY under ABORT_STATEMENT;
    under SKIP_FILE the COPY starts again without it, as a DuckDB error ends the transaction it happens in. In
    the user's own transaction that cannot be done: the error ends it, as any failing statement does here.
    """
    own = session.txn is None
    skipped: set[str] = set()
    while True:
        if own:
            session.begin()
        current = None
        try:
            with session.account.activity("COPY INTO", copy.table.name):
                for record, rows in loads:
                    if rows is not None and record.file_name not in skipped:
                        current = record
                        insert_staged(session, copy, record, rows)
            session.on_commit(lambda: _remember(session.account, table, [record for record, _ in loads]))
            if own:
                session.commit()
            return
        except Error as error:
            if own:
                session.rollback()
            if current is None or copy.on_error == "ABORT_STATEMENT" or not own:
                raise ProgrammingError(f"{error.msg} (file {current.file_name if current else '?'})",
                                       errno=100069, query=sql) from None
            skipped.add(current.file_name)
            current.status, current.row_count, current.csn = "Load failed", 0, None
            current.first_error_message = error.msg.splitlines()[0][:500]
        except BaseException:
            if own:
                session.rollback()
            raise


def _remember(account: AccountLike, table: Table, records: list[LoadRecord]) -> None:
    """A COPY committed: its files join the table's load metadata (those loaded) and COPY_HISTORY (all)."""
    for record in records:
        if record.status != "Load failed":  # a partially loaded file is loaded: COPY skips it next time
            table.loaded_files[(record.file_name, record.etag)] = record.last_load_time
            record.csn = account.committed_csn if record.row_count else None
    account.state(LoadHistory).records.extend(records)


def file_etag(path: Path) -> str:
    """A staged file's ETag: the MD5 of its bytes, as an internal stage reports it (LIST's md5 column)."""
    digest = hashlib.md5()
    with path.open("rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_staged(session: SessionLike, copy: CopyInto, stage: Stage, name: str, *, pipe: Pipe | None,
                received_at: Millis | None) -> tuple[LoadRecord, pa.Table | None]:
    """A staged file's rows for the COPY's table and its load record; no rows when the file cannot load
    (the record says why)."""
    account = session.account
    path = stage.directory / name
    table = account.catalog.get(copy.table)
    record = LoadRecord(name, f"@{stage.name}/", copy.table, pipe.name if pipe else None, "Load failed", 0, 0, 0, 0,
                        account.clock.now(), received_at)
    try:
        if not isinstance(table, Table):
            raise object_does_not_exist(str(copy.table))
        record.file_size, record.bytes_billed = path.stat().st_size, _uncompressed_size(path)
        record.etag = file_etag(path)
        rows = read_file(account.duck, path, copy, table)
    except FileNotFoundError:
        record.first_error_message = f"Remote file '{record.stage_location}{name}' was not found."
        return record, None
    except duckdb.OutOfMemoryException as error:
        raise engine_errors.translate(error) from error  # the emulator's limit: not a failure of this file
    except duckdb.Error as error:
        record.first_error_message = engine_errors.translate(error).msg.splitlines()[0][:500]
        return record, None
    except (Error, OSError, ValueError) as error:
        record.first_error_message = (error.msg if isinstance(error, Error) else str(error)).splitlines()[0][:500]
        return record, None
    record.row_parsed = rows.num_rows
    return record, rows


def insert_staged(session: SessionLike, copy: CopyInto, record: LoadRecord, rows: pa.Table) -> None:
    """Insert a staged file's rows into the COPY's table (in the session's transaction, or as its own)."""
    if rows.num_rows:
        record.csn = session.insert_arrow(_sql_name(copy.table), rows)
    record.row_count, record.status = rows.num_rows, "Partially loaded" if record.error_count else "Loaded"


def load_file(session: SessionLike, copy: CopyInto, stage: Stage, name: str, *, pipe: Pipe,
              received_at: Millis | None) -> LoadRecord:
    """A pipe's load of one staged file, in its own transaction, recorded in the history."""
    account = session.account
    with account.activity("pipe load", pipe.name.name):
        record, rows = read_staged(session, copy, stage, name, pipe=pipe, received_at=received_at)
        table = account.catalog.get(copy.table)
        if rows is not None and isinstance(table, Table) and copy.on_error != "ABORT_STATEMENT":
            rows = _keep_accepted(session, copy, table, record, rows, pipe.definition)
        if rows is not None:
            try:
                insert_staged(session, copy, record, rows)
            except duckdb.OutOfMemoryException as error:
                raise engine_errors.translate(error) from error
            except (Error, duckdb.Error) as error:
                record.first_error_message = str(error).splitlines()[0][:500]
    account.state(LoadHistory).records.append(record)
    return record


def read_file(duck: duckdb.DuckDBPyConnection, path: Path, copy: CopyInto, table: Table) -> pa.Table:
    """A staged file's records as an Arrow table whose columns are the target table's (text, cast on insert)."""
    fmt = copy.file_format
    writable = [c for c in table.columns if c.expression is None]
    source = sql_string(str(path))
    if fmt.type == "CSV":
        if copy.match_by_column_name:
            raise NotSupportedError("MATCH_BY_COLUMN_NAME for CSV files", detail="CSV fields load by position")
        fields = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(writable)))
        data = duck.sql(
            f"SELECT * FROM read_csv({source}, header = false, skip = {fmt.skip_header}, auto_detect = false, "
            f"delim = {sql_string(fmt.field_delimiter)}, quote = '\"', columns = {{{fields}}})"
        ).to_arrow_table()
        return data.rename_columns([quote(c.name) for c in writable])
    layout = "array" if fmt.strip_outer_array else "newline_delimited"
    if not copy.match_by_column_name:
        if len(table.columns) != 1 or table.columns[0].type.upper() not in ("VARIANT", "OBJECT"):
            raise ProgrammingError(
                "JSON file format can produce one and only one column of type variant, object, or array. "
                "Load data into separate columns using the MATCH_BY_COLUMN_NAME copy option or copy with "
                "transformation.",
                errno=2019,
            )
        objects = duck.sql(f"SELECT json FROM read_json_objects({source}, format = '{layout}')").to_arrow_table()
        return objects.rename_columns([quote(table.columns[0].name)])
    # The table's columns, read as text and cast by the INSERT: DuckDB reads named fields only, no type sniffing.
    by_name = {c.name.upper(): c for c in writable}
    keys = [key for key in _first_record_keys(path, fmt) if key.upper() in by_name]
    if not keys:
        raise ProgrammingError(
            "no field of the file matches a column of the table (MATCH_BY_COLUMN_NAME)", errno=100072
        )
    fields = ", ".join(f"{sql_string(key)}: '{_json_reading_type(by_name[key.upper()].type)}'" for key in keys)
    data = duck.sql(f"SELECT * FROM read_json({source}, format = '{layout}', columns = {{{fields}}})").to_arrow_table()
    return data.rename_columns([quote(by_name[key.upper()].name) for key in keys])


def _first_record_keys(path: Path, fmt: FileFormat) -> list[str]:
    """The field names of a JSON file's first record (Snowflake matches every record's own; files here are uniform)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        if fmt.strip_outer_array:
            records = json.load(handle)
            return list(records[0]) if records else []
        for line in handle:
            if line.strip():
                return list(json.loads(line))
    return []


def _json_reading_type(snowflake_type: str) -> str:
    """How DuckDB should read a field for a column: objects stay JSON, the rest is text the INSERT casts."""
    return "JSON" if snowflake_type.upper().split("(")[0] in ("VARIANT", "OBJECT", "ARRAY") else "VARCHAR"


def _uncompressed_size(path: Path) -> int:
    if not path.name.endswith(".gz"):
        return path.stat().st_size
    with gzip.open(path, "rb") as handle:
        return sum(len(chunk) for chunk in iter(lambda: handle.read(1 << 20), b""))


# --- pipes ----------------------------------------------------------------------------------------


def _create_pipe(match: re.Match, sql: str, session: SessionLike) -> Plan:
    options = parse_options(match["options"] or "", sql)
    for key in options:
        if key not in ("AUTO_INGEST", "COMMENT"):
            raise NotSupportedError(f"CREATE PIPE option {key}", query=sql)
    copy = parse_copy(match["copy"], session, sql)
    # Copy options a pipe does not take (https://docs.snowflake.com/en/sql-reference/sql/create-pipe, usage notes).
    refused = [o for o, given in (("FILES", copy.files), ("FORCE", copy.force), ("PURGE", copy.purge)) if given]
    if refused:
        raise compilation_error(f"Copy option {refused[0]} is not supported in a pipe definition.", errno=2021,
                                query=sql)
    name = Resolver(session.catalog, session.context, sql).qualify(
        parse_name_parts(match["name"]), action="CREATE PIPE"
    )

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        existing = _existing(session, name, Pipe, match, sql)
        if isinstance(existing, Result):
            return existing
        stage = _stage(session, str(copy.stage), sql)
        if option(options, "AUTO_INGEST", "FALSE").upper() == "TRUE":
            # create-pipe: AUTO_INGEST = TRUE loads "from external stages" on their event notifications; internal
            # stages load through the REST API. Every stage here is internal. (The errno is the one pipes' other
            # compile-time refusals use; Snowflake's own code for this one is not documented.)
            raise compilation_error(
                "AUTO_INGEST = TRUE needs an external stage with event notifications; stage "
                f"{display(stage.name.name)} is internal: leave AUTO_INGEST out and queue files with the Snowpipe "
                "REST API (insertFiles).",
                errno=2021, query=sql)
        if not isinstance(session.catalog.get(copy.table), Table):
            raise object_does_not_exist(str(copy.table), query=sql)
        # A new pipe has no load history: dropping or replacing one forgets what it loaded (R43).
        pipe = Pipe(session.catalog.new_uid(), name, session.account.clock.now(), definition=match["copy"], copy=copy)
        session.catalog.put(pipe)
        return status_result(f"Pipe {display(name.name)} successfully created.")

    return command_plan(session, run)


def _drop(match: re.Match, sql: str, session: SessionLike) -> Plan:
    kind = " ".join(match["kind"].upper().split())
    name = Resolver(session.catalog, session.context, sql).qualify(parse_name_parts(match["name"]))
    wanted = {"STAGE": Stage, "PIPE": Pipe, "FILE FORMAT": NamedFileFormat}[kind]

    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        existing = session.catalog.get(name)
        if not isinstance(existing, wanted):
            if match["exists"]:
                return status_result("Drop statement executed successfully (object does not exist).")
            raise object_does_not_exist(str(name), query=sql)
        session.catalog.remove(existing)
        if isinstance(existing, Stage):
            shutil.rmtree(existing.directory, ignore_errors=True)
        return status_result(f"{display(name.name)} successfully dropped.")

    return command_plan(session, run)


def find_pipe(session: SessionLike, text: str) -> Pipe:
    name = Resolver(session.catalog, session.context).qualify(parse_name_parts(text))
    pipe = session.catalog.get(name)
    if not isinstance(pipe, Pipe):
        raise object_does_not_exist(str(name))
    return pipe


def insert_files(session: SessionLike, pipe: Pipe, names: Sequence[str]) -> int:
    """Snowpipe's insertFiles / an auto-ingest notification: queue staged files; returns how many were queued."""
    now = session.account.clock.now()
    queued = {name for name, _ in pipe.queue}
    count = 0
    for name in names:
        if name in queued:
            continue
        pipe.queue.append((name, now))
        queued.add(name)
        count += 1
    return count


def load_next(session: SessionLike, pipe: Pipe) -> LoadRecord | None:
    """Load the oldest queued file now; None if it was already loaded by this pipe within 14 days (skipped)."""
    name, received_at = pipe.queue.popleft()
    now = session.account.clock.now()
    loaded_at = pipe.loaded.get(name)
    if loaded_at is not None and now - loaded_at < SNOWPIPE_HISTORY_MS:
        return None
    stage = _stage(session, str(pipe.copy.stage), pipe.definition)
    record = load_file(session, pipe.copy, stage, name, pipe=pipe, received_at=received_at)
    if record.status != "Load failed":
        pipe.loaded[name] = now
    pipe.last_ingested = record
    return record


def _pipe_status(match: re.Match, sql: str, session: SessionLike) -> Plan:
    def run(session: SessionLike, _params: Sequence[Any]) -> Result:
        pipe = find_pipe(session, match["name"].replace("''", "'"))
        status: dict[str, Any] = {"executionState": "RUNNING", "pendingFileCount": len(pipe.queue)}
        if pipe.last_ingested is not None:
            status["lastIngestedTimestamp"] = _iso(pipe.last_ingested.last_load_time)
            status["lastIngestedFilePath"] = pipe.last_ingested.file_name
        return RowsResult([text_column("SYSTEM$PIPE_STATUS")], [(json.dumps(status),)])

    return command_plan(session, run, ddl=False)


def _iso(ms: Millis) -> str:
    return to_datetime(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- INFORMATION_SCHEMA ---------------------------------------------------------------------------


def _copy_history_rows(account: AccountLike) -> list[dict[str, Any]]:
    return [{
        "FILE_NAME": r.file_name, "STAGE_LOCATION": r.stage_location, "LAST_LOAD_TIME": r.last_load_time,
        "ROW_COUNT": r.row_count, "ROW_PARSED": r.row_parsed, "FILE_SIZE": r.file_size,
        "FIRST_ERROR_MESSAGE": r.first_error_message,
        "ERROR_COUNT": r.errors_seen, "ERROR_LIMIT": r.error_limit,
        "STATUS": r.status, "TABLE_CATALOG_NAME": r.table.database,
        "TABLE_SCHEMA_NAME": r.table.schema, "TABLE_NAME": r.table.name,
        "PIPE_CATALOG_NAME": r.pipe.database if r.pipe else None, "PIPE_SCHEMA_NAME": r.pipe.schema if r.pipe else None,
        "PIPE_NAME": r.pipe.name if r.pipe else None, "PIPE_RECEIVED_TIME": r.pipe_received_time,
        "BYTES_BILLED": r.bytes_billed if r.pipe else None,
    } for r in account.state(LoadHistory).records]


def _pipe_usage_rows(account: AccountLike) -> list[dict[str, Any]]:
    """Snowpipe usage per pipe and hour (the function's buckets for ranges over a few hours)."""
    hour = 3_600_000
    buckets: dict[tuple[str, int], list[int]] = {}
    for r in account.state(LoadHistory).records:
        if r.pipe is None or r.status != "Loaded":
            continue
        bucket = buckets.setdefault((r.pipe.name, r.last_load_time // hour * hour), [0, 0, 0])
        bucket[0] += r.bytes_billed
        bucket[1] += 1
        bucket[2] += r.bytes_billed
    return [
        {
            "START_TIME": start,
            "END_TIME": start + hour,
            "PIPE_NAME": pipe,
            "CREDITS_USED": SNOWPIPE_CREDITS_PER_GB * billed / GB,
            "BYTES_INSERTED": inserted,
            "FILES_INSERTED": files,
            "BYTES_BILLED": billed,
        }
        for (pipe, start), (inserted, files, billed) in sorted(
            buckets.items(), key=lambda item: (item[0][1], item[0][0])
        )
    ]


COPY_HISTORY = TableFunction(
    "COPY_HISTORY",
    pa.schema([
        ("FILE_NAME", pa.string()), ("STAGE_LOCATION", pa.string()), ("LAST_LOAD_TIME", TIMESTAMP),
        ("ROW_COUNT", pa.int64()), ("ROW_PARSED", pa.int64()), ("FILE_SIZE", pa.int64()),
        ("FIRST_ERROR_MESSAGE", pa.string()), ("ERROR_COUNT", pa.int64()), ("ERROR_LIMIT", pa.int64()),
        ("STATUS", pa.string()), ("TABLE_CATALOG_NAME", pa.string()), ("TABLE_SCHEMA_NAME", pa.string()),
        ("TABLE_NAME", pa.string()), ("PIPE_CATALOG_NAME", pa.string()), ("PIPE_SCHEMA_NAME", pa.string()),
        ("PIPE_NAME", pa.string()), ("PIPE_RECEIVED_TIME", TIMESTAMP), ("BYTES_BILLED", pa.int64()),
    ]),
    _copy_history_rows,
    [
        Argument("TABLE_NAME", 'UPPER("TABLE_NAME") = UPPER(split_part({}, \'.\', -1))'),
        Argument("START_TIME", '"LAST_LOAD_TIME" >= ({})'),
        Argument("END_TIME", '"LAST_LOAD_TIME" < ({})'),
        Argument("PIPE_NAME", 'UPPER("PIPE_NAME") = UPPER(split_part({}, \'.\', -1))'),
    ],
    order_by='"LAST_LOAD_TIME"',
    default_limit=None,
    window='"LAST_LOAD_TIME" >= {now} - INTERVAL 14 DAY',
    required=["TABLE_NAME", "START_TIME"],
)

PIPE_USAGE_HISTORY = TableFunction(
    "PIPE_USAGE_HISTORY",
    pa.schema([
        ("START_TIME", TIMESTAMP), ("END_TIME", TIMESTAMP), ("PIPE_NAME", pa.string()),
        ("CREDITS_USED", pa.float64()), ("BYTES_INSERTED", pa.int64()), ("FILES_INSERTED", pa.int64()),
        ("BYTES_BILLED", pa.int64()),
    ]),
    _pipe_usage_rows,
    [
        Argument("DATE_RANGE_START", '"END_TIME" > ({})'),
        Argument("DATE_RANGE_END", '"START_TIME" < ({})'),
        Argument("PIPE_NAME", 'UPPER("PIPE_NAME") = UPPER(split_part({}, \'.\', -1))'),
    ],
    order_by='"START_TIME"',
    default_limit=None,
    window='"END_TIME" > {now} - INTERVAL 14 DAY',
    defaults={"DATE_RANGE_START": "{now} - INTERVAL 10 MINUTE"},  # the function's documented default window (R44)
)

TABLE_FUNCTIONS = (COPY_HISTORY, PIPE_USAGE_HISTORY)


def _load_history_rows(account: AccountLike, database: str) -> list[dict[str, Any]]:
    """Files COPY INTO loaded into the database's tables in the last 14 days; Snowpipe's loads are not in it.

    https://docs.snowflake.com/en/sql-reference/info-schema/load_history
    """
    oldest = account.clock.now() - 14 * 86_400_000
    return [
        {"SCHEMA_NAME": r.table.schema, "FILE_NAME": r.file_name, "TABLE_NAME": r.table.name,
         "LAST_LOAD_TIME": to_datetime(r.last_load_time), "STATUS": r.status.upper(),
         "ROW_COUNT": r.row_count, "ROW_PARSED": r.row_parsed, "FIRST_ERROR_MESSAGE": r.first_error_message,
         "ERROR_COUNT": r.row_parsed - r.row_count, "ERROR_LIMIT": 1 if r.first_error_message else None}
        for r in account.state(LoadHistory).records
        if r.table.database == database and r.pipe is None and r.last_load_time >= oldest
    ]


LOAD_HISTORY = information_schema.view(
    "LOAD_HISTORY", "SCHEMA_NAME TEXT, FILE_NAME TEXT, TABLE_NAME TEXT, LAST_LOAD_TIME TIMESTAMP_LTZ, STATUS TEXT, "
    "ROW_COUNT NUMBER, ROW_PARSED NUMBER, FIRST_ERROR_MESSAGE TEXT, FIRST_ERROR_LINE_NUMBER NUMBER, "
    "FIRST_ERROR_CHARACTER_POSITION NUMBER, FIRST_ERROR_COL_NAME TEXT, ERROR_COUNT NUMBER, ERROR_LIMIT NUMBER",
    _load_history_rows,
)


# --- helpers --------------------------------------------------------------------------------------


def _sql_name(name: QualifiedName) -> str:
    return ".".join(quote(part) for part in (name.database, name.schema, name.name))


_COMMANDS = text_commands(
    (_CREATE_STAGE, _create_stage),
    (_CREATE_FILE_FORMAT, _create_file_format),
    (_PUT, _put),
    (_LIST, _list),
    (_CREATE_PIPE, _create_pipe),
    (_COPY, _copy),
    (_OTHER_COPY, lambda match, sql, session: parse_copy(sql, session, sql)),
    (_DROP, _drop),
    (_PIPE_STATUS, _pipe_status),
)
