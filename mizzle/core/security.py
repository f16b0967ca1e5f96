"""Who may do what on the server: row level security, policies, grants, default privileges,
schema public's owner and comments. PostgreSQL holds them; SQLite has none, so its planner
and projection leave them out.

Each item is small immutable data with an identity (`key`): two items with the same key are
the same object in two states (a policy whose USING changed), so the diff can alter it rather
than drop and re-create it. Expressions (a policy's USING and WITH CHECK) are kept as text in
PostgreSQL's own spelling, as `pg_get_expr` prints them: a pulled schema writes them back
verbatim and reads back equal, with no translation on the way.

Objects are those of the managed schema, named bare as tables are everywhere else in the
model (a function with its argument types: `touch(integer, text)`); role names are kept as
written; `PUBLIC` (every role) is the keyword, upper case.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PUBLIC = "PUBLIC"

Command = Literal["ALL", "SELECT", "INSERT", "UPDATE", "DELETE"]
GrantTarget = Literal["table", "column", "sequence", "schema", "function"]
DefaultTarget = Literal["tables", "sequences", "functions", "types", "schemas"]
CommentTarget = Literal["table", "column", "view", "type", "index", "sequence", "schema", "function"]

#: privileges PostgreSQL knows for each kind of object, in the order it prints them
PRIVILEGES: dict[str, tuple[str, ...]] = {
    "table": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
    "column": ("SELECT", "INSERT", "UPDATE", "REFERENCES"),
    "sequence": ("USAGE", "SELECT", "UPDATE"),
    "schema": ("USAGE", "CREATE"),
    "function": ("EXECUTE",),
    "tables": ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"),
    "sequences": ("USAGE", "SELECT", "UPDATE"),
    "functions": ("EXECUTE",),
    "types": ("USAGE",),
    "schemas": ("USAGE", "CREATE"),
}


class _Item(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def key(self) -> tuple[Any, ...]:
        raise NotImplementedError  # every item defines its identity

    def describe(self) -> str:
        raise NotImplementedError

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables (or views) the item hangs on: it goes when they go."""
        return ()


class RowSecurity(_Item):
    """ALTER TABLE ... ENABLE (and FORCE) ROW LEVEL SECURITY. Recorded only when on."""

    kind: Literal["row_security"] = "row_security"
    table: str
    forced: bool = False

    @property
    def key(self) -> tuple[Any, ...]:
        return ("row_security", self.table)

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table,)

    def describe(self) -> str:
        return f"row level security on {self.table}" + (" (forced)" if self.forced else "")


class Policy(_Item):
    kind: Literal["policy"] = "policy"
    table: str
    name: str
    command: Command = "ALL"
    permissive: bool = True
    roles: tuple[str, ...] = (PUBLIC,)
    #: USING and WITH CHECK in PostgreSQL's spelling (`pg_get_expr`), or None
    using: str | None = None
    check: str | None = None

    @field_validator("roles")
    @classmethod
    def _sorted_roles(cls, roles: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted({PUBLIC if r.lower() == "public" else r for r in roles})) or (PUBLIC,)

    @property
    def key(self) -> tuple[Any, ...]:
        return ("policy", self.table, self.name)

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.table,)

    def describe(self) -> str:
        return f'policy "{self.name}" on {self.table}'


class Grant(_Item):
    """One privilege of one grantee on one object (a column grant names its column).
    `revoked`: a privilege PostgreSQL's built-in default gives, taken away from this object
    (`REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC`: every function is PUBLIC's to run unless so)."""

    kind: Literal["grant"] = "grant"
    on: GrantTarget
    object: str
    column: str | None = None
    grantee: str
    privilege: str
    grantable: bool = False
    revoked: bool = False

    @field_validator("privilege")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    @property
    def key(self) -> tuple[Any, ...]:
        return ("grant", self.on, self.object, self.column or "", self.grantee, self.privilege)

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.object,) if self.on in ("table", "column") else ()

    def describe(self) -> str:
        where = f"{self.object}.{self.column}" if self.column else self.object
        if self.revoked:
            return f"{self.privilege} on {self.on} {where} revoked from {self.grantee}"
        return f"{self.privilege} on {self.on} {where} to {self.grantee}"


class DefaultPrivilege(_Item):
    """ALTER DEFAULT PRIVILEGES [FOR ROLE role] [IN SCHEMA schema] GRANT privilege ON <on>."""

    kind: Literal["default_privilege"] = "default_privilege"
    #: None: the role that runs the statement (a schema file's ALTER DEFAULT PRIVILEGES
    #: without FOR ROLE)
    role: str | None = None
    schema_name: str | None = None  # None: every schema
    on: DefaultTarget
    grantee: str
    privilege: str
    grantable: bool = False
    #: a privilege PostgreSQL's built-in default gives, taken away for every schema
    #: (`ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC`)
    revoked: bool = False

    @field_validator("privilege")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.upper()

    @property
    def key(self) -> tuple[Any, ...]:
        return ("default_privilege", self.role or "", self.schema_name or "", self.on, self.grantee, self.privilege)

    def describe(self) -> str:
        where = f" in schema {self.schema_name}" if self.schema_name else ""
        of = f" of {self.role}" if self.role else ""
        if self.revoked:
            return f"default {self.privilege} on {self.on}{of} revoked from {self.grantee}"
        return f"default {self.privilege} on {self.on}{of}{where} to {self.grantee}"


class SchemaOwner(_Item):
    """ALTER SCHEMA schema OWNER TO owner: recorded for schema `public` when another role than
    the one PostgreSQL gives it (`pg_database_owner`, from PostgreSQL 15) owns it (pg_dump's
    `ALTER SCHEMA public OWNER TO postgres`, as Pagila's dump has it). The app's other schemas
    belong to the role that creates them, the one that migrates."""

    kind: Literal["schema_owner"] = "schema_owner"
    schema_name: str
    owner: str

    @property
    def key(self) -> tuple[Any, ...]:
        return ("schema_owner", self.schema_name)

    def describe(self) -> str:
        return f"owner of schema {self.schema_name}: {self.owner}"


#: who owns schema public where nothing said otherwise (PostgreSQL 15 on)
DEFAULT_PUBLIC_OWNER = "pg_database_owner"


class Comment(_Item):
    kind: Literal["comment"] = "comment"
    on: CommentTarget
    object: str
    column: str | None = None
    text: str

    @property
    def key(self) -> tuple[Any, ...]:
        return ("comment", self.on, self.object, self.column or "")

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.object,) if self.on in ("table", "column") else ()

    def describe(self) -> str:
        return f"comment on {self.on} {self.object}" + (f".{self.column}" if self.column else "")


#: the kinds of objects a schema's default privileges are compared across (`taken_back`)
_SIBLING_TARGETS: tuple[DefaultTarget, ...] = ("tables", "sequences", "functions")


def taken_back(defaults: Iterable[DefaultPrivilege]) -> list[DefaultPrivilege]:
    """What a schema's default privileges hold back from a role they name for another kind
    of object, as revocations: Basejump's `IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM
    anon`, where the platform gives anon everything on public's tables, sequences and
    functions, leaves anon in the tables' and sequences' defaults only. An export applied after
    the same platform prelude must take it back too, and one applied without it revokes
    nothing. Every source (introspection, a .sql or .py schema) derives the same
    (`Security.with_taken_back`), so they compare equal; derived only where the kind's
    default privileges exist (a kind emptied entirely leaves no trace in the database to
    derive from). Such a revocation no longer said gives nothing back (`render_security`)."""
    defaults = list(defaults)
    held: dict[tuple[str | None, str | None, str], set[tuple[str, str]]] = {}
    for d in defaults:
        if d.schema_name is not None and d.on in _SIBLING_TARGETS:
            held.setdefault((d.role, d.schema_name, d.on), set()).add((d.grantee, d.privilege))
    granted: dict[tuple[str | None, str | None, str], set[str]] = {}
    for d in defaults:
        if d.schema_name is not None and d.on in _SIBLING_TARGETS and not d.revoked:
            granted.setdefault((d.role, d.schema_name, d.on), set()).add(d.grantee)
    out = []
    for (role, schema, on), grantees in granted.items():
        named = {g for (r, s, o), gs in granted.items() if (r, s) == (role, schema) and o != on for g in gs}
        for grantee in sorted(named - grantees - {PUBLIC}):
            if any(g == grantee for g, _ in held[(role, schema, on)]):
                continue  # the schema says something of it for this kind already
            out += [
                DefaultPrivilege(
                    role=role, schema_name=schema, on=on, grantee=grantee, privilege=privilege, revoked=True
                )
                for privilege in PRIVILEGES[on]
            ]
    return out


SecurityItem = Annotated[
    RowSecurity | Policy | Grant | DefaultPrivilege | SchemaOwner | Comment, Field(discriminator="kind")
]
AnyItem = RowSecurity | Policy | Grant | DefaultPrivilege | SchemaOwner | Comment


def _by_key(items: Iterable[_Item]) -> tuple[Any, ...]:
    return tuple(sorted({i.key: i for i in items}.values(), key=lambda i: i.key))


class Security(BaseModel):
    """Everything above for one schema, each list in key order (canonical: equal text)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    row_security: tuple[RowSecurity, ...] = ()
    policies: tuple[Policy, ...] = ()
    grants: tuple[Grant, ...] = ()
    default_privileges: tuple[DefaultPrivilege, ...] = ()
    schema_owners: tuple[SchemaOwner, ...] = ()
    comments: tuple[Comment, ...] = ()

    @field_validator("row_security", "policies", "grants", "default_privileges", "schema_owners", "comments")
    @classmethod
    def _canonical(cls, v: tuple[Any, ...]) -> tuple[Any, ...]:
        return _by_key(v)

    def items(self) -> list[AnyItem]:
        return [
            *self.row_security,
            *self.policies,
            *self.grants,
            *self.default_privileges,
            *self.schema_owners,
            *self.comments,
        ]

    def __bool__(self) -> bool:
        return bool(self.items())

    @classmethod
    def of(cls, items: Iterable[AnyItem]) -> Security:
        fields: dict[str, list[Any]] = {f: [] for f in _FIELD_OF.values()}
        for item in items:
            fields[_FIELD_OF[type(item)]].append(item)
        return cls(**fields)

    def with_taken_back(self) -> Security:
        """This security with what its schemas' default privileges hold back recorded as
        revocations (`taken_back`): each source (introspection, the .sql reader, the DSL)
        builds its security so, and they compare equal."""
        return Security.of([*self.items(), *taken_back(self.default_privileges)])

    def put(self, item: AnyItem) -> Security:
        """This security with `item` added, replacing any item with its key."""
        return Security.of([*(i for i in self.items() if i.key != item.key), item])

    def remove(self, key: tuple[Any, ...]) -> Security:
        return Security.of(i for i in self.items() if i.key != key)

    def counts(self) -> dict[str, int]:
        """How many of each: for one-line summaries (generate's server-only header)."""
        found = {
            "row level security": len(self.row_security),
            "policies": len(self.policies),
            "grants": len(self.grants),
            "default privileges": len(self.default_privileges),
            "schema owners": len(self.schema_owners),
            "comments": len(self.comments),
        }
        return {k: n for k, n in found.items() if n}

    # --- renames: the databases carry these along with the table or column ---------------

    def table_renamed(self, old: str, new: str) -> Security:
        def moved(item: Any) -> Any:
            if old not in item.tables:
                return item
            field = "table" if isinstance(item, (RowSecurity, Policy)) else "object"
            return type(item)(**{**dict(item), field: new})

        return Security.of(moved(i) for i in self.items())

    def column_renamed(self, table: str, old: str, new: str) -> Security:
        def moved(item: Any) -> Any:
            if isinstance(item, (Grant, Comment)) and item.object == table and item.column == old:
                return type(item)(**{**dict(item), "column": new})
            return item

        return Security.of(moved(i) for i in self.items())

    def without_tables(self, names: Iterable[str]) -> Security:
        """What stays once these tables are dropped (their items go with them)."""
        gone = set(names)
        return Security.of(i for i in self.items() if not set(i.tables) & gone)


_FIELD_OF: dict[type, str] = {
    RowSecurity: "row_security",
    Policy: "policies",
    Grant: "grants",
    DefaultPrivilege: "default_privileges",
    SchemaOwner: "schema_owners",
    Comment: "comments",
}
