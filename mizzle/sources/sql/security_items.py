"""The security items a schema file's statements leave (`sources/sql/security.py` reads
the statements), kept by key as PostgreSQL keeps them: one per policy, grant, comment..."""

from __future__ import annotations

from typing import Any

from mizzle.core.security import PUBLIC, Comment, DefaultPrivilege, Grant, Security


class SecurityItems:
    """The draft's security items by key, as the statements so far leave them."""

    def __init__(self) -> None:
        self.items: dict[tuple[Any, ...], Any] = {}

    def put(self, item: Any) -> None:
        self.items[item.key] = item

    def pop(self, key: tuple[Any, ...]) -> Any:
        return self.items.pop(key, None)

    def finish(self, tables: set[str], views: set[str], indexes: set[str], enums: set[str]) -> Security:
        """The items on what the file keeps (an item on a dropped table goes with it), less the
        grants a database gives anyway, which the introspector leaves out too: the table and
        sequence grants of the file's own default privileges, and initdb's."""
        relations = tables | views
        kept = []
        for item in self.items.values():
            if any(t not in relations for t in item.tables):
                continue
            if isinstance(item, Comment) and (
                (item.on == "index" and item.object not in indexes) or (item.on == "type" and item.object not in enums)
            ):
                continue
            kept.append(item)
        # a default privilege IN SCHEMA s gives objects created in s (public's: the bare names)
        implied = {
            (d.schema_name or "", d.on, d.grantee, d.privilege, d.grantable)
            for d in kept
            if isinstance(d, DefaultPrivilege) and not d.revoked
        }

        def given(g: Grant) -> bool:
            schema = g.object.partition("(")[0].rpartition(".")[0] or "public"
            return any((s, g.on + "s", g.grantee, g.privilege, g.grantable) in implied for s in ("", schema))

        # a function's EXECUTE taken from PUBLIC by the file's default privileges for every schema
        # is what the database holds anyway (introspection leaves it out too)
        taken = any(
            isinstance(d, DefaultPrivilege) and d.revoked and d.on == "functions" and d.grantee == PUBLIC for d in kept
        )
        kept = [
            i
            for i in kept
            if not (isinstance(i, Grant) and i.column is None and i.on != "schema" and not i.revoked and given(i))
            and not (isinstance(i, Grant) and i.revoked and taken and (i.grantee, i.privilege) == (PUBLIC, "EXECUTE"))
            and i != _INITDB_GRANT
        ]
        return Security.of(kept).with_taken_back()


#: what initdb gives every database (PostgreSQL 15 on): PUBLIC may use schema public
_INITDB_GRANT = Grant(on="schema", object="public", grantee=PUBLIC, privilege="USAGE")
