"""`mizzle.app.push.push`: the config's schema pushed to real SQLite and PostgreSQL databases,
called in-process; what a push loses goes to the `confirm` callback, which can stop it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.app.push import push
from mizzle.core.errors import MizzleError
from mizzle.core.urls import DatabaseURL
from mizzle.dialects.urls import parse_url
from tests.app.conftest import Project
from tests.cli.project import columns, sql, tables


def test_a_push_creates_the_schema_and_a_second_push_finds_nothing(project: Project, db_url: DatabaseURL) -> None:
    done = push(project.config, db_url)
    assert done.applied
    assert done.duration_ms is not None
    assert len(done.plan.operations) == 2
    assert {"playlist", "tune"} <= set(tables(db_url.url))

    again = push(project.config, db_url)
    assert again.plan.empty
    assert not again.applied


def test_a_push_that_loses_data_asks_confirm_and_a_refusal_changes_nothing(
    project: Project, db_url: DatabaseURL
) -> None:
    push(project.config, db_url)
    sql(db_url.url, "INSERT INTO tune (title, notes) VALUES ('a', 'x')")
    project.edit_schema("    notes = text()\n", "")
    asked: list[list[str]] = []

    def refuse(losses: list[str]) -> None:
        asked.append(losses)
        raise MizzleError("no")

    with pytest.raises(MizzleError, match="no"):
        push(project.config, db_url, confirm=refuse)
    assert asked == [["drop column tune.notes (1 non-null value)"]]
    assert "notes" in columns(db_url.url, "tune")

    with pytest.raises(MizzleError, match=r"push would lose data: drop column tune\.notes .*nothing was changed"):
        push(project.config, db_url)  # nobody to ask, not forced: refused
    assert "notes" in columns(db_url.url, "tune")

    done = push(project.config, db_url, force=True)
    assert done.plan.losses == ("drop column tune.notes (1 non-null value)",)
    assert "notes" not in columns(db_url.url, "tune")


def test_a_dry_run_returns_the_script_and_creates_no_sqlite_file(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    done = push(project.config, parse_url(f"sqlite:///{path}"), dry_run=True)
    assert not done.applied
    assert "CREATE TABLE" in done.plan.script()
    assert not path.exists()


def test_a_schema_the_database_cannot_hold_is_refused_before_connecting(project: Project, tmp_path: Path) -> None:
    project.write_schema(
        """
        from mizzle.dsl import Table, serial

        class Stat(Table):
            __tablename__ = "sqlite_stat"
            id = serial().primary_key()
        """
    )
    path = tmp_path / "new.db"
    with pytest.raises(MizzleError, match="does not fit sqlite"):
        push(project.config, parse_url(f"sqlite:///{path}"))
    assert not path.exists()


# --- the tables a push does not manage ----------------------------------------------------------


def test_a_push_never_proposes_to_drop_drizzles_migration_table(project: Project, db_url: DatabaseURL) -> None:
    push(project.config, db_url)
    sql(db_url.url, "CREATE TABLE __drizzle_migrations (id integer PRIMARY KEY, hash text NOT NULL)")
    again = push(project.config, db_url)
    assert again.plan.empty
    assert "__drizzle_migrations" in tables(db_url.url)


def test_a_push_leaves_the_tables_of_tables_filter_alone(project: Project, db_url: DatabaseURL) -> None:
    push(project.config, db_url)
    sql(db_url.url, "CREATE TABLE legacy_log (id integer PRIMARY KEY)")
    sql(db_url.url, "INSERT INTO legacy_log VALUES (1)")
    with pytest.raises(MizzleError, match=r"push would lose data: drop table legacy_log \(1 row\)"):
        push(project.config, db_url)
    with (project.root / "mizzle.toml").open("a") as toml:
        toml.write('tables_filter = ["!legacy_*"]\n')
    assert push(project.config, db_url).plan.empty
    project.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    done = push(project.config, db_url)  # a change in a managed table applies, the other table stays
    assert done.applied
    assert "mood" in columns(db_url.url, "tune")
    assert sql(db_url.url, "SELECT id FROM legacy_log") == [(1,)]


def test_a_schema_declaring_a_table_the_filter_leaves_out_is_refused(project: Project, db_url: DatabaseURL) -> None:
    with (project.root / "mizzle.toml").open("a") as toml:
        toml.write('tables_filter = ["!play*"]\n')
    with pytest.raises(MizzleError, match=r"^the schema declares playlist, which tables_filter in .* leaves out"):
        push(project.config, db_url)
