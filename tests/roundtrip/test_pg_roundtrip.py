"""Round trip, nothing excused (issue 11): every Supabase app and large schema of the corpus is
loaded (after its prelude) → `mizzle pull` to `.sql` and to `.py` → `mizzle export` → applied
to a fresh database (after the same prelude) → both databases compared through the catalogs
alone (`full_catalog.py`): columns, defaults, constraints, indexes, views, policies,
functions, triggers, grants, comments, sequences, in PostgreSQL's own text.

A database holding an object of a kind mizzle does not carry yet cannot come back identical:
its case is a strict xfail naming those kinds, so that it turns red the day they are carried,
and the comparison is never weakened for it.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from mizzle.app.database import parse_url
from mizzle.core.diff import diff as schema_diff
from mizzle.core.model import Schema
from mizzle.core.types import SERIAL_KINDS
from mizzle.dialects import get_dialect
from mizzle.sources.load import load_schema
from tests.catalog import diff
from tests.corpus_apps import LARGE_SCHEMAS, SUPABASE_APPS, App, psql
from tests.pg import fresh_database
from tests.roundtrip.full_catalog import full_snapshot, not_carried

MIZZLE = str(Path(sys.executable).parent / "mizzle")
ALL = {**SUPABASE_APPS, **LARGE_SCHEMAS}

#: What each database holds that does not come back yet, by kind (what the comparison and
#: `not_carried` show for it), per database or per `database-format`. Strict: the day a
#: kind lands, its case says so.
KNOWN: dict[str, str] = {}

#: What the SQLite export of each schema says the server alone has, beyond the summary of its
#: PostgreSQL objects: a sample of each kind of line its header must hold (every difference is
#: checked against the device database in `_unsaid`).
SQLITE_HEADERS = {
    "basejump": [
        "-- server-only: default on basejump.accounts.primary_owner_user_id: auth.uid() (uid() is not a SQLite "
        "function; the app supplies the value on the device)",
        "-- server-only: trigger basejump_slugify_account_slug on basejump.accounts",
    ],
    "adventureworks": [
        "-- server-only: auto-increment of sales.salesorderdetail.salesorderdetailid (SQLite numbers only a sole "
        "primary key: the device must supply its values)",
        "-- server-only: view sales.vsalespersonsalesbyfiscalyearsdata (SQLite has no EXTRACT)",
    ],
    "danbooru": [
        "-- server-only: index index_comments_on_body_tsvector on comments (to_tsvector() is not a SQLite function)",
    ],
    "pagila": [
        "-- server-only: auto-increment of payment.payment_id (SQLite numbers only a sole primary key: the device "
        "must supply its values)",
        "-- server-only: view actor_info (SQLite has no array_agg())",
    ],
    "subscriptions": [
        "-- server-only: 33 default privileges, 3 grants, 5 row level security changes, 5 policies: "
        "PostgreSQL only, not on SQLite"
    ],
}

#: The schemas `pull --style sqlalchemy` refuses, in one line naming the first problem: SQLAlchemy
#: models reference tables by `schema.table` only when that table is declared in the same
#: metadata, and mizzle's writer does not yet declare other schemas' tables (the DSL and .sql
#: carry these databases whole, above).
SQLALCHEMY_REFUSED = {
    "adventureworks": 'SQLAlchemy cannot reference a name with a dot ("person.person"."businessentityid")',
    "basejump": 'SQLAlchemy cannot reference a name with a dot ("basejump.accounts"."id")',
    "onlook": "references auth.users, a table of another schema, which SQLAlchemy models cannot reference",
    "subscriptions": "references auth.users, a table of another schema, which SQLAlchemy models cannot reference",
}

#: the databases that take more than a few seconds to load and compare
SLOW = {"danbooru", "synapse", "adventureworks", "onlook", "basejump"}


def mizzle(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)


def _cases() -> list[object]:
    cases = []
    for name in sorted(ALL):
        for fmt in ("sql", "py", "sqlalchemy"):
            marks = [pytest.mark.postgres]
            if name in SLOW:
                marks.append(pytest.mark.slow)
            if reason := KNOWN.get(f"{name}-{fmt}") or KNOWN.get(name):
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            cases.append(pytest.param(name, fmt, marks=marks, id=f"{name}-{fmt}"))
    return cases


def pull(app: App, url: str, out: Path, *style: str) -> subprocess.CompletedProcess[str]:
    schemas = ("--schemas", ",".join(app.schemas)) if app.schemas != ("public",) else ()
    return mizzle("pull", "--db", url, "--out", out, *schemas, *style)


@pytest.mark.parametrize(("name", "fmt"), _cases())
def test_pull_export_apply_gives_an_identical_database(name: str, fmt: str, tmp_path: Path) -> None:
    app = ALL[name]
    with fresh_database("rt") as original, fresh_database("rtcopy") as copy:
        app.load(original, tmp_path)
        missing = not_carried(original, app.schemas)
        # sqlalchemy: declarative models (`pull --style sqlalchemy`), read back through their metadata
        schema_file = tmp_path / f"schema.{'py' if fmt == 'sqlalchemy' else fmt}"
        pulled = pull(app, original, schema_file, *(("--style", "sqlalchemy") if fmt == "sqlalchemy" else ()))
        if fmt == "sqlalchemy" and name in SQLALCHEMY_REFUSED:
            assert pulled.returncode == 1 and pulled.stderr.count("\n") == 1, pulled.stderr
            assert SQLALCHEMY_REFUSED[name] in pulled.stderr and "write this schema as a .py DSL" in pulled.stderr
            assert not schema_file.exists()
            return
        assert pulled.returncode == 0, pulled.stderr
        source = f"{schema_file}:Base.metadata" if fmt == "sqlalchemy" else schema_file
        exported = mizzle("export", "--dialect", "postgresql", "--schema", source)
        assert exported.returncode == 0, exported.stderr
        ddl = tmp_path / "export.sql"
        ddl.write_text(exported.stdout, encoding="utf-8")
        app.load_base(copy)
        psql(copy, ddl)
        differences = diff(full_snapshot(original, app.schemas), full_snapshot(copy, app.schemas))
        assert not missing and differences == [], f"not carried: {missing}\n{_summary(differences)}"


def _summary(differences: list[str]) -> str:
    """The differences by kind of object: how many, and the first few of each."""
    by_kind: dict[str, list[str]] = {}
    for line in differences:
        kind = line.split("(", 1)[1].split(",", 1)[0] if "(" in line else "?"
        by_kind.setdefault(kind, []).append(line)
    return "\n".join(f"{kind}: {len(lines)}\n  " + "\n  ".join(lines[:4]) for kind, lines in by_kind.items())


HISTORIES = {
    path.name: App(path.name, path) for path in sorted((ALL["onlook"].folder.parent.parent / "pg-histories").iterdir())
}


def _no_churn_cases() -> list[object]:
    cases = []
    for name in sorted(ALL) + sorted(HISTORIES):
        marks = [pytest.mark.postgres] + ([pytest.mark.slow] if name in SLOW else [])
        cases.append(pytest.param(name, marks=marks, id=name))
    return cases


@pytest.mark.parametrize("name", _no_churn_cases())
def test_pull_then_push_prints_nothing_and_the_sqlite_export_pulls_back(name: str, tmp_path: Path) -> None:
    """No churn: `push --dry-run` of the pulled schema against the database it came from plans
    no statement. And the schema's SQLite export applies to a fresh SQLite database, which
    `pull` reads back: what it holds is what the projection says the device should hold, every
    view runs, and what the device lacks of the server's schema is named in the script's header.
    (The SQLite databases of the corpus: `tests/test_sqlite_corpus.py`.)"""
    app = ALL.get(name) or HISTORIES[name]
    with fresh_database("churn") as original:
        app.load(original, tmp_path)
        schema_file = tmp_path / "schema.sql"
        pulled = pull(app, original, schema_file)
        assert pulled.returncode == 0, pulled.stderr
        schemas = f"schemas = [{', '.join(repr(s) for s in app.schemas if s != 'public')}]\n"
        (tmp_path / "mizzle.toml").write_text(f'schema = "schema.sql"\ndialects = ["postgresql"]\n{schemas}')
        pushed = mizzle("push", "--db", original, "--dry-run", cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout == f"nothing to push: {parse_url(original).redacted} matches the schema\n"

    exported = mizzle("export", "--dialect", "sqlite", "--schema", schema_file)
    assert exported.returncode == 0, exported.stderr
    header = [line for line in exported.stdout.split("\n\n", 1)[0].splitlines() if line.startswith("-- ")]
    assert all(line in header for line in SQLITE_HEADERS.get(name, [])), header
    device = tmp_path / "device.db"
    applied = subprocess.run(["sqlite3", "-bail", str(device)], input=exported.stdout, capture_output=True, text=True)
    assert applied.returncode == 0, applied.stderr
    # introspected back, the device holds what the projection says it should, and what it
    # lacks of the server's schema is named in the header
    schema = load_schema(schema_file).schema
    sqlite = get_dialect("sqlite")
    with closing(sqlite3.connect(device)) as conn:
        held = sqlite.introspect(conn).schema
        for view in held.views:  # every view the device has runs there
            conn.execute(f"SELECT * FROM {sqlite.quote_ident(view.name)} LIMIT 0")
    assert [op.describe() for op in schema_diff(sqlite.project(schema)[0], held)] == []
    assert _unsaid(schema, held, header) == []
    back = tmp_path / "back.sql"
    pulled_back = mizzle("pull", "--db", f"sqlite:///{device}", "--out", back)
    assert pulled_back.returncode == 0, pulled_back.stderr
    assert held.tables and back.read_text(encoding="utf-8").count("CREATE TABLE") == len(held.tables)
    _generate_for_both_gives_the_same_device(schema_file, tmp_path / "both", header, held)


def _generate_for_both_gives_the_same_device(schema_file: Path, project: Path, header: list[str], held: Schema) -> None:
    """A project targeting both databases: its first migration for SQLite says what the export
    says and, applied by `migrate`, makes the same device database."""
    project.mkdir()
    (project / "schema.sql").write_bytes(schema_file.read_bytes())
    (project / "mizzle.toml").write_text('schema = "schema.sql"\ndialects = ["postgresql", "sqlite"]\n')
    generated = mizzle("generate", "--name", "init", cwd=project)
    assert generated.returncode == 0, generated.stderr
    (folder,) = (project / "migrations").glob("0001_init")
    lines = (folder / "sqlite.sql").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith(("-- server-only:", "-- device-only:"))] == header
    migrated = mizzle("migrate", "--db", "sqlite:///device.db", cwd=project)
    assert migrated.returncode == 0, migrated.stderr
    with closing(sqlite3.connect(project / "device.db")) as conn:
        made = get_dialect("sqlite").introspect(conn).schema
    assert [op.describe() for op in schema_diff(held, made)] == []


def _unsaid(schema: Schema, device: Schema, header: list[str]) -> list[str]:
    """What the server's schema has and the device database does not, that no header line names:
    an index, CHECK or view left out, a default dropped, a serial the device must number."""
    text = "\n".join(header)
    unsaid = [f"view {v.name}" for v in schema.views if device.view(v.name) is None and f"view {v.name} " not in text]
    for table in schema.tables:
        held = device.table(table.name)
        assert held is not None, table.name
        names = {i.name for i in held.indexes} | {c.name for c in held.checks}
        unsaid += [f"index {i.name}" for i in table.indexes if i.name not in names and f"index {i.name} on" not in text]
        unsaid += [f"check {c.name}" for c in table.checks if c.name not in names and f"check {c.name} on" not in text]
        for column in table.columns:
            there = held.column(column.name)
            assert there is not None, (table.name, column.name)
            place = f"{table.name}.{column.name}"
            nextval = "nextval" in str(getattr(column.default, "expr", ""))
            if column.default is not None and there.default is None and not nextval:
                unsaid += [] if f"default on {place}:" in text else [f"default on {place}"]
            if column.type.kind in SERIAL_KINDS and there.type.kind not in SERIAL_KINDS:
                unsaid += [] if f"auto-increment of {place} " in text else [f"auto-increment of {place}"]
    return unsaid
