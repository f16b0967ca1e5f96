"""Names over 63 bytes on PostgreSQL (issue 11): the model keeps the declared name, PostgreSQL
holds its first 63 bytes (cut at a character boundary, as the server cuts it), and reading the
database back under the declared names makes a second push a no-op. Two names cut to the
same one are refused in one line naming both, before anything runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from mizzle.core.model import Column, Index, IndexKey, Schema, Table
from mizzle.core.naming import pg_identifier
from mizzle.core.types import t
from mizzle.dialects.postgresql.capabilities import capability_problems
from mizzle.dialects.urls import parse_url
from tests.pg import fresh_database

MIZZLE = str(Path(sys.executable).parent / "mizzle")

TABLE = "player_statistics_of_the_season_with_a_table_name_longer_than_sixty_three_bytes"
COLUMN = "number_of_goals_scored_in_the_second_half_of_matches_played_away_from_home"
INDEX = "player_statistics_season_number_of_goals_scored_second_half_away_matches_idx"
FK = "player_statistics_of_the_season_team_id_references_the_team_table_id_fk"

SCHEMA = f'''
from mizzle.dsl import Table, index, integer, serial, text


class Team(Table):
    id = serial().primary_key()
    name = text().not_null()


class Stats(Table):
    __tablename__ = "{TABLE}"
    id = serial().primary_key()
    team_id = integer().not_null().references(lambda: Team.id, name="{FK}")
    {COLUMN} = integer().not_null().default(0)
    __indexes__ = [index("{COLUMN}", name="{INDEX}")]
'''


def mizzle(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "schema.py").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\ndialects = ["postgresql"]\n', encoding="utf-8")
    return tmp_path


def test_a_name_is_cut_to_63_bytes_at_a_character_boundary() -> None:
    assert pg_identifier("a" * 63) == "a" * 63
    assert pg_identifier("a" * 80) == "a" * 63
    # "é" is two bytes: 31 of them fill 62 bytes, and the 32nd would not fit whole
    assert pg_identifier("é" * 40) == "é" * 31


def catalog_names(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            """SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace
               UNION ALL SELECT attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                 WHERE c.relnamespace = 'public'::regnamespace AND a.attnum > 0
               UNION ALL SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace"""
        )
        return {row[0] for row in rows}


@pytest.mark.postgres
def test_push_creates_the_cut_names_and_a_second_push_has_nothing_to_do(project: Path) -> None:
    with fresh_database("long") as url:
        pushed = mizzle(project, "push", "--db", url)
        assert pushed.returncode == 0, pushed.stderr
        names = catalog_names(url)
        for name in (TABLE, COLUMN, INDEX, FK):
            assert len(name.encode()) > 63
            assert name[:63] in names and name not in names
        again = mizzle(project, "push", "--db", url, "--dry-run")
        assert again.returncode == 0, again.stderr
        assert again.stdout == f"nothing to push: {parse_url(url).redacted} matches the schema\n"


@pytest.mark.postgres
def test_a_migration_with_long_names_applies_and_leaves_no_drift(project: Path) -> None:
    generated = mizzle(project, "generate", "--name", "init")
    assert generated.returncode == 0, generated.stderr
    with fresh_database("longmig") as url:
        migrated = mizzle(project, "migrate", "--db", url)
        assert migrated.returncode == 0, migrated.stderr
        assert INDEX[:63] in catalog_names(url)
        again = mizzle(project, "push", "--db", url, "--dry-run")
        assert again.stdout == f"nothing to push: {parse_url(url).redacted} matches the schema\n", again.stderr


def test_two_names_cut_to_the_same_name_are_refused_naming_both() -> None:
    first, second = "x" * 63 + "_first", "x" * 63 + "_second"
    table = Table(
        name="t",
        columns=(Column(name="a", type=t("integer")),),
        indexes=(Index(name=first, keys=(IndexKey(column="a"),)), Index(name=second, keys=(IndexKey(column="a"),))),
    )
    assert capability_problems(Schema(tables=(table,))) == [
        f'schema public: "{first}" and "{second}" are both "{"x" * 63}" on PostgreSQL, which keeps the first '
        "63 bytes of a name: rename one"
    ]


@pytest.mark.postgres
def test_push_refuses_names_cut_to_the_same_one_and_changes_nothing(project: Path) -> None:
    twice = SCHEMA.replace(
        f'__indexes__ = [index("{COLUMN}", name="{INDEX}")]',
        f'__indexes__ = [index("{COLUMN}", name="{INDEX}"), index("team_id", name="{INDEX}_2")]',
    )
    (project / "schema.py").write_text(twice, encoding="utf-8")
    with fresh_database("longclash") as url:
        pushed = mizzle(project, "push", "--db", url)
        assert pushed.returncode != 0
        lines = pushed.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), pushed.stderr
        assert f'"{INDEX}" and "{INDEX}_2" are both "{INDEX[:63]}"' in lines[0]
        assert catalog_names(url) == set()
