"""Code real apps keep in their databases, end to end through the CLI (issue 11): Onlook's
realtime trigger and security-definer functions (after its Supabase prelude), Pagila's
functions and triggers, Dyad's SQLite triggers.

PostgreSQL: load → `mizzle pull` to `.sql` and to `.py` → `mizzle export` → apply to a fresh
database (same prelude) → the functions (`pg_get_functiondef`), triggers (`pg_get_triggerdef`,
enabled state) and extensions are identical; and `push --dry-run` after the pull has nothing
to do. SQLite: Dyad's triggers survive pull → push (nothing to do) and a rebuild of the table
they are on (rows kept, the trigger still fires)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.app.database import parse_url
from tests.conftest import CORPUS
from tests.corpus_apps import load_history, load_prelude
from tests.pg import fresh_database
from tests.sqlite_corpus import materialise
from tests.test_corpus_roundtrip import psql_file

MIZZLE = str(Path(sys.executable).parent / "mizzle")
ONLOOK = CORPUS / "apps" / "supabase" / "onlook-dev__onlook"

FUNCTIONS = """SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p') ORDER BY 1"""
TRIGGERS = """SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t
JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND NOT t.tgisinternal ORDER BY 1, 2"""
EXTENSIONS = "SELECT extname, extnamespace::regnamespace::text FROM pg_extension ORDER BY 1"


def mizzle(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd)


def code(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {q: conn.execute(q.encode()).fetchall() for q in (FUNCTIONS, TRIGGERS, EXTENSIONS)}


def load(name: str, url: str, work: Path) -> None:
    if name == "pagila":
        psql_file(url, CORPUS / "pagila" / "pagila-schema.sql")
        return
    load_history(ONLOOK, url, work)


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["sql", "py"])
@pytest.mark.parametrize("name", ["onlook", "pagila"])
def test_pull_then_export_keeps_functions_triggers_and_extensions(name: str, fmt: str, tmp_path: Path) -> None:
    with fresh_database("orig") as original, fresh_database("copy") as copy:
        load(name, original, tmp_path)
        schema = tmp_path / f"schema.{fmt}"
        pulled = mizzle("pull", "--db", original, "--out", schema)
        assert pulled.returncode == 0, pulled.stderr
        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema)
        assert exported.returncode == 0, exported.stderr
        ddl = tmp_path / "export.sql"
        ddl.write_text(exported.stdout, encoding="utf-8")
        if name == "onlook":
            load_prelude(ONLOOK, copy)
        psql_file(copy, ddl)
        before, after = code(original), code(copy)
        assert before == after
        expected = {"onlook": (3, 2), "pagila": (9, 15)}[name]
        assert (len(before[FUNCTIONS]), len(before[TRIGGERS])) == expected
        if name == "onlook":  # the realtime trigger, and its security-definer function
            assert ("messages", "handle_messages_changes") in [row[:2] for row in before[TRIGGERS]]
            assert all("SECURITY DEFINER" in row[0] for row in before[FUNCTIONS])

        (tmp_path / "mizzle.toml").write_text(f'schema = "schema.{fmt}"\ndialects = ["postgresql"]\n')
        pushed = mizzle("push", "--db", original, "--dry-run", cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        # as push shows it: a URL's password (the embedded pgserver's is empty) is masked
        assert pushed.stdout == f"nothing to push: {parse_url(original).redacted} matches the schema\n"


@pytest.mark.postgres
def test_a_pg_dump_file_pushes_nothing_on_the_database_it_made(tmp_path: Path) -> None:
    """Pagila's own file writes its functions as pg_dump does, not as the database prints them:
    push takes the database's text when they are the same code, so nothing is replaced."""
    with fresh_database("orig") as original:
        load("pagila", original, tmp_path)
        (tmp_path / "mizzle.toml").write_text('schema = "pagila.sql"\ndialects = ["postgresql"]\n')
        (tmp_path / "pagila.sql").write_bytes((CORPUS / "pagila" / "pagila-schema.sql").read_bytes())
        pushed = mizzle("push", "--db", original, "--dry-run", cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        assert "FUNCTION" not in pushed.stdout and "TRIGGER" not in pushed.stdout, pushed.stdout


DYAD_TRIGGERS = [
    ("chat_search_chats_after_delete", "chats"),
    ("chat_search_chats_after_title_update", "chats"),
    ("chat_search_messages_after_delete", "messages"),
    ("chat_search_messages_after_insert", "messages"),
    ("chat_search_messages_after_update", "messages"),
]


def _triggers(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY 1").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize("fmt", ["sql", "py"])
def test_dyad_keeps_its_triggers_through_pull_push_and_a_rebuild(fmt: str, tmp_path: Path) -> None:
    project = tmp_path / "app"
    project.mkdir()
    db = materialise("dyad-sh__dyad", project / "app.db")
    assert _triggers(db) == DYAD_TRIGGERS
    (project / "mizzle.toml").write_text(f'schema = "schema.{fmt}"\ndialects = ["sqlite"]\n', encoding="utf-8")
    pulled = mizzle("pull", "--db", "sqlite:///app.db", "-o", f"schema.{fmt}", cwd=project)
    assert pulled.returncode == 0, pulled.stderr
    written = (project / f"schema.{fmt}").read_text(encoding="utf-8")
    assert all(name in written for name, _ in DYAD_TRIGGERS)
    pushed = mizzle("push", "--db", "sqlite:///app.db", "--dry-run", cwd=project)
    assert pushed.stdout == "nothing to push: sqlite:///app.db matches the schema\n", pushed.stderr

    # a change SQLite makes by rebuilding `messages`, the table three of the triggers are on
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    app = conn.execute("INSERT INTO apps (name, path) VALUES ('a', 'a') RETURNING id").fetchone()[0]
    chat = conn.execute("INSERT INTO chats (app_id) VALUES (?) RETURNING id", (app,)).fetchone()[0]
    for text in ("one", "two"):
        conn.execute("INSERT INTO messages (chat_id, role, content) VALUES (?, 'user', ?)", (chat, text))
    before = conn.execute("SELECT id, content FROM messages ORDER BY id").fetchall()
    assert len(conn.execute("SELECT * FROM chat_search_dirty_messages").fetchall()) == 2  # the trigger fired
    conn.close()
    if fmt == "sql":
        edited = written.replace("CREATE TABLE messages (", "CREATE TABLE messages (\n  CHECK (length(role) > 0),", 1)
    else:
        edited = written.replace(
            "class Messages(Table):\n", "class Messages(Table):\n    __checks__ = (check('length(role) > 0'),)\n", 1
        )
        edited = edited.replace("from mizzle.dsl import ", "from mizzle.dsl import check, ", 1)
    assert edited != written
    (project / f"schema.{fmt}").write_text(edited, encoding="utf-8")
    done = mizzle("push", "--db", "sqlite:///app.db", cwd=project)
    assert done.returncode == 0, done.stderr
    assert _triggers(db) == DYAD_TRIGGERS
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        assert conn.execute("SELECT id, content FROM messages ORDER BY id").fetchall() == before
        assert "CHECK" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'messages'").fetchone()[0]
        # the insert trigger still fires: the new message is queued for the search index
        new = conn.execute(
            "INSERT INTO messages (chat_id, role, content) VALUES (?, 'user', 'hi') RETURNING id", (chat,)
        ).fetchone()[0]
        assert conn.execute("SELECT message_id FROM chat_search_dirty_messages WHERE message_id = ?", (new,)).fetchall()
    finally:
        conn.close()
    again = mizzle("push", "--db", "sqlite:///app.db", "--dry-run", cwd=project)
    assert again.stdout == "nothing to push: sqlite:///app.db matches the schema\n", again.stdout + again.stderr
