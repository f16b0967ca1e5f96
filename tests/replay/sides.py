"""The two databases of a replay on each server: the reference (where the app's own SQL
runs) and the follower (where mizzle's migrations run). Each side applies statements, reads
its catalog picture and table shapes, inserts rows and reads them back, all through the
driver, not through mizzle."""

from __future__ import annotations

import sqlite3
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Protocol

import psycopg

from tests import catalog as pg_catalog
from tests.pg import fresh_database
from tests.replay import sqlite_catalog
from tests.replay.rows import Column, ForeignKey, Shape


class Side(Protocol):
    url: str

    def apply(self, statements: list[str]) -> None: ...
    def forget(self) -> None: ...
    def catalog(self) -> Any: ...
    def names(self) -> dict[str, set[str]]: ...
    def shapes(self) -> dict[str, Shape]: ...
    def insert(self, table: str, row: dict[str, Any]) -> str | None: ...
    def rows(self, table: str, columns: list[str]) -> list[tuple[Any, ...]]: ...


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteSide:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.url = f"sqlite:///{path}"
        self._shapes: dict[str, Shape] | None = None
        self._kept: sqlite3.Connection | None = None
        path.touch()

    def forget(self) -> None:
        """The schema changed outside `apply` (a migration ran): read the shapes again."""
        self._shapes = None

    def _conn(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, isolation_level=None)

    def end_session(self) -> None:
        """A step is over: the next one starts on a new connection, with foreign keys off (the
        sqlite3 default). A file's own `PRAGMA foreign_keys = ON` holds until its step ends,
        not into the next, where a drizzle rebuild's DROP TABLE would cascade-delete the
        children's rows: drizzle-kit's known loss (see BRIEF), not the app's intent."""
        if self._kept is not None:
            self._kept.close()
            self._kept = None

    def _session(self) -> sqlite3.Connection:
        """The connection the app's statements run on, kept between stretches of a step, as
        the app's migrator keeps its own (a TEMP table lives as long as it)."""
        if self._kept is None:
            self._kept = self._conn()
        return self._kept

    def apply(self, statements: list[str]) -> None:
        """In one transaction, as drizzle's migrator runs a file; a file's own COMMIT/BEGIN
        TRANSACTION close and open it as they did in the field. Foreign keys stay off (the
        sqlite3 default), so an app's `DROP TABLE` of a parent does not cascade."""
        self._shapes = None
        conn = self._session()
        try:
            conn.execute("BEGIN")
            for s in statements:
                conn.execute(s)
            if conn.in_transaction:
                conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def catalog(self) -> sqlite_catalog.Catalog:
        conn = self._conn()
        try:
            return sqlite_catalog.snapshot(conn)
        finally:
            conn.close()

    def names(self) -> dict[str, set[str]]:
        return {shape.name: {c.name for c in shape.columns} for shape in self.shapes().values()}

    def shapes(self) -> dict[str, Shape]:
        if self._shapes is None:
            self._shapes = self._read_shapes()
        return self._shapes

    def _read_shapes(self) -> dict[str, Shape]:
        conn = self._conn()
        try:
            out = {}
            for table in sqlite_catalog.table_names(conn):
                info = sqlite_catalog.columns(conn, table)
                hidden = {
                    r[0] for r in conn.execute("SELECT name FROM pragma_table_xinfo(?) WHERE hidden != 0", (table,))
                }
                cols = [
                    Column(name, str(typ or "").lower(), bool(notnull), dflt, generated=name in hidden)
                    for _cid, name, typ, notnull, dflt, _pk in info
                ]
                fks: dict[int, ForeignKey] = {}
                for fid, _seq, parent, frm, to, *_ in conn.execute(
                    "SELECT * FROM pragma_foreign_key_list(?)", (table,)
                ):
                    fk = fks.setdefault(fid, ForeignKey((), parent, ()))
                    if to is None:  # the parent's primary key
                        pks = [r[1] for r in sorted(sqlite_catalog.columns(conn, parent), key=lambda r: r[5]) if r[5]]
                        to = pks[len(fk.columns)] if len(pks) > len(fk.columns) else "rowid"
                    fk.columns += (frm,)
                    fk.parent_columns += (to,)
                sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
                out[table] = Shape(table, cols, list(fks.values()), _raw_checks(sql))
            return out
        finally:
            conn.close()

    def insert(self, table: str, row: dict[str, Any]) -> str | None:
        conn = self._conn()
        try:
            names = ", ".join(_q(c) for c in row)
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO {_q(table)} ({names}) VALUES ({marks})", list(row.values()))
            return None
        except sqlite3.Error as err:
            return str(err)
        finally:
            conn.close()

    def rows(self, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
        conn = self._conn()
        try:
            cols = ", ".join(_q(c) for c in columns)
            return sorted(conn.execute(f"SELECT {cols} FROM {_q(table)}").fetchall(), key=repr)
        finally:
            conn.close()


def _raw_checks(sql: str) -> list[str]:
    out = []
    upper = sql.upper()
    start = 0
    while (i := upper.find("CHECK", start)) >= 0:
        j = sql.find("(", i)
        depth, k = 1, j + 1
        while k < len(sql) and depth:
            depth += {"(": 1, ")": -1}.get(sql[k], 0)
            k += 1
        out.append(sql[j + 1 : k - 1])
        start = k
    return out


_PG_COLUMNS = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), a.attgenerated <> '' OR a.attidentity = 'a',
       (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = a.atttypid)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relname NOT LIKE '\\_\\_mizzle%'
ORDER BY c.relname, a.attnum
"""

_PG_FKS = """
SELECT c.relname, CASE WHEN pn.nspname = 'public' THEN p.relname ELSE pn.nspname || '.' || p.relname END,
       (SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(x.conkey) WITH ORDINALITY k(n, i)
          JOIN pg_attribute a ON a.attrelid = x.conrelid AND a.attnum = k.n),
       (SELECT array_agg(a.attname ORDER BY k.i) FROM unnest(x.confkey) WITH ORDINALITY k(n, i)
          JOIN pg_attribute a ON a.attrelid = x.confrelid AND a.attnum = k.n)
FROM pg_constraint x JOIN pg_class c ON c.oid = x.conrelid JOIN pg_class p ON p.oid = x.confrelid
JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE x.contype = 'f' AND n.nspname = 'public'
"""

_PG_CHECKS = """
SELECT c.relname, pg_get_constraintdef(x.oid) FROM pg_constraint x JOIN pg_class c ON c.oid = x.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace WHERE x.contype = 'c' AND n.nspname = 'public'
"""


class PgSide:
    def __init__(self, stack: ExitStack, schemas: tuple[str, ...] = ()) -> None:
        self.schemas = schemas
        self.url = stack.enter_context(fresh_database("mzreplay"))
        # one connection for rows and catalog reads, closed before the database is dropped
        self.conn = stack.enter_context(psycopg.connect(self.url, autocommit=True))
        self._shapes: dict[str, Shape] | None = None

    def forget(self) -> None:
        self._shapes = None

    def apply(self, statements: list[str]) -> None:
        """In one transaction (as drizzle's migrator and `psql -1` run a file)."""
        self._shapes = None
        with psycopg.connect(self.url) as conn:
            for s in statements:
                conn.execute(s.encode())  # bytes: no %-placeholders read in the app's text

    def catalog(self) -> pg_catalog.Catalog:
        return {k: v for k, v in pg_catalog.snapshot(self.url, self.schemas).items() if "__mizzle" not in k[1]}

    def names(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for shape in self.shapes().values():
            out[shape.name] = {c.name for c in shape.columns}
        return out

    def shapes(self) -> dict[str, Shape]:
        if self._shapes is None:
            self._shapes = self._read_shapes()
        return self._shapes

    def _read_shapes(self) -> dict[str, Shape]:
        out: dict[str, Shape] = {}
        conn = self.conn
        for rel, name, typ, notnull, dflt, generated, labels in conn.execute(_PG_COLUMNS):
            shape = out.setdefault(rel, Shape(rel, []))
            shape.columns.append(Column(name, typ, notnull, dflt, generated, tuple(labels or ())))
        for rel, parent, cols, parent_cols in conn.execute(_PG_FKS):
            if rel in out:
                out[rel].foreign_keys.append(ForeignKey(tuple(cols), parent, tuple(parent_cols)))
        for rel, definition in conn.execute(_PG_CHECKS):
            if rel in out:
                out[rel].checks.append(definition)
        return out

    def insert(self, table: str, row: dict[str, Any]) -> str | None:
        names = ", ".join(_q(c) for c in row)
        marks = ", ".join("%s" for _ in row)
        try:
            self.conn.execute(f"INSERT INTO {_q(table)} ({names}) VALUES ({marks})".encode(), list(row.values()))
            return None
        except psycopg.Error as err:
            return str(err).splitlines()[0]

    def rows(self, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
        cols = ", ".join(f"{_q(c)}::text" for c in columns)
        return sorted(self.conn.execute(f"SELECT {cols} FROM {_q(table)}".encode()).fetchall(), key=repr)
