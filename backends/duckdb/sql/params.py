"""Bind parameters and literal lifting: one cached plan for statements that differ only in values.

Every placeholder style the connector accepts is rewritten to Snowflake's numeric binds
(`:1`, `:2`, ...) in textual order, with the values in a list, so the rest of the emulator sees
one style. `pyformat` (the connector's default) binds `%s` and `%(name)s`; a tuple or list
value expands to a parenthesised list, as the connector's client-side interpolation does.

Literal lifting turns `INSERT ... VALUES (1, 'a')` into `INSERT ... VALUES (:1, :2)` with values
[1, 'a'], so a stream of single-row inserts compiles once. Only whole values of a VALUES list
are lifted, where the column's type decides the cast either way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from backends.errors import ProgrammingError

PARAMSTYLES = ("pyformat", "format", "qmark", "numeric")

# Things a placeholder scan must step over as units, then the placeholders themselves.
_SKIP = r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/|\$\$.*?\$\$"
_PYFORMAT = re.compile(rf"{_SKIP}|%\((?P<name>\w+)\)s|(?P<pos>%s)|(?P<pct>%%)", re.S)
_QMARK = re.compile(rf"{_SKIP}|(?P<q>\?)", re.S)
_NUMERIC = re.compile(rf"{_SKIP}|:(?P<n>\d+)", re.S)


def normalize(sql: str, params: Any, paramstyle: str) -> tuple[str, list[Any]]:
    """SQL with `:n` placeholders in textual order, and the values they take."""
    if params is None:
        return sql, []
    if paramstyle in ("pyformat", "format"):
        return _pyformat(sql, params)
    if isinstance(params, Mapping):
        raise ProgrammingError(f"paramstyle {paramstyle!r} takes a sequence of values, not a mapping", errno=252004)
    values = list(params)
    if paramstyle == "qmark":
        counter = iter(range(1, len(values) + 2))

        def number(match: re.Match) -> str:
            return f":{next(counter)}" if match.group("q") else match.group(0)

        out = _QMARK.sub(number, sql)
        used = next(counter) - 1
        if used != len(values):
            raise ProgrammingError(
                f"the statement has {used} '?' placeholders but {len(values)} values were given", errno=252004
            )
        return out, values
    if paramstyle == "numeric":
        return sql, values
    raise ProgrammingError(f"unknown paramstyle {paramstyle!r}; expected one of {', '.join(PARAMSTYLES)}", errno=252001)


def normalize_many(sql: str, seq_params: Sequence[Any], paramstyle: str) -> tuple[str, Sequence[Sequence[Any]]] | None:
    """executemany's statement with `:n` placeholders and each parameter set's values, or None
    when the sets do not all give the same statement text (a list value expanding differently)."""
    text, first = normalize(sql, seq_params[0], paramstyle)
    width = len(first)
    if all(isinstance(p, (list, tuple)) and len(p) == width and not any(isinstance(v, (list, tuple)) for v in p)
           for p in seq_params):
        # Positional scalars: every style numbers them in order, so the values are the set itself.
        return text, seq_params
    rows = [normalize(sql, params, paramstyle) for params in seq_params]
    if any(other != text for other, _ in rows):
        return None
    return text, [values for _, values in rows]


def _pyformat(sql: str, params: Any) -> tuple[str, list[Any]]:
    values: list[Any] = []
    positional = (
        None if isinstance(params, Mapping) else list(params) if isinstance(params, (list, tuple)) else [params]
    )
    position = 0

    def bind(value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return "(" + ", ".join(bind(v) for v in value) + ")"
        values.append(value)
        return f":{len(values)}"

    def replace(match: re.Match) -> str:
        nonlocal position
        if match.group("pct"):
            return "%"
        if match.group("pos"):
            if positional is None:
                raise ProgrammingError("the statement uses %s but the parameters are a mapping", errno=252004)
            if position >= len(positional):
                raise ProgrammingError(f"not enough parameters: %s number {position + 1} has no value", errno=252004)
            position += 1
            return bind(positional[position - 1])
        name = match.group("name")
        if name:
            if positional is not None:
                raise ProgrammingError(f"the statement uses %({name})s but the parameters are a sequence", errno=252004)
            if name not in params:
                raise ProgrammingError(f"no value for the parameter %({name})s", errno=252004)
            return bind(params[name])
        return match.group(0)

    out = _PYFORMAT.sub(replace, sql)
    if positional is not None and position != len(positional):
        raise ProgrammingError(
            f"the statement has {position} %s placeholders but {len(positional)} values were given", errno=252004
        )
    return out, values


# --- literal lifting ------------------------------------------------------------------------------

_INSERT_VALUES = re.compile(r"\s*INSERT\s+(?:INTO\s+)?[^()']*?(?:\([^()']*\))?\s*VALUES\s*\(", re.I | re.S)
_VALUE_TOKEN = re.compile(
    r"(?P<str>'(?:[^'\\]|\\.|'')*')|(?P<num>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])"
    r"|(?P<ph>:\d+)|(?P<ws>\s+)|(?P<punct>[(),])|(?P<other>[^\s(),']+)",
    re.S,
)

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "\\": "\\", "'": "'", '"': '"'}


def decode_string(literal: str) -> str:
    """The value of a Snowflake single-quoted literal: '' and backslash escapes decoded."""
    body = literal[1:-1]
    if "\\" not in body and "''" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
        elif ch == "'" and body[i : i + 2] == "''":
            out.append("'")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _number(text: str) -> int | Decimal | float:
    if "e" in text or "E" in text:
        return float(text)
    if "." in text:
        return Decimal(text)
    return int(text)


def _is_whole_value(significant: list[re.Match], i: int) -> bool:
    before = significant[i - 1].group(0) if i > 0 else ""
    after = significant[i + 1].group(0) if i + 1 < len(significant) else ""
    return before in ("(", ",") and after in (",", ")")


def lift_insert_literals(sql: str, values: Sequence[Any]) -> tuple[str, list[Any]] | None:
    """`INSERT ... VALUES` with its whole literal values replaced by placeholders, or None.

    Returns None when the statement is not a plain INSERT ... VALUES (or nothing was lifted), in
    which case the caller keeps the text as it is. Placeholders already present keep their values
    and are renumbered with the lifted ones in textual order.
    """
    head = _INSERT_VALUES.match(sql)
    if head is None:
        return None
    start = head.end() - 1  # at the first "("
    tokens = list(_VALUE_TOKEN.finditer(sql, start))
    out: list[str] = [sql[:start]]
    lifted: list[Any] = []
    significant = [t for t in tokens if t.lastgroup != "ws"]
    index = {id(t): i for i, t in enumerate(significant)}
    changed = False
    depth = 0
    for token in tokens:
        kind, text = token.lastgroup, token.group(0)
        if kind == "punct":
            depth += 1 if text == "(" else -1 if text == ")" else 0
            out.append(text)
            continue
        if kind in ("str", "num", "ph") and depth == 1 and _is_whole_value(significant, index[id(token)]):
            if kind == "ph":
                position = int(text[1:]) - 1
                if position >= len(values):
                    return None
                lifted.append(values[position])
            else:
                lifted.append(decode_string(text) if kind == "str" else _number(text))
                changed = True
            out.append(f":{len(lifted)}")
            continue
        if kind == "ph":
            return None  # a placeholder inside an expression keeps the statement as written
        out.append(text)
    if not changed:
        return None
    return "".join(out), lifted


# --- literals of filters ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"(?P<str>'(?:[^'\\]|\\.|'')*')|(?P<quoted>\"(?:[^\"]|\"\")*\")|(?P<skip>--[^\n]*|/\*.*?\*/|\s+)"
    r"|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?![\w.])|(?P<word>[A-Za-z_][\w$]*)|(?P<ph>:\d+|\?)"
    r"|(?P<op><=|>=|<>|!=|::|\|\||[=<>(),.;\[\]{}+\-*/%:])|(?P<other>.)",
    re.S,
)
#: Clause keywords that end a WHERE / HAVING / QUALIFY / ON region at the statement's top level.
_CLAUSES = {"SELECT", "FROM", "WHERE", "GROUP", "HAVING", "QUALIFY", "ORDER", "LIMIT", "OFFSET", "FETCH", "UNION",
            "EXCEPT", "INTERSECT", "MINUS", "WINDOW", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL",
            "ON", "USING", "SET", "WHEN", "RETURNING", "LATERAL"}
_FILTERS = {"WHERE", "HAVING", "QUALIFY", "ON"}
#: The statements whose filters are lifted (checked before any tokenizing: every other statement passes here).
_LIFTED_STATEMENT = re.compile(r"\s*(?:SELECT|UPDATE|DELETE)\b", re.I)
_COMPARISONS = {"=", "<", ">", "<=", ">=", "<>", "!=", "LIKE", "ILIKE"}


def lift_filter_literals(sql: str) -> tuple[str, list[Any]] | None:
    """A SELECT's, UPDATE's or DELETE's top-level filter literals replaced by placeholders, or None.

    Only a literal compared with something (`= 5`, `< 'x'`, `LIKE 'a%'`, `IN (1, 2)`, `BETWEEN 1 AND 9`)
    inside a WHERE, HAVING, QUALIFY or ON of the outermost statement is lifted: nowhere does its text name
    a column, select a group by position or feed a translation that reads it (formats, date parts,
    paths). Statements that differ only in such values then share one compiled plan. None when there is
    nothing to lift, or a placeholder is already there.
    """
    if not _LIFTED_STATEMENT.match(sql):
        return None
    tokens = [t for t in _TOKEN.finditer(sql) if t.lastgroup != "skip"]
    out: list[str] = []
    lifted: list[Any] = []
    last = 0
    depth, in_filter, between = 0, False, False
    in_lists: list[int] = []  # depths of open IN ( ... ) lists
    for i, token in enumerate(tokens):
        kind, text = token.lastgroup, token.group(0)
        upper = text.upper() if kind in ("word", "op") else ""
        if kind == "ph":
            return None
        if upper == "(":
            depth += 1
            if i > 0 and tokens[i - 1].group(0).upper() == "IN":
                in_lists.append(depth)
        elif upper == ")":
            if in_lists and in_lists[-1] == depth:
                in_lists.pop()
            depth -= 1
        elif kind == "word" and depth == 0 and upper in _CLAUSES:
            in_filter, between = upper in _FILTERS, False
        elif kind in ("str", "num") and in_filter:
            before = tokens[i - 1].group(0).upper() if i > 0 else ""
            listed = bool(in_lists) and in_lists[-1] == depth and before in ("(", ",")
            after = tokens[i + 1].group(0) if i + 1 < len(tokens) else ""
            ranged = before == "BETWEEN" or (before == "AND" and between)
            if (before in _COMPARISONS or listed or ranged) and after not in (".", "(", "["):
                lifted.append(decode_string(text) if kind == "str" else _number(text))
                out.append(sql[last:token.start()])
                out.append(f":{len(lifted)}")
                last = token.end()
            if before == "AND":
                between = False
        if upper == "BETWEEN":
            between = True
    if not lifted:
        return None
    out.append(sql[last:])
    return "".join(out), lifted
