"""Split a Snowflake SQL script into statements at top-level semicolons (strings and comments respected).

Shared by every backend and the harness, which runs pipeline scripts statement by statement.

Semicolons inside a Snowflake Scripting block (`CREATE TASK ... AS BEGIN ...; ...; END;`) do not
split it, as Snowsight reads scripts; `BEGIN;` and `BEGIN TRANSACTION` still start transactions.
"""

from __future__ import annotations

import sqlglot
from sqlglot.tokens import TokenType

from backends.errors import compilation_error


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
    depth = 0  # open BEGIN ... END blocks (and CASE ... END inside them)
    for position, token in enumerate(tokens):
        following = tokens[position + 1] if position + 1 < len(tokens) else None
        if token.token_type == TokenType.BEGIN and not _starts_transaction(following):
            depth += 1
        elif token.token_type == TokenType.CASE and depth:
            depth += 1
        elif token.token_type == TokenType.END and depth and not _ends_control_flow(following):
            depth -= 1
        if token.token_type == TokenType.SEMICOLON and not depth:
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


def _starts_transaction(following: object) -> bool:
    """`BEGIN;`, `BEGIN TRANSACTION`, `BEGIN WORK`, `BEGIN NAME t`: a transaction, not a block."""
    return following is None or following.token_type == TokenType.SEMICOLON or following.text.upper() in (
        "TRANSACTION", "WORK", "NAME")


def _ends_control_flow(following: object) -> bool:
    """`END IF`, `END LOOP`, ...: closers of statements whose openers are not counted."""
    return following is not None and following.text.upper() in ("IF", "LOOP", "FOR", "WHILE", "REPEAT")
