"""A SQLite database another tool made, kept as it is (`dialects/sqlite/spelling.py`): declared
types, DEFAULT texts and AUTOINCREMENT survive pull, push and table rebuilds; other tables'
triggers do not break a rebuild; the texts mizzle writes verbatim are proven to be one type
or one expression first."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mizzle.core.errors import UnsupportedError
from mizzle.core.model import Column, NowDefault, PrimaryKey, Schema, Table
from mizzle.core.types import t
from mizzle.dialects import get_dialect
from mizzle.dialects.sqlite.spelling import default_clause, type_problem
from mizzle.sources.dsl.codegen import schema_to_python
from mizzle.sources.load import load_schema
from mizzle.sources.sql.reader import parse_ddl

MIZZLE = str(Path(sys.executable).parent / "mizzle")

#: The issue's database: drizzle-style declared types and defaults, AUTOINCREMENT, a trigger
#: on one table that writes to another.
APP = """
CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(255) NOT NULL,
  age INT,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  seen integer DEFAULT (unixepoch())
);
CREATE TABLE logs (id INTEGER PRIMARY KEY, msg TEXT);
CREATE TRIGGER users_insert AFTER INSERT ON users BEGIN INSERT INTO logs (msg) VALUES ('new'); END;
INSERT INTO users (name) VALUES ('a'), ('b'), ('c');
DELETE FROM users WHERE id = 3;
"""


def mizzle(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


@pytest.fixture
def app(tmp_path: Path) -> Path:
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.executescript(APP)
    conn.close()
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\ndialects = ["sqlite"]\n', encoding="utf-8")
    return tmp_path


def _one(path: Path, query: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(query).fetchone()
    finally:
        conn.close()


def test_pull_keeps_the_spellings_and_push_has_nothing_to_do(app: Path) -> None:
    assert mizzle(app, "pull", "--db", "sqlite:///app.db", "-o", "schema.py").returncode == 0
    text = (app / "schema.py").read_text(encoding="utf-8")
    assert '.sqlite(type="DATETIME", default="CURRENT_TIMESTAMP")' in text
    assert ".sqlite(autoincrement=True)" in text
    assert '.sqlite(default="unixepoch()")' in text
    assert '.sqlite(type="INT")' in text
    pushed = mizzle(app, "push", "--db", "sqlite:///app.db", "--dry-run")
    assert pushed.stdout == "nothing to push: sqlite:///app.db matches the schema\n", pushed.stderr


def test_a_rebuild_keeps_declared_types_defaults_and_the_autoincrement_counter(app: Path) -> None:
    """The issue: a rebuild wrote TIMESTAMP_TEXT and strftime(...) (new rows changed format)
    and lost AUTOINCREMENT (the id of the deleted row 3 came back)."""
    conn = sqlite3.connect(app / "app.db")
    conn.execute("DROP TRIGGER users_insert")  # a trigger on the rebuilt table is refused, see below
    conn.commit()
    conn.close()
    assert mizzle(app, "pull", "--db", "sqlite:///app.db", "-o", "schema.py").returncode == 0
    schema = app / "schema.py"
    schema.write_text(schema.read_text(encoding="utf-8").replace("varchar(255).not_null()", "varchar(255)"))
    pushed = mizzle(app, "push", "--db", "sqlite:///app.db")
    assert pushed.returncode == 0, pushed.stderr
    sql = _one(app / "app.db", "SELECT sql FROM sqlite_master WHERE name = 'users'")
    assert sql is not None
    assert "created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP" in str(sql[0])
    assert "age INT," in str(sql[0])
    assert "PRIMARY KEY AUTOINCREMENT" in str(sql[0])
    assert "DEFAULT (unixepoch())" in str(sql[0])
    conn = sqlite3.connect(app / "app.db")
    conn.execute("INSERT INTO users (name) VALUES ('d')")
    conn.commit()
    new_id, created = conn.execute("SELECT id, created_at FROM users WHERE name = 'd'").fetchone()
    conn.close()
    assert new_id == 4  # not 3: the deleted row's id is not handed out again
    assert len(created) == 19 and created[10] == " "  # CURRENT_TIMESTAMP's 'YYYY-MM-DD HH:MM:SS'
    again = mizzle(app, "push", "--db", "sqlite:///app.db", "--dry-run")
    assert again.stdout == "nothing to push: sqlite:///app.db matches the schema\n", again.stderr


def test_a_trigger_of_another_table_reading_the_rebuilt_table_does_not_break_it(app: Path) -> None:
    """Rebuilding `logs`, which the trigger on `users` writes to, failed at the rename:
    `error in trigger users_insert: no such table: main.logs`."""
    assert mizzle(app, "pull", "--db", "sqlite:///app.db", "-o", "schema.py").returncode == 0
    schema = app / "schema.py"
    schema.write_text(schema.read_text(encoding="utf-8").replace("msg = text()", "msg = text().not_null()"))
    pushed = mizzle(app, "push", "--db", "sqlite:///app.db")
    assert pushed.returncode == 0, pushed.stderr
    conn = sqlite3.connect(app / "app.db")
    conn.execute("INSERT INTO users (name) VALUES ('e')")  # the trigger still works
    assert conn.execute("SELECT count(*) FROM logs").fetchone() == (4,)
    conn.close()


def test_drizzle_history_is_not_pulled(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.execute('CREATE TABLE "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)')
    conn.execute("CREATE TABLE t (a TEXT)")
    conn.close()
    read = get_dialect("sqlite").introspect(sqlite3.connect(tmp_path / "app.db"))
    assert [tb.name for tb in read.schema.tables] == ["t"]


@pytest.mark.parametrize(
    "text",
    ["DATETIME) ; DROP TABLE users; --", "TEXT, evil TEXT", "INT /*", "INT -- x", "TEXT\nNOT NULL", "TEXT NOT NULL"],
)
def test_a_declared_type_that_is_not_one_type_is_refused(text: str) -> None:
    assert type_problem(text) is not None


@pytest.mark.parametrize(
    "text",
    ["1); DROP TABLE users; --", "1, evil TEXT", "abc", "1 -- x", "(1", "1) CHECK (1"],
)
def test_a_default_that_is_not_one_expression_is_refused(text: str) -> None:
    assert default_clause(text) is None


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("CURRENT_TIMESTAMP", "CURRENT_TIMESTAMP"),
        ("unixepoch()", "(unixepoch())"),
        ("'it''s'", "'it''s'"),
        ("-1", "-1"),
    ],
)
def test_a_default_is_written_back_as_sqlite_stores_it(text: str, clause: str) -> None:
    assert default_clause(text) == clause


def test_rendering_refuses_a_bad_text_with_one_line(tmp_path: Path) -> None:
    bad = Schema(tables=(Table(name="t", columns=(Column(name="a", type=t("text"), sqlite_type="TEXT, b INT"),)),))
    problems = get_dialect("sqlite").capability_problems(bad)
    assert problems == ['table "t", column "a": \'TEXT, b INT\' is not a SQLite declared type']
    with pytest.raises(UnsupportedError, match="is not a SQLite declared type"):
        get_dialect("sqlite").render_schema(bad)
    (tmp_path / "schema.py").write_text(
        "from mizzle.dsl import Table, text\n\n"
        'class T(Table):\n    a = text().sqlite(default="1); DROP TABLE t; --")\n',
        encoding="utf-8",
    )
    out = mizzle(tmp_path, "export", "--schema", "schema.py", "--dialect", "sqlite")
    assert out.returncode != 0
    assert out.stderr.startswith("error: ") and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


FIELD = Schema(
    tables=(
        Table(
            name="users",
            columns=(
                Column(name="id", type=t("serial"), nullable=False, sqlite_autoincrement=True),
                Column(name="age", type=t("integer"), sqlite_type="INT"),
                Column(
                    name="created_at",
                    type=t("timestamp"),
                    nullable=False,
                    sqlite_type="DATETIME",
                    sqlite_default="CURRENT_TIMESTAMP",
                    default=NowDefault(),
                ),
            ),
            primary_key=PrimaryKey(name="users_pkey", columns=("id",)),
        ),
    )
)


def test_the_dsl_writer_writes_the_sqlite_spellings_back(tmp_path: Path) -> None:
    path = tmp_path / "schema.py"
    path.write_text(schema_to_python(FIELD), encoding="utf-8")
    assert load_schema(path).schema == FIELD


def test_a_sql_schema_carries_the_sqlite_spellings_in_comment_lines(app: Path) -> None:
    assert mizzle(app, "pull", "--db", "sqlite:///app.db", "-o", "schema.sql").returncode == 0
    text = (app / "schema.sql").read_text(encoding="utf-8")
    assert '-- mizzle:sqlite {"table": "users", "column": "created_at", "type": "DATETIME"' in text
    users = parse_ddl(text).schema.table("users")
    assert users is not None
    created = users.column("created_at")
    assert created is not None and (created.sqlite_type, created.sqlite_default) == ("DATETIME", "CURRENT_TIMESTAMP")


def test_a_sql_note_naming_a_missing_column_is_an_error_naming_its_line() -> None:
    from mizzle.core.errors import SchemaError

    text = 'CREATE TABLE t (a text);\n-- mizzle:sqlite {"table": "t", "column": "b", "type": "INT"}\n'
    with pytest.raises(SchemaError, match=r'^schema.sql:2: mizzle:sqlite names column "t.b"'):
        parse_ddl(text)


def test_a_change_of_a_sqlite_spelling_rebuilds_on_sqlite_and_is_nothing_on_postgresql() -> None:
    from mizzle.core.diff import diff

    before = Schema(tables=(Table(name="t", columns=(Column(name="a", type=t("timestamp")),)),))
    after = Schema(tables=(Table(name="t", columns=(Column(name="a", type=t("timestamp"), sqlite_type="DATETIME"),)),))
    operations = diff(before, after)
    assert [op.describe() for op in operations] == ["alter column t.a: SQLite declared type"]
    postgresql = get_dialect("postgresql").plan(operations, before, after)
    assert [s for step in postgresql.steps for s in step.statements] == []
    sqlite = get_dialect("sqlite").plan(operations, before, after)
    assert any("a DATETIME" in s for step in sqlite.steps for s in step.statements)


def test_pull_as_sqlalchemy_says_what_it_cannot_keep(app: Path) -> None:
    pulled = mizzle(app, "pull", "--db", "sqlite:///app.db", "-o", "models.py", "--style", "sqlalchemy")
    assert pulled.returncode == 0, pulled.stderr
    assert "SQLAlchemy models cannot say how SQLite holds users." in " ".join(pulled.stderr.split())


@pytest.mark.parametrize("suffix", ["py", "sql"])
def test_what_postgresql_would_refuse_is_pulled_from_sqlite_as_it_is(tmp_path: Path, suffix: str) -> None:
    """The issue's app: a 72-byte index name ("PostgreSQL keeps at most 63" refused the pull)
    and an integer → text foreign key (refused by generate). A SQLite-only project holds both."""
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.executescript(
        "CREATE TABLE parent (code TEXT PRIMARY KEY);"
        "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_code INTEGER REFERENCES parent (code), a TEXT);"
        "CREATE INDEX child_a_index_with_a_really_long_name_that_goes_past_sixty_three_bytes_x ON child (a);"
    )
    conn.close()
    (tmp_path / "mizzle.toml").write_text(f'schema = "schema.{suffix}"\ndialects = ["sqlite"]\n', encoding="utf-8")
    pulled = mizzle(tmp_path, "pull", "--db", "sqlite:///app.db", "-o", f"schema.{suffix}")
    assert pulled.returncode == 0, pulled.stderr
    if suffix == "sql":
        assert "warning: the schema does not fit postgresql" in pulled.stderr
    pushed = mizzle(tmp_path, "push", "--db", "sqlite:///app.db", "--dry-run")
    assert pushed.stdout == "nothing to push: sqlite:///app.db matches the schema\n", pushed.stderr
    exported = mizzle(tmp_path, "export", "--dialect", "postgresql")
    assert exported.returncode != 0
    # the long index name is no problem there (PostgreSQL cuts it to 63 bytes); the key is
    assert exported.stderr == (
        'error: the schema does not fit postgresql: table "child", foreign key "child_parent_code_fkey": '
        'type mismatch, "parent_code" is integer but "parent.code" is text\n'
    )
