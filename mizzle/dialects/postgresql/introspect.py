"""Read a live PostgreSQL schema back into the model (`catalog.py` holds the queries).

What the model holds comes back in its canonical form; everything else the schema holds
(partitions, composite types, foreign tables...) is named
in `Introspected.unsupported`, never dropped silently. Tables named `__mizzle_*` are
mizzle's own bookkeeping and are left out without a word. Functions, triggers and extensions
are read by `introspect_routines.py`; domains, standalone sequences, materialized views and
aggregates by `introspect_objects.py`; partition keys and partitions by `introspect_partitions.py`.
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

if TYPE_CHECKING:
    import psycopg

from mizzle.core import canonical, qualified
from mizzle.core.errors import IntrospectionError, MizzleError
from mizzle.core.expr import SqlExpr, parse_expression
from mizzle.core.introspection import Introspected, Unsupported
from mizzle.core.model import (
    Check,
    Column,
    Default,
    Enum,
    FkAction,
    ForeignKey,
    Identity,
    Index,
    IndexKey,
    PrimaryKey,
    Schema,
    SerialSequence,
    Table,
    Unique,
    View,
)
from mizzle.core.naming import choose_name
from mizzle.core.sync.names import PG_DELETE_FUNCTION, PG_INSERT_FUNCTION, PG_SEQ_FUNCTION, PG_UPDATE_FUNCTION
from mizzle.core.sync.parts import problems as sync_problems
from mizzle.core.types import ColumnType, TypeKind
from mizzle.dialects.postgresql import introspect_security, sync_sql, types
from mizzle.dialects.postgresql.catalog import (
    Catalog,
    ColumnRow,
    ConstraintRow,
    IndexRow,
    ObjectRow,
    RelationRow,
    read_catalog,
)
from mizzle.dialects.postgresql.errors import server_message
from mizzle.dialects.postgresql.introspect_objects import domain_names, read_objects, with_objects
from mizzle.dialects.postgresql.introspect_partitions import read_partitions, with_partitions
from mizzle.dialects.postgresql.introspect_routines import read_code, with_code
from mizzle.dialects.postgresql.long_names import restore

#: Tables mizzle keeps for itself (migration history, locks): never part of a user's schema.
BOOKKEEPING_PREFIX = "__mizzle_"

#: pg_constraint.confdeltype / confupdtype → the model's action
FK_ACTIONS: dict[str, FkAction] = {
    "a": "no action",
    "r": "restrict",
    "c": "cascade",
    "n": "set null",
    "d": "set default",
}

#: integer kind → the serial kind a sequence-fed column of that kind is read as
SERIAL_OF = {TypeKind.INTEGER: TypeKind.SERIAL, TypeKind.BIGINT: TypeKind.BIGSERIAL}

#: How PostgreSQL prints a serial's default. Recognised without parsing it: a schema of
#: 1,000 tables has 1,000 different ones.
_NEXTVAL = re.compile(r"^nextval\('((?:[^']|'')+)'::regclass\)$")

#: indoption bits
_DESC = 1
_NULLS_FIRST = 2


def as_declared(found: Schema, target: Schema) -> Schema:
    """`found` with the names PostgreSQL cut to 63 bytes given back as `target` declares them
    (`long_names.restore`; `Dialect.as_declared`)."""
    return restore(found, target)


def introspect(
    conn: psycopg.Connection[Any], schemas: Sequence[str] = (), *, schema_name: str = "public"
) -> Introspected:
    """Read schema `schema_name` (default `public`) of the database behind `conn`, and the
    app's own other `schemas` (their objects named `schema.name`).

    Runs a fixed number of catalog queries whatever the schema's size, inside a transaction
    (or a savepoint, if the caller has one open) that is rolled back afterwards."""
    import psycopg

    try:
        with conn.transaction(force_rollback=True):
            others = sorted(set(schemas) - {schema_name})
            catalog = read_catalog(conn, schema_name, others)
            security_rows = introspect_security.read_security_rows(conn, schema_name, others)
            code = read_code(conn, schema_name, others)
            objects = read_objects(conn, [schema_name, *others])
            partitions = read_partitions(conn, [schema_name, *others])
    except psycopg.Error as err:
        raise IntrospectionError(f"cannot read the schema {schema_name!r}: {server_message(err)}") from None
    with _collector_paused():
        assembler = _Assembler(catalog, schema_name, frozenset(others), domain_names(objects, schema_name))
        found = with_code(assembler.run(), code)
        found = with_objects(
            found, objects, schema_name, assembler.standalone_sequences, assembler.tables, assembler.attnames
        )
        found = with_partitions(found, partitions, schema_name, assembler.tables)
    security, notes = introspect_security.assemble(security_rows, found.schema)
    if not security and not notes:
        return found
    unsupported = sorted({*found.unsupported, *notes}, key=lambda u: (u.kind, u.name, u.detail))
    return Introspected(schema=found.schema.model_copy(update={"security": security}), unsupported=tuple(unsupported))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building the model of a large schema allocates ~10^5 small immutable objects, which
    sets off repeated full garbage collections that find nothing (the model has no cycles)
    and double the time. Collection resumes, if it was on, once the model is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class _ColumnDraft:
    """A column read so far; whether a `nextval` default makes it a serial is decided once
    every column is known (a sequence is a serial's only if no other column shares it)."""

    row: ColumnRow
    table: str
    type: ColumnType
    #: the DEFAULT as PostgreSQL prints it (None for identity and generated columns)
    default: str | None
    #: the sequence of the schema that a plain `nextval('seq'::regclass)` default reads
    sequence: int | None = None
    identity: Identity | None = None
    #: the expression of a generated (STORED) column
    generated: SqlExpr | None = None


@dataclass
class _Assembler:
    catalog: Catalog
    schema_name: str
    #: the app's other schemas read along (their objects are named `schema.name`)
    others: frozenset[str] = frozenset()
    #: how `format_type` prints each domain of the schemas read → its model name
    domain_names: dict[str, str] = field(default_factory=dict)
    unsupported: list[Unsupported] = field(default_factory=list)
    #: sequences neither an identity's nor read as a serial: the model's own (`introspect_objects.py`)
    standalone_sequences: list[RelationRow] = field(default_factory=list)
    # Many columns share a type, a default or a CHECK text: each is read once (the results
    # are immutable, so sharing them is safe).
    _trees: dict[str, exp.Expression] = field(default_factory=dict)
    _exprs: dict[str, SqlExpr] = field(default_factory=dict)
    _defaults: dict[tuple[str, ColumnType], Default | None] = field(default_factory=dict)
    _types: dict[str, ColumnType] = field(default_factory=dict)
    _index_keys: dict[tuple[str | None, str | None, int, str | None, str | None], IndexKey] = field(
        default_factory=dict
    )

    def note(self, kind: str, name: str, detail: str = "") -> None:
        self.unsupported.append(Unsupported(kind, name, detail))

    # --- parsing, once per distinct text ------------------------------------------------

    def parse(self, text: str, what: str) -> exp.Expression:
        tree = self._trees.get(text)
        if tree is None:
            try:
                tree = parse_expression(text, "postgres")
            except MizzleError as err:
                raise IntrospectionError(f"cannot read {what}: {err}") from None
            self._trees[text] = tree
        return tree

    def expr(self, text: str, what: str) -> SqlExpr:
        found = self._exprs.get(text)
        if found is None:
            found = self._exprs[text] = SqlExpr(canonical.normalize_pg_expression(self.parse(text, what)), text)
        return found

    def default(self, text: str, ctype: ColumnType, what: str) -> Default | None:
        key = (text, ctype)
        if key not in self._defaults:
            try:
                self._defaults[key] = canonical.default_from_pg(self.parse(text, what), ctype, text)
            except MizzleError as err:
                raise IntrospectionError(f"cannot read {what}: {text!r}: {err}") from None
        return self._defaults[key]

    def column_type(self, text: str, what: str) -> ColumnType:
        ctype = self._types.get(text)
        if ctype is None:
            try:
                ctype = self._types[text] = types.column_type_from_pg(text, self.enums)
            except MizzleError as err:
                raise IntrospectionError(f"cannot read the type of {what}: {err}") from None
        return ctype

    # --- the whole schema ---------------------------------------------------------------

    def run(self) -> Introspected:
        cat = self.catalog
        self.hidden: set[int] = {r.oid for r in cat.relations if r.name.startswith(BOOKKEEPING_PREFIX)}
        self.tables: dict[int, RelationRow] = {}
        self.partitions: set[int] = set()
        self.sequences: dict[int, RelationRow] = {}
        self.sequence_oids: dict[str, int] = {}
        self.identity_sequences: dict[tuple[int, int], RelationRow] = {}
        for rel in cat.relations:
            if rel.oid not in self.hidden:
                self._classify(rel)
        self.enums = frozenset(t.name for t in cat.types if t.typtype == "e")

        drafts = self._columns()
        self.attnames: dict[int, dict[int, str]] = defaultdict(dict)
        self.collations: dict[int, dict[int, int]] = defaultdict(dict)
        for draft in drafts:
            self.attnames[draft.row.table_oid][draft.row.attnum] = draft.row.name
            self.collations[draft.row.table_oid][draft.row.attnum] = draft.row.collation
        columns = self._decide_serials(drafts)
        constraints: dict[int, list[ConstraintRow]] = defaultdict(list)
        for con in cat.constraints:
            constraints[con.table_oid].append(con)
        indexes: dict[int, list[IndexRow]] = defaultdict(list)
        for ix in cat.indexes:
            indexes[ix.table_oid].append(ix)

        self.sync_triggered = self._sync_triggered()
        tables = [
            self._table(rel, columns.get(oid, []), constraints.get(oid, []), indexes.get(oid, []))
            for oid, rel in self.tables.items()
        ]
        tables = [self._sync(t, oid) for t, oid in zip(tables, self.tables, strict=True)]
        schema = Schema(tables=tuple(tables), enums=tuple(self._types_and_domains(drafts)), views=tuple(self._views()))
        self._other_objects()
        unique = sorted(set(self.unsupported), key=lambda u: (u.kind, u.name, u.detail))
        return Introspected(schema=schema, unsupported=tuple(unique))

    def _classify(self, rel: RelationRow) -> None:
        name = rel.name
        if rel.relkind in ("r", "p"):
            if rel.is_partition:
                if (rel.partition_of or "").startswith(BOOKKEEPING_PREFIX):
                    self.partitions.add(rel.oid)  # mizzle's own, with what hangs on it
                else:  # carried (`introspect_partitions.py`) unless its table's key is not the model's
                    self.note("partition", name, f"partition of {rel.partition_of}; skipped")
                return
            self.tables[rel.oid] = rel
            if rel.relkind == "p":
                self.note("partitioning", name, f"PARTITION BY {rel.partition_key}: read as a plain table")
            if rel.inherits:
                self.note("inheritance", name, f"inherits from {rel.inherits}: read as a plain table")
            if rel.persistence == "u":
                self.note("unlogged table", name, "read as an ordinary table")
        elif rel.relkind == "S":
            self.sequences[rel.oid] = rel
            self.sequence_oids[name] = rel.oid
            if rel.owner_deptype == "i" and rel.owner_oid is not None and rel.owner_attnum is not None:
                self.identity_sequences[(rel.owner_oid, rel.owner_attnum)] = rel
        elif rel.relkind == "m":
            self.note("materialized view", name, "skipped")
        elif rel.relkind == "f":
            self.note("foreign table", name, "skipped")

    # --- columns ------------------------------------------------------------------------

    def _columns(self) -> list[_ColumnDraft]:
        drafts = []
        for row in self.catalog.columns:
            rel = self.tables.get(row.table_oid)
            if rel is None:
                continue
            place = f"{rel.name}.{row.name}"
            if row.enum is not None:
                ctype = ColumnType(kind=TypeKind.ENUM, name=row.enum, array_dims=int(row.is_array))
            else:
                ctype = self.column_type(row.domain_base_type or row.type, f"column {place}")
            if row.dims > ctype.array_dims:
                ctype = ctype.array_of(row.dims)
            if row.custom_collation:
                self.note("collation", place, "the column's COLLATE is not carried")
            if row.generated:
                generated = self.expr(row.default or "", f"the generation expression of column {place}")
                drafts.append(_ColumnDraft(row, rel.name, ctype, None, generated=generated))
            elif row.identity:
                identity = self._identity(row, ctype)
                drafts.append(_ColumnDraft(row, rel.name, ctype, None, identity=identity))
            else:
                sequence = _nextval_sequence(row.default) if row.default else None
                drafts.append(_ColumnDraft(row, rel.name, ctype, row.default, self.sequence_oids.get(sequence or "")))
        return drafts

    def _identity(self, row: ColumnRow, ctype: ColumnType) -> Identity:
        """The column's identity, with its sequence's options (those equal to PostgreSQL's
        defaults for the column's type are left out: `Identity.without_defaults`)."""
        seq = self.identity_sequences.get((row.table_oid, row.attnum))
        always = row.identity == "a"
        if seq is None or seq.seq_options is None:
            return Identity(always=always)
        start, increment, low, high, cache = seq.seq_options
        identity = Identity(
            always=always,
            start=start,
            increment=increment,
            min_value=low,
            max_value=high,
            cache=cache,
            cycle=bool(seq.seq_cycle),
        )
        return identity.without_defaults(ctype.kind.value)

    def _decide_serials(self, drafts: list[_ColumnDraft]) -> dict[int, list[Column]]:
        """A NOT NULL `nextval` column of type integer/bigint is a serial when its sequence is owned by
        it, or is owned by nothing and read by no other column (pg_dump output of old
        databases, e.g. Pagila, has no OWNED BY). Every other sequence is reported."""
        readers: dict[int, list[_ColumnDraft]] = defaultdict(list)
        for draft in drafts:
            if draft.sequence is not None:
                readers[draft.sequence].append(draft)
        serial_sequences: set[int] = set()
        columns: dict[int, list[Column]] = defaultdict(list)
        # Tables often repeat a column (`id`, `created_at`, sync columns...): a column read
        # from the same catalog facts is built once and shared (it is immutable).
        built: dict[tuple[Any, ...], Column] = {}
        for draft in drafts:
            row, ctype, text = draft.row, draft.type, draft.default
            seq = self.sequences.get(draft.sequence) if draft.sequence is not None else None
            serial = SERIAL_OF.get(ctype.kind) if not ctype.array_dims else None
            is_serial = False
            sequence = None
            # A serial is NOT NULL (PostgreSQL makes it so): a nullable sequence-fed column is
            # kept as integer + nextval default, which re-renders exactly as it is.
            if seq is not None and serial is not None and row.not_null:
                owned = (seq.owner_oid, seq.owner_attnum) == (row.table_oid, row.attnum)
                # (named as the column's serial would name it: one the app named itself is its own)
                unowned_sole_reader = (
                    seq.owner_oid is None
                    and len(readers[seq.oid]) == 1
                    and serial_named(seq.name, draft.table, row.name)
                )
                if owned or unowned_sole_reader:
                    ctype, text, is_serial = ColumnType(kind=serial), None, True
                    sequence = _serial_sequence(seq)
                    serial_sequences.add(seq.oid)
                    if not owned:
                        place = f"{draft.table}.{row.name}"
                        detail = f"not owned by {place} (no OWNED BY): read {place} as {serial.value}"
                        self.note("sequence", seq.name, detail)
            key: tuple[Any, ...] = (row.name, row.type, row.domain_base_type, row.dims, draft.identity, row.not_null)
            key += (text, is_serial, draft.generated, row.domain, sequence)
            column = built.get(key)
            if column is None:
                where = f"the default of column {draft.table}.{row.name}"
                default = self.default(text, ctype, where) if text else None
                column = built[key] = Column(
                    name=row.name,
                    type=ctype,
                    nullable=not row.not_null,
                    default=default,
                    identity=draft.identity,
                    sequence=sequence,
                    generated=draft.generated,
                    domain=self._domain(row),
                )
            columns[row.table_oid].append(column)
        for seq in self.sequences.values():
            if seq.oid in serial_sequences or seq.owner_deptype == "i" or seq.owner_oid in self.hidden:
                continue
            self.standalone_sequences.append(seq)
        return columns

    def _domain(self, row: ColumnRow) -> str | None:
        """The domain a column is typed by, if the model holds it (not an array of one)."""
        if row.domain is None or (row.domain_base_type or "").endswith("[]"):
            return None
        return self.domain_names.get(row.domain)

    # --- constraints and indexes ----------------------------------------------------------

    def _names(self, table_oid: int, attnums: list[int], what: str) -> tuple[str, ...]:
        names = self.attnames[table_oid]
        try:
            return tuple(names[n] for n in attnums)
        except KeyError:
            raise IntrospectionError(f"cannot read {what}: it names a column that is not there") from None

    def _table(self, rel: RelationRow, columns: list[Column], cons: list[ConstraintRow], ixs: list[IndexRow]) -> Table:
        primary_key = None
        fks, uniques, checks = [], [], []
        for con in cons:
            place = f"{rel.name}.{con.name}"
            what = f"constraint {con.name} of table {rel.name}"
            if con.contype == "x":
                self.note("exclusion constraint", place, f"{con.definition}; not modelled")
                continue
            if not con.validated:
                self.note("constraint", place, "NOT VALID: read as a validated constraint")
            if con.deferrable and con.contype != "f":
                self.note("constraint", place, "DEFERRABLE is only carried on foreign keys")
            if con.contype == "p":
                primary_key = PrimaryKey(name=con.name, columns=self._names(rel.oid, con.columns, what))
            elif con.contype == "u":
                # the constraint's index (named as it is) holds the option
                nnd = any(ix.name == con.name and ix.backs_constraint and ix.nulls_not_distinct for ix in ixs)
                names = self._names(rel.oid, con.columns, what)
                uniques.append(Unique(name=con.name, columns=names, nulls_not_distinct=nnd))
            elif con.contype == "c":
                assert con.check_expression is not None
                checks.append(Check(name=con.name, expr=self.expr(con.check_expression, what)))
            elif con.contype == "f":
                fk = self._foreign_key(rel, con, what)
                if fk is not None:
                    fks.append(fk)
        indexes = [self._index(rel, ix) for ix in ixs if not ix.backs_constraint]
        return Table(
            name=rel.name,
            columns=tuple(columns),
            primary_key=primary_key,
            foreign_keys=tuple(fks),
            uniques=tuple(uniques),
            checks=tuple(checks),
            indexes=tuple(indexes),
        )

    def _foreign_key(self, rel: RelationRow, con: ConstraintRow, what: str) -> ForeignKey | None:
        place = f"{rel.name}.{con.name}"
        external = not con.ref_in_schema
        if not external and con.ref_table_oid not in self.tables:
            self.note("foreign key", place, f"references {con.ref_table}, which mizzle does not read; skipped")
            return None
        assert con.ref_columns is not None and con.ref_table is not None and con.ref_table_oid is not None
        if con.match_type == "f":
            self.note("foreign key", place, "MATCH FULL read as MATCH SIMPLE")
        if external:
            # A table of another schema (Supabase's auth.users): kept as a reference by name,
            # never created or dropped (`ForeignKey.ref_schema`).
            assert con.ref_relname is not None
            ref_table, ref_schema = con.ref_relname, con.ref_schema
            ref_columns = tuple(con.ref_column_names or ())
        else:
            ref_table, ref_schema = self.tables[con.ref_table_oid].name, None
            ref_columns = self._names(con.ref_table_oid, con.ref_columns, what)
        return ForeignKey(
            name=con.name,
            columns=self._names(rel.oid, con.columns, what),
            ref_table=ref_table,
            ref_schema=ref_schema,
            ref_columns=ref_columns,
            on_delete=FK_ACTIONS[con.on_delete],
            on_update=FK_ACTIONS[con.on_update],
            deferrable=con.deferrable,
            initially_deferred=con.initially_deferred,
        )

    def _index(self, rel: RelationRow, ix: IndexRow) -> Index:
        what = f"index {ix.name} of table {rel.name}"
        keys = []
        texts = ix.expressions or [None] * len(ix.keys)
        collations = self._key_collations(rel.oid, ix)
        for attnum, option, text, opclass, collation in zip(
            ix.keys, ix.options, texts, ix.opclasses, collations, strict=True
        ):
            column = self._names(rel.oid, [attnum], what)[0] if attnum else None
            cache_key = (column, text, option, opclass, collation)
            key = self._index_keys.get(cache_key)
            if key is None:
                order: dict[str, Any] = {
                    "desc": option & _DESC == _DESC,
                    "nulls": "first" if option & _NULLS_FIRST else "last",
                    "opclass": opclass,
                    "collation": collation,
                }
                if column is not None:
                    key = IndexKey(column=column, **order)
                else:
                    assert text is not None
                    key = IndexKey(expr=self.expr(text, what), **order)
                self._index_keys[cache_key] = key
            keys.append(key)
        lost = []
        if ix.column_count > ix.key_count:
            lost.append("INCLUDE columns")
        if ix.opclass_options:
            lost.append("operator class options")
        if lost:
            self.note("index", f"{rel.name}.{ix.name}", f"{', '.join(lost)} not carried")
        where = self.expr(ix.predicate, what) if ix.predicate else None
        return Index(
            name=ix.name,
            keys=tuple(keys),
            unique=ix.unique,
            where=where,
            method=ix.method,
            nulls_not_distinct=ix.nulls_not_distinct,
        )

    def _key_collations(self, table_oid: int, ix: IndexRow) -> list[str | None]:
        """The collation of each column key that is not its column's (None for the others;
        an expression key takes its collation from the expression, and an expression's
        COLLATE is part of its text)."""
        columns = self.collations[table_oid]
        return [
            name if attnum and oid != columns[attnum] else None
            for attnum, oid, name in zip(ix.keys, ix.collations, ix.collation_names, strict=True)
        ]

    # --- types, views, everything else --------------------------------------------------

    def _types_and_domains(self, drafts: list[_ColumnDraft]) -> list[Enum]:
        domain_columns: dict[str, list[_ColumnDraft]] = defaultdict(list)
        for draft in drafts:
            if draft.row.domain is not None:
                domain_columns[draft.row.domain].append(draft)
        enums = []
        for row in self.catalog.types:
            if row.typtype == "e":
                enums.append(Enum(name=row.name, values=tuple(row.labels)))
            elif row.typtype == "d":
                domain_columns.setdefault(row.name, [])
            elif row.typtype == "c":
                self.note("composite type", row.name, "not modelled")
            elif row.typtype == "r":
                self.note("range type", row.name, "not modelled")
            else:
                self.note("type", row.name, "a base type defined in C; not modelled")
        for domain, used in domain_columns.items():
            if not used:
                self.note("domain", domain, "not used by any column; not modelled")
                continue
            places = ", ".join(sorted(f"{d.table}.{d.row.name}" for d in used))
            base = used[0].row.domain_base_type
            one = len(used) == 1
            self.note(
                "domain",
                domain,
                f"column{'' if one else 's'} {places} read as {'its' if one else 'their'} base type {base}; "
                "the domain's constraints are not carried",
            )
        return enums

    def _views(self) -> list[View]:
        views = {r.oid: r for r in self.catalog.relations if r.relkind == "v" and r.oid not in self.hidden}
        functions: dict[int, list[str]] = defaultdict(list)
        reads: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for dep in self.catalog.view_dependencies:
            if dep.function is not None:
                functions[dep.view_oid].append(dep.function)
            elif dep.relation_oid is not None:
                in_schema = dep.relation_schema == self.schema_name or dep.relation_schema in self.others
                reads[dep.view_oid].append(
                    (dep.relation_oid, f"{'' if in_schema else f'{dep.relation_schema}.'}{dep.relation}")
                )
        kept = set(views)
        for oid, names in functions.items():
            if oid in kept:
                kept.discard(oid)
                listed = ", ".join(sorted(set(names)))
                self.note("view", views[oid].name, f"reads function {listed}, which mizzle does not model")
        # A view reading something left out (a materialized view, a partition, another schema,
        # a view left out itself) is left out too, until nothing changes.
        changed = True
        while changed:
            changed = False
            for oid in sorted(kept):
                missing = sorted({shown for rel, shown in reads[oid] if rel not in self.tables and rel not in kept})
                if missing:
                    kept.discard(oid)
                    changed = True
                    self.note("view", views[oid].name, f"reads {', '.join(missing)}, which mizzle does not carry")
        result = []
        for oid in kept:
            rel = views[oid]
            assert rel.view_definition is not None
            text = rel.view_definition.strip().rstrip(";")
            tree = self.parse(text, f"the query of view {rel.name}")
            result.append(View(name=rel.name, query=SqlExpr(canonical.normalize_pg_expression(tree), text)))
        return result

    # --- sync tables ------------------------------------------------------------------------

    def _sync_triggered(self) -> set[int]:
        """Tables carrying all of mizzle's sync triggers (`sync_sql.TRIGGER_NAMES`)."""
        wanted = set(sync_sql.TRIGGER_NAMES)
        found: dict[int, set[str]] = defaultdict(set)
        for row in self.catalog.other_objects:
            if row.kind == "trigger" and row.name in wanted and row.table_oid is not None:
                found[row.table_oid].add(row.name)
        return {oid for oid, names in found.items() if names == wanted}

    def _sync(self, table: Table, oid: int) -> Table:
        """A table with the sync triggers is a sync table when it also holds what one must
        (columns, index, primary key); otherwise its triggers are reported as unsupported
        (see `_other_objects`), so that `check` shows the difference."""
        if oid not in self.sync_triggered:
            return table
        synced = table.model_copy(update={"sync": True})
        if next(sync_problems(synced), None) is not None:
            self.sync_triggered.discard(oid)
            return table
        return synced

    def _mizzles_own(self, row: ObjectRow) -> bool:
        """mizzle's sync trigger functions, and the triggers of sync tables."""
        if row.kind == "function":
            return row.name in (PG_INSERT_FUNCTION, PG_UPDATE_FUNCTION, PG_DELETE_FUNCTION, PG_SEQ_FUNCTION)
        return row.kind == "trigger" and row.table_oid in self.sync_triggered

    def _other_objects(self) -> None:
        """Functions, triggers, policies, rules, extensions, schemas, comments: by name,
        per-table objects once per name with the tables they are on."""
        # (a trigger of a partition's own is named; the copies of its table's are carried with the table's)
        skipped = self.hidden | self.partitions
        names = {r.oid: r.name for r in self.catalog.relations}
        grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
        for row in self.catalog.other_objects:
            if (row.table_oid is not None and row.table_oid in skipped) or self._mizzles_own(row):
                continue
            on = names.get(row.table_oid) if row.table_oid is not None and row.kind != "comment" else None
            grouped[(row.kind, row.name)].extend([on] if on else [])
        for (kind, name), tables in grouped.items():
            if kind == "schema":
                read = [self.schema_name, *sorted(self.others)]
                detail = f"only schema {read[0]} is read" if len(read) == 1 else f"not read (read: {', '.join(read)})"
            elif tables:
                detail = f"on {', '.join(sorted(set(tables)))}; not modelled"
            else:
                detail = "not modelled"
            self.note(kind, name, detail)


def _serial_sequence(seq: RelationRow) -> SerialSequence | None:
    """A serial's sequence as the catalog holds it (the column leaves out what the serial
    makes anyway: `Column.sequence`)."""
    if seq.seq_options is None or seq.seq_type not in ("smallint", "integer", "bigint"):
        return None
    start, increment, low, high, cache = seq.seq_options
    return SerialSequence.model_validate(
        {
            "data_type": seq.seq_type,
            "start": start,
            "increment": increment,
            "min_value": low,
            "max_value": high,
            "cache": cache,
            "cycle": bool(seq.seq_cycle),
        }
    )


def serial_named(sequence: str, table: str, column: str) -> bool:
    """Whether `sequence` has the name PostgreSQL gives the sequence of serial `table.column`
    (model names: an unowned sequence so named is read as that column's serial)."""
    bare = qualified.split(table)[1]
    return qualified.split(sequence)[1] == choose_name(bare, column, "seq", lambda _: False)


def _nextval_sequence(default: str) -> str | None:
    """The sequence a `nextval('seq'::regclass)` default reads, when the sequence is in the
    schema being read (PostgreSQL qualifies it when it is not: `'other.seq'::regclass`)."""
    found = _NEXTVAL.match(default)
    if found is None:
        return None
    name = found[1].replace("''", "'")
    if name.startswith('"') and name.endswith('"') and '"."' not in name:
        return name[1:-1].replace('""', '"')
    # `app.seq`: a sequence of another schema read along is named so (others are not found)
    return name if '"' not in name and name.count(".") <= 1 else None
