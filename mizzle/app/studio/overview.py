"""The Schema and Migrations tabs' use cases: a table's detail with the DDL each dialect
would write for it (what `export` writes), and a database's migrations (applied with time
and duration, pending, checksum problems, each one's SQL and down SQL) with its drift: the
differences from the schema and the SQL `push` would run to remove them."""

from __future__ import annotations

from typing import Any

from mizzle.app.push import PushPlan, compare, no_renames, planned
from mizzle.app.studio.data import column_info, find_table
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.model import Schema
from mizzle.core.security import Security
from mizzle.core.tracking import MigrationDatabase
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import BUILT_IN, get_dialect


def table_detail(schema: Schema, name: str) -> dict[str, Any]:
    """Columns, keys, indexes, checks, row level security, policies and triggers of `name`,
    and its DDL for every built-in dialect (what `export` writes for that table alone)."""
    table = find_table(schema, name)
    enums = tuple(e for e in schema.enums if any(c.type.name == e.name for c in table.columns))
    rls = tuple(r for r in schema.security.row_security if r.table == table.name)
    policies = tuple(p for p in schema.security.policies if p.table == table.name)
    alone = Schema(tables=(table,), enums=enums, security=Security(row_security=rls, policies=policies))
    ddl: dict[str, list[str] | str] = {}
    for dialect in BUILT_IN:
        try:
            ddl[dialect] = get_dialect(dialect).render_schema(alone)
        except MizzleError as err:
            ddl[dialect] = f"cannot render for {dialect}: {err}"
    return {
        "name": table.name,
        "sync": table.sync,
        "columns": [column_info(c, table, schema) for c in table.columns],
        "primary_key": list(table.primary_key.columns) if table.primary_key else [],
        "foreign_keys": [
            {
                "name": fk.name,
                "columns": list(fk.columns),
                "ref_table": fk.ref_table,
                "ref_columns": list(fk.ref_columns),
            }
            for fk in table.foreign_keys
        ],
        "uniques": [{"name": u.name, "columns": list(u.columns)} for u in table.uniques],
        "checks": [{"name": c.name, "expr": str(c.expr)} for c in table.checks],
        "indexes": [
            {
                "name": i.name,
                "unique": i.unique,
                "keys": [k.column if k.column is not None else str(k.expr) for k in i.keys],
            }
            for i in table.indexes
        ],
        "row_security": "forced" if any(r.forced for r in rls) else "on" if rls else "off",
        "policies": [
            {
                "name": p.name,
                "command": p.command,
                "permissive": p.permissive,
                "roles": list(p.roles),
                "using": p.using,
                "check": p.check,
            }
            for p in policies
        ],
        "triggers": [
            {"name": t.name, "postgresql": t.postgresql, "sqlite": t.sqlite, "state": t.state} for t in table.triggers
        ],
        "ddl": ddl,
    }


def drift_plan(db: MigrationDatabase, conn: Any, schema: Schema) -> PushPlan:
    """What `push` would run on the database behind `conn` to make it hold `schema`; as
    drift reads it, nothing counts as a rename (a renamed table is a drop and a create)."""
    comparison = compare(db, conn, schema)
    return planned(db, conn, comparison, no_renames(comparison.current, comparison.target))


def migrations(url: DatabaseURL, folder: MigrationFolder | None) -> dict[str, Any]:
    """The migration history of the database at `url` against `folder`."""
    from mizzle.app.migrate import status

    if folder is None or not folder.path.is_dir():
        return {"folder": None, "applied": [], "pending": [], "problems": [], "migrations": []}
    report = status(url, folder)
    dialect = url.dialect
    local = {m.name: m for m in folder.migrations()}
    applied = {a.name for a in report.status.applied}
    listed = []
    for name in sorted(set(local) | applied):
        m = local.get(name)
        listed.append(
            {
                "name": name,
                "applied": name in applied,
                "sql": m.sql(dialect) if m is not None and m.has_sql(dialect) else None,
                "down_sql": m.down_sql(dialect) if m is not None and m.has_sql(dialect) else None,
            }
        )
    return {
        "folder": str(folder.path),
        "applied": [
            {"name": a.name, "applied_at": a.applied_at, "duration_ms": a.duration_ms, "checksum": a.checksum}
            for a in report.status.applied
        ],
        "pending": list(report.status.pending),
        "problems": list(report.problems),
        "migrations": listed,
    }


def drift(url: DatabaseURL, schema: Schema | None) -> dict[str, Any]:
    """The differences between the database and `schema`, and the SQL push would run."""
    from mizzle.app.database import opened
    from mizzle.app.generate import check_fits
    from mizzle.app.push import describe_drift

    if schema is None:
        return {"schema": False, "differences": [], "sql": ""}
    check_fits(schema, url.dialect)
    with opened(url) as database:
        plan = drift_plan(database.db, database.conn, schema)
    return {
        "schema": True,
        "differences": [describe_drift(op) for op in plan.operations],
        "sql": plan.script() if not plan.empty else "",
        "losses": list(plan.losses),
    }
