"""The emulator's catalog: Snowflake's objects and the metadata DuckDB does not keep.

DuckDB holds the data; this catalog holds what Snowflake shows about objects (declared types,
kinds, comments, creation times) and what the emulator adds (change tracking, stream offsets).
Tables, views and streams share one namespace per schema, as they share FROM clauses.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sqlglot import exp

from backends.duckdb.sql.names import QualifiedName


@dataclass(eq=False)
class Column:
    """A column as declared in Snowflake."""

    name: str
    type: str  # Snowflake type text, e.g. NUMBER(10,2)
    nullable: bool = True
    default: str | None = None  # Snowflake expression text
    expression: str | None = None  # a virtual (computed) column's expression
    primary_key: bool = False
    comment: str | None = None


@dataclass(eq=False)
class CatalogObject:
    uid: int
    name: QualifiedName
    created_on: int  # epoch ms on the virtual clock
    comment: str | None = None
    owner: str = "SYSADMIN"
    kind: ClassVar[str] = "OBJECT"

    def __deepcopy__(self, memo: dict) -> CatalogObject:
        # Syntax trees carry catalog objects in their meta; copying a tree must keep pointing at the
        # one live object (its tracking state changes), not at a frozen copy.
        return self


@dataclass(eq=False)
class Tracking:
    """Change tracking of a table: its rows carry a hidden id and every DML statement logs row images.

    `rows` is the DuckDB table with the hidden row-id column, `changes` the log of row images
    (see tracking.py), `last_change_csn` the commit sequence number of the last committed change,
    `since` when tracking began (epoch ms): changes before it left no version in the lineage.
    """

    rows: str
    changes: str
    sequence: str
    last_change_csn: int = 0
    since: int = 0


@dataclass(frozen=True)
class ForeignKey:
    """A declared FOREIGN KEY (Snowflake records it and does not enforce it): columns -> the referenced table's."""

    columns: tuple[str, ...]
    table: QualifiedName
    referenced: tuple[str, ...]


@dataclass(eq=False)
class Table(CatalogObject):
    kind: ClassVar[str] = "TABLE"
    columns: list[Column] = field(default_factory=list)
    #: Declared UNIQUE keys and FOREIGN KEYs, recorded for SHOW ... KEYS, never enforced (as on Snowflake).
    unique_keys: list[tuple[str, ...]] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    table_type: str = "TABLE"  # TABLE, TRANSIENT or TEMPORARY
    tracking: Tracking | None = None
    cluster_by: str | None = None
    #: ALTER TABLE ... SUSPEND / RESUME RECLUSTER (SHOW TABLES' automatic_clustering).
    recluster_suspended: bool = False
    #: Bulk COPY's load metadata: (file name, ETag) -> when it was loaded. It belongs to the table: a replaced
    #: or re-created table starts with none, and TRUNCATE forgets it (R50).
    loaded_files: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def duck_rows(self) -> str:
        """Where DML writes: the data table itself, or its hidden-row-id twin once tracked."""
        return self.tracking.rows if self.tracking else self.name.duck

    def storage(self) -> list[str]:
        """DuckDB tables kept for it besides its data and change log (a dynamic table's partial aggregates)."""
        return []


@dataclass(eq=False)
class Sequence(CatalogObject):
    """A sequence: `<name>.NEXTVAL` draws from the DuckDB sequence of the same qualified name (objects/sequences.py)."""

    kind: ClassVar[str] = "SEQUENCE"
    start: int = 1
    increment: int = 1


@dataclass(eq=False)
class View(CatalogObject):
    kind: ClassVar[str] = "VIEW"
    text: str = ""  # the CREATE VIEW statement as written
    query: exp.Expression | None = None  # the view's query, names resolved to catalog objects
    columns: list[Column] = field(default_factory=list)
    change_tracking: bool = False
    secure: bool = False
    #: INFORMATION_SCHEMA views the query reads (directly or through other views): their rows are
    #: registered in DuckDB before any statement reading this view runs.
    information_schema: list[Any] = field(default_factory=list)


@dataclass(eq=False)
class Stream(CatalogObject):
    kind: ClassVar[str] = "STREAM"
    source: Table | View | None = None
    source_kind: str = "Table"
    mode: str = "DEFAULT"  # DEFAULT or APPEND_ONLY
    show_initial_rows: bool = False
    #: Commit sequence number the stream has consumed up to; None until the initial rows are consumed.
    offset: int | None = 0
    stale_reason: str | None = None
    #: Last consumption, or last SYSTEM$STREAM_HAS_DATA call that found no data: staleness counts from here.
    stale_from: int = 0

    @property
    def append_only(self) -> bool:
        return self.mode == "APPEND_ONLY"


@dataclass(eq=False)
class Schema:
    name: str
    database: str
    created_on: int
    comment: str | None = None
    objects: dict[str, CatalogObject] = field(default_factory=dict)
    #: Tasks have their own namespace (a task may share a table's name).
    tasks: dict[str, CatalogObject] = field(default_factory=dict)


@dataclass(eq=False)
class Database:
    name: str
    created_on: int
    comment: str | None = None
    schemas: dict[str, Schema] = field(default_factory=dict)


class Catalog:
    """All databases of one emulated account; `version` changes whenever a name may bind differently."""

    def __init__(self) -> None:
        self.version = 0
        self.databases: dict[str, Database] = {}
        self._uids = itertools.count(1)

    def new_uid(self) -> int:
        return next(self._uids)

    def changed(self) -> None:
        """Invalidate every compiled plan: call after any DDL."""
        self.version += 1

    def schema(self, database: str, schema: str) -> Schema | None:
        db = self.databases.get(database)
        return db.schemas.get(schema) if db else None

    def get(self, name: QualifiedName) -> CatalogObject | None:
        schema = self.schema(name.database, name.schema)
        return schema.objects.get(name.name) if schema else None

    def put(self, obj: CatalogObject) -> None:
        schema = self.schema(obj.name.database, obj.name.schema)
        assert schema is not None, f"schema of {obj.name} must exist"
        schema.objects[obj.name.name] = obj
        self.changed()

    def remove(self, obj: CatalogObject) -> None:
        schema = self.schema(obj.name.database, obj.name.schema)
        if schema is not None and schema.objects.get(obj.name.name) is obj:
            del schema.objects[obj.name.name]
        self.changed()

    def objects(self) -> Iterator[CatalogObject]:
        for db in self.databases.values():
            for schema in db.schemas.values():
                yield from schema.objects.values()

    def streams_on(self, source: CatalogObject) -> list[Stream]:
        """Streams reading `source` directly or through a view."""
        return [s for s in self.objects() if isinstance(s, Stream) and source in stream_sources(s)]

    def mark_streams_stale(self, source: CatalogObject, reason: str) -> None:
        """`source` was dropped or replaced: its streams can no longer be read (section 1.7)."""
        for stream in self.streams_on(source):
            stream.stale_reason = reason


def stream_sources(stream: Stream) -> list[Table]:
    """The tables whose changes a stream reads: its source table, or the base tables of its view."""
    if isinstance(stream.source, Table):
        return [stream.source]
    if isinstance(stream.source, View):
        return view_base_tables(stream.source)
    return []


def view_base_tables(view: View) -> list[Table]:
    """Tables a view reads, through nested views, in order of first appearance."""
    return base_tables(view.query) if view.query else []


def base_tables(query: exp.Expression) -> list[Table]:
    """Tables a resolved query reads, through views, in order of first appearance."""
    found: list[Table] = []
    for node in query.find_all(exp.Table):
        obj = node.meta.get("snowsim_object")
        tables = [obj] if isinstance(obj, Table) else view_base_tables(obj) if isinstance(obj, View) else []
        for table in tables:
            if table not in found:
                found.append(table)
    return found
