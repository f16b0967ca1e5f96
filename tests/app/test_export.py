"""`mizzle.app.export`: the schema's DDL for one database, returned as statements and notes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from mizzle.app import export as exporting
from mizzle.core.errors import UnsupportedError
from tests.app.conftest import Project


def test_the_sqlite_export_creates_the_schema_in_an_empty_database(project: Project, tmp_path: Path) -> None:
    exported = exporting.export(project.schema, "sqlite")
    assert exported.dialect == "sqlite"
    conn = sqlite3.connect(tmp_path / "e.db")
    try:
        conn.executescript(exported.script())
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")]
    finally:
        conn.close()
    assert names == ["playlist", "tune"]


def test_the_postgresql_export_creates_the_schema_in_an_empty_database(project: Project, pg_url: str) -> None:
    exported = exporting.export(project.schema, "postgresql")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(exported.script().encode())
        rows = conn.execute("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()
    assert [r[0] for r in rows] == ["playlist", "tune"]


def test_the_dialect_is_the_flag_else_the_configs_first_else_postgresql(project: Project) -> None:
    assert exporting.dialect_for("sqlite", project.config) == "sqlite"
    assert exporting.dialect_for(None, project.config) == "postgresql"
    (project.root / "mizzle.toml").write_text('schema = "schema.py"\ndialects = ["sqlite"]\n')
    assert exporting.dialect_for(None, project.config) == "sqlite"
    assert exporting.dialect_for(None, None) == "postgresql"


def test_sqlites_notes_say_what_it_holds_differently(project: Project) -> None:
    project.write_schema(
        """
        from mizzle.dsl import Table, bigserial, text

        class Tune(Table):
            id = bigserial().primary_key()
            title = text()
        """
    )
    assert exporting.export(project.schema, "postgresql").notes == ()
    assert exporting.export(project.schema, "sqlite").notes


def test_a_schema_the_dialect_cannot_hold_is_refused(project: Project) -> None:
    project.write_schema(
        """
        from mizzle.dsl import Table, serial

        class Stat(Table):
            __tablename__ = "sqlite_stat"
            id = serial().primary_key()
        """
    )
    assert exporting.export(project.schema, "postgresql").statements
    with pytest.raises(UnsupportedError, match="does not fit sqlite"):
        exporting.export(project.schema, "sqlite")
