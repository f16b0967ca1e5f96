"""Every bad input: one `error:` line on stderr, exit 1 (2 for usage), no traceback, no password."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.conftest import Mizzle, PasswordServer

SECRET = "hunter2-Secret"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (f"postgresql://me:{SECRET}@db.example.com:port/app", "bad PostgreSQL URL"),
        (f"postgresql://me:{SECRET}@/app", "no host"),
        ("just-a-name", "not a database URL"),
        (f"mysql://me:{SECRET}@db.example.com/app", "unknown database URL scheme 'mysql'"),
        ("sqlite://relative.db", "bad SQLite URL"),
    ],
    ids=["bad-port", "no-host", "not-a-url", "unknown-scheme", "sqlite-two-slashes"],
)
def test_malformed_database_url(mizzle: Mizzle, tmp_path: Path, url: str, message: str) -> None:
    result = mizzle("pull", "--db", url, "--out", tmp_path / "schema.py")
    assert result.code == 1
    assert message in result.error_line
    assert SECRET not in result.err


def test_refused_connection_names_the_server_not_the_password(mizzle: Mizzle, tmp_path: Path) -> None:
    result = mizzle("pull", "--db", f"postgresql://me:{SECRET}@127.0.0.1:1/app", "--out", tmp_path / "s.py")
    assert result.code == 1
    assert "127.0.0.1" in result.error_line
    assert SECRET not in result.err


def test_wrong_password_is_refused_without_showing_it(
    mizzle: Mizzle, tmp_path: Path, password_server: PasswordServer
) -> None:
    result = mizzle("pull", "--db", password_server.url(SECRET), "--out", tmp_path / "s.py")
    assert result.code == 1
    assert "password" in result.error_line
    assert SECRET not in result.err
    assert not (tmp_path / "s.py").exists()


def test_right_password_is_accepted(mizzle: Mizzle, tmp_path: Path, password_server: PasswordServer) -> None:
    result = mizzle("pull", "--db", password_server.url(), "--out", tmp_path / "s.py")
    assert result.code == 0, result.err
    assert password_server.password not in result.out + result.err


def test_password_from_the_environment_is_hidden_too(
    mizzle: Mizzle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\n[db]\nurl = "${DATABASE_URL}"\n')
    (tmp_path / ".env.local").write_text(f"DATABASE_URL=postgresql://me:{SECRET}@127.0.0.1:1/app\n")
    monkeypatch.chdir(tmp_path)
    result = mizzle("pull", "--out", "pulled.py")
    assert result.code == 1
    assert "127.0.0.1" in result.error_line
    assert SECRET not in result.err


def test_missing_sqlite_file_is_an_error_and_is_not_created(mizzle: Mizzle, tmp_path: Path) -> None:
    result = mizzle("pull", "--db", f"sqlite:///{tmp_path}/missing.db", "--out", tmp_path / "s.py")
    assert result.code == 1
    assert "missing.db" in result.error_line
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("schema.py", "from mizzle import *\n\nclass Broken(:\n    pass\n"),
        ("schema.sql", "CREATE TABLE (id integer;\n"),
    ],
)
def test_schema_syntax_error_names_the_file(mizzle: Mizzle, tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    result = mizzle("export", "--schema", tmp_path / name)
    assert result.code == 1
    assert name in result.error_line
    assert result.out == ""


def test_missing_schema_file(mizzle: Mizzle, tmp_path: Path) -> None:
    result = mizzle("export", "--schema", tmp_path / "nope.py")
    assert result.code == 1
    assert "nope.py: no such schema file" in result.error_line


def test_missing_config_says_what_to_create(mizzle: Mizzle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = mizzle("export")
    assert result.code == 1
    assert "no mizzle.toml found" in result.error_line


def test_unknown_config_key_is_named(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\ndialect = "sqlite"\n')
    result = mizzle("--config", tmp_path / "mizzle.toml", "export")
    assert result.code == 1
    assert "unknown key 'dialect'" in result.error_line


def test_pull_does_not_overwrite_without_force(mizzle: Mizzle, tmp_path: Path) -> None:
    out = tmp_path / "schema.py"
    out.write_text("# mine\n")
    result = mizzle("pull", "--db", f"sqlite:///{tmp_path}/any.db", "--out", out)
    assert result.code == 1
    assert "pass --force" in result.error_line
    assert out.read_text() == "# mine\n"


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--no-such-option"],
        ["export", "--dialect", "mysql"],
        ["no-such-command"],
        ["pull", "--db"],
        ["pull", "--db", "sqlite:///x.db", "--out", "schema.txt"],
    ],
    ids=["unknown-option", "bad-choice", "unknown-command", "missing-value", "bad-out-extension"],
)
def test_usage_errors_exit_2_with_one_line(mizzle: Mizzle, args: list[str]) -> None:
    result = mizzle(*args)
    assert result.code == 2
    assert "--help" in result.error_line


def test_interrupt_exits_130_quietly(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "schema.py").write_text("raise KeyboardInterrupt\n")
    result = mizzle("export", "--schema", tmp_path / "schema.py")
    assert (result.code, result.out, result.err.strip()) == (130, "", "")


def test_debug_shows_the_traceback_before_the_error_line(mizzle: Mizzle) -> None:
    result = mizzle("--debug", "pull", "--db", f"mysql://me:{SECRET}@h/app", "--out", "x.py")
    lines = result.err.splitlines()
    assert result.code == 1
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[-1].startswith("error: unknown database URL scheme")
    assert SECRET not in result.err


def test_a_file_that_is_not_a_sqlite_database(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "notes.db").write_text("hello\n")
    result = mizzle("pull", "--db", f"sqlite:///{tmp_path}/notes.db", "--out", tmp_path / "s.py")
    assert result.code == 1
    assert "notes.db" in result.error_line


def test_out_naming_a_directory_is_a_usage_error(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "schema.py").mkdir()
    result = mizzle("pull", "--db", f"sqlite:///{tmp_path}/app.db", "--out", tmp_path / "schema.py", "--force")
    assert result.code == 2
    assert "is a directory" in result.error_line


def test_pull_into_a_folder_that_does_not_exist_creates_no_folder(mizzle: Mizzle, tmp_path: Path) -> None:
    sqlite3.connect(tmp_path / "app.db").close()
    out = tmp_path / "no" / "such" / "dir" / "schema.py"
    result = mizzle("pull", "--db", f"sqlite:///{tmp_path}/app.db", "--out", out)
    assert (result.code, result.error_line) == (1, f"error: cannot write {out}: there is no folder {out.parent}")
    assert not (tmp_path / "no").exists()
