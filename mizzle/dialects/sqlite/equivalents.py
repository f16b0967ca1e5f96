"""PostgreSQL calls that SQLite computes with its own functions: the device keeps the default.

A server schema's defaults call what PostgreSQL (or an extension) provides: `gen_random_uuid()`,
`uuid_generate_v4()` (uuid-ossp, often schema-qualified, `extensions.uuid_generate_v4()` on
Supabase), `timezone('utc', now())`, `now() AT TIME ZONE 'utc'`. SQLite has none of these
functions but computes the same values: a random uuid from `randomblob` (`types.RANDOM_UUID_SQL`)
and the current UTC time as `strftime` (`types.NOW_SQL`, the text form mizzle stores). The
table below says which call is which; `transpile` rewrites such a call anywhere in an
expression, and `capabilities` holds a default that is only such a call as the neutral
`now()`/random-uuid default, so it renders in the column's own timestamp form and reads back
the same. A call with no entry here has no SQLite equivalent: a default is then server-only
(`capabilities`), never guessed.
"""

from __future__ import annotations

from typing import Literal

from sqlglot import exp

from mizzle.core.model import Default, ExprDefault, NowDefault, RandomUuidDefault
from mizzle.core.types import ColumnType, TypeKind

Equivalent = Literal["now", "random_uuid"]

#: functions (any schema, lower case) → what SQLite computes instead. uuid-ossp's time-based
#: v1 uuids become random v4 ones on the device: both are unique ids, which is what a default
#: key needs (nothing reads the time back out of a uuid key).
FUNCTIONS: dict[str, Equivalent] = {
    "gen_random_uuid": "random_uuid",
    "uuid_generate_v4": "random_uuid",
    "uuid_generate_v1": "random_uuid",
    "uuid_generate_v1mc": "random_uuid",
    "now": "now",
    "transaction_timestamp": "now",
    "statement_timestamp": "now",
    "clock_timestamp": "now",
}

#: time zone names that are UTC: `timezone('utc', now())` is the current UTC time, as SQLite's
#: `'now'` is
_UTC = frozenset({"utc", "etc/utc", "z", "zulu", "gmt", "etc/gmt", "+00", "+00:00"})


def equivalent(node: exp.Expression) -> Equivalent | None:
    """What SQLite computes in place of `node` (a PostgreSQL call), or None if nothing."""
    if isinstance(node, exp.Uuid):
        return "random_uuid"
    if isinstance(node, exp.CurrentTimestamp):
        return "now"
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous):
        node = node.expression  # extensions.uuid_generate_v4(): the schema does not matter
    if isinstance(node, exp.Anonymous) and not node.expressions:
        return FUNCTIONS.get(str(node.this).lower())
    # timezone('utc', now()) and now() AT TIME ZONE 'utc': the current time in UTC
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "timezone" and len(node.expressions) == 2:
        zone, moment = node.expressions
    elif isinstance(node, exp.AtTimeZone):
        zone, moment = node.args.get("zone"), node.this
    else:
        return None
    while isinstance(zone, exp.Cast):
        zone = zone.this
    utc = isinstance(zone, exp.Literal) and zone.is_string and str(zone.this).strip().lower() in _UTC
    return "now" if utc and equivalent(moment) == "now" else None


def held_default(default: ExprDefault, ctype: ColumnType) -> Default | None:
    """The neutral default SQLite holds for an expression default that is only an equivalent
    call (`timezone('utc', now())` in a timestamptz column → now()), or None."""
    if ctype.array_dims:
        return None
    tree = default.expr.tree
    while isinstance(tree, exp.Paren):
        tree = tree.this
    found = equivalent(tree)
    if found == "now" and ctype.kind in (TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ):
        return NowDefault()
    if found == "random_uuid" and ctype.kind is TypeKind.UUID:
        return RandomUuidDefault()
    return None
