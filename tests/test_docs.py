"""The documentation names everything it documents: every type spelling, every CLI command and
option; and the README's Quickstart is exactly two commands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from mizzle import dsl
from mizzle.cli.app import app
from mizzle.core.types import TypeKind
from mizzle.dialects.postgresql import types as pg_types
from mizzle.dialects.sqlite import types as sqlite_types
from mizzle.sources.load import load_schema
from tests.conftest import REPO

TYPES_MD = (REPO / "docs" / "types.md").read_text()
CLI_MD = (REPO / "docs" / "cli.md").read_text()
README = (REPO / "README.md").read_text()


def mentioned(name: str, text: str) -> bool:
    """`name` appears in code spelling: `name`, or with parameters `name(n)`."""
    return re.search(rf"`{re.escape(name)}[`(]", text) is not None


@pytest.mark.parametrize("kind", [k.value for k in TypeKind])
def test_types_md_names_every_type_kind(kind: str) -> None:
    assert mentioned(kind, TYPES_MD)


@pytest.mark.parametrize("name", sorted({*sqlite_types.DECLARED_NAMES.values(), sqlite_types.NON_ALIAS_INTEGER}))
def test_types_md_names_every_sqlite_declared_type(name: str) -> None:
    assert mentioned(name, TYPES_MD)


@pytest.mark.parametrize("name", sorted({*pg_types.TYPE_NAMES.values(), *pg_types.KIND_BY_NAME}))
def test_types_md_names_every_postgresql_spelling(name: str) -> None:
    assert mentioned(name, TYPES_MD)


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```[a-z]*\n(.*?)```", section, flags=re.DOTALL)
    lines = [line.strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def test_readme_quickstart_is_two_commands_run_the_example_and_run_the_tests() -> None:
    example, tests = quickstart_commands()
    assert (example.endswith("examples/practice_tracker/run.py"), tests) == (True, "bash scripts/test.sh")


COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_cli_md_documents_every_command(name: str) -> None:
    assert f"## `mizzle {name}`" in CLI_MD


@pytest.mark.parametrize(
    "option",
    sorted(
        {opt for cmd in [typer.main.get_command(app), *COMMANDS.values()] for p in cmd.params for opt in p.opts}
        - {"--help", "-h"}
    ),
)
def test_cli_md_documents_every_option(option: str) -> None:
    assert f"`{option}" in CLI_MD


SCHEMA_MD = (REPO / "docs" / "schema.md").read_text()


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.parametrize("doc", ["README.md", "docs/schema.md"])
def test_python_schema_examples_load(doc: str, tmp_path: Path) -> None:
    text = (REPO / doc).read_text()
    if "## The schema in Python" in text:  # the README's other blocks use the schema, not declare it
        text = text.split("## The schema in Python", 1)[1].split("\n## ", 1)[0]
    (block,) = python_blocks(text)
    (tmp_path / "schema.py").write_text(block)
    assert load_schema(tmp_path / "schema.py").schema.tables


@pytest.mark.parametrize("name", sorted(set(dsl.__all__) - {"Column", "schema_from_classes"}))
def test_schema_md_names_every_dsl_name(name: str) -> None:
    assert re.search(rf"\b{re.escape(name)}\b", SCHEMA_MD)


DATABASE_FIRST = (REPO / "docs" / "database-first.md").read_text()


def shell_commands(text: str) -> list[list[str]]:
    """The `mizzle ...` lines of a doc's sh blocks, as words (comments and quotes dropped)."""
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line.split() for line in lines if line.startswith("mizzle ")]


def test_database_first_md_uses_only_real_commands_and_options() -> None:
    found = shell_commands(DATABASE_FIRST)
    assert len(found) >= 3
    for words in found:
        command = COMMANDS.get(words[1])
        assert command is not None, words
        options = {opt for p in command.params for opt in p.opts}
        assert {w for w in words if w.startswith("-")} <= options, words


def test_readme_and_cli_md_link_the_database_first_guide() -> None:
    assert "(docs/database-first.md)" in README
    assert "(database-first.md)" in CLI_MD
