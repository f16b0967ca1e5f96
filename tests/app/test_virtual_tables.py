"""SQLite virtual tables (FTS5) database-first: pulled from a live database, generated,
migrated onto a follower with rows, kept working across a rebuild of the table its triggers
index, absent on PostgreSQL (said once in the header, never blocking), no churn on push."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mizzle.app.config import Config
from mizzle.app.generate import generate
from mizzle.app.migrate import migrate
from mizzle.app.pull import pull
from mizzle.app.push import push
from mizzle.core.errors import SchemaError
from mizzle.core.migrations import MigrationFolder
from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema

FTS = (
    "CREATE VIRTUAL TABLE `chat_fts` USING fts5(`body`, `chat_id` UNINDEXED, "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
APP = [
    "CREATE TABLE messages (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, body TEXT NOT NULL)",
    FTS,
    "CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN "
    "INSERT INTO chat_fts (rowid, body, chat_id) VALUES (new.id, new.body, new.chat_id); END",
    "CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN DELETE FROM chat_fts WHERE rowid = old.id; END",
]


def _db(path: Path, statements: list[str]) -> Path:
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()
    return path


def _project(tmp_path: Path, dialects: tuple[str, ...]) -> tuple[Config, MigrationFolder]:
    root = tmp_path / "project"
    (root / "migrations").mkdir(parents=True)
    (root / "mizzle.toml").write_text(f"dialects = {list(dialects)!r}\n".replace("'", '"'))
    return Config(root / "mizzle.toml", root / "schema.py", root / "migrations", dialects), MigrationFolder(
        root / "migrations"
    )


def _search(path: Path, word: str) -> list[int]:
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT rowid FROM chat_fts WHERE chat_fts MATCH ? ORDER BY rowid", (word,))]
    finally:
        conn.close()


def test_an_fts5_table_is_pulled_generated_and_migrated_with_its_triggers(tmp_path: Path) -> None:
    reference = _db(tmp_path / "reference.db", APP)
    config, folder = _project(tmp_path, ("sqlite",))
    pulled = pull(parse_url(f"sqlite:///{reference}"), config.schema)  # type: ignore[arg-type]
    assert pulled.counts == "1 table, 1 virtual table"
    assert "virtual_table(" in config.schema.read_text()  # type: ignore[union-attr]
    made = generate(config, "init")
    assert made.path is not None
    up = (made.path / "sqlite.sql").read_text()
    assert "-- device-only: virtual table chat_fts" in up
    assert FTS in up
    assert up.index(FTS) < up.index("CREATE TRIGGER messages_ai")  # the triggers write it: made first
    follower = tmp_path / "follower.db"
    migrate(parse_url(f"sqlite:///{follower}"), folder)
    conn = sqlite3.connect(follower)
    conn.execute("INSERT INTO messages (id, chat_id, body) VALUES (7, 1, 'héllo world')")
    conn.commit()
    conn.close()
    assert _search(follower, "hello") == [7]  # remove_diacritics kept: the tokenizer is the app's
    shadows = {n for (n,) in sqlite3.connect(follower).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"chat_fts_data", "chat_fts_idx", "chat_fts_content", "chat_fts_docsize", "chat_fts_config"} <= shadows
    # pulled back: the same schema, and push against the database it came from has nothing to do
    assert not push(config, parse_url(f"sqlite:///{reference}"), dry_run=True).plan.operations


def test_a_rebuild_of_the_indexed_table_keeps_the_fts_working(tmp_path: Path) -> None:
    reference = _db(tmp_path / "reference.db", APP)
    config, folder = _project(tmp_path, ("sqlite",))
    pull(parse_url(f"sqlite:///{reference}"), config.schema)  # type: ignore[arg-type]
    generate(config, "init")
    follower = tmp_path / "follower.db"
    migrate(parse_url(f"sqlite:///{follower}"), folder)
    _db(follower, ["INSERT INTO messages (id, chat_id, body) VALUES (1, 1, 'first words')"])
    # the app rebuilds messages by hand on the reference (a CHECK SQLite cannot ALTER in)
    _db(
        reference,
        [
            "CREATE TABLE messages_new (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, "
            "body TEXT NOT NULL CHECK (length(body) > 0))",
            "INSERT INTO messages_new SELECT * FROM messages",
            "DROP TABLE messages",
            "ALTER TABLE messages_new RENAME TO messages",
            APP[2],
            APP[3],
        ],
    )
    pull(parse_url(f"sqlite:///{reference}"), config.schema, force=True)  # type: ignore[arg-type]
    made = generate(config, "check_body")
    assert made.path is not None
    up = (made.path / "sqlite.sql").read_text()
    assert "DROP TABLE" in up and "CREATE VIRTUAL TABLE" not in up  # messages rebuilt, the index kept
    migrate(parse_url(f"sqlite:///{follower}"), folder)
    _db(follower, ["INSERT INTO messages (id, chat_id, body) VALUES (2, 1, 'second words')"])
    assert _search(follower, "words") == [1, 2]
    _db(follower, ["DELETE FROM messages WHERE id = 1"])
    assert _search(follower, "words") == [2]


def test_a_virtual_table_is_device_only_and_never_blocks_postgresql(tmp_path: Path, pg_url: str) -> None:
    reference = _db(tmp_path / "reference.db", APP)
    config, folder = _project(tmp_path, ("postgresql", "sqlite"))
    pull(parse_url(f"sqlite:///{reference}"), config.schema)  # type: ignore[arg-type]
    made = generate(config, "init")
    assert made.path is not None
    pg_up = (made.path / "postgresql.sql").read_text()
    assert "-- device-only: virtual table chat_fts" in pg_up
    assert "VIRTUAL" not in pg_up.replace("-- device-only: virtual table chat_fts", "")
    migrate(parse_url(pg_url), folder)
    import psycopg

    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT to_regclass('chat_fts')").fetchone() == (None,)
        assert conn.execute("SELECT to_regclass('messages')").fetchone() is not None
    # and the schema as PostgreSQL holds it has nothing more to do there
    assert not push(config, parse_url(pg_url), dry_run=True).plan.operations


def test_a_virtual_table_survives_a_pull_to_sql(tmp_path: Path) -> None:
    reference = _db(tmp_path / "reference.db", APP)
    out = tmp_path / "schema.sql"
    pull(parse_url(f"sqlite:///{reference}"), out)
    assert '-- mizzle:sqlite {"virtual_table": "chat_fts"' in out.read_text()
    back = load_schema(out).schema
    assert [(v.name, v.sqlite) for v in back.virtual_tables] == [("chat_fts", FTS)]
    assert [t.name for t in back.table("messages").triggers] == ["messages_ad", "messages_ai"]  # type: ignore[union-attr]


def test_a_virtual_table_statement_must_make_the_table_it_names(tmp_path: Path) -> None:
    schema = tmp_path / "schema.py"
    schema.write_text(
        'from mizzle.dsl import virtual_table\nX = virtual_table("a", "CREATE VIRTUAL TABLE b USING fts5(x)")\n'
    )

    with pytest.raises(SchemaError, match='virtual table a: its statement creates "b"'):
        load_schema(schema)


def test_an_external_content_index_reads_the_rebuilt_table(tmp_path: Path) -> None:
    """`content='messages'`: the index keeps no text, it reads messages by rowid; a rebuild of
    messages (its INTEGER PRIMARY KEY copied) leaves the index reading the same rows."""
    db = _db(
        tmp_path / "app.db",
        [
            "CREATE TABLE messages (id INTEGER PRIMARY KEY, body TEXT NOT NULL)",
            "CREATE VIRTUAL TABLE msg_fts USING fts5(body, content='messages', content_rowid='id')",
            "CREATE TRIGGER msg_ai AFTER INSERT ON messages BEGIN "
            "INSERT INTO msg_fts (rowid, body) VALUES (new.id, new.body); END",
            "INSERT INTO messages (id, body) VALUES (10, 'alpha words'), (20, 'beta words')",
        ],
    )
    config, _ = _project(tmp_path, ("sqlite",))
    url = parse_url(f"sqlite:///{db}")
    pull(url, config.schema)  # type: ignore[arg-type]
    text = config.schema.read_text()  # type: ignore[union-attr]
    config.schema.write_text(
        text.replace("body = text().not_null()", "body = text().not_null().check('length(body) > 0')")
    )  # type: ignore[union-attr]
    assert push(config, url).applied
    conn = sqlite3.connect(db)
    try:
        assert "CHECK" in conn.execute("SELECT sql FROM sqlite_master WHERE name = 'messages'").fetchone()[0]
        found = conn.execute("SELECT rowid, body FROM msg_fts WHERE msg_fts MATCH 'words' ORDER BY rowid").fetchall()
        assert found == [(10, "alpha words"), (20, "beta words")]
        conn.execute("INSERT INTO messages (id, body) VALUES (30, 'gamma words')")  # the trigger made again
        assert [r[0] for r in conn.execute("SELECT rowid FROM msg_fts WHERE msg_fts MATCH 'gamma'")] == [30]
    finally:
        conn.close()
