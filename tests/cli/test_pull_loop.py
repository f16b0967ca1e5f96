"""`mizzle pull` as the database-first loop runs it: pull, change the database by hand, pull
again; the summary it prints, the file it refuses, and the table filter (flags and config)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.sources.load import load_schema
from tests.cli.conftest import Mizzle
from tests.cli.project import sql
from tests.cli.test_pull import EXAMPLE_SCHEMA, create


@pytest.fixture
def app_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    create(url, EXAMPLE_SCHEMA)
    return url


def test_pulling_twice_prints_no_changes_and_writes_the_same_bytes(mizzle: Mizzle, tmp_path: Path, app_db: str) -> None:
    out = tmp_path / "schema.py"
    first = mizzle("pull", "--db", app_db, "--out", out)
    assert first.code == 0, first.err
    assert first.out == f"wrote {out}: 5 tables, 1 enum, 1 view from {app_db}\n"
    written = out.read_bytes()
    again = mizzle("pull", "--db", app_db, "--out", out)
    assert (again.code, again.err) == (0, "")
    assert again.out == f"wrote {out}: 5 tables, 1 enum, 1 view from {app_db}\nno changes since the last pull\n"
    assert out.read_bytes() == written


def test_a_hand_change_is_summed_up_by_the_next_pull(mizzle: Mizzle, tmp_path: Path, app_db: str) -> None:
    out = tmp_path / "schema.sql"
    mizzle("pull", "--db", app_db, "--out", out)
    sql(app_db, "ALTER TABLE tune ADD COLUMN mode text")
    sql(app_db, "CREATE TABLE setting (key text PRIMARY KEY, value text)")
    result = mizzle("pull", "--db", app_db, "--out", out)
    assert result.code == 0, result.err
    assert (
        result.out.splitlines()[1] == "changes since the last pull: 1 table added (setting); 1 column added (tune.mode)"
    )


def test_a_file_pull_did_not_write_is_refused_in_one_line(mizzle: Mizzle, tmp_path: Path, app_db: str) -> None:
    out = tmp_path / "schema.py"
    out.write_text("# my schema\n")
    result = mizzle("pull", "--db", app_db, "--out", out)
    assert result.code == 1
    assert result.error_line == (
        f"error: {out} already exists and was not written by mizzle pull (its first line does not say so): "
        "pass --force to overwrite it"
    )
    assert out.read_text() == "# my schema\n"
    forced = mizzle("pull", "--db", app_db, "--out", out, "--force")
    assert forced.code == 0, forced.err
    assert forced.out.splitlines()[1].startswith("changes from the file replaced: 5 tables added (")


def test_tables_and_exclude_take_globs_repeated_or_comma_separated(mizzle: Mizzle, tmp_path: Path, app_db: str) -> None:
    out = tmp_path / "schema.py"
    result = mizzle("pull", "--db", app_db, "--out", out, "--tables", "user_*,tune", "--tables", "playlist*")
    assert result.code == 0, result.err
    assert result.err == "-- note: left out by the table filter: practice_record, practice_totals\n"
    names = sorted(t.name for t in load_schema(out).schema.tables)
    assert names == ["playlist", "playlist_tune", "tune", "user_profile"]
    result = mizzle("pull", "--db", app_db, "--out", out, "--exclude", "practice_*", "--exclude", "playlist_tune")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1] == "changes since the last pull: 1 table removed (playlist_tune)"


def test_a_key_to_a_table_the_filter_leaves_out_is_kept_as_a_reference(
    mizzle: Mizzle, tmp_path: Path, app_db: str
) -> None:
    result = mizzle("pull", "--db", app_db, "--out", tmp_path / "schema.py", "--exclude", "user_profile")
    assert result.code == 0, result.err
    assert '.references("public.user_profile.' in (tmp_path / "schema.py").read_text()


def test_the_configs_tables_filter_applies_and_the_flags_replace_it(
    mizzle: Mizzle, tmp_path: Path, app_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mizzle.toml").write_text(
        f'schema = "schema.py"\ntables_filter = ["!practice_*"]\n[db]\nurl = "{app_db}"\n'
    )
    monkeypatch.chdir(tmp_path)
    assert mizzle("pull").code == 0
    assert len(load_schema(tmp_path / "schema.py").schema.tables) == 4
    assert mizzle("pull", "--tables", "*").code == 0
    assert len(load_schema(tmp_path / "schema.py").schema.tables) == 5


@pytest.mark.parametrize("flag", ["--tables", "--exclude"])
def test_an_empty_pattern_is_a_usage_error(mizzle: Mizzle, tmp_path: Path, app_db: str, flag: str) -> None:
    result = mizzle("pull", "--db", app_db, "--out", tmp_path / "s.py", flag, "a,,b")
    assert result.code == 2
    assert "an empty table pattern" in result.err
