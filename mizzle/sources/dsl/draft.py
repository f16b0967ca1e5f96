"""Tables whose constraints and indexes may still be unnamed, and how they get their names.

The DSL and the code generator share this step: the generator leaves a name out exactly when
`name_tables` would give it back, so the code it writes loads into the same schema.

Names are PostgreSQL's own (`core/naming.py`), chosen in a fixed order: every explicit name
in the schema is reserved first, then tables are named in their given order and, within a
table, checks, the primary key, uniques, foreign keys and indexes, each in declaration order.
Like PostgreSQL, constraint names are kept apart schema-wide (a taken name gets a `1`, `2`...
suffix), and PRIMARY KEY, UNIQUE and index names share one namespace with tables and views.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from mizzle.core import naming
from mizzle.core.model import Check, Column, ForeignKey, Index, IndexKey, PrimaryKey, Table, Unique
from mizzle.core.partitions import PartitionKey
from mizzle.core.sync.names import SYNC_SEQ
from mizzle.core.sync.parts import is_delta_index, missing_sync_columns

#: The name of a constraint or index still to be chosen.
UNNAMED = ""

Named = TypeVar("Named", Check, PrimaryKey, Unique, ForeignKey, Index)


@dataclass
class TableDraft:
    """A table as declared: constraint and index names may be UNNAMED."""

    name: str
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    checks: list[Check] = field(default_factory=list)
    uniques: list[Unique] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    sync: bool = False
    partition_by: PartitionKey | None = None

    def to_table(self) -> Table:
        """The model table (every name must have been chosen)."""
        return Table(
            name=self.name,
            columns=self.columns,
            primary_key=self.primary_key,
            foreign_keys=tuple(self.foreign_keys),
            uniques=tuple(self.uniques),
            checks=tuple(self.checks),
            indexes=tuple(self.indexes),
            sync=self.sync,
            partition_by=self.partition_by,
        )

    def relation_names(self) -> list[str]:
        """Explicit names in the relation namespace (primary key, uniques, indexes)."""
        names = [self.primary_key.name] if self.primary_key else []
        names += [u.name for u in self.uniques] + [i.name for i in self.indexes]
        return [n for n in names if n != UNNAMED]

    def constraint_names(self) -> list[str]:
        names = [self.primary_key.name] if self.primary_key else []
        names += [u.name for u in self.uniques] + [c.name for c in self.checks] + [f.name for f in self.foreign_keys]
        return [n for n in names if n != UNNAMED]


def add_sync_parts(draft: TableDraft) -> None:
    """Mark the draft sync: the sync columns it does not declare are appended, and an
    unnamed index on `sync_seq` unless it declares one (`core/sync/parts.py`)."""
    draft.columns += missing_sync_columns(c.name for c in draft.columns)
    if not any(is_delta_index(i) for i in draft.indexes):
        draft.indexes.append(Index(name=UNNAMED, keys=(IndexKey(column=SYNC_SEQ),)))
    draft.sync = True


def name_tables(drafts: Sequence[TableDraft], view_names: Iterable[str] = ()) -> list[Table]:
    """Name every unnamed constraint and index (see the module docstring) and build the tables."""
    return [d.to_table() for d in name_drafts(drafts, view_names)]


def name_drafts(drafts: Sequence[TableDraft], view_names: Iterable[str] = ()) -> list[TableDraft]:
    """The drafts with every name chosen, each list in its declared order."""
    namer = _Namer({d.name for d in drafts} | set(view_names))
    for draft in drafts:
        namer.relations.update(draft.relation_names())
        namer.constraints.update(draft.constraint_names())
    return [namer.name_table(d) for d in drafts]


class _Namer:
    def __init__(self, relations: set[str]) -> None:
        self.relations = relations
        self.constraints: set[str] = set()

    def _choose(
        self, obj: Named, pick: Callable[[Callable[[str], bool]], str], *, relation: bool, constraint: bool
    ) -> Named:
        if obj.name != UNNAMED:
            return obj

        def taken(name: str) -> bool:
            return (relation and name in self.relations) or (constraint and name in self.constraints)

        name = pick(taken)
        if relation:
            self.relations.add(name)
        if constraint:
            self.constraints.add(name)
        return obj.model_copy(update={"name": name})

    def name_table(self, d: TableDraft) -> TableDraft:
        t = d.name
        checks = [
            self._choose(c, partial(naming.check_name, t, c.expr), relation=False, constraint=True) for c in d.checks
        ]
        pk = d.primary_key
        if pk is not None:
            pk = self._choose(pk, partial(naming.primary_key_name, t), relation=True, constraint=True)
        uniques = [
            self._choose(u, partial(naming.unique_name, t, u.columns), relation=True, constraint=True)
            for u in d.uniques
        ]
        fks = [
            self._choose(f, partial(naming.foreign_key_name, t, f.columns), relation=False, constraint=True)
            for f in d.foreign_keys
        ]
        index_keys = [[(k.column, k.expr) for k in i.keys] for i in d.indexes]
        indexes = [
            self._choose(i, partial(naming.index_name, t, keys), relation=True, constraint=False)
            for i, keys in zip(d.indexes, index_keys, strict=True)
        ]
        return TableDraft(t, d.columns, pk, checks, uniques, fks, indexes, d.sync, d.partition_by)
