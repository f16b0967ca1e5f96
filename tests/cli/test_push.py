"""`mizzle push`: the database changed straight to the schema in one transaction; nothing to do
when it matches (and it keeps matching: no churn); data loss only with --force, counted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mizzle.dialects.urls import parse_url
from tests.cli.conftest import EXAMPLE, Mizzle, own_server
from tests.cli.project import (
    DATABASES,
    HAND_WRITTEN,
    Project,
    columns,
    empty_database,
    make_project,
    on_terminal,
    sql,
    tables,
)


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    return make_project(tmp_path / "app", mizzle)


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


def pushed(project: Project, db_url: str, *args: str) -> str:
    result = project("push", "--db", db_url, *args)
    assert result.code == 0, result.err
    return result.out


def test_push_creates_the_schema_then_has_nothing_to_do(project: Project, db_url: str) -> None:
    assert pushed(project, db_url).startswith("pushed 2 changes to ")
    assert tables(db_url) == ["playlist", "tune"]
    assert pushed(project, db_url) == f"nothing to push: {parse_url(db_url).redacted} matches the schema\n"


def test_the_example_schema_pushed_twice_has_nothing_left_to_change(
    tmp_path: Path, mizzle: Mizzle, db_url: str
) -> None:
    project = make_project(tmp_path / "app", mizzle)
    shutil.copy(EXAMPLE / "schema.py", project.root / "schema.py")
    pushed(project, db_url)
    assert pushed(project, db_url).startswith("nothing to push: ")


def test_push_changes_a_populated_database_in_place(project: Project, db_url: str) -> None:
    pushed(project, db_url)
    sql(db_url, "INSERT INTO tune (title) VALUES ('a'), ('b')")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text().not_null().default('k')\n")
    assert pushed(project, db_url).startswith("pushed 1 change to ")
    assert sql(db_url, "SELECT title, key FROM tune ORDER BY id") == [("a", "k"), ("b", "k")]
    assert pushed(project, db_url).startswith("nothing to push: ")


def test_data_loss_is_refused_without_force_and_counts_what_would_be_lost(project: Project, db_url: str) -> None:
    pushed(project, db_url)
    sql(db_url, "INSERT INTO playlist (name) VALUES ('p')")
    sql(db_url, "INSERT INTO tune (title, notes) VALUES ('a', 'x'), ('b', NULL), ('c', 'y')")
    project.write_schema(
        """
        from mizzle.dsl import Table, serial, text

        class Tune(Table):
            id = serial().primary_key()
            title = text().not_null()
        """
    )
    result = project("push", "--db", db_url)
    assert (result.code, result.error_line) == (
        1,
        "error: push would lose data: drop column tune.playlist_id (0 non-null values); drop column tune.notes "
        "(2 non-null values); drop table playlist (1 row). Pass --force to push anyway (--dry-run shows the SQL), "
        "or --rename if something was renamed",
    )
    assert sql(db_url, "SELECT count(*) FROM playlist") == [(1,)]

    forced = project("push", "--db", db_url, "--force")
    assert forced.code == 0, forced.err
    assert forced.err.splitlines()[-1] == "warning: lost: drop table playlist (1 row)"
    assert tables(db_url) == ["tune"]
    assert sql(db_url, "SELECT title FROM tune ORDER BY id") == [("a",), ("b",), ("c",)]


def test_dry_run_prints_the_sql_and_changes_nothing(project: Project, db_url: str) -> None:
    pushed(project, db_url)
    sql(db_url, "INSERT INTO tune (title, notes) VALUES ('a', 'x')")
    project.edit_schema("    notes = text()\n", "")
    result = project("push", "--db", db_url, "--dry-run")
    assert result.code == 0, result.err
    assert result.out.startswith("-- mizzle migration push (")
    assert "-- operations:\n--   drop column tune.notes (its values are lost)\n" in result.out
    assert result.err == "warning: would lose data: drop column tune.notes (1 non-null value)\n"
    assert sql(db_url, "SELECT notes FROM tune") == [("x",)]


def test_dry_run_on_a_sqlite_file_that_does_not_exist_creates_nothing(project: Project, tmp_path: Path) -> None:
    target = tmp_path / "new.db"
    result = project("push", "--db", f"sqlite:///{target}", "--dry-run")
    assert (result.code, "CREATE TABLE playlist" in result.out, target.exists()) == (0, True, False)


def test_a_rename_flag_keeps_the_rows(project: Project, db_url: str) -> None:
    pushed(project, db_url)
    sql(db_url, "INSERT INTO tune (title) VALUES ('a')")
    project.edit_schema("    title = text().not_null()", "    name = text().not_null()")
    project.edit_schema('index("title")', 'index("name")')
    unsettled = project("push", "--db", db_url)
    assert unsettled.code == 1
    assert "column tune.title disappeared and tune.name appeared: --rename tune.title=name" in unsettled.error_line
    pushed(project, db_url, "--rename", "tune.title=name")
    assert sql(db_url, "SELECT name FROM tune") == [("a",)]


def test_a_change_the_rows_cannot_take_fails_whole_and_says_why(project: Project, db_url: str) -> None:
    pushed(project, db_url)
    sql(db_url, "INSERT INTO tune (title) VALUES ('a'), ('b')")
    project.edit_schema("    notes = text()\n", "    notes = text().not_null()\n    key = text()\n")
    result = project("push", "--db", db_url)
    assert result.code == 1
    assert result.error_line.startswith("error: push failed, nothing of it was applied: ")
    assert "tune.notes" in result.error_line and "2 rows" in result.error_line
    assert columns(db_url, "tune") == ["id", "title", "notes", "playlist_id"]  # key was not added either
    assert sql(db_url, "SELECT count(*) FROM tune WHERE notes IS NULL") == [(2,)]


def test_push_leaves_the_tracking_table_of_a_migrated_database_alone(project: Project, db_url: str) -> None:
    assert project("generate", "--name", "init").code == 0
    assert project("migrate", "--db", db_url).code == 0
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    assert pushed(project, db_url).startswith("pushed 1 change to ")
    assert tables(db_url) == ["__mizzle_migrations", "playlist", "tune"]


def test_expressions_the_database_prints_differently_are_not_pushed_again(project: Project, pg_url: str) -> None:
    project.write_schema(HAND_WRITTEN)
    pushed(project, pg_url)
    assert pushed(project, pg_url).startswith("nothing to push: ")
    project.edit_schema("BETWEEN 1 AND 40", "BETWEEN 2 AND 40")
    sql_text = pushed(project, pg_url, "--dry-run")
    assert "--   drop check item_name_check on item\n--   add check item_name_check on item" in sql_text
    assert "item_named" not in sql_text and "cheap" not in sql_text and "lower" not in sql_text.lower()
    pushed(project, pg_url)
    assert pushed(project, pg_url).startswith("nothing to push: ")


@pytest.mark.parametrize(("answer", "dropped"), [("y\n", True), ("n\n", False)], ids=["yes", "no"])
def test_on_a_terminal_push_asks_before_losing_data(
    project: Project, tmp_path: Path, answer: str, dropped: bool
) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    pushed(project, url)
    sql(url, "INSERT INTO tune (title, notes) VALUES ('a', 'x')")
    project.edit_schema("    notes = text()\n", "")
    code, out, screen = on_terminal(["--config", project.root / "mizzle.toml", "push", "--db", url], answer)
    assert "warning: this push loses data: drop column tune.notes (1 non-null value)" in screen
    assert "push anyway? [y/n] (n):" in screen
    assert (code, out.startswith("pushed 1 change"), "notes" not in columns(url, "tune")) == (
        (0, True, True) if dropped else (1, False, False)
    ), screen


def test_push_reads_the_database_only_once_it_holds_the_write_lock(project: Project, db_url: str) -> None:
    """Before, push introspected and planned while another command held the lock, and applied
    a plan made for the database as it was before that command."""
    import subprocess
    import sys
    import time

    from tests.core.test_runner import connect_adapter

    url = parse_url(db_url)
    if url.dialect == "sqlite":
        pushed(project, db_url)  # the file exists, with the schema's tables
        sql(db_url, "DROP TABLE tune")
    holder = connect_adapter(url.dialect, url.sqlite_path if url.dialect == "sqlite" else db_url)
    holder.lock()  # another migrate, rollback or push is running
    try:
        script = Path(sys.executable).parent / "mizzle"
        run = subprocess.Popen(
            [script, "--config", project.root / "mizzle.toml", "push", "--db", db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(3)
        assert run.poll() is None  # waiting, before it has read anything
        sql(db_url, "CREATE TABLE tune (id integer PRIMARY KEY)")  # what the other command leaves
    finally:
        holder.unlock()
    out, err = run.communicate(timeout=60)
    assert (run.returncode, err) == (0, ""), out
    assert sorted(tables(db_url)) == ["playlist", "tune"]
    assert columns(db_url, "tune") == ["id", "title", "notes", "playlist_id"]


@pytest.mark.postgres
def test_a_schema_too_large_for_the_servers_lock_table_fails_whole_keeping_the_hint(project: Project) -> None:
    # What 10,000 statements do to a server with the default lock table, done by 250 to a
    # server with a small one (its own: filling the shared server's lock table would fail
    # every other session on it).
    ddl = "".join(f"CREATE TABLE t{n} (id integer PRIMARY KEY, name text);\n" for n in range(250))
    (project.root / "schema.sql").write_text(ddl)
    toml = project.root / "mizzle.toml"
    toml.write_text(toml.read_text().replace('schema = "schema.py"', 'schema = "schema.sql"'))
    with own_server("max_connections = 5\nmax_locks_per_transaction = 10") as url:
        result = project("push", "--db", url)
        assert result.code == 1
        line = result.error_line
        assert line.startswith("error: push failed, nothing of it was applied: `CREATE TABLE t")
        assert "-- out of shared memory (hint: You might need to increase max_locks_per_transaction." in line
        assert "raise max_locks_per_transaction (postgresql.conf, then restart the server)" in line
        assert tables(url) == []
