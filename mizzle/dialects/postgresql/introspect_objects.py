"""Reading PostgreSQL's domains, standalone sequences, materialized views and aggregates
(`core/pg_objects.py`): four queries, whatever the size, in the transaction in which
`read_catalog` set the search path (names of the default schema print unqualified, others
qualified, as the model names them).

Which sequences are standalone is the assembler's decision (`introspect.py`: not an
identity's, not read as a serial); this module reads their type and makes the model's.
Left out, as everywhere: what belongs to an extension.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mizzle.core import canonical, qualified
from mizzle.core.errors import IntrospectionError, MizzleError
from mizzle.core.expr import SqlExpr, parse_expression
from mizzle.core.introspection import Introspected, Unsupported
from mizzle.core.pg_objects import Aggregate, Domain, DomainCheck, MaterializedView, PgSequence
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.postgresql.catalog import RelationRow
from mizzle.dialects.postgresql.objects_sql import base_type_text

if TYPE_CHECKING:
    import psycopg

_NOT_MEMBER = """NOT EXISTS (SELECT 1 FROM pg_depend e
    WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')"""

DOMAINS = f"""
SELECT n.nspname, t.typname, format_type(t.oid, NULL), format_type(t.typbasetype, t.typtypmod),
       t.typdefault, t.typnotnull,
       coalesce((SELECT json_agg(json_build_array(c.conname, pg_get_constraintdef(c.oid)) ORDER BY c.conname)
                 FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c'), '[]'::json)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'd' AND n.nspname = ANY (%(schemas)s) AND {_NOT_MEMBER.format(catalog="pg_type", oid="t.oid")}
"""

SEQUENCE_TYPES = """
SELECT s.seqrelid, format_type(s.seqtypid, NULL)
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (%(schemas)s)
"""

MATERIALIZED_VIEWS = f"""
SELECT n.nspname, c.relname, pg_get_viewdef(c.oid), c.relispopulated,
       coalesce((SELECT array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid)
                 FROM pg_index i WHERE i.indrelid = c.oid), '{{}}')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'm' AND n.nspname = ANY (%(schemas)s) AND {_NOT_MEMBER.format(catalog="pg_class", oid="c.oid")}
"""

AGGREGATES = f"""
SELECT n.nspname, p.proname, pg_get_function_identity_arguments(p.oid), a.aggkind::text,
       a.aggtransfn::regproc::text, format_type(a.aggtranstype, NULL),
       nullif(a.aggfinalfn, 0)::regproc::text, a.aggfinalextra, a.agginitval,
       nullif(a.aggcombinefn, 0)::regproc::text, nullif(a.aggserialfn, 0)::regproc::text,
       nullif(a.aggdeserialfn, 0)::regproc::text,
       nullif(a.aggmtransfn, 0)::regproc::text, nullif(a.aggminvtransfn, 0)::regproc::text,
       CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END,
       nullif(a.aggmfinalfn, 0)::regproc::text, a.aggminitval,
       nullif(a.aggsortop, 0)::regoperator::text, p.proparallel::text
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY (%(schemas)s) AND {_NOT_MEMBER.format(catalog="pg_proc", oid="p.oid")}
ORDER BY p.oid
"""


@dataclass(frozen=True)
class ObjectRows:
    domains: list[tuple[Any, ...]]
    sequence_types: dict[int, str]
    materialized_views: list[tuple[Any, ...]]
    aggregates: list[tuple[Any, ...]]


def read_objects(conn: psycopg.Connection[Any], schemas: Sequence[str]) -> ObjectRows:
    params = {"schemas": list(schemas)}

    def rows(query: str) -> list[tuple[Any, ...]]:
        return conn.execute(query.encode(), params, prepare=False).fetchall()

    return ObjectRows(
        rows(DOMAINS),
        {oid: shown for oid, shown in rows(SEQUENCE_TYPES)},
        rows(MATERIALIZED_VIEWS),
        rows(AGGREGATES),
    )


def domain_names(rows: ObjectRows, schema_name: str) -> dict[str, str]:
    """How `format_type` prints each domain (a column's type) → the domain's model name."""
    return {shown: _model_name(nsp, name, schema_name) for nsp, name, shown, *_ in rows.domains}


def _model_name(nsp: str, name: str, schema_name: str) -> str:
    return name if nsp == schema_name else qualified.join(nsp, name)


def _sql_name(nsp: str, name: str, schema_name: str) -> str:
    bare = ddl.quote_ident(name)
    return bare if nsp == schema_name else f"{ddl.quote_ident(nsp)}.{bare}"


def _condition(text: str) -> str:
    """`CHECK ((VALUE > 0)) [NOT VALID]` → `(VALUE > 0)`."""
    text = text.strip().removesuffix("NOT VALID").strip()
    return text.removeprefix("CHECK").strip()


def _expr(text: str, what: str) -> SqlExpr:
    try:
        return SqlExpr(canonical.normalize_pg_expression(parse_expression(text, "postgres")))
    except MizzleError as err:
        raise IntrospectionError(f"cannot read {what}: {err}") from None


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def aggregate_from_row(row: tuple[Any, ...], schema_name: str) -> Aggregate:
    """An aggregate from a row of AGGREGATES, its definition written out (`CREATE AGGREGATE`)."""
    nsp, name, args, kind, sfunc, stype, final, final_extra, init, combine, serial, deserial = row[:12]
    msfunc, minvfunc, mstype, mfinal, minit, sortop, parallel = row[12:]
    options = [f"SFUNC = {sfunc}", f"STYPE = {stype}"]
    options += [f"FINALFUNC = {final}"] if final else []
    options += ["FINALFUNC_EXTRA"] if final_extra else []
    options += [f"INITCOND = {_string(init)}"] if init is not None else []
    options += [f"COMBINEFUNC = {combine}"] if combine else []
    options += [f"SERIALFUNC = {serial}"] if serial else []
    options += [f"DESERIALFUNC = {deserial}"] if deserial else []
    options += [f"MSFUNC = {msfunc}"] if msfunc else []
    options += [f"MINVFUNC = {minvfunc}"] if minvfunc else []
    options += [f"MSTYPE = {mstype}"] if mstype else []
    options += [f"MFINALFUNC = {mfinal}"] if mfinal else []
    options += [f"MINITCOND = {_string(minit)}"] if minit is not None else []
    options += [f"SORTOP = {sortop.partition('(')[0]}"] if sortop else []
    options += ["HYPOTHETICAL"] if kind == "h" else []
    options += [{"s": "PARALLEL = SAFE", "r": "PARALLEL = RESTRICTED"}[parallel]] if parallel in ("s", "r") else []
    head = f"CREATE AGGREGATE {_sql_name(nsp, name, schema_name)}({args or '*'})"
    return Aggregate(definition=f"{head} (\n    {(',' + chr(10) + '    ').join(options)}\n)")


def with_objects(
    read: Introspected,
    rows: ObjectRows,
    schema_name: str,
    standalone: Iterable[RelationRow],
    tables: Mapping[int, RelationRow],
    attnames: Mapping[int, Mapping[int, str]],
) -> Introspected:
    """The introspected schema holding the objects, no longer reporting them as not modelled."""
    domains = []
    for nsp, name, _shown, base, default, not_null, checks in rows.domains:
        where = f"domain {_model_name(nsp, name, schema_name)}"
        domains.append(
            Domain(
                name=_model_name(nsp, name, schema_name),
                base_type=base_type_text(base),
                default=_expr(default, f"the default of {where}") if default is not None else None,
                not_null=not_null,
                checks=tuple(
                    DomainCheck(name=c, expr=_expr(_condition(text), f"{where}, check {c}")) for c, text in checks
                ),
            )
        )
    sequences = []
    for rel in standalone:
        assert rel.seq_options is not None
        start, increment, low, high, cache = rel.seq_options
        owner = tables.get(rel.owner_oid) if rel.owner_oid is not None and rel.owner_deptype == "a" else None
        column = attnames.get(rel.owner_oid or 0, {}).get(rel.owner_attnum or 0) if owner else None
        data_type = rows.sequence_types.get(rel.oid, "bigint")
        sequences.append(
            PgSequence(
                name=rel.name,
                data_type=data_type if data_type in ("smallint", "integer") else "bigint",
                start=start,
                increment=increment,
                min_value=low,
                max_value=high,
                cache=cache,
                cycle=bool(rel.seq_cycle),
                owned_by=f"{owner.name}.{column}" if owner and column else None,
            ).without_defaults()
        )
    views = [
        MaterializedView(name=_model_name(nsp, name, schema_name), query=query, with_data=filled, indexes=tuple(ixs))
        for nsp, name, query, filled, ixs in rows.materialized_views
    ]
    aggregates = [aggregate_from_row(row, schema_name) for row in rows.aggregates]

    shown = {row[2] for row in rows.domains} | {d.name for d in domains}
    carried = (
        {("domain", n) for n in shown}
        | {("sequence", s.name) for s in sequences}
        | {("materialized view", v.name) for v in views}
    )
    carried |= {("aggregate", a.name) for a in aggregates} | {
        ("aggregate", a.name.rpartition(".")[2]) for a in aggregates
    }
    unsupported = tuple(u for u in read.unsupported if not _carried(u, carried))
    schema = read.schema.model_copy(
        update={  # sorted as the model's validators sort them (model_copy runs none)
            "domains": tuple(sorted(domains, key=lambda d: d.name)),
            "sequences": tuple(sorted(sequences, key=lambda q: q.name)),
            "materialized_views": tuple(sorted(views, key=lambda v: v.name)),
            "aggregates": tuple(sorted(aggregates, key=lambda a: a.key)),
        }
    )
    return Introspected(schema=schema, unsupported=unsupported)


def _carried(note: Unsupported, carried: set[tuple[str, str]]) -> bool:
    return (note.kind, note.name) in carried
