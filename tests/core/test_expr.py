"""SqlExpr canonical form: the spellings PostgreSQL's deparser prints and the spellings people
write must canonicalise alike, without changing what the expression means."""

import pytest
from sqlglot import exp

from mizzle.core.canonical import pg_expr
from mizzle.core.errors import SchemaSyntaxError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import View
from mizzle.core.naming import check_name


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("((a > 1) AND (b < 2))", "a > 1 AND b < 2"),
        ("(a OR b) AND c", "(a OR b) AND c"),
        ("NOT (a OR b)", "NOT (a OR b)"),
        ("((a AND b) OR c)", "a AND b OR c"),
        ("a - (b - c)", "a - (b - c)"),
        ("((a - b) - c)", "a - b - c"),
        ("(((a + (b * c)) > 0))", "a + b * c > 0"),
        ("((a + b) * c)", "(a + b) * c"),
        ("coalesce((a + b), 1)", "COALESCE(a + b, 1)"),
        ("((a || b) || c)", "a || b || c"),
        ("(a || (b || c))", "a || (b || c)"),
        ("(a = ANY (ARRAY[1,2]))", "a = ANY(ARRAY[1, 2])"),
        ("-(a+b)", "-(a + b)"),
        ("(-(a))", "-a"),
        ("((a)::text = b)", "CAST(a AS TEXT) = b"),
        ("lower((c))", "LOWER(c)"),
        ("CASE WHEN (a > 1) THEN (b) ELSE (c) END", "CASE WHEN a > 1 THEN b ELSE c END"),
        ("SELECT (t.a), (t.b + 1) AS x FROM t WHERE ((t.a > 1))", "SELECT t.a, t.b + 1 AS x FROM t WHERE t.a > 1"),
    ],
)
def test_redundant_parentheses_are_dropped_and_needed_ones_kept(text: str, canonical: str) -> None:
    assert SqlExpr.parse(text).sql == canonical


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("FOO + Bar", "foo + bar"),
        ('"Foo" + bar', '"Foo" + bar'),
        ('"foo"', "foo"),
        ('"select" + 1', '"select" + 1'),
        ('"two words"', '"two words"'),
    ],
)
def test_identifiers_fold_like_postgresql_and_are_quoted_only_when_needed(text: str, canonical: str) -> None:
    assert SqlExpr.parse(text).sql == canonical


def test_equal_expressions_compare_and_hash_equal() -> None:
    a, b = SqlExpr.parse("((x > 0))"), SqlExpr.parse("X > 0")
    assert a == b and hash(a) == hash(b) and a != SqlExpr.parse("x >= 0")


def test_tree_is_a_private_copy() -> None:
    e = SqlExpr.parse("a + 1")
    e.tree.set("this", exp.column("zzz"))
    assert e.sql == "a + 1"


def test_column_names_in_order_of_appearance() -> None:
    assert SqlExpr.parse("b > a AND lower(c) = b").column_names() == ["b", "a", "c"]


def test_an_expression_opening_with_a_statement_word_is_read_as_an_expression() -> None:
    # Synapse's column `lock`: sqlglot alone reads `lock = 'X'` as a LOCK statement
    checked = SqlExpr.parse("lock = 'X' AND lock <> 'Y'")
    assert checked.column_names() == ["lock"]
    assert checked.sql == "lock = 'X' AND lock <> 'Y'"
    assert check_name("appservice_stream_position", checked) == "appservice_stream_position_lock_check"


def test_pagilas_own_group_concat_stays_a_call_of_that_name() -> None:
    # PostgreSQL has no group_concat: sqlglot's MySQL reading would print it as string_agg
    assert (
        pg_expr("SELECT group_concat(t.a || ' '::text) AS x FROM t").sql
        == "SELECT GROUP_CONCAT(t.a || ' ') AS x FROM t"
    )
    assert pg_expr("SELECT string_agg(t.a, ',') AS x FROM t").sql == "SELECT STRING_AGG(t.a, ',') AS x FROM t"


def test_unparseable_text_is_one_line_schema_syntax_error() -> None:
    with pytest.raises(SchemaSyntaxError, match=r"^cannot parse SQL expression 'a >>> \(': ") as err:
        SqlExpr.parse("a >>> (")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("text", "dialect"),
    [
        ("x IS NOT NULL", "postgres"),
        ("x IS NOT NULL", "sqlite"),
        ("NOT (x IS NULL)", "postgres"),
        ("NOT x IS NULL", "sqlite"),
    ],
)
def test_is_not_null_has_one_canonical_spelling(text: str, dialect: str) -> None:
    assert SqlExpr.parse(text, dialect).sql == "x IS NOT NULL"


# --- PostgreSQL's own spelling ---------------------------------------------------------------


def test_postgresql_text_keeps_its_spelling_beside_the_canonical_text() -> None:
    expr = SqlExpr.parse("char_length(currency) = 3")
    assert expr.sql == "LENGTH(currency) = 3"
    assert expr.pg == "char_length(currency) = 3"
    assert expr.render("postgres") == "char_length(currency) = 3"
    assert expr.render("sqlite") == "LENGTH(currency) = 3"


def test_spelling_takes_no_part_in_comparing_hashing_or_serialising() -> None:
    spelled, plain = SqlExpr.parse("btrim(name) <> ''"), SqlExpr.parse("TRIM(name) <> ''")
    assert spelled.pg == "btrim(name) <> ''" and plain.pg is None  # the canonical text itself
    assert spelled == plain and hash(spelled) == hash(plain)
    assert View(name="v", query=SqlExpr.parse("select char_length(a) from t")).model_dump()["query"] == (
        "SELECT LENGTH(t.a) FROM t"
    )
    assert SqlExpr.parse("char_length(a) = 1") != SqlExpr.parse("char_length(a) = 2")


def test_a_rewritten_tree_drops_the_spelling_and_a_requalified_one_keeps_it() -> None:
    expr = SqlExpr.parse("char_length(a) = 3")
    assert SqlExpr(expr.tree).pg is None
    view = View(name="v", query=SqlExpr.parse("select char_length(a) from t"))
    assert view.query.sql == "SELECT LENGTH(t.a) FROM t"
    assert view.query.pg == "select char_length(a) from t"


def test_sqlite_text_has_no_postgresql_spelling() -> None:
    assert SqlExpr.parse("length(a) = 3", "sqlite").pg is None
