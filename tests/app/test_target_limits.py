"""Limits per target (issue 11's first report, a Dyad-like drizzle-made SQLite database): 12
foreign keys from integer columns to text keys, which SQLite holds and the app relies on, and
a 75-byte index name. A SQLite-only project pulls and generates it; a project that also
targets PostgreSQL is refused in one line (PostgreSQL refuses the keys), never for the long
name, which PostgreSQL cuts to 63 bytes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

MIZZLE = str(Path(sys.executable).parent / "mizzle")
INDEX = "messages_chat_id_created_at_with_a_drizzle_generated_name_of_75_bytes_index"
KEYS = 12


def mizzle(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    assert len(INDEX.encode()) == 75
    conn = sqlite3.connect(tmp_path / "app.db")
    columns = ", ".join(f"ref_{i} INTEGER REFERENCES chats (slug)" for i in range(KEYS))
    conn.executescript(
        "CREATE TABLE chats (slug TEXT PRIMARY KEY, title TEXT);"
        f"CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, chat_id TEXT, created_at INTEGER, {columns});"
        f"CREATE INDEX {INDEX} ON messages (chat_id, created_at);"
        "INSERT INTO chats VALUES ('a', 'first');"
        "INSERT INTO messages (chat_id, created_at) VALUES ('a', 1);"
    )
    conn.close()
    return tmp_path


@pytest.mark.parametrize("suffix", ["py", "sql"])
def test_a_sqlite_only_project_pulls_and_generates_it(app: Path, suffix: str) -> None:
    (app / "mizzle.toml").write_text(f'schema = "schema.{suffix}"\ndialects = ["sqlite"]\n', encoding="utf-8")
    pulled = mizzle(app, "pull", "--db", "sqlite:///app.db", "-o", f"schema.{suffix}")
    assert pulled.returncode == 0, pulled.stderr
    # no word about PostgreSQL's name length: the long name is no problem anywhere
    assert "63" not in pulled.stderr
    generated = mizzle(app, "generate", "--name", "init")
    assert generated.returncode == 0, generated.stderr
    up = next((app / "migrations").glob("*_init/sqlite.sql")).read_text(encoding="utf-8")
    assert up.count("REFERENCES chats") == KEYS and INDEX in up
    migrated = mizzle(app, "migrate", "--db", "sqlite:///fresh.db")
    assert migrated.returncode == 0, migrated.stderr
    conn = sqlite3.connect(app / "fresh.db")
    assert conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND name = ?", (INDEX,)).fetchall()
    assert len(conn.execute("PRAGMA foreign_key_list(messages)").fetchall()) == KEYS
    conn.close()


def test_a_project_that_also_targets_postgresql_is_refused_in_one_line(app: Path) -> None:
    (app / "mizzle.toml").write_text('schema = "schema.py"\ndialects = ["sqlite", "postgresql"]\n', encoding="utf-8")
    assert mizzle(app, "pull", "--db", "sqlite:///app.db", "-o", "schema.py").returncode == 0
    generated = mizzle(app, "generate", "--name", "init")
    assert generated.returncode != 0
    assert generated.stderr == (
        'error: the schema does not fit postgresql: table "messages", foreign key "messages_ref_0_fkey": type '
        f'mismatch, "ref_0" is integer but "chats.slug" is text (and {KEYS - 1} more)\n'
    )
    assert not list((app / "migrations").glob("*_init"))
