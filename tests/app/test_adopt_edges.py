"""Adoption at its edges, on real databases: drizzle's history table where the project's
drizzle config moved it (`migrations: { table, schema }`, or `--migrations-table`), and the
project's `tables_filter` followed by adopt and baseline as pull, push and check follow it."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import psycopg
import pytest

from mizzle.app.adopt import adopt
from mizzle.app.baseline import SchemaMismatch, baseline
from mizzle.app.config import Config
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.table_filter import TableFilter
from mizzle.dialects.urls import parse_url

STEPS = {
    "0000_init": "CREATE TABLE `tune` (`id` integer PRIMARY KEY NOT NULL, `title` text NOT NULL);\n",
    "0001_legacy": "CREATE TABLE `legacy_log` (`id` integer PRIMARY KEY NOT NULL, `line` text);\n",
}


def _drizzle_folder(root: Path) -> Path:
    out = root / "drizzle"
    (out / "meta").mkdir(parents=True)
    entries = []
    for i, (tag, text) in enumerate(STEPS.items()):
        (out / f"{tag}.sql").write_text(text)
        entries.append({"idx": i, "tag": tag, "when": 1700000000000 + i, "breakpoints": True})
    (out / "meta" / "_journal.json").write_text(json.dumps({"version": "7", "entries": entries}))
    return out


def _config(root: Path, dialect: str, tables: TableFilter | None = None) -> Config:
    (root / "migrations").mkdir(parents=True, exist_ok=True)
    (root / "mizzle.toml").write_text(f'dialects = ["{dialect}"]\n')
    return Config(root / "mizzle.toml", None, root / "migrations", (dialect,), tables_filter=tables or TableFilter())


def _migrated_sqlite(path: Path, table: str) -> None:
    """drizzle's migrator, its table renamed by its config."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY, hash text NOT NULL, created_at numeric)')
    for i, text in enumerate(STEPS.values()):
        conn.executescript(f"BEGIN;\n{text}\nCOMMIT;")
        digest = hashlib.sha256(text.encode()).hexdigest()
        conn.execute(f'INSERT INTO "{table}" (hash, created_at) VALUES (?, ?)', (digest, 1700000000000 + i))
    conn.execute("INSERT INTO tune VALUES (1, 'kept')")
    conn.close()


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def test_adopt_drizzle_finds_the_history_table_its_config_moved(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    _migrated_sqlite(db, "app_migrations")
    config = _config(tmp_path, "sqlite")
    drizzle = _drizzle_folder(tmp_path)
    url = parse_url(f"sqlite:///{db}")
    with pytest.raises(MizzleError, match=r'has no "__drizzle_migrations" table .*pass --migrations-table'):
        adopt(config, url, drizzle=drizzle)
    (tmp_path / "drizzle.config.ts").write_text(
        'import { defineConfig } from "drizzle-kit";\n'
        "export default defineConfig({\n  dialect: 'sqlite',\n  out: './drizzle',\n"
        "  migrations: { table: 'app_migrations' },\n});\n"
    )
    done = adopt(config, url, drizzle=drizzle)
    assert done.drizzle_migrations == 2
    snapshot = MigrationFolder(tmp_path / "migrations").migrations()[0].snapshot()
    assert sorted(t.name for t in snapshot.tables) == ["legacy_log", "tune"]  # drizzle's table is not the app's
    assert done.notes == (
        'drizzle\'s table "app_migrations" is left out of the adopted schema; add "!app_migrations" to '
        f"tables_filter in {config.where} so that pull, push and check leave it alone too",
    )
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT title FROM tune").fetchall() == [("kept",)]
    assert conn.execute("SELECT name FROM __mizzle_migrations").fetchall() == [("0001_adopted_from_drizzle",)]


def test_migrations_table_names_drizzles_table_without_a_config(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    _migrated_sqlite(db, "app_migrations")
    config = _config(tmp_path, "sqlite", TableFilter(exclude=("app_migrations",)))
    done = adopt(
        config, parse_url(f"sqlite:///{db}"), drizzle=_drizzle_folder(tmp_path), migrations_table="app_migrations"
    )
    assert done.drizzle_migrations == 2
    assert done.notes == ()  # the config's filter leaves it out already


def test_adopt_drizzle_reads_a_postgresql_history_in_another_schema(tmp_path: Path, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute('CREATE SCHEMA "meta"')
        conn.execute('CREATE TABLE "meta"."hist" (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)')
        for i, text in enumerate(STEPS.values()):
            conn.execute(text.replace("`", '"').encode())
            digest = hashlib.sha256(text.encode()).hexdigest()
            conn.execute('INSERT INTO "meta"."hist" (hash, created_at) VALUES (%s, %s)', (digest, 1700000000000 + i))
    (tmp_path / "drizzle.config.json").write_text(
        json.dumps({"dialect": "postgresql", "migrations": {"table": "hist", "schema": "meta"}})
    )
    done = adopt(_config(tmp_path, "postgresql"), parse_url(pg_url), drizzle=_drizzle_folder(tmp_path))
    assert done.drizzle_migrations == 2
    assert done.notes == ()  # not in public: never read as the app's


def test_adopt_and_baseline_follow_the_configs_table_filter(tmp_path: Path) -> None:
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript(
        "CREATE TABLE tune (id INTEGER PRIMARY KEY, title TEXT NOT NULL);"
        "CREATE TABLE legacy_log (id INTEGER PRIMARY KEY, line TEXT);"
    )
    conn.close()
    url = parse_url(f"sqlite:///{db}")
    filtered = TableFilter.from_patterns(["!legacy_*"])
    config = _config(tmp_path, "sqlite", filtered)
    adopt(config, url)
    folder = MigrationFolder(tmp_path / "migrations")
    assert [t.name for t in folder.migrations()[0].snapshot().tables] == ["tune"]
    assert "legacy_log" in _tables(db)  # left alone, not dropped
    # another database with the same tables is baselined when the filter is followed, and
    # shows legacy_log as a difference when it is not
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.executescript(
        "CREATE TABLE tune (id INTEGER PRIMARY KEY, title TEXT NOT NULL);"
        "CREATE TABLE legacy_log (id INTEGER PRIMARY KEY, line TEXT);"
    )
    conn.close()
    with pytest.raises(SchemaMismatch) as err:
        baseline(parse_url(f"sqlite:///{other}"), folder)
    assert any("legacy_log" in line for line in err.value.differences)
    done = baseline(parse_url(f"sqlite:///{other}"), folder, tables=filtered)
    assert done.recorded == ("0001_adopted",)


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_key_to_a_table_the_filter_leaves_out_is_adopted_as_a_reference(
    tmp_path: Path, dialect: str, request: pytest.FixtureRequest
) -> None:
    ddl = [
        "CREATE TABLE legacy_owner (id integer PRIMARY KEY, name text)",
        "CREATE TABLE tune (id integer PRIMARY KEY, owner_id integer REFERENCES legacy_owner (id) ON DELETE CASCADE)",
        "INSERT INTO legacy_owner VALUES (1, 'a')",
        "INSERT INTO tune VALUES (1, 1)",
    ]
    if dialect == "sqlite":
        url_text = f"sqlite:///{tmp_path / 'app.db'}"
        conn = sqlite3.connect(tmp_path / "app.db")
        for s in ddl:
            conn.execute(s)
        conn.commit()
        conn.close()
    else:
        url_text = request.getfixturevalue("pg_url")
        with psycopg.connect(url_text, autocommit=True) as pg:
            for s in ddl:
                pg.execute(s.encode())
    config = _config(tmp_path, dialect, TableFilter.from_patterns(["!legacy_*"]))
    adopt(config, parse_url(url_text))
    made = MigrationFolder(tmp_path / "migrations").migrations()[0]
    (fk,) = made.snapshot().table("tune").foreign_keys  # type: ignore[union-attr]
    assert (fk.ref_schema, fk.ref_table, fk.on_delete) == ("public", "legacy_owner", "cascade")
    text = (made.path / f"{dialect}.sql").read_text()
    assert "CREATE TABLE legacy_owner" not in text and "DROP" not in text
    expected = "REFERENCES legacy_owner (id)" if dialect == "sqlite" else "REFERENCES public.legacy_owner (id)"
    assert expected in text
