"""No command shows a password, whatever the URL looks like (issue 9, item 3): each case runs
through every command that takes --db, with and without --debug, in-process; a few run as
the real `mizzle` process. The generated cases are in test_secrets_property.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

import mizzle.dialects.postgresql as pg_dialect
from tests.cli.conftest import Mizzle, PasswordServer, Result

SECRET = "hunter2-Secret"

#: every command that takes --db, with what else it needs to get as far as the database
COMMANDS: dict[str, tuple[str, ...]] = {
    "status": (),
    "pull": ("--out", "pulled.py"),
    "check": (),
    "migrate": (),
    "push": (),
    "rollback": (),
}

SCHEMA = "from mizzle.dsl import Table, serial\n\nclass Tune(Table):\n    id = serial().primary_key()\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project (config and schema: push needs one) as the working directory."""
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\n')
    (tmp_path / "schema.py").write_text(SCHEMA)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_everywhere(mizzle: Mizzle, url: str) -> list[tuple[str, Result]]:
    """`url` through every --db command, without and with --debug."""
    results = []
    for command, extra in COMMANDS.items():
        for debug in ((), ("--debug",)):
            results.append((f"{' '.join(debug)} {command}", mizzle(*debug, command, "--db", url, *extra)))
    return results


def error_lines(mizzle: Mizzle, url: str, secret: str = SECRET) -> set[str]:
    """The error line of every command run on `url` (the same with --debug, after the
    traceback), asserting that nothing printed shows `secret`."""
    lines = set()
    for where, result in run_everywhere(mizzle, url):
        assert result.code == 1, where
        assert secret not in result.out + result.err, where
        last = result.err.splitlines()[-1]
        assert last.startswith("error: ") and "internal error" not in last, (where, last)
        if "--debug" not in where:
            assert result.error_line == last
        lines.add(last)
    return lines


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"postgresql:///app?host=127.0.0.1&port=1&password={SECRET}",
            "error: cannot connect to postgresql:///app?host=127.0.0.1&port=1&password=***: nothing is listening",
        ),
        (
            f"postgresql://me@127.0.0.1:1/app?sslpassword={SECRET}",
            "error: cannot connect to postgresql://me@127.0.0.1:1/app?sslpassword=***: nothing is listening",
        ),
        (
            f"postgresql://me:{quote(SECRET + '/#?@:%& ', safe='')}@127.0.0.1:1/app",
            "error: cannot connect to postgresql://me:***@127.0.0.1:1/app: nothing is listening",
        ),
        (
            f"postgresql://me:hunter2@{SECRET}@127.0.0.1:1/app",
            "error: cannot connect to postgresql://me:***@127.0.0.1:1/app: nothing is listening",
        ),
    ],
    ids=["query-password", "query-sslpassword", "encoded-specials", "raw-at-sign"],
)
def test_a_password_anywhere_in_a_url_is_masked_in_its_field(
    mizzle: Mizzle, project: Path, url: str, expected: str
) -> None:
    (line,) = error_lines(mizzle, url)
    assert line.startswith(expected)


@pytest.mark.parametrize("password", ["postgres", "postgresql", "ql", "sql", "sqlite", "127.0.0.1", "app", "me"])
def test_a_password_that_is_also_other_text_leaves_that_text_alone(
    mizzle: Mizzle, project: Path, password: str
) -> None:
    # Replacing the password's text wherever it occurred printed `***ql://me:***@...`.
    (line,) = error_lines(mizzle, f"postgresql://me:{password}@127.0.0.1:1/app", secret="\0")
    assert line == (
        "error: cannot connect to postgresql://me:***@127.0.0.1:1/app: "
        "nothing is listening on 127.0.0.1:1 (is PostgreSQL running there?)"
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"host=127.0.0.1 port=1 user=me password={SECRET}", "a key=value connection string is not supported"),
        (f"host=127.0.0.1 password='{SECRET} x'", "a key=value connection string is not supported"),
        (f"me:{SECRET}@127.0.0.1:1/app", "not a database URL"),
        (f"postgresql:/me:{SECRET}@127.0.0.1:1/app", "postgresql: must be followed by two slashes"),
        (f"postgresql://me:hunter2/{SECRET}@127.0.0.1:1/app", "an @ after the host"),
        (f"postgresql://me:hunter2?{SECRET}@127.0.0.1:1/app", "an @ after the host"),
        (f"postgresql://me:hunter2#{SECRET}@127.0.0.1:1/app", "no #fragment"),
        (f"postgresql://me:hunter2%{SECRET}@127.0.0.1:1/app", "a % that starts no %-escape"),
        (f"postgresql://me@127.0.0.1:1/app?password=hunter2&port={SECRET}", "put ?password= last"),
        (f"postgresql://me:{SECRET}@127.0.0.1:port/app", "the port must be a number"),
        (f"sqlite://me:{SECRET}@127.0.0.1/app", "bad SQLite URL"),
    ],
    ids=[
        "key-value",
        "key-value-quoted",
        "no-scheme",
        "one-slash",
        "raw-slash",
        "raw-question-mark",
        "raw-hash",
        "raw-percent",
        "raw-ampersand",
        "bad-port",
        "sqlite-typo",
    ],
)
def test_a_url_that_does_not_parse_is_refused_without_echoing_it(
    mizzle: Mizzle, project: Path, url: str, problem: str
) -> None:
    (line,) = error_lines(mizzle, url, secret="hunter2")
    assert problem in line


def test_a_right_to_left_override_in_a_host_is_one_clear_line(mizzle: Mizzle, project: Path) -> None:
    (line,) = error_lines(mizzle, f"postgresql://me:{SECRET}@ev\u202eil.example.com:1/app")
    assert "the host holds a space, control or invisible character" in line
    assert "\u202e" not in line


def test_a_5000_character_sqlite_path_is_one_clear_line(mizzle: Mizzle, project: Path) -> None:
    path = f"{project}/{'a' * 5000}.db"
    lines = error_lines(mizzle, f"sqlite:///{path}")
    assert len(lines) == 1, lines
    (line,) = lines
    assert line.startswith(f"error: cannot open SQLite database at {project}/aaa")
    assert line.endswith("aaa.db: File name too long")
    assert len(line) < 300


def test_a_url_given_without_db_is_shown_redacted_in_the_usage_error(mizzle: Mizzle, project: Path) -> None:
    for debug in ((), ("--debug",)):
        result = mizzle(*debug, "status", f"postgresql://me:{SECRET}@127.0.0.1:1/app")
        assert result.code == 2
        assert SECRET not in result.err
        assert "unexpected extra argument(s) (postgresql://me:***@127.0.0.1:1/app)" in result.err


def test_a_bad_url_given_without_db_is_not_shown_in_the_usage_error(mizzle: Mizzle, project: Path) -> None:
    result = mizzle("status", f"me:{SECRET}@127.0.0.1:1/app")
    assert result.code == 2
    assert "unexpected extra argument(s) (an argument not shown: it may hold a password)" in result.error_line


def test_an_internal_error_holding_the_password_withholds_its_message(
    mizzle: Mizzle, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug stand-in: the connect function fails with a message quoting the driver's URL.
    def buggy_connect(url: object, **options: object) -> None:
        raise ValueError(f"cannot use {getattr(url, 'url', '')}")

    monkeypatch.setattr(pg_dialect, "connect", buggy_connect, raising=False)
    for debug in ((), ("--debug",)):
        result = mizzle(*debug, "status", "--db", f"postgresql://me:{SECRET}@127.0.0.1:1/app")
        assert result.code == 1
        assert SECRET not in result.err
        assert result.err.splitlines()[-1] == (
            "error: internal error: ValueError: (message not shown: it may hold a password) "
            "(run with --debug for the traceback)"
        )
        if debug:
            assert "\nValueError: (message not shown: it may hold a password)\n" in result.err
        else:
            assert len(result.err.splitlines()) == 1


def test_a_wrong_password_of_any_characters_is_refused_without_showing_it(
    mizzle: Mizzle, project: Path, password_server: PasswordServer
) -> None:
    password = "postgres /#?@:%&'\" ünï"
    url = f"postgresql://postgres:{quote(password, safe='')}@127.0.0.1:{password_server.port}/postgres"
    (line,) = error_lines(mizzle, url, secret=password)
    assert line == (
        f"error: cannot connect to postgresql://postgres:***@127.0.0.1:{password_server.port}/postgres: "
        'password authentication failed for user "postgres"'
    )


def mizzle_process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real console script, as a user runs it."""
    script = Path(sys.executable).parent / "mizzle"
    return subprocess.run([script, *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://me:postgres@127.0.0.1:1/app",
        f"postgresql:///app?host=127.0.0.1&port=1&password={SECRET}",
        f"host=127.0.0.1 password={SECRET}",
        f"postgresql://me:hunter2/{SECRET}@127.0.0.1:1/app",
    ],
    ids=["scheme-word", "query-password", "key-value", "raw-slash"],
)
def test_the_real_process_shows_no_password(project: Path, url: str) -> None:
    for debug in ((), ("--debug",)):
        done = mizzle_process(*debug, "status", "--db", url, cwd=project)
        assert done.returncode == 1
        assert SECRET not in done.stdout + done.stderr
        assert "***ql" not in done.stderr
        assert done.stderr.splitlines()[-1].startswith("error: ")
        assert "internal error" not in done.stderr
