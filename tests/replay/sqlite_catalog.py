"""An independent picture of a SQLite schema, from SQLite's own pragmas and the CREATE text it
keeps (never mizzle's introspector), for comparing a replay's reference and follower.

Per table: each column's declared type (its case aside), NOT NULL (left out for primary-key
columns: a rebuild may write it, see docs/types.md), DEFAULT text and place in the primary key;
the foreign keys with their actions; the unique constraints and indexes (columns, unique,
partial predicate); the CHECK constraints, whitespace and quoting aside. Columns are compared
by name, not by place (an app's rebuild may reorder them; mizzle keeps the order it has).
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

Catalog = dict[str, dict[str, Any]]

_SKIP = ("sqlite_%", "__mizzle_%", "__drizzle_%")


def table_names(conn: sqlite3.Connection) -> list[str]:
    where = " AND ".join("name NOT LIKE ?" for _ in _SKIP)
    rows = conn.execute(f"SELECT name FROM sqlite_master WHERE type = 'table' AND {where} ORDER BY name", _SKIP)
    return [r[0] for r in rows]


def columns(conn: sqlite3.Connection, table: str) -> list[tuple[Any, ...]]:
    """(cid, name, type, notnull, dflt_value, pk) rows, generated columns included."""
    return conn.execute(
        'SELECT cid, name, type, "notnull", dflt_value, pk FROM pragma_table_xinfo(?)', (table,)
    ).fetchall()


def _norm(text: str | None) -> str | None:
    if text is None:
        return None
    text = re.sub(r"[`\"\[\]]", "", text)
    return re.sub(r"\s+", "", text).lower()


def checks(sql: str) -> list[str]:
    """The CHECK (...) bodies of a CREATE TABLE text, normalised."""
    out = []
    upper = sql.upper()
    for m in re.finditer(r"\bCHECK\s*\(", upper):
        depth, i, quote = 1, m.end(), ""
        while i < len(sql) and depth:
            c = sql[i]
            if quote:
                if c == quote:
                    quote = ""
            elif c in "'\"`":
                quote = c
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            i += 1
        out.append(str(_norm(sql[m.end() : i - 1])))
    return sorted(out)


def snapshot(conn: sqlite3.Connection) -> Catalog:
    out: Catalog = {}
    for table in table_names(conn):
        cols = {}
        for _cid, name, typ, notnull, dflt, pk in columns(conn, table):
            default = None if dflt is None or str(dflt).upper() == "NULL" else _norm(str(dflt))
            cols[name] = (str(typ).upper(), bool(notnull) if not pk else None, default, pk)
        fks: dict[int, list[Any]] = {}
        for fid, _seq, parent, frm, to, on_update, on_delete, _match in conn.execute(
            "SELECT * FROM pragma_foreign_key_list(?)", (table,)
        ):
            entry = fks.setdefault(fid, [parent, [], [], on_update.upper(), on_delete.upper()])
            entry[1].append(frm)
            entry[2].append(to)
        indexes = set()
        for _seq, name, unique, origin, partial in conn.execute("SELECT * FROM pragma_index_list(?)", (table,)):
            if origin == "pk":
                continue
            cols_of = tuple(
                r[0] if r[0] is not None else "<expr>"
                for r in conn.execute("SELECT name FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", (name,))
            )
            index_sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (name,)).fetchone()
            where = None
            if partial and index_sql and index_sql[0]:
                where = _norm(re.split(r"\bWHERE\b", index_sql[0], flags=re.I)[-1])
            # A unique constraint's automatic index has no name of its own to compare.
            shown = f"<unique {','.join(cols_of)}>" if origin == "u" else name
            indexes.add((shown, bool(unique), cols_of, where))
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
        out[table] = {
            "columns": cols,
            "foreign_keys": sorted((p, tuple(f), tuple(t), u, d) for p, f, t, u, d in fks.values()),
            "indexes": sorted(indexes, key=repr),
            "checks": checks(sql),
        }
    views = conn.execute("SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name").fetchall()
    for (name,) in views:
        out[f"view {name}"] = {"columns": [r[1] for r in columns(conn, name)]}
    return out


def diff(reference: Catalog, follower: Catalog) -> list[str]:
    lines = []
    for name in sorted(set(reference) | set(follower)):
        if name not in follower:
            lines.append(f"{name}: only in the reference")
        elif name not in reference:
            lines.append(f"{name}: only in the follower")
        else:
            for part in reference[name]:
                a, b = reference[name][part], follower[name][part]
                if part == "columns" and isinstance(a, dict):
                    for col in sorted(set(a) | set(b)):
                        if a.get(col) != b.get(col):
                            lines.append(f"{name}.{col}: reference {a.get(col)}, follower {b.get(col)}")
                elif a != b:
                    lines.append(f"{name} {part}: reference {a}, follower {b}")
    return lines
