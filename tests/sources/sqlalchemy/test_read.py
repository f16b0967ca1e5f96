"""SQLAlchemy and SQLModel models as a schema source (`mizzle/sources/sqlalchemy/read.py`).

The PostgreSQL mizzle exports from the models is compared, catalog against catalog
(`tests/catalog.py`, PostgreSQL's own account), with what `metadata.create_all()` makes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.introspection import Unsupported
from mizzle.core.model import Identity, LiteralDefault
from mizzle.core.types import TypeKind
from mizzle.dialects import get_dialect
from mizzle.sources.load import load_schema
from mizzle.sources.sqlalchemy.read import PYTHON_DEFAULT
from tests.catalog import diff, snapshot
from tests.pg import fresh_database
from tests.sources.sqlalchemy.helpers import MODELS, create_all, export, psql_text, run_mizzle, run_python

SHOP = f"{MODELS / 'shop.py'}:Base.metadata"
HEROES = f"{MODELS / 'heroes.py'}:SQLModel.metadata"


@pytest.mark.postgres
def test_sqlmodel_app_exports_the_catalog_create_all_makes(tmp_path: Path) -> None:
    with fresh_database("sa") as by_sqlalchemy, fresh_database("mz") as by_mizzle:
        create_all("heroes", "SQLModel.metadata", by_sqlalchemy)
        psql_text(by_mizzle, export(HEROES, "postgresql"), tmp_path)
        assert diff(snapshot(by_sqlalchemy), snapshot(by_mizzle)) == []


@pytest.mark.postgres
def test_sqlalchemy_app_exports_the_catalog_create_all_makes_identity_included(tmp_path: Path) -> None:
    with fresh_database("sa") as by_sqlalchemy, fresh_database("mz") as by_mizzle:
        create_all("shop", "Base.metadata", by_sqlalchemy)
        psql_text(by_mizzle, export(SHOP, "postgresql"), tmp_path)
        # product.id is GENERATED ALWAYS AS IDENTITY on both (it was a bigserial before the
        # model held identity columns)
        assert diff(snapshot(by_sqlalchemy), snapshot(by_mizzle)) == []
        identity = "SELECT attidentity::text FROM pg_attribute WHERE attrelid = 'product'::regclass AND attname = 'id'"
        for url in (by_sqlalchemy, by_mizzle):
            with psycopg.connect(url) as conn:
                assert conn.execute(identity).fetchall() == [("a",)]


@pytest.mark.parametrize("spec", [SHOP, HEROES], ids=["shop", "heroes"])
def test_sqlite_export_applies_and_introspects_back_to_the_projected_model(spec: str, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.executescript(export(spec, "sqlite"))
    back = get_dialect("sqlite").introspect(conn)
    conn.close()
    # the model as SQLite holds it, computed in a process of its own (SQLModel's MetaData is global)
    expected = run_python(
        f"""
        from pathlib import Path
        from mizzle.sources.load import load_schema
        from mizzle.dialects import get_dialect
        projected, _ = get_dialect("sqlite").project(load_schema(Path({spec!r})).schema)
        print(projected.to_json())
        """
    )
    assert expected.returncode == 0, expected.stderr
    assert back.unsupported == ()
    assert back.schema.to_json() + "\n" == expected.stdout


def test_models_read_into_the_model_with_keys_indexes_enums_and_server_defaults() -> None:
    schema = load_schema(Path(SHOP)).schema
    product, line = schema.table("product"), schema.table("order_line")
    assert product is not None and line is not None
    assert [e.name for e in schema.enums] == ["order_status"]
    assert {i.name: (i.method, i.where.sql if i.where else None) for i in product.indexes} == {
        "product_attrs_idx": ("gin", None),
        "product_created_desc_idx": ("btree", None),
        "product_live_idx": ("btree", "price > 0"),
        "product_title_lower_idx": ("btree", None),
    }
    assert [k.desc for i in product.indexes for k in i.keys if i.name == "product_created_desc_idx"] == [True]
    assert [k.expr.sql for i in product.indexes for k in i.keys if k.expr] == ["LOWER(title)"]
    assert line.primary_key_columns == ("shop", "number", "line")
    assert [(f.columns, f.ref_table, f.on_delete) for f in line.foreign_keys] == [
        (("product_id",), "product", "no action"),
        (("shop", "number"), "orders", "cascade"),
    ]
    category = schema.table("category")
    assert category is not None and category.foreign_keys[0].ref_table == "category"
    price = product.column("price")
    assert price is not None and price.default == LiteralDefault(value="0")


def test_python_side_defaults_are_reported_and_never_made_database_defaults() -> None:
    loaded = load_schema(Path(SHOP))
    note = loaded.schema.table("product").column("note")  # type: ignore[union-attr]
    assert note is not None and note.default is None
    assert Unsupported("column default", "product.note", PYTHON_DEFAULT) in loaded.unsupported


def test_identity_is_read_as_identity() -> None:
    loaded = load_schema(Path(SHOP))
    column = loaded.schema.table("product").column("id")  # type: ignore[union-attr]
    assert column is not None and column.type.kind is TypeKind.BIGINT
    assert column.identity == Identity(always=True)
    assert not [u for u in loaded.unsupported if u.kind == "identity column"]


def test_a_sequence_of_its_own_is_serial_and_a_shared_one_is_the_schemas(tmp_path: Path) -> None:
    models = tmp_path / "seq.py"
    models.write_text(
        "from sqlalchemy import Column, Integer, MetaData, Sequence, Table\n"
        "metadata = MetaData()\n"
        'shared = Sequence("shared_seq")\n'
        'Table("a", metadata, Column("id", Integer, Sequence("a_id_seq"), primary_key=True),\n'
        '      Column("n", Integer, shared))\n'
        'Table("b", metadata, Column("n", Integer, shared))\n'
    )
    loaded = load_schema(Path(f"{models}:metadata"))
    a, b = loaded.schema.table("a"), loaded.schema.table("b")
    assert a is not None and b is not None
    assert [c.type.kind for c in a.columns] == [TypeKind.SERIAL, TypeKind.INTEGER]
    assert b.columns[0].type.kind is TypeKind.INTEGER and b.columns[0].default is None
    notes = {(u.kind, u.name) for u in loaded.unsupported}
    assert notes == {("column default", "a.n"), ("column default", "b.n")}
    assert [q.name for q in loaded.schema.sequences] == ["shared_seq"]  # core/pg_objects.py


def test_a_computed_column_is_a_generated_column(tmp_path: Path) -> None:
    models = tmp_path / "box.py"
    models.write_text(
        "from sqlalchemy import Column, Computed, Integer, MetaData, Table\n"
        "metadata = MetaData()\n"
        'Table("box", metadata, Column("id", Integer, primary_key=True), Column("width", Integer),\n'
        '      Column("area", Integer, Computed("width * width", persisted=True)))\n'
    )
    loaded = load_schema(Path(f"{models}:metadata"))
    box = loaded.schema.table("box")
    assert box is not None and loaded.unsupported == ()
    assert [c.generated for c in box.columns] == [None, None, SqlExpr.parse("width * width")]


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (
            "computed.py",
            'computed.py:11: table "box", column "area": Computed(persisted=False) is a VIRTUAL generated'
            " column; mizzle holds STORED ones",
        ),
        ("mysql_type.py", 'mysql_type.py:11: table "flag", column "colours": type SET has no PostgreSQL spelling'),
    ],
)
def test_what_the_model_cannot_hold_is_one_error_line_naming_the_class(model: str, message: str) -> None:
    done = run_mizzle("export", "--schema", f"{MODELS / model}:Base.metadata")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"error: {MODELS / message}\n"


def test_an_error_while_importing_the_models_names_its_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text("from sqlalchemy import MetaData\nmetadata = MetaData()\nboom = 1 / 0\n")
    with pytest.raises(SchemaError, match=r"models\.py:3: ZeroDivisionError: division by zero$"):
        load_schema(tmp_path / "models.py:metadata")
    with pytest.raises(SchemaError, match=r"models\.py:3: ZeroDivisionError: division by zero$"):
        load_schema(tmp_path / "models:metadata")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("shop:Base", "shop:Base is the class Base, not a SQLAlchemy MetaData (name its MetaData: shop:Base.metadata)"),
        ("shop:Bsae.metadata", "shop:Bsae.metadata: module shop has no attribute 'Bsae'"),
        ("shoop:Base.metadata", "shoop: no such module in "),
    ],
)
def test_an_object_path_naming_no_metadata_is_one_line(spec: str, message: str) -> None:
    done = run_mizzle("export", "--schema", spec, cwd=MODELS)
    assert done.returncode == 1 and done.stderr.startswith(f"error: {message}"), done.stderr
    assert done.stderr.count("\n") == 1


def test_without_sqlalchemy_the_error_names_the_extra() -> None:
    done = run_python(
        f"""
        import sys
        sys.modules["sqlalchemy"] = None  # as if the extra were not installed
        sys.argv = ["mizzle", "export", "--schema", {SHOP!r}]
        from mizzle.cli.app import run
        run()
        """
    )
    assert done.returncode == 1
    assert done.stderr == "error: SQLAlchemy models need SQLAlchemy 2: install mizzle[sqlalchemy]\n"


def test_a_table_marked_sync_in_its_info_is_a_sync_table(tmp_path: Path) -> None:
    models = tmp_path / "synced.py"
    models.write_text(
        "from sqlalchemy import Column, MetaData, Table, Text\n"
        "metadata = MetaData()\n"
        'Table("note", metadata, Column("id", Text, primary_key=True), info={"mizzle_sync": True})\n'
    )
    table = load_schema(Path(f"{models}:metadata")).schema.table("note")
    assert table is not None and table.sync and "last_modified_at" in table.column_names


def test_sys_exit_in_the_models_module_is_one_error_line(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text("import sys\nsys.exit('no config')\n")
    with pytest.raises(SchemaError, match=r"models\.py:2: SystemExit: no config$"):
        load_schema(tmp_path / "models:metadata")


def test_after_create_ddl_is_read_views_carried_functions_reported(tmp_path: Path) -> None:
    models = tmp_path / "ddl.py"
    models.write_text(
        "from sqlalchemy import DDL, Column, Integer, MetaData, Table, event\n"
        "metadata = MetaData()\n"
        'Table("t", metadata, Column("id", Integer, primary_key=True))\n'
        'event.listen(metadata, "after_create", DDL("CREATE VIEW v AS SELECT id FROM t WHERE id %% 2 = 0"))\n'
        "function = DDL(\"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'\")\n"
        'event.listen(metadata, "after_create", function)\n'
    )
    loaded = load_schema(Path(f"{models}:metadata"))
    assert [v.name for v in loaded.schema.views] == ["v"] and "%" in loaded.schema.views[0].query.sql
    assert [f.label for f in loaded.schema.functions] == ["public.f()"]  # carried verbatim (core/routines.py)
    assert loaded.unsupported == ()


def test_an_error_in_the_ddl_sqlalchemy_writes_names_the_class_not_the_script(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(
        "from sqlalchemy import Identity, String\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n"
        "class Base(DeclarativeBase):\n"
        "    pass\n"
        "class Author(Base):\n"
        "    __tablename__ = 'author'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "class Book(Base):\n"
        "    __tablename__ = 'book'\n"
        "    id: Mapped[int] = mapped_column(primary_key=True)\n"
        "    code: Mapped[str] = mapped_column(String(5), Identity())\n"
    )
    with pytest.raises(SchemaError) as caught:
        load_schema(tmp_path / "models:Base.metadata")
    assert (
        str(caught.value)
        == f"{tmp_path / 'models.py'}:8: identity column book.code must be smallint, integer or bigint"
    )
