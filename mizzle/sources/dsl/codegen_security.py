"""The security items of a schema as DSL source (`dsl/security.py`): each table's own in its
class body (`__rls__`, `__policies__`, `__grants__`, `__comment__`, `__comments__`), the rest
in one module-level `server_only = ServerOnly(...)`. Grants are grouped back into one
`grant(...)` per grantee, column list and grant option, in the order PostgreSQL names
privileges; what the writer cannot place on a table goes to ServerOnly, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mizzle.core.security import (
    PRIVILEGES,
    PUBLIC,
    Comment,
    DefaultPrivilege,
    Grant,
    Policy,
    RowSecurity,
    SchemaOwner,
    Security,
)
from mizzle.sources.dsl.pyformat import Assign, Code, Expr, Kw, Statement, Str, TupleOf, call

Use = Callable[[str], str]


class SecurityWriter:
    def __init__(self, security: Security, tables: set[str]) -> None:
        self.security = security
        self.tables = tables

    def _own(self, item: Any, table: str) -> bool:
        if isinstance(item, (RowSecurity, Policy)):
            return item.table == table
        if isinstance(item, Grant):
            return item.on in ("table", "column") and item.object == table
        if isinstance(item, Comment):
            return item.on in ("table", "column") and item.object == table
        return False

    def _placed(self, item: Any) -> bool:
        return any(self._own(item, t) for t in self.tables)

    def table_body(self, table: str, use: Use) -> list[Assign]:
        s = self.security
        out: list[Assign] = []
        rls = next((r for r in s.row_security if r.table == table), None)
        if rls is not None:
            out.append(Assign("__rls__", Str("force") if rls.forced else Code("True")))
        policies = [self._policy(p, use) for p in s.policies if p.table == table]
        if policies:
            out.append(Assign("__policies__", TupleOf(tuple(policies))))
        grants = [g for g in s.grants if self._own(g, table)]
        if grants:
            out.append(Assign("__grants__", TupleOf(tuple(self._grants(grants, use, on_table=True)))))
        for c in s.comments:
            if c.on == "table" and c.object == table:
                out.append(Assign("__comment__", Str(c.text)))
        notes = [
            call(use("comment"), Str(c.text), Kw("column", Str(c.column or "")))
            for c in s.comments
            if c.on == "column" and c.object == table
        ]
        if notes:
            out.append(Assign("__comments__", TupleOf(tuple(notes))))
        return out

    def module_body(self, use: Use) -> list[Statement]:
        s = self.security
        rest = [i for i in s.items() if not self._placed(i)]
        if not rest:
            return []
        args: list[Expr] = []
        args += self._grants([g for g in rest if isinstance(g, Grant)], use, on_table=False)
        args += [self._default(d, use) for d in rest if isinstance(d, DefaultPrivilege)]
        args += [
            call(use("schema_owner"), Str(o.schema_name), Str(o.owner)) for o in rest if isinstance(o, SchemaOwner)
        ]
        args += [self._comment(c, use) for c in rest if isinstance(c, Comment)]
        # a RowSecurity or Policy on a table the module does not declare cannot be written
        return [Assign("server_only", call(use("ServerOnly"), *args))]

    def _policy(self, p: Policy, use: Use) -> Expr:
        args: list[Expr] = [Str(p.name)]
        if p.command != "ALL":
            args.append(Kw("command", Str(p.command.lower())))
        if p.roles != (PUBLIC,):
            args.append(Kw("to", _names(p.roles)))
        if p.using is not None:
            args.append(Kw("using", Str(p.using)))
        if p.check is not None:
            args.append(Kw("check", Str(p.check)))
        if not p.permissive:
            args.append(Kw("restrictive", Code("True")))
        return call(use("policy"), *args)

    def _grants(self, grants: list[Grant], use: Use, *, on_table: bool) -> list[Expr]:
        groups: dict[tuple[Any, ...], list[Grant]] = {}
        for g in grants:
            target = () if on_table else (g.on if g.on != "column" else "table", g.object)
            groups.setdefault((target, g.grantee, g.column, (g.grantable, g.revoked)), []).append(g)
        # columns sharing privileges, grantee and option become one grant(..., columns=...)
        merged: dict[tuple[Any, ...], list[str]] = {}
        for (target, grantee, column, grantable), found in groups.items():
            order = PRIVILEGES["column" if column else (target[0] if target else "table")]
            privileges = tuple(
                sorted(
                    {g.privilege for g in found}, key=lambda p: (p not in order, order.index(p) if p in order else 0, p)
                )
            )
            merged.setdefault((target, grantee, privileges, grantable, column is not None), []).append(column or "")
        out: list[Expr] = []
        for (target, grantee, privileges, grantable, has_columns), columns in merged.items():
            args: list[Expr] = [Str(p.lower()) for p in privileges]
            args.append(Kw("to", Str(grantee)))
            if has_columns:
                args.append(Kw("columns", TupleOf(tuple(Str(c) for c in columns))))
            option, revoked = grantable
            if option:
                args.append(Kw("grant_option", Code("True")))
            if revoked:
                args.append(Kw("revoked", Code("True")))
            if target:
                kind, name = target
                args.append(Kw({"table": "view"}.get(kind, kind), Str(name)))
            out.append(call(use("grant"), *args))
        return out

    def _default(self, d: DefaultPrivilege, use: Use) -> Expr:
        args: list[Expr] = [Str(d.privilege.lower()), Kw("on", Str(d.on)), Kw("to", Str(d.grantee))]
        if d.role:
            args.append(Kw("role", Str(d.role)))
        if d.schema_name:
            args.append(Kw("schema", Str(d.schema_name)))
        if d.grantable:
            args.append(Kw("grant_option", Code("True")))
        if d.revoked:
            args.append(Kw("revoked", Code("True")))
        return call(use("default_privilege"), *args)

    def _comment(self, c: Comment, use: Use) -> Expr:
        args: list[Expr] = [Str(c.text)]
        kind = "view" if c.on == "column" else c.on
        args.append(Kw(kind, Str(c.object)))
        if c.column:
            args.append(Kw("column", Str(c.column)))
        return call(use("comment"), *args)


def _rank(order: tuple[str, ...], privilege: str) -> tuple[int, str]:
    """Privileges in the order PostgreSQL names them (any other after them, by name)."""
    return (order.index(privilege), "") if privilege in order else (len(order), privilege)


def _names(roles: tuple[str, ...]) -> Expr:
    return Str(roles[0]) if len(roles) == 1 else TupleOf(tuple(Str(r) for r in roles))
