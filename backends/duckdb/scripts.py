"""Split a SQL script into statements at top-level semicolons (strings and comments respected)."""

from __future__ import annotations

import sqlglot
from sqlglot.tokens import TokenType

from ..errors import compilation_error


def split_statements(script: str) -> list[str]:
    """The statements of a script, as written, without their terminating semicolons."""
    return [text for text, _ in split_with_lines(script)]


def split_with_lines(script: str) -> list[tuple[str, int]]:
    """Each statement of a script with the line it starts on (1-based)."""
    try:
        tokens = sqlglot.tokenize(script, read="snowflake")
    except sqlglot.errors.TokenError as error:
        raise compilation_error(f"syntax error: {error}", errno=1003, query=script) from error
    statements: list[tuple[int, int]] = []
    start: int | None = None
    end = 0
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if start is not None:
                statements.append((start, end))
            start = None
            continue
        if start is None:
            start = token.start
        end = token.end + 1
    if start is not None:
        statements.append((start, end))
    return [(script[a:b].strip(), script.count("\n", 0, a) + 1) for a, b in statements if script[a:b].strip()]

