"""An independent picture of a PostgreSQL schema, straight from the catalogs, for tests that
compare two databases. It deliberately shares no code with mizzle's introspector, so a
round trip is judged by PostgreSQL's own account of what exists, not by mizzle's reading.

Each object is keyed by (kind, name) and described by the server's own definition text
(format_type, pg_get_expr, pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef, enum labels).
"""

from __future__ import annotations

import re
from typing import Any

import psycopg

Catalog = dict[tuple[str, str], Any]

_COLUMNS = """
SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       a.attnum, a.attname,
       format_type(COALESCE(NULLIF(t.typbasetype, 0), a.atttypid),
                   CASE WHEN t.typbasetype <> 0 THEN t.typtypmod ELSE a.atttypmod END) AS type,
       CASE WHEN t.typtype = 'd' THEN format_type(t.oid, NULL) END AS domain, a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid) AS dflt
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE n.nspname = ANY (%(schemas)s) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY 1, a.attnum
"""

_CONSTRAINTS = """
SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       k.conname, pg_get_constraintdef(k.oid, true)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (%(schemas)s) AND NOT c.relispartition AND k.contype IN ('p', 'f', 'u', 'c')
"""

_INDEXES = """
SELECT CASE WHEN n.nspname = 'public' THEN t.relname ELSE n.nspname || '.' || t.relname END,
       i.relname, pg_get_indexdef(x.indexrelid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = ANY (%(schemas)s) AND NOT t.relispartition AND t.relkind IN ('r', 'p', 'm')
  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid AND k.contype IN ('p', 'u'))
"""

_ENUMS = """
SELECT CASE WHEN n.nspname = 'public' THEN t.typname ELSE n.nspname || '.' || t.typname END,
       array_agg(e.enumlabel ORDER BY e.enumsortorder)
FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = ANY (%(schemas)s) GROUP BY 1
"""

_VIEWS = """
SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       pg_get_viewdef(c.oid, true)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (%(schemas)s) AND c.relkind = 'v'
"""


_DOMAINS = """
SELECT CASE WHEN n.nspname = 'public' THEN t.typname ELSE n.nspname || '.' || t.typname END,
       format_type(t.typbasetype, t.typtypmod), t.typdefault, t.typnotnull,
       (SELECT array_agg(k.conname || ' ' || pg_get_constraintdef(k.oid) ORDER BY k.conname)
        FROM pg_constraint k WHERE k.contypid = t.oid)
FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE n.nspname = ANY (%(schemas)s) AND t.typtype = 'd'
"""

# sequences that are neither an identity's nor a serial's (owned by a column whose default calls nextval)
_SEQUENCES = """
SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
       (SELECT o.relname || '.' || a.attname FROM pg_depend d
        JOIN pg_class o ON o.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a')
FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (%(schemas)s)
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.deptype = 'i')
  AND NOT EXISTS (SELECT 1 FROM pg_depend d
                  JOIN pg_attrdef ad ON ad.adrelid = d.refobjid AND ad.adnum = d.refobjsubid
                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'a'
                    AND pg_get_expr(ad.adbin, ad.adrelid) LIKE 'nextval(%%')
  -- nor one named as a serial's, read by that column's default (old pg_dump output leaves it unowned)
  AND NOT EXISTS (SELECT 1 FROM pg_attrdef ad
                  JOIN pg_class t ON t.oid = ad.adrelid
                  JOIN pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
                  WHERE t.relnamespace = c.relnamespace AND c.relname = t.relname || '_' || a.attname || '_seq'
                    AND pg_get_expr(ad.adbin, ad.adrelid) LIKE 'nextval(%%')
"""

_MATERIALIZED_VIEWS = """
SELECT CASE WHEN n.nspname = 'public' THEN c.relname ELSE n.nspname || '.' || c.relname END,
       pg_get_viewdef(c.oid, true), c.relispopulated
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (%(schemas)s) AND c.relkind = 'm'
"""

_AGGREGATES = """
SELECT CASE WHEN n.nspname = 'public' THEN p.proname ELSE n.nspname || '.' || p.proname END
       || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       a.aggkind, a.aggtransfn::text, format_type(a.aggtranstype, NULL), a.aggfinalfn::text, a.agginitval,
       a.aggcombinefn::text, a.aggmtransfn::text, a.aggminvtransfn::text, a.aggsortop::regoperator::text
FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = ANY (%(schemas)s)
"""


def _unqualify(text: str | None) -> str | None:
    # pg_dump-loaded databases print `public.x`, `'public.x_seq'::regclass` and `public.mpaa_rating`
    # where a database built without a search-path trick prints `x`: the same object.
    if text is None:
        return None
    return re.sub(r"\bpublic\.", "", text)


def snapshot(url: str, schemas: tuple[str, ...] = ()) -> Catalog:
    """Every table (columns with type, NOT NULL, default, domain), constraint, index, enum, view,
    domain, standalone sequence, materialized view and aggregate of
    `public` and `schemas` (the objects of those named `schema.name`)."""
    out: Catalog = {}
    with psycopg.connect(url) as conn:
        conn.execute("SET search_path = public")
        params = {"schemas": ["public", *schemas]}
        for rel, _num, col, typ, domain, notnull, dflt in conn.execute(_COLUMNS, params):
            out.setdefault(("table", rel), []).append((col, typ, notnull, _unqualify(dflt)))
            if domain is not None:
                out[("domain column", f"{rel}.{col}")] = _unqualify(domain)
        for rel, name, definition in conn.execute(_CONSTRAINTS, params):
            out[("constraint", f"{rel}.{name}")] = _unqualify(definition)
        for rel, name, definition in conn.execute(_INDEXES, params):
            out[("index", f"{rel}.{name}")] = _unqualify(definition)
        for name, labels in conn.execute(_ENUMS, params):
            out[("enum", name)] = list(labels)
        for name, definition in conn.execute(_VIEWS, params):
            out[("view", name)] = _unqualify(definition)
        for name, *facts in conn.execute(_DOMAINS, params):
            out[("domain", name)] = [_unqualify(f) if isinstance(f, str) else f for f in facts]
        for name, *facts in conn.execute(_SEQUENCES, params):
            out[("sequence", name)] = facts
        for name, definition, populated in conn.execute(_MATERIALIZED_VIEWS, params):
            out[("materialized view", name)] = (_unqualify(definition), populated)
        for name, *facts in conn.execute(_AGGREGATES, params):
            out[("aggregate", _unqualify(name) or name)] = [_unqualify(f) if isinstance(f, str) else f for f in facts]
    return out


def diff(a: Catalog, b: Catalog) -> list[str]:
    """Human-readable differences between two snapshots (empty when identical)."""
    lines = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            lines.append(f"only in first: {key}")
        elif key not in a:
            lines.append(f"only in second: {key}")
        elif a[key] != b[key]:
            lines.append(f"differs: {key}:\n  {a[key]!r}\n  {b[key]!r}")
    return lines
