"""SQLite's NULL keys: a primary-key column that is not the rowid alias and is declared
without NOT NULL holds NULL if an app writes one (a legacy quirk SQLite keeps). Pull reads
whether the key is declared NOT NULL (`Column.sqlite_null_key`), a rebuild keeps it as
declared (with its NULL rows), and making it NOT NULL is guarded: refused in one line naming
the table and the count of NULL rows, nothing applied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mizzle.app.config import Config
from mizzle.app.generate import generate
from mizzle.app.migrate import migrate
from mizzle.app.pull import pull
from mizzle.app.push import push
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.dialects.sqlite.introspect import introspect
from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema


def _run(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path)
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


def _rows(path: Path, query: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_pull_reads_whether_a_key_column_is_declared_not_null(sqlite_conn: sqlite3.Connection) -> None:
    sqlite_conn.executescript(
        """
        CREATE TABLE loose (id TEXT PRIMARY KEY, v TEXT);
        CREATE TABLE strict_key (id TEXT PRIMARY KEY NOT NULL);
        CREATE TABLE alias (id INTEGER PRIMARY KEY);
        CREATE TABLE no_rowid (id TEXT PRIMARY KEY) WITHOUT ROWID;
        CREATE TABLE pair (a TEXT, b INT NOT NULL, PRIMARY KEY (a, b));
        """
    )
    schema = introspect(sqlite_conn).schema

    def flags(table: str) -> dict[str, bool]:
        return {c.name: c.sqlite_null_key for c in schema.table(table).columns}  # type: ignore[union-attr]

    assert flags("loose") == {"id": True, "v": False}
    assert flags("strict_key") == {"id": False}
    assert flags("alias") == {"id": False}  # the rowid alias never holds NULL
    assert flags("no_rowid") == {"id": False}  # WITHOUT ROWID enforces NOT NULL on the key
    assert flags("pair") == {"a": True, "b": False}
    assert not schema.table("loose").column("id").nullable  # type: ignore[union-attr]  # still a key


def _project(tmp_path: Path) -> tuple[Config, MigrationFolder]:
    root = tmp_path / "project"
    (root / "migrations").mkdir(parents=True)
    (root / "mizzle.toml").write_text('dialects = ["sqlite", "postgresql"]\n')
    return Config(root / "mizzle.toml", root / "schema.py", root / "migrations", ("sqlite", "postgresql")), (
        MigrationFolder(root / "migrations")
    )


@pytest.fixture
def loose(tmp_path: Path) -> Path:
    path = tmp_path / "app.db"
    _run(
        path,
        "CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT)",
        "INSERT INTO setting VALUES (NULL, 'a'), (NULL, 'b'), ('theme', 'dark')",
    )
    return path


def test_a_null_key_is_kept_by_pull_and_push_and_across_a_rebuild(loose: Path, tmp_path: Path) -> None:
    config, _ = _project(tmp_path)
    url = parse_url(f"sqlite:///{loose}")
    pull(url, config.schema)  # type: ignore[arg-type]
    text = config.schema.read_text()  # type: ignore[union-attr]
    assert "key = text().primary_key().sqlite(null_key=True)" in text
    assert not push(config, url, dry_run=True).plan.operations  # nothing to change: no churn
    # a change that rebuilds the table keeps the key as declared, and the rows holding NULL
    config.schema.write_text(text.replace("value = text()", "value = text().check('length(value) > 0')"))  # type: ignore[union-attr]
    pushed = push(config, url)
    assert pushed.applied
    assert _rows(loose, "SELECT key, value FROM setting ORDER BY value") == [
        (None, "a"),
        (None, "b"),
        ("theme", "dark"),
    ]
    assert "NOT NULL" not in _rows(loose, "SELECT sql FROM sqlite_master WHERE name = 'setting'")[0][0]


def test_making_a_null_key_not_null_is_refused_while_rows_hold_null(loose: Path, tmp_path: Path) -> None:
    config, folder = _project(tmp_path)
    url = parse_url(f"sqlite:///{loose}")
    pull(url, config.schema)  # type: ignore[arg-type]
    generate(config, "init")
    from mizzle.app.baseline import baseline

    baseline(url, folder)
    text = config.schema.read_text()  # type: ignore[union-attr]
    config.schema.write_text(text.replace(".sqlite(null_key=True)", ""))  # type: ignore[union-attr]
    made = generate(config, "key_not_null")
    assert made.path is not None
    assert (
        "-- mizzle:guard cannot make primary-key column setting.key NOT NULL" in (made.path / "sqlite.sql").read_text()
    )
    before = _rows(loose, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    with pytest.raises(MizzleError) as err:
        migrate(url, folder)
    assert str(err.value).endswith(
        "cannot make primary-key column setting.key NOT NULL: 2 rows hold NULL there (SQLite let them, as the column "
        "was not declared NOT NULL): give them keys or delete them first"
    )
    assert "\n" not in str(err.value)
    assert _rows(loose, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == before  # nothing applied
    assert _rows(loose, "SELECT count(*) FROM setting WHERE key IS NULL") == [(2,)]
    # once the app gives them keys, the same migration runs
    _run(loose, "UPDATE setting SET key = 'k' || value WHERE key IS NULL")
    migrate(url, folder)
    assert "NOT NULL" in _rows(loose, "SELECT sql FROM sqlite_master WHERE name = 'setting'")[0][0]
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        _run(loose, "INSERT INTO setting VALUES (NULL, 'c')")


def test_a_null_key_survives_a_pull_to_sql(loose: Path, tmp_path: Path) -> None:
    out = tmp_path / "schema.sql"
    pull(parse_url(f"sqlite:///{loose}"), out)
    assert '{"table": "setting", "column": "key", "null_key": true}' in out.read_text()
    back = load_schema(out).schema
    assert back.table("setting").column("key").sqlite_null_key  # type: ignore[union-attr]


def test_sqlite_only_column_facts_are_no_difference_on_postgresql(loose: Path, tmp_path: Path, pg_url: str) -> None:
    config, folder = _project(tmp_path)
    pull(parse_url(f"sqlite:///{loose}"), config.schema)  # type: ignore[arg-type]
    text = config.schema.read_text()  # type: ignore[union-attr]
    config.schema.write_text(text.replace("value = text()", 'value = text().sqlite(type="VARCHAR(9)")'))  # type: ignore[union-attr]
    generate(config, "init")
    migrate(parse_url(pg_url), folder)
    # PostgreSQL holds neither the NULL key nor the declared type: push and check see nothing
    assert not push(config, parse_url(pg_url), dry_run=True).plan.operations
