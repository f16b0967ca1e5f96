"""The draft schema a DDL script is run on (see `ddl.py`), and how it becomes the model.

The draft is mutable, because later statements change earlier objects (`ALTER TABLE ... ADD
CONSTRAINT`, `ALTER SEQUENCE ... OWNED BY`, `ATTACH PARTITION`). It also keeps PostgreSQL's
two name spaces, so unnamed constraints and indexes get the names PostgreSQL would give:
relations (tables, views, sequences, indexes, including those behind PRIMARY KEY and
UNIQUE) and constraints (unique across the schema for generated names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import cast

from sqlglot import exp

from mizzle.core.canonical import default_from_pg, nextval_sequence, normalize_pg_expression
from mizzle.core.errors import SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.introspection import Introspected, Unsupported
from mizzle.core.migration_text import one_line
from mizzle.core.model import (
    Check,
    Column,
    Default,
    Enum,
    ForeignKey,
    Identity,
    Index,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    View,
)
from mizzle.core.naming import check_name, choose_name, foreign_key_name, primary_key_name, unique_name
from mizzle.core.partitions import PartitionKey
from mizzle.core.pg_objects import Aggregate, Domain, MaterializedView, PgSequence
from mizzle.core.types import ColumnType, TypeKind
from mizzle.core.validate import validate
from mizzle.dialects.postgresql.introspect import serial_named
from mizzle.dialects.postgresql.sync_sql import TRIGGER_NAMES as PG_TRIGGER_NAMES
from mizzle.sources.sql.code import DraftCode
from mizzle.sources.sql.objects import SequenceOptions
from mizzle.sources.sql.partitions import DraftPartition
from mizzle.sources.sql.security_items import SecurityItems
from mizzle.sources.sql.spelling import SPELLING, record_spelling
from mizzle.sources.sql.split import clip_identifier, fold_identifier, qualified

_UNQUALIFIED_SCHEMAS = ("", "public", "pg_catalog")


def ident(node: exp.Expression | str | None) -> str:
    """A name as PostgreSQL reads it: unquoted identifiers fold to lower case."""
    if node is None:
        return ""
    if isinstance(node, exp.Column | exp.Table) and isinstance(node.this, exp.Identifier):
        node = node.this
    if isinstance(node, exp.Identifier) and node.quoted:
        return clip_identifier(str(node.this))
    return clip_identifier(fold_identifier(node if isinstance(node, str) else node.name))


#: The primary keys of platform tables a schema references without naming the columns:
#: Supabase apps write `REFERENCES auth.users` (Supabase's table of users, keyed by id).
KNOWN_KEYS: dict[tuple[str, str], tuple[str, ...]] = {("auth", "users"): ("id",)}


def relation_name(table: exp.Expression) -> str:
    """`t`, `public.t` → "t"; `app.t` → "app.t" (outside the modelled schema)."""
    if isinstance(table, exp.Schema):
        table = table.this
    schema = ident(table.args.get("db")) if isinstance(table, exp.Table) else ""
    name = ident(table)
    return name if schema in ("", "public") else f"{schema}.{name}"


def strip_public(tree: exp.Expression) -> exp.Expression:
    """Drop `public.` (and `pg_catalog.`) qualifiers: only the public schema is modelled, and
    PostgreSQL prints stored expressions without them (pg_dump, with an empty search_path,
    prints them everywhere)."""

    def fix(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table | exp.Column) and ident(node.args.get("db")) == "public":
            node.set("db", None)
        elif isinstance(node, exp.Dot) and _unqualified(node.this) and isinstance(node.expression, exp.Func):
            return cast(exp.Expression, node.expression)
        elif (
            isinstance(node, exp.DataType)
            and isinstance(kind := node.args.get("kind"), exp.Dot)
            and _unqualified(kind.this)
        ):
            node.set("kind", kind.expression)
        return node

    return tree.copy().transform(fix)


def _unqualified(schema: exp.Expression) -> bool:
    return isinstance(schema, exp.Identifier) and ident(schema) in _UNQUALIFIED_SCHEMAS


def pg_expr_tree(tree: exp.Expression) -> SqlExpr:
    """A check, index key, predicate or view body as the model holds it, with the text it was
    written with as its PostgreSQL spelling where the reader found it (see `spelling.py`)."""
    return SqlExpr(normalize_pg_expression(strip_public(tree)), _spelling(tree))


def spell(node: exp.Expression | None, text: str, *, start: int | None = None) -> None:
    """Record the text `node` is written with in `text`, the statement it was parsed from
    (see `spelling.py`), for `pg_expr_tree` and the defaults to keep."""
    record_spelling(node, text, lambda tree: pg_expr_tree(tree).sql, start=start)


def _spelling(tree: exp.Expression) -> str | None:
    spelled = tree.meta.get(SPELLING) if tree._meta else None
    return spelled if isinstance(spelled, str) else None


def _nextval_unqualified(tree: exp.Expression) -> exp.Expression:
    """`nextval('public.s')` → `nextval('s'::regclass)`, as PostgreSQL prints it back."""

    def fix(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Anonymous) and str(node.this).lower() == "nextval" and node.expressions):
            return node
        arg = node.expressions[0]
        literal = arg.this if isinstance(arg, exp.Cast) else arg
        if not (isinstance(literal, exp.Literal) and literal.is_string):
            return node
        name = str(literal.this).removeprefix("public.")
        regclass = exp.Cast(this=exp.Literal.string(name), to=exp.DataType.build("regclass", dialect="postgres"))
        return exp.Anonymous(this=node.this, expressions=[regclass])

    return tree.transform(fix)


@dataclass
class DraftColumn:
    name: str
    type: ColumnType
    nullable: bool = True
    default: exp.Expression | None = None  # read once serial columns are known (see Draft.finish)
    identity: Identity | None = None
    #: the expression of `GENERATED ALWAYS AS (expr) STORED`
    generated: exp.Expression | None = None
    #: the domain the column is typed by (`type` is its base type)
    domain: str | None = None
    #: a serial's sequence as the file makes it (CREATE SEQUENCE, or ALTER SEQUENCE of the
    #: one `serial` makes)
    sequence: SequenceOptions | None = None


@dataclass
class DraftForeignKey:
    name: str
    line: int
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...] | None  # None: the referenced table's primary key
    options: dict[str, object]
    #: the referenced table's schema when it is not the modelled one (`auth` of `auth.users`)
    ref_schema: str | None = None


@dataclass
class DraftTable:
    name: str
    columns: dict[str, DraftColumn] = field(default_factory=dict)
    primary_key: PrimaryKey | None = None
    foreign_keys: list[DraftForeignKey] = field(default_factory=list)
    uniques: list[Unique] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)

    def require_columns(self, names: tuple[str, ...] | list[str]) -> None:
        """As PostgreSQL checks a constraint's or an index's columns when it creates it."""
        for name in names:
            if name not in self.columns:
                raise SchemaError(f'column "{name}" of table "{self.name}" does not exist')


@dataclass
class Pending:
    """A constraint read from a statement, named once the whole statement is read."""

    kind: str  # "pk", "unique", "fk" or "check"
    name: str | None
    line: int
    columns: tuple[str, ...] = ()
    expr: exp.Expression | None = None
    node: exp.Expression | None = None  # the Reference / ForeignKey / UniqueColumnConstraint
    options: list[str] | None = None


@dataclass
class DraftSequence:
    owner: tuple[str, ...] | None  # OWNED BY [schema.]table.column
    options: SequenceOptions = field(default_factory=SequenceOptions)


@dataclass
class DraftDomain:
    type: ColumnType
    domain: Domain
    columns: list[str] = field(default_factory=list)


_FK_ACTIONS = {"CASCADE": "cascade", "RESTRICT": "restrict", "SET NULL": "set null"}
_FK_ACTIONS |= {"SET DEFAULT": "set default", "NO ACTION": "no action"}
_SERIAL_OF = {TypeKind.INTEGER: TypeKind.SERIAL, TypeKind.BIGINT: TypeKind.BIGSERIAL}
#: the type of the sequence each serial kind makes
_SERIAL_SEQUENCE_TYPES = {TypeKind.SERIAL: "integer", TypeKind.BIGSERIAL: "bigint"}


class Draft:
    def __init__(self) -> None:
        self.tables: dict[str, DraftTable] = {}
        self.views: dict[str, View] = {}
        self.enums: dict[str, list[str]] = {}
        self.domains: dict[str, DraftDomain] = {}
        self.sequences: dict[str, DraftSequence] = {}
        #: the sequences `serial` columns make, by name → their column
        self.serial_sequences: dict[str, DraftColumn] = {}
        self.functions: set[str] = set()
        #: functions, triggers and extensions, verbatim
        self.code = DraftCode()
        #: materialized views and aggregates (`core/pg_objects.py`)
        self.materialized_views: dict[str, MaterializedView] = {}
        self.aggregates: dict[tuple[str, str], Aggregate] = {}
        #: sequences that are not a serial's (`_mark_serials`): the model's own
        self.standalone: list[PgSequence] = []
        #: partitioned tables' keys, and partitions (`sources/sql/partitions.py`)
        self.partition_keys: dict[str, PartitionKey] = {}
        self.partitions: dict[str, DraftPartition] = {}
        #: partitioned tables read as plain ones (a key the model cannot hold): their partitions are skipped
        self.plain_partitioned: set[str] = set()
        #: Relations the model does not hold (partitions, materialized views...): statements
        #: about them are skipped, and views reading them are left out.
        self.skipped: dict[str, str] = {}
        self.data_statements = 0
        self.comments: set[str] = set()
        #: where each table and view is created, for validation errors
        self.lines: dict[str, int] = {}
        self._relations: set[str] = set()
        self._constraints: set[str] = set()
        self._unsupported: list[Unsupported] = []
        self._defaults: dict[tuple[exp.Expression, ColumnType, str | None], Default | None] = {}
        #: (kind, name) → tables, for triggers, policies and rules (one entry per name, as
        #: the introspector reports them)
        self._on_tables: dict[tuple[str, str], list[str]] = {}
        #: table → the names of mizzle's sync triggers created on it
        self.sync_triggers: dict[str, set[str]] = {}
        #: row level security, policies, grants, default privileges, comments
        self.security = SecurityItems()

    # --- name spaces ------------------------------------------------------------------

    def relation_exists(self, name: str) -> bool:
        return name in self._relations

    def add_relation(self, name: str) -> None:
        self._relations.add(name)

    def add_serial_sequence(self, table: str, column: DraftColumn) -> None:
        """The sequence PostgreSQL creates for a serial column takes a relation name; an ALTER
        SEQUENCE of it sets the column's sequence options."""
        name = choose_name(table, column.name, "seq", self.relation_exists)
        self._relations.add(name)
        column.sequence = SequenceOptions(data_type=_SERIAL_SEQUENCE_TYPES[column.type.kind])
        self.serial_sequences[name] = column

    def _constraint_taken(self, name: str) -> bool:
        return name in self._constraints

    def _index_constraint_taken(self, name: str) -> bool:
        # PRIMARY KEY and UNIQUE name an index too: free in both name spaces.
        return name in self._relations or name in self._constraints

    # --- objects ----------------------------------------------------------------------

    def unsupported(self, kind: str, name: str, detail: str = "") -> None:
        self._unsupported.append(Unsupported(kind, name, detail))

    def unsupported_on(self, kind: str, name: str, table: str) -> None:
        """A trigger, policy or rule: reported once per name, with the tables it is on."""
        self._on_tables.setdefault((kind, name), []).append(table)

    def comment(self, name: str, present: bool) -> None:
        """COMMENT ON ... IS 'text' (or IS NULL, which removes it)."""
        if present:
            self.comments.add(name)
        else:
            self.comments.discard(name)

    def skip_relation(self, name: str, kind: str) -> None:
        self.skipped[name] = kind
        self._relations.add(name)

    def add_sequence(self, name: str, owner: tuple[str, ...] | None, options: SequenceOptions) -> None:
        self._relations.add(name)
        self.sequences[name] = DraftSequence(owner, options)

    def add_domain(self, name: str, base: ColumnType, domain: Domain) -> None:
        if name in self.domains or name in self.enums:
            raise SchemaError(f'type "{name}" already exists')
        self.domains[name] = DraftDomain(base, domain)

    def add_partition(self, name: str, parent: str, partition: DraftPartition) -> None:
        """A partition (`sources/sql/partitions.py`) of a partitioned table the file creates."""
        if parent in self.partition_keys or (parent in self.partitions and self.partitions[parent].key is not None):
            self.skip_relation(name, "partition")  # statements on it are its own parts' (partitions.py)
            self.partitions[name] = partition
            return
        if parent in self.plain_partitioned or (
            self.skipped.get(parent) == "partition" and parent not in self.partitions
        ):
            # of a table read as a plain one (its key is not the model's): left out, as introspection does
            self.skip_relation(name, "partition")
            self.unsupported("partition", name, f"partition of {parent}; skipped")
            return
        if parent not in self.tables and parent not in self.partitions:
            raise SchemaError(f'partition "{name}": the file does not create table "{parent}"')
        raise SchemaError(f'partition "{name}": table "{parent}" is not partitioned (no PARTITION BY)')

    def attach_partition(self, parent: str, child: str, bound: str) -> None:
        table = self.tables.pop(child, None)
        if table is None:
            if child in self.skipped:
                return
            raise SchemaError(f'ATTACH PARTITION "{child}": the file does not create this table')
        self._relations.discard(child)
        key = self.partition_keys.pop(child, None)
        self.add_partition(child, parent, DraftPartition(parent=parent, bound=bound, key=key))
        if table.primary_key or table.foreign_keys or table.uniques or table.checks or table.indexes:
            # pg_dump adds them after ATTACH; before it, they are the table's, read as columns are: not carried
            self.unsupported(
                "partition", child, "its constraints and indexes declared before ATTACH PARTITION are not carried"
            )

    def drop(self, kind: str, name: str) -> bool:
        """Remove what `DROP <kind> name` drops; False when the file has not created it."""
        if kind == "TABLE" and name in self.tables:
            table = self.tables.pop(name)
            names = [name, *(i.name for i in table.indexes), *(u.name for u in table.uniques)]
            self._relations.difference_update(names + ([table.primary_key.name] if table.primary_key else []))
            return True
        if kind == "VIEW" and name in self.views:
            self.views.pop(name)
            self._relations.discard(name)
            return True
        if kind == "INDEX":
            for table in self.tables.values():
                if any(i.name == name for i in table.indexes):
                    table.indexes = [i for i in table.indexes if i.name != name]
                    self._relations.discard(name)
                    return True
        if kind == "TYPE" and name in self.enums:
            self.enums.pop(name)
            return True
        if kind == "DOMAIN" and name in self.domains:
            self.domains.pop(name)
            return True
        if kind == "POLICY":
            policy, _, on_table = name.partition(" on ")
            return self.security.pop(("policy", on_table, policy)) is not None
        if kind == "SEQUENCE" and name in self.sequences:
            self.sequences.pop(name)
            self._relations.discard(name)
            return True
        if kind == "TRIGGER" and self.code.drop_trigger(*name.split(" on ", 1)):
            return True
        if kind in ("FUNCTION", "PROCEDURE") and self.code.drop_function(name):
            return True
        return self._drop_unsupported(name)

    def _drop_unsupported(self, name: str) -> bool:
        """`DROP FUNCTION f`, `DROP TRIGGER t ON x`...: forget what the file created."""
        known = [u for u in self._unsupported if u.name == name]
        self._unsupported = [u for u in self._unsupported if u.name != name]
        target, _, table = name.partition(" on ")
        for key, tables in self._on_tables.items():
            if key[1] == target and table in tables:
                tables.remove(table)
                known.append(Unsupported(*key))
        if name in self.skipped:
            self.skipped.pop(name)
            self._relations.discard(name)
        self.functions.discard(name)
        return bool(known)

    # --- constraints, named in PostgreSQL's order ---------------------------------------

    def add_constraints(self, table: DraftTable, pending: list[Pending], dedupe_indexes: bool) -> list[str]:
        """Name and attach constraints read from one statement; returns their names.
        PostgreSQL names a new table's CHECKs first (as it creates the table), then the
        indexes behind PRIMARY KEY (always first) and UNIQUE, then the foreign keys;
        CREATE TABLE merges index constraints on the same columns into one."""
        names = []
        for p in pending:
            table.require_columns(p.columns)
        for p in pending:
            if p.kind == "check" and p.expr is not None:
                expr = pg_expr_tree(p.expr)
                name = p.name or check_name(table.name, expr, self._constraint_taken)
                self._constraints.add(name)
                table.checks.append(Check(name=name, expr=expr))
                names.append(name)
        indexed = [p for p in pending if p.kind == "pk"] + [p for p in pending if p.kind == "unique"]
        if dedupe_indexes:
            indexed = _merge_same_columns(indexed)
        names += [self._add_index_constraint(table, p) for p in indexed]
        for p in pending:
            if p.kind == "fk":
                name = p.name or foreign_key_name(table.name, p.columns, self._constraint_taken)
                self._constraints.add(name)
                table.foreign_keys.append(self._foreign_key(table, name, p))
                names.append(name)
        return names

    def _add_index_constraint(self, table: DraftTable, p: Pending) -> str:
        if p.kind == "pk":
            if table.primary_key is not None:
                raise SchemaError(f'multiple primary keys for table "{table.name}" are not allowed')
            name = p.name or primary_key_name(table.name, self._index_constraint_taken)
            table.primary_key = PrimaryKey(name=name, columns=p.columns)
            for col in p.columns:
                if col in table.columns:
                    table.columns[col].nullable = False
        else:
            name = p.name or unique_name(table.name, p.columns, self._index_constraint_taken)
            nnd = p.node is not None and bool(p.node.args.get("nulls"))
            table.uniques.append(Unique(name=name, columns=p.columns, nulls_not_distinct=nnd))
        if p.name is not None and p.name in self._relations:
            raise SchemaError(f'relation "{p.name}" already exists')
        self._relations.add(name)
        self._constraints.add(name)
        if any(o.upper() == "DEFERRABLE" for o in p.options or []):
            self.unsupported("constraint", f"{table.name}.{name}", "DEFERRABLE is only carried on foreign keys")
        return name

    def _foreign_key(self, table: DraftTable, name: str, p: Pending) -> DraftForeignKey:
        node = p.node
        ref = node if isinstance(node, exp.Reference) else node.args.get("reference") if node is not None else None
        if not isinstance(ref, exp.Reference):
            raise SchemaError(f'foreign key "{name}" has no REFERENCES')
        target = ref.this
        ref_columns = tuple(ident(c) for c in target.expressions) if isinstance(target, exp.Schema) else None
        words = [str(o).upper() for o in ref.args.get("options") or []]
        if isinstance(node, exp.ForeignKey):
            words += [str(o).upper() for o in node.args.get("options") or []]
            words += [f"ON {k.upper()} {node.args[k]}".upper() for k in ("delete", "update") if node.args.get(k)]
        options: dict[str, object] = {}
        for word in words:
            for event in ("DELETE", "UPDATE"):
                if word.startswith(f"ON {event} "):
                    options[f"on_{event.lower()}"] = _FK_ACTIONS[word.removeprefix(f"ON {event} ").strip()]
            if word == "DEFERRABLE":
                options["deferrable"] = True
            elif word == "INITIALLY DEFERRED":
                options["initially_deferred"] = True
            elif word in ("MATCH FULL", "MATCH PARTIAL"):
                self.unsupported("foreign key", f"{table.name}.{name}", f"{word} read as MATCH SIMPLE")
        ref_table = target.this if isinstance(target, exp.Schema) else target
        schema = ident(ref_table.args.get("db")) if isinstance(ref_table, exp.Table) else ""
        if schema != "":
            return DraftForeignKey(name, p.line, p.columns, ident(ref_table), ref_columns, options, schema)
        return DraftForeignKey(name, p.line, p.columns, relation_name(target), ref_columns, options)

    # --- the model --------------------------------------------------------------------

    def finish(self, source: str) -> Introspected:
        """The validated schema and what it does not carry, in the order of the file."""
        self._mark_serials()
        tables = tuple(self.code.with_triggers(self._table(source, t)) for t in self.tables.values())
        for name in self.comments:
            if self.skipped.get(name.split(".")[0]) != "partition":
                self.unsupported("comment", name, "not modelled")
        if self.data_statements:
            n = self.data_statements
            self.unsupported("data", f"{n} statement{'s' if n > 1 else ''}", "ignored (a schema file holds no rows)")
        views = tuple(self._kept_views())
        indexes = {i.name for t in tables for i in t.indexes} | {u.name for t in tables for u in t.uniques}
        indexes |= {t.primary_key.name for t in tables if t.primary_key}
        relations = {t.name for t in tables} | set(self.partitions)  # a partition has grants and comments too
        security = self.security.finish(relations, {v.name for v in views}, indexes, set(self.enums))
        schema = Schema(
            tables=tables,
            enums=tuple(Enum(name=n, values=tuple(v)) for n, v in self.enums.items()),
            views=views,
            security=security,
            functions=tuple(self.code.functions.values()),
            extensions=tuple(self.code.extensions.values()),
            domains=tuple(d.domain for d in self.domains.values()),
            sequences=tuple(self.standalone),
            materialized_views=tuple(self.materialized_views.values()),
            aggregates=tuple(self.aggregates.values()),
            partitions=tuple(p.finish(n) for n, p in self.partitions.items()),
        )
        try:
            validate(schema)
        except SchemaError as err:
            # Problems start with the table or view they are in: point at its CREATE.
            # Messages write names as one line (`one_line`): compare them so.
            found = re.match(r'(?:table|view) "(.*?)"(?=[:, ]|$)', str(err))
            shown = {one_line(name): line for name, line in self.lines.items()}
            line = shown.get(found[1]) if found else None
            raise SchemaError(f"{source}:{line}: {err}" if line else f"{source}: {err}") from None
        for (kind, name), on in self._on_tables.items():
            if on:
                self.unsupported(kind, name, f"on {', '.join(sorted(set(on)))}; not modelled")
        ordered = sorted(set(self._unsupported), key=lambda u: (u.kind, u.name, u.detail))
        return Introspected(schema=schema, unsupported=tuple(ordered))

    def _mark_serials(self) -> None:
        """Read `integer NOT NULL DEFAULT nextval('seq')` as serial when the file creates that
        sequence for the column: OWNED BY it, or owned by nothing and read by no other column
        (pg_dump output of old databases, e.g. Pagila, has no OWNED BY). The same rule as the
        introspector's, so a file and the database it creates read alike. Every other
        sequence is reported."""
        readers: dict[str, list[tuple[DraftTable, DraftColumn]]] = {}
        for table in self.tables.values():
            for column in table.columns.values():
                name = nextval_sequence(column.default) if column.default is not None else None
                if name in self.sequences:
                    readers.setdefault(name, []).append((table, column))
        for name, sequence in self.sequences.items():
            users = readers.get(name, [])
            serial = next((u for u in users if _owns(sequence, *u) and _can_be_serial(u[1])), None)
            sole = users[0] if len(users) == 1 else None
            named = sole is not None and serial_named(name, sole[0].name, sole[1].name)
            if serial is None and sequence.owner is None and sole is not None and named and _can_be_serial(sole[1]):
                serial = users[0]
                place = f"{serial[0].name}.{serial[1].name}"
                kind = _SERIAL_OF[serial[1].type.kind].value
                self.unsupported("sequence", name, f"not owned by {place} (no OWNED BY): read {place} as {kind}")
            if serial is None:  # a sequence of its own (`core/pg_objects.py`)
                self.standalone.append(sequence.options.sequence(name, _owner_name(sequence.owner)))
                continue
            column = serial[1]
            column.type = ColumnType(kind=_SERIAL_OF[column.type.kind])
            column.default = None
            column.sequence = sequence.options

    def _default(self, tree: exp.Expression, ctype: ColumnType) -> Default | None:
        # Schemas repeat a few defaults (now(), 0, false) many times: read each once.
        spelled = _spelling(tree)
        key = (tree, ctype, spelled)  # sqlglot trees hash and compare by structure
        if key not in self._defaults:
            self._defaults[key] = default_from_pg(_nextval_unqualified(strip_public(tree)), ctype, spelled)
        return self._defaults[key]

    def _table(self, source: str, t: DraftTable) -> Table:
        columns = []
        for c in t.columns.values():
            default = self._default(c.default, c.type) if c.default is not None else None
            generated = pg_expr_tree(c.generated) if c.generated is not None else None
            column = Column(
                name=c.name,
                type=c.type,
                nullable=c.nullable,
                default=default,
                identity=c.identity,
                sequence=c.sequence.serial(f"{t.name}.{c.name}") if c.sequence is not None else None,
                domain=c.domain,
            )
            columns.append(column if generated is None else column.model_copy(update={"generated": generated}))
        return Table(
            name=t.name,
            columns=tuple(columns),
            primary_key=t.primary_key,
            foreign_keys=tuple(self._resolved(source, t, fk) for fk in t.foreign_keys),
            uniques=tuple(t.uniques),
            checks=tuple(t.checks),
            indexes=tuple(t.indexes),
            sync=len(self.sync_triggers.get(t.name, ())) == len(PG_TRIGGER_NAMES),
            partition_by=self.partition_keys.get(t.name),
        )

    def _resolved(self, source: str, table: DraftTable, fk: DraftForeignKey) -> ForeignKey:
        where = f'{source}:{fk.line}: table "{table.name}", foreign key "{fk.name}"'
        if fk.ref_schema is not None:
            # `public.x`: the file's own table x, else a table the project leaves out
            own = fk.ref_table if fk.ref_schema == "public" else f"{fk.ref_schema}.{fk.ref_table}"
            if own not in self.tables:
                return self._external(source, table, fk, where)
            # a table of one of the app's own schemas, which the file creates: a key inside
            # the model, by the qualified name the model gives that table (`core/qualified.py`)
            fk = replace(fk, ref_table=own, ref_schema=None)
        target = self.tables.get(fk.ref_table)
        if target is None:
            if fk.ref_table in self.skipped:
                raise SchemaError(f'{where}: references {self.skipped[fk.ref_table]} "{fk.ref_table}"')
            raise SchemaError(f'{where}: references table "{fk.ref_table}", which the file does not create')
        ref_columns = fk.ref_columns
        if ref_columns is None:
            if target.primary_key is None:
                raise SchemaError(f'{where}: "{fk.ref_table}" has no primary key to reference')
            ref_columns = target.primary_key.columns
        try:
            return ForeignKey.model_validate(
                {"name": fk.name, "columns": fk.columns, "ref_table": fk.ref_table, "ref_columns": ref_columns}
                | fk.options
            )
        except ValueError as err:
            raise SchemaError(f'{source}:{fk.line}: table "{table.name}", {_first_error(err)}') from None

    def _external(self, source: str, table: DraftTable, fk: DraftForeignKey, where: str) -> ForeignKey:
        """A key to a table of another schema, which the file does not create: its columns
        are the ones named, or the known key of a platform's table (`auth.users`)."""
        assert fk.ref_schema is not None
        shown = f"{fk.ref_schema}.{fk.ref_table}"
        ref_columns = fk.ref_columns or KNOWN_KEYS.get((fk.ref_schema, fk.ref_table))
        if ref_columns is None:
            raise SchemaError(
                f"{where}: references {shown} without naming its columns, and the file does not create {shown}: "
                f"write REFERENCES {shown} (column)"
            )
        fields = {"name": fk.name, "columns": fk.columns, "ref_table": fk.ref_table, "ref_columns": ref_columns}
        try:
            return ForeignKey.model_validate(fields | {"ref_schema": fk.ref_schema} | fk.options)
        except ValueError as err:
            raise SchemaError(f'{source}:{fk.line}: table "{table.name}", {_first_error(err)}') from None

    def _kept_views(self) -> list[View]:
        """Views, less those that read a function or a relation the model does not hold
        (and, in turn, those that read a view left out)."""
        left_out: dict[str, str] = {}
        changed = True
        while changed:
            changed = False
            for name, view in self.views.items():
                if name in left_out:
                    continue
                reason = self._unreadable(view, left_out)
                if reason is not None:
                    left_out[name] = reason
                    self.unsupported("view", name, f"reads {reason}, which mizzle does not model")
                    changed = True
        return [view for name, view in self.views.items() if name not in left_out]

    def _unreadable(self, view: View, left_out: dict[str, str]) -> str | None:
        tree = view.query.tree
        for func in tree.find_all(exp.Func):
            name = str(func.this).lower() if isinstance(func, exp.Anonymous) else func.sql_name().lower()
            if name in self.functions:
                return f"function {name}"
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        for node in tree.find_all(exp.Table):
            name = relation_name(node)
            if name in ctes:
                continue
            if name in self.skipped:
                return f"{self.skipped[name]} {name}"
            if name in left_out:
                return f"view {name}"
        return None


def _owns(sequence: DraftSequence, table: DraftTable, column: DraftColumn) -> bool:
    return sequence.owner is not None and sequence.owner[-2:] == (table.name, column.name)


def _can_be_serial(column: DraftColumn) -> bool:
    # A serial column is NOT NULL: a nullable one read as serial would come back NOT NULL.
    return column.type.kind in _SERIAL_OF and not column.type.array_dims and not column.nullable


def _merge_same_columns(indexed: list[Pending]) -> list[Pending]:
    """CREATE TABLE keeps one index per column list (`a int PRIMARY KEY UNIQUE` is one)."""
    kept: list[Pending] = []
    for p in indexed:
        prior = next((k for k in kept if k.columns == p.columns), None)
        if prior is None:
            kept.append(p)
        elif prior.name is None:
            prior.name = p.name
    return kept


def _owner_name(owner: tuple[str, ...] | None) -> str | None:
    """OWNED BY [schema.]table.column → `table.column` (the table by its model name)."""
    if owner is None or len(owner) < 2:
        return None
    return f"{qualified(owner[:-1])}.{owner[-1]}"


def _first_error(err: ValueError) -> str:
    errors = getattr(err, "errors", None)
    if callable(errors):
        return str(errors()[0]["msg"]).removeprefix("Value error, ")
    return str(err)
