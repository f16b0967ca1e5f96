"""Which tables of a database mizzle manages: `--tables` / `--exclude` on `pull`, and
`tables_filter` in `mizzle.toml` for every command that reads a database's schema to compare
it (pull, push, check), as drizzle-kit's `tablesFilter` does for its pull and push.

Patterns are shell-style globs (`*`, `?`, `[...]`, case-sensitive) matched against the name of
each table and view (as drizzle-kit's filter does); a pattern with a dot (`drizzle.*`) is
matched against `schema.table`. A table is kept when it matches one of the include patterns
(or there are none) and none of the exclude patterns. In `tables_filter`, a pattern starting
with `!` excludes (drizzle-kit's spelling): `["app_*", "!app_tmp_*"]`.

Other tools' migration tables and mizzle's own are never part of the schema, whatever the
patterns say (`DEFAULT_EXCLUDED`): drizzle-kit's `__drizzle_migrations` (in `public` or in
its `drizzle` schema) and mizzle's `__mizzle_*` bookkeeping. A push that does not see them
cannot propose to drop them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from mizzle.core.errors import MizzleError

if TYPE_CHECKING:  # the config reads filters: starting the CLI must not import the model (pydantic, sqlglot)
    from mizzle.core.model import Schema

#: The schema of a name the model does not qualify
DEFAULT_SCHEMA = "public"
#: Tables that belong to a migration tool, never to the app's schema.
DEFAULT_EXCLUDED = ("__drizzle_migrations", "drizzle.*", "__mizzle_*")


class TableFilterError(MizzleError):
    """A filter that cannot apply: a bad pattern, or a kept table that references an excluded one."""


def patterns_of(values: Iterable[str]) -> tuple[str, ...]:
    """Patterns given as repeatable, comma-separated values (`--tables a,b --tables c`)."""
    found = tuple(p.strip() for value in values for p in value.split(","))
    if any(not p or p == "!" for p in found):
        raise TableFilterError("an empty table pattern: write names or globs such as tune or play*")
    return found


@dataclass(frozen=True)
class TableFilter:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @classmethod
    def from_patterns(cls, patterns: Iterable[str]) -> TableFilter:
        """drizzle-kit's `tablesFilter` spelling: `!pattern` excludes, any other pattern includes."""
        found = patterns_of(patterns)
        return cls(
            include=tuple(p for p in found if not p.startswith("!")),
            exclude=tuple(p[1:] for p in found if p.startswith("!")),
        )

    @property
    def patterns(self) -> tuple[str, ...]:
        """The filter in `tables_filter` spelling (what `from_patterns` reads)."""
        return (*self.include, *(f"!{p}" for p in self.exclude))

    def keeps(self, name: str, schema: str | None = None) -> bool:
        """Whether table `name` of schema `schema` is managed. A name the model qualifies
        (`audit.log`: a table of another schema than the default one) carries its schema."""
        if schema is None:
            schema, _, bare = name.rpartition(".")
            schema, name = schema or DEFAULT_SCHEMA, bare
        if any(_matches(p, name, schema) for p in DEFAULT_EXCLUDED):
            return False
        if self.include and not any(_matches(p, name, schema) for p in self.include):
            return False
        return not any(_matches(p, name, schema) for p in self.exclude)

    def apply(self, schema: Schema) -> Schema:
        """`schema` without the tables and views this filter leaves out (their indexes and
        constraints go with them). A kept table's foreign key to a table left out stays, as a
        reference to a table outside the schema (`ForeignKey.ref_schema`, like Supabase's
        `auth.users`): referenced, never created or dropped. A kept view that reads a table
        left out is refused with the reason: the view could not be created without it."""
        dropped = {t.name for t in schema.tables if not self.keeps(t.name)}
        dropped |= {v.name for v in schema.views if not self.keeps(v.name)}
        if not dropped:
            return schema
        tables = tuple(_referencing_outside(t, dropped) for t in schema.tables if t.name not in dropped)
        views = tuple(v for v in schema.views if v.name not in dropped)
        for view in views:
            if read := sorted(dropped.intersection(view.referenced_tables())):
                raise TableFilterError(
                    f"view {view.name} reads {read[0]}, which the table filter leaves out: include {read[0]} too, "
                    f"or leave out {view.name}"
                )
        # Built anew, every other field as it is: a copy would keep the cached name lookups
        fields = {name: getattr(schema, name) for name in type(schema).model_fields}
        return type(schema)(**{**fields, "tables": tables, "views": views})

    def declared(self, schema: Schema) -> list[str]:
        """The tables and views of `schema` that this filter leaves out (a schema that declares
        one contradicts the filter: push would never create it)."""
        names = [t.name for t in schema.tables] + [v.name for v in schema.views]
        return sorted(n for n in names if not self.keeps(n))


def _referencing_outside(table: Any, dropped: set[str]) -> Any:
    """`table` with its foreign keys to the tables in `dropped` made references to tables
    outside the schema (of the default schema, or the one its qualified name says)."""
    if not any(fk.ref_schema is None and fk.ref_table in dropped for fk in table.foreign_keys):
        return table
    fks = []
    for fk in table.foreign_keys:
        if fk.ref_schema is None and fk.ref_table in dropped:
            schema, _, bare = fk.ref_table.rpartition(".")
            fk = fk.model_copy(update={"ref_schema": schema or DEFAULT_SCHEMA, "ref_table": bare})
        fks.append(fk)
    return table.model_copy(update={"foreign_keys": tuple(fks)})


def _matches(pattern: str, name: str, schema: str) -> bool:
    return fnmatchcase(f"{schema}.{name}", pattern) if "." in pattern else fnmatchcase(name, pattern)


#: No patterns: every table but the default exclusions.
EVERY_TABLE = TableFilter()
