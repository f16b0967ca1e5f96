"""Names longer than PostgreSQL's 63 bytes.

PostgreSQL truncates every identifier longer than NAMEDATALEN-1 = 63 bytes to its first 63
bytes, cut at a character boundary (`truncate_identifier`), with a NOTICE, in every statement:
`CREATE INDEX <75 bytes>` makes an index of the first 63, and `DROP INDEX <75 bytes>` drops
it. SQLite keeps any length. So the model keeps the declared (long) name; PostgreSQL's DDL
may write it as declared, since the server cuts it exactly as it would be cut here; and what
PostgreSQL's catalog holds is read back under the model's long name (`restore`), so that
comparing a schema with the database it made (push, check, baseline) finds nothing to do.

Two names that are cut to the same name would be one object on PostgreSQL: refused, naming
both (`collisions`). Enum labels are refused by PostgreSQL itself rather than cut, and enum
and view names are not read back under their long names: those stay refused over 63 bytes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from mizzle.core import qualified
from mizzle.core.evolve import apply_renames
from mizzle.core.model import Schema, Table
from mizzle.core.naming import MAX_IDENTIFIER_BYTES, pg_identifier
from mizzle.core.operations import RenameColumn, RenameTable


def is_long(name: str) -> bool:
    return len(name.encode()) > MAX_IDENTIFIER_BYTES


def _cut(name: str) -> str:
    """A model name as PostgreSQL holds it: each part of `schema.table` cut on its own."""
    schema, bare = qualified.split(name)
    return qualified.join(schema and pg_identifier(schema), pg_identifier(bare))


def _relation_names(schema: Schema) -> Iterator[tuple[str, str]]:
    """(namespace, name) of the names PostgreSQL keeps in one namespace per schema: tables,
    views, indexes and the indexes behind primary keys and uniques (all in pg_class), and
    the types (an enum, a table's row type)."""
    for table in schema.tables:
        space = qualified.schema_of(table.name) or ""
        yield f"schema {space or 'public'}", qualified.split(table.name)[1]
        names = [i.name for i in table.indexes] + [u.name for u in table.uniques]
        names += [table.primary_key.name] if table.primary_key else []
        yield from ((f"schema {space or 'public'}", n) for n in names)
    for view in schema.views:
        space = qualified.schema_of(view.name) or "public"
        yield f"schema {space}", qualified.split(view.name)[1]


def _table_names(table: Table) -> Iterator[tuple[str, str]]:
    yield from ((f'table "{table.name}", columns', c.name) for c in table.columns)
    constraints = [fk.name for fk in table.foreign_keys] + [c.name for c in table.checks]
    constraints += [u.name for u in table.uniques] + ([table.primary_key.name] if table.primary_key else [])
    yield from ((f'table "{table.name}", constraints', n) for n in constraints)


def collisions(schema: Schema) -> list[str]:
    """One line for each two names PostgreSQL would cut to the same name in one namespace."""
    found: list[str] = []
    pairs = list(_relation_names(schema))
    for table in schema.tables:
        pairs.extend(_table_names(table))  # (a new list per table made this quadratic)
    held: dict[tuple[str, str], set[str]] = defaultdict(set)
    for space, name in pairs:
        held[(space, pg_identifier(name))].add(name)
    for (space, cut), names in sorted(held.items()):
        if len(names) > 1:
            first, second = sorted(names)[:2]
            found.append(
                f'{space}: "{first}" and "{second}" are both "{cut}" on PostgreSQL, which keeps the first '
                f"{MAX_IDENTIFIER_BYTES} bytes of a name: rename one"
            )
    return found


def restore(found: Schema, target: Schema) -> Schema:
    """`found` (read from PostgreSQL) with each name PostgreSQL cut given back the long name
    `target` declares in its place: tables, columns, constraints and indexes."""
    tables = {_cut(t.name): t for t in target.tables if is_long(qualified.split(t.name)[1])}
    renames: list[RenameTable | RenameColumn] = [
        RenameTable(old=cut, new=t.name) for cut, t in tables.items() if found.table(cut) is not None
    ]
    for want in target.tables:
        long_columns = {pg_identifier(c.name): c.name for c in want.columns if is_long(c.name)}
        if not long_columns:
            continue
        held = found.table(_cut(want.name)) or found.table(want.name)
        if held is None:
            continue
        renames += [
            RenameColumn(table=want.name, old=cut, new=name)
            for cut, name in long_columns.items()
            if held.column(cut) is not None
        ]
    schema = apply_renames(found, renames) if renames else found
    changed = False
    out = []
    for table in schema.tables:
        declared = target.table(table.name)
        fixed = _restore_parts(table, declared) if declared is not None else table
        changed |= fixed is not table
        out.append(fixed)
    return schema.model_copy(update={"tables": tuple(out)}) if changed else schema


def _restore_parts(table: Table, want: Table) -> Table:
    """The table's constraint and index names given back as `want` declares them."""
    names = [i.name for i in want.indexes] + [u.name for u in want.uniques] + [c.name for c in want.checks]
    names += [fk.name for fk in want.foreign_keys] + ([want.primary_key.name] if want.primary_key else [])
    long = {pg_identifier(n): n for n in names if is_long(n)}
    if not long:
        return table

    def back(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(i.model_copy(update={"name": long[i.name]}) if i.name in long else i for i in items)

    update: dict[str, Any] = {
        "indexes": back(table.indexes),
        "uniques": back(table.uniques),
        "checks": back(table.checks),
        "foreign_keys": back(table.foreign_keys),
    }
    if table.primary_key is not None and table.primary_key.name in long:
        update["primary_key"] = table.primary_key.model_copy(update={"name": long[table.primary_key.name]})
    return table.model_copy(update=update)
