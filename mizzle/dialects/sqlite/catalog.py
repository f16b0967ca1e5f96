"""The SQLite catalog as raw rows, read with five queries whatever the database's size.

`sqlite_master` (every object and its CREATE statement, in creation order),
`pragma_table_list` (what kind of table each is: ordinary, virtual, shadow; WITHOUT ROWID,
STRICT), and the table-valued PRAGMAs joined against the table list: `table_xinfo`,
`index_list` + `index_xinfo`, `foreign_key_list`. Each PRAGMA is given the schema 'main'
explicitly: without it a TEMP table of the same name would be read instead. Inside these
joins SQLite runs one nested PRAGMA statement per table (a trace callback sees them with a
leading "-- "), in-process, without a round trip through Python.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

_TABLES_SQL = "SELECT name, type, wr, strict FROM pragma_table_list WHERE schema = 'main'"
_FROM_TABLES = "FROM pragma_table_list AS l JOIN {pragma} WHERE l.schema = 'main' AND l.type = 'table'"
_COLUMNS_SQL = (
    'SELECT l.name, c.name, c.type, c."notnull", c.dflt_value, c.pk, c.hidden '
    + _FROM_TABLES.format(pragma="pragma_table_xinfo(l.name, 'main') AS c")
    + " ORDER BY l.name, c.cid"
)
_INDEXES_SQL = (
    'SELECT l.name, i.name, i."unique", i.origin, i.partial, x.cid, x.name, x."desc", x.coll '
    + _FROM_TABLES.format(pragma="pragma_index_list(l.name, 'main') AS i JOIN pragma_index_xinfo(i.name, 'main') AS x")
    + " AND x.key = 1 ORDER BY l.name, i.name, x.seqno"
)
_FOREIGN_KEYS_SQL = (
    'SELECT l.name, f.id, f."table", f."from", f."to", f.on_update, f.on_delete '
    + _FROM_TABLES.format(pragma="pragma_foreign_key_list(l.name, 'main') AS f")
    + " ORDER BY l.name, f.id DESC, f.seq"  # SQLite numbers foreign keys last-declared first
)


@dataclass(frozen=True)
class ColumnRow:
    name: str
    declared: str
    notnull: bool
    default: str | None
    pk: int  # position in the primary key, 0 when not in it
    hidden: int  # 2, 3: generated (virtual, stored)


@dataclass
class IndexRow:
    name: str
    unique: bool
    origin: str  # 'c' CREATE INDEX, 'u' UNIQUE constraint, 'pk' PRIMARY KEY
    partial: bool
    keys: list[tuple[int, str | None, bool, str]] = field(default_factory=list)  # cid, column, desc, collation


@dataclass
class ForeignKeyRow:
    ref_table: str
    on_update: str
    on_delete: str
    columns: list[str] = field(default_factory=list)
    ref_columns: list[str | None] = field(default_factory=list)


@dataclass
class Catalog:
    objects: list[tuple[str, str, str, str | None]]  # type, name, tbl_name, sql (creation order)
    table_kinds: dict[str, tuple[str, bool, bool]]  # name → (type, without rowid, strict)
    columns: dict[str, list[ColumnRow]]
    indexes: dict[str, dict[str, IndexRow]]
    foreign_keys: dict[str, list[ForeignKeyRow]]

    @classmethod
    def read(cls, conn: sqlite3.Connection) -> Catalog:
        objects = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
        kinds = {n: (t, bool(wr), bool(st)) for n, t, wr, st in conn.execute(_TABLES_SQL)}
        columns: dict[str, list[ColumnRow]] = defaultdict(list)
        for table, name, declared, notnull, default, pk, hidden in conn.execute(_COLUMNS_SQL):
            columns[table].append(ColumnRow(name, declared or "", bool(notnull), default, pk, hidden))
        indexes: dict[str, dict[str, IndexRow]] = defaultdict(dict)
        for table, index, unique, origin, is_partial, cid, column, desc, coll in conn.execute(_INDEXES_SQL):
            row = indexes[table].setdefault(index, IndexRow(index, bool(unique), origin, bool(is_partial)))
            row.keys.append((cid, column, bool(desc), coll or "BINARY"))
        fks: dict[str, dict[int, ForeignKeyRow]] = defaultdict(dict)
        for table, fk_id, ref, src, dst, on_update, on_delete in conn.execute(_FOREIGN_KEYS_SQL):
            fk = fks[table].setdefault(fk_id, ForeignKeyRow(ref, on_update, on_delete))
            fk.columns.append(src)
            fk.ref_columns.append(dst)
        return cls(objects, kinds, columns, indexes, {t: list(by_id.values()) for t, by_id in fks.items()})
