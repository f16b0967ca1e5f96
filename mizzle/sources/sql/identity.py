"""`GENERATED ALWAYS|BY DEFAULT AS IDENTITY [(options)]` read from tokens, as pg_dump writes
it in `ALTER TABLE ... ALTER COLUMN c ADD GENERATED ...` (with SEQUENCE NAME, NO MINVALUE,
CACHE: options sqlglot does not parse)."""

from __future__ import annotations

from mizzle.core.errors import SchemaError
from mizzle.sources.sql.split import Tokens

#: option key word → the model's field (each takes a number, optionally after WITH/BY)
_NUMBERED = {
    "START": "start",
    "INCREMENT": "increment",
    "MINVALUE": "min_value",
    "MAXVALUE": "max_value",
    "CACHE": "cache",
}


def identity_options(tokens: Tokens) -> dict[str, object]:
    """The fields of an `Identity`, from the tokens after `GENERATED` (the clause consumed)."""
    fields: dict[str, object] = {"always": tokens.accept("ALWAYS")}
    if not fields["always"] and not tokens.accept("BY", "DEFAULT"):
        raise SchemaError("expected ALWAYS or BY DEFAULT after GENERATED")
    if not tokens.accept("AS", "IDENTITY"):
        raise SchemaError("expected AS IDENTITY")
    if not tokens.at("("):
        return fields
    inner = Tokens(tokens.parenthesized())
    while (token := inner.next()) is not None:
        word = token.upper
        if word in _NUMBERED:
            inner.accept("WITH") or inner.accept("BY")
            fields[_NUMBERED[word]] = _number(inner, word)
        elif word == "CYCLE":
            fields["cycle"] = True
        elif word == "NO":
            inner.next()  # NO MINVALUE, NO MAXVALUE, NO CYCLE: the defaults
        elif word == "SEQUENCE" and inner.accept("NAME"):
            inner.name()  # the sequence's name is PostgreSQL's business, not the model's
        elif word == "AS":
            inner.name()  # the sequence's type follows the column's
        elif word == "RESTART":
            inner.accept("WITH")
            if (following := inner.peek()) is not None and following.kind == "number":
                inner.next()
        else:
            raise SchemaError(f"identity option {token.text} not understood")
    return fields


def _number(tokens: Tokens, word: str) -> int:
    sign = -1 if tokens.accept("-") else 1
    token = tokens.next()
    if token is None or token.kind != "number":
        raise SchemaError(f"identity option {word} needs a whole number")
    return sign * int(token.text)
