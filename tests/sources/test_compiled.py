"""The compiled code of a schema module, cached beside it (`mizzle.sources.compiled`)."""

from __future__ import annotations

import importlib.util
import marshal
import sys
from pathlib import Path

import pytest

from mizzle.core.errors import SchemaSyntaxError
from mizzle.sources.compiled import cache_file, compiled
from mizzle.sources.load import load_schema

ONE = "from mizzle.dsl import Table, serial\n\nclass Tune(Table):\n    id = serial().primary_key()\n"


@pytest.fixture
def writing_bytecode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)


def names(path: Path) -> list[str]:
    return [t.name for t in load_schema(path).schema.tables]


@pytest.mark.usefixtures("writing_bytecode")
def test_loading_a_schema_writes_its_code_to_the_cache_and_loads_it_from_there(tmp_path: Path) -> None:
    path = tmp_path / "schema.py"
    path.write_text(ONE)
    assert (names(path), cache_file(path).parent.name, cache_file(path).is_file()) == (["tune"], "__pycache__", True)
    # The cache's code is what runs: a cache holding other code for this very text proves it.
    key = cache_file(path).read_bytes()[: len(importlib.util.MAGIC_NUMBER) + 32]  # the magic number, a SHA-256
    cache_file(path).write_bytes(key + marshal.dumps(compile(ONE.replace("Tune", "Song"), str(path), "exec")))
    assert names(path) == ["song"]


@pytest.mark.usefixtures("writing_bytecode")
def test_an_edited_schema_is_compiled_again(tmp_path: Path) -> None:
    path = tmp_path / "schema.py"
    path.write_text(ONE)
    names(path)
    path.write_text(ONE.replace("Tune", "Song"))
    assert names(path) == ["song"]


@pytest.mark.usefixtures("writing_bytecode")
@pytest.mark.parametrize("junk", [b"", b"\x00" * 3, b"not a cache at all", None])
def test_a_damaged_or_unreadable_cache_is_compiled_over(tmp_path: Path, junk: bytes | None) -> None:
    path = tmp_path / "schema.py"
    path.write_text(ONE)
    cache = cache_file(path)
    cache.parent.mkdir()
    if junk is None:
        cache.mkdir()  # a folder where the file goes: neither read nor written, no error
    else:
        cache.write_bytes(junk)
    assert names(path) == ["tune"]
    assert junk is None or cache.read_bytes() != junk


def test_no_cache_is_written_where_bytecode_writing_is_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    path = tmp_path / "schema.py"
    path.write_text(ONE)
    assert (names(path), (tmp_path / "__pycache__").exists()) == (["tune"], False)


@pytest.mark.usefixtures("writing_bytecode")
def test_a_syntax_error_is_reported_and_nothing_is_cached(tmp_path: Path) -> None:
    path = tmp_path / "schema.py"
    path.write_text("class (:\n")
    with pytest.raises(SchemaSyntaxError, match=r"schema.py:1: "):
        load_schema(path)
    assert not cache_file(path).exists()


@pytest.mark.usefixtures("writing_bytecode")
def test_the_same_text_at_another_path_is_compiled_for_that_path(tmp_path: Path) -> None:
    # The code names its file (tracebacks, error places): a cache copied along is not reused.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = compiled(ONE, tmp_path / "a" / "s.py"), compiled(ONE, tmp_path / "b" / "s.py")
    cache_file(tmp_path / "b" / "s.py").write_bytes(cache_file(tmp_path / "a" / "s.py").read_bytes())
    again = compiled(ONE, tmp_path / "b" / "s.py")
    assert (first.co_filename, second.co_filename, again.co_filename) == (
        str(tmp_path / "a" / "s.py"),
        str(tmp_path / "b" / "s.py"),
        str(tmp_path / "b" / "s.py"),
    )
