"""Statement text helpers: comments removed, and the clauses of CREATE TASK and CREATE DYNAMIC TABLE before
their top-level AS, and the body after it."""

from __future__ import annotations

import re

import sqlglot
from sqlglot.tokens import TokenType

from backends.errors import compilation_error

_COMMENT_OR_QUOTED = re.compile(
    r"(?P<keep>'(?:[^'\\]|\\.|'')*'|\"(?:[^\"]|\"\")*\"|\$\$.*?\$\$)|--[^\n]*|//[^\n]*|/\*.*?\*/", re.S)


def without_comments(sql: str) -> str:
    """The statement with its comments (`--`, `//`, `/* */`) replaced by a space; strings and identifiers kept."""
    if "--" not in sql and "/" not in sql:
        return sql
    return _COMMENT_OR_QUOTED.sub(lambda m: m["keep"] or " ", sql)


def split_header_and_body(rest: str, sql: str, statement: str) -> tuple[str, str]:
    """The clauses before a CREATE TASK's or CREATE DYNAMIC TABLE's top-level AS, and the body after it."""
    try:
        tokens = sqlglot.tokenize(rest, read="snowflake")
    except sqlglot.errors.TokenError as error:
        raise compilation_error(f"syntax error: {error}", errno=1003, query=sql) from error
    depth = 0
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type == TokenType.ALIAS and depth == 0:
            return rest[: token.start], rest[token.end + 1 :].strip().rstrip(";").strip()
    raise compilation_error(f"syntax error: {statement} needs AS <statement>", errno=1003, query=sql)
