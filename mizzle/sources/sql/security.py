"""Reading the security statements of a schema file (`core/security.py`): CREATE/ALTER/DROP
POLICY, ALTER TABLE ... ENABLE/DISABLE/FORCE/NO FORCE ROW LEVEL SECURITY, GRANT and REVOKE
on tables, columns, sequences and the schema, ALTER DEFAULT PRIVILEGES, COMMENT ON tables,
views, columns, indexes and enum types.

Each statement changes the draft's items as PostgreSQL would change the database: a REVOKE
removes what a GRANT gave, `IS NULL` removes a comment, a later CREATE POLICY of the same
name is an error. A policy's USING and WITH CHECK are kept as written between their
parentheses, so a file mizzle wrote (PostgreSQL's own spelling) reads back equal.

Grants on functions are read (`f(integer, text)`, the argument list as written); those on
objects of schemas the file does not create are reported; role membership (`GRANT role TO
role`) is the cluster's, and skipped.
"""

from __future__ import annotations

from typing import Any

from mizzle.core.errors import SchemaError
from mizzle.core.security import (
    DEFAULT_PUBLIC_OWNER,
    PRIVILEGES,
    PUBLIC,
    Comment,
    DefaultPrivilege,
    Grant,
    Policy,
    RowSecurity,
    SchemaOwner,
)
from mizzle.sources.sql.draft import Draft
from mizzle.sources.sql.split import Statement, Tokens, qualified

_COMMANDS = ("ALL", "SELECT", "INSERT", "UPDATE", "DELETE")
#: GRANT ... ON <word> → the model's target; no word means a table
_GRANT_TARGETS = {"TABLE": "table", "SEQUENCE": "sequence", "SCHEMA": "schema"}
#: ALTER DEFAULT PRIVILEGES ... ON <word>
_DEFAULT_TARGETS = {
    "TABLES": "tables",
    "SEQUENCES": "sequences",
    "FUNCTIONS": "functions",
    "ROUTINES": "functions",
    "TYPES": "types",
    "SCHEMAS": "schemas",
}
#: COMMENT ON <word> → the model's target
COMMENT_TARGETS = {"TABLE": "table", "VIEW": "view", "COLUMN": "column", "INDEX": "index", "TYPE": "type"}
#: words that end a list of names or privileges
_STOP = frozenset(
    {"ON", "TO", "FROM", "WITH", "GRANTED", "CASCADE", "RESTRICT", "USING", "IN", "FOR", "AS", "GRANT", "REVOKE"}
)


class SecurityStatements:
    """The security statements of the `.sql` loader (`reader._Loader`)."""

    draft: Draft

    # --- policies -------------------------------------------------------------------------

    def _create_policy(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.skip_to("POLICY")
        name = _one(tokens.name(), "CREATE POLICY")
        tokens.accept("ON")
        table = tokens.qualified_name()
        permissive, command = True, "ALL"
        if tokens.accept("AS"):
            permissive = not tokens.accept("RESTRICTIVE")
            tokens.accept("PERMISSIVE")
        if tokens.accept("FOR"):
            word = tokens.next()
            command = word.upper if word is not None else ""
            if command not in _COMMANDS:
                raise SchemaError(f'CREATE POLICY "{name}": FOR {command or "?"} is not a command')
        roles = _roles(tokens) if tokens.accept("TO") else (PUBLIC,)
        using = tokens.parenthesized() if tokens.accept("USING") else None
        check = tokens.parenthesized() if tokens.accept("WITH", "CHECK") else None
        key = ("policy", table, name)
        if key in self.draft.security.items:
            raise SchemaError(f'policy "{name}" for table "{table}" already exists')
        policy = Policy(
            table=table, name=name, command=command, permissive=permissive, roles=roles, using=using, check=check
        )
        self.draft.security.put(policy)

    def _alter_policy(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.accept("ALTER", "POLICY")
        name = _one(tokens.name(), "ALTER POLICY")
        tokens.accept("ON")
        table = tokens.qualified_name()
        policy = self.draft.security.pop(("policy", table, name))
        if policy is None:
            raise SchemaError(f'ALTER POLICY "{name}" ON "{table}": the file has not created it')
        update: dict[str, Any] = {}
        if tokens.accept("RENAME", "TO"):
            update["name"] = _one(tokens.name(), "ALTER POLICY")
        if tokens.accept("TO"):
            update["roles"] = _roles(tokens)
        if tokens.accept("USING"):
            update["using"] = tokens.parenthesized()
        if tokens.accept("WITH", "CHECK"):
            update["check"] = tokens.parenthesized()
        self.draft.security.put(Policy(**{**dict(policy), **update}))

    # --- row level security ---------------------------------------------------------------

    def _row_security(self, table: str, tokens: Tokens) -> bool:
        """ALTER TABLE t {ENABLE|DISABLE|FORCE|NO FORCE} ROW LEVEL SECURITY; False when the
        action is another."""
        changes = {"ENABLE": "enable", "DISABLE": "disable", "FORCE": "force", "NO": "no force"}
        word = tokens.peek()
        change = changes.get(word.upper if word is not None else "")
        words = ("NO", "FORCE") if change == "no force" else (word.upper if word is not None else "",)
        if change is None or not tokens.at(*words, "ROW", "LEVEL", "SECURITY"):
            return False
        items = self.draft.security
        held = items.pop(("row_security", table))
        forced = bool(held and held.forced)
        # FORCE on a table without ENABLE is held as PostgreSQL holds it only once enabled
        enabled = held is not None or change == "enable"
        if change == "disable":
            enabled = False
        forced = {"force": True, "no force": False}.get(change, forced)
        if enabled:
            items.put(RowSecurity(table=table, forced=forced))
        elif forced:
            self.draft.unsupported("row level security", table, "FORCE without ENABLE: not modelled")
        return True

    # --- grants ---------------------------------------------------------------------------

    def _grant(self, st: Statement, revoke: bool) -> None:
        tokens = Tokens(st.text)
        tokens.next()
        option_only = revoke and tokens.accept("GRANT", "OPTION", "FOR")
        privileges = _privileges(tokens)
        if not tokens.accept("ON"):
            return  # GRANT role TO role: membership, the cluster's
        word = tokens.peek()
        kind = (word.upper if word is not None else "") or "TABLE"
        if kind in ("FUNCTION", "PROCEDURE", "ROUTINE"):
            self._grant_functions(st, tokens, privileges, revoke, option_only)
            return
        if kind in ("ALL", "LARGE", "DATABASE", "DOMAIN", "TYPE", "FOREIGN"):
            self.draft.unsupported("grant", " ".join(st.text.split())[:80], "not modelled")
            return
        on = _GRANT_TARGETS.get(kind, "table")
        tokens.accept(kind) if kind in _GRANT_TARGETS else None
        objects = _names(tokens)
        tokens.accept("TO") or tokens.accept("FROM")
        grantees = _roles(tokens)
        grantable = tokens.accept("WITH", "GRANT", "OPTION")
        for obj in objects:
            if "." in obj and on != "schema" and not self._own_schema(obj):
                self.draft.unsupported("grant", f"on {obj}", "objects of other schemas are not modelled")
                continue
            for privilege, columns in privileges:
                self._grant_one(on, obj, privilege, columns, grantees, grantable, revoke, option_only)

    def _own_schema(self, name: str) -> bool:
        """Whether `name` (`basejump.accounts`) is in one of the app's own schemas the file
        creates (the loader's `schemas`)."""
        return name.partition(".")[0] in getattr(self, "schemas", ())

    def _grant_functions(
        self, st: Statement, tokens: Tokens, privileges: list[tuple[str, tuple[str, ...]]], revoke: bool, only: bool
    ) -> None:
        """GRANT EXECUTE ON FUNCTION f(integer, text), g() TO ...: each function is named as
        introspection names it, `f(integer, text)` (its argument list as written)."""
        tokens.next()
        functions = []
        while parts := tokens.name():
            name = qualified(parts)
            following = tokens.peek()
            args = " ".join(tokens.parenthesized().split()) if following is not None and following.text == "(" else ""
            functions.append(f"{name}({args})")
            if not tokens.accept(","):
                break
        tokens.accept("TO") or tokens.accept("FROM")
        grantees = _roles(tokens)
        grantable = tokens.accept("WITH", "GRANT", "OPTION")
        for function in functions:
            if "." in function.partition("(")[0] and not self._own_schema(function):
                self.draft.unsupported("grant", f"on function {function}", "objects of other schemas are not modelled")
                continue
            for privilege, columns in privileges:
                if privilege not in ("EXECUTE", "ALL"):
                    raise SchemaError(f"GRANT {privilege} ON FUNCTION {function}: a function has only EXECUTE")
                self._grant_one("function", function, privilege, columns, grantees, grantable, revoke, only)

    def _grant_one(
        self,
        on: str,
        obj: str,
        privilege: str,
        columns: tuple[str, ...],
        grantees: tuple[str, ...],
        grantable: bool,
        revoke: bool,
        option_only: bool,
    ) -> None:
        items = self.draft.security
        target = "column" if columns else on
        names = PRIVILEGES[target] if privilege == "ALL" else (privilege,)
        for grantee in grantees:
            for name in names:
                for column in columns or (None,):
                    grant = Grant(
                        on=target, object=obj, column=column, grantee=grantee, privilege=name, grantable=grantable
                    )
                    held = items.pop(grant.key)
                    builtin = target == "function" and grantee == PUBLIC and name == "EXECUTE"
                    if held is not None and held.revoked:
                        if revoke:  # still taken away
                            items.put(held)
                        # a GRANT gives back what PostgreSQL's default gives: nothing to record
                    elif revoke and option_only and held is not None:
                        items.put(Grant(**{**dict(held), "grantable": False}))
                    elif revoke and held is None and not option_only and (builtin or self._defaulted(grant)):
                        # every function is PUBLIC's to run unless taken away; what the default
                        # privileges give an object created now is its grantee's unless taken away
                        items.put(grant.model_copy(update={"revoked": True, "grantable": False}))
                    elif not revoke and not builtin:
                        items.put(grant if not (held and held.grantable) else held)
                    elif not revoke and grantable:
                        items.put(grant)

    def _defaulted(self, grant: Grant) -> bool:
        """Whether the file's default privileges so far give `grant` to a table, sequence or
        function created now in its schema (or in every schema)."""
        if grant.on not in ("table", "sequence", "function") or grant.column is not None:
            return False
        schema = grant.object.partition("(")[0].rpartition(".")[0] or "public"
        return any(
            isinstance(d, DefaultPrivilege)
            and not d.revoked
            and d.schema_name in (None, schema)
            and d.on == grant.on + "s"
            and (d.grantee, d.privilege) == (grant.grantee, grant.privilege)
            for d in self.draft.security.items.values()
        )

    def _default_privileges(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.accept("ALTER", "DEFAULT", "PRIVILEGES")
        roles: tuple[str, ...] = (None,)  # type: ignore[assignment]  # None: whoever runs it
        schemas: tuple[str | None, ...] = (None,)
        while True:
            if tokens.accept("FOR", "ROLE") or tokens.accept("FOR", "USER"):
                roles = _roles(tokens)
            elif tokens.accept("IN", "SCHEMA"):
                schemas = tuple(_names(tokens))
            else:
                break
        revoke = tokens.accept("REVOKE")
        if not revoke:
            tokens.accept("GRANT")
        option_only = revoke and tokens.accept("GRANT", "OPTION", "FOR")
        privileges = _privileges(tokens)
        tokens.accept("ON")
        word = tokens.next()
        on = _DEFAULT_TARGETS.get(word.upper if word is not None else "")
        if on is None:
            raise SchemaError("ALTER DEFAULT PRIVILEGES: ON TABLES, SEQUENCES, FUNCTIONS, TYPES or SCHEMAS expected")
        tokens.accept("TO") or tokens.accept("FROM")
        grantees = _roles(tokens)
        grantable = tokens.accept("WITH", "GRANT", "OPTION")
        items = self.draft.security
        for role in roles:
            for schema in schemas:
                for privilege, _ in privileges:
                    for name in PRIVILEGES[on] if privilege == "ALL" else (privilege,):
                        for grantee in grantees:
                            item = DefaultPrivilege(
                                role=role,
                                schema_name=schema,
                                on=on,
                                grantee=grantee,
                                privilege=name,
                                grantable=grantable,
                            )
                            held = items.pop(item.key)
                            if revoke and option_only and held is not None:
                                items.put(DefaultPrivilege(**{**dict(held), "grantable": False}))
                            elif not revoke and not (held is not None and held.revoked):
                                items.put(item)
                            elif revoke and held is None and schema is None and _builtin(on, grantee, name):
                                # taken away from PostgreSQL's built-in default, for every schema
                                items.put(DefaultPrivilege(**{**dict(item), "revoked": True}))
                            elif revoke and held is None and not option_only and schema and grantee != PUBLIC:
                                # taken away from what a platform's defaults for the schema give
                                # (Basejump: anon may not run public's new functions)
                                items.put(DefaultPrivilege(**{**dict(item), "grantable": False, "revoked": True}))

    def _schema_owner(self, st: Statement) -> None:
        """ALTER SCHEMA public OWNER TO role: kept unless to the role PostgreSQL gives it
        (`SchemaOwner`); other schemas' owners, and RENAME, are not read."""
        tokens = Tokens(st.text)
        tokens.accept("ALTER", "SCHEMA")
        name = _one(tokens.name(), "ALTER SCHEMA")
        if name != "public" or not tokens.accept("OWNER", "TO"):
            return
        owners = _roles(tokens)
        if len(owners) != 1:
            raise SchemaError("ALTER SCHEMA public OWNER TO: one role expected")
        owner = owners[0]
        self.draft.security.pop(("schema_owner", name))
        if owner != DEFAULT_PUBLIC_OWNER:
            self.draft.security.put(SchemaOwner(schema_name=name, owner=owner))

    # --- comments -------------------------------------------------------------------------

    def comment_item(self, what: str, parts: tuple[str, ...], text: str | None) -> None:
        """COMMENT ON <what> parts IS text (None: IS NULL)."""
        on = COMMENT_TARGETS[what]
        if on == "column":
            obj, column = qualified(parts[:-1]), parts[-1]
        else:
            obj, column = qualified(parts), None
        item = Comment(on=on, object=obj, column=column, text=text or "")
        self.draft.security.pop(item.key)
        if text is not None:
            self.draft.security.put(item)


def _builtin(on: str, grantee: str, privilege: str) -> bool:
    """Whether PostgreSQL's built-in default gives `grantee` (other than the owner) this:
    PUBLIC's EXECUTE on functions and USAGE on types."""
    return grantee == PUBLIC and (on, privilege) in (("functions", "EXECUTE"), ("types", "USAGE"))


def _one(parts: tuple[str, ...], what: str) -> str:
    if len(parts) != 1:
        raise SchemaError(f"{what}: a name expected")
    return parts[0]


def _roles(tokens: Tokens) -> tuple[str, ...]:
    roles: list[str] = []
    while (token := tokens.peek()) is not None and token.upper not in _STOP:
        tokens.next()
        if token.text != ",":
            roles.append(PUBLIC if token.upper == "PUBLIC" else token.value)
    return tuple(roles)


def _names(tokens: Tokens) -> list[str]:
    names = []
    while parts := tokens.name():
        names.append(qualified(parts))
        if not tokens.accept(","):
            break
    return names


def _privileges(tokens: Tokens) -> list[tuple[str, tuple[str, ...]]]:
    """`SELECT, UPDATE (a, b)` → [("SELECT", ()), ("UPDATE", ("a", "b"))]; ALL [PRIVILEGES] → ALL."""
    found: list[tuple[str, tuple[str, ...]]] = []
    while (token := tokens.peek()) is not None and token.upper not in _STOP:
        tokens.next()
        if token.text == ",":
            continue
        if token.upper == "PRIVILEGES":
            continue
        columns: list[str] = []
        if tokens.accept("("):
            while (col := tokens.next()) is not None and col.text != ")":
                if col.text != ",":
                    columns.append(col.value)
        found.append((token.upper or token.text.upper(), tuple(columns)))
    return found
