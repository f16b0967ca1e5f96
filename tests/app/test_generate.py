"""`mizzle.app.generate`: the next migration written from the config's schema, returned as
data; renames settled by flags or by the `ask` callback; an unsound folder refused."""

from __future__ import annotations

import pytest

from mizzle.app import generate as generating
from mizzle.core.errors import MizzleError, UnsupportedError
from mizzle.core.renames import AmbiguousRename, Renames
from tests.app.conftest import Project


def test_generate_writes_the_sql_of_each_dialect_the_snapshot_and_the_sum(project: Project) -> None:
    made = generating.generate(project.config, "init")
    assert made.path == project.root / "migrations" / "0001_init"
    assert made.operations == 2  # two tables (the index is part of creating its table)
    assert made.dialects == ("postgresql", "sqlite")
    assert made.warnings == ()
    files = sorted(p.name for p in made.path.iterdir())
    assert files == ["down.postgresql.sql", "down.sqlite.sql", "postgresql.sql", "snapshot.json", "sqlite.sql"]
    assert "CREATE TABLE" in (made.path / "sqlite.sql").read_text()
    assert (project.root / "migrations" / "mizzle.sum").is_file()


def test_generate_with_no_change_writes_nothing_and_says_what_matched(project: Project) -> None:
    generating.generate(project.config, "init")
    again = generating.generate(project.config, "again")
    assert again.path is None
    assert again.operations == 0
    assert again.since == "the snapshot of 0001_init"
    assert [m.name for m in project.folder.migrations()] == ["0001_init"]


def test_a_dropped_column_is_a_warning_of_both_databases(project: Project) -> None:
    generating.generate(project.config, "init")
    project.edit_schema("    notes = text()\n", "")
    made = generating.generate(project.config, "drop_notes", renames=Renames.from_flags((), ("tune.notes",)))
    assert made.operations == 1
    assert made.warnings == ("data loss: drop column tune.notes (its values are lost) (postgresql, sqlite)",)


def test_the_ask_callback_settles_a_rename(project: Project) -> None:
    generating.generate(project.config, "init")
    project.edit_schema("    notes = text()\n", "    remarks = text()\n")
    asked: list[tuple[str, str | None, str, list[str]]] = []

    def ask(kind: str, table: str | None, old: str, candidates: list[str]) -> str | None:
        asked.append((kind, table, old, candidates))
        return candidates[0]

    made = generating.generate(project.config, "rename_notes", ask=ask)
    assert asked == [("column", "tune", "notes", ["remarks"])]
    assert made.operations == 1
    assert made.path is not None
    assert "RENAME COLUMN" in (made.path / "postgresql.sql").read_text()


def test_an_unsettled_rename_without_ask_is_an_error_and_writes_nothing(project: Project) -> None:
    generating.generate(project.config, "init")
    project.edit_schema("    notes = text()\n", "    remarks = text()\n")
    with pytest.raises(AmbiguousRename):
        generating.generate(project.config, "rename_notes")
    assert [m.name for m in project.folder.migrations()] == ["0001_init"]


def test_custom_writes_empty_files_to_fill_in(project: Project) -> None:
    path = generating.custom(project.config, "backfill")
    assert path.name == "0001_backfill"
    assert (path / "sqlite.sql").read_text().startswith("-- mizzle migration 0001_backfill (sqlite): custom")


def test_a_folder_failing_its_sum_is_refused_before_the_schema_is_read(project: Project) -> None:
    made = generating.generate(project.config, "init")
    assert made.path is not None
    with (made.path / "sqlite.sql").open("a") as f:
        f.write("-- edited\n")
    project.write_schema("this is not python")
    with pytest.raises(MizzleError, match=r"cannot add a migration to .* until its problems are fixed"):
        generating.generate(project.config, "next")


def test_a_schema_one_configured_database_cannot_hold_is_refused_and_writes_nothing(project: Project) -> None:
    project.write_schema(
        """
        from mizzle.dsl import Table, serial

        class Stat(Table):
            __tablename__ = "sqlite_stat"
            id = serial().primary_key()
        """
    )
    with pytest.raises(UnsupportedError, match=r"the schema does not fit sqlite: .*sqlite_stat"):
        generating.generate(project.config, "init")
    assert project.folder.migrations() == []
