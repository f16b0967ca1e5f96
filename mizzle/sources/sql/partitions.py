"""Declarative partitioning in a `.sql` schema (`core/partitions.py`), read as introspection
reads it from the database the file makes:

- `CREATE TABLE t (...) PARTITION BY RANGE (a)`: the table's partition key;
- `CREATE TABLE p PARTITION OF t FOR VALUES ... [PARTITION BY ...]`, or pg_dump's way: `CREATE
  TABLE p (...)` then `ALTER TABLE [ONLY] t ATTACH PARTITION p FOR VALUES ...`: a partition;
- `CREATE INDEX ... ON p` and `ALTER TABLE [ONLY] p ADD CONSTRAINT c ...`: the partition's own
  index or constraint, kept as written (a file `pull` wrote holds PostgreSQL's own text);
- `ALTER INDEX i ATTACH PARTITION pi` (pg_dump's): `pi` is the copy PostgreSQL makes of `i`
  on the partition, not the partition's own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mizzle.core.errors import SchemaError
from mizzle.core.partitions import (
    Partition,
    PartitionConstraint,
    PartitionKey,
    index_name,
    parse_partition_key,
)
from mizzle.sources.sql.split import Statement, Tokens, fold_identifier


@dataclass
class DraftPartition:
    parent: str
    bound: str
    key: PartitionKey | None = None
    indexes: list[str] = field(default_factory=list)
    constraints: dict[str, str] = field(default_factory=dict)

    def finish(self, name: str) -> Partition:
        return Partition(
            name=name,
            parent=self.parent,
            bound=self.bound,
            partition_by=self.key,
            indexes=tuple(self.indexes),
            constraints=tuple(PartitionConstraint(name=n, definition=d) for n, d in self.constraints.items()),
        )

    def forget(self, name: str) -> bool:
        """Leaves out the index or constraint `name` (a copy of its parent's): whether it was here."""
        before = len(self.indexes) + len(self.constraints)
        self.indexes = [i for i in self.indexes if _unquoted(index_name(i)) != name]
        self.constraints.pop(name, None)
        return len(self.indexes) + len(self.constraints) != before


def _unquoted(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else fold_identifier(name)


_PARTITION_BY = re.compile(r"\bPARTITION\s+BY\s+", re.IGNORECASE)


def _split_key(rest: str, what: str) -> tuple[str, PartitionKey | None]:
    """(what comes before a final `PARTITION BY key`, that key)."""
    found = list(_PARTITION_BY.finditer(rest))
    if not found:
        return rest, None
    last = found[-1]
    return rest[: last.start()], read_key(rest[last.end() :], what)


def read_key(text: str, what: str) -> PartitionKey:
    """The key written after PARTITION BY (SchemaError naming `what` when the model cannot hold it)."""
    try:
        return parse_partition_key(text.strip().rstrip(";"))
    except ValueError as err:
        raise SchemaError(f"{what}: {err}") from None


def table_key(st: Statement, name: str) -> PartitionKey:
    """The partition key of `CREATE TABLE name (...) PARTITION BY ...`."""
    found = list(_PARTITION_BY.finditer(st.text))
    if not found:
        raise SchemaError(f'table "{name}": PARTITION BY without a key')
    return read_key(st.text[found[-1].end() :], f'table "{name}"')


def partition_of(st: Statement, name: str) -> tuple[str, DraftPartition]:
    """(parent, partition) of `CREATE TABLE name PARTITION OF parent bound [PARTITION BY ...]`."""
    tokens = Tokens(st.text)
    if not tokens.skip_to("PARTITION", "OF"):
        raise SchemaError(f'partition "{name}": PARTITION OF without a table')
    parent = tokens.qualified_name()
    after = tokens.peek()
    if after is None:
        raise SchemaError(f'partition "{name}" of "{parent}" has no bound (FOR VALUES ... or DEFAULT)')
    if after.text == "(":
        raise SchemaError(
            f'partition "{name}": columns or constraints declared in CREATE TABLE ... PARTITION OF are not '
            "carried; add its own constraints with ALTER TABLE ... ADD CONSTRAINT"
        )
    bound, key = _split_key(st.text[after.start :].strip().rstrip(";"), f'partition "{name}"')
    return parent, DraftPartition(parent=parent, bound=bound.strip(), key=key)


def attached_bound(tokens: Tokens, text: str, child: str) -> str:
    """The bound following `ATTACH PARTITION child`."""
    first = tokens.peek()
    if first is None:
        raise SchemaError(f'ATTACH PARTITION "{child}" has no bound (FOR VALUES ... or DEFAULT)')
    return text[first.start :].strip().rstrip(";").strip()


def added_constraint(tokens: Tokens, text: str, table: str) -> tuple[str, str]:
    """(name, definition) of `ADD CONSTRAINT name definition` on a partition."""
    parts = tokens.name()
    first = tokens.peek()
    if not parts or first is None:
        raise SchemaError(f'ALTER TABLE "{table}" ADD CONSTRAINT: a partition\'s constraint needs a name and a body')
    definition = text[first.start :].strip().rstrip(";").strip()
    # as pg_get_constraintdef prints it: a table of the default schema unqualified (pg_dump qualifies it)
    return parts[-1], re.sub(r"\bREFERENCES\s+public\.", "REFERENCES ", definition, flags=re.IGNORECASE)
