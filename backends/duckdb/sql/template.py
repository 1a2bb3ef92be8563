"""Translated SQL with named slots for values known only when a statement runs.

A compiled statement is cached once per catalog version, but some of what it needs changes from
run to run: a stream's offset, the commit sequence number it writes, whether a stream has data.
Those are slots, rendered as SQL literals just before DuckDB sees the text. Slot values are
integers, booleans and bind markers the emulator computes itself, never user input, which is
always bound.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

_MARK = "\x00"


def slot(name: str) -> str:
    """The marker for slot `name` inside SQL text."""
    return f"{_MARK}{name}{_MARK}"


def slot_node(name: str) -> exp.Expression:
    """The marker for slot `name` as a syntax-tree node that generates verbatim."""
    return exp.Var(this=slot(name))


class Template:
    """SQL text split around its slots; `render` fills them in."""

    __slots__ = ("parts", "slots", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts = text.split(_MARK)
        self.slots = tuple(dict.fromkeys(self.parts[1::2]))

    def render(self, values: Mapping[str, object]) -> str:
        if len(self.parts) == 1:
            return self.text
        out = []
        for i, part in enumerate(self.parts):
            if i % 2 == 0:
                out.append(part)
            else:
                value = values[part]
                if isinstance(value, bool):
                    out.append("TRUE" if value else "FALSE")
                elif isinstance(value, int):
                    out.append(str(value))
                else:
                    out.append(value)  # a bind marker ($n) the plan put there itself
        return "".join(out)

    def __repr__(self) -> str:
        return f"Template({self.text.replace(_MARK, '|')!r})"


def has_slot_marker(text: str) -> bool:
    return _MARK in text
