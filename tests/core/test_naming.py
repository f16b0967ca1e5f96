"""Default names match what PostgreSQL itself gives (checked against a live server when written)."""

import pytest

from mizzle.core import naming
from mizzle.core.expr import SqlExpr

LONG_T = "averyveryveryveryveryveryveryveryveryverylongtablenamexxxxxxxxx"
LONG_C = "averyveryveryveryveryveryveryveryveryverylongcolumnnamexxxxxxx"


@pytest.mark.parametrize(
    ("got", "want"),
    [
        (naming.primary_key_name("t"), "t_pkey"),
        (naming.foreign_key_name("u", ["x"]), "u_x_fkey"),
        (naming.foreign_key_name("u", ["x", "y"]), "u_x_y_fkey"),
        (naming.unique_name("t", ["a", "b"]), "t_a_b_key"),
        (naming.check_name("t", SqlExpr.parse("a > 0")), "t_a_check"),
        (naming.check_name("t", SqlExpr.parse("a > b")), "t_check"),
        (naming.check_name("t", SqlExpr.parse("1 < 2")), "t_check"),
        (naming.index_name("t", [("a", None), ("b", None)]), "t_a_b_idx"),
        (naming.index_name("t", [(None, SqlExpr.parse("lower(c)"))]), "t_lower_idx"),
        (naming.index_name("t", [(None, SqlExpr.parse("a + b")), ("c", None)]), "t_expr_c_idx"),
        (naming.unique_name(LONG_T, [LONG_C]), "averyveryveryveryveryveryvery_averyveryveryveryveryveryvery_key"),
    ],
)
def test_default_names_are_postgresqls(got: str, want: str) -> None:
    assert got == want


def test_taken_names_get_a_number_like_postgresql() -> None:
    taken = {"t_check", "t_check1"}
    assert naming.check_name("t", SqlExpr.parse("1 < 2"), taken.__contains__) == "t_check2"


def test_names_never_exceed_63_bytes() -> None:
    assert len(naming.foreign_key_name("é" * 60, ["ü" * 60]).encode()) <= 63
