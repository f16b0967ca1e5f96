"""The options of a sequence, declared once (`core/sequence_options.py`) for a standalone sequence,
an identity column's and a serial column's: PostgreSQL's defaults are cleared alike for each,
and each still prints as it did before the three shared one declaration."""

from __future__ import annotations

import pytest

from mizzle.core.model import Column, Identity, SerialSequence
from mizzle.core.pg_objects import PgSequence
from mizzle.core.sequence_options import NUMBERED_OPTIONS, SequenceKeywords, SequenceOptions
from mizzle.core.types import t

INT_MAX, BIG_MAX = 2**31 - 1, 2**63 - 1


@pytest.mark.parametrize(
    ("data_type", "given", "left"),
    [
        ("integer", {"start": 1, "increment": 1, "min_value": 1, "max_value": INT_MAX, "cache": 1}, {}),
        ("bigint", {"start": 1, "max_value": BIG_MAX}, {}),
        ("integer", {"max_value": BIG_MAX}, {"max_value": BIG_MAX}),
        ("bigint", {"increment": -1, "start": -1, "max_value": -1, "min_value": -BIG_MAX - 1}, {"increment": -1}),
        ("bigint", {"min_value": 5, "start": 5}, {"min_value": 5}),
        ("smallint", {"start": 7, "cache": 20, "cycle": True}, {"start": 7, "cache": 20, "cycle": True}),
    ],
)
def test_every_kind_clears_postgresqls_defaults_alike(
    data_type: str, given: dict[str, int], left: dict[str, int]
) -> None:
    expected = SequenceOptions.model_validate(left)
    assert SequenceOptions.model_validate(given).without_defaults(data_type) == expected
    sequence = PgSequence.model_validate({"name": "s", "data_type": data_type, **given}).without_defaults()
    assert sequence == PgSequence.model_validate({"name": "s", "data_type": data_type, **left})
    identity = Column(name="id", type=t(data_type), identity=Identity.model_validate(given)).identity
    assert identity == Identity.model_validate(left)
    if data_type in ("integer", "bigint"):
        kind = "serial" if data_type == "integer" else "bigserial"
        serial = Column(name="id", type=t(kind), sequence=SerialSequence.model_validate(given)).sequence
        assert serial == (SerialSequence.model_validate(left) if left else None)


def test_each_kind_prints_as_before() -> None:
    identity = Identity(always=True, start=10, increment=2, max_value=99, cache=5, cycle=True)
    assert identity.sql() == "GENERATED ALWAYS AS IDENTITY (START WITH 10 INCREMENT BY 2 MAXVALUE 99 CACHE 5 CYCLE)"
    sequence = PgSequence(name="s", data_type="integer", start=10, increment=2, cache=5)
    assert sequence.options() == ["AS integer", "INCREMENT BY 2", "START WITH 10", "CACHE 5"]
    assert PgSequence(name="s").options(all_of_them=True) == [
        "AS bigint",
        "INCREMENT BY 1",
        "NO MINVALUE",
        "NO MAXVALUE",
        "CACHE 1",
        "NO CYCLE",
    ]


def test_the_keywords_the_dsl_takes_are_the_options() -> None:
    assert set(SequenceKeywords.__annotations__) == {*NUMBERED_OPTIONS, "cycle"}
    assert set(SequenceOptions.model_fields) == {*NUMBERED_OPTIONS, "cycle"}
    for kind in (Identity, PgSequence, SerialSequence):
        assert issubclass(kind, SequenceOptions)
