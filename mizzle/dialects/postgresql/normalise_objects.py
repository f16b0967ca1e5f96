"""Materialized views and aggregates as PostgreSQL prints them: the part of
`Dialect.normalise` for `core/pg_objects.py`.

Both are held as the database prints them (`pg_get_viewdef`, `pg_get_indexdef`, the
aggregate's catalog row); one written by hand is the same object in other words, and would
be made again on every push. So each the operations would make again (dropped and created) is
dropped and created as written inside a transaction that is rolled back (a materialized view
WITH NO DATA: its query is not run), and read back the way introspection reads it: when that
equals what the database holds, the target takes the database's text and the push has
nothing to do.
"""

from __future__ import annotations

from contextlib import suppress

from mizzle.core import qualified
from mizzle.core.errors import MizzleError
from mizzle.core.model import Schema
from mizzle.core.operations import Operation
from mizzle.core.pg_object_ops import AlterObject, CreateObject, DropObject
from mizzle.core.pg_objects import Aggregate, MaterializedView, object_key
from mizzle.core.tracking import MigrationDatabase
from mizzle.dialects.postgresql.introspect_objects import AGGREGATES, aggregate_from_row
from mizzle.dialects.postgresql.objects_sql import create_sql, drop_sql

_VIEW = """SELECT pg_get_viewdef(c.oid),
       coalesce((SELECT array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid)
                 FROM pg_index i WHERE i.indrelid = c.oid), '{}')
FROM pg_class c WHERE c.oid = to_regclass(%s)"""


def printed_objects(db: MigrationDatabase, target: Schema, operations: list[Operation], schema_name: str) -> Schema:
    """`target` with the materialized views and aggregates `operations` would make again
    spelled as the database prints them, where the database holds them so already."""
    # the diff makes one again by a drop and a create (an AlterObject when planned alone)
    dropped = {object_key(op.item): op.item for op in operations if isinstance(op, DropObject)}
    remade = [
        AlterObject(old=old, new=op.item)
        for op in operations
        if isinstance(op, CreateObject)
        and isinstance(op.item, (MaterializedView, Aggregate))
        and type(old := dropped.get(object_key(op.item))) is type(op.item)
    ]
    remade += [
        op
        for op in operations
        if isinstance(op, AlterObject)
        and isinstance(op.old, (MaterializedView, Aggregate))
        and type(op.old) is type(op.new)
    ]
    if not remade:
        return target
    views: dict[str, MaterializedView] = {}
    aggregates: dict[tuple[str, str], Aggregate] = {}
    # materialized views first: one may call an aggregate made again too
    remade.sort(key=lambda op: not isinstance(op.old, MaterializedView))
    try:
        db.begin()
        for op in remade:
            for statement in drop_sql(op.old):
                db.execute(statement)
        for op in reversed(remade):
            if isinstance(op.new, MaterializedView):
                printed = _view(db, op.new)
                if printed == op.old:
                    views[op.new.name] = printed
            else:
                assert isinstance(op.new, Aggregate)
                found = _aggregate(db, op.new, schema_name)
                if found == op.old:
                    aggregates[op.new.key] = found
    except MizzleError:
        return target  # the database refuses the text as written: it stays as the schema wrote it
    finally:
        with suppress(MizzleError):
            db.rollback()
    if not views and not aggregates:
        return target
    return target.model_copy(
        update={
            "materialized_views": tuple(views.get(v.name, v) for v in target.materialized_views),
            "aggregates": tuple(aggregates.get(a.key, a) for a in target.aggregates),
        }
    )


def _view(db: MigrationDatabase, view: MaterializedView) -> MaterializedView | None:
    empty = view.model_copy(update={"with_data": False})
    for statement in create_sql(empty):
        db.execute(statement)
    schema, bare = qualified.split(view.name)
    rows = db.query(_VIEW, (f'"{schema}"."{bare}"' if schema else f'"{bare}"',))
    if not rows:
        return None
    query, indexes = rows[0]
    held = tuple(str(i) for i in indexes) if isinstance(indexes, (list, tuple)) else ()
    return MaterializedView(name=view.name, query=str(query), with_data=view.with_data, indexes=held)


def _aggregate(db: MigrationDatabase, aggregate: Aggregate, schema_name: str) -> Aggregate | None:
    for statement in create_sql(aggregate):
        db.execute(statement)
    schema, bare = qualified.split(aggregate.name)
    query = AGGREGATES.replace("= ANY (%(schemas)s)", "= %s")
    query = query.replace("ORDER BY p.oid", "AND p.proname = %s ORDER BY p.oid")
    for row in db.query(query, (schema or schema_name, bare)):
        found = aggregate_from_row(tuple(row), schema_name)
        if found.key == aggregate.key:
            return found
    return None
