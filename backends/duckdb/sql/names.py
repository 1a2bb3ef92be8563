"""Snowflake identifier rules and where Snowflake objects live in DuckDB.

Unquoted identifiers are case-insensitive and stored upper-case; quoted ones are kept exactly
(https://docs.snowflake.com/en/sql-reference/identifiers-syntax). A Snowflake schema DB.S is the
DuckDB schema "DB.S" of a single DuckDB catalog, because one DuckDB transaction can write to only
one attached database while a Snowflake transaction may span databases.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from backends.errors import NotSupportedError

#: Prefix of every DuckDB object and column the emulator creates for its own bookkeeping.
INTERNAL_PREFIX = "__snowsim_"


def check_column_name(name: str, sql: str | None = None) -> str:
    """`name`, if a user's column may have it: names beginning with __SNOWSIM_ (in any case, as DuckDB compares
    them) are the emulator's own, so a user's column can never collide with its bookkeeping."""
    if name.lower().startswith(INTERNAL_PREFIX):
        raise NotSupportedError(f"the column name {name}",
                                detail=f"names beginning with {INTERNAL_PREFIX.upper()} are reserved by the emulator",
                                query=sql)
    return name


def quote(identifier: str) -> str:
    """A DuckDB quoted identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def normalize(identifier: exp.Identifier | str, quoted: bool = False) -> str:
    """The stored form of an identifier: upper-case unless quoted."""
    if isinstance(identifier, exp.Identifier):
        return identifier.this if identifier.quoted else identifier.this.upper()
    return identifier if quoted else identifier.upper()


def display(name: str) -> str:
    """A name as Snowflake prints it in messages and SHOW output: quoted only when it has to be."""
    if (
        name
        and (name[0].isalpha() or name[0] == "_")
        and all(c.isalnum() or c in "_$" for c in name)
        and name == name.upper()
    ):
        return name
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class QualifiedName:
    """database.schema.name, each part in stored form."""

    database: str
    schema: str
    name: str

    def __str__(self) -> str:
        return ".".join(display(p) for p in (self.database, self.schema, self.name))

    @property
    def duck_schema(self) -> str:
        return duck_schema(self.database, self.schema)

    @property
    def duck(self) -> str:
        """The quoted DuckDB name of the object itself."""
        return f"{quote(self.duck_schema)}.{quote(self.name)}"

    def internal(self, kind: str, uid: int) -> str:
        """The quoted DuckDB name of a bookkeeping object of kind `kind` for the object with `uid`."""
        return f"{quote(self.duck_schema)}.{quote(internal_name(kind, uid))}"


def internal_name(kind: str, uid: int) -> str:
    """The bare DuckDB name of the emulator's bookkeeping object `kind` for object `uid`."""
    return f"{INTERNAL_PREFIX}{kind}_{uid}"


def sql_string(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def duck_schema(database: str, schema: str) -> str:
    """The DuckDB schema holding Snowflake schema database.schema."""
    return f"{database}.{schema}"


def parse_name_parts(text: str) -> list[str]:
    """The stored parts of a dotted name written as SQL text (`db."Mixed".t` -> ['DB', 'Mixed', 'T'])."""
    try:
        table = exp.to_table(text.strip(), dialect="snowflake")
    except sqlglot.errors.ParseError as error:
        raise ValueError(f"not an object name: {text!r}") from error
    parts = [table.args.get("catalog"), table.args.get("db"), table.this]
    return [normalize(p) for p in parts if p is not None]


#: A one- to three-part object name as SQL text (quoted parts may hold any character), for the
#: statements recognised by their text (CREATE STREAM, TASK, DYNAMIC TABLE, STAGE, PIPE, ...).
OBJECT_NAME_PATTERN = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)(?:\.(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)){0,2}'
