"""A project whose `mizzle.toml` names its SQLAlchemy models: `schema = "app.models:Base.metadata"`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mizzle.app.config import load_config
from mizzle.core.errors import ConfigError
from tests.sources.sqlalchemy.helpers import run_mizzle

MODELS_V1 = """
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


class Book(Base):
    __tablename__ = "book"
    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))
    title: Mapped[str]
"""

#: v1 with a nullable column and an index on it
MODELS_V2 = MODELS_V1.replace(
    "    title: Mapped[str]\n",
    "    title: Mapped[str]\n    isbn: Mapped[str | None] = mapped_column(String(13), index=True)\n",
)


def make_project(root: Path, models: str) -> Path:
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "models.py").write_text(textwrap.dedent(models))
    (root / "mizzle.toml").write_text('schema = "app.models:Base.metadata"\ndialects = ["postgresql", "sqlite"]\n')
    return root


def test_the_schema_setting_takes_a_module_path_and_attribute(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", MODELS_V1)
    config = load_config(root)
    assert config.schema == root / "app.models:Base.metadata"


def test_a_schema_setting_that_is_neither_a_file_nor_an_object_path_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mizzle.toml").write_text('schema = "schema.txt"\n')
    with pytest.raises(ConfigError, match=r"a schema is a \.py or \.sql file, or a SQLAlchemy MetaData"):
        load_config(tmp_path)


def test_generate_after_a_model_change_writes_the_migration_of_that_change(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", MODELS_V1)
    first = run_mizzle("generate", "--name", "init", cwd=root)
    assert first.returncode == 0, first.stderr
    (root / "app" / "models.py").write_text(textwrap.dedent(MODELS_V2))
    second = run_mizzle("generate", "--name", "isbn", cwd=root)
    assert second.returncode == 0, second.stderr
    folder = root / "migrations" / "0002_isbn"
    postgresql = (folder / "postgresql.sql").read_text()
    sqlite = (folder / "sqlite.sql").read_text()
    assert "ALTER TABLE book ADD COLUMN isbn varchar(13);" in postgresql
    assert "CREATE INDEX ix_book_isbn ON book(isbn);" in postgresql
    assert (
        "ALTER TABLE book ADD COLUMN isbn VARCHAR(13);" in sqlite
        and "CREATE INDEX ix_book_isbn ON book(isbn);" in sqlite
    )
    assert "CREATE TABLE" not in postgresql + sqlite
    # and nothing more to do once it is written
    third = run_mizzle("generate", "--name", "again", cwd=root)
    assert third.returncode == 0, third.stderr
    assert not (root / "migrations" / "0003_again").exists()
