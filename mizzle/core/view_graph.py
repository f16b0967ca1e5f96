"""Views and materialized views as one dependency graph: a view may read a materialized view
(AdventureWorks' reports), and a materialized view a view. Creating them kind by kind (all
views, then all materialized views) fails on the first view reading a materialized view;
dropping them kind by kind fails on the first materialized view a view reads.

A view reads what its query names (`View.referenced_tables`); a materialized view, kept as
text, reads the names its query mentions (`diff_pg_objects.names_read`, over-approximating:
safe for an order).
"""

from __future__ import annotations

from collections.abc import Iterable

from mizzle.core.diff_order import in_order
from mizzle.core.model import View
from mizzle.core.pg_objects import MaterializedView

Relation = View | MaterializedView


def reads(item: Relation, names: Iterable[str]) -> set[str]:
    """Which of `names` (model names of tables, views, materialized views) `item` reads."""
    from mizzle.core.diff_pg_objects import names_read

    if isinstance(item, View):
        return set(item.referenced_tables()) & set(names) - {item.name}
    return names_read(item, names) - {item.name}


def read_first(items: Iterable[Relation]) -> list[Relation]:
    """Views and materialized views to create, each after those it reads (among `items`)."""
    by_name = {i.name: i for i in items}
    return [by_name[name] for name, _ in in_order({n: reads(i, by_name) for n, i in by_name.items()})]


def readers_first(items: Iterable[Relation]) -> list[Relation]:
    """Views and materialized views to drop, each before those it reads (among `items`)."""
    by_name = {i.name: i for i in items}
    read_by: dict[str, set[str]] = {name: set() for name in by_name}
    for item in by_name.values():
        for name in reads(item, by_name):
            read_by[name].add(item.name)
    return [by_name[name] for name, _ in in_order(read_by)]


def readers_of(items: Iterable[Relation], names: Iterable[str]) -> set[str]:
    """The names of `items` that read any of `names`, directly or through others of `items`."""
    items = list(items)
    reached = set(names)
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for item in items:
            if item.name not in found and reads(item, reached):
                found.add(item.name)
                reached.add(item.name)
                changed = True
    return found
