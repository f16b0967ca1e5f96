"""Code the database runs (functions, triggers, extensions: `core/routines.py`) through push,
generate, migrate and rollback, on both databases with rows: made, found unchanged by a second
push, replaced when its text changes (CREATE OR REPLACE; the down puts the old one back), kept
through a SQLite rebuild of the table it is on (rows kept, the trigger still fires)."""

from __future__ import annotations

import pytest

from mizzle.app.generate import generate
from mizzle.app.migrate import migrate, rollback
from mizzle.app.push import push
from mizzle.core.urls import DatabaseURL
from tests.app.conftest import Project
from tests.cli.project import columns, sql
from tests.pg import need_extensions

SCHEMA = '''
from mizzle.dsl import Table, extension, function, integer, serial, text, trigger

class Tune(Table):
    id = serial().primary_key()
    title = text().not_null()
    plays = integer().not_null().default(0)

Crypto = extension("pgcrypto")
Bump = function("""
CREATE OR REPLACE FUNCTION public.bump()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  NEW.plays = NEW.plays + 1;
  RETURN NEW;
END
$function$""")
Bumped = trigger(
    "tune_bumped",
    Tune,
    postgresql="CREATE TRIGGER tune_bumped BEFORE INSERT ON public.tune FOR EACH ROW EXECUTE FUNCTION bump()",
    sqlite=SQLITE_BUMP,
)
'''
SQLITE_BUMP = (
    "CREATE TRIGGER tune_bumped AFTER INSERT ON tune BEGIN UPDATE tune SET plays = plays + 1 WHERE id = new.id; END"
)
SCHEMA = SCHEMA.replace("sqlite=SQLITE_BUMP", f"sqlite={SQLITE_BUMP!r}")


@pytest.fixture
def coded(project: Project, db_url: DatabaseURL) -> Project:
    if db_url.dialect == "postgresql":
        need_extensions(db_url.url, "pgcrypto")  # the schema's extension: a contrib module
    project.write_schema(SCHEMA)
    return project


def _plays(url: str) -> list[tuple[object, ...]]:
    return sql(url, "SELECT title, plays FROM tune ORDER BY id")


def test_push_makes_the_code_and_a_second_push_finds_nothing(coded: Project, db_url: DatabaseURL) -> None:
    done = push(coded.config, db_url)
    described = [op.describe() for op in done.plan.operations]
    if db_url.dialect == "postgresql":
        assert "create extension pgcrypto" in described
        assert "create function public.bump() (plpgsql, volatile)" in described
    assert described[-1] == "create trigger tune_bumped on tune"
    sql(db_url.url, "INSERT INTO tune (title) VALUES ('reel')")
    assert _plays(db_url.url) == [("reel", 1)]  # the trigger fired
    again = push(coded.config, db_url)
    assert again.plan.empty, again.plan.script()


def test_a_changed_function_is_replaced_and_a_changed_trigger_made_again(coded: Project, db_url: DatabaseURL) -> None:
    push(coded.config, db_url)
    coded.edit_schema("NEW.plays + 1", "NEW.plays + 10")
    coded.edit_schema("SET plays = plays + 1", "SET plays = plays + 10")
    done = push(coded.config, db_url)
    described = [op.describe() for op in done.plan.operations]
    if db_url.dialect == "postgresql":  # its trigger's text is the same: only the function changes
        assert described == ["replace function public.bump() (plpgsql, volatile)"]
    else:  # SQLite's trigger holds the code itself: made again
        assert described == ["drop trigger tune_bumped on tune", "create trigger tune_bumped on tune"]
    sql(db_url.url, "INSERT INTO tune (title) VALUES ('jig')")
    assert _plays(db_url.url) == [("jig", 10)]
    assert push(coded.config, db_url).plan.empty


def test_a_rebuild_keeps_the_tables_triggers_and_rows(coded: Project, db_url: DatabaseURL) -> None:
    push(coded.config, db_url)
    sql(db_url.url, "INSERT INTO tune (title) VALUES ('reel'), ('jig')")
    # a CHECK: SQLite rebuilds the table; its trigger must come back, and the rows stay
    plays = "    plays = integer().not_null().default(0)\n"
    coded.edit_schema(plays, plays + "    __checks__ = (check('plays >= 0'),)\n")
    coded.edit_schema("from mizzle.dsl import Table,", "from mizzle.dsl import Table, check,")
    done = push(coded.config, db_url)
    assert [op.describe() for op in done.plan.operations] == ["add check tune_plays_check on tune: plays >= 0"]
    assert _plays(db_url.url) == [("reel", 1), ("jig", 1)]
    sql(db_url.url, "INSERT INTO tune (title) VALUES ('air')")
    assert _plays(db_url.url)[-1] == ("air", 1)  # the trigger still fires
    assert push(coded.config, db_url).plan.empty


def test_a_dropped_trigger_and_function_go_and_a_trigger_for_one_database_stays_there(
    coded: Project, db_url: DatabaseURL
) -> None:
    push(coded.config, db_url)
    text = coded.schema.read_text()
    start = text.index("Bumped = trigger(")
    sqlite_only = f'Bumped = trigger("tune_bumped", Tune, sqlite={SQLITE_BUMP!r})\n'
    coded.schema.write_text(text[:start] + sqlite_only)
    done = push(coded.config, db_url)
    sql(db_url.url, "INSERT INTO tune (title) VALUES ('reel')")
    if db_url.dialect == "postgresql":
        assert "drop trigger tune_bumped on tune" in [op.describe() for op in done.plan.operations]
        assert _plays(db_url.url) == [("reel", 0)]  # a SQLite trigger is not PostgreSQL's
    else:
        assert done.plan.empty  # SQLite holds the same trigger
        assert _plays(db_url.url) == [("reel", 1)]
    coded.schema.write_text(text[: text.index("Bump = function(")])
    done = push(coded.config, db_url)
    if db_url.dialect == "postgresql":
        assert [op.describe() for op in done.plan.operations] == ["drop function public.bump()"]
    else:
        assert [op.describe() for op in done.plan.operations] == ["drop trigger tune_bumped on tune"]
    assert push(coded.config, db_url).plan.empty


def test_generate_migrate_and_rollback_carry_the_code_and_its_old_definition(
    coded: Project, db_url: DatabaseURL
) -> None:
    generate(coded.config, name="init")
    migrate(db_url, coded.folder)
    coded.edit_schema("NEW.plays + 1", "NEW.plays + 5")
    coded.edit_schema("SET plays = plays + 1", "SET plays = plays + 5")
    generate(coded.config, name="more")
    migrate(db_url, coded.folder)
    sql(db_url.url, "INSERT INTO tune (title) VALUES ('reel')")
    assert _plays(db_url.url) == [("reel", 5)]
    rollback(db_url, coded.folder, steps=1, force=True)
    sql(db_url.url, "INSERT INTO tune (title) VALUES ('jig')")
    assert _plays(db_url.url)[-1] == ("jig", 1)  # the old definition is back
    assert "plays" in columns(db_url.url, "tune")


def test_generate_says_which_triggers_one_database_alone_has(coded: Project) -> None:
    text = coded.schema.read_text()
    start = text.index("Bumped = trigger(")
    coded.schema.write_text(text[:start] + f'Bumped = trigger("tune_bumped", Tune, sqlite={SQLITE_BUMP!r})\n')
    done = generate(coded.config, name="init")
    assert done.path is not None
    for file in ("postgresql.sql", "down.postgresql.sql", "sqlite.sql", "down.sqlite.sql"):
        head = (done.path / file).read_text().splitlines()[:2]
        assert head[1] == "-- device-only: trigger tune_bumped on tune", (file, head)
    assert "CREATE TRIGGER" not in (done.path / "postgresql.sql").read_text()
    assert SQLITE_BUMP in (done.path / "sqlite.sql").read_text()
