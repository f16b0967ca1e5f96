"""Hypothesis strategies generating valid schemas across every supported type, default kind,
constraint and index feature, for the render → apply → introspect round-trip property.

The generated expressions are ones whose meaning both databases keep and whose spelling
canonicalises alike after each database has stored and printed them (e.g. no BETWEEN, which
PostgreSQL rewrites to `>= AND <=`; no `lower()` of a varchar, which PostgreSQL prints with a
cast). Everything else (types, defaults, names, constraints, indexes) is drawn freely.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from mizzle.core import naming
from mizzle.core.expr import SqlExpr, needs_quotes
from mizzle.core.model import (
    Check,
    Column,
    Enum,
    ExprDefault,
    ForeignKey,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    Schema,
    Table,
    Unique,
    View,
)
from mizzle.core.types import ColumnType, TypeKind
from mizzle.core.validate import validate

_plain_name = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(lambda n: not needs_quotes(n))
# Names PostgreSQL must quote (capitals, spaces): rarer, but they must round-trip too.
_quoted_name = st.from_regex(r"[A-Z][a-zA-Z0-9 ]{0,10}[a-z0-9]", fullmatch=True)
names = st.one_of(_plain_name, _plain_name, _plain_name, _quoted_name)

_text_value = st.text(alphabet=string.ascii_letters + string.digits + " '_-é", max_size=12)

SCALAR_TYPES: list[ColumnType] = [
    ColumnType(kind=TypeKind.SMALLINT),
    ColumnType(kind=TypeKind.INTEGER),
    ColumnType(kind=TypeKind.BIGINT),
    ColumnType(kind=TypeKind.BOOLEAN),
    ColumnType(kind=TypeKind.TEXT),
    ColumnType(kind=TypeKind.VARCHAR),
    ColumnType(kind=TypeKind.VARCHAR, length=40),
    ColumnType(kind=TypeKind.CHAR, length=3),
    ColumnType(kind=TypeKind.NUMERIC),
    ColumnType(kind=TypeKind.NUMERIC, precision=10, scale=2),
    ColumnType(kind=TypeKind.REAL),
    ColumnType(kind=TypeKind.DOUBLE),
    ColumnType(kind=TypeKind.DATE),
    ColumnType(kind=TypeKind.TIME),
    ColumnType(kind=TypeKind.TIME, precision=3),
    ColumnType(kind=TypeKind.TIMESTAMP),
    ColumnType(kind=TypeKind.TIMESTAMP, precision=3),
    ColumnType(kind=TypeKind.TIMESTAMPTZ),
    ColumnType(kind=TypeKind.UUID),
    ColumnType(kind=TypeKind.JSON),
    ColumnType(kind=TypeKind.JSONB),
    ColumnType(kind=TypeKind.BYTES),
    ColumnType(kind=TypeKind.CUSTOM, name="interval"),
    ColumnType(kind=TypeKind.CUSTOM, name="inet"),
]
ARRAY_TYPES: list[ColumnType] = [
    ColumnType(kind=TypeKind.TEXT, array_dims=1),
    ColumnType(kind=TypeKind.INTEGER, array_dims=1),
    ColumnType(kind=TypeKind.VARCHAR, length=20, array_dims=1),
    ColumnType(kind=TypeKind.UUID, array_dims=1),
]
# Types a btree index or a UNIQUE constraint can hold (json has no equality operator).
_INDEXABLE = {k for k in TypeKind} - {TypeKind.JSON, TypeKind.CUSTOM}


def _literal(draw: st.DrawFn, ctype: ColumnType, enums: dict[str, Enum]) -> Any:
    """A constant of `ctype`, spelled as PostgreSQL prints it back, or None for 'no literal'."""
    k = ctype.kind
    if ctype.array_dims:
        elem = ctype.element
        if k is TypeKind.TEXT or k is TypeKind.VARCHAR:
            return draw(st.lists(_text_value.map(lambda s: s[: elem.length or 12]), max_size=3))
        if k is TypeKind.INTEGER:
            return draw(st.lists(st.integers(-1000, 1000), max_size=3))
        return None
    if k is TypeKind.SMALLINT:
        return draw(st.integers(-32768, 32767))
    if k is TypeKind.INTEGER:
        return draw(st.integers(-(2**31), 2**31 - 1))
    if k is TypeKind.BIGINT:
        return draw(st.integers(-(2**62), 2**62))
    if k is TypeKind.BOOLEAN:
        return draw(st.booleans())
    if k is TypeKind.TEXT:
        return draw(_text_value)
    if k is TypeKind.VARCHAR:
        return draw(_text_value)[: ctype.length or 12]
    if k is TypeKind.CHAR:
        return draw(st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=3))
    if k is TypeKind.NUMERIC:
        return draw(st.sampled_from(["0", "1", "-2", "1.5", "10.25"]))
    if k in (TypeKind.REAL, TypeKind.DOUBLE):
        return draw(st.sampled_from(["0", "1.5", "-2.25"]))
    if k is TypeKind.DATE:
        return draw(st.sampled_from(["2024-01-31", "1999-12-01"]))
    if k is TypeKind.TIME:
        return "12:34:56"
    if k is TypeKind.TIMESTAMP:
        return "2024-01-31 12:34:56"
    if k is TypeKind.UUID:
        return str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))
    if k is TypeKind.JSON:
        return draw(st.sampled_from(["{}", "[1,2]", '{"a":"b"}']))
    if k is TypeKind.JSONB:
        return draw(st.sampled_from(["{}", "[1, 2]", '{"a": "b"}']))
    if k is TypeKind.ENUM:
        return draw(st.sampled_from(enums[ctype.name or ""].values))
    return None


def _default(draw: st.DrawFn, ctype: ColumnType, enums: dict[str, Enum]) -> Any:
    k = ctype.kind
    options: list[Callable[[], Any]] = []
    if not ctype.array_dims and k in (TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ):
        options.append(NowDefault)
    if not ctype.array_dims and k is TypeKind.UUID:
        options.append(RandomUuidDefault)
    if not ctype.array_dims and k is TypeKind.INTEGER:
        options.append(lambda: ExprDefault(expr=SqlExpr.parse("1 + 2")))
    if not ctype.array_dims and k is TypeKind.TEXT:
        options.append(lambda: ExprDefault(expr=SqlExpr.parse("lower('ABC') || 'x'")))
    if not ctype.array_dims and k is TypeKind.DATE:
        options.append(lambda: ExprDefault(expr=SqlExpr.parse("CURRENT_DATE")))
    value = _literal(draw, ctype, enums)
    if value is not None:
        options.append(lambda: LiteralDefault(value=value))
    if not options or not draw(st.booleans()):
        return None
    return draw(st.sampled_from(options))()


class _Names:
    """Hands out names unique in PostgreSQL's relation namespace (tables, views, indexes, keys)."""

    def __init__(self) -> None:
        self.relations: set[str] = set()

    # Compared without case: SQLite does not tell names apart by case (PostgreSQL does), and
    # the schema must live on both.
    def taken(self, name: str) -> bool:
        return name.lower() in self.relations

    def claim(self, name: str) -> str:
        self.relations.add(name.lower())
        return name


@st.composite
def schemas(draw: st.DrawFn, max_tables: int = 4) -> Schema:
    reg = _Names()
    enums: dict[str, Enum] = {}
    for _ in range(draw(st.integers(0, 2))):
        name = draw(_plain_name.filter(lambda n: not reg.taken(n) and n not in enums))
        reg.claim(name)
        values = draw(st.lists(_text_value.filter(bool), min_size=1, max_size=4, unique=True))
        enums[name] = Enum(name=name, values=tuple(values))
    tables: list[Table] = []
    for _ in range(draw(st.integers(1, max_tables))):
        tables.append(_table(draw, reg, enums, tables))
    views = []
    if tables and draw(st.booleans()):
        views.append(_view(draw, reg, draw(st.sampled_from(tables))))
    schema = Schema(tables=tuple(tables), enums=tuple(enums.values()), views=tuple(views))
    return validate(schema)


def _table(draw: st.DrawFn, reg: _Names, enums: dict[str, Enum], earlier: list[Table]) -> Table:
    tname = reg.claim(draw(names.filter(lambda n: not reg.taken(n) and len(n) < 20)))
    type_pool = SCALAR_TYPES + ARRAY_TYPES + [ColumnType(kind=TypeKind.ENUM, name=e) for e in enums]
    col_names = draw(st.lists(_plain_name, min_size=1, max_size=6, unique=True).filter(lambda ns: "id" not in ns))
    columns: list[Column] = []
    for cname in col_names:
        ctype = draw(st.sampled_from(type_pool))
        columns.append(
            Column(name=cname, type=ctype, nullable=draw(st.booleans()), default=_default(draw, ctype, enums))
        )

    pk_kind = draw(st.sampled_from(["serial", "bigserial", "integer", "uuid", "composite", "none"]))
    pk_cols: tuple[str, ...] = ()
    if pk_kind in ("serial", "bigserial", "integer", "uuid"):
        kind = TypeKind(pk_kind)
        default = RandomUuidDefault() if kind is TypeKind.UUID and draw(st.booleans()) else None
        columns.insert(0, Column(name="id", type=ColumnType(kind=kind), nullable=False, default=default))
        pk_cols = ("id",)
    elif pk_kind == "composite":
        keyable = [c for c in columns if c.type.kind in _INDEXABLE and not c.type.array_dims]
        if len(keyable) >= 2:
            pk_cols = (keyable[0].name, keyable[1].name)
            columns = [c.model_copy(update={"nullable": False}) if c.name in pk_cols else c for c in columns]
    pk = PrimaryKey(name=reg.claim(naming.primary_key_name(tname, reg.taken)), columns=pk_cols) if pk_cols else None

    fks: list[ForeignKey] = []
    targets = [t for t in earlier if t.primary_key and len(t.primary_key.columns) == 1]
    if pk_cols == ("id",) and draw(st.integers(0, 9)) == 0:
        targets.append(Table(name=tname, columns=tuple(columns), primary_key=pk))  # self reference
    if targets and draw(st.booleans()):
        target = draw(st.sampled_from(targets))
        assert target.primary_key is not None
        ref_col = target.column(target.primary_key.columns[0])
        assert ref_col is not None
        fk_kind = {TypeKind.SERIAL: TypeKind.INTEGER, TypeKind.BIGSERIAL: TypeKind.BIGINT}.get(
            ref_col.type.kind, ref_col.type.kind
        )
        fk_col = f"{target.name.lower().replace(' ', '_')}_ref"[:30]
        if fk_col not in {c.name for c in columns}:
            columns.append(Column(name=fk_col, type=ColumnType(kind=fk_kind), nullable=True))
            deferrable = draw(st.booleans())
            fks.append(
                ForeignKey(
                    name=naming.foreign_key_name(tname, [fk_col]),
                    columns=(fk_col,),
                    ref_table=target.name,
                    ref_columns=(ref_col.name,),
                    on_delete=draw(st.sampled_from(["no action", "restrict", "cascade", "set null"])),
                    on_update=draw(st.sampled_from(["no action", "cascade"])),
                    deferrable=deferrable,
                    initially_deferred=deferrable and draw(st.booleans()),
                )
            )

    plain = [c for c in columns if c.type.kind in _INDEXABLE and not c.type.array_dims]
    uniques: list[Unique] = []
    if plain and draw(st.booleans()):
        ucols = draw(st.lists(st.sampled_from([c.name for c in plain]), min_size=1, max_size=2, unique=True))
        if tuple(ucols) != pk_cols:
            uniques.append(Unique(name=reg.claim(naming.unique_name(tname, ucols, reg.taken)), columns=tuple(ucols)))

    checks = _checks(draw, tname, columns)
    indexes = _indexes(draw, reg, tname, columns)
    return Table(
        name=tname,
        columns=tuple(columns),
        primary_key=pk,
        foreign_keys=tuple(fks),
        uniques=tuple(uniques),
        checks=tuple(checks),
        indexes=tuple(indexes),
    )


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if needs_quotes(name) else name


def _checks(draw: st.DrawFn, tname: str, columns: list[Column]) -> list[Check]:
    ints = [c.name for c in columns if c.type.kind in (TypeKind.INTEGER, TypeKind.SMALLINT) and not c.type.array_dims]
    texts = [c.name for c in columns if c.type.kind is TypeKind.TEXT and not c.type.array_dims]
    candidates: list[str] = []
    candidates += [f"{_q(c)} > -100" for c in ints] + [f"{_q(c)} <> 3" for c in ints]
    candidates += [f"length({_q(c)}) < 50" for c in texts] + [f"{_q(c)} IN ('a', 'b c', '')" for c in texts]
    if len(ints) >= 2:
        candidates.append(f"{_q(ints[0])} <= {_q(ints[1])} OR {_q(ints[1])} IS NULL")
    if not candidates or not draw(st.booleans()):
        return []
    expr = SqlExpr.parse(draw(st.sampled_from(candidates)))
    name = draw(st.one_of(st.just(naming.check_name(tname, expr)), _plain_name.map(lambda n: f"{n}_ck")))
    return [Check(name=name, expr=expr)]


def _indexes(draw: st.DrawFn, reg: _Names, tname: str, columns: list[Column]) -> list[Index]:
    out: list[Index] = []
    plain = [c for c in columns if c.type.kind in _INDEXABLE and not c.type.array_dims]
    texts = [c.name for c in columns if c.type.kind is TypeKind.TEXT and not c.type.array_dims]
    ints = [c.name for c in columns if c.type.kind is TypeKind.INTEGER and not c.type.array_dims]
    gin_able = [c.name for c in columns if c.type.kind is TypeKind.JSONB or c.type.array_dims]
    for _ in range(draw(st.integers(0, 2))):
        shape = draw(st.sampled_from(["columns", "expression", "gin", "hash"]))
        keys: list[IndexKey] = []
        method = "btree"
        if shape == "columns" and plain:
            picked = draw(st.lists(st.sampled_from([c.name for c in plain]), min_size=1, max_size=2, unique=True))
            for col in picked:
                desc = draw(st.booleans())
                keys.append(IndexKey(column=col, desc=desc, nulls=draw(st.sampled_from([None, "first", "last"]))))
        elif shape == "expression" and texts:
            keys.append(IndexKey(expr=SqlExpr.parse(f"lower({_q(draw(st.sampled_from(texts)))})")))
        elif shape == "gin" and gin_able:
            keys.append(IndexKey(column=draw(st.sampled_from(gin_able))))
            method = "gin"
        elif shape == "hash" and plain:
            keys.append(IndexKey(column=draw(st.sampled_from([c.name for c in plain]))))
            method = "hash"
        if not keys:
            continue
        where = None
        if ints and draw(st.booleans()):
            where = SqlExpr.parse(draw(st.sampled_from([f"{_q(ints[0])} > 0", f"{_q(ints[0])} IS NOT NULL"])))
        unique = method == "btree" and draw(st.booleans())
        name = naming.index_name(tname, [(k.column, k.expr) for k in keys], reg.taken)
        out.append(Index(name=reg.claim(name), keys=tuple(keys), unique=unique, where=where, method=method))
    return out


def _view(draw: st.DrawFn, reg: _Names, table: Table) -> View:
    cols = draw(st.lists(st.sampled_from(table.column_names), min_size=1, max_size=3, unique=True))
    t = _q(table.name)
    body = f"SELECT {', '.join(f'{t}.{_q(c)}' for c in cols)} FROM {t}"
    ints = [c.name for c in table.columns if c.type.kind is TypeKind.INTEGER and not c.type.array_dims]
    if ints and draw(st.booleans()):
        body += f" WHERE {t}.{_q(ints[0])} > 0"
    name = reg.claim(draw(_plain_name.map(lambda n: f"v_{n}").filter(lambda n: not reg.taken(n))))
    return View(name=name, query=SqlExpr.parse(body))
