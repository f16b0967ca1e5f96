"""`mizzle adopt drizzle` on the final state of real drizzle-kit histories (the corpus, applied as
drizzle's migrator applies them, its rows included): the journal and the database checked
against each other, the first mizzle migration written from what the database holds and
recorded there without touching a row, then the next change generated and migrated with the
rows kept, and the adopted migration building the same schema on a fresh database.
`mizzle adopt` alone, for a database with no history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Mizzle
from tests.cli.project import DATABASES, Project, applied, empty_database, make_project, sql
from tests.drizzle_history import HISTORIES, apply_postgresql, apply_sqlite
from tests.pg import fresh_database

DYAD = HISTORIES["sqlite"] / "dyad-sh__dyad"
PAGES_CMS = HISTORIES["postgresql"] / "pages-cms__pages-cms"


def ok(project: Project, *args: str | Path) -> str:
    result = project(*args)
    assert result.code == 0, result.err
    return result.out


def first_table_rows(url: str, table: str) -> int:
    return int(sql(url, f'SELECT count(*) FROM "{table}"')[0][0])


def adopt_then_change(project: Project, url: str, fresh: str, folder: Path, table: str, seed: str) -> None:
    """Adopt the drizzle database at `url`, pull its schema, add a table, generate and migrate
    with the rows of `table` kept; then `fresh` (empty) migrates to the same schema."""
    sql(url, seed)
    before = first_table_rows(url, table)
    out = ok(project, "adopt", "drizzle", "--db", url, "--from", folder)
    entries = len(list(folder.glob("*.sql")))
    assert "0001_adopted_from_drizzle" in out and f"after {entries} drizzle migrations" in out
    assert applied(url) == ["0001_adopted_from_drizzle"]
    ok(project, "pull", "--db", url, "--out", project.root / "schema.py", "--force")
    assert ok(project, "generate", "--name", "nothing").startswith("no changes")
    project.write_schema(
        (project.root / "schema.py").read_text()
        + "\n\nfrom mizzle.dsl import Table as _Table, serial as _serial, text as _text\n\n\n"
        "class AdoptedNote(_Table):\n    id = _serial().primary_key()\n    body = _text()\n"
    )
    ok(project, "generate", "--name", "add_adopted_note")
    assert "applied 0002_add_adopted_note" in ok(project, "migrate", "--db", url)
    assert first_table_rows(url, table) == before
    assert "ok" in ok(project, "check", "--db", url)
    ok(project, "migrate", "--db", fresh)
    assert "ok" in ok(project, "check", "--db", fresh)


def test_adopt_drizzle_sqlite_dyad_then_the_next_change_migrates_with_rows_kept(tmp_path: Path, mizzle: Mizzle) -> None:
    project = make_project(tmp_path / "app", mizzle, dialects=("sqlite",))
    db = tmp_path / "dyad.db"
    apply_sqlite(DYAD, db)
    url = f"sqlite:///{db}"
    adopt_then_change(
        project,
        url,
        f"sqlite:///{tmp_path / 'fresh.db'}",
        DYAD,
        "apps",
        "INSERT INTO apps (name, path) VALUES ('a', 'p')",
    )


@pytest.mark.postgres
@pytest.mark.slow
def test_adopt_drizzle_postgresql_pages_cms_then_the_next_change_migrates_with_rows_kept(
    tmp_path: Path, mizzle: Mizzle
) -> None:
    project = make_project(tmp_path / "app", mizzle, dialects=("postgresql",))
    with fresh_database() as url, fresh_database() as fresh:
        apply_postgresql(PAGES_CMS, url)
        adopt_then_change(
            project, url, fresh, PAGES_CMS, "user", "INSERT INTO \"user\" (id, name, email) VALUES ('u1', 'n', 'a@b.c')"
        )


@pytest.fixture
def other_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the kind of `db_url`."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    with fresh_database() as url:
        yield url


@pytest.fixture
def dyad(tmp_path: Path) -> Iterator[str]:
    db = tmp_path / "dyad.db"
    apply_sqlite(DYAD, db)
    yield f"sqlite:///{db}"


def test_adopt_drizzle_refuses_a_pending_drizzle_migration_and_writes_nothing(
    tmp_path: Path, mizzle: Mizzle, dyad: str
) -> None:
    project = make_project(tmp_path / "app", mizzle, dialects=("sqlite",))
    sql(dyad, 'DELETE FROM "__drizzle_migrations" WHERE rowid = (SELECT max(rowid) FROM "__drizzle_migrations")')
    result = project("adopt", "drizzle", "--db", dyad, "--from", DYAD)
    assert result.code == 1
    assert "journal" in result.error_line and "not applied to the database" in result.error_line
    assert project.folders() == []
    assert "__mizzle_migrations" not in [r[0] for r in sql(dyad, "SELECT name FROM sqlite_master")]


def test_adopt_drizzle_refuses_an_unknown_hash(tmp_path: Path, mizzle: Mizzle, dyad: str) -> None:
    project = make_project(tmp_path / "app", mizzle, dialects=("sqlite",))
    sql(dyad, "INSERT INTO \"__drizzle_migrations\" (hash, created_at) VALUES ('f00d', 1)")
    result = project("adopt", "drizzle", "--db", dyad, "--from", DYAD)
    assert result.code == 1
    assert "records 1 migration the journal does not list" in result.error_line
    assert project.folders() == []


def test_adopt_without_drizzle_refuses_a_database_with_drizzle_history(
    tmp_path: Path, mizzle: Mizzle, dyad: str
) -> None:
    project = make_project(tmp_path / "app", mizzle, dialects=("sqlite",))
    result = project("adopt", "--db", dyad)
    assert result.code == 1
    assert "`mizzle adopt drizzle --from" in result.error_line
    assert project.folders() == []


def test_adopt_drizzle_reads_a_moved_history_table_named_by_migrations_table(
    tmp_path: Path, mizzle: Mizzle, dyad: str
) -> None:
    project = make_project(tmp_path / "app", mizzle, dialects=("sqlite",))
    sql(dyad, 'ALTER TABLE "__drizzle_migrations" RENAME TO "app_migrations"')
    result = project("adopt", "drizzle", "--db", dyad, "--from", DYAD, "--migrations-table", "app_migrations")
    assert result.code == 0, result.err
    assert "after 50 drizzle migrations" in result.out
    assert 'add "!app_migrations" to tables_filter' in result.err
    assert "app_migrations" not in (project.migrations / project.folders()[0] / "sqlite.sql").read_text()
    # without drizzle, the flag means nothing: refused before anything is read
    other = make_project(tmp_path / "other", mizzle, dialects=("sqlite",))
    result = other("adopt", "--db", dyad, "--migrations-table", "app_migrations")
    assert result.code != 0 and "--migrations-table is drizzle's" in result.err


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


def test_adopt_a_database_made_by_hand_starts_the_history_and_a_fresh_database_gets_the_same_schema(
    tmp_path: Path, mizzle: Mizzle, db_url: str, other_url: str
) -> None:
    sqlite = db_url.startswith("sqlite")
    project = make_project(tmp_path / "app", mizzle, dialects=("sqlite",) if sqlite else ("postgresql",))
    key = "INTEGER PRIMARY KEY" if sqlite else "serial PRIMARY KEY"
    for statement in (
        f"CREATE TABLE author (id {key}, name TEXT NOT NULL)",
        f"CREATE TABLE book (id {key}, author_id INTEGER REFERENCES author (id), title TEXT)",
        "CREATE INDEX book_title ON book (title)",
        "INSERT INTO author (name) VALUES ('kept')",
    ):
        sql(db_url, statement)
    assert "0001_adopted" in ok(project, "adopt", "--db", db_url)
    assert applied(db_url) == ["0001_adopted"]
    assert sql(db_url, "SELECT name FROM author") == [("kept",)]
    assert "nothing to record" in ok(project, "baseline", "--db", db_url)
    again = project("adopt", "--db", db_url)
    assert again.code == 1 and "holds migrations already" in again.error_line
    ok(project, "pull", "--db", db_url, "--out", project.root / "schema.py", "--force")
    assert "applied 0001_adopted" in ok(project, "migrate", "--db", other_url)
    assert "ok" in ok(project, "check", "--db", other_url)
