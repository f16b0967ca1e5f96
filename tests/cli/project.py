"""A throwaway mizzle project for the migration commands' tests: `mizzle.toml` and `schema.py`
in a temporary directory, the CLI run in-process against it, and the databases it targets."""

from __future__ import annotations

import os
import pty
import re
import select
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.dialects.urls import parse_url
from tests.cli.conftest import Mizzle, Result

#: Two tables, a foreign key, an index: the starting point of most tests.
SCHEMA_A = """
from mizzle.dsl import Table, index, integer, serial, text

class Playlist(Table):
    id = serial().primary_key()
    name = text().not_null()

class Tune(Table):
    id = serial().primary_key()
    title = text().not_null()
    notes = text()
    playlist_id = integer().references(lambda: Playlist.id, on_delete="cascade")
    __indexes__ = [index("title")]
"""


#: Expressions PostgreSQL prints back differently from how they are written: casts of varchar
#: operands, BETWEEN expanded, `*` expanded in a view, a default on a varchar column.
HAND_WRITTEN = """
from mizzle.dsl import Table, View, check, index, integer, serial, sql, varchar

class Item(Table):
    id = serial().primary_key()
    name = varchar(40).not_null().check("char_length(name) BETWEEN 1 AND 40")
    code = varchar(8).default(sql("upper('ab')"))
    qty = integer()
    __checks__ = [check("NOT (name = '' AND code IS NULL)", name="item_named")]
    __indexes__ = [index(sql("lower(name)"), where=sql("qty > 10 AND code <> 'x'"))]

Cheap = View("cheap", sql("SELECT * FROM item WHERE qty < 5"))
"""


@dataclass
class Project:
    root: Path
    run: Mizzle

    @property
    def migrations(self) -> Path:
        return self.root / "migrations"

    def write_schema(self, source: str) -> None:
        (self.root / "schema.py").write_text(textwrap.dedent(source))

    def edit_schema(self, old: str, new: str) -> None:
        path = self.root / "schema.py"
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new))

    def __call__(self, *args: str | Path) -> Result:
        return self.run("--config", self.root / "mizzle.toml", *args)

    def folders(self) -> list[str]:
        return sorted(p.name for p in self.migrations.iterdir() if p.is_dir()) if self.migrations.is_dir() else []


def make_project(root: Path, run: Mizzle, dialects: tuple[str, ...] = ("postgresql", "sqlite")) -> Project:
    root.mkdir(parents=True, exist_ok=True)
    listed = ", ".join(f'"{d}"' for d in dialects)
    (root / "mizzle.toml").write_text(f'schema = "schema.py"\nout = "migrations"\ndialects = [{listed}]\n')
    project = Project(root, run)
    project.write_schema(SCHEMA_A)
    return project


#: parameters of a test module's `db_url` fixture: one empty database of each kind
DATABASES = [pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"]


def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database of the kind `request.param` names (SQLite: a file not
    created yet; PostgreSQL: a fresh database from the `pg_url` fixture)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.db'}"
    return str(request.getfixturevalue("pg_url"))


def sql(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on the database at `url` (committed); its rows."""
    parsed = parse_url(url)
    if parsed.dialect == "sqlite":
        conn = sqlite3.connect(parsed.sqlite_path or "", isolation_level=None)
        try:
            return conn.execute(statement.replace("%s", "?"), params).fetchall()
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        cur = pg.execute(statement.encode() if not params else statement, params or None)
        return cur.fetchall() if cur.description else []


def tables(url: str) -> list[str]:
    """The tables of the database (tracking table included), sorted."""
    if parse_url(url).dialect == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1"
    else:
        query = "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    return [row[0] for row in sql(url, query)]


def applied(url: str) -> list[str]:
    return [row[0] for row in sql(url, 'SELECT name FROM "__mizzle_migrations" ORDER BY id')]


def columns(url: str, table: str) -> list[str]:
    """The column names of `table`, in order."""
    if parse_url(url).dialect == "sqlite":
        return [row[1] for row in sql(url, f'PRAGMA table_info("{table}")')]
    query = "SELECT column_name::text FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position"
    return [row[0] for row in sql(url, query, (table,))]


def on_terminal(args: list[str | Path], answers: str, timeout: float = 60) -> tuple[int, str, str]:
    """Run the `mizzle` console script with stdin and stderr on a pseudo-terminal (so it asks
    its questions), typing `answers`; return the exit code, stdout and what the terminal showed."""
    main_fd, child_fd = pty.openpty()
    script = Path(sys.executable).parent / "mizzle"
    proc = subprocess.Popen([script, *args], stdin=child_fd, stdout=subprocess.PIPE, stderr=child_fd)
    os.close(child_fd)
    os.write(main_fd, answers.encode())
    screen = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main_fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            screen += chunk
        elif proc.poll() is not None:
            break
    os.close(main_fd)
    out = proc.stdout.read().decode() if proc.stdout else ""
    code = proc.wait(timeout=timeout)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", screen.decode(errors="replace"))  # colours off
    return code, out, shown.replace("\r\n", "\n")
