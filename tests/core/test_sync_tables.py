"""Sync tables in the model: the DSL flag, `sync_tables` in mizzle.toml, validation, code
generation, the diff's sync operations and what evolve() allows while triggers exist."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mizzle.app.config import load_config
from mizzle.core.diff import diff
from mizzle.core.errors import ConfigError, SchemaError
from mizzle.core.evolve import evolve
from mizzle.core.model import Schema
from mizzle.core.operations import CreateSyncSupport, DisableSync, DropSyncSupport, EnableSync, RenameTable
from mizzle.core.renames import Renames
from mizzle.core.sync.names import SYNC_COLUMNS
from mizzle.core.sync.parts import SYNC_COLUMN_SPECS
from mizzle.sources.dsl.codegen import schema_to_python
from mizzle.sources.load import load_schema

HEAD = "from mizzle.dsl import Table, integer, serial, text, timestamptz, index\n"


def load(tmp_path: Path, body: str, name: str = "schema") -> Schema:
    path = tmp_path / f"{name}.py"
    path.write_text(HEAD + textwrap.dedent(body))
    return load_schema(path).schema


TUNE = """
class Tune(Table):
    id = serial().primary_key()
    title = text()
"""


def test_sync_flag_adds_the_columns_and_the_delta_index(tmp_path: Path) -> None:
    tune = load(tmp_path, TUNE + "    __sync__ = True\n").table("tune")
    assert tune is not None and tune.sync
    assert tune.columns[-4:] == SYNC_COLUMN_SPECS
    assert [(i.name, [k.column for k in i.keys]) for i in tune.indexes] == [("tune_sync_seq_idx", ["sync_seq"])]
    spec = {c.name: c for c in tune.columns}
    assert spec["sync_version"].type.kind == "integer" and not spec["sync_version"].nullable
    assert spec["last_modified_at"].type.precision == 3 and not spec["last_modified_at"].nullable
    assert spec["device_id"].nullable


def test_declared_sync_columns_that_match_are_kept_where_declared(tmp_path: Path) -> None:
    body = """
    class Tune(Table):
        id = serial().primary_key()
        sync_version = integer().not_null().default(1)
        title = text()
        __sync__ = True
    """
    tune = load(tmp_path, body).table("tune")
    assert tune is not None
    assert tune.column_names == ["id", "sync_version", "title", "last_modified_at", "device_id", "sync_seq"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "class Tune(Table):\n    title = text()\n    __sync__ = True\n",
            'table "tune" (sync): a sync table needs a primary key',
        ),
        (
            TUNE + "    last_modified_at = timestamptz()\n    __sync__ = True\n",
            'column "last_modified_at" is timestamptz, a sync table\'s is timestamptz(3) NOT NULL DEFAULT now()',
        ),
        (
            TUNE + "    __sync__ = 'yes'\n",
            "__sync__ must be True, False or a sync rule such as {'owner': 'user_id'}, not 'yes'",
        ),
        (TUNE + "    __synch__ = True\n", "did you mean __sync__"),
    ],
)
def test_a_table_that_cannot_be_sync_is_one_line_naming_why(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(SchemaError) as err:
        load(tmp_path, body)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_mizzle_names_are_reserved(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="__mizzle are mizzle's own"):
        load(tmp_path, "class X(Table):\n    __tablename__ = '__mizzle_x'\n    id = serial().primary_key()\n")


def test_generated_code_declares_the_flag_and_loads_back_equal(tmp_path: Path) -> None:
    schema = load(tmp_path, TUNE + "    __sync__ = True\n", "a")
    code = schema_to_python(schema)
    assert "__sync__ = True" in code
    assert "sync_version" not in code  # the flag adds them
    (tmp_path / "b.py").write_text(code)
    assert load_schema(tmp_path / "b.py").schema == schema


def test_generated_code_keeps_sync_columns_declared_in_the_middle(tmp_path: Path) -> None:
    body = """
    class Tune(Table):
        id = serial().primary_key()
        sync_version = integer().not_null().default(1)
        title = text()
        __sync__ = True
    """
    schema = load(tmp_path, body, "a")
    (tmp_path / "b.py").write_text(schema_to_python(schema))
    assert load_schema(tmp_path / "b.py").schema == schema


# --- mizzle.toml sync_tables -------------------------------------------------------------------


def test_sync_tables_marks_tables_of_a_sql_schema(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE tune (id serial PRIMARY KEY, title text);\n"
        "CREATE TABLE playlist (id serial PRIMARY KEY);\n"
        "CREATE TABLE plain (id serial PRIMARY KEY);\n"
    )
    (tmp_path / "mizzle.toml").write_text('schema = "schema.sql"\nsync_tables = ["tune", "play*"]\n')
    config = load_config(tmp_path)
    schema = load_schema(config.require_schema(), config.sync_tables).schema
    assert {t.name: t.sync for t in schema.tables} == {"plain": False, "playlist": True, "tune": True}
    tune = schema.table("tune")
    assert tune is not None and set(SYNC_COLUMNS) <= set(tune.column_names)


def test_a_sync_tables_pattern_matching_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE tune (id serial PRIMARY KEY);\n")
    with pytest.raises(SchemaError, match="sync_tables names 'tunes', which matches no table"):
        load_schema(tmp_path / "schema.sql", ["tunes"])


def test_sync_tables_must_be_a_list_of_names(tmp_path: Path) -> None:
    (tmp_path / "mizzle.toml").write_text('schema = "schema.sql"\nsync_tables = "tune"\n')
    with pytest.raises(ConfigError, match=r"sync_tables in .* must be a list"):
        load_config(tmp_path)


# --- diff and evolve ------------------------------------------------------------------------------


def kinds(ops: list[object]) -> list[str]:
    return [type(op).__name__ for op in ops]


def test_turning_sync_on_adds_columns_then_support_and_triggers_last(tmp_path: Path) -> None:
    a = load(tmp_path, TUNE, "a")
    b = load(tmp_path, TUNE + "    __sync__ = True\n", "b")
    ops = diff(a, b)
    assert kinds(ops) == [
        "CreateSyncSupport",
        *["AddColumn"] * 4,
        "CreateIndex",
        "EnableSync",
    ]
    assert evolve(a, ops) == b
    back = diff(b, a)
    assert kinds(back)[0] == "DisableSync" and kinds(back)[-1] == "DropSyncSupport"
    assert evolve(b, back) == a
    assert diff(b, b) == []


def test_a_new_sync_table_carries_its_triggers_in_create_table(tmp_path: Path) -> None:
    b = load(tmp_path, TUNE + "    __sync__ = True\n")
    ops = diff(Schema(), b)
    assert kinds(ops) == ["CreateSyncSupport", "CreateTable"]
    assert evolve(Schema(), ops) == b


def test_renaming_a_sync_table_remakes_its_triggers(tmp_path: Path) -> None:
    a = load(tmp_path, TUNE + "    __sync__ = True\n", "a")
    b = load(tmp_path, TUNE.replace("class Tune", "class Repertoire") + "    __sync__ = True\n", "b")
    ops = diff(a, b, Renames(tables={"tune": "repertoire"}))
    assert ops[0] == DisableSync(table="tune", primary_key=("id",))
    assert any(isinstance(op, RenameTable) for op in ops)
    assert ops[-1] == EnableSync(table="repertoire", primary_key=("id",))
    assert not any(isinstance(op, CreateSyncSupport | DropSyncSupport) for op in ops)
    assert evolve(a, ops) == b


def test_evolve_refuses_changes_the_triggers_read(tmp_path: Path) -> None:
    a = load(tmp_path, TUNE + "    __sync__ = True\n", "a")
    with pytest.raises(SchemaError, match="carry the table's name"):
        evolve(a, [RenameTable(old="tune", new="t2")])
    dropped = load(tmp_path, TUNE, "b")
    ops = [op for op in diff(a, dropped) if not isinstance(op, DisableSync)]
    with pytest.raises(SchemaError, match='read column "'):
        evolve(a, ops)
    with pytest.raises(SchemaError, match="support objects do not exist"):
        evolve(load(tmp_path, TUNE, "c"), [EnableSync(table="tune", primary_key=("id",))])
