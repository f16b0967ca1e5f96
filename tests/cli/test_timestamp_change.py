"""A column changed between timestamp and timestamptz keeps its values in the new type's
storage: PostgreSQL's cast converts them (session time zone UTC), and so does SQLite's
rebuild, into the documented text forms (`...Z` for timestamptz), in the up and down files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Mizzle
from tests.cli.project import Project, make_project, sql

SCHEMA = """
from mizzle.dsl import Table, serial, timestamp

class Visit(Table):
    id = serial().primary_key()
    at = timestamp()
"""

#: stored naive text → the timestamptz text it becomes (and the timestamp text it comes back as)
VALUES = [
    ("2024-01-01T10:00:00.123", "2024-01-01T10:00:00.123Z", "2024-01-01T10:00:00.123"),
    ("2024-01-01 10:00:00", "2024-01-01T10:00:00.000Z", "2024-01-01T10:00:00.000"),
    ("2024-02-29T23:59:59.5", "2024-02-29T23:59:59.500Z", "2024-02-29T23:59:59.500"),
    (None, None, None),
]


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    project = make_project(tmp_path / "app", mizzle)
    project.write_schema(SCHEMA)
    assert project("generate", "--name", "init").code == 0
    return project


def stored(url: str) -> list[object]:
    return [row[0] for row in sql(url, "SELECT at FROM visit ORDER BY id")]


def test_sqlite_converts_stored_timestamps_to_the_timestamptz_form_and_back(project: Project, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    assert project("migrate", "--db", url).code == 0
    for value, _, _ in VALUES:
        sql(url, "INSERT INTO visit (at) VALUES (%s)", (value,))
    project.edit_schema("at = timestamp()", "at = timestamptz()")
    project.edit_schema("serial, timestamp", "serial, timestamptz")
    assert project("generate", "--name", "at_with_time_zone").code == 0

    assert project("migrate", "--db", url).code == 0
    assert stored(url) == [tz for _, tz, _ in VALUES]
    assert project("check", "--db", url).code == 0

    assert project("rollback", "--db", url).code == 0
    assert stored(url) == [naive for _, _, naive in VALUES]


def test_postgresql_converts_them_alike(project: Project, pg_url: str) -> None:
    assert project("migrate", "--db", pg_url).code == 0
    for value, _, _ in VALUES:
        sql(pg_url, "INSERT INTO visit (at) VALUES (%s)", (value,))
    project.edit_schema("at = timestamp()", "at = timestamptz()")
    project.edit_schema("serial, timestamp", "serial, timestamptz")
    assert project("generate", "--name", "at_with_time_zone").code == 0
    assert project("migrate", "--db", pg_url).code == 0
    shown = "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM visit ORDER BY id"
    assert [row[0] for row in sql(pg_url, shown)] == [tz for _, tz, _ in VALUES]


def test_a_value_that_is_no_timestamp_stops_the_change_and_changes_nothing(project: Project, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    assert project("migrate", "--db", url).code == 0
    sql(url, "INSERT INTO visit (at) VALUES ('2024-01-01 10:00:00'), ('next tuesday')")
    project.edit_schema("at = timestamp()", "at = timestamptz()")
    project.edit_schema("serial, timestamp", "serial, timestamptz")
    assert project("generate", "--name", "at_with_time_zone").code == 0
    result = project("migrate", "--db", url)
    assert result.code == 1
    assert "cannot change visit.at from timestamp to timestamptz: 1 rows hold values that are not timestamps" in (
        result.err
    )
    assert stored(url) == ["2024-01-01 10:00:00", "next tuesday"]
