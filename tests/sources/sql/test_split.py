from __future__ import annotations

import pytest

from mizzle.core.errors import SchemaSyntaxError
from mizzle.sources.sql.split import Statement, Tokens, split_statements


def split(text: str) -> list[tuple[int, str]]:
    return [(st.line, st.text) for st in split_statements(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SELECT 1; SELECT 2", [(1, "SELECT 1"), (1, "SELECT 2")]),
        ("SELECT 1;\n\n\nSELECT 2;\n", [(1, "SELECT 1"), (4, "SELECT 2")]),
        ("-- a comment; not a statement\nSELECT 1;", [(2, "SELECT 1")]),
        ("/* one; /* nested; */ still; */ SELECT 1;", [(1, "SELECT 1")]),
        ("SELECT 1 -- trailing; comment\n;", [(1, "SELECT 1 -- trailing; comment")]),
        ("SELECT 'a;b', 'it''s;';", [(1, "SELECT 'a;b', 'it''s;'")]),
        ("SELECT E'a\\';b';", [(1, "SELECT E'a\\';b'")]),
        ("SELECT N'Rock;';", [(1, "SELECT N'Rock;'")]),
        ('CREATE TABLE "a;b" (c int);', [(1, 'CREATE TABLE "a;b" (c int)')]),
        ("SELECT $$a;b$$;", [(1, "SELECT $$a;b$$")]),
        ("SELECT $f$ $$;$$ $f$;", [(1, "SELECT $f$ $$;$$ $f$")]),
        ("SELECT $1;", [(1, "SELECT $1")]),
        ("SELECT a$b$c; SELECT 2", [(1, "SELECT a$b$c"), (1, "SELECT 2")]),
        (
            "CREATE FUNCTION f() AS $$\nBEGIN; END;\n$$;\nSELECT 1;",
            [(1, "CREATE FUNCTION f() AS $$\nBEGIN; END;\n$$"), (4, "SELECT 1")],
        ),
        (";;  ;SELECT 1;;", [(1, "SELECT 1")]),
        ("SELECT 1", [(1, "SELECT 1")]),
        ("\\c chinook;\nCREATE TABLE t (a int);", [(1, "\\c chinook;"), (2, "CREATE TABLE t (a int)")]),
        ("COPY t (a) FROM stdin;\n1\tx;y\n\\.\nSELECT 1;", [(1, "COPY t (a) FROM stdin"), (4, "SELECT 1")]),
        ("COPY t TO stdout; SELECT 1;", [(1, "COPY t TO stdout"), (1, "SELECT 1")]),
    ],
)
def test_statements_end_at_semicolons_outside_quotes_and_comments(text: str, expected: list[tuple[int, str]]) -> None:
    assert split(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT 1;\nSELECT 'abc", "schema.sql:2: unterminated quoted string"),
        ('SELECT "abc', "schema.sql:1: unterminated quoted identifier"),
        ("\n\nSELECT $x$ abc $y$", "schema.sql:3: unterminated dollar-quoted string $x$"),
        ("SELECT 1 /* /* */", "schema.sql:1: unterminated /* comment"),
        ("COPY t FROM stdin;\n1\n", "schema.sql:1: COPY ... FROM stdin without its closing \\. line"),
    ],
)
def test_unterminated_quotes_name_their_line(text: str, message: str) -> None:
    with pytest.raises(SchemaSyntaxError) as err:
        split_statements(text)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("text", "head"),
    [
        ("create unique index i on t (a)", ("CREATE", "UNIQUE", "INDEX", "I", "ON", "T")),
        ("ALTER TABLE ONLY public.t ADD", ("ALTER", "TABLE", "ONLY", "PUBLIC")),
        ("CREATE /* x */ OR REPLACE VIEW v", ("CREATE", "OR", "REPLACE", "VIEW", "V")),
        ("SET x = 1", ("SET", "X")),
    ],
)
def test_head_is_the_leading_bare_words(text: str, head: tuple[str, ...]) -> None:
    assert Statement(text, 1).head(6) == head


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("public.t", ("public", "t")),
        ('public."Mood"', ("public", "Mood")),
        ('"a""b"', ('a"b',)),
        ("Upper_Case", ("upper_case",)),
        ("x" * 70, ("x" * 63,)),
    ],
)
def test_names_fold_unquote_and_truncate_as_postgresql_reads_them(text: str, name: tuple[str, ...]) -> None:
    assert Tokens(text).name() == name


def test_tokens_read_key_words_strings_and_parenthesized_text() -> None:
    tokens = Tokens("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'it''s' AFTER 'ok' CHECK ((a > (b)))")
    assert tokens.accept("ALTER", "TYPE") and tokens.qualified_name() == "mood"
    assert not tokens.accept("ADD", "COLUMN") and tokens.accept("ADD", "VALUE", "IF", "NOT", "EXISTS")
    assert (tokens.string(), tokens.accept("AFTER"), tokens.string()) == ("it's", True, "ok")
    assert tokens.skip_to("CHECK") and tokens.parenthesized() == "(a > (b))"
