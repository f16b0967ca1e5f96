"""Rows that satisfy a table's constraints, derived from the catalog: a value of each column's
type, distinct per row (so uniques hold), a parent's existing key for a foreign key, a label
the CHECK lists for `col IN (...)`, the column's own constant default where the app gave one
(JSON documents, kinds). Every column gets a value, nullable ones too, so that a later step
that makes a column NOT NULL or unique holds on them as it holds on the app's own rows.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Column:
    name: str
    type: str  # the declared type (SQLite) or format_type (PostgreSQL), lower case
    notnull: bool
    default: str | None
    #: a value the database must make itself (generated, identity ALWAYS): never inserted
    generated: bool = False
    #: enum labels (PostgreSQL)
    labels: tuple[str, ...] = ()


@dataclass
class ForeignKey:
    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


@dataclass
class Shape:
    name: str
    columns: list[Column]
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


def ordered(shapes: dict[str, Shape]) -> list[Shape]:
    """Parents before children (a cycle is broken where it closes)."""
    done: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: set[str]) -> None:
        if name in seen or name in path or name not in shapes:
            return
        path.add(name)
        for fk in shapes[name].foreign_keys:
            visit(fk.parent, path)
        path.discard(name)
        seen.add(name)
        done.append(name)

    for name in sorted(shapes):
        visit(name, set())
    return [shapes[n] for n in done]


def _in_list(check: str, column: str) -> list[str] | None:
    """The labels of `column IN ('a', 'b')` or `column = ANY (ARRAY['a'::text, ...])`."""
    text = check.replace('"', "").replace("`", "")
    m = re.search(rf"\b{re.escape(column)}\)?(?:::\w+)?\s+IN\s*\(([^)]*)\)", text, re.I) or re.search(
        rf"\b{re.escape(column)}\)?(?:::\w+)?\s*=\s*ANY\s*\(\s*\(?ARRAY\[([^\]]*)\]", text, re.I
    )
    if not m:
        return None
    return re.findall(r"'((?:[^']|'')*)'", m.group(1))


_CONSTANT = re.compile(r"^\(?'((?:[^']|'')*)'(?:::[\w\s\[\]\"]+)?\)?$", re.S)


def constant_default(default: str | None) -> str | None:
    """The text of a quoted constant default (`'{"json": {}}'`, `'light'::text`), else None."""
    if default is None:
        return None
    m = _CONSTANT.match(default.strip())
    return m.group(1).replace("''", "'") if m else None


#: text columns an app keeps JSON documents in (its SQL may read them with json_extract)
_JSON_NAME = re.compile(r"(json|config|settings|options|metadata|payload)$", re.I)


def _length(type_: str) -> int | None:
    m = re.search(r"(?:char|varchar|character varying|character)\s*\((\d+)\)", type_)
    return int(m.group(1)) if m else None


def value(column: Column, n: int, dialect: str) -> Any:
    """A value of the column's type; `n` makes it distinct from every other row's."""
    t = column.type.lower()
    if column.labels:
        return column.labels[n % len(column.labels)]
    if t.endswith("[]"):
        return "{}"
    if "bool" in t:
        return True if dialect == "postgresql" else 1
    if "json" in t or (("text" in t or not t) and _JSON_NAME.search(column.name)):
        return constant_default(column.default) or f'{{"n": {n}}}'
    if "uuid" in t:
        return f"00000000-0000-4000-8000-{n:012d}"
    if "timestamp" in t or "datetime" in t:
        if dialect == "sqlite" and ("int" in t or "num" in t):
            return 1_700_000_000 + n
        return (
            f"2024-01-01 00:00:{n % 60:02d}.{n:06d}"[:26]
            if dialect == "postgresql"
            else f"2024-01-01T00:00:00.{n:03d}Z"
        )
    if t == "date":
        return f"2024-01-{1 + n % 28:02d}"
    if "int" in t or "serial" in t:
        return n
    if any(k in t for k in ("real", "double", "float", "numeric", "decimal")):
        return n + 0.5 if "numeric" not in t and "decimal" not in t else n
    if "bytea" in t or "blob" in t:
        return bytes([n % 256])
    if "interval" in t:
        return f"{n} seconds"
    if "inet" in t:
        return f"10.0.{n // 256 % 256}.{n % 256}"
    if dialect == "sqlite" and t == "":
        return f"v{n}"
    const = constant_default(column.default)
    if const is not None and const.startswith(("{", "[")):
        return const  # an app's JSON document default: its code (and its SQL) reads it back
    text = f"{column.name}-{n}"
    limit = _length(t)
    return text[-limit:] if limit else text


def row(shape: Shape, n: int, dialect: str, parents: dict[str, list[dict[str, Any]]]) -> dict[str, Any] | str:
    """One row for `shape` (a dict of column values), or why none can be made."""
    out: dict[str, Any] = {}
    by_name = {c.name: c for c in shape.columns}
    for k, fk in enumerate(shape.foreign_keys):
        candidates = parents.get(fk.parent, [])
        if not candidates:
            if all(not by_name[c].notnull for c in fk.columns if c in by_name):
                for c in fk.columns:
                    out[c] = None
                continue
            return f"its parent {fk.parent} has no rows for {','.join(fk.columns)}"
        parent_row = random.Random(n * 31 + k).choice(candidates)
        for c, pc in zip(fk.columns, fk.parent_columns, strict=False):
            out[c] = parent_row.get(pc)
    for column in shape.columns:
        if column.generated or column.name in out:
            continue
        labels = next((ls for ch in shape.checks if (ls := _in_list(ch, column.name))), None)
        out[column.name] = labels[n % len(labels)] if labels else value(column, n, dialect)
    return out
