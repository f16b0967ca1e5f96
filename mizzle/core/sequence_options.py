"""The options of a PostgreSQL sequence, declared once for every kind of sequence the model
holds: a standalone sequence (`pg_objects.PgSequence`), an identity column's (`model.Identity`)
and a serial column's own, where it differs from what `serial`/`bigserial` makes
(`model.SerialSequence`).

None means PostgreSQL's default, which depends on the sequence's type and direction:
`without_defaults` clears every option equal to it, so that `START WITH 1` and nothing
compare equal however the schema was written or read.
"""

from __future__ import annotations

from typing import Literal, Self, TypedDict

from pydantic import BaseModel, ConfigDict, StrictInt

SequenceType = Literal["smallint", "integer", "bigint"]

#: the largest value of each integer type: an ascending sequence stops there by default
TYPE_MAX: dict[str, int] = {"smallint": 2**15 - 1, "integer": 2**31 - 1, "bigint": 2**63 - 1}


class SequenceOptions(BaseModel):
    """START, INCREMENT, MINVALUE, MAXVALUE, CACHE and CYCLE (None: PostgreSQL's default)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: StrictInt | None = None
    increment: StrictInt | None = None
    min_value: StrictInt | None = None
    max_value: StrictInt | None = None
    cache: StrictInt | None = None
    cycle: bool = False

    def without_defaults(self, data_type: str) -> Self:
        """These options with every one equal to PostgreSQL's default for a sequence of
        `data_type` (an integer type; another is taken as bigint) left out."""
        top = TYPE_MAX.get(data_type, TYPE_MAX["bigint"])
        increment = self.increment if self.increment is not None else 1
        ascending = increment > 0
        low, high = (1, top) if ascending else (-top - 1, -1)
        lowest = self.min_value if self.min_value is not None else low
        highest = self.max_value if self.max_value is not None else high
        first = lowest if ascending else highest
        update = {
            "increment": None if increment == 1 else increment,
            "min_value": None if self.min_value == low else self.min_value,
            "max_value": None if self.max_value == high else self.max_value,
            "start": None if self.start == first else self.start,
            "cache": None if self.cache == 1 else self.cache,
        }
        if all(getattr(self, name) == value for name, value in update.items()):
            return self
        return self.model_copy(update=update)

    @property
    def is_default(self) -> bool:
        """Whether every option is PostgreSQL's default (once `without_defaults` cleared them)."""
        return all(getattr(self, name) is None for name in NUMBERED_OPTIONS) and not self.cycle

    def start_value(self) -> int:
        """The value the sequence starts at: START, else its lowest (highest, descending) value."""
        if self.start is not None:
            return self.start
        if (self.increment or 1) > 0:
            return self.min_value if self.min_value is not None else 1
        return self.max_value if self.max_value is not None else -1

    def clauses(self, *, all_of_them: bool = False) -> list[str]:
        """The option clauses (no AS), as CREATE SEQUENCE and ALTER SEQUENCE take them; unsaid
        ones only when `all_of_them` (ALTER SEQUENCE must set back an option a change removes)."""
        out = []
        pairs = (
            ("INCREMENT BY", self.increment, "INCREMENT BY 1"),
            ("MINVALUE", self.min_value, "NO MINVALUE"),
            ("MAXVALUE", self.max_value, "NO MAXVALUE"),
            ("START WITH", self.start, None),
            ("CACHE", self.cache, "CACHE 1"),
        )
        for word, value, unsaid in pairs:
            if value is not None:
                out.append(f"{word} {value}")
            elif all_of_them and unsaid is not None:
                out.append(unsaid)
        if self.cycle or all_of_them:
            out.append("CYCLE" if self.cycle else "NO CYCLE")
        return out


class SequenceKeywords(TypedDict, total=False):
    """The options as keyword arguments, as the DSL takes them (`serial().sequence(start=10)`,
    `.identity(start=10)`, `sequence("s", start=10)`): declared once, here."""

    start: int | None
    increment: int | None
    min_value: int | None
    max_value: int | None
    cache: int | None
    cycle: bool


#: the numbered options, in the order the DSL's keywords are written
NUMBERED_OPTIONS = ("start", "increment", "min_value", "max_value", "cache")
