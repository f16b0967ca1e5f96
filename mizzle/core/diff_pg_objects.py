"""The diff of domains, standalone sequences, materialized views and aggregates
(`core/pg_objects.py`), and where each list goes in the diff's order (`diff.py`):

- `first`, before anything else: sequences lose an owner that goes or changes (dropping
  the owning table or column would drop the sequence with it), and materialized views that
  change, go, or read a table or view that changes are dropped (PostgreSQL refuses to drop
  or retype what one reads);
- `aggregates_dropped`, after the views and before the functions (an aggregate calls its
  functions, a view may call an aggregate);
- `created`, after the enums and before the tables: domains (a base type may be an enum)
  and sequences (a column's default may call `nextval`), new or changed;
- `dropped`, once the tables and columns are dropped or altered and before the enums go:
  sequences and domains no column uses any more;
- `last`, after the functions and the views: aggregates, then materialized views (each
  after those it reads), then the sequences' owners, now that every column exists;
- `partitions_made`, once the tables, their indexes and foreign keys exist: partitions
  created or changed (a partition before its own partitions); partitions that go are
  dropped in `first` (each before its parent, whose drop would take it along), with the
  partition keys that change (`SetPartitionKey`, which PostgreSQL's planner refuses).

A materialized view is "read" by name: one whose query names a table, view or materialized
view that is dropped or made again is made again too (over-approximating is safe: it is
filled again from its query).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from mizzle.core.model import Schema
from mizzle.core.operations import Operation
from mizzle.core.partitions import Partition
from mizzle.core.pg_object_ops import AlterObject, CreateObject, DropObject, SetPartitionKey
from mizzle.core.pg_objects import MaterializedView, PgSequence


@dataclass
class ObjectChanges:
    first: list[Operation] = field(default_factory=list)
    aggregates_dropped: list[Operation] = field(default_factory=list)
    created: list[Operation] = field(default_factory=list)
    dropped: list[Operation] = field(default_factory=list)
    last: list[Operation] = field(default_factory=list)
    partitions_made: list[Operation] = field(default_factory=list)


def names_read(view: MaterializedView, candidates: Iterable[str]) -> set[str]:
    """Which of `candidates` (model names) the view's query names."""
    found = set()
    for name in candidates:
        bare = name.rpartition(".")[2]
        if re.search(rf'(?<![\w$]){re.escape(bare)}(?![\w$])|"{re.escape(bare)}"', view.query, re.IGNORECASE):
            found.add(name)
    return found


def materialized_views_in_order(views: Iterable[MaterializedView]) -> list[MaterializedView]:
    """Each materialized view after those it reads (a cycle cannot exist; kept in name order)."""
    by_name = {v.name: v for v in views}
    done: list[MaterializedView] = []
    seen: set[str] = set()

    def visit(view: MaterializedView, path: frozenset[str]) -> None:
        if view.name in seen or view.name in path:
            return
        for name in sorted(names_read(view, by_name) - {view.name}):
            visit(by_name[name], path | {view.name})
        seen.add(view.name)
        done.append(view)

    for view in sorted(views, key=lambda v: v.name):
        visit(view, frozenset())
    return done


def object_changes(
    old: Schema, new: Schema, changed_relations: set[str], renamed: dict[str, str] | None = None
) -> ObjectChanges:
    """`changed_relations`: model names (old and new) of the tables and views that are dropped,
    renamed, made again, or have a column dropped, altered or renamed; `renamed`: the tables
    renamed, old name → new."""
    out = ObjectChanges()
    _sequences(old, new, out)
    _partitions(old, new, out, renamed or {})

    old_dom, new_dom = {d.name: d for d in old.domains}, {d.name: d for d in new.domains}
    created_domains: list[Operation] = [CreateObject(item=d) for n, d in new_dom.items() if n not in old_dom]
    created_domains += [
        AlterObject(old=d, new=new_dom[n]) for n, d in old_dom.items() if n in new_dom and d != new_dom[n]
    ]
    out.created = created_domains + out.created
    out.dropped += [DropObject(item=d) for n, d in old_dom.items() if n not in new_dom]

    old_agg, new_agg = {a.key: a for a in old.aggregates}, {a.key: a for a in new.aggregates}
    out.aggregates_dropped = [DropObject(item=a) for k, a in old_agg.items() if new_agg.get(k) != a]
    aggregates_made = [CreateObject(item=a) for k, a in new_agg.items() if old_agg.get(k) != a]

    old_mv, new_mv = {v.name: v for v in old.materialized_views}, {v.name: v for v in new.materialized_views}
    gone = {n for n, v in old_mv.items() if new_mv.get(n) != v or names_read(v, changed_relations)}
    changed = True
    while changed:  # one reading a materialized view made again is made again too
        changed = False
        for n, v in old_mv.items():
            if n not in gone and names_read(v, gone):
                gone.add(n)
                changed = True
    dropped_views = [old_mv[n] for n in gone]
    out.first += [DropObject(item=v) for v in reversed(materialized_views_in_order(dropped_views))]
    made = [v for n, v in new_mv.items() if n not in old_mv or n in gone]
    out.last = aggregates_made + [CreateObject(item=v) for v in materialized_views_in_order(made)] + out.last
    return out


def _sequences(old: Schema, new: Schema, out: ObjectChanges) -> None:
    old_seq, new_seq = {s.name: s for s in old.sequences}, {s.name: s for s in new.sequences}
    held: dict[str, PgSequence] = {}  # each old sequence as it is once `first` ran
    for name, seq in old_seq.items():
        after = new_seq.get(name)
        if seq.owned_by is not None and (after is None or after.owned_by != seq.owned_by):
            unowned = seq.model_copy(update={"owned_by": None})
            out.first.append(AlterObject(old=seq, new=unowned))
            held[name] = unowned
        else:
            held[name] = seq
    for name, seq in new_seq.items():
        before = held.get(name)
        options = seq.model_copy(update={"owned_by": before.owned_by if before else None})
        if before is None:
            out.created.append(CreateObject(item=options))
        elif before != options:
            out.created.append(AlterObject(old=before, new=options))
        if options.owned_by != seq.owned_by:
            out.last.append(AlterObject(old=options, new=seq))
    out.dropped += [DropObject(item=s) for n, s in held.items() if n not in new_seq]


def partitions_in_order(partitions: Iterable[Partition]) -> list[Partition]:
    """Each partition after the partition it belongs to (sub-partitioning), else by name."""
    by_name = {p.name: p for p in partitions}

    def depth(p: Partition) -> int:
        seen = 0
        while p.parent in by_name and seen < len(by_name):
            p, seen = by_name[p.parent], seen + 1
        return seen

    return sorted(by_name.values(), key=lambda p: (depth(p), p.name))


def _partitions(old: Schema, new: Schema, out: ObjectChanges, renamed: dict[str, str]) -> None:
    # a renamed table keeps its partitions (RenameTable comes before `partitions_made`)
    held_parts = [
        p.model_copy(update={"parent": renamed[p.parent]}) if p.parent in renamed else p for p in old.partitions
    ]
    old_part, new_part = {p.name: p for p in held_parts}, {p.name: p for p in new.partitions}
    # dropped in `first`, before the renames: under their table's old name
    gone = [p for p in old.partitions if p.name not in new_part]
    out.first += [DropObject(item=p) for p in reversed(partitions_in_order(gone))]
    back = {new_name: old_name for old_name, new_name in renamed.items()}
    for table in new.tables:
        name = back.get(table.name, table.name)
        before = old.table(name)
        if before is not None and before.partition_by != table.partition_by:
            out.first.append(SetPartitionKey(table=name, old=before.partition_by, new=table.partition_by))
    for part in partitions_in_order(new_part.values()):
        held = old_part.get(part.name)
        if held is None:
            out.partitions_made.append(CreateObject(item=part))
        elif held != part:
            out.partitions_made.append(AlterObject(old=held, new=part))
