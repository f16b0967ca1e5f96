"""Domains, standalone sequences, materialized views and aggregates (`core/pg_objects.py`)
through push, generate, migrate and rollback with rows, on both databases: PostgreSQL makes
and changes them (ALTER DOMAIN / ALTER SEQUENCE keep the columns' rows; a materialized view
is made again and filled), SQLite holds the tables alone (a domain column is its base type,
a nextval default is dropped) and the migration's header says what is server-only."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import psycopg
import pytest

from mizzle.app.generate import generate
from mizzle.app.migrate import migrate, rollback
from mizzle.app.push import push
from mizzle.core.urls import DatabaseURL
from mizzle.sources.load import load_schema
from tests.app.conftest import Project
from tests.cli.project import sql

SCHEMA = """
from mizzle.dsl import Table, aggregate, bigint, domain, integer, materialized_view, sequence, serial, sql, text

Positive = domain("positive", "integer", default="1", not_null=True, checks={"positive_check": "VALUE > 0"})
TicketNo = sequence("ticket_no", start=1000, increment=5)


class Stock(Table):
    id = serial().primary_key()
    name = text().not_null()
    qty = integer().domain("positive")
    ticket = bigint().default(sql("nextval('ticket_no'::regclass)"))  # no default on SQLite


Total = aggregate("CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0')")
StockTotals = materialized_view(
    "stock_totals",
    "SELECT stock.name, total(stock.qty) AS qty FROM stock GROUP BY stock.name",
    indexes=["CREATE UNIQUE INDEX stock_totals_name ON public.stock_totals USING btree (name)"],
)
"""


@pytest.fixture
def objects(project: Project) -> Project:
    project.write_schema(SCHEMA)
    return project


def _catalog(url: str) -> dict[str, object]:
    """What PostgreSQL holds of the four kinds, read from its catalogs."""
    with psycopg.connect(url) as conn:
        checks = conn.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contypid = 'positive'::regtype"
        ).fetchall()
        domain = conn.execute("SELECT typdefault, typnotnull FROM pg_type WHERE typname = 'positive'").fetchone()
        seq = conn.execute("SELECT seqstart, seqincrement FROM pg_sequence WHERE seqrelid = 'ticket_no'::regclass")
        column = conn.execute(
            "SELECT format_type(atttypid, NULL) FROM pg_attribute"
            " WHERE attrelid = 'stock'::regclass AND attname = 'qty'"
        ).fetchone()
        view = conn.execute("SELECT count(*) FROM pg_matviews WHERE matviewname = 'stock_totals'").fetchone()
        return {"checks": sorted(checks), "domain": domain, "sequence": seq.fetchone(), "column": column, "view": view}


def test_push_makes_them_and_a_second_push_finds_nothing(objects: Project, db_url: DatabaseURL) -> None:
    done = push(objects.config, db_url)
    described = [op.describe() for op in done.plan.operations]
    sql(db_url.url, "INSERT INTO stock (name, qty) VALUES ('nut', 3), ('nut', 4), ('bolt', 2)")
    if db_url.dialect == "postgresql":
        assert described[:2] == ["create domain positive", "create sequence ticket_no"]
        assert described[-2:] == ["create aggregate total(integer)", "create materialized view stock_totals"]
        assert _catalog(db_url.url) == {
            "checks": [("positive_check", "CHECK ((VALUE > 0))")],
            "domain": ("1", True),
            "sequence": (1000, 5),
            "column": ("positive",),
            "view": (1,),
        }
        assert sql(db_url.url, "SELECT ticket FROM stock ORDER BY id") == [(1000,), (1005,), (1010,)]
        sql(db_url.url, "REFRESH MATERIALIZED VIEW stock_totals")
        assert sql(db_url.url, "SELECT name, qty FROM stock_totals ORDER BY name") == [("bolt", 2), ("nut", 7)]
        with pytest.raises(psycopg.errors.CheckViolation):
            sql(db_url.url, "INSERT INTO stock (name, qty) VALUES ('bad', 0)")
    else:  # the table alone, its columns of their base types; the nextval default is PostgreSQL's
        assert described == ["create table stock"]
        conn = sqlite3.connect(db_url.sqlite_path or "")
        try:
            declared = [(r[1], r[2], r[4]) for r in conn.execute("PRAGMA table_info(stock)")]
        finally:
            conn.close()
        assert declared == [
            ("id", "INTEGER", None),
            ("name", "TEXT", None),
            ("qty", "INTEGER", None),
            ("ticket", "BIGINT", None),
        ]
    again = push(objects.config, db_url).plan
    assert again.empty, [op.describe() for op in again.plan.operations]


def test_changes_migrate_with_rows_kept_and_roll_back(objects: Project, db_url: DatabaseURL) -> None:
    generate(objects.config, name="init")
    migrate(db_url, objects.folder)
    sql(db_url.url, "INSERT INTO stock (name, qty, ticket) VALUES ('nut', 3, 1), ('bolt', 50, 2)")
    objects.edit_schema(
        'checks={"positive_check": "VALUE > 0"}', 'checks={"positive_check": "VALUE > 0", "small": "VALUE < 100"}'
    )
    objects.edit_schema('default="1"', 'default="2"')
    objects.edit_schema("start=1000, increment=5", "start=1000, increment=10")
    objects.edit_schema("total(stock.qty) AS qty", "total(stock.qty) AS qty, count(*) AS n")
    done = generate(objects.config, name="more")
    assert done.path is not None
    migrate(db_url, objects.folder)
    assert sql(db_url.url, "SELECT name, qty FROM stock ORDER BY name") == [("bolt", 50), ("nut", 3)]
    if db_url.dialect == "postgresql":
        up = (done.path / "postgresql.sql").read_text()
        assert "ALTER DOMAIN positive ADD CONSTRAINT small CHECK (value < 100)" in up
        assert "ALTER DOMAIN positive SET DEFAULT 2" in up
        assert "ALTER SEQUENCE ticket_no" in up and "INCREMENT BY 10" in up
        after = _catalog(db_url.url)
        assert after["checks"] == [("positive_check", "CHECK ((VALUE > 0))"), ("small", "CHECK ((VALUE < 100))")]
        assert after["domain"] == ("2", True)
        assert after["sequence"] == (1000, 10)
        assert sql(db_url.url, "SELECT name, qty, n FROM stock_totals ORDER BY name") == [
            ("bolt", 50, 1),
            ("nut", 3, 1),
        ]
    else:
        head = (done.path / "sqlite.sql").read_text().splitlines()[1]
        assert head == "-- server-only: 1 materialized view, 1 domain, 1 sequence: PostgreSQL only, not on SQLite", head
    rollback(db_url, objects.folder, steps=1, force=True)
    assert sql(db_url.url, "SELECT name, qty FROM stock ORDER BY name") == [("bolt", 50), ("nut", 3)]
    if db_url.dialect == "postgresql":
        before = _catalog(db_url.url)
        assert before["checks"] == [("positive_check", "CHECK ((VALUE > 0))")]
        assert before["domain"] == ("1", True)
        assert before["sequence"] == (1000, 5)
        columns = sql(
            db_url.url, "SELECT attname FROM pg_attribute WHERE attrelid = 'stock_totals'::regclass AND attnum > 0"
        )
        assert sorted(c for (c,) in columns) == ["name", "qty"]


def test_dropping_them_goes_before_what_they_read_and_comes_back_on_rollback(
    objects: Project, db_url: DatabaseURL
) -> None:
    generate(objects.config, name="init")
    migrate(db_url, objects.folder)
    sql(db_url.url, "INSERT INTO stock (name, qty, ticket) VALUES ('nut', 3, 1)")
    text = objects.schema.read_text()
    for gone in (
        'Positive = domain("positive", "integer", default="1", not_null=True, checks={"positive_check": "VALUE > 0"})',
        'TicketNo = sequence("ticket_no", start=1000, increment=5)',
        '.domain("positive")',
        """.default(sql("nextval('ticket_no'::regclass)"))""",
    ):
        assert gone in text, gone
        text = text.replace(gone, "")
    objects.schema.write_text(text[: text.index("Total = aggregate(")])
    done = generate(objects.config, name="drop")
    assert done.path is not None
    migrate(db_url, objects.folder)
    assert sql(db_url.url, "SELECT name, qty FROM stock") == [("nut", 3)]
    if db_url.dialect == "postgresql":
        assert sql(db_url.url, "SELECT count(*) FROM pg_type WHERE typname = 'positive'") == [(0,)]
        assert sql(db_url.url, "SELECT count(*) FROM pg_matviews") == [(0,)]
        assert sql(db_url.url, "SELECT count(*) FROM pg_class WHERE relname = 'ticket_no'") == [(0,)]
    rollback(db_url, objects.folder, steps=1, force=True)
    assert sql(db_url.url, "SELECT name, qty FROM stock") == [("nut", 3)]
    if db_url.dialect == "postgresql":
        assert _catalog(db_url.url)["column"] == ("positive",)
        assert sql(db_url.url, "SELECT count(*) FROM pg_matviews") == [(1,)]
        assert sql(db_url.url, "SELECT total(qty) FROM stock") == [(3,)]


def test_the_example_of_schema_md_loads(tmp_path: Path) -> None:
    text = (Path(__file__).parents[2] / "docs" / "schema.md").read_text()
    section = text.split("### Domains, sequences, materialized views and aggregates", 1)[1]
    (block,) = re.findall(r"```py\n(.*?)```", section.split("\n### ", 1)[0], flags=re.DOTALL)
    (tmp_path / "schema.py").write_text(block)
    schema = load_schema(tmp_path / "schema.py").schema
    assert [d.name for d in schema.domains] == ["positive"]
    assert [q.name for q in schema.sequences] == ["ticket_no"]
    assert [a.label for a in schema.aggregates] == ["total(integer)"]
    assert [(m.name, m.with_data) for m in schema.materialized_views] == [("stock_totals", True)]
    stock = schema.table("stock")
    assert stock is not None and [c.domain for c in stock.columns] == [None, "positive", None]


#: one of each kind, written by hand (PostgreSQL prints it back its own way)
LOADED = """
CREATE DOMAIN "Name" AS varchar(50);
CREATE DOMAIN positive AS integer DEFAULT 1 NOT NULL CONSTRAINT positive_check CHECK (VALUE > 0);
CREATE SEQUENCE ticket_no AS integer START WITH 1000 INCREMENT BY 5 MAXVALUE 900000 CACHE 10 CYCLE;
CREATE TABLE stock (id integer PRIMARY KEY, name "Name", qty positive,
                    ticket integer DEFAULT nextval('ticket_no'), o bigint);
CREATE SEQUENCE owned_no OWNED BY stock.o;
CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0');
CREATE MATERIALIZED VIEW stock_totals AS SELECT name, total(qty) AS qty FROM stock GROUP BY name;
CREATE UNIQUE INDEX stock_totals_name ON stock_totals (name);
CREATE MATERIALIZED VIEW stock_names AS SELECT name FROM stock_totals WITH NO DATA;
"""


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["py", "sql"])
def test_pull_export_apply_is_identical_and_push_after_pull_does_nothing(fmt: str, tmp_path: Path) -> None:
    from tests.catalog import diff, snapshot
    from tests.pg import fresh_database
    from tests.test_corpus_roundtrip import mizzle

    with fresh_database("pgo") as original, fresh_database("pgocopy") as copy:
        with psycopg.connect(original, autocommit=True) as conn:
            conn.execute(LOADED)
        schema_file = tmp_path / f"schema.{fmt}"
        pulled = mizzle("pull", "--db", original, "--out", schema_file)
        assert pulled.returncode == 0, pulled.stderr
        assert "not carried" not in pulled.stderr and "not modelled" not in pulled.stderr, pulled.stderr
        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
        assert exported.returncode == 0, exported.stderr
        with psycopg.connect(copy, autocommit=True) as conn:
            conn.execute(exported.stdout)
        before, after = snapshot(original), snapshot(copy)
        assert diff(before, after) == []
        kinds = {kind for kind, _ in after}
        assert {"domain", "domain column", "sequence", "materialized view", "aggregate"} <= kinds
        assert after[("sequence", "ticket_no")] == ["integer", 1000, 5, 1, 900000, 10, True, None]
        assert after[("sequence", "owned_no")][-1] == "stock.o"
        assert after[("materialized view", "stock_names")][1] is False  # WITH NO DATA

        (tmp_path / "mizzle.toml").write_text(f'schema = "schema.{fmt}"\ndialects = ["postgresql", "sqlite"]\n')
        dry = mizzle_in(tmp_path, "push", "--db", original, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "CREATE" not in dry.stdout and "ALTER" not in dry.stdout and "DROP" not in dry.stdout, dry.stdout

        # the SQLite side: the tables alone, applied and read back
        sqlite_ddl = mizzle("export", "--dialect", "sqlite", "--schema", schema_file)
        assert sqlite_ddl.returncode == 0, sqlite_ddl.stderr
        conn = sqlite3.connect(tmp_path / "device.db")
        try:
            conn.executescript(sqlite_ddl.stdout)
            declared = [(r[1], r[2], r[4]) for r in conn.execute("PRAGMA table_info(stock)")]
            assert [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == [
                "stock"
            ]
        finally:
            conn.close()
        # base types (as mizzle writes them for SQLite), no nextval default
        assert [(name, default) for name, _, default in declared] == [
            ("id", None),
            ("name", None),
            ("qty", None),
            ("ticket", None),
            ("o", None),
        ]
        assert [declared_type for _, declared_type, _ in declared] == DECLARED_ON_SQLITE


#: a sole integer primary key is INT there (not the rowid alias INTEGER PRIMARY KEY)
DECLARED_ON_SQLITE = ["INT", "VARCHAR(50)", "INTEGER", "INTEGER", "BIGINT"]


def mizzle_in(folder: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    import sys

    return subprocess.run(
        [str(Path(sys.executable).parent / "mizzle"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
    )
