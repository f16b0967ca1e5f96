"""Loading schema sources: Python DSL modules and PostgreSQL DDL files, and their errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from mizzle.core.errors import SchemaError, SchemaSyntaxError
from mizzle.core.validate import validate
from mizzle.sources.load import load_schema
from tests.conftest import REPO

EXAMPLE = REPO / "examples" / "practice_tracker" / "schema.py"

TUNES = """\
from mizzle.dsl import Table, integer, serial, text

class Tune(Table):
    id = serial().primary_key()
    title = text().not_null()
    plays = integer()
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_python_module_gives_its_tables_enums_and_views(tmp_path: Path) -> None:
    extra = (
        'from mizzle.dsl import Enum, View, sql\nMood = Enum("mood", ["ok"])\nV = View("v", "select id from tune")\n'
    )
    path = write(tmp_path, "schema.py", TUNES + extra)
    loaded = load_schema(path)
    assert loaded.unsupported == ()
    schema = loaded.schema
    assert ([t.name for t in schema.tables], [e.name for e in schema.enums], [v.name for v in schema.views]) == (
        ["tune"],
        ["mood"],
        ["v"],
    )
    assert schema.tables[0].column_names == ["id", "title", "plays"]


def test_python_module_can_import_its_siblings_and_their_tables_count(tmp_path: Path) -> None:
    write(tmp_path, "tunes.py", TUNES)
    path = write(
        tmp_path,
        "schema.py",
        "from tunes import Tune\nfrom mizzle.dsl import Table, integer\n\n"
        "class Play(Table):\n    tune_id = integer().references(Tune.id)\n",
    )
    assert [t.name for t in load_schema(path).schema.tables] == ["play", "tune"]


def test_loading_again_sees_the_new_code_of_the_module_and_its_siblings(tmp_path: Path) -> None:
    sibling = write(tmp_path, "tunes.py", TUNES)
    path = write(tmp_path, "schema.py", "from tunes import Tune\n")
    assert load_schema(path).schema.tables[0].column_names == ["id", "title", "plays"]
    sibling.write_text(TUNES.replace("    plays = integer()\n", ""))
    assert load_schema(path).schema.tables[0].column_names == ["id", "title"]


def test_abstract_tables_and_the_base_class_are_not_tables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "schema.py",
        "from mizzle.dsl import Table, integer\n\n"
        "class Synced(Table):\n    __abstract__ = True\n    sync_version = integer().not_null().default(1)\n\n"
        "class Tune(Synced):\n    id = integer().primary_key()\n",
    )
    (table,) = load_schema(path).schema.tables
    assert (table.name, table.column_names) == ("tune", ["sync_version", "id"])


def test_sql_file_is_read_as_postgresql_ddl(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "schema.sql",
        "CREATE TYPE mood AS ENUM ('ok', 'sad');\n"
        "CREATE TABLE tune (id serial PRIMARY KEY, title text NOT NULL, mood mood DEFAULT 'ok');\n"
        "CREATE INDEX ON tune (lower(title));\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1';\n",
    )
    loaded = load_schema(path)
    (table,) = loaded.schema.tables
    assert (table.name, table.column_names, [i.name for i in table.indexes]) == (
        "tune",
        ["id", "title", "mood"],
        ["tune_lower_idx"],
    )
    assert [f.label for f in loaded.schema.functions] == ["public.f()"]  # carried verbatim (core/routines.py)
    assert loaded.unsupported == ()


# --- errors --------------------------------------------------------------------------------------


def error_of(path: Path) -> str:
    with pytest.raises(SchemaError) as caught:
        load_schema(path)
    return str(caught.value)


def test_python_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.py", "from mizzle.dsl import Table\n\nclass Tune(Table)\n    pass\n")
    with pytest.raises(SchemaSyntaxError) as caught:
        load_schema(path)
    assert str(caught.value) == f"{path}:3: expected ':'"


def test_exception_raised_by_the_module_names_file_line_and_message(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.py", TUNES + "\nratio = 1 / 0\n")
    assert error_of(path) == f"{path}:8: ZeroDivisionError: division by zero"


def test_exception_raised_in_a_sibling_names_the_sibling(tmp_path: Path) -> None:
    sibling = write(tmp_path, "tunes.py", "x = 1\nraise RuntimeError('broken sibling')\n")
    path = write(tmp_path, "schema.py", "import tunes\n")
    assert error_of(path) == f"{sibling}:2: RuntimeError: broken sibling"


def test_dsl_error_while_the_module_runs_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.py", TUNES + "    code = varchar(0)\n")
    path.write_text(path.read_text().replace("integer,", "integer, varchar,"))
    assert error_of(path) == f"{path}:7: varchar length must be positive"


def test_bad_sql_expression_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.py", TUNES + '    __checks__ = (check("plays >"),)\n')
    path.write_text(path.read_text().replace("integer,", "check, integer,"))
    with pytest.raises(SchemaSyntaxError) as caught:
        load_schema(path)
    assert str(caught.value).startswith(f"{path}:7: cannot parse SQL expression 'plays >'")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '    owner_id = integer().references("user_profile.id")\n',
            'table "tune", foreign key "tune_owner_id_fkey": references missing table "user_profile"',
        ),
        (
            '    other_id = integer().references("tune.nope")\n',
            'table "tune", foreign key "tune_other_id_fkey": references missing column "tune.nope"',
        ),
        ('    __indexes__ = (index("nope"),)\n', 'table "tune", index "tune_nope_idx": no column "nope"'),
        ('    __primary_key__ = primary_key("title")\n', 'table "tune": two primary keys'),
    ],
)
def test_schema_problems_name_the_table_and_its_line(tmp_path: Path, body: str, message: str) -> None:
    source = TUNES.replace("integer, serial", "index, integer, primary_key, serial") + body
    path = write(tmp_path, "schema.py", source)
    assert error_of(path).startswith(f"{path}:3: {message}")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('Mood = Enum("mood", [])\n', 'enum "mood" has no values'),
        ('V = View("v", "select x from nope")\n', 'view "v": reads missing table or view "nope"'),
    ],
)
def test_enum_and_view_problems_name_their_line(tmp_path: Path, extra: str, message: str) -> None:
    path = write(tmp_path, "schema.py", TUNES + "from mizzle.dsl import Enum, View\n" + extra)
    assert error_of(path) == f"{path}:8: {message}"


def test_a_reference_lambda_that_fails_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.py", TUNES + "    parent_id = integer().references(lambda: Tun.id)\n")
    assert error_of(path) == (
        f'{path}:7: table "tune", column "parent_id": the reference target raised NameError: '
        "name 'Tun' is not defined"
    )


def test_ddl_errors_name_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.sql", "CREATE TABLE a (id int);\nCREATE TABLE b (id int REFERENCES nope (id));\n")
    assert error_of(path).startswith(f"{path}:2: ")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("schema.txt", "a schema is a Python module (.py) or a PostgreSQL DDL file (.sql)"),
        ("missing.py", "no such schema file"),
    ],
)
def test_unknown_kind_or_missing_file(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    if name.endswith(".txt"):
        path.write_text("")
    assert error_of(path) == f"{path}: {message}"


# --- the example project ------------------------------------------------------------------------


def test_example_schema_loads_and_validates() -> None:
    schema = load_schema(EXAMPLE).schema
    assert validate(schema) is schema
    assert [t.name for t in schema.tables] == ["playlist", "playlist_tune", "practice_record", "tune", "user_profile"]
    assert [v.name for v in schema.views] == ["practice_totals"]
    for table in schema.tables:
        assert {"sync_version", "last_modified_at", "device_id"} <= set(table.column_names)


def test_example_schema_renders_and_runs_on_sqlite(sqlite_conn: sqlite3.Connection) -> None:
    from mizzle.dialects.sqlite.render import render_schema

    for statement in render_schema(load_schema(EXAMPLE).schema):
        sqlite_conn.execute(statement)
    names = {r[0] for r in sqlite_conn.execute("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')")}
    tables = {"user_profile", "tune", "playlist", "playlist_tune", "practice_record", "practice_totals"}
    assert names == tables | {
        "__mizzle_sync_control",
        "__mizzle_tombstones",
        "__mizzle_sync_seq",
    }  # the example has sync tables


def test_example_schema_renders_and_runs_on_postgresql(pg_url: str) -> None:
    from mizzle.dialects.postgresql.render import render_schema

    with psycopg.connect(pg_url) as conn:
        for statement in render_schema(load_schema(EXAMPLE).schema):
            conn.execute(statement)
        rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        assert {r[0] for r in rows} == {
            "user_profile",
            "tune",
            "playlist",
            "playlist_tune",
            "practice_record",
            "practice_totals",
            "__mizzle_tombstones",  # the example has sync tables
        }


@pytest.mark.parametrize("call", ["sys.exit(0)", "sys.exit()", "sys.exit('bye')"])
def test_sys_exit_in_the_module_is_an_error_naming_its_line(tmp_path: Path, call: str) -> None:
    path = write(tmp_path, "schema.py", TUNES + f"import sys\n{call}\n")
    code = repr(None if call == "sys.exit()" else eval(call.removeprefix("sys.exit")))
    assert error_of(path) == f"{path}:8: the schema module called sys.exit({code})"


def test_a_base_exception_raised_by_the_module_is_one_line_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.py", TUNES + "raise BaseException('not an Exception')\n")
    assert error_of(path) == f"{path}:7: BaseException: not an Exception"


def test_a_base_exception_raised_by_a_reference_lambda_is_one_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, "schema.py", TUNES + '    parent_id = integer().references(lambda: __import__("sys").exit(3))\n'
    )
    assert error_of(path) == f'{path}:7: table "tune", column "parent_id": the reference target raised SystemExit: 3'


def test_ctrl_c_while_the_module_runs_is_not_turned_into_a_schema_error(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.py", TUNES + "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        load_schema(path)


def test_a_byte_order_mark_before_a_sql_schema_is_not_part_of_it(tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    path.write_bytes(b"\xef\xbb\xbfCREATE TABLE tune (id integer PRIMARY KEY);\n")
    assert [t.name for t in load_schema(path).schema.tables] == ["tune"]


def test_a_name_with_a_line_break_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "schema.py",
        "from mizzle.dsl import Table, serial\n\nclass Evil(Table):\n"
        '    __tablename__ = "t\\nDELETE FROM victim;\\n--"\n    id = serial()\n',
    )
    assert error_of(path) == (
        f'{path}:3: table "t\\nDELETE FROM victim;\\n--": '
        "a name cannot hold control characters or line breaks (it holds \\n)"
    )


def test_a_sql_schema_with_a_line_break_in_a_name_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "schema.sql", 'CREATE TABLE ok (id int);\nCREATE TABLE "t\nx" (id int);\n')
    assert error_of(path).startswith(f'{path}:2: table "t\\nx": a name cannot hold control characters')


def test_a_carriage_return_inside_a_literal_of_a_sql_schema_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    path.write_bytes(b"CREATE TABLE tune (id integer PRIMARY KEY, a text DEFAULT 'x\ry');\n")
    [table] = load_schema(path).schema.tables
    assert table.columns[1].default is not None and table.columns[1].default.model_dump()["value"] == "x\ry"
