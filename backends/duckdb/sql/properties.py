"""`NAME = value` property lists of Snowflake DDL (warehouses, tasks, dynamic tables, streams, stages, pipes).

Values are kept as written: a quoted string unquoted, a parenthesised list (`FILE_FORMAT = (TYPE = CSV)`)
as its inner text, anything else upper-cased; readers say which names they know, and an unknown name is
an error naming it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backends.errors import NotSupportedError, compilation_error

_PROPERTY = re.compile(
    r"\s*,?\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*"
    r"(?P<value>'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\((?P<inner>[^)]*)\)|[^\s,()=]+)",
    re.S,
)


@dataclass(frozen=True)
class Property:
    name: str
    value: str
    quoted: bool
    #: A parenthesised option list, `value` its inner text as written.
    nested: bool = False

    def boolean(self, sql: str | None = None) -> bool:
        if self.value.upper() in ("TRUE", "FALSE"):
            return self.value.upper() == "TRUE"
        raise compilation_error(f"{self.name} must be TRUE or FALSE, got {self.value}", errno=2001, query=sql)

    def integer(self, sql: str | None = None) -> int:
        try:
            return int(self.value)
        except ValueError:
            raise compilation_error(f"{self.name} must be a number, got {self.value}", errno=2001, query=sql) from None


def parse_properties(text: str) -> tuple[dict[str, Property], str]:
    """Leading `NAME = value` pairs of `text`, and whatever follows them."""
    found: dict[str, Property] = {}
    position = 0
    while True:
        match = _PROPERTY.match(text, position)
        if match is None:
            break
        raw, name = match["value"], match["name"].upper()
        if match["inner"] is not None:
            found[name] = Property(name, match["inner"], quoted=False, nested=True)
        else:
            quoted = raw[0] in "'\""
            found[name] = Property(name, raw[1:-1].replace(raw[0] * 2, raw[0]) if quoted else raw.upper(), quoted)
        position = match.end()
    return found, text[position:]


def parse_options(text: str, sql: str) -> dict[str, Property]:
    """All of `text` as `NAME = value` pairs (commas between them allowed); anything else is a syntax error."""
    found, rest = parse_properties(text)
    if rest.strip(" ,\n\t;"):
        raise compilation_error(f"syntax error: unexpected '{rest.strip()[:40]}'", errno=1003, query=sql)
    return found


def option(found: dict[str, Property], name: str, default: str) -> str:
    """The value of option `name`, or `default` when it is not given."""
    return found[name].value if name in found else default


def check_known(found: dict[str, Property], known: set[str], ignored: set[str], what: str, sql: str) -> None:
    """Refuse properties the emulator does not model; `ignored` ones are accepted as they do not change results."""
    for name in found:
        if name not in known and name not in ignored:
            raise NotSupportedError(f"the {what} property {name}", query=sql)
