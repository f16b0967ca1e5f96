"""`mizzle generate`: one migration folder per change, nothing when nothing changed, renames
settled by flags or by a question on a terminal, never guessed."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from mizzle.cli.prompts import rename_asker
from mizzle.core.migration_text import parse_file
from mizzle.core.model import Schema
from tests.cli.conftest import Mizzle
from tests.cli.project import Project, make_project, on_terminal


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    return make_project(tmp_path / "app", mizzle)


def generated(project: Project, *args: str) -> str:
    """Run generate, expecting success; its stdout."""
    result = project("generate", *args)
    assert result.code == 0, result.err
    return result.out


def up_sql(project: Project, folder: str, dialect: str) -> str:
    return (project.migrations / folder / f"{dialect}.sql").read_text()


def test_generate_writes_sql_for_each_dialect_down_files_the_snapshot_and_the_sum(project: Project) -> None:
    out = generated(project, "--name", "init")
    assert out == f"wrote {project.migrations / '0001_init'}: 2 operations for postgresql, sqlite\n"
    files = sorted(p.name for p in (project.migrations / "0001_init").iterdir())
    assert files == ["down.postgresql.sql", "down.sqlite.sql", "postgresql.sql", "snapshot.json", "sqlite.sql"]
    assert (project.migrations / "mizzle.sum").read_text().splitlines()[1].startswith("0001_init h1:")
    snapshot = Schema.from_json((project.migrations / "0001_init" / "snapshot.json").read_text())
    assert [t.name for t in snapshot.tables] == ["playlist", "tune"]


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_each_file_creates_the_tables_and_its_down_file_drops_them(project: Project, dialect: str) -> None:
    generated(project, "--name", "init")
    up = parse_file(up_sql(project, "0001_init", dialect))
    down = parse_file((project.migrations / "0001_init" / f"down.{dialect}.sql").read_text())
    created = [s.sql.split("(")[0].strip() for s in up.statements if s.sql.startswith("CREATE TABLE")]
    dropped = [s.sql.rstrip(";") for s in down.statements if s.sql.startswith("DROP TABLE")]
    assert (created, dropped) == (
        ["CREATE TABLE playlist", "CREATE TABLE tune"],
        ["DROP TABLE tune", "DROP TABLE playlist"],
    )


def test_a_second_generate_without_changes_writes_nothing(project: Project) -> None:
    generated(project, "--name", "init")
    before = (project.migrations / "mizzle.sum").read_text()
    out = generated(project, "--name", "again")
    assert (out, project.folders()) == ("no changes: the schema matches the snapshot of 0001_init\n", ["0001_init"])
    assert (project.migrations / "mizzle.sum").read_text() == before


def test_nothing_in_the_schema_and_no_migrations_is_no_changes(project: Project) -> None:
    project.write_schema("from mizzle.dsl import Table\n")
    assert generated(project, "--name", "init") == "no changes: the schema matches an empty database\n"
    assert not project.migrations.exists()


def test_the_next_migration_is_numbered_after_the_last_and_chained_in_the_sum(project: Project) -> None:
    generated(project, "--name", "init")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    generated(project, "--name", "add_key")
    assert project.folders() == ["0001_init", "0002_add_key"]
    assert "ALTER TABLE tune ADD COLUMN key text" in up_sql(project, "0002_add_key", "postgresql")
    sum_lines = (project.migrations / "mizzle.sum").read_text().splitlines()
    assert [line.split(" ")[0] for line in sum_lines[1:]] == ["0001_init", "0002_add_key"]


def test_data_loss_is_a_warning_naming_the_databases(project: Project) -> None:
    generated(project, "--name", "init")
    project.edit_schema("    notes = text()\n", "")
    result = project("generate", "--name", "drop_notes")
    assert result.code == 0, result.err
    assert result.err == "warning: data loss: drop column tune.notes (its values are lost) (postgresql, sqlite)\n"
    assert "-- warnings:\n--   data loss: drop column tune.notes" in up_sql(project, "0002_drop_notes", "sqlite")


RENAMED_TABLE = ("class Playlist(Table):", "class Repertoire(Table):")


def test_an_unsettled_table_rename_without_a_terminal_is_an_error_listing_the_flags(project: Project) -> None:
    generated(project, "--name", "init")
    project.edit_schema(*RENAMED_TABLE)
    project.edit_schema("lambda: Playlist.id", "lambda: Repertoire.id")
    result = project("generate", "--name", "rename")
    assert (result.code, result.error_line) == (
        1,
        "error: renamed or dropped? pass one flag for each: table playlist disappeared and repertoire appeared: "
        "--rename playlist=repertoire if renamed, --drop playlist if dropped",
    )
    assert project.folders() == ["0001_init"]


def test_rename_flags_rename_a_table_and_a_column_instead_of_dropping_them(project: Project) -> None:
    generated(project, "--name", "init")
    project.edit_schema(*RENAMED_TABLE)
    project.edit_schema("lambda: Playlist.id", "lambda: Repertoire.id")
    project.edit_schema("    title = text().not_null()", "    name = text().not_null()")
    project.edit_schema('index("title")', 'index("name")')
    generated(project, "--name", "rename", "--rename", "playlist=repertoire", "--rename", "tune.title=name")
    for dialect in ("postgresql", "sqlite"):
        text = up_sql(project, "0002_rename", dialect)
        assert "ALTER TABLE playlist RENAME TO repertoire" in text, text
        assert "ALTER TABLE tune RENAME COLUMN title TO name" in text, text
        assert "DROP TABLE playlist" not in text and "DROP COLUMN" not in text, text


def test_drop_flag_settles_a_candidate_as_dropped(project: Project) -> None:
    generated(project, "--name", "init")
    project.edit_schema("    title = text().not_null()", "    name = text().not_null()")
    project.edit_schema('index("title")', 'index("name")')
    result = project("generate", "--name", "replace_title", "--drop", "tune.title")
    assert result.code == 0, result.err
    assert "ALTER TABLE tune DROP COLUMN title" in up_sql(project, "0002_replace_title", "postgresql")


def test_a_rename_flag_that_does_not_fit_is_an_error(project: Project) -> None:
    generated(project, "--name", "init")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    result = project("generate", "--name", "x", "--rename", "tune.missing=key")
    assert (result.code, result.error_line) == (
        1,
        'error: --rename tune.missing=key: the old schema has no column "missing" of table tune',
    )


def test_custom_writes_an_empty_migration_for_hand_written_sql(project: Project) -> None:
    generated(project, "--name", "init")
    out = generated(project, "--name", "backfill", "--custom")
    folder = project.migrations / "0002_backfill"
    assert out == f"wrote {folder}: empty postgresql.sql, sqlite.sql (and down files) to fill in\n"
    assert parse_file((folder / "sqlite.sql").read_text()).statements == ()
    assert json.loads((folder / "snapshot.json").read_text()) == json.loads(
        (project.migrations / "0001_init" / "snapshot.json").read_text()
    )
    assert project("check").code == 0


def test_concurrent_indexes_builds_new_indexes_on_existing_tables_concurrently(project: Project) -> None:
    generated(project, "--name", "init")
    project.edit_schema('index("title")', 'index("title"), index("notes")')
    generated(project, "--name", "index_notes", "--concurrent-indexes")
    statements = parse_file(up_sql(project, "0002_index_notes", "postgresql")).statements
    assert (statements[-1].sql, statements[-1].transactional) == (
        "CREATE INDEX CONCURRENTLY tune_notes_idx ON tune(notes);",
        False,
    )


COUNTER = """
    from mizzle.dsl import Table, integer, serial

    class Counter(Table):
        id = integer().primary_key()
        n = serial()
    """


def test_what_the_device_cannot_number_is_said_in_the_sqlite_header(project: Project) -> None:
    project.write_schema(COUNTER)
    generated(project, "--name", "init")
    head = (project.migrations / "0001_init" / "sqlite.sql").read_text().splitlines()[1]
    assert head == (
        "-- server-only: auto-increment of counter.n (SQLite numbers only a sole primary key: "
        "the device must supply its values)"
    )
    assert "server-only" not in (project.migrations / "0001_init" / "postgresql.sql").read_text()


def test_a_schema_one_database_cannot_hold_is_refused_before_anything_is_written(
    tmp_path: Path, mizzle: Mizzle
) -> None:
    project = make_project(tmp_path / "device", mizzle, dialects=("sqlite",))
    project.write_schema(COUNTER)
    result = project("generate", "--name", "init")
    assert result.code == 1
    assert result.error_line == (
        "error: the schema does not fit sqlite, the project's only database: auto-increment of counter.n "
        "(SQLite numbers only a sole primary key: the device must supply its values)"
    )
    assert project.folders() == []


def test_generate_refuses_to_add_to_a_folder_with_an_edited_migration(project: Project) -> None:
    generated(project, "--name", "init")
    with (project.migrations / "0001_init" / "sqlite.sql").open("a") as f:
        f.write("-- edited\n")
    project.edit_schema("    notes = text()\n", "")
    result = project("generate", "--name", "next")
    assert result.code == 1
    assert result.error_line.startswith(
        f"error: cannot add a migration to {project.migrations} until its problems are fixed: migration 0001_init"
    )


@pytest.mark.parametrize("name", ["Add Tune", "add tune", "1st", "add__tune", "add-", ""])
@pytest.mark.parametrize("custom", [[], ["--custom"]])
def test_a_bad_migration_name_is_a_usage_error_before_anything_is_read(
    project: Project, name: str, custom: list[str]
) -> None:
    project.write_schema("this is not python")
    result = project("generate", "--name", name, *custom)
    assert (result.code, f"bad migration name {name!r}" in result.error_line) == (2, True)
    assert project.folders() == []


@pytest.mark.parametrize("custom", [[], ["--custom"]])
def test_a_kebab_case_name_is_taken_in_snake_case(project: Project, custom: list[str]) -> None:
    result = project("generate", "--name", "add-user-preferences", *custom)
    assert result.code == 0, result.err
    assert project.folders() == ["0001_add_user_preferences"]
    assert "folder:" not in project("check").out  # the sum holds it (a custom one leaves the schema to generate)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("1\n", "repertoire"), ("2\n", "setlist"), ("3\n", None), ("9\n1\n", "repertoire")],
    ids=["first", "second", "dropped", "invalid-then-first"],
)
def test_the_terminal_question_offers_each_candidate_and_dropped(answer: str, expected: str | None) -> None:
    screen = io.StringIO()
    ask = rename_asker(Console(file=screen, width=200), io.StringIO(answer))
    assert ask("table", None, "playlist", ["repertoire", "setlist"]) == expected
    assert screen.getvalue().startswith(
        "table playlist is gone from the schema and repertoire, setlist appeared:\n"
        "  1) renamed to repertoire\n  2) renamed to setlist\n  3) dropped (its rows are lost)\n"
    )


def test_the_column_question_names_the_table() -> None:
    screen = io.StringIO()
    ask = rename_asker(Console(file=screen, width=200), io.StringIO("2\n"))
    assert ask("column", "tune", "title", ["name"]) is None
    assert screen.getvalue().startswith("column tune.title is gone from the schema and tune.name appeared:\n")


def test_on_a_terminal_generate_asks_what_became_of_a_table(project: Project) -> None:
    generated(project, "--name", "init")
    project.edit_schema(*RENAMED_TABLE)
    project.edit_schema("lambda: Playlist.id", "lambda: Repertoire.id")
    code, _, screen = on_terminal(["--config", project.root / "mizzle.toml", "generate", "--name", "rename"], "1\n")
    assert (code, "table playlist is gone from the schema and repertoire appeared:" in screen) == (0, True), screen
    assert "ALTER TABLE playlist RENAME TO repertoire" in up_sql(project, "0002_rename", "postgresql")


@pytest.mark.parametrize("command", [["generate", "--name", "init"], ["push", "--db", "sqlite:///app.db"]])
@pytest.mark.parametrize("ending", ["import sys\nsys.exit(0)\n", "raise BaseException('stop')\n"])
def test_a_schema_that_exits_or_raises_a_base_exception_fails_with_one_line(
    project: Project, command: list[str], ending: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project.root)
    (project.root / "schema.py").write_text((project.root / "schema.py").read_text() + ending)
    result = project(*command)
    assert result.code == 1
    assert result.error_line.startswith(f"error: {project.root / 'schema.py'}:")
    assert (project.folders(), (project.root / "app.db").exists()) == ([], False)
