"""PostgreSQL's built-in default operator classes, by index method (PostgreSQL 15's
`pg_opclass WHERE opcdefault`).

The catalog says which operator class an index key uses, and introspection keeps it only
when it is not a default one (as `pg_get_indexdef` prints it only then). A DDL file may
name a default one all the same (drizzle-kit writes `"id" uuid_ops`, `"at" timestamp_ops`):
the `.sql` reader drops those by this table, so the file and the database it made read alike.
A default name on a key of another type (`int4_ops` on a bigint) is taken for the default too.
"""

from __future__ import annotations

_BRIN = (
    "bit_minmax_ops box_inclusion_ops bpchar_minmax_ops bytea_minmax_ops char_minmax_ops date_minmax_ops "
    "float4_minmax_ops float8_minmax_ops inet_inclusion_ops int2_minmax_ops int4_minmax_ops int8_minmax_ops "
    "interval_minmax_ops macaddr8_minmax_ops macaddr_minmax_ops name_minmax_ops numeric_minmax_ops "
    "oid_minmax_ops pg_lsn_minmax_ops range_inclusion_ops text_minmax_ops tid_minmax_ops time_minmax_ops "
    "timestamp_minmax_ops timestamptz_minmax_ops timetz_minmax_ops uuid_minmax_ops varbit_minmax_ops"
)
_BTREE = (
    "array_ops bit_ops bool_ops bpchar_ops bytea_ops char_ops date_ops enum_ops float4_ops float8_ops inet_ops "
    "int2_ops int4_ops int8_ops interval_ops jsonb_ops macaddr8_ops macaddr_ops money_ops multirange_ops name_ops "
    "numeric_ops oid_ops oidvector_ops pg_lsn_ops range_ops record_ops text_ops tid_ops time_ops timestamp_ops "
    "timestamptz_ops timetz_ops tsquery_ops tsvector_ops uuid_ops varbit_ops xid8_ops"
)
_HASH = (
    "aclitem_ops array_ops bool_ops bpchar_ops bytea_ops char_ops cid_ops date_ops enum_ops float4_ops float8_ops "
    "inet_ops int2_ops int4_ops int8_ops interval_ops jsonb_ops macaddr8_ops macaddr_ops multirange_ops name_ops "
    "numeric_ops oid_ops oidvector_ops pg_lsn_ops range_ops record_ops text_ops tid_ops time_ops timestamp_ops "
    "timestamptz_ops timetz_ops uuid_ops xid8_ops xid_ops"
)

#: index method → the names of its built-in default operator classes
DEFAULT_OPCLASSES: dict[str, frozenset[str]] = {
    "brin": frozenset(_BRIN.split()),
    "btree": frozenset(_BTREE.split()),
    "gin": frozenset(["array_ops", "jsonb_ops", "tsvector_ops"]),
    "gist": frozenset(
        ["box_ops", "circle_ops", "multirange_ops", "point_ops", "poly_ops", "range_ops", "tsquery_ops", "tsvector_ops"]
    ),
    "hash": frozenset(_HASH.split()),
    "spgist": frozenset(["box_ops", "inet_ops", "poly_ops", "quad_point_ops", "range_ops", "text_ops"]),
}


def named_opclass(method: str, name: str) -> str | None:
    """The operator class `name` (a model name: `pg_catalog.` dropped) of a key of an index
    using `method`, or None when it is that method's default (left unsaid)."""
    bare = name.removeprefix("pg_catalog.")
    return None if bare in DEFAULT_OPCLASSES.get(method.lower(), frozenset()) else bare
