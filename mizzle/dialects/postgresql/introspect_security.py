"""Read row level security, policies, grants, default privileges and comments of one schema
(`core/security.py`), in five whole-schema catalog queries.

Grants are what differs from what PostgreSQL gives an object anyway: its built-in default
(`acldefault`: the owner's own privileges, PUBLIC's EXECUTE on functions), the privileges
initdb set (`pg_init_privs`: PUBLIC's USAGE on schema public), and the default privileges
(`pg_default_acl`) of its owner in its schema, which any object created there receives. A
table created after `ALTER DEFAULT PRIVILEGES ... GRANT ALL ON TABLES TO anon` holds those
grants without anyone writing them: recording them again would make each table of a pulled
schema repeat them, and a schema written by hand differ from its own database.

The app's other schemas (config `schemas`) are read with the default one: their objects are
named `schema.name` as the model names them, and their own grants (USAGE to a role) are kept.
Grants and comments on functions name them with their argument types: `touch(integer, text)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:
    import psycopg

from mizzle.core import qualified
from mizzle.core.introspection import Unsupported
from mizzle.core.model import Schema
from mizzle.core.security import (
    Command,
    Comment,
    DefaultPrivilege,
    DefaultTarget,
    Grant,
    Policy,
    RowSecurity,
    Security,
)

#: pg_policy.polcmd → the command
COMMANDS: dict[str, Command] = {"*": "ALL", "r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE"}

#: pg_default_acl.defaclobjtype → what ALTER DEFAULT PRIVILEGES names
DEFAULT_TARGETS: dict[str, DefaultTarget] = {
    "r": "tables",
    "S": "sequences",
    "f": "functions",
    "T": "types",
    "n": "schemas",
}
assert set(DEFAULT_TARGETS.values()) == set(get_args(DefaultTarget))

_ROLE = "CASE WHEN {0} = 0 THEN 'PUBLIC' ELSE pg_get_userbyid({0}) END"

ROW_SECURITY = """
SELECT c.relnamespace, c.relname, c.relforcerowsecurity
FROM pg_class c
WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind IN ('r', 'p') AND c.relrowsecurity
"""

POLICIES = f"""
SELECT c.relnamespace, c.relname, pol.polname, pol.polcmd, pol.polpermissive,
       ARRAY(SELECT {_ROLE.format("r")} FROM unnest(pol.polroles) AS r) AS roles,
       pg_get_expr(pol.polqual, pol.polrelid) AS using_expr,
       pg_get_expr(pol.polwithcheck, pol.polrelid) AS check_expr
FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid
WHERE c.relnamespace = ANY (%(ns)s)
"""

#: every ACL entry of the schema's objects that neither the built-in default, initdb nor the
#: owner's default privileges account for. `kind` names the object: table (tables, views),
#: sequence (a column's), column, schema, function.
GRANTS = f"""
WITH objects AS (
  SELECT c.relnamespace AS ns, CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END AS kind,
         c.relname::text AS object,
         NULL::text AS col, c.relacl AS acl, c.relowner AS owner,
         CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END AS deftype,
         CASE c.relkind WHEN 'S' THEN 'S' ELSE 'r' END AS defacltype,
         'pg_class'::regclass AS classid, c.oid AS objid, 0 AS objsubid
  FROM pg_class c
  WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind IN ('r', 'p', 'v', 'S') AND c.relacl IS NOT NULL
    -- sequences: a column's (serial or identity), which the model holds with the column
    AND (c.relkind <> 'S' OR EXISTS (SELECT 1 FROM pg_depend s WHERE s.classid = 'pg_class'::regclass
                                     AND s.objid = c.oid AND s.deptype IN ('a', 'i')))
  UNION ALL
  SELECT c.relnamespace, 'column', c.relname, a.attname, a.attacl, c.relowner, 'c', '-',
         'pg_class'::regclass, c.oid, a.attnum
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind IN ('r', 'p', 'v') AND a.attnum > 0
    AND NOT a.attisdropped AND a.attacl IS NOT NULL
  UNION ALL
  SELECT 0::oid, 'schema', n.nspname, NULL, n.nspacl, n.nspowner, 'n', 'n', 'pg_namespace'::regclass, n.oid, 0
  FROM pg_namespace n WHERE n.oid = ANY (%(ns)s) AND n.nspacl IS NOT NULL
  UNION ALL
  SELECT p.pronamespace, 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL,
         p.proacl, p.proowner, 'f', 'f', 'pg_proc'::regclass, p.oid, 0
  FROM pg_proc p
  WHERE p.pronamespace = ANY (%(ns)s) AND p.proacl IS NOT NULL
    AND p.prokind IN ('f', 'p') AND p.proname NOT LIKE '\\_\\_mizzle\\_%%'
    AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                    AND e.objid = p.oid AND e.deptype = 'e')
)
SELECT o.ns, o.kind, o.object, o.col, {_ROLE.format("a.grantee")} AS grantee, a.privilege_type, a.is_grantable,
       false AS revoked
FROM objects o, aclexplode(o.acl) a
WHERE a.grantee <> o.owner
  AND NOT EXISTS (SELECT 1 FROM aclexplode(acldefault(o.deftype::"char", o.owner)) d
                  WHERE d.grantee = a.grantee AND d.privilege_type = a.privilege_type
                    AND d.is_grantable = a.is_grantable)
  AND NOT EXISTS (SELECT 1 FROM pg_init_privs i, aclexplode(i.initprivs) d
                  WHERE i.classoid = o.classid AND i.objoid = o.objid AND i.objsubid = o.objsubid
                    AND d.grantee = a.grantee AND d.privilege_type = a.privilege_type
                    AND d.is_grantable = a.is_grantable)
  AND NOT EXISTS (SELECT 1 FROM pg_default_acl da, aclexplode(da.defaclacl) d
                  WHERE da.defaclrole = o.owner AND da.defaclnamespace IN (o.ns, 0)
                    AND da.defaclobjtype = o.defacltype::"char"
                    AND d.grantee = a.grantee AND d.privilege_type = a.privilege_type
                    AND d.is_grantable = a.is_grantable)
UNION ALL
-- functions PUBLIC may not run (REVOKE EXECUTE ... FROM PUBLIC), unless the owner's default
-- privileges for every schema took it away from all its new functions
SELECT o.ns, o.kind, o.object, NULL, 'PUBLIC', 'EXECUTE', false, true
FROM objects o
WHERE o.kind = 'function'
  AND NOT EXISTS (SELECT 1 FROM aclexplode(o.acl) a WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')
  AND NOT EXISTS (SELECT 1 FROM pg_default_acl da
                  WHERE da.defaclrole = o.owner AND da.defaclnamespace = 0 AND da.defaclobjtype = 'f'
                    AND NOT EXISTS (SELECT 1 FROM aclexplode(da.defaclacl) d
                                    WHERE d.grantee = 0 AND d.privilege_type = 'EXECUTE'))
"""

#: default privileges for every schema (namespace 0) replace the built-in default, so their
#: entries that merely repeat it are left out
DEFAULT_PRIVILEGES = f"""
SELECT pg_get_userbyid(da.defaclrole) AS role, n.nspname, da.defaclobjtype,
       {_ROLE.format("a.grantee")} AS grantee, a.privilege_type, a.is_grantable, false AS revoked
FROM pg_default_acl da
LEFT JOIN pg_namespace n ON n.oid = da.defaclnamespace,
     aclexplode(da.defaclacl) a
WHERE (da.defaclnamespace = ANY (%(ns)s) OR da.defaclnamespace = 0)
  AND NOT (da.defaclnamespace = 0 AND EXISTS (
      SELECT 1 FROM aclexplode(acldefault(lower(da.defaclobjtype::text)::"char", da.defaclrole)) d
      WHERE d.grantee = a.grantee AND d.privilege_type = a.privilege_type AND d.is_grantable = a.is_grantable))
UNION ALL
-- what a default for every schema takes away from the built-in one
SELECT pg_get_userbyid(da.defaclrole), NULL, da.defaclobjtype,
       {_ROLE.format("d.grantee")}, d.privilege_type, d.is_grantable, true
FROM pg_default_acl da, aclexplode(acldefault(lower(da.defaclobjtype::text)::"char", da.defaclrole)) d
WHERE da.defaclnamespace = 0
  AND NOT EXISTS (SELECT 1 FROM aclexplode(da.defaclacl) a
                  WHERE a.grantee = d.grantee AND a.privilege_type = d.privilege_type)
"""

#: comments on tables, views, indexes, their columns, and enum types; on functions too,
#: which are reported rather than read
COMMENTS = """
SELECT c.relnamespace, CASE WHEN d.objsubid > 0 THEN 'column'
            WHEN c.relkind = 'v' THEN 'view' WHEN c.relkind = 'i' THEN 'index' ELSE 'table' END AS kind,
       c.relname::text AS object, a.attname AS col, d.description
FROM pg_description d
JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
LEFT JOIN pg_attribute a ON d.objsubid > 0 AND a.attrelid = c.oid AND a.attnum = d.objsubid
WHERE c.relnamespace = ANY (%(ns)s) AND c.relkind IN ('r', 'p', 'v', 'i')
UNION ALL
SELECT t.typnamespace, 'type', t.typname, NULL, d.description
FROM pg_description d JOIN pg_type t ON d.classoid = 'pg_type'::regclass AND t.oid = d.objoid
WHERE t.typnamespace = ANY (%(ns)s) AND t.typtype = 'e'
UNION ALL
SELECT p.pronamespace, 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', NULL,
       d.description
FROM pg_description d JOIN pg_proc p ON d.classoid = 'pg_proc'::regclass AND p.oid = d.objoid
WHERE p.pronamespace = ANY (%(ns)s) AND p.prokind IN ('f', 'p')
"""


@dataclass(frozen=True)
class SecurityRows:
    #: namespace oid → the prefix of its objects' model names ("" for the default schema,
    #: `basejump.` for one of the app's other schemas)
    prefixes: dict[int, str]
    #: (schema, owner) of the app's other schemas another role owns
    owners: list[tuple[str, str]]
    row_security: list[tuple[Any, ...]]
    policies: list[tuple[Any, ...]]
    grants: list[tuple[Any, ...]]
    default_privileges: list[tuple[Any, ...]]
    comments: list[tuple[Any, ...]]


def read_security_rows(conn: psycopg.Connection[Any], schema_name: str, others: Sequence[str] = ()) -> SecurityRows:
    """Run the queries for `schema_name` and the app's `others` schemas that exist, in the
    caller's transaction (its search_path is the default schema's, so expressions name that
    schema's objects bare and the others' qualified)."""
    # each schema's oid, and its owner when another role than the one reading (and migrating) owns it
    found = {
        name: (oid, owner)
        for name, oid, owner in conn.execute(
            "SELECT nspname, oid, CASE WHEN nspowner <> (SELECT oid FROM pg_roles WHERE rolname = current_user)"
            " THEN pg_get_userbyid(nspowner) END FROM pg_namespace WHERE nspname = ANY (%s)",
            ([schema_name, *others],),
        )
    }
    assert schema_name in found  # read_catalog checked it exists
    prefixes = {int(oid): "" if name == schema_name else f"{name}." for name, (oid, _) in found.items()}
    owners = [(name, str(owner)) for name, (_, owner) in found.items() if owner is not None and name != schema_name]
    params = {"ns": list(prefixes)}

    def rows(query: str) -> list[tuple[Any, ...]]:
        with conn.cursor() as cur:
            cur.execute(query.encode(), params, prepare=False)
            return cur.fetchall()

    return SecurityRows(
        prefixes=prefixes,
        owners=owners,
        row_security=rows(ROW_SECURITY),
        policies=rows(POLICIES),
        grants=rows(GRANTS),
        default_privileges=rows(DEFAULT_PRIVILEGES),
        comments=rows(COMMENTS),
    )


def assemble(rows: SecurityRows, schema: Schema) -> tuple[Security, list[Unsupported]]:
    """The security items on objects the model holds (what hangs on a skipped table, a
    partition or mizzle's own bookkeeping, is skipped with it), and what is reported.
    Objects of the app's other schemas are named `schema.name` as the model names them."""
    prefix = rows.prefixes
    relations = {t.name for t in schema.tables} | {v.name for v in schema.views}
    relations |= {p.name for p in schema.partitions}  # grants and comments of each partition its own
    indexes = {(qualified.schema_of(t.name), i.name) for t in schema.tables for i in t.indexes}
    indexes |= {(qualified.schema_of(t.name), u.name) for t in schema.tables for u in t.uniques}
    indexes |= {(qualified.schema_of(t.name), t.primary_key.name) for t in schema.tables if t.primary_key}
    enums = {e.name for e in schema.enums}
    notes = [
        Unsupported("schema", name, f"owned by {owner}: the owner is not carried (the role that migrates owns it)")
        for name, owner in rows.owners
    ]
    items: list[Any] = [
        RowSecurity(table=prefix[ns] + t, forced=forced)
        for ns, t, forced in rows.row_security
        if prefix[ns] + t in relations
    ]
    for ns, table, name, cmd, permissive, roles, using, check in rows.policies:
        if prefix[ns] + table in relations:
            items.append(
                Policy(
                    table=prefix[ns] + table,
                    name=name,
                    command=COMMANDS[cmd],
                    permissive=permissive,
                    roles=tuple(roles),
                    using=using,
                    check=check,
                )
            )
    for ns, kind, obj, col, grantee, privilege, grantable, revoked in rows.grants:
        name = obj if kind == "schema" else prefix[ns] + obj
        if kind in ("schema", "sequence", "function") or name in relations:
            grant = Grant(on=kind, object=name, column=col, grantee=grantee, privilege=privilege, grantable=grantable)
            items.append(grant.model_copy(update={"revoked": True}) if revoked else grant)
    for role, nspname, objtype, grantee, privilege, grantable, revoked in rows.default_privileges:
        items.append(
            DefaultPrivilege(
                role=role,
                schema_name=nspname,
                on=DEFAULT_TARGETS[objtype],
                grantee=grantee,
                privilege=privilege,
                grantable=grantable and not revoked,
                revoked=revoked,
            )
        )
    for ns, kind, obj, col, text in rows.comments:
        name = prefix[ns] + obj
        if kind == "index":
            # an index is named in its table's schema, bare as the model's indexes are
            schema_of = prefix[ns][:-1] or None
            if (schema_of, obj) in indexes:
                items.append(Comment(on="index", object=name, column=col, text=text))
        elif kind == "function" or (kind == "type" and name in enums) or name in relations:
            on = "view" if kind == "table" and schema.view(name) is not None else kind
            items.append(Comment(on=on, object=name, column=col, text=text))
    return Security.of(items), notes
