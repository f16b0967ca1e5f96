"""Column operations on PostgreSQL: add, drop, rename, and alter (type, default, nullability,
serial ↔ integer).

An altered column changes in this order, each part only when it changes:
1. CHECKs and expression/partial indexes reading the column are dropped (PostgreSQL would
   rebuild them from their stored text, which names the old type: `m = 'a'::mood__old`);
2. a serial that stops being one loses its `nextval` default and its sequence;
3. the old default is dropped when the type changes (PostgreSQL cannot always convert it);
4. the type changes, `USING` a conversion for the pair (see `plan_casts.py`), after guards
   counting the rows the conversion cannot carry;
5. a column that becomes a serial gets its sequence, started past its largest value;
6. the new default is set;
7. NOT NULL: rows holding NULL are first filled with the default (`SET c = DEFAULT`, so
   `now()` or `nextval` gives each row its own value), or, with no default, a guard stops
   the migration naming how many rows hold NULL;
8. the CHECKs and indexes of step 1 are added back.

A column that becomes generated or whose expression changes is dropped and added again
(`_regenerate`); one that stops being generated first loses its expression (DROP EXPRESSION).
"""

from __future__ import annotations

from mizzle.core.model import Column, Identity, Schema, Table
from mizzle.core.operations import AddColumn, AlterColumn, DropColumn, RenameColumn
from mizzle.core.plan import Guard
from mizzle.core.types import SERIAL_KINDS, TypeKind
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.postgresql.objects_sql import column_type_sql
from mizzle.dialects.postgresql.plan_casts import conversion_guards, storage_type, using
from mizzle.dialects.postgresql.plan_context import (
    Context,
    Planned,
    add_check_sql,
    alter_column,
    alter_table,
    count_guard,
    drop_constraint,
    ident,
    in_schema_of,
    message_text,
    reads_by_expression,
    rel,
    string,
)
from mizzle.dialects.postgresql.plan_serials import (
    alter_serial_sequence,
    create_sequence,
    drop_sequence,
    rename_sequence,
    retype_sequence,
)
from mizzle.dialects.postgresql.render import DIALECT, column_sql, create_index_sql, default_sql
from mizzle.dialects.postgresql.types import type_sql


def _is_serial(column: Column) -> bool:
    return column.type.kind in SERIAL_KINDS


def add_column(op: AddColumn, ctx: Context) -> Planned:
    column = op.column
    # (column_sql's table and schema only matter on SQLite)
    definition = column_sql(Table(name=op.table, columns=(column,)), column, Schema())
    statement = f"{alter_table(op.table)} ADD COLUMN {definition}"
    if column.sequence is not None:
        return Planned((statement, alter_serial_sequence(op.table, column)))
    if column.nullable or column.default is not None or _is_serial(column) or column.generated is not None:
        return Planned((statement,))
    t = message_text(op.table)
    message = f"cannot add NOT NULL column {t}.{message_text(column.name)} without a default: {t} has {{count}} rows"
    return Planned((statement,), guards=(count_guard(op.table, None, message),))


def drop_column(op: DropColumn, ctx: Context) -> Planned:
    return Planned((f"{alter_table(op.table)} DROP COLUMN {ident(op.column.name)}",))


def rename_column(op: RenameColumn, ctx: Context) -> Planned:
    statements = [f"{alter_table(op.table)} RENAME COLUMN {ident(op.old)} TO {ident(op.new)}"]
    column = ctx.table_after(op.table).column(op.new)
    if column is not None and _is_serial(column):
        statements.append(rename_sequence(op.table, op.new))
    return Planned(tuple(statements))


def _retype_dependents(table: Table, column: str) -> tuple[list[str], list[str]]:
    """Statements dropping, then re-adding, the CHECKs and indexes a type change would break."""
    checks = [c for c in table.checks if column in c.expr.column_names()]
    indexes = [i for i in table.indexes if reads_by_expression(i, column)]
    drop = [drop_constraint(table.name, c.name) for c in checks]
    drop += [f"DROP INDEX {in_schema_of(table.name, i.name)}" for i in indexes]
    add = [add_check_sql(table.name, c) for c in checks]
    add += [create_index_sql(table.name, i) for i in indexes]
    return drop, add


def _regenerate(op: AlterColumn, ctx: Context) -> Planned:
    """A column that becomes generated, or whose expression changes: PostgreSQL (before 17)
    cannot change the expression in place, so the column is dropped and added again, and
    computes the values of every row. The CHECKs and indexes reading it go with the drop and
    are added back. A generated column that becomes a plain one keeps its values (DROP EXPRESSION)."""
    table, new = op.table, op.new
    if new.generated is None:
        statements = [f"{alter_column(table, new.name)} DROP EXPRESSION"]
        other = new.model_copy(update={"generated": None})
        rest = alter(AlterColumn(table=table, old=op.old.model_copy(update={"generated": None}), new=other), ctx)
        return Planned((*statements, *rest.statements), guards=rest.guards)
    before = ctx.table_before(table)
    checks = [c for c in before.checks if new.name in c.expr.column_names()]
    indexes = [i for i in before.indexes if new.name in i.columns or reads_by_expression(i, new.name)]
    after = ctx.table_after(table)
    uniques = [u for u in before.uniques if new.name in u.columns]
    statements = [drop_constraint(table, name) for name in [c.name for c in checks] + [u.name for u in uniques]]
    statements += [f"DROP INDEX {in_schema_of(table, i.name)}" for i in indexes]
    statements.append(f"{alter_table(table)} DROP COLUMN {ident(new.name)}")
    statements += add_column(AddColumn(table=table, column=new), ctx).statements
    statements += [add_check_sql(table, c) for c in after.checks if new.name in c.expr.column_names()]
    statements += [
        ddl.sql(ddl.add_constraint(table, ddl.unique(u)), DIALECT) for u in after.uniques if new.name in u.columns
    ]
    statements += [
        create_index_sql(table, i) for i in after.indexes if new.name in i.columns or reads_by_expression(i, new.name)
    ]
    return Planned(tuple(statements))


def alter(op: AlterColumn, ctx: Context) -> Planned:
    """The parts that change, in the order of the module doc."""
    table, old, new = op.table, op.old, op.new
    if old.generated != new.generated:
        return _regenerate(op, ctx)
    head = alter_column(table, new.name)
    old_type, new_type = storage_type(old.type), storage_type(new.type)
    retype = old_type != new_type or old.domain != new.domain
    old_serial, new_serial = _is_serial(old), _is_serial(new)
    statements: list[str] = []
    guards: list[Guard] = []

    drop, readd = _retype_dependents(ctx.table_before(table), new.name) if retype else ([], [])
    statements += drop  # 1
    identity_change = _identity_change(old, new)
    if identity_change == "replace" and old.identity is not None:  # 2, for an identity
        statements.append(f"{head} DROP IDENTITY")
    if old_serial and not new_serial:  # 2
        statements += [f"{head} DROP DEFAULT", drop_sequence(table, new.name)]
    elif old.default is not None and (retype or new_serial or new.default is None):  # 3
        statements.append(f"{head} DROP DEFAULT")
    if retype:  # 4
        enum = ctx.after.enum(new_type.name) if new_type.kind is TypeKind.ENUM and new_type.name else None
        guards += conversion_guards(table, new.name, old_type, new_type, enum.values if enum else None)
        if new.domain is not None or (old.domain is not None and old_type == new_type):
            # to or from a domain: its base type casts to and from it
            target = column_type_sql(new)
            statements.append(f"{head} TYPE {target} USING {using(ident(new.name), old_type, new_type)}::{target}")
        else:
            statements.append(f"{head} TYPE {type_sql(new_type)} USING {using(ident(new.name), old_type, new_type)}")
    if new_serial and not old_serial:  # 5
        statements += create_sequence(table, new.name, new.type.kind)
    elif new_serial and old.type.kind != new.type.kind:
        statements.append(retype_sequence(table, new.name, new.type.kind))
    if new_serial and new.sequence != (old.sequence if old_serial and old.type.kind == new.type.kind else None):
        statements.append(alter_serial_sequence(table, new))
    new_default = default_sql(new)
    if new_default is not None and (retype or old.default != new.default):  # 6
        statements.append(f"{head} SET DEFAULT {new_default}")
    if old.nullable and not new.nullable:  # 7
        if new_default is not None or new_serial:
            statements.append(f"UPDATE {rel(table)} SET {ident(new.name)} = DEFAULT WHERE {ident(new.name)} IS NULL")
        else:
            place = f"{message_text(table)}.{message_text(new.name)}"
            message = f"cannot make {place} NOT NULL: {{count}} rows hold NULL and it has no default"
            guards.append(count_guard(table, f"{ident(new.name)} IS NULL", message))
        statements.append(f"{head} SET NOT NULL")
    elif new.nullable and not old.nullable:
        statements.append(f"{head} DROP NOT NULL")
    if identity_change == "replace" and new.identity is not None:  # 5, for an identity (after NOT NULL)
        statements += _add_identity(table, new.name, new.identity)
    elif identity_change == "kind" and new.identity is not None:
        statements.append(f"{head} SET GENERATED {'ALWAYS' if new.identity.always else 'BY DEFAULT'}")
    return Planned(tuple(statements + readd), guards=tuple(guards))  # 8


def _identity_change(old: Column, new: Column) -> str | None:
    """How the identity changes: None, "kind" (ALWAYS ↔ BY DEFAULT alone), or "replace"
    (added, dropped, or its sequence options changed: dropped and added again)."""
    a, b = old.identity, new.identity
    if a == b:
        return None
    if a is not None and b is not None and a.model_copy(update={"always": b.always}) == b:
        return "kind"
    return "replace"


def _add_identity(table: str, column: str, identity: Identity) -> list[str]:
    """ADD GENERATED ... AS IDENTITY, and its sequence moved past the largest value the
    column holds (a serial made an identity keeps numbering after its rows)."""
    statements = [f"{alter_column(table, column)} ADD {identity.sql()}"]
    if (identity.increment or 1) > 0:
        t, c = ident(table), ident(column)
        sequence = f"pg_get_serial_sequence({string(t)}, {string(column)})"
        start = identity.start if identity.start is not None else 1
        statements.append(f"SELECT setval({sequence}, max({c})) FROM {t} HAVING max({c}) >= {start}")
    return statements
