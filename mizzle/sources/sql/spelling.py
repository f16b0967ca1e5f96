"""The text an expression was written with in a `.sql` file: kept as its PostgreSQL spelling.

sqlglot hands the reader trees, and a tree printed again is sqlglot's spelling, not the
file's (`char_length(x)` comes back `LENGTH(x)`, `btrim(x)` `TRIM(x)`). A pulled file is
PostgreSQL's own text, and exporting it must give the catalog it came from, so the reader
finds each expression's text in the statement and records it on the tree (`SPELLING` in
its `meta`), where `pg_expr_tree` picks it up.

sqlglot records where identifiers, literals and function names start, not where a whole
expression does: the text is found from the first recorded position (stepping back over a
few tokens, for a leading `NOT`, `(`, `CASE`...) up to a point where the parentheses close,
and a candidate is taken only when it reads back to the same canonical expression as the
tree. When none does, nothing is recorded and the expression is printed canonically: a
spelling is never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from sqlglot import exp

from mizzle.core.errors import MizzleError
from mizzle.core.expr import parse_expression
from mizzle.sources.sql.split import _TOKEN, Token

#: the key of `exp.Expression.meta` holding the text an expression was written with
SPELLING = "pg_spelling"

#: how many tokens before the first recorded position a candidate may start
_BACK = 4
#: how many candidates are read back at most, per expression (each is one parse)
_TRIES = 12


@lru_cache(maxsize=8)  # a statement's expressions are read one after the other
def _tokens(text: str) -> tuple[Token, ...]:
    return tuple(Token(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text) if m.lastgroup is not None)


def _span(node: exp.Expression) -> tuple[int, int] | None:
    starts, ends = [], []
    for child in node.walk():
        meta = child.meta if child._meta else None  # `meta` would create the dict
        if meta and "start" in meta and "end" in meta:
            starts.append(int(meta["start"]))
            ends.append(int(meta["end"]))
    return (min(starts), max(ends)) if starts else None


def _ends(tokens: tuple[Token, ...], first: int, last_end: int) -> list[int]:
    """Character positions where an expression starting at token `first` may end: after a
    token at parenthesis depth 0 that covers `last_end`, before the clause closes."""
    ends: list[int] = []
    depth = 0
    for token in tokens[first:]:
        if token.text in ("(", "["):
            depth += 1
        elif token.text in (")", "]"):
            depth -= 1
            if depth < 0:
                break
        elif depth == 0 and token.text in (",", ";"):
            break
        end = token.start + len(token.text)
        if depth == 0 and end > last_end:
            ends.append(end)
    return ends


def find_spelling(
    node: exp.Expression, text: str, canonical: Callable[[exp.Expression], str], *, start: int | None = None
) -> str | None:
    """The part of `text` (the statement `node` was parsed from) that `node` was written as,
    or None. `canonical` maps a tree to the text it is compared by; `start`, where known, is
    the character position the expression starts at and says it runs to the end of `text`
    (a view's query)."""
    span = _span(node)
    if span is None:
        # sqlglot records no position for a key word; `now()` has one, so a CurrentTimestamp
        # without is the key word itself
        return "CURRENT_TIMESTAMP" if isinstance(node, exp.CurrentTimestamp) else None
    first_pos, last_end = span
    tokens = _tokens(text)
    if start is not None:
        # a whole query to the statement's end (commas and all): one candidate
        candidate = text[start:].strip()
        try:
            return candidate if canonical(parse_expression(candidate)) == canonical(node) else None
        except MizzleError:
            return None
    else:
        at = next((i for i, t in enumerate(tokens) if t.start <= first_pos < t.start + len(t.text)), None)
        firsts = [] if at is None else [i for i in range(at, max(at - _BACK, 0) - 1, -1)]
    wanted = canonical(node)
    tries = 0
    for first in firsts:
        for end in reversed(_ends(tokens, first, last_end)):
            if tries >= _TRIES:
                return None
            tries += 1
            candidate = text[tokens[first].start : end].strip()
            try:
                if canonical(parse_expression(candidate)) == wanted:
                    return candidate
            except MizzleError:
                continue
    return None


def record_spelling(
    node: exp.Expression | None, text: str, canonical: Callable[[exp.Expression], str], *, start: int | None = None
) -> None:
    """Record on `node` (if any) the text it was written with, where it can be found."""
    if node is None:
        return
    found = find_spelling(node, text, canonical, start=start)
    if found is not None:
        node.meta[SPELLING] = found
