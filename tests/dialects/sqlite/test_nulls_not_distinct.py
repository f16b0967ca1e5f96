"""PostgreSQL's UNIQUE NULLS NOT DISTINCT on SQLite, which has no such option (its UNIQUE keeps
NULLs distinct): held as a plain unique, said once in the projection notes and in the
migration's server-only line, never printed into SQLite's SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mizzle.core.diff import diff
from mizzle.core.migration_text import render_file
from mizzle.core.model import Column, Index, IndexKey, PrimaryKey, Schema, Table, Unique
from mizzle.core.side_notes import SideNote
from mizzle.core.types import t
from mizzle.dialects.sqlite import introspect, plan, project, render_schema
from tests.dialects.sqlite.test_plan import run

UNIQUE = Unique(name="w_p_n_key", columns=("p", "n"), nulls_not_distinct=True)
INDEX = Index(name="w_n_idx", keys=(IndexKey(column="n"),), unique=True, nulls_not_distinct=True)
PLAIN = Table(
    name="w",
    columns=(
        Column(name="id", type=t("integer"), nullable=False),
        Column(name="p", type=t("integer")),
        Column(name="n", type=t("text")),
    ),
    primary_key=PrimaryKey(name="w_pkey", columns=("id",)),
)
WITH_BOTH = Schema(tables=(PLAIN.model_copy(update={"uniques": (UNIQUE,), "indexes": (INDEX,)}),))


@pytest.fixture
def db(sqlite_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(sqlite_path, isolation_level=None)
    yield conn
    conn.close()


def test_the_projection_holds_a_plain_unique_and_says_so() -> None:
    held, notes = project(WITH_BOTH)
    w = held.tables[0]
    assert [u.nulls_not_distinct for u in w.uniques] == [False]
    assert [i.nulls_not_distinct for i in w.indexes] == [False]
    assert notes == [
        'table "w", unique "w_p_n_key": NULLS NOT DISTINCT is PostgreSQL only; SQLite lets NULL keys repeat',
        'table "w", index "w_n_idx": NULLS NOT DISTINCT is PostgreSQL only; SQLite lets NULL keys repeat',
    ]


def test_a_created_database_reads_back_as_the_projection(db: sqlite3.Connection) -> None:
    statements = render_schema(WITH_BOTH)
    assert not any("DISTINCT" in s for s in statements)
    for statement in statements:
        db.execute(statement)
    assert introspect(db).schema == project(WITH_BOTH)[0]
    # SQLite's UNIQUE: rows with NULL keys repeat
    db.execute("INSERT INTO w VALUES (1, NULL, NULL), (2, NULL, NULL)")


def test_the_migration_adding_it_runs_and_notes_it_once_as_server_only(db: sqlite3.Connection) -> None:
    before = Schema(tables=(PLAIN,))
    for statement in render_schema(before):
        db.execute(statement)
    p = plan(diff(before, WITH_BOTH), before, WITH_BOTH)
    assert p.notes == (SideNote("server-only", "2 NULLS NOT DISTINCT uniques: plain UNIQUE on SQLite"),)
    assert "-- server-only: 2 NULLS NOT DISTINCT uniques: plain UNIQUE on SQLite" in render_file(p, "add")
    assert not any("DISTINCT" in s for step in p.steps for s in step.statements)
    run(db, p)
    assert introspect(db).schema == project(WITH_BOTH)[0]
    run(db, p.down())
    assert introspect(db).schema == before
