"""Snowflake's names for unaliased result columns: the expression's text, upper-cased.

`SELECT count(*), a + 1 FROM t` describes columns `COUNT(*)` and `A + 1`. The text comes from
the statement itself: the outer SELECT list is split on its top-level commas.
"""

from __future__ import annotations

from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.tokens import TokenType

_LIST_END = {
    TokenType.FROM, TokenType.WHERE, TokenType.GROUP_BY, TokenType.ORDER_BY, TokenType.LIMIT, TokenType.UNION,
    TokenType.EXCEPT, TokenType.INTERSECT, TokenType.HAVING, TokenType.QUALIFY, TokenType.SEMICOLON, TokenType.INTO,
}
_SELECT_MODIFIERS = {TokenType.DISTINCT, TokenType.ALL}


@lru_cache(maxsize=256)
def select_list_spans(sql: str) -> tuple[tuple[int, int], ...]:
    """Character spans of the outer SELECT's items, in order."""
    try:
        tokens = sqlglot.tokenize(sql, read="snowflake")
    except sqlglot.errors.TokenError:
        return ()
    depth = 0
    start_index = None
    for i, token in enumerate(tokens):
        if token.token_type in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif token.token_type in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        elif token.token_type == TokenType.SELECT and depth == 0:
            start_index = i + 1
            break
    if start_index is None:
        return ()
    while start_index < len(tokens) and tokens[start_index].token_type in _SELECT_MODIFIERS:
        start_index += 1
    spans: list[tuple[int, int]] = []
    first = None
    last = None
    depth = 0
    for token in tokens[start_index:]:
        kind = token.token_type
        if depth == 0 and (kind in _LIST_END or kind == TokenType.COMMA):
            if first is not None:
                spans.append((first, last))
            first = last = None
            if kind != TokenType.COMMA:
                break
            continue
        if kind in (TokenType.L_PAREN, TokenType.L_BRACKET):
            depth += 1
        elif kind in (TokenType.R_PAREN, TokenType.R_BRACKET):
            depth -= 1
        if first is None:
            first = token.start
        last = token.end + 1
    else:
        if first is not None:
            spans.append((first, last))
    return tuple(spans)


def projection_text(sql: str, projection: exp.Expression) -> str | None:
    """The upper-cased source text of an outer-SELECT item, or None if it cannot be located."""
    select = projection.parent
    if not isinstance(select, exp.Select):
        return None
    spans = select_list_spans(sql)
    if len(spans) != len(select.expressions):
        return None
    index = next(i for i, e in enumerate(select.expressions) if e is projection)
    start, end = spans[index]
    return " ".join(sql[start:end].split()).upper()
