"""Hypothesis strategies for schema evolution: `schema_pairs()` draws a schema A (from
`tests.strategies.schemas()`), derives B from it by a few random edits, and returns
(A, B, renames), where `renames` says what each rename or drop in the edits was (so the
diff needs no prompt).

The edits: add, drop and rename tables and columns (a rename also re-derives the default
names of the keys, indexes and FKs it touches, as a schema loaded from source would, half of
the time); alter columns (nullability, default, type within the integer or the text family);
add and drop uniques, checks, indexes, primary keys and foreign keys (FKs through new
columns, to single-column primary keys, or to the table itself); add, remove and reorder enum
values, create enums with a column using them, drop unused enums; add, drop and change views
(including views over views). Whatever an edit removes, what depended on it goes too (FKs
to a dropped key, views over a dropped table...), so B is always valid. New columns are
appended, as ALTER TABLE ADD COLUMN places them; every new name is fresh (used by nothing
in A or B), so a name never changes meaning between A and B.

Type changes stay within a family both databases convert: integers among smallint/integer/
bigint (FK columns referencing a retyped key follow it), text among text/varchar/varchar(40)
(only for columns no CHECK or index expression reads). Whether the data fits (a value longer
than 40, a bigint beyond smallint) is a matter of rows: such a change may fail, by design.
Enum values added, removed or reordered clear the defaults holding a removed value.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st
from sqlglot import exp

from mizzle.core import naming
from mizzle.core.evolve import apply_renames
from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Column,
    Enum,
    ForeignKey,
    Index,
    LiteralDefault,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    View,
)
from mizzle.core.operations import RenameColumn, RenameTable
from mizzle.core.renames import Renames
from mizzle.core.types import ColumnType, TypeKind
from mizzle.core.validate import problems
from tests.strategies import (
    _INDEXABLE,
    ARRAY_TYPES,
    SCALAR_TYPES,
    _checks,
    _default,
    _indexes,
    _Names,
    _plain_name,
    _q,
    _table,
    _text_value,
    _view,
    schemas,
)

_INTEGER_TYPES = [ColumnType(kind=k) for k in (TypeKind.SMALLINT, TypeKind.INTEGER, TypeKind.BIGINT)]
_TEXT_TYPES = [
    ColumnType(kind=TypeKind.TEXT),
    ColumnType(kind=TypeKind.VARCHAR),
    ColumnType(kind=TypeKind.VARCHAR, length=40),
]


def without_column_order(schema: Schema) -> Schema:
    """`schema` with each table's columns sorted by name: schemas equal up to column order
    (ADD COLUMN appends, and nothing reorders columns) compare equal after this."""
    tables = tuple(
        t.model_copy(update={"columns": tuple(sorted(t.columns, key=lambda c: c.name))}) for t in schema.tables
    )
    return schema.model_copy(update={"tables": tables})


@st.composite
def schema_pairs(draw: st.DrawFn, max_edits: int = 5) -> tuple[Schema, Schema, Renames]:
    """(A, B, renames): B derived from A by 1..max_edits random edits (see the module docstring)."""
    a = draw(schemas())
    editor = _Editor(a, draw)
    for _ in range(draw(st.integers(1, max_edits))):
        edit = draw(st.sampled_from(_EDITS))
        edit(editor)
        editor.prune()
    b = editor.schema()
    found = problems(b)
    assert not found, f"schema_pairs made an invalid schema: {found}"
    return a, b, editor.renames()


def drop_everything_renames(old: Schema, new: Schema) -> Renames:
    """Renames saying every table and column that disappears was dropped (no renames): for
    pairs of unrelated schemas."""
    new_names = {t.name for t in new.tables}
    dropped_columns = {
        (t.name, c.name)
        for t in old.tables
        if (n := new.table(t.name)) is not None
        for c in t.columns
        if n.column(c.name) is None
    }
    return Renames(
        dropped_tables=frozenset(t.name for t in old.tables if t.name not in new_names),
        dropped_columns=frozenset(dropped_columns),
    )


class _Editor:
    """B under construction, with where each table and column of B came from in A."""

    def __init__(self, a: Schema, draw: st.DrawFn) -> None:
        self.a, self.draw = a, draw
        self.tables = {t.name: t for t in a.tables}
        self.enums = {e.name: e for e in a.enums}
        self.views = {v.name: v for v in a.views}
        self.reg = _Names()
        for name in _all_names(a):
            self.reg.claim(name)
        self.table_origin: dict[str, str | None] = {t.name: t.name for t in a.tables}
        self.column_origin: dict[str, dict[str, str | None]] = {
            t.name: {c.name: c.name for c in t.columns} for t in a.tables
        }

    def schema(self) -> Schema:
        return Schema(
            tables=tuple(self.tables.values()), enums=tuple(self.enums.values()), views=tuple(self.views.values())
        )

    def load(self, schema: Schema) -> None:
        self.tables = {t.name: t for t in schema.tables}
        self.enums = {e.name: e for e in schema.enums}
        self.views = {v.name: v for v in schema.views}

    def fresh(self, strategy: st.SearchStrategy[str] = _plain_name) -> str:
        name = self.draw(strategy.filter(lambda n: not self.reg.taken(n) and len(n) < 20))
        return self.reg.claim(name)

    def pick_table(self, where: Callable[[Table], bool] = lambda _: True) -> Table | None:
        names = sorted(n for n, t in self.tables.items() if where(t))
        return self.tables[self.draw(st.sampled_from(names))] if names else None

    def pick(self, items: list[str]) -> str | None:
        return self.draw(st.sampled_from(sorted(items))) if items else None

    def put(self, table: Table) -> None:
        self.tables[table.name] = table

    def renames(self) -> Renames:
        tables: dict[str, str] = {}
        columns: dict[tuple[str, str], str] = {}
        dropped_columns: set[tuple[str, str]] = set()
        for name, origin in self.table_origin.items():
            if origin is None:
                continue
            if origin != name:
                tables[origin] = name
            kept = {o for o in self.column_origin[name].values() if o is not None}
            columns |= {(name, o): c for c, o in self.column_origin[name].items() if o is not None and o != c}
            old = self.a.table(origin)
            assert old is not None
            dropped_columns |= {(name, c.name) for c in old.columns if c.name not in kept}
        kept_tables = {o for o in self.table_origin.values() if o is not None}
        dropped_tables = frozenset(t.name for t in self.a.tables if t.name not in kept_tables)
        return Renames(tables, columns, dropped_tables, frozenset(dropped_columns))

    def prune(self) -> None:
        """Drop whatever the last edit left dangling: parts over missing columns, FKs whose
        target or key is gone, views over missing tables, views or columns."""
        for table in list(self.tables.values()):
            cols = set(table.column_names)
            pk = table.primary_key
            self.put(
                table.model_copy(
                    update={
                        "primary_key": pk if pk and set(pk.columns) <= cols else None,
                        "uniques": tuple(u for u in table.uniques if set(u.columns) <= cols),
                        "checks": tuple(c for c in table.checks if set(c.expr.column_names()) <= cols),
                        "indexes": tuple(i for i in table.indexes if set(i.columns) <= cols),
                    }
                )
            )
        for table in list(self.tables.values()):
            fks = tuple(fk for fk in table.foreign_keys if self._fk_holds(table, fk))
            self.put(table.model_copy(update={"foreign_keys": fks}))
        while True:
            bad = [v for v in self.views.values() if not self._view_holds(v)]
            if not bad:
                return
            for view in bad:
                del self.views[view.name]

    def _fk_holds(self, table: Table, fk: ForeignKey) -> bool:
        target = self.tables.get(fk.ref_table)
        if target is None or not set(fk.columns) <= set(table.column_names):
            return False
        keys = [set(target.primary_key.columns)] if target.primary_key else []
        keys += [set(u.columns) for u in target.uniques]
        return set(fk.ref_columns) in keys

    def _view_holds(self, view: View) -> bool:
        for name in view.referenced_tables():
            if name in self.views:
                continue
            table = self.tables.get(name)
            if table is None:
                return False
            if not set(_view_column_reads(view, name)) <= set(table.column_names):
                return False
        return all(c in _outputs(self.views[n]) for n, c in _view_reads_of_views(view, self.views))


def _all_names(schema: Schema) -> set[str]:
    names = {t.name for t in schema.tables} | {v.name for v in schema.views} | {e.name for e in schema.enums}
    for t in schema.tables:
        names |= set(t.column_names) | {i.name for i in t.indexes} | {u.name for u in t.uniques}
        names |= {fk.name for fk in t.foreign_keys} | {c.name for c in t.checks}
        names |= {t.primary_key.name} if t.primary_key else set()
    return names


def _view_column_reads(view: View, table: str) -> list[str]:
    """Columns a generated view reads of `table` (its columns are all qualified by the table)."""
    return [c.name for c in view.query.tree.find_all(exp.Column) if c.table == table]


def _outputs(view: View) -> list[str]:
    tree = view.query.tree
    return [e.alias_or_name for e in tree.expressions] if isinstance(tree, exp.Select) else []


def _view_reads_of_views(view: View, views: dict[str, View]) -> list[tuple[str, str]]:
    return [(c.table, c.name) for c in view.query.tree.find_all(exp.Column) if c.table in views]


# --- edits ---------------------------------------------------------------------------------------


def _add_table(ed: _Editor) -> None:
    table = _table(ed.draw, ed.reg, ed.enums, list(ed.tables.values()))
    for col in table.column_names:
        ed.reg.claim(col)
    ed.put(table)
    ed.table_origin[table.name] = None
    ed.column_origin[table.name] = dict.fromkeys(table.column_names)


def _drop_table(ed: _Editor) -> None:
    table = ed.pick_table()
    if table is not None:
        del ed.tables[table.name]
        del ed.table_origin[table.name], ed.column_origin[table.name]


def _rename_table(ed: _Editor) -> None:
    table = ed.pick_table()
    if table is None:
        return
    new = ed.fresh()
    ed.load(apply_renames(ed.schema(), [RenameTable(old=table.name, new=new)]))
    ed.table_origin[new] = ed.table_origin.pop(table.name)
    ed.column_origin[new] = ed.column_origin.pop(table.name)
    if ed.draw(st.booleans()):
        ed.put(_default_names_follow(ed, table, ed.tables[new]))


def _add_column(ed: _Editor) -> None:
    table = ed.pick_table()
    if table is None:
        return
    pool = SCALAR_TYPES + ARRAY_TYPES + [ColumnType(kind=TypeKind.ENUM, name=e) for e in ed.enums]
    ctype = ed.draw(st.sampled_from(pool))
    column = Column(
        name=ed.fresh(), type=ctype, nullable=ed.draw(st.booleans()), default=_default(ed.draw, ctype, ed.enums)
    )
    ed.put(table.model_copy(update={"columns": (*table.columns, column)}))
    ed.column_origin[table.name][column.name] = None


def _drop_column(ed: _Editor) -> None:
    table = ed.pick_table(lambda t: len(t.columns) > 1)
    if table is None:
        return
    pk = set(table.primary_key.columns) if table.primary_key else set()
    name = ed.pick([c for c in table.column_names if c not in pk])
    if name is None:
        return
    ed.put(table.model_copy(update={"columns": tuple(c for c in table.columns if c.name != name)}))
    del ed.column_origin[table.name][name]


def _rename_column(ed: _Editor) -> None:
    table = ed.pick_table()
    if table is None:
        return
    old = ed.pick(table.column_names)
    assert old is not None
    new = ed.fresh()
    ed.load(apply_renames(ed.schema(), [RenameColumn(table=table.name, old=old, new=new)]))
    ed.column_origin[table.name] = {(new if c == old else c): o for c, o in ed.column_origin[table.name].items()}
    if ed.draw(st.booleans()):
        ed.put(_default_names_follow(ed, table, ed.tables[table.name]))


def _default_names_follow(ed: _Editor, before: Table, after: Table) -> Table:
    """`after` (a renamed `before`) with each key, index and FK that had its default name in
    `before` given its default name in `after`, as loading the renamed schema would."""

    def follows(name: str, was: str, now: str) -> bool:
        return name == was and now != was

    pk = after.primary_key
    if pk and follows(pk.name, naming.primary_key_name(before.name), naming.primary_key_name(after.name)):
        pk = pk.model_copy(update={"name": ed.reg.claim(naming.primary_key_name(after.name, ed.reg.taken))})
    uniques: list[Unique] = []
    for b, u in zip(before.uniques, after.uniques, strict=True):
        if follows(u.name, naming.unique_name(before.name, b.columns), naming.unique_name(after.name, u.columns)):
            u = u.model_copy(update={"name": ed.reg.claim(naming.unique_name(after.name, u.columns, ed.reg.taken))})
        uniques.append(u)
    indexes: list[Index] = []
    for old_index, i in zip(before.indexes, after.indexes, strict=True):
        keys_before = [(k.column, k.expr) for k in old_index.keys]
        keys = [(k.column, k.expr) for k in i.keys]
        if follows(i.name, naming.index_name(before.name, keys_before), naming.index_name(after.name, keys)):
            i = i.model_copy(update={"name": ed.reg.claim(naming.index_name(after.name, keys, ed.reg.taken))})
        indexes.append(i)
    taken = {c.name for c in after.checks} | {u.name for u in uniques} | ({pk.name} if pk else set())
    fks: list[ForeignKey] = []
    for old_fk, fk in zip(before.foreign_keys, after.foreign_keys, strict=True):
        was, now = naming.foreign_key_name(before.name, old_fk.columns), naming.foreign_key_name(after.name, fk.columns)
        if follows(fk.name, was, now):
            used = taken | {f.name for f in fks}
            fk = fk.model_copy(update={"name": naming.foreign_key_name(after.name, fk.columns, used.__contains__)})
        fks.append(fk)
    return after.model_copy(update={"primary_key": pk, "uniques": uniques, "indexes": indexes, "foreign_keys": fks})


def _alter_column(ed: _Editor) -> None:
    table = ed.pick_table()
    if table is None:
        return
    pk = set(table.primary_key.columns) if table.primary_key else set()
    name = ed.pick([c.name for c in table.columns if c.type.kind not in (TypeKind.SERIAL, TypeKind.BIGSERIAL)])
    if name is None:
        return
    column = table.column(name)
    assert column is not None
    in_expressions = any(name in c.expr.column_names() for c in table.checks) or any(
        name in i.columns and (i.where is not None or any(k.expr for k in i.keys)) for i in table.indexes
    )
    change = ed.draw(st.sampled_from(["nullable", "default", "type"]))
    if change == "nullable" and name not in pk:
        column = column.model_copy(update={"nullable": not column.nullable})
    elif change == "default":
        column = column.model_copy(update={"default": _default(ed.draw, column.type, ed.enums)})
    elif change == "type" and not column.type.array_dims:
        family = next((f for f in (_INTEGER_TYPES, _TEXT_TYPES) if column.type in f), None)
        if family is None or (family is _TEXT_TYPES and in_expressions):
            return
        ctype = ed.draw(st.sampled_from(family))
        column = column.model_copy(update={"type": ctype, "default": _default(ed.draw, ctype, ed.enums)})
        _retype_referencing(ed, table.name, name, ctype)
        table = ed.tables[table.name]
    ed.put(table.model_copy(update={"columns": tuple(column if c.name == name else c for c in table.columns)}))


def _retype_referencing(ed: _Editor, table: str, column: str, ctype: ColumnType) -> None:
    """FK columns referencing a retyped integer column follow it (as a developer would)."""
    for t in list(ed.tables.values()):
        for fk in t.foreign_keys:
            if fk.ref_table == table and column in fk.ref_columns and t.name != table:
                src = fk.columns[fk.ref_columns.index(column)]
                cols = tuple(c.model_copy(update={"type": ctype}) if c.name == src else c for c in t.columns)
                t = t.model_copy(update={"columns": cols})
        ed.put(t)


def _constraint_names(table: Table) -> set[str]:
    names = {c.name for c in table.checks} | {fk.name for fk in table.foreign_keys} | {u.name for u in table.uniques}
    return names | ({table.primary_key.name} if table.primary_key else set())


def _keyable(table: Table) -> list[Column]:
    return [c for c in table.columns if c.type.kind in _INDEXABLE and not c.type.array_dims]


def _add_unique(ed: _Editor) -> None:
    table = ed.pick_table(lambda t: bool(_keyable(t)))
    if table is None:
        return
    cols = ed.draw(st.lists(st.sampled_from([c.name for c in _keyable(table)]), min_size=1, max_size=2, unique=True))
    if any(set(u.columns) == set(cols) for u in table.uniques):
        return
    unique = Unique(name=ed.reg.claim(naming.unique_name(table.name, cols, ed.reg.taken)), columns=tuple(cols))
    ed.put(table.model_copy(update={"uniques": (*table.uniques, unique)}))


def _drop_part(ed: _Editor) -> None:
    """Drop a unique, check, index, FK or the primary key (what depended on it is pruned)."""
    table = ed.pick_table()
    if table is None:
        return
    part = ed.draw(st.sampled_from(["uniques", "checks", "indexes", "foreign_keys", "primary_key"]))
    if part == "primary_key":
        ed.put(table.model_copy(update={"primary_key": None}))
        return
    items = getattr(table, part)
    if items:
        gone = ed.draw(st.sampled_from(items))
        ed.put(table.model_copy(update={part: tuple(i for i in items if i is not gone)}))


def _add_check(ed: _Editor) -> None:
    table = ed.pick_table()
    if table is None:
        return
    names = _constraint_names(table)
    checks = [c for c in _checks(ed.draw, table.name, list(table.columns)) if c.name not in names]
    ed.put(table.model_copy(update={"checks": (*table.checks, *checks)}))


def _add_index(ed: _Editor) -> None:
    table = ed.pick_table()
    if table is not None:
        indexes = _indexes(ed.draw, ed.reg, table.name, list(table.columns))
        ed.put(table.model_copy(update={"indexes": (*table.indexes, *indexes)}))


def _add_primary_key(ed: _Editor) -> None:
    table = ed.pick_table(lambda t: t.primary_key is None and bool(_keyable(t)))
    if table is None:
        return
    col = ed.draw(st.sampled_from([c.name for c in _keyable(table)]))
    pk = PrimaryKey(name=ed.reg.claim(naming.primary_key_name(table.name, ed.reg.taken)), columns=(col,))
    columns = tuple(c.model_copy(update={"nullable": False}) if c.name == col else c for c in table.columns)
    ed.put(table.model_copy(update={"primary_key": pk, "columns": columns}))


def _add_foreign_key(ed: _Editor) -> None:
    """An FK through a new column to a single-column primary key (maybe the table's own)."""
    source = ed.pick_table()
    target = ed.pick_table(lambda t: t.primary_key is not None and len(t.primary_key.columns) == 1 and _fk_target(t))
    if source is None or target is None or target.primary_key is None:
        return
    if source.name == target.name:
        source = target
    ref = target.column(target.primary_key.columns[0])
    assert ref is not None
    kind = {TypeKind.SERIAL: TypeKind.INTEGER, TypeKind.BIGSERIAL: TypeKind.BIGINT}.get(ref.type.kind, ref.type.kind)
    ctype = ColumnType(
        kind=kind, length=ref.type.length, precision=ref.type.precision, scale=ref.type.scale, name=ref.type.name
    )
    column = Column(name=ed.fresh(), type=ctype)
    fk = ForeignKey(
        name=naming.foreign_key_name(source.name, [column.name], _constraint_names(source).__contains__),
        columns=(column.name,),
        ref_table=target.name,
        ref_columns=(ref.name,),
        on_delete=ed.draw(st.sampled_from(["no action", "cascade", "set null"])),
    )
    ed.put(source.model_copy(update={"columns": (*source.columns, column), "foreign_keys": (*source.foreign_keys, fk)}))
    ed.column_origin[source.name][column.name] = None


def _fk_target(table: Table) -> bool:
    """Whether an FK may reference the table's single-column primary key (json has no equality)."""
    assert table.primary_key is not None
    col = table.column(table.primary_key.columns[0])
    return col is not None and col.type.kind not in (TypeKind.JSON, TypeKind.JSONB, TypeKind.CUSTOM)


def _enum_values(ed: _Editor) -> None:
    """Add, remove or reorder one enum's values (defaults holding a removed value go)."""
    name = ed.pick(list(ed.enums))
    if name is None:
        return
    values = list(ed.enums[name].values)
    change = ed.draw(st.sampled_from(["add", "remove", "reorder"]))
    if change == "add":
        value = ed.draw(_text_value.filter(lambda v: bool(v) and v not in values))
        values.insert(ed.draw(st.integers(0, len(values))), value)
    elif change == "remove" and len(values) > 1:
        values.remove(ed.draw(st.sampled_from(values)))
    elif change == "reorder":
        values = list(ed.draw(st.permutations(values)))
    ed.enums[name] = Enum(name=name, values=tuple(values))
    for table in list(ed.tables.values()):
        cols = tuple(_without_stale_default(c, name, values) for c in table.columns)
        ed.put(table.model_copy(update={"columns": cols}))


def _without_stale_default(column: Column, enum: str, values: list[str]) -> Column:
    d = column.default
    stale = isinstance(d, LiteralDefault) and d.value not in values
    if column.type.kind is TypeKind.ENUM and column.type.name == enum and stale:
        return column.model_copy(update={"default": None})
    return column


def _create_enum(ed: _Editor) -> None:
    """A new enum, and a new column using it."""
    name = ed.fresh()
    values = ed.draw(st.lists(_text_value.filter(bool), min_size=1, max_size=3, unique=True))
    ed.enums[name] = Enum(name=name, values=tuple(values))
    table = ed.pick_table()
    if table is not None:
        column = Column(name=ed.fresh(), type=ColumnType(kind=TypeKind.ENUM, name=name))
        ed.put(table.model_copy(update={"columns": (*table.columns, column)}))
        ed.column_origin[table.name][column.name] = None


def _drop_enum(ed: _Editor) -> None:
    used = {c.type.name for t in ed.tables.values() for c in t.columns if c.type.kind is TypeKind.ENUM}
    name = ed.pick([e for e in ed.enums if e not in used])
    if name is not None:
        del ed.enums[name]


def _add_view(ed: _Editor) -> None:
    """A view over a table, or (when there is one) over a view."""
    over_view = ed.pick(list(ed.views)) if ed.draw(st.booleans()) else None
    if over_view is not None:
        outputs = _outputs(ed.views[over_view])
        v = _q(over_view)
        body = f"SELECT {', '.join(f'{v}.{_q(c)}' for c in outputs[:2])} FROM {v}"
        name = ed.fresh(_plain_name.map(lambda n: f"w_{n}"))
        ed.views[name] = View(name=name, query=SqlExpr.parse(body))
        return
    table = ed.pick_table()
    if table is not None:
        view = _view(ed.draw, ed.reg, table)
        ed.views[view.name] = view


def _change_view(ed: _Editor) -> None:
    name = ed.pick([n for n, v in ed.views.items() if not _view_reads_of_views(v, ed.views)])
    table = ed.pick_table()
    if name is not None and table is not None:
        ed.views[name] = View(name=name, query=_view(ed.draw, _Names(), table).query)


def _drop_view(ed: _Editor) -> None:
    name = ed.pick(list(ed.views))
    if name is not None:
        del ed.views[name]


_EDITS: list[Callable[[_Editor], None]] = [
    _add_table,
    _drop_table,
    _rename_table,
    _add_column,
    _drop_column,
    _rename_column,
    _alter_column,
    _alter_column,
    _add_unique,
    _drop_part,
    _add_check,
    _add_index,
    _add_primary_key,
    _add_foreign_key,
    _enum_values,
    _create_enum,
    _drop_enum,
    _add_view,
    _change_view,
    _drop_view,
]
