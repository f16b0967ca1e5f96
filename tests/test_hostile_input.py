"""Hostile names and literals (issue 9): whatever a schema, or a database being pulled, names
its objects and writes in its literals, mizzle writes migration files that run exactly the
statements they list, on both databases, and a sentinel table's rows survive every run.

The property suite (`hostile` marker) generates identifiers and literals from any Unicode
mixed with quotes, newlines, `--`, `;`, `$$`, `{count}`, `%s` and the file format's own
markers (`--> statement-breakpoint`, `-- mizzle:...`), writes them as a DSL or a `.sql`
schema, and runs the real commands: generate → migrate (PostgreSQL and SQLite) → check →
rollback → migrate → pull → generate again, which must find nothing to do. Its cost is
bounded for CI (derandomized, no example database; MIZZLE_HOSTILE_EXAMPLES sets how many
examples, default 8; MIZZLE_HOSTILE_SHRINK=1 shrinks a failure, slowly): `pytest -m hostile`
runs it alone, `-m 'not hostile'` skips it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mizzle.cli.app import main
from mizzle.core.quoting import quoted_name, text_literal
from tests.pg import fresh_database

#: pieces every generated name and literal is made of, besides arbitrary Unicode
MARKERS = [
    '"',
    "'",
    "''",
    "--",
    ";",
    "--> statement-breakpoint",
    "-- mizzle:guard ",
    "-- mizzle:no-transaction",
    "-- mizzle:foreign-keys-off",
    "-- warnings:",
    "$$",
    "$x$",
    "/*",
    "*/",
    "\\",
    "{count}",
    "{",
    "%s",
    "%",
    " ",
    "é",
    "🎻",
]
#: what a literal may hold besides: line ends of every kind, and statements to smuggle in
LITERAL_MARKERS = [
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\x85",
    "\t",
    "\n--> statement-breakpoint\n",
    "\n-- mizzle:no-transaction\n",
    "\nDELETE FROM sentinel;\n",
    "');DELETE FROM sentinel;--",
]

_NAME_CHARS = st.characters(exclude_categories=("Cc", "Zl", "Zp", "Cs"))
_TEXT_CHARS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")


def _fits(name: str) -> bool:
    """A name both databases take as it is, leaving room for the names derived from it."""
    folded = name.casefold()
    return (
        0 < len(name.encode()) <= 40
        and not folded.startswith(("sqlite_", "__mizzle"))
        and folded not in ("sentinel", "id", "mood")
    )


names = st.lists(st.one_of(st.sampled_from(MARKERS), st.text(_NAME_CHARS, max_size=3)), min_size=1, max_size=4).map(
    "".join
)
literals = st.lists(
    st.one_of(st.sampled_from(MARKERS + LITERAL_MARKERS), st.text(_TEXT_CHARS, max_size=3)), max_size=5
).map("".join)


@dataclass(frozen=True)
class Hostile:
    table: str
    column: str
    enum: str
    view: str
    values: tuple[str, str]
    default: str
    forbidden: str
    as_sql: bool
    #: a sync table (DSL only): its triggers carry the names too
    sync: bool

    def dsl(self) -> str:
        check = f"{quoted_name(self.column)} IS DISTINCT FROM {text_literal(self.forbidden)}"
        return textwrap.dedent(
            f"""\
            from mizzle.dsl import Enum, Table, View, check, index, serial, sql, text

            class Sentinel(Table):
                id = serial().primary_key()
                note = text()

            Hostile = Enum({self.enum!r}, {list(self.values)!r})

            class Evil(Table):
                __tablename__ = {self.table!r}
                id = serial().primary_key()
                c = text().name({self.column!r}).default({self.default!r})
                mood = Hostile.column()
                __indexes__ = [index({self.column!r})]
                __checks__ = [check({check!r})]
                __sync__ = {self.sync!r}

            Seen = View({self.view!r}, sql({self.view_sql()!r}))
            """
        )

    def view_sql(self) -> str:
        return f"SELECT {quoted_name(self.column)} FROM {quoted_name(self.table)}"

    def ddl(self) -> str:
        table, column = quoted_name(self.table), quoted_name(self.column)
        values = ", ".join(text_literal(v) for v in self.values)
        return (
            "CREATE TABLE sentinel (id serial PRIMARY KEY, note text);\n"
            f"CREATE TYPE {quoted_name(self.enum)} AS ENUM ({values});\n"
            f"CREATE TABLE {table} (id serial PRIMARY KEY, {column} text DEFAULT {text_literal(self.default)}, "
            f"mood {quoted_name(self.enum)}, CHECK ({column} IS DISTINCT FROM {text_literal(self.forbidden)}));\n"
            f"CREATE INDEX ON {table} ({column});\n"
            f"CREATE VIEW {quoted_name(self.view)} AS {self.view_sql()};\n"
        )


@st.composite
def hostile(draw: st.DrawFn) -> Hostile:
    picked = draw(st.lists(names.filter(_fits), min_size=4, max_size=4, unique_by=str.casefold))
    values = draw(st.lists(literals.filter(lambda v: 0 < len(v.encode()) <= 63), min_size=2, max_size=2, unique=True))
    default = draw(literals)
    forbidden = draw(literals.filter(lambda v: v != default))
    as_sql, sync = draw(st.booleans()), draw(st.booleans())
    pair = (values[0], values[1])
    return Hostile(*picked, values=pair, default=default, forbidden=forbidden, as_sql=as_sql, sync=sync)


# --- running the commands ---------------------------------------------------------------------


def mizzle(root: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(root / "mizzle.toml"), *args])
    return code, out.getvalue(), err.getvalue()


def ok(root: Path, *args: str) -> str:
    code, out, err = mizzle(root, *args)
    assert code == 0, f"mizzle {' '.join(args)}: {out}{err}"
    return out


def rows(url: str, query: str) -> list[tuple[object, ...]]:
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            return conn.execute(query).fetchall()
        finally:
            conn.close()
    with psycopg.connect(url, autocommit=True) as pg:
        return pg.execute(query.encode()).fetchall()


def execute(url: str, statement: str) -> None:
    if url.startswith("sqlite:"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute(statement)
        conn.close()
    else:
        with psycopg.connect(url, autocommit=True) as pg:
            pg.execute(statement.encode())


SENTINEL = [(1, "first"), (2, "second; DROP TABLE x"), (3, None)]


def sentinel(url: str) -> list[tuple[object, ...]]:
    return rows(url, "SELECT id, note FROM sentinel ORDER BY id")


@contextlib.contextmanager
def project(schema_file: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="mizzle-hostile-") as folder:
        root = Path(folder)
        (root / "mizzle.toml").write_text(
            f'schema = "{schema_file}"\nout = "migrations"\ndialects = ["postgresql", "sqlite"]\n'
        )
        yield root


def with_sentinel(root: Path, schema_file: str, urls: list[str]) -> None:
    """The first migration creates the sentinel table, which then gets its rows."""
    base = "CREATE TABLE sentinel (id serial PRIMARY KEY, note text);\n"
    if schema_file.endswith(".py"):
        base = "from mizzle.dsl import Table, serial, text\n\nclass Sentinel(Table):\n"
        base += "    id = serial().primary_key()\n    note = text()\n"
    (root / schema_file).write_text(base)
    ok(root, "generate", "--name", "sentinel")
    for url in urls:
        ok(root, "migrate", "--db", url)
        values = ", ".join(f"({i}, {text_literal(n) if n else 'NULL'})" for i, n in SENTINEL)
        execute(url, f"INSERT INTO sentinel (id, note) VALUES {values}")


# --- the property suite -------------------------------------------------------------------------

_EXAMPLES = int(os.environ.get("MIZZLE_HOSTILE_EXAMPLES", "8"))


@pytest.mark.hostile
@pytest.mark.postgres
@settings(
    max_examples=_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # Shrinking a failure through these commands takes many minutes: off in CI, where the
    # unshrunk example is reported; MIZZLE_HOSTILE_SHRINK=1 turns it on to get a small one.
    phases=list(Phase) if os.environ.get("MIZZLE_HOSTILE_SHRINK") else [Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(case=hostile())
def test_hostile_names_and_literals_run_as_written_and_spare_the_sentinel(case: Hostile) -> None:
    schema_file = "schema.sql" if case.as_sql else "schema.py"
    with project(schema_file) as root, fresh_database("mzh") as pg_url:
        lite_url = f"sqlite:///{root / 'device.db'}"
        urls = [pg_url, lite_url]
        with_sentinel(root, schema_file, urls)
        (root / schema_file).write_text(case.ddl() if case.as_sql else case.dsl())
        ok(root, "generate", "--name", "hostile")
        table, column = quoted_name(case.table), quoted_name(case.column)
        for url in urls:
            ok(root, "migrate", "--db", url)
            assert sentinel(url) == SENTINEL
            ok(root, "check", "--db", url)
            ok(root, "rollback", "--db", url, "--steps", "1")
            assert sentinel(url) == SENTINEL
            ok(root, "migrate", "--db", url)
            assert sentinel(url) == SENTINEL
        # the default literal went through the file exactly as written
        with psycopg.connect(pg_url, autocommit=True) as pg:
            pg.execute(f"INSERT INTO {table} DEFAULT VALUES".encode())
            assert pg.execute(f"SELECT {column} FROM {table}".encode()).fetchall() == [(case.default,)]
        conn = sqlite3.connect(lite_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute(f"INSERT INTO {table} DEFAULT VALUES")
        assert conn.execute(f"SELECT {column} FROM {table}").fetchall() == [(case.default,)]
        conn.close()
        # pulled back from PostgreSQL, the schema is the one declared: nothing to generate
        ok(root, "pull", "--db", pg_url, "--out", str(root / schema_file), "--force")
        assert ok(root, "generate", "--name", "again").startswith("no changes"), (root / schema_file).read_text()
        for url in urls:
            assert ok(root, "push", "--db", url).startswith("nothing to push")
            assert sentinel(url) == SENTINEL


# --- the cases, on both databases ----------------------------------------------------------

EVIL = "t\nDELETE FROM sentinel;\n--"


@pytest.fixture(params=["postgresql", "sqlite"])
def hostile_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A project whose schema is the sentinel table, and a database holding it with its rows
    and a table named to smuggle a DELETE into a migration file's header."""
    with project("schema.py") as root:
        if request.param == "sqlite":
            url = f"sqlite:///{root / 'device.db'}"
            with_sentinel(root, "schema.py", [url])
            execute(url, f"CREATE TABLE {quoted_name(EVIL)} (id integer)")
            yield root, url
        else:
            with fresh_database("mzh") as url:
                with_sentinel(root, "schema.py", [url])
                execute(url, f"CREATE TABLE {quoted_name(EVIL)} (id integer)")
                yield root, url


@pytest.mark.postgres
def test_push_drops_a_table_named_to_inject_sql_and_runs_nothing_else(hostile_db: tuple[Path, str]) -> None:
    root, url = hostile_db
    ok(root, "push", "--db", url, "--force")
    assert sentinel(url) == SENTINEL
    assert ok(root, "push", "--db", url).startswith("nothing to push")


@pytest.mark.postgres
def test_a_pulled_name_with_a_line_break_is_refused_before_anything_is_written(hostile_db: tuple[Path, str]) -> None:
    root, url = hostile_db
    ok(root, "pull", "--db", url, "--out", str(root / "schema.py"), "--force")
    code, _out, err = mizzle(root, "generate", "--name", "pulled")
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1
    assert 'table "t\\nDELETE FROM sentinel;\\n--": a name cannot hold control characters' in err
    assert [p.name for p in (root / "migrations").iterdir() if p.is_dir()] == ["0001_sentinel"]


@pytest.mark.postgres
def test_a_literal_holding_breakpoints_and_statements_is_stored_as_written(hostile_db: tuple[Path, str]) -> None:
    root, url = hostile_db
    value = "x');\n--> statement-breakpoint\nDELETE FROM sentinel;\n-- mizzle:no-transaction\r\n"
    value += "--> statement-breakpoint\n"
    (root / "schema.py").write_text(
        "from mizzle.dsl import Table, serial, text\n\nclass Sentinel(Table):\n"
        f"    id = serial().primary_key()\n    note = text().default({value!r})\n"
    )
    ok(root, "generate", "--name", "note_default")
    ok(root, "migrate", "--db", url)
    assert sentinel(url) == SENTINEL
    execute(url, "INSERT INTO sentinel (id) VALUES (4)")
    assert rows(url, "SELECT note FROM sentinel WHERE id = 4") == [(value,)]
