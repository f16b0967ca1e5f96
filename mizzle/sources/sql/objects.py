"""Domains, sequences, materialized views and aggregates in a `.sql` schema
(`core/pg_objects.py`), read as introspection reads them from the database that file makes:

- CREATE DOMAIN: base type, DEFAULT, NOT NULL, CHECKs (an unnamed one takes PostgreSQL's
  name, `<domain>_check`, then `<domain>_check1`...);
- CREATE SEQUENCE with its options (and OWNED BY, or ALTER SEQUENCE ... OWNED BY later);
- CREATE MATERIALIZED VIEW name AS query [WITH [NO] DATA], and CREATE INDEX on it, both
  kept as written (a file `pull` wrote holds PostgreSQL's own text, so it reads back equal);
- CREATE AGGREGATE, kept as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mizzle.core import canonical
from mizzle.core.errors import MizzleError, SchemaError
from mizzle.core.expr import SqlExpr, parse_expression
from mizzle.core.model import SerialSequence
from mizzle.core.pg_objects import Domain, DomainCheck, MaterializedView, PgSequence
from mizzle.dialects.postgresql.objects_sql import base_type_text
from mizzle.sources.sql.split import Statement, Tokens

_DOMAIN_CLAUSES = frozenset({"COLLATE", "DEFAULT", "CONSTRAINT", "NOT", "NULL", "CHECK"})


def _expr(text: str, what: str) -> SqlExpr:
    try:
        return SqlExpr(canonical.normalize_pg_expression(parse_expression(text, "postgres")))
    except MizzleError as err:
        raise SchemaError(f"cannot read {what}: {err}") from None


def read_domain(st: Statement, name: str) -> tuple[str, Domain]:
    """(the base type as written, the domain) of a CREATE DOMAIN statement."""
    tokens = Tokens(st.text)
    tokens.skip_to("DOMAIN")
    tokens.name()
    tokens.accept("AS")
    first = tokens.peek()
    if first is None:
        raise SchemaError(f'domain "{name}" has no type')
    # top-level clause starts: (position, word)
    marks: list[tuple[int, str]] = []
    depth = 0
    while (token := tokens.next()) is not None:
        depth += {"(": 1, ")": -1}.get(token.text, 0)
        top = depth == 0 and token.upper in _DOMAIN_CLAUSES and token.start > first.start
        # the NULL of NOT NULL is part of its clause
        after_not = (
            token.upper == "NULL" and bool(marks) and marks[-1][1] == "NOT" and _only_blank(st.text, marks[-1][0])
        )
        if top and not after_not:
            marks.append((token.start, token.upper))
    ends = [m[0] for m in marks[1:]] + ([len(st.text)] if marks else [])
    base = st.text[first.start : marks[0][0] if marks else len(st.text)].strip().rstrip(";").strip()
    default: SqlExpr | None = None
    not_null = False
    checks: list[DomainCheck] = []
    constraint: str | None = None
    for (start, word), end in zip(marks, ends, strict=True):
        clause = st.text[start:end].strip().rstrip(";").strip()
        if word == "DEFAULT":
            default = _expr(clause[len("DEFAULT") :], f"the default of domain {name}")
        elif word == "CONSTRAINT":
            inner = Tokens(clause)
            inner.accept("CONSTRAINT")
            constraint = inner.name()[-1]
            continue
        elif word == "NOT":
            not_null = True
        elif word == "NULL":
            not_null = False
        elif word == "CHECK":
            body = clause[len("CHECK") :].strip()
            taken = {c.name for c in checks}
            check_name = constraint or _free(f"{name.rpartition('.')[2]}_check", taken)
            checks.append(DomainCheck(name=check_name, expr=_expr(body, f"a check of domain {name}")))
        constraint = None
    domain = Domain(name=name, base_type=base_type_text(base), default=default, not_null=not_null, checks=tuple(checks))
    return base, domain


def _only_blank(text: str, start: int) -> bool:
    """Whether `NOT` at `start` is followed by NULL (NOT NULL is one clause)."""
    return re.match(r"NOT\s+NULL\b", text[start:], re.IGNORECASE) is not None


def _free(name: str, taken: set[str]) -> str:
    n = 0
    candidate = name
    while candidate in taken:
        n += 1
        candidate = f"{name}{n}"
    return candidate


@dataclass
class SequenceOptions:
    data_type: str = "bigint"
    values: dict[str, int | None] = field(default_factory=dict)
    cycle: bool = False

    def sequence(self, name: str, owned_by: str | None) -> PgSequence:
        if self.data_type not in ("smallint", "integer", "bigint"):
            raise SchemaError(f'sequence "{name}": type {self.data_type} is not smallint, integer or bigint')
        return PgSequence(
            name=name,
            data_type=self.data_type,
            cycle=self.cycle,
            owned_by=owned_by,
            **self.values,
        ).without_defaults()

    def serial(self, name: str) -> SerialSequence:
        """The options as a serial column's sequence (`Column.sequence`)."""
        if self.data_type not in ("smallint", "integer", "bigint"):
            raise SchemaError(f'sequence "{name}": type {self.data_type} is not smallint, integer or bigint')
        return SerialSequence.model_validate({"data_type": self.data_type, "cycle": self.cycle, **self.values})


_TYPE_WORDS = {"INT": "integer", "INT4": "integer", "INTEGER": "integer", "INT2": "smallint", "SMALLINT": "smallint"}
_TYPE_WORDS |= {"INT8": "bigint", "BIGINT": "bigint"}


def read_sequence_options(tokens: Tokens, options: SequenceOptions | None = None) -> SequenceOptions:
    """The options of CREATE or ALTER SEQUENCE after the name, up to OWNED BY or the end."""
    out = options or SequenceOptions()

    def number() -> int:
        sign = -1 if tokens.accept("-") else 1
        token = tokens.next()
        if token is None or not token.text.isdigit():
            raise SchemaError("a sequence option takes a whole number")
        return sign * int(token.text)

    while tokens.peek() is not None and not tokens.at("OWNED", "BY"):
        if tokens.accept("AS"):
            word = tokens.next()
            out.data_type = _TYPE_WORDS.get(word.upper if word else "", word.text.lower() if word else "")
        elif tokens.accept("INCREMENT"):
            tokens.accept("BY")
            out.values["increment"] = number()
        elif tokens.accept("START"):
            tokens.accept("WITH")
            out.values["start"] = number()
        elif tokens.accept("MINVALUE"):
            out.values["min_value"] = number()
        elif tokens.accept("MAXVALUE"):
            out.values["max_value"] = number()
        elif tokens.accept("NO", "MINVALUE"):
            out.values["min_value"] = None
        elif tokens.accept("NO", "MAXVALUE"):
            out.values["max_value"] = None
        elif tokens.accept("CACHE"):
            out.values["cache"] = number()
        elif tokens.accept("NO", "CYCLE"):
            out.cycle = False
        elif tokens.accept("CYCLE"):
            out.cycle = True
        elif tokens.at("OWNER") or tokens.at("RENAME") or tokens.at("SET") or tokens.at("RESTART"):
            break  # who owns it, its name, schema, logging, current value: not what the model holds
        else:
            tokens.next()  # NO ORDER and the like (PostgreSQL's own noise words), `;`
    return out


_WITH_DATA = re.compile(r"\s+WITH\s+(NO\s+)?DATA\s*;?\s*$", re.IGNORECASE)


def read_materialized_view(st: Statement, name: str) -> MaterializedView:
    tokens = Tokens(st.text)
    tokens.skip_to("VIEW")
    tokens.accept("IF", "NOT", "EXISTS")
    tokens.name()
    while (token := tokens.next()) is not None and token.upper != "AS":
        if token.text == "(":
            raise SchemaError(f'materialized view "{name}": a column list or storage options are not carried')
    if token is None:
        raise SchemaError(f'materialized view "{name}" has no query')
    query = st.text[token.start + 2 :].strip().rstrip(";").rstrip()
    found = _WITH_DATA.search(query)
    with_data = True
    if found is not None:
        with_data = found.group(1) is None
        query = query[: found.start()]
    return MaterializedView(name=name, query=query, with_data=with_data)
