"""Reading the code PostgreSQL runs (`core/routines.py`): the schema's functions and
procedures (`pg_get_functiondef`), the triggers on its tables (`pg_get_triggerdef` and
their enabled state), and the database's extensions. Three queries, whatever the size.

Left out: what belongs to an extension (pg_depend deptype 'e': the extension stands for
it), what PostgreSQL makes itself (internal triggers of foreign keys, a range type's
constructors), aggregates and window functions (still reported as not modelled: their
definition is not a CREATE FUNCTION), plpgsql (every database has it), and mizzle's own
sync functions and triggers (`__mizzle_*`: the `sync` flag of a table stands for them).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mizzle.core import qualified
from mizzle.core.introspection import Introspected
from mizzle.core.routines import Extension, Function, Trigger, TriggerState

if TYPE_CHECKING:
    import psycopg

_NOT_MEMBER = """NOT EXISTS (SELECT 1 FROM pg_depend e
    WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')"""

FUNCTIONS = f"""
SELECT pg_get_functiondef(p.oid)
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY (%(schemas)s) AND p.prokind IN ('f', 'p')
  AND p.proname NOT LIKE '\\_\\_mizzle\\_%%'
  AND {_NOT_MEMBER.format(catalog="pg_proc", oid="p.oid")}
  AND NOT EXISTS (SELECT 1 FROM pg_depend i
                  WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid AND i.deptype = 'i')
ORDER BY p.oid
"""

TRIGGERS = f"""
SELECT n.nspname, c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (%(schemas)s) AND NOT t.tgisinternal AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND t.tgname NOT LIKE '\\_\\_mizzle\\_%%'
  AND {_NOT_MEMBER.format(catalog="pg_trigger", oid="t.oid")}
"""

EXTENSIONS = """
SELECT x.extname, n.nspname FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
WHERE x.extname <> 'plpgsql'
"""

#: pg_trigger.tgenabled → the model's state
_STATES: dict[str, TriggerState] = {"O": "enabled", "D": "disabled", "R": "replica", "A": "always"}

#: the kinds of `Introspected.unsupported` this module now carries
CARRIED = frozenset({"function", "procedure", "trigger", "extension"})


@dataclass(frozen=True)
class Code:
    functions: tuple[Function, ...]
    #: table name → its triggers
    triggers: dict[str, tuple[Trigger, ...]]
    extensions: tuple[Extension, ...]


def read_code(conn: psycopg.Connection[Any], schema_name: str, others: Sequence[str] = ()) -> Code:
    """Run the three queries for `schema_name` and the app's `others` schemas; the caller
    holds the transaction in which `read_catalog` set the search path, so that the printers
    qualify names as the rest of the model (a trigger's table of another schema is keyed by
    its model name, `schema.table`)."""
    params = {"schemas": [schema_name, *others]}
    functions = tuple(Function(definition=r[0]) for r in conn.execute(FUNCTIONS.encode(), params, prepare=False))
    triggers: dict[str, list[Trigger]] = defaultdict(list)
    for nspname, table, name, text, state in conn.execute(TRIGGERS.encode(), params, prepare=False):
        triggers[table if nspname == schema_name else qualified.join(nspname, table)].append(
            Trigger(name=name, postgresql=text, state=_STATES.get(state, "enabled"))
        )
    extensions = tuple(
        Extension(name=name, schema_name=schema) for name, schema in conn.execute(EXTENSIONS.encode(), prepare=False)
    )
    return Code(functions, {t: tuple(ts) for t, ts in triggers.items()}, extensions)


def with_code(read: Introspected, code: Code) -> Introspected:
    """The introspected schema holding `code`, and no longer reporting it as not modelled.
    Triggers on tables the model leaves out (`__mizzle_*`, partitions) stay out with them."""
    schema = read.schema
    tables = tuple(
        t.model_copy(update={"triggers": code.triggers[t.name]}) if code.triggers.get(t.name) else t
        for t in schema.tables
    )
    held = {t.name for t in tables}
    carried_triggers = {tr.name for name, ts in code.triggers.items() if name in held for tr in ts}
    carried = {f.name for f in code.functions} | {x.name for x in code.extensions}
    unsupported = tuple(
        u
        for u in read.unsupported
        if not (u.kind in CARRIED and (u.name in carried or (u.kind == "trigger" and u.name in carried_triggers)))
    )
    schema = schema.model_copy(update={"tables": tables, "functions": code.functions, "extensions": code.extensions})
    return Introspected(schema=schema, unsupported=unsupported)
