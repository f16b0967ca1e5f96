"""The migrations folder: numbered migration folders, read for the runner, written for generate."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from mizzle.core.errors import MizzleError
from mizzle.core.migration_text import parse_file
from mizzle.core.migrations import MigrationFolder, checksum
from mizzle.core.model import Column, Schema, Table
from mizzle.core.types import t

TUNE = Schema(tables=(Table(name="tune", columns=(Column(name="id", type=t("integer"), nullable=False),)),))


@pytest.fixture
def folder(tmp_path: Path) -> MigrationFolder:
    return MigrationFolder(tmp_path / "migrations")


def test_a_folder_that_does_not_exist_holds_no_migrations(folder: MigrationFolder) -> None:
    assert (folder.migrations(), folder.next_number(), folder.last_snapshot()) == ([], 1, Schema())


def test_migrations_are_the_numbered_folders_in_name_order(folder: MigrationFolder) -> None:
    for name in ("0002_b", "0001_a", "0010_c", "notes", "0003-dash", ".0004_hidden"):
        (folder.path / name).mkdir(parents=True)
    (folder.path / "mizzle.sum").write_text("")
    (folder.path / "0005_a_file").write_text("")
    assert [(m.name, m.number) for m in folder.migrations()] == [("0001_a", 1), ("0002_b", 2), ("0010_c", 10)]
    assert folder.strays() == ["0003-dash", "notes"]
    assert folder.next_number() == 11


@pytest.mark.parametrize("name", ["0001_Init", "001_init", "0001_", "0001_init-x", "0001__init", "0001_1init"])
def test_folders_not_named_like_a_migration_are_not_migrations(folder: MigrationFolder, name: str) -> None:
    (folder.path / name).mkdir(parents=True)
    assert (folder.migrations(), folder.strays()) == ([], [name])


def test_a_migration_reads_its_files_by_dialect(folder: MigrationFolder) -> None:
    path = folder.path / "0001_init"
    path.mkdir(parents=True)
    (path / "sqlite.sql").write_text("CREATE TABLE t (id integer);\n")
    (path / "down.sqlite.sql").write_text("DROP TABLE t;\n")
    [m] = folder.migrations()
    assert (m.sql("sqlite"), m.down_sql("sqlite"), m.down_sql("postgresql")) == (
        "CREATE TABLE t (id integer);\n",
        "DROP TABLE t;\n",
        None,
    )
    assert m.checksum("sqlite") == hashlib.sha256(b"CREATE TABLE t (id integer);\n").hexdigest()
    with pytest.raises(MizzleError, match=r"^migration 0001_init has no postgresql\.sql \(in .*0001_init\)$"):
        m.sql("postgresql")


def test_line_endings_do_not_change_the_text_nor_the_checksum(folder: MigrationFolder) -> None:
    path = folder.path / "0001_init"
    path.mkdir(parents=True)
    (path / "sqlite.sql").write_bytes(b"SELECT 1;\r\nSELECT 2;\r\n")
    [m] = folder.migrations()
    assert (m.sql("sqlite"), m.checksum("sqlite")) == ("SELECT 1;\nSELECT 2;\n", checksum(b"SELECT 1;\nSELECT 2;\n"))


def test_write_creates_the_next_numbered_folder_with_its_files_and_snapshot(folder: MigrationFolder) -> None:
    first = folder.write("init", {"sqlite.sql": "CREATE TABLE tune (id INTEGER NOT NULL);\n"}, TUNE)
    second = folder.write("add_tag", {"sqlite.sql": "", "down.sqlite.sql": ""}, TUNE)
    assert (first.name, second.name, second.number) == ("0001_init", "0002_add_tag", 2)
    assert sorted(p.name for p in second.path.iterdir()) == ["down.sqlite.sql", "snapshot.json", "sqlite.sql"]
    assert first.sql("sqlite") == "CREATE TABLE tune (id INTEGER NOT NULL);\n"
    assert (first.snapshot(), folder.last_snapshot()) == (TUNE, TUNE)
    assert (first.path / "snapshot.json").read_text() == TUNE.to_json() + "\n"


@pytest.mark.parametrize(
    ("name", "number", "message"),
    [
        ("Add Tag", None, r"^bad migration name 'Add Tag': use lowercase letters, digits and underscores"),
        ("0002_tag", None, r"^bad migration name '0002_tag'"),
        ("tag", 1, r"^cannot write migration 0001_tag: 0001_init already has number 0001$"),
        ("tag", 10000, r"^migration number 10000 does not fit in 4 digits$"),
    ],
)
def test_write_refuses_a_bad_name_or_a_taken_number(
    folder: MigrationFolder, name: str, number: int | None, message: str
) -> None:
    folder.write("init", {}, Schema())
    with pytest.raises(MizzleError, match=message):
        folder.write(name, {}, Schema(), number=number)
    assert [m.name for m in folder.migrations()] == ["0001_init"]


def test_write_refuses_a_file_that_is_not_a_migration_file(folder: MigrationFolder) -> None:
    with pytest.raises(MizzleError, match=r"^cannot write 'notes\.txt' into a migration"):
        folder.write("init", {"notes.txt": ""}, Schema())
    assert not folder.path.exists() or list(folder.path.iterdir()) == []


def test_a_custom_migration_is_empty_with_a_header_and_keeps_the_last_snapshot(folder: MigrationFolder) -> None:
    folder.write("init", {}, TUNE)
    m = folder.custom("backfill_titles", ["postgresql", "sqlite"])
    assert m.name == "0002_backfill_titles"
    assert sorted(p.name for p in m.path.iterdir()) == [
        "down.postgresql.sql",
        "down.sqlite.sql",
        "postgresql.sql",
        "snapshot.json",
        "sqlite.sql",
    ]
    assert m.sql("sqlite").startswith("-- mizzle migration 0002_backfill_titles (sqlite): custom\n")
    assert parse_file(m.sql("postgresql")).statements == ()
    assert parse_file(m.down_sql("sqlite") or "").statements == ()
    assert m.snapshot() == TUNE


def test_a_broken_snapshot_is_one_clear_line(folder: MigrationFolder) -> None:
    m = folder.write("init", {}, TUNE)
    (m.path / "snapshot.json").write_text('{"tables": 3}')
    with pytest.raises(MizzleError, match=r"snapshot\.json is not a valid schema snapshot: "):
        folder.last_snapshot()


def test_reading_migration_sql_needs_no_sql_parser_nor_pydantic(tmp_path: Path) -> None:
    path = tmp_path / "0001_init"
    path.mkdir()
    (path / "sqlite.sql").write_text("SELECT 1;")
    code = (
        "import sys; from pathlib import Path; from mizzle.core.migrations import MigrationFolder\n"
        f"[m] = MigrationFolder(Path({str(tmp_path)!r})).migrations(); m.sql('sqlite'); m.checksum('sqlite')\n"
        "print([name for name in ('sqlglot', 'pydantic') if name in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_carriage_return_inside_a_literal_of_a_file_with_lf_line_ends_is_kept(folder: MigrationFolder) -> None:
    path = folder.path / "0001_init"
    path.mkdir(parents=True)
    (path / "sqlite.sql").write_bytes(b"-- h\nINSERT INTO t VALUES ('a\rb\r\nc');\n")
    [m] = folder.migrations()
    assert m.sql("sqlite") == "-- h\nINSERT INTO t VALUES ('a\rb\r\nc');\n"
