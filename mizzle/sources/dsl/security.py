"""Row level security, policies, grants, default privileges and comments in the DSL
(PostgreSQL only: SQLite has none, and a SQLite migration leaves them out).

On a table class:

    class Tune(Table):
        id = serial().primary_key()
        owner = uuid()
        __rls__ = True                      # or "force": FORCE ROW LEVEL SECURITY too
        __policies__ = (
            policy("own tunes", command="select", to="authenticated", using="(owner = auth.uid())"),
        )
        __grants__ = (grant("select", "insert", to="authenticated"), grant("update", to="anon", columns=("title",)))
        __comment__ = "tunes the user practises"
        __comments__ = (comment("who may read it", column="owner"),)

Anything else (grants on a schema, a sequence, a view or a function; default privileges;
comments on views, indexes, enums, functions and schemas) in a module-level `ServerOnly(...)`:

    server_only = ServerOnly(
        grant("usage", schema="public", to="anon"),
        default_privilege("select", on="tables", to="anon", schema="public"),
        comment("tunes anyone may see", view="public_tunes"),
    )

USING and WITH CHECK are SQL text, kept as written (`mizzle pull` writes PostgreSQL's own
spelling of them, so a pulled schema pushes back with nothing to do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mizzle.core.errors import SchemaError
from mizzle.core.security import PRIVILEGES, Comment, DefaultPrivilege, Grant, Policy, RowSecurity


@dataclass(frozen=True)
class PolicyDecl:
    name: str
    command: str
    to: tuple[str, ...]
    using: str | None
    check: str | None
    restrictive: bool


def policy(
    name: str,
    *,
    command: str = "all",
    to: str | Sequence[str] = "public",
    using: str | None = None,
    check: str | None = None,
    restrictive: bool = False,
) -> PolicyDecl:
    """A row level security policy of the table (`__policies__`)."""
    return PolicyDecl(name, command.upper(), _names(to), using, check, restrictive)


@dataclass(frozen=True)
class GrantDecl:
    privileges: tuple[str, ...]
    to: tuple[str, ...]
    columns: tuple[str, ...]
    grant_option: bool
    #: (target, object) for a module-level grant; None on a table (`__grants__`)
    on: tuple[str, str] | None
    #: PostgreSQL's default privilege taken away instead (`REVOKE ... FROM PUBLIC`)
    revoked: bool = False


def grant(
    *privileges: str,
    to: str | Sequence[str],
    columns: Sequence[str] = (),
    grant_option: bool = False,
    schema: str | None = None,
    sequence: str | None = None,
    view: str | None = None,
    function: str | None = None,
    revoked: bool = False,
) -> GrantDecl:
    """Privileges (`"select"`, ..., or `"all"`) given to roles: on the table in `__grants__`
    (on some of its columns with `columns=`); on a schema, sequence, view or function in
    ServerOnly (a function with its argument types: `function="basejump.is_set(field_name text)"`).
    `revoked=True` takes away what PostgreSQL gives by default: `grant("execute",
    function="f()", to="PUBLIC", revoked=True)` is `REVOKE EXECUTE ON FUNCTION f() FROM PUBLIC`."""
    named = (("schema", schema), ("sequence", sequence), ("table", view), ("function", function))
    targets = [(kind, name) for kind, name in named if name]
    if len(targets) > 1:
        raise SchemaError(f"grant {privileges}: one of schema=, sequence=, view=, function=")
    return GrantDecl(
        tuple(p.upper() for p in privileges),
        _names(to),
        tuple(columns),
        grant_option,
        targets[0] if targets else None,
        revoked,
    )


@dataclass(frozen=True)
class DefaultPrivilegeDecl:
    privileges: tuple[str, ...]
    on: str
    to: tuple[str, ...]
    role: str | None
    schema: str | None
    grant_option: bool
    revoked: bool


def default_privilege(
    *privileges: str,
    on: str,
    to: str | Sequence[str],
    role: str | None = None,
    schema: str | None = None,
    grant_option: bool = False,
    revoked: bool = False,
) -> DefaultPrivilegeDecl:
    """ALTER DEFAULT PRIVILEGES: what objects `role` creates (in `schema`) give `to`;
    `revoked=True` takes a privilege PostgreSQL gives by default away (for every schema)."""
    return DefaultPrivilegeDecl(
        tuple(p.upper() for p in privileges), on.lower(), _names(to), role, schema, grant_option, revoked
    )


@dataclass(frozen=True)
class CommentDecl:
    text: str
    on: str
    object: str
    column: str | None


def comment(
    text: str,
    *,
    view: str | None = None,
    index: str | None = None,
    type: str | None = None,
    function: str | None = None,
    schema: str | None = None,
    column: str | None = None,
    table: str | None = None,
) -> CommentDecl:
    """A comment on a column of the table (`__comments__`, with `column=`); in ServerOnly, on
    a view (or one of its columns), an index, an enum type, a function (with its argument
    types), a schema, or a table no class declares (a partition: `table=`)."""
    named = [("view", view), ("index", index), ("type", type), ("function", function), ("schema", schema)]
    named.append(("table", table))
    targets = [(kind, name) for kind, name in named if name]
    if len(targets) > 1 or (not targets and column is None):
        raise SchemaError(
            f"comment {text!r}: column= on a table, or one of view=, index=, type=, function=, schema=, table="
        )
    kind, name = targets[0] if targets else ("table", "")
    return CommentDecl(text, "column" if column else kind, name, column)


class ServerOnly:
    """Grants, default privileges and comments not on one table (see the module docstring)."""

    def __init__(self, *declarations: GrantDecl | DefaultPrivilegeDecl | CommentDecl) -> None:
        self.declarations = declarations


def _names(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


# --- to the model ------------------------------------------------------------------------


def table_items(table: str, cls: type, columns: Mapping[str, str]) -> list[Any]:
    """The security items a table class declares; `columns` maps attributes to column names."""
    where = f'table "{table}"'
    items: list[Any] = []
    rls = getattr(cls, "__rls__", False)
    if rls not in (True, False, "force"):
        raise SchemaError(f'{where}: __rls__ must be True, False or "force", not {rls!r}')
    if rls:
        items.append(RowSecurity(table=table, forced=rls == "force"))
    for p in _declared(cls, "__policies__", PolicyDecl, where):
        items.append(
            Policy(
                table=table,
                name=p.name,
                command=p.command,
                permissive=not p.restrictive,
                roles=p.to,
                using=p.using,
                check=p.check,
            )
        )
    for g in _declared(cls, "__grants__", GrantDecl, where):
        cols = tuple(columns.get(c, c) for c in g.columns)
        items += _grants(g, "column" if cols else "table", table, cols)
    text = getattr(cls, "__comment__", None)
    if text is not None:
        items.append(Comment(on="table", object=table, text=text))
    for c in _declared(cls, "__comments__", CommentDecl, where):
        if c.object or c.column is None:
            raise SchemaError(f"{where}: __comments__ holds comment(..., column=...) only")
        items.append(Comment(on="column", object=table, column=columns.get(c.column, c.column), text=c.text))
    return items


def server_only_items(declared: Iterable[ServerOnly]) -> list[Any]:
    items: list[Any] = []
    for block in declared:
        for d in block.declarations:
            if isinstance(d, GrantDecl):
                if d.on is None:
                    raise SchemaError("grant in ServerOnly: name its schema=, sequence= or view=")
                kind, name = d.on
                items += _grants(d, "column" if d.columns else kind, name, d.columns)
            elif isinstance(d, DefaultPrivilegeDecl):
                for privilege in _expand(d.privileges, d.on):
                    items += [
                        DefaultPrivilege(
                            role=d.role,
                            schema_name=d.schema,
                            on=d.on,
                            grantee=to,
                            privilege=privilege,
                            grantable=d.grant_option,
                            revoked=d.revoked,
                        )
                        for to in d.to
                    ]
            elif isinstance(d, CommentDecl):
                if not d.object:
                    raise SchemaError(
                        f"comment {d.text!r} in ServerOnly: name its view=, index=, type=, function= or schema="
                    )
                items.append(Comment(on=d.on, object=d.object, column=d.column, text=d.text))
            else:
                raise SchemaError(f"ServerOnly takes grant(), default_privilege() and comment(), not {d!r}")
    return items


def _grants(g: GrantDecl, on: str, obj: str, columns: tuple[str, ...]) -> list[Grant]:
    return [
        Grant(
            on=on,
            object=obj,
            column=column,
            grantee=to,
            privilege=privilege,
            grantable=g.grant_option,
            revoked=g.revoked,
        )
        for privilege in _expand(g.privileges, on)
        for to in g.to
        for column in columns or (None,)
    ]


def _expand(privileges: tuple[str, ...], on: str) -> list[str]:
    out: list[str] = []
    for p in privileges:
        out += PRIVILEGES[on] if p in ("ALL", "ALL PRIVILEGES") else [p]
    return out


def _declared(cls: type, attr: str, kind: type, where: str) -> list[Any]:
    value = getattr(cls, attr, ()) or ()
    items = list(value) if isinstance(value, (tuple, list)) else [value]
    for item in items:
        if not isinstance(item, kind):
            raise SchemaError(f"{where}: {attr} holds {item!r}, not a {kind.__name__.removesuffix('Decl').lower()}()")
    return items
