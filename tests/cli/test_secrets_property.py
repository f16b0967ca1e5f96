"""Generated passwords of any characters, in every place a URL or DSN can hold one, through
every command that takes --db, with and without --debug: what mizzle prints never depends on
the password (so no part of it is shown), and masks sit only in password fields.

How "never shows the password" is checked: the same command runs with the password P and
with its twin Q, a password of the same shape (every %-escape, delimiter, space and invisible
character kept, every other character replaced by another of its class); the outputs must be
equal. A password that is also ordinary text (`postgres`, `ql`, `127.0.0.1`) may then appear
in the output only where it appears for the twin too: as the scheme, a host, a user, never as
the password. Connections go to 127.0.0.1:1, which refuses at once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mizzle.core.errors import DatabaseURLError
from mizzle.dialects.urls import parse_url
from tests.cli.conftest import Mizzle
from tests.cli.test_secrets import COMMANDS, SCHEMA

#: the characters that shape a URL or a DSN, drawn often
SPECIAL = "/#?@:%&= '\"\\"
#: passwords that are also text the output holds anyway
WORDS = ["postgres", "postgresql", "ql", "sql", "sqlite", "127.0.0.1", "app", "me", "error", "***", "%41", "a%zz"]

passwords = st.one_of(
    st.text(
        alphabet=st.one_of(
            st.sampled_from(SPECIAL), st.characters(blacklist_categories=("Cs",), blacklist_characters="\0")
        ),
        min_size=1,
        max_size=16,
    ),
    st.sampled_from(WORDS),
    st.tuples(st.sampled_from(WORDS), st.text(alphabet=SPECIAL, min_size=1, max_size=3)).map("".join),
)

#: where a password can be: how the URL (or DSN) holding `p` is written
PLACES: dict[str, Callable[[str], str]] = {
    "userinfo": lambda p: f"postgresql://me:{quote(p, safe='')}@127.0.0.1:1/app",
    "userinfo-raw": lambda p: f"postgresql://me:{p}@127.0.0.1:1/app",
    "query": lambda p: f"postgresql:///app?host=127.0.0.1&port=1&password={quote(p, safe='')}",
    "query-raw": lambda p: f"postgresql://me@127.0.0.1:1/app?sslmode=disable&password={p}",
    "sslpassword": lambda p: f"postgres://me@127.0.0.1:1/app?sslpassword={quote(p, safe='')}",
    "dsn": lambda p: f"host=127.0.0.1 port=1 user=me password={p}",
    "dsn-quoted": lambda p: f"host=127.0.0.1 port=1 user=me password='{p}'",
    "no-scheme": lambda p: f"me:{p}@127.0.0.1:1/app",
    "one-slash": lambda p: f"postgresql:/me:{p}@127.0.0.1:1/app",
    "sqlite-typo": lambda p: f"sqlite://me:{p}@127.0.0.1/app",
}

_ROTATIONS = ["0123456789", "abcdef", "ABCDEF", "ghijklmnopqrstuvwxyz", "GHIJKLMNOPQRSTUVWXYZ"]


def _twin_char(c: str) -> str:
    for cycle in _ROTATIONS:
        if c in cycle:
            return cycle[(cycle.index(c) + len(cycle) // 2) % len(cycle)]
    # Other visible characters become another one; delimiters, spaces, invisible characters
    # and those NFKC folds into something else (`＠` → `@`) stay: they shape the URL.
    if ord(c) > 127 and c.isprintable() and not c.isspace() and unicodedata.normalize("NFKC", c) == c:
        return "ü" if c == "é" else "é"
    return c


def twin(password: str) -> str:
    """A password of the same shape as `password` (its %-escapes kept), with other characters."""
    return re.sub(r"%[0-9A-Fa-f]{2}|.", lambda m: m[0] if len(m[0]) == 3 else _twin_char(m[0]), password, flags=re.S)


def assert_masks_only_in_password_fields(text: str) -> None:
    """`***` stands only for a password (`user:***@`, `password=***`), never inside other words."""
    rest = re.sub(r"(?<=[:=])\*\*\*(?=[@&:\s)]|$)", "", text, flags=re.M)
    assert "***" not in rest, text


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\n')
    (tmp_path / "schema.py").write_text(SCHEMA)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(max_examples=400, deadline=None)
@given(password=passwords, place=st.sampled_from(sorted(PLACES)))
def test_parsing_shows_nothing_of_the_password(password: str, place: str) -> None:
    """The cheap half: parse_url's result or refusal, P against its twin."""

    def outcome(p: str) -> str:
        try:
            url = parse_url(PLACES[place](p))
        except DatabaseURLError as err:
            return f"error: {err}"
        assert parse_url(url.url).parts == url.parts  # the driver's URL reads back the same
        return url.redacted

    shown, twin_shown = outcome(password), outcome(twin(password))
    assert shown == twin_shown
    assert password not in shown or password in twin_shown
    assert_masks_only_in_password_fields(shown)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    password=passwords,
    place=st.sampled_from(sorted(PLACES)),
    command=st.sampled_from(sorted(COMMANDS)),
    debug=st.booleans(),
)
def test_no_command_shows_the_password(
    mizzle: Mizzle, project: Path, password: str, place: str, command: str, debug: bool
) -> None:
    def run(p: str) -> tuple[int, str, str]:
        result = mizzle(*(["--debug"] if debug else []), command, "--db", PLACES[place](p), *COMMANDS[command])
        return result.code, result.out, result.err

    code, out, err = run(password)
    twin_run = run(twin(password))
    assert (code, out, err) == twin_run  # nothing printed depends on the password
    assert password not in out + err or password in twin_run[1] + twin_run[2]
    assert code == 1
    assert err.splitlines()[-1].startswith("error: ") and "internal error" not in err, err
    assert ("Traceback (most recent call last):" in err) == debug
    assert_masks_only_in_password_fields(out + err)
