"""Round trip, nothing excused (issue 11): every Supabase app and large schema of the corpus is
loaded (after its prelude) → `mizzle pull` to `.sql` and to `.py` → `mizzle export` → applied
to a fresh database (after the same prelude) → both databases compared through the catalogs
alone (`full_catalog.py`): columns, defaults, constraints, indexes, views, policies,
functions, triggers, grants, comments, sequences, in PostgreSQL's own text.

A database holding an object of a kind mizzle does not carry yet (domains, materialized
views, partitions, aggregates, code in the app's other schemas) cannot come back identical:
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
from tests.catalog import diff
from tests.corpus_apps import LARGE_SCHEMAS, SUPABASE_APPS, App, psql
from tests.pg import fresh_database
from tests.roundtrip.full_catalog import full_snapshot, not_carried

MIZZLE = str(Path(sys.executable).parent / "mizzle")
ALL = {**SUPABASE_APPS, **LARGE_SCHEMAS}

#: What each database holds that does not come back yet, by kind (what the comparison and
#: `not_carried` show for it), per database or per `database-format`. Strict: the day a
#: kind lands, its case says so.
KNOWN: dict[str, str] = {
    "adventureworks": (
        "a view reading a materialized view (sales.vsalespersonsalesbyfiscalyears) is left out, with its grant"
    ),
    "basejump": (
        "privileges the app took back from the platform's defaults (Basejump revokes EXECUTE on its functions "
        "from anon, and the default privilege): export, CREATE statements for an empty database, gives them back"
    ),
    "pagila": (
        "partitions (payment_p*, with their grants); the views film_list and nicer_but_slower_film_list are left "
        "out; the public schema's owner"
    ),
    "synapse-py": (
        "CHECK constraints declared on a column come back under PostgreSQL's default names in the .py "
        "(appservice_stream_position_lock_check as appservice_stream_position_check)"
    ),
}

#: The schemas whose SQLite export is refused, with the first problem named: PostgreSQL-only
#: functions in defaults and indexes, serial columns SQLite cannot auto-increment.
SQLITE_REFUSED = {
    "basejump": 'column "id", default: uuid_generate_v4() is not a SQLite function',
    "adventureworks": "SQLite can only auto-increment a single-column primary key",
    "danbooru": "to_tsvector() is not a SQLite function",
    "pagila": "SQLite can only auto-increment a single-column primary key",
    "subscriptions": "default: timezone() is not a SQLite function",
}

#: the databases that take more than a few seconds to load and compare
SLOW = {"danbooru", "synapse", "adventureworks", "onlook", "basejump"}


def mizzle(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *map(str, args)], capture_output=True, text=True, timeout=600, cwd=cwd)


def _cases() -> list[object]:
    cases = []
    for name in sorted(ALL):
        for fmt in ("sql", "py"):
            marks = [pytest.mark.postgres]
            if name in SLOW:
                marks.append(pytest.mark.slow)
            if reason := KNOWN.get(f"{name}-{fmt}") or KNOWN.get(name):
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
            cases.append(pytest.param(name, fmt, marks=marks, id=f"{name}-{fmt}"))
    return cases


def pull(app: App, url: str, out: Path) -> subprocess.CompletedProcess[str]:
    schemas = ("--schemas", ",".join(app.schemas)) if app.schemas != ("public",) else ()
    return mizzle("pull", "--db", url, "--out", out, *schemas)


@pytest.mark.parametrize(("name", "fmt"), _cases())
def test_pull_export_apply_gives_an_identical_database(name: str, fmt: str, tmp_path: Path) -> None:
    app = ALL[name]
    with fresh_database("rt") as original, fresh_database("rtcopy") as copy:
        app.load(original, tmp_path)
        missing = not_carried(original, app.schemas)
        schema_file = tmp_path / f"schema.{fmt}"
        pulled = pull(app, original, schema_file)
        assert pulled.returncode == 0, pulled.stderr
        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
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
    `pull` reads back, or is refused in one line naming what SQLite cannot hold. (The SQLite
    databases of the corpus: `tests/test_sqlite_corpus.py`.)"""
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
    if name in SQLITE_REFUSED:
        # one line naming the first problem, nothing written; the day these fit, this says so
        assert exported.returncode == 1 and exported.stdout == ""
        assert (
            exported.stderr.startswith("error: the schema does not fit sqlite: ") and exported.stderr.count("\n") == 1
        )
        assert SQLITE_REFUSED[name] in exported.stderr, exported.stderr
        return
    assert exported.returncode == 0, exported.stderr
    device = tmp_path / "device.db"
    with closing(sqlite3.connect(device)) as conn:
        conn.executescript(exported.stdout)
        tables = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()[0]
    back = tmp_path / "back.sql"
    pulled_back = mizzle("pull", "--db", f"sqlite:///{device}", "--out", back)
    assert pulled_back.returncode == 0, pulled_back.stderr
    assert tables > 0 and back.read_text(encoding="utf-8").count("CREATE TABLE") == tables
