"""Database URLs: parsed into parts, redacted by structure, refused without being echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.core.errors import DatabaseURLError
from mizzle.core.urls import shown_text
from mizzle.dialects.postgresql.url import with_database
from mizzle.dialects.urls import parse_url, redact

SECRET = "hunter2-Secret"


def refusal(text: str) -> str:
    """The message parse_url refuses `text` with (asserting it shows no part of the secret)."""
    with pytest.raises(DatabaseURLError) as info:
        parse_url(text)
    message = str(info.value)
    assert "hunter" not in message and "Secret" not in message, message
    return message


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (f"postgresql://me:{SECRET}@db.example.com:5432/app", "postgresql://me:***@db.example.com:5432/app"),
        (f"postgres://me:{SECRET}@db/app?sslmode=require", "postgres://me:***@db/app?sslmode=require"),
        (f"postgresql:///app?host=/run/pg&password={SECRET}", "postgresql:///app?host=/run/pg&password=***"),
        (f"postgresql://me@db/app?sslpassword={SECRET}", "postgresql://me@db/app?sslpassword=***"),
        (f"postgresql://me:{SECRET}@[::1]:5432/app", "postgresql://me:***@[::1]:5432/app"),
        ("postgresql://me:postgres@postgres/postgresql", "postgresql://me:***@postgres/postgresql"),
        ("postgresql://ql:ql@ql/ql", "postgresql://ql:***@ql/ql"),
        ("postgresql://me@h1,h2/app", "postgresql://me@h1,h2/app"),
    ],
    ids=["userinfo", "postgres-scheme", "query", "sslpassword", "ipv6", "scheme-word", "scheme-letters", "hosts"],
)
def test_the_redacted_url_masks_each_password_field_and_nothing_else(text: str, redacted: str) -> None:
    url = parse_url(text)
    assert url.redacted == str(url) == redacted
    assert SECRET not in repr(url)


@pytest.mark.parametrize(
    ("password", "written"),
    [("p@ss", "p@ss"), ("p:ss", "p:ss"), ("a&b c", "a&b c"), ("p/ss", "p%2Fss"), ("100%", "100%25"), ("pä", "p%C3%A4")],
)
def test_the_driver_gets_every_part_percent_encoded(password: str, written: str) -> None:
    url = parse_url(f"postgresql://me:{written}@db/app")
    assert url.secrets == (password,)
    assert url.parts is not None and url.parts.password == password
    assert url.url.startswith("postgresql://me:") and url.url.endswith("@db/app")
    assert parse_url(url.url).parts == url.parts  # what the driver gets reads back the same


def test_a_socket_url_with_another_database_keeps_its_empty_host() -> None:
    url = with_database(parse_url(f"postgresql:///app?host=/run/pg&password={SECRET}"), "other")
    assert url.redacted == "postgresql:///other?host=/run/pg&password=***"
    assert url.secrets == (SECRET,)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"host=db.example.com user=me password={SECRET}", "a key=value connection string is not supported"),
        (f"me:{SECRET}@db.example.com/app", "not a database URL"),
        (f"postgresql:/me:{SECRET}@db.example.com/app", "postgresql: must be followed by two slashes"),
        (f"postgresql://me:hunter2/{SECRET}@db/app", "an @ after the host"),
        (f"postgresql://me:hunter2?{SECRET}@db/app", "an @ after the host"),
        (f"postgresql://me:hunter2#{SECRET}@db/app", "no #fragment"),
        (f"postgresql://me:hunter2%zz{SECRET}@db/app", "the password has a % that starts no %-escape"),
        (f"postgresql://me:hunter2%ff{SECRET}@db/app", "the password is not UTF-8"),
        (f"postgresql://me:{SECRET}@db/app?password=hunter2&port=Secret", "put ?password= last"),
        (f"postgresql://me:{SECRET}@db:port/app", "the port must be a number"),
        (f"postgresql://me:{SECRET}@/app", "no host"),
        (f"postgresql://me:{SECRET}@ev\u202eil.example.com/app", "the host holds a space, control or invisible"),
        (f"sqlite://me:{SECRET}@db/app", "bad SQLite URL"),
        (f"sqlite:///app.db?password={SECRET}", "a SQLite URL takes no ?parameters"),
        (f"mysql://me:{SECRET}@db/app", "unknown database URL scheme 'mysql'"),
    ],
    ids=[
        "key-value",
        "no-scheme",
        "one-slash",
        "raw-slash",
        "raw-question-mark",
        "raw-hash",
        "stray-percent",
        "not-utf8",
        "param-after-password",
        "bad-port",
        "no-host",
        "rtl-host",
        "sqlite-with-credentials",
        "sqlite-query",
        "unknown-scheme",
    ],
)
def test_a_text_that_does_not_parse_is_refused_without_being_echoed(text: str, message: str) -> None:
    assert message in refusal(text)


def test_an_unknown_query_parameter_is_named() -> None:
    assert "unknown query parameter 'sslmod'" in refusal("postgresql://me@db/app?sslmod=require")


def test_a_password_written_with_a_raw_at_sign_is_taken_whole() -> None:
    # urlsplit and libpq disagree on `a@b@host`; mizzle takes the last @, and the driver gets %40.
    url = parse_url(f"postgresql://me:hunter2@{SECRET}@db/app")
    assert (url.secrets, url.redacted) == ((f"hunter2@{SECRET}",), "postgresql://me:***@db/app")
    assert "%40" in url.url


def test_reveals_finds_the_password_in_foreign_text_only() -> None:
    url = parse_url(f"postgresql://me:{SECRET}@db/app?sslpassword=other-secret")
    assert url.reveals(f"invalid token {SECRET}") and url.reveals("key other-secret")
    assert not url.reveals(url.redacted)


def test_sqlite_paths_are_unchanged(tmp_path: Path) -> None:
    assert parse_url("sqlite:///data/app.db", base_dir=tmp_path).sqlite_path == str(tmp_path / "data/app.db")
    assert parse_url("sqlite:////abs/my%20app.db").sqlite_path == "/abs/my app.db"
    assert parse_url("sqlite://:memory:").sqlite_path == ":memory:"


def test_shown_text_escapes_invisible_characters_and_cuts_long_texts() -> None:
    assert shown_text("ev\u202eil\n") == "ev\\u202eil\\n"
    long = shown_text("/tmp/" + "a" * 5000 + ".db")
    assert len(long) < 250 and long.startswith("/tmp/aaa") and long.endswith("a.db") and "5008 characters" in long


def test_redact_replaces_whole_url_words_in_free_text() -> None:
    text = f"run --pg postgresql://postgres:postgres@127.0.0.1/postgres and mysql://me:{SECRET}@db/app, done"
    assert redact(text) == (
        "run --pg postgresql://postgres:***@127.0.0.1/postgres and (a URL not shown: it may hold a password) done"
    )
