"""The catalog queries introspection runs: a fixed handful, each over the whole schema.

Reading a schema costs the same eight round trips whether it holds 3 tables or 3,000
(drizzle-kit asks several questions per table and needs ~10 s for 200 tables). Every query
is filtered by the namespace oids of the schemas read (the default schema, `public`, and the
app's own others) and returns plain rows (the dataclasses below); turning them into the
model is `introspect.py`'s job.

All queries run with `search_path` set to the default schema alone (see `read_catalog`), so
that PostgreSQL's own printers (`format_type`, `pg_get_expr`, `pg_get_viewdef`...) write
names of that schema unqualified and names of any other schema qualified: the way the model
names them (`basejump.accounts`), so expressions and names agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any, TypeVar

from mizzle.core.errors import IntrospectionError

if TYPE_CHECKING:
    import psycopg

# Objects created by an extension are reported once, as the extension.
_NOT_EXTENSION_MEMBER = """NOT EXISTS (
    SELECT 1 FROM pg_depend e
    WHERE e.classid = '{catalog}'::regclass AND e.objid = {oid} AND e.deptype = 'e')"""


def _not_extension_member(catalog: str, oid: str) -> str:
    return _NOT_EXTENSION_MEMBER.format(catalog=catalog, oid=oid)


def _qualified(namespace: str, name: str) -> str:
    """A relation's or type's name as the model holds it: bare in the default schema,
    `schema.name` in another schema the app manages (see `core/qualified.py`)."""
    return (
        f"CASE WHEN {namespace} = %(default)s THEN {name}::text"
        f" ELSE (SELECT n.nspname FROM pg_namespace n WHERE n.oid = {namespace}) || '.' || {name} END"
    )


@dataclass(frozen=True, slots=True)
class RelationRow:
    oid: int
    name: str
    #: r table, p partitioned table, v view, m materialized view, S sequence, f foreign table
    relkind: str
    is_partition: bool
    #: p permanent, u unlogged
    persistence: str
    row_security: bool
    #: `RANGE (payment_date)` for a partitioned table
    partition_key: str | None
    #: the parent of a partition
    partition_of: str | None
    #: parents of a table that uses plain (non-partition) inheritance, comma separated
    inherits: str | None
    view_definition: str | None
    #: the column a sequence belongs to: its table's oid and attnum, and how
    #: ('a' OWNED BY / serial, 'i' identity)
    owner_oid: int | None
    owner_attnum: int | None
    owner_deptype: str | None
    #: a sequence's options: START, INCREMENT, MINVALUE, MAXVALUE, CACHE, CYCLE
    seq_options: list[int] | None
    seq_cycle: bool | None
    #: a sequence's type (`format_type`: smallint, integer, bigint)
    seq_type: str | None


RELATIONS = f"""
SELECT c.oid, {_qualified("c.relnamespace", "c.relname")} AS name,
       c.relkind::text AS relkind, c.relispartition AS is_partition,
       c.relpersistence::text AS persistence, c.relrowsecurity AS row_security,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partition_key,
       CASE WHEN c.relispartition THEN
           (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = c.oid) END AS partition_of,
       CASE WHEN NOT c.relispartition AND c.relkind IN ('r', 'p') THEN
           (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
            FROM pg_inherits i WHERE i.inhrelid = c.oid) END AS inherits,
       CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid, true) END AS view_definition,
       own.refobjid AS owner_oid, own.refobjsubid AS owner_attnum, own.deptype::text AS owner_deptype,
       CASE WHEN s.seqrelid IS NOT NULL THEN
           ARRAY[s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache] END AS seq_options,
       s.seqcycle AS seq_cycle, format_type(s.seqtypid, NULL) AS seq_type
FROM pg_class c
LEFT JOIN pg_depend own
       ON c.relkind = 'S' AND own.classid = 'pg_class'::regclass AND own.objid = c.oid
      AND own.refclassid = 'pg_class'::regclass AND own.deptype IN ('a', 'i')
LEFT JOIN pg_sequence s ON c.relkind = 'S' AND s.seqrelid = c.oid
WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
  AND {_not_extension_member("pg_class", "c.oid")}
"""


@dataclass(frozen=True, slots=True)
class ColumnRow:
    table_oid: int
    attnum: int
    name: str
    not_null: bool
    #: '' none, 'a' GENERATED ALWAYS, 'd' BY DEFAULT
    identity: str
    #: '' none, 's' stored generated column
    generated: str
    #: `format_type` of the column's type (which writes one `[]` for any array)
    type: str
    #: the array dimensions the column was declared with (`int[][]`: 2)
    dims: int
    #: the name of the schema's enum the column is typed by (or an array of it): read from
    #: the catalog, not parsed out of `type`, which quotes a name holding `"`, `(` or `[`
    enum: str | None
    #: the column's type is an array (format_type's `[]`)
    is_array: bool
    #: for a column typed by a domain (or an array of one): the domain and its base type
    domain: str | None
    domain_base_type: str | None
    default: str | None
    collation: int
    #: the column's COLLATE differs from its type's
    custom_collation: bool


COLUMNS = f"""
SELECT a.attrelid AS table_oid, a.attnum, a.attname AS name, a.attnotnull AS not_null,
       a.attidentity::text AS identity, a.attgenerated::text AS generated,
       format_type(a.atttypid, a.atttypmod) AS type, a.attndims AS dims,
       CASE WHEN t.typtype = 'e' AND t.typnamespace = ANY (%(ns)s) THEN {_qualified("t.typnamespace", "t.typname")}
            WHEN et.typtype = 'e' AND et.typnamespace = ANY (%(ns)s)
            THEN {_qualified("et.typnamespace", "et.typname")} END AS enum,
       t.typcategory = 'A' AS is_array,
       CASE WHEN t.typtype = 'd' THEN format_type(t.oid, NULL)
            WHEN et.typtype = 'd' THEN format_type(et.oid, NULL) END AS domain,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod)
            WHEN et.typtype = 'd' THEN format_type(et.typbasetype, et.typtypmod) || '[]' END AS domain_base_type,
       pg_get_expr(ad.adbin, ad.adrelid) AS default,
       a.attcollation AS collation, a.attcollation <> t.typcollation AS custom_collation
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_type et ON t.typcategory = 'A' AND et.oid = t.typelem
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
"""


@dataclass(frozen=True, slots=True)
class ConstraintRow:
    table_oid: int
    name: str
    #: p primary key, u unique, f foreign key, c check, x exclusion
    contype: str
    columns: list[int]
    ref_table_oid: int | None
    ref_table: str | None
    #: the referenced table is in the schema being read
    ref_in_schema: bool | None
    ref_columns: list[int] | None
    #: the referenced table's own name and schema, and the referenced columns' names (a table
    #: of a schema not read, `auth.users`, is not among the tables read)
    ref_relname: str | None
    ref_schema: str | None
    ref_column_names: list[str] | None
    on_delete: str
    on_update: str
    #: f FULL, p PARTIAL, s SIMPLE (the default)
    match_type: str
    deferrable: bool
    initially_deferred: bool
    validated: bool
    check_expression: str | None
    #: the whole definition, for an exclusion constraint
    definition: str | None


CONSTRAINTS = f"""
SELECT con.conrelid AS table_oid, con.conname AS name, con.contype::text AS contype,
       coalesce(con.conkey::int2[], '{{}}') AS columns,
       nullif(con.confrelid, 0) AS ref_table_oid, {_qualified("rc.relnamespace", "rc.relname")} AS ref_table,
       rc.relnamespace = ANY (%(ns)s) AS ref_in_schema, con.confkey::int2[] AS ref_columns,
       rc.relname::text AS ref_relname, rn.nspname::text AS ref_schema,
       CASE WHEN con.contype = 'f' THEN
           ARRAY(SELECT ra.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, i)
                 JOIN pg_attribute ra ON ra.attrelid = con.confrelid AND ra.attnum = k.attnum
                 ORDER BY k.i) END AS ref_column_names,
       con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update,
       con.confmatchtype::text AS match_type,
       con.condeferrable AS deferrable, con.condeferred AS initially_deferred, con.convalidated AS validated,
       CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS check_expression,
       CASE WHEN con.contype = 'x' THEN pg_get_constraintdef(con.oid) END AS definition
FROM pg_constraint con
JOIN pg_class c ON c.oid = con.conrelid
LEFT JOIN pg_class rc ON rc.oid = con.confrelid
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND con.contype IN ('p', 'u', 'f', 'c', 'x')
  -- a foreign key to a partitioned table is stored once per partition too: keep the parent
  AND con.conparentid = 0
"""


@dataclass(frozen=True, slots=True)
class IndexRow:
    table_oid: int
    name: str
    unique: bool
    method: str
    key_count: int
    column_count: int
    #: attnum of each key column, 0 for an expression key
    keys: list[int]
    #: indoption bits of each key: 1 DESC, 2 NULLS FIRST
    options: list[int]
    #: the collation of each key (0 when the key's type has none)
    collations: list[int]
    #: the name of each key's collation (None for none), by its model name: bare when visible
    #: on the search path (pg_catalog's "C", "POSIX"...), else `schema.name`
    collation_names: list[str | None]
    #: the text of each expression key (None for column keys); None when all keys are columns
    expressions: list[str | None] | None
    predicate: str | None
    #: the index belongs to a PRIMARY KEY, UNIQUE or EXCLUDE constraint
    backs_constraint: bool
    #: the operator class of each key when it is not a default one (None when it is), by its
    #: model name: bare when visible on the search path (the default schema, pg_catalog),
    #: else `schema.name`
    opclasses: list[str | None]
    #: a key's operator class takes parameters (`gist_trgm_ops (siglen = 32)`)
    opclass_options: bool
    nulls_not_distinct: bool


_INDEXES = """
WITH named_opclass AS MATERIALIZED (
    SELECT oid, CASE WHEN pg_opclass_is_visible(oid) THEN opcname::text
                     ELSE (SELECT n.nspname FROM pg_namespace n WHERE n.oid = opcnamespace) || '.' || opcname
                END AS name
    FROM pg_opclass WHERE NOT opcdefault)
SELECT i.indrelid AS table_oid, ic.relname AS name, i.indisunique AS unique, am.amname AS method,
       i.indnkeyatts AS key_count, i.indnatts AS column_count,
       (i.indkey::int2[])[0:i.indnkeyatts - 1] AS keys,
       (i.indoption::int2[])[0:i.indnkeyatts - 1] AS options,
       (i.indcollation::oid[])[0:i.indnkeyatts - 1] AS collations,
       ARRAY(SELECT CASE WHEN co.oid IS NULL THEN NULL WHEN pg_collation_is_visible(co.oid) THEN co.collname::text
                         ELSE (SELECT n.nspname FROM pg_namespace n WHERE n.oid = co.collnamespace)
                              || '.' || co.collname END
             FROM unnest((i.indcollation::oid[])[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(oid, n)
             LEFT JOIN pg_collation co ON co.oid = k.oid ORDER BY k.n) AS collation_names,
       CASE WHEN i.indexprs IS NOT NULL THEN
           ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0 THEN pg_get_indexdef(i.indexrelid, k, true) END
                 FROM generate_series(1, i.indnkeyatts) AS k ORDER BY k) END AS expressions,
       CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid) END AS predicate,
       EXISTS (SELECT 1 FROM pg_constraint con
               WHERE con.conrelid = i.indrelid AND con.conindid = i.indexrelid
                 AND con.contype IN ('p', 'u', 'x')) AS backs_constraint,
       ARRAY(SELECT o.name FROM unnest((i.indclass::oid[])[0:i.indnkeyatts - 1]) WITH ORDINALITY AS k(oid, n)
             LEFT JOIN named_opclass o ON o.oid = k.oid ORDER BY k.n) AS opclasses,
       EXISTS (SELECT 1 FROM pg_attribute ia WHERE ia.attrelid = i.indexrelid AND ia.attoptions IS NOT NULL)
           AS opclass_options,
       {nulls_not_distinct} AS nulls_not_distinct
FROM pg_index i
JOIN pg_class ic ON ic.oid = i.indexrelid
JOIN pg_class c ON c.oid = i.indrelid
JOIN pg_am am ON am.oid = ic.relam
WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""


def indexes_query(server_version: int) -> str:
    # NULLS NOT DISTINCT exists from PostgreSQL 15 on.
    return _INDEXES.format(nulls_not_distinct="i.indnullsnotdistinct" if server_version >= 150000 else "false")


@dataclass(frozen=True, slots=True)
class TypeRow:
    name: str
    #: e enum, d domain, c composite, r range, b base
    typtype: str
    labels: list[str]
    #: a domain's base type
    base_type: str | None


TYPES = f"""
SELECT {_qualified("t.typnamespace", "t.typname")} AS name, t.typtype::text AS typtype,
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder) AS labels,
       CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base_type
FROM pg_type t
LEFT JOIN pg_class rel ON rel.oid = t.typrelid
WHERE t.typnamespace = ANY (%(ns)s)
  AND t.typtype IN ('e', 'd', 'c', 'r', 'b')
  AND t.typcategory <> 'A'                      -- the array type each type gets
  AND (t.typrelid = 0 OR rel.relkind = 'c')     -- the row type each table and view gets
  AND {_not_extension_member("pg_type", "t.oid")}
"""


@dataclass(frozen=True, slots=True)
class ViewDependencyRow:
    view_oid: int
    #: a function the view calls (outside pg_catalog)...
    function: str | None
    #: ...or a relation it reads, with its schema
    relation_oid: int | None
    relation: str | None
    relation_schema: str | None


VIEW_DEPENDENCIES = """
SELECT DISTINCT r.ev_class AS view_oid, p.proname AS function,
       rc.oid AS relation_oid, rc.relname AS relation, rn.nspname AS relation_schema
FROM pg_rewrite r
JOIN pg_class v ON v.oid = r.ev_class
JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.deptype = 'n'
LEFT JOIN pg_proc p ON d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
LEFT JOIN pg_namespace pn ON pn.oid = p.pronamespace
LEFT JOIN pg_class rc ON d.refclassid = 'pg_class'::regclass AND rc.oid = d.refobjid AND rc.oid <> r.ev_class
LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
WHERE v.relnamespace = ANY (%(ns)s) AND v.relkind = 'v' AND r.rulename = '_RETURN'
  AND (pn.nspname NOT IN ('pg_catalog', 'information_schema') OR rc.oid IS NOT NULL)
"""


@dataclass(frozen=True, slots=True)
class ObjectRow:
    """Something the model does not hold: `kind` and `name`, and the table it hangs on if
    any (so that objects of skipped tables are skipped with them)."""

    kind: str
    name: str
    table_oid: int | None


OTHER_OBJECTS = f"""
SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
                      WHEN 'w' THEN 'window function' ELSE 'function' END AS kind,
       p.proname AS name, NULL::oid AS table_oid
FROM pg_proc p
WHERE p.pronamespace = ANY (%(ns)s) AND {_not_extension_member("pg_proc", "p.oid")}
  -- functions PostgreSQL makes itself (a range type's constructors) go with their type
  AND NOT EXISTS (SELECT 1 FROM pg_depend i
                  WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid AND i.deptype = 'i')
UNION ALL
SELECT 'trigger', t.tgname, t.tgrelid
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = ANY (%(ns)s) AND NOT t.tgisinternal
UNION ALL
SELECT 'rule', r.rulename, r.ev_class
FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
WHERE c.relnamespace = ANY (%(ns)s) AND r.rulename <> '_RETURN'
UNION ALL
SELECT 'extension', x.extname, NULL
FROM pg_extension x
WHERE x.extname <> 'plpgsql'
UNION ALL
SELECT 'schema', n.nspname, NULL
FROM pg_namespace n
WHERE n.oid <> ALL (%(ns)s) AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'
  AND {_not_extension_member("pg_namespace", "n.oid")}
UNION ALL
SELECT 'comment', c.relname || coalesce('.' || a.attname, ''), c.oid
FROM pg_description d
JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
LEFT JOIN pg_attribute a ON d.objsubid > 0 AND a.attrelid = c.oid AND a.attnum = d.objsubid
-- comments on tables, views, indexes and their columns are read (introspect_security.py)
WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind NOT IN ('r', 'p', 'v', 'i')
UNION ALL
SELECT 'comment', c.relname || '.' || con.conname, c.oid
FROM pg_description d
JOIN pg_constraint con ON d.classoid = 'pg_constraint'::regclass AND con.oid = d.objoid
JOIN pg_class c ON c.oid = con.conrelid
WHERE c.relnamespace = ANY (%(ns)s)
UNION ALL
SELECT 'comment', t.typname, NULL
FROM pg_description d
JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid
WHERE t.typnamespace = ANY (%(ns)s) AND t.typtype <> 'e'
"""


@dataclass(frozen=True)
class Catalog:
    """Everything introspection reads, as rows."""

    server_version: int
    relations: list[RelationRow]
    columns: list[ColumnRow]
    constraints: list[ConstraintRow]
    indexes: list[IndexRow]
    types: list[TypeRow]
    view_dependencies: list[ViewDependencyRow]
    other_objects: list[ObjectRow]


_Row = TypeVar("_Row")


def _fetch(conn: psycopg.Connection[Any], query: str, row: type[_Row], ns: list[int]) -> list[_Row]:
    # Rows are built positionally (much cheaper than by keyword for ~10^4 rows), so check
    # once that the query's columns are the dataclass's fields, in order.
    from psycopg.rows import args_row

    with conn.cursor(row_factory=args_row(row)) as cur:
        # never prepared: transaction-mode poolers (PgBouncer, Supavisor) lose prepared statements
        cur.execute(query.encode(), {"ns": ns, "default": ns[0]}, prepare=False)
        names = [c.name for c in cur.description or []]
        expected = [f.name for f in fields(row)]  # type: ignore[arg-type]
        if names != expected:
            raise AssertionError(f"{row.__name__}: query gives {names}, expected {expected}")
        return cur.fetchall()


def read_catalog(conn: psycopg.Connection[Any], schema_name: str, others: Sequence[str] = ()) -> Catalog:
    """Run the catalog queries for `schema_name` and the app's `others` schemas that exist
    (names of their objects qualified). The caller owns the transaction: the `search_path` set here
    (`schema_name` alone) is local to it."""
    wanted = [schema_name, *others]
    # one round trip: search_path is set by each row found (the default schema's among them)
    query = (
        "SELECT n.nspname, n.oid, set_config('search_path', quote_ident(%s), true)"
        " FROM pg_namespace n WHERE n.nspname = ANY (%s)"
    )
    rows = conn.execute(query, (schema_name, wanted), prepare=False).fetchall()  # poolers: see `_fetch`
    found = {name: oid for name, oid, _ in rows}
    if schema_name not in found:
        raise IntrospectionError(f"schema {schema_name!r} does not exist in the database")
    # An app's schema not created yet holds nothing (a push creates it)
    ns = [int(found[name]) for name in wanted if name in found]
    version = conn.info.server_version
    return Catalog(
        server_version=version,
        relations=_fetch(conn, RELATIONS, RelationRow, ns),
        # sorted here rather than by the server, where ORDER BY costs more than the query
        columns=sorted(_fetch(conn, COLUMNS, ColumnRow, ns), key=lambda c: (c.table_oid, c.attnum)),
        constraints=_fetch(conn, CONSTRAINTS, ConstraintRow, ns),
        indexes=_fetch(conn, indexes_query(version), IndexRow, ns),
        types=_fetch(conn, TYPES, TypeRow, ns),
        view_dependencies=_fetch(conn, VIEW_DEPENDENCIES, ViewDependencyRow, ns),
        other_objects=_fetch(conn, OTHER_OBJECTS, ObjectRow, ns),
    )
