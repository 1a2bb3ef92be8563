"""Session variables (`$name`) and IDENTIFIER(...), put into a statement before it compiles.

A variable becomes a bind value, so statements that differ only in a variable's value share one plan.
IDENTIFIER('name'), IDENTIFIER(:n) and IDENTIFIER($name) become the object name itself (the plan then names
that object); the name is checked to be one, so no bind value can become SQL.
https://docs.snowflake.com/en/sql-reference/session-variables, https://docs.snowflake.com/en/sql-reference/identifier-literal
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from backends.duckdb.sql.names import OBJECT_NAME_PATTERN
from backends.errors import compilation_error

# Strings, quoted identifiers, comments and $$ bodies are stepped over as units.
_SKIP = r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\$\$.*?\$\$"
_VARIABLE = r"(?<![\w$])\$(?P<var>[A-Za-z_]\w*)"
_IDENTIFIER = re.compile(
    rf"{_SKIP}|\bIDENTIFIER\s*\(\s*(?:'(?P<text>(?:[^']|'')*)'|:(?P<bind>\d+)|\$(?P<idvar>[A-Za-z_]\w*))\s*\)",
    re.I | re.S)
_VARIABLE_OR_BIND = re.compile(rf"{_SKIP}|{_VARIABLE}|(?<![\w:]):(?P<bind>\d+)", re.S)
_NAME = re.compile(OBJECT_NAME_PATTERN)

@dataclass
class Variable:
    """A session variable: its value, Snowflake's name for its type, and when it was set (epoch ms)."""

    value: Any
    type: str
    created_on: int
    updated_on: int


#: Whether a statement may need substituting: a cheap test before the scan.
MAY_SUBSTITUTE = re.compile(r"(?<![\w$])\$[A-Za-z_]|\bIDENTIFIER\s*\(", re.I)


def substitute(sql: str, values: Sequence[Any], variables: Mapping[str, Variable]) -> tuple[str, list[Any]]:
    """`sql` (binds numbered `:n`) with IDENTIFIER(...) replaced by names and `$name` by new binds."""
    consumed: set[int] = set()

    def name_of(match: re.Match) -> str:
        if match["text"] is not None:
            name = match["text"].replace("''", "'")
        elif match["bind"] is not None:
            index = int(match["bind"])
            if not 0 < index <= len(values):
                raise compilation_error(f"Bind variable :{index} not set.", errno=2049, query=sql)
            consumed.add(index)
            name = values[index - 1]
        elif match["idvar"] is not None:
            name = _variable(match["idvar"], variables, sql)
        else:
            return match.group(0)
        if not isinstance(name, str) or not _NAME.fullmatch(name.strip()):
            raise compilation_error(f"invalid identifier {name!r}", errno=904, query=sql)
        return name.strip()

    text = _IDENTIFIER.sub(name_of, sql)
    kept = [v for i, v in enumerate(values, start=1) if i not in consumed]
    renumbered = {old: new for new, old in enumerate((i for i in range(1, len(values) + 1) if i not in consumed), 1)}
    out = list(kept)

    def bind(match: re.Match) -> str:
        if match["var"] is not None:
            out.append(_variable(match["var"], variables, sql))
            return f":{len(out)}"
        if match["bind"] is not None and consumed:
            return f":{renumbered.get(int(match['bind']), int(match['bind']))}"
        return match.group(0)

    return _VARIABLE_OR_BIND.sub(bind, text), out


def _variable(name: str, variables: Mapping[str, Variable], sql: str) -> Any:
    key = name.upper()
    if key not in variables:
        raise compilation_error(f"Session variable '${key}' does not exist", errno=2211, sqlstate="02000", query=sql)
    return variables[key].value
