"""Rewriting references when a table or column is renamed, as the databases do.

A renamed column is renamed in its table's PRIMARY KEY, UNIQUEs, FKs, CHECK expressions
and index keys/predicates, in other tables' FKs that reference it, and in view bodies; a
renamed table in FK targets and view bodies. Used by `evolve` (the meaning of RenameTable
and RenameColumn) and by the diff (the old schema seen under the new names).
"""

from __future__ import annotations

from sqlglot import exp

from mizzle.core.expr import SqlExpr
from mizzle.core.model import ForeignKey, Index, Table, View


def _identifier(name: str) -> exp.Identifier:
    # Quoted, so that canonicalisation keeps the name's case (it re-decides the quoting).
    return exp.to_identifier(name, quoted=True)


def rename_in_expression(expr: SqlExpr, old: str, new: str) -> SqlExpr:
    """`expr` with every column named `old` renamed (CHECK and index expressions name the columns
    of their own table, unqualified)."""
    if old not in expr.column_names():
        return expr
    tree = expr.tree
    for col in list(tree.find_all(exp.Column)):
        if col.name == old:
            col.set("this", _identifier(new))
    return SqlExpr(tree)


def _rename(names: tuple[str, ...], old: str, new: str) -> tuple[str, ...]:
    return tuple(new if n == old else n for n in names)


def rename_column_in_table(table: Table, old: str, new: str) -> Table:
    """`table` with column `old` renamed in the column list, the keys, FKs, CHECKs and indexes."""
    pk = table.primary_key
    return table.model_copy(
        update={
            "columns": tuple(c.model_copy(update={"name": new}) if c.name == old else c for c in table.columns),
            "primary_key": pk.model_copy(update={"columns": _rename(pk.columns, old, new)}) if pk else None,
            "foreign_keys": tuple(
                fk.model_copy(update={"columns": _rename(fk.columns, old, new)}) for fk in table.foreign_keys
            ),
            "uniques": tuple(u.model_copy(update={"columns": _rename(u.columns, old, new)}) for u in table.uniques),
            "checks": tuple(
                c.model_copy(update={"expr": rename_in_expression(c.expr, old, new)}) for c in table.checks
            ),
            "indexes": tuple(_rename_in_index(i, old, new) for i in table.indexes),
        }
    )


def _rename_in_index(index: Index, old: str, new: str) -> Index:
    if old not in index.columns:
        return index
    keys = tuple(
        k.model_copy(
            update={
                "column": new if k.column == old else k.column,
                "expr": rename_in_expression(k.expr, old, new) if k.expr else None,
            }
        )
        for k in index.keys
    )
    where = rename_in_expression(index.where, old, new) if index.where else None
    return index.model_copy(update={"keys": keys, "where": where})


def rename_referenced_column(fk: ForeignKey, table: str, old: str, new: str) -> ForeignKey:
    if fk.local_ref != table or old not in fk.ref_columns:
        return fk
    return fk.model_copy(update={"ref_columns": _rename(fk.ref_columns, old, new)})


def _select_sources(select: exp.Select) -> dict[str, str]:
    """qualifier → table name, for the tables a SELECT reads directly (its FROM and JOINs)."""
    source = select.args.get("from_")
    nodes = ([source.this] if source is not None else []) + [j.this for j in select.args.get("joins") or []]
    return {node.alias_or_name: node.name for node in nodes if isinstance(node, exp.Table)}


def _column_source(col: exp.Column) -> tuple[exp.Select | None, str | None]:
    """The SELECT a column belongs to and the table it reads, when that can be told."""
    select = col.find_ancestor(exp.Select)
    if not isinstance(select, exp.Select):
        return None, None
    sources = _select_sources(select)
    if col.table:
        return select, sources.get(col.table)
    return select, next(iter(sources.values())) if len(sources) == 1 else None


def rename_column_in_view(view: View, table: str, old: str, new: str) -> View:
    """`view` reading `table`.`new` where it read `table`.`old`. A renamed column the view
    outputs keeps its output name (`t.new AS old`), as PostgreSQL keeps a view's columns."""
    tree = view.query.tree
    changed = False
    for col in list(tree.find_all(exp.Column)):
        if col.name != old:
            continue
        select, source = _column_source(col)
        if select is None or source != table:
            continue
        renamed = col.copy()
        renamed.set("this", _identifier(new))
        outputs = col.parent is select and col.arg_key == "expressions"
        col.replace(exp.alias_(renamed, _identifier(old)) if outputs else renamed)
        changed = True
    return View(name=view.name, query=SqlExpr(tree)) if changed else view


def rename_table_in_view(view: View, old: str, new: str) -> View:
    """`view` reading table `new` where it read `old` (columns qualified by the bare table name follow)."""
    tree = view.query.tree
    ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
    for col in list(tree.find_all(exp.Column)):
        select = col.find_ancestor(exp.Select)
        if col.table == old and isinstance(select, exp.Select) and _select_sources(select).get(old) == old:
            col.set("table", _identifier(new))
    for table in tree.find_all(exp.Table):
        if table.name == old and old not in ctes:
            table.set("this", _identifier(new))
    return View(name=view.name, query=SqlExpr(tree))
