"""PARSE_JSON's leniency: text DuckDB's JSON parser refuses but Snowflake's reads.

Snowflake's parser takes object keys without quotes and TRUE / FALSE / NULL in any case
(https://docs.snowflake.com/en/sql-reference/functions/parse_json). Text that is strict JSON never
gets here (DuckDB parses it); this reads the rest and returns it as strict JSON, or says where it
stops being JSON, as Snowflake's "Error parsing JSON" does. An array with a missing element
(`[1,,2]`) holds an *undefined* value in Snowflake, which JSON cannot carry: refused by name.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: The marker an engine-error rule turns into NotSupportedError (engine_errors.py).
UNDEFINED_ELEMENT = "snowsim-unsupported: PARSE_JSON of an array with a missing element"

_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_BARE = re.compile(r"[A-Za-z_$][\w$]*")
_WORDS = {"true": True, "false": False, "null": None}


class _Reader:
    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def fail(self, what: str) -> ValueError:
        return ValueError(f"Error parsing JSON: {what}, pos {self.at + 1}")

    def blank(self) -> None:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def peek(self) -> str:
        self.blank()
        return self.text[self.at] if self.at < len(self.text) else ""

    def value(self) -> Any:
        c = self.peek()
        if c == "{":
            return self.members()
        if c == "[":
            return self.elements()
        if c == '"':
            return self.string()
        number = _NUMBER.match(self.text, self.at)
        if number:
            self.at = number.end()
            return json.loads(number.group(0))
        word = _BARE.match(self.text, self.at)
        if word and word.group(0).lower() in _WORDS:
            self.at = word.end()
            return _WORDS[word.group(0).lower()]
        raise self.fail(f"unknown keyword \"{word.group(0)}\"" if word else "unexpected character")

    def string(self) -> str:
        try:
            decoded, end = json.JSONDecoder().raw_decode(self.text, self.at)
        except json.JSONDecodeError:
            raise self.fail("unterminated or malformed string") from None
        self.at = end
        return decoded

    def members(self) -> dict[str, Any]:
        self.at += 1
        found: dict[str, Any] = {}
        if self.peek() == "}":
            self.at += 1
            return found
        while True:
            if self.peek() == '"':
                key = self.string()
            else:
                bare = _BARE.match(self.text, self.at)
                if not bare:
                    raise self.fail("expected an object key")
                key, self.at = bare.group(0), bare.end()
            if self.peek() != ":":
                raise self.fail("expected ':'")
            self.at += 1
            found[key] = self.value()
            c = self.peek()
            self.at += 1
            if c == "}":
                return found
            if c != ",":
                raise self.fail("expected ',' or '}'")

    def elements(self) -> list[Any]:
        self.at += 1
        found: list[Any] = []
        if self.peek() == "]":
            self.at += 1
            return found
        while True:
            if self.peek() in (",", "]"):
                raise ValueError(UNDEFINED_ELEMENT)
            found.append(self.value())
            c = self.peek()
            self.at += 1
            if c == "]":
                return found
            if c != ",":
                raise self.fail("expected ',' or ']'")


def lenient_json(text: str | None, safe: bool) -> str | None:
    """`text` as strict JSON; None for NULL or blank text, and for TRY_PARSE_JSON (`safe`) when it is not JSON."""
    if text is None or not text.strip():  # an empty string is SQL NULL, as in Snowflake
        return None
    try:  # DuckDB may evaluate this branch for strict JSON too (a constant folded): keep that cheap
        json.loads(text)
        return text
    except ValueError:
        pass
    reader = _Reader(text)
    try:
        value = reader.value()
        if reader.peek():
            raise reader.fail("unexpected content after the document")
    except ValueError as error:
        if safe and str(error) != UNDEFINED_ELEMENT:
            return None
        raise
    return json.dumps(value, separators=(",", ":"))
