"""The diff of domains, standalone sequences and aggregates (`core/pg_objects.py`), and where
each list goes in the diff's order (`diff.py`):

- `first`, before anything else: sequences lose an owner that goes or changes (dropping
  the owning table or column would drop the sequence with it);
- `aggregates_dropped`, after the views and before the functions (an aggregate calls its
  functions, a view may call an aggregate);
- `created`, after the enums and before the tables: domains (a base type may be an enum)
  and sequences (a column's default may call `nextval`), new or changed;
- `dropped`, once the tables and columns are dropped or altered and before the enums go:
  sequences and domains no column uses any more;
- `aggregates_made`, after the functions and before the views (which may call them);
- `last`, after the views: the sequences' owners, now that every column exists.

Materialized views are dropped and created with the views, in one dependency order
(`view_graph.py`); `materialized_views_changed` says which change. A materialized view is
"read" by name: one whose query names a table, view or materialized view that is dropped or
made again is made again too (over-approximating is safe: it is filled again from its query).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from mizzle.core.model import Schema
from mizzle.core.operations import Operation
from mizzle.core.pg_object_ops import AlterObject, CreateObject, DropObject
from mizzle.core.pg_objects import MaterializedView, PgSequence


@dataclass
class ObjectChanges:
    first: list[Operation] = field(default_factory=list)
    aggregates_dropped: list[Operation] = field(default_factory=list)
    aggregates_made: list[Operation] = field(default_factory=list)
    created: list[Operation] = field(default_factory=list)
    dropped: list[Operation] = field(default_factory=list)
    last: list[Operation] = field(default_factory=list)


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


def object_changes(old: Schema, new: Schema) -> ObjectChanges:
    """Domains, sequences and aggregates (materialized views go with the views: `view_graph.py`)."""
    out = ObjectChanges()
    _sequences(old, new, out)

    old_dom, new_dom = {d.name: d for d in old.domains}, {d.name: d for d in new.domains}
    created_domains: list[Operation] = [CreateObject(item=d) for n, d in new_dom.items() if n not in old_dom]
    created_domains += [
        AlterObject(old=d, new=new_dom[n]) for n, d in old_dom.items() if n in new_dom and d != new_dom[n]
    ]
    out.created = created_domains + out.created
    out.dropped += [DropObject(item=d) for n, d in old_dom.items() if n not in new_dom]

    old_agg, new_agg = {a.key: a for a in old.aggregates}, {a.key: a for a in new.aggregates}
    out.aggregates_dropped = [DropObject(item=a) for k, a in old_agg.items() if new_agg.get(k) != a]

    out.aggregates_made = [CreateObject(item=a) for k, a in new_agg.items() if old_agg.get(k) != a]
    return out


def materialized_views_changed(old: Schema, new: Schema, changed_relations: set[str]) -> set[str]:
    """Materialized views of `old` that change, go, or read a table that changes (by name):
    they are dropped, and made again if `new` holds them (`view_graph.py` adds those reading
    them, views included)."""
    new_mv = {v.name: v for v in new.materialized_views}
    return {v.name for v in old.materialized_views if new_mv.get(v.name) != v or names_read(v, changed_relations)}


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
