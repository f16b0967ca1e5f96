"""Reading a PostgreSQL schema file (`schema.sql`, hand-written or from pg_dump) into the model.

`parse_ddl(text)` runs the file's statements in order on a draft schema, the way PostgreSQL
would run them on an empty database: tables, constraints, indexes, enums and views are
built from sqlglot's trees; unnamed constraints and indexes get the names PostgreSQL would
give them (in PostgreSQL's order, so suffixes like `t_a_idx1` come out the same); objects
the model cannot hold are reported by name as `Unsupported` (named and worded as the
introspector reports them, so a file and the database it creates read alike); statements
that create nothing (settings, grants, ownership, data) are skipped. The draft is then
turned into a validated `Schema`. ALTER, DROP and COMMENT are read in `ddl_alter.py`,
statements are split and tokenized in `ddl_split.py`, the draft lives in `ddl_draft.py`.

Statements are parsed one by one, so an error names the line of the statement it is in.
"""

from __future__ import annotations

import enum
import functools

from pydantic import ValidationError
from sqlglot import exp

from mizzle.core.errors import SchemaError, SchemaSyntaxError
from mizzle.core.introspection import Introspected
from mizzle.core.model import Identity, Index, IndexKey, View
from mizzle.core.naming import index_name, make_object_name
from mizzle.core.pg_objects import Aggregate
from mizzle.core.qualified import is_platform, schema_of
from mizzle.core.sync.names import PG_DELETE_FUNCTION, PG_INSERT_FUNCTION, PG_SEQ_FUNCTION, PG_UPDATE_FUNCTION
from mizzle.core.types import ColumnType, TypeKind
from mizzle.dialects.postgresql.opclasses import named_opclass
from mizzle.dialects.postgresql.sync_sql import TRIGGER_NAMES
from mizzle.dialects.postgresql.types import column_type_from_pg
from mizzle.sources.sql.alter import CLUSTER_OBJECTS, AlterStatements
from mizzle.sources.sql.draft import (
    Draft,
    DraftColumn,
    DraftTable,
    Pending,
    ident,
    pg_expr_tree,
    relation_name,
    spell,
)
from mizzle.sources.sql.objects import read_domain, read_materialized_view, read_sequence_options
from mizzle.sources.sql.partitions import partition_of, table_key
from mizzle.sources.sql.security import SecurityStatements
from mizzle.sources.sql.split import (
    Statement,
    Tokens,
    fold_identifier,
    parse_statement,
    parse_type,
    qualified,
    split_statements,
)
from mizzle.sources.sql.sqlite_notes import apply_notes


def parse_ddl(text: str, source: str = "schema.sql") -> Introspected:
    """The schema a PostgreSQL DDL script creates, plus the objects it names that the model
    cannot hold. Raises SchemaSyntaxError / SchemaError naming `source:line`."""
    loader = _Loader(source)
    lines: set[int] = set()
    for statement in split_statements(text, source):
        loader.run(statement)
        lines.update(range(statement.line, statement.line + statement.text.count("\n") + 1))
    read = loader.draft.finish(source)
    # how SQLite holds some columns (`-- mizzle:sqlite` lines, see `sqlite_notes.py`)
    schema = apply_notes(text, read.schema, source, lines)
    return read if schema is read.schema else Introspected(schema=schema, unsupported=read.unsupported)


#: First words of statements that create or change nothing the model holds.
_SKIPPED = frozenset(
    {"SET", "RESET", "SELECT", "VALUES", "TABLE", "WITH", "SHOW", "EXPLAIN"}
    | {"SECURITY", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE", "ANALYZE"}
    | {"ANALYSE", "VACUUM", "CHECKPOINT", "CLUSTER", "REINDEX", "REFRESH", "LOCK", "NOTIFY", "LISTEN", "UNLISTEN"}
    | {"DISCARD", "LOAD", "PREPARE", "EXECUTE", "DEALLOCATE", "DECLARE", "FETCH", "MOVE", "CLOSE"}
)
#: First words of statements that write rows: a schema file holds none.
_DATA = frozenset({"INSERT", "COPY", "UPDATE", "DELETE", "TRUNCATE", "MERGE"})
#: Words between CREATE and the kind of object that do not change what is created.
_CREATE_MODIFIERS = frozenset(
    {"OR", "REPLACE", "UNIQUE", "TEMP", "TEMPORARY", "UNLOGGED", "GLOBAL", "LOCAL", "RECURSIVE", "TRUSTED"}
    | {"PROCEDURAL", "DEFAULT", "CONSTRAINT"}
)
#: CREATE <words> → the kind reported as Unsupported. Longest key wins.
_CREATE_UNSUPPORTED: dict[tuple[str, ...], str] = {
    ("FUNCTION",): "function",
    ("PROCEDURE",): "procedure",
    ("AGGREGATE",): "aggregate",
    ("TRIGGER",): "trigger",
    ("EVENT", "TRIGGER"): "event trigger",
    ("MATERIALIZED", "VIEW"): "materialized view",
    ("EXTENSION",): "extension",
    ("RULE",): "rule",
    ("SCHEMA",): "schema",
    ("COLLATION",): "collation",
    ("OPERATOR",): "operator",
    ("CAST",): "cast",
    ("CONVERSION",): "conversion",
    ("LANGUAGE",): "language",
    ("PUBLICATION",): "publication",
    ("SUBSCRIPTION",): "subscription",
    ("STATISTICS",): "statistics",
    ("SERVER",): "foreign server",
    ("FOREIGN", "TABLE"): "foreign table",
    ("FOREIGN", "DATA"): "foreign data wrapper",
    ("TEXT", "SEARCH"): "text search object",
    ("TRANSFORM",): "transform",
    ("ACCESS", "METHOD"): "access method",
    ("USER", "MAPPING"): "user mapping",
}
#: Functions and aggregates: a view calling one is left out.
_CALLABLE_KINDS = frozenset({"function", "procedure", "aggregate"})
#: what `export` writes for sync tables, read back as the tables' `sync` flag
_SYNC_TRIGGERS = frozenset(TRIGGER_NAMES)
_SYNC_FUNCTIONS = frozenset({PG_INSERT_FUNCTION, PG_UPDATE_FUNCTION, PG_DELETE_FUNCTION, PG_SEQ_FUNCTION})
MIZZLE_PREFIX = "__mizzle_"


#: the integer types an identity column may have
_IDENTITY_KINDS = frozenset({TypeKind.SMALLINT, TypeKind.INTEGER, TypeKind.BIGINT})

#: sqlglot's name of each identity option → the model's
_IDENTITY_OPTIONS = {"start": "start", "increment": "increment", "minvalue": "min_value", "maxvalue": "max_value"}


class _Loader(AlterStatements, SecurityStatements):
    """Runs statements one by one on a `Draft`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.draft = Draft()
        #: the app's own schemas the file creates (`CREATE SCHEMA basejump`): what it creates
        #: in them is read, named `schema.name` (`core/qualified.py`)
        self.schemas: set[str] = set()

    def run(self, statement: Statement) -> None:
        try:
            self._dispatch(statement)
        except SchemaError as err:
            raise type(err)(f"{self.source}:{statement.line}: {err}") from None
        except ValidationError as err:
            message = err.errors()[0]["msg"].removeprefix("Value error, ")
            raise SchemaError(f"{self.source}:{statement.line}: {message}") from None

    # --- dispatch ---------------------------------------------------------------------

    def _dispatch(self, st: Statement) -> None:
        if st.is_meta_command:
            self._meta_command(st)
            return
        head = st.head(8)
        first = head[0] if head else ""
        if first in _SKIPPED:
            return
        if first in _DATA:
            self.draft.data_statements += 1
        elif first == "CREATE":
            self._create(st, head)
        elif first == "ALTER":
            self._alter(st, head)
        elif first == "DROP":
            self._drop(st, head)
        elif first == "COMMENT":
            self._comment(st, head)
        elif first in ("GRANT", "REVOKE"):
            self._grant(st, revoke=first == "REVOKE")
        elif first in ("DO", "CALL", "IMPORT"):
            what = {"DO": "DO block", "CALL": "procedure call", "IMPORT": "foreign schema import"}[first]
            self.draft.unsupported(what, f"at line {st.line}", "not run: what it creates is not read")
        else:
            raise SchemaError(f"cannot read a {first or st.text[:20]!r} statement in a schema file")

    def _meta_command(self, st: Statement) -> None:
        command, _, argument = st.text.partition(" ")
        if command in ("\\i", "\\ir", "\\include", "\\include_relative"):
            self.draft.unsupported("psql include", argument.strip(), "not followed: include its statements")

    # --- CREATE -----------------------------------------------------------------------

    def _create(self, st: Statement, head: tuple[str, ...]) -> None:
        words = [w for w in head[1:] if w not in _CREATE_MODIFIERS]
        kind = words[0] if words else ""
        if kind in CLUSTER_OBJECTS and head[1:3] != ("USER", "MAPPING"):
            return
        if kind == "TABLE":
            self._create_table(st, _create_tree(st, "CREATE TABLE"))
        elif kind == "INDEX":
            written = st
            st, nulls_not_distinct = _without_nulls_not_distinct(_without_on_only(st))
            self._create_index(
                st, _create_tree(st, "CREATE INDEX"), nulls_not_distinct=nulls_not_distinct, written=written
            )
        elif kind == "VIEW":
            self._create_view(st, _create_tree(st, "CREATE VIEW"))
        elif kind == "TYPE":
            self._create_type(st)
        elif kind == "SEQUENCE":
            self._create_sequence(st)
        elif kind == "DOMAIN":
            self._create_domain(st)
        elif kind == "POLICY":
            self._create_policy(st)
        else:
            self._create_unsupported(st, words)

    def _create_unsupported(self, st: Statement, words: list[str]) -> None:
        key = next((k for k in sorted(_CREATE_UNSUPPORTED, key=len, reverse=True) if tuple(words[: len(k)]) == k), None)
        if key is None:
            raise SchemaError(f"cannot read a CREATE {' '.join(words[:2])} statement in a schema file")
        kind = _CREATE_UNSUPPORTED[key]
        tokens = Tokens(st.text)
        tokens.skip_to(*key)
        tokens.accept("IF", "NOT", "EXISTS")
        parts = tokens.name()
        name = qualified(parts) if parts else st.text.split("\n")[0][:60]
        if kind == "schema" and name == "public":
            return
        if kind == "schema" and not is_platform(name) and "." not in name:
            self.schemas.add(name)
            return
        if kind in ("trigger", "policy", "rule"):
            tokens.skip_to("TO" if kind == "rule" else "ON")
            table = tokens.qualified_name()
            if kind == "trigger" and name in _SYNC_TRIGGERS:
                # mizzle's own (an exported sync table): the table is sync if it has all three
                self.draft.sync_triggers.setdefault(table, set()).add(name)
                return
            if kind == "trigger" and table in self.draft.partitions:
                pass  # a partition's own trigger: named, as introspection names it
            elif kind == "trigger" and ("." not in table or schema_of(table) in self.schemas):
                self.draft.code.trigger(st, name, table)
                return
            self.draft.unsupported_on(kind, name, table)
            return
        if kind == "function" and name in _SYNC_FUNCTIONS:
            return  # mizzle's sync trigger functions, as `export` writes them
        if kind in ("function", "procedure") and ("." not in name or schema_of(name) in self.schemas):
            # carried verbatim (`code.py`); a view calling it is still left out, as introspection does
            self.draft.functions.add(name)
            self.draft.code.function(st)
            return
        if kind == "extension":
            self.draft.code.extension(st)
            return
        if kind in _CALLABLE_KINDS:
            self.draft.functions.add(name)
        if kind == "aggregate" and (schema_of(name) is None or schema_of(name) in self.schemas):
            aggregate = Aggregate(definition=st.text)  # carried verbatim; a view calling it stays out
            self.draft.aggregates[aggregate.key] = aggregate
            return
        if kind == "materialized view":
            self.draft.skip_relation(name, kind)  # views reading one stay out, as introspection leaves them
            if schema_of(name) is None or schema_of(name) in self.schemas:
                self.draft.materialized_views[name] = read_materialized_view(st, name)
                return
        detail = {"schema": "only schema public is read", "materialized view": "skipped"}.get(kind, "not modelled")
        self.draft.unsupported(kind, name, detail)

    def _create_table(self, st: Statement, tree: exp.Create) -> None:
        name = relation_name(tree.this)
        d = self.draft
        if name.startswith(MIZZLE_PREFIX):
            d.skip_relation(name, "mizzle's own")  # tombstones, tracking: not the user's schema
            return
        if self._outside_public(st, "table", name) or self._exists(tree, name):
            return
        if isinstance(tree.expression, exp.Query):
            raise SchemaError(f'CREATE TABLE "{name}" AS a query: declare its columns instead')
        properties = tree.args.get("properties")
        for prop in properties.expressions if properties else []:
            if isinstance(prop, exp.PartitionedOfProperty):
                parent, partition = partition_of(st, name)
                d.add_partition(name, parent, partition)
                return
            if isinstance(prop, exp.TemporaryProperty):
                d.skip_relation(name, "temporary table")
                d.unsupported("temporary table", name, "skipped")
                return
            if isinstance(prop, exp.PartitionedByProperty):
                try:
                    d.partition_keys[name] = table_key(st, name)
                except SchemaError as err:  # a key the model cannot hold (COLLATE, operator class)
                    d.plain_partitioned.add(name)
                    d.unsupported("partitioning", name, f"{str(err).partition(': ')[2]}: read as a plain table")
            elif isinstance(prop, exp.InheritsProperty):
                parents = ", ".join(relation_name(t) for t in prop.expressions)
                detail = f"inherits from {parents}: read as a plain table of the columns declared here"
                d.unsupported("inheritance", name, detail)
            elif isinstance(prop, exp.UnloggedProperty):
                d.unsupported("unlogged table", name, "read as an ordinary table")
            else:
                d.unsupported("table option", name, f"{prop.sql(dialect='postgres')} not carried")
        table = DraftTable(name=name)
        pending: list[Pending] = []
        elements = tree.this.expressions if isinstance(tree.this, exp.Schema) else []
        for element in elements:
            if isinstance(element, exp.ColumnDef):
                self._add_column(st, table, element, pending)
            else:
                self._table_constraint(st, table, element, None, pending)
        d.add_relation(name)
        d.tables[name] = table
        d.lines[name] = st.line
        d.add_constraints(table, pending, dedupe_indexes=True)

    def _exists(self, tree: exp.Expression, name: str) -> bool:
        """Whether a relation of this name already exists: True to skip (IF NOT EXISTS)."""
        if not self.draft.relation_exists(name):
            return False
        if tree.args.get("exists"):
            return True
        raise SchemaError(f'relation "{name}" already exists')

    def _outside_public(self, st: Statement, kind: str, name: str) -> bool:
        if "." not in name or schema_of(name) in self.schemas:
            return False
        self.draft.skip_relation(name, kind)
        self.draft.unsupported(kind, name, "outside the public schema; skipped")
        return True

    def _add_column(self, st: Statement, table: DraftTable, coldef: exp.ColumnDef, pending: list[Pending]) -> None:
        name = ident(coldef.this)
        where = f"{table.name}.{name}"
        if name in table.columns:
            raise SchemaError(f'column "{name}" specified more than once in table "{table.name}"')
        dtype = coldef.args.get("kind")
        if not isinstance(dtype, exp.DataType):
            raise SchemaError(f'column "{where}" has no type')
        column = DraftColumn(name=name, type=self.column_type(dtype, where), domain=self.domain_of(dtype))
        if column.type.kind in (TypeKind.SERIAL, TypeKind.BIGSERIAL):
            column.nullable = False  # serial implies NOT NULL
            self.draft.add_serial_sequence(table.name, column)
        table.columns[name] = column
        for constraint in coldef.constraints:
            self._column_constraint(st, table, column, constraint, pending)

    def _column_constraint(
        self, st: Statement, table: DraftTable, column: DraftColumn, cc: exp.ColumnConstraint, pending: list[Pending]
    ) -> None:
        kind = cc.args.get("kind")
        cname = ident(cc.this) if cc.this else None
        where = f"{table.name}.{column.name}"
        d = self.draft
        if isinstance(kind, exp.NotNullColumnConstraint):
            column.nullable = bool(kind.args.get("allow_null"))
        elif isinstance(kind, exp.DefaultColumnConstraint):
            column.default = kind.this
            spell(kind.this, st.text)
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            pending.append(Pending("pk", cname, st.line, columns=(column.name,), options=kind.args.get("options")))
        elif isinstance(kind, exp.UniqueColumnConstraint):
            pending.append(Pending("unique", cname, st.line, columns=(column.name,), node=kind))
        elif isinstance(kind, exp.Reference):
            pending.append(Pending("fk", cname, st.line, columns=(column.name,), node=kind))
        elif isinstance(kind, exp.CheckColumnConstraint):
            spell(kind.this, st.text)
            pending.append(Pending("check", cname, st.line, expr=kind.this))
        elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint) and kind.args.get("expression") is None:
            self._identity(column, where, _identity_fields(kind))
        elif isinstance(kind, exp.ComputedColumnConstraint | exp.GeneratedAsIdentityColumnConstraint):
            expression = kind.args.get("this") if isinstance(kind, exp.ComputedColumnConstraint) else kind.expression
            if not isinstance(expression, exp.Expression):
                raise SchemaError(f"generated column {where} has no expression")
            spell(expression, st.text)
            column.generated = expression
        elif isinstance(kind, exp.CollateColumnConstraint):
            d.unsupported("collation", where, "the column's COLLATE is not carried")
        else:
            text = kind.sql(dialect="postgres") if kind is not None else cc.sql(dialect="postgres")
            d.unsupported("column option", where, f"{text} not carried")

    def _identity(self, column: DraftColumn, where: str, options: dict[str, object] | None = None) -> None:
        """GENERATED ALWAYS|BY DEFAULT AS IDENTITY [(options)]: `options`, the `Identity` fields."""
        if column.type.kind not in _IDENTITY_KINDS or column.type.array_dims:
            raise SchemaError(f"identity column {where} must be smallint, integer or bigint")
        try:
            column.identity = Identity.model_validate(options or {})
        except ValueError:
            raise SchemaError(f"identity column {where}: its options are not whole numbers") from None
        column.nullable = False
        column.default = None

    def _table_constraint(
        self, st: Statement, table: DraftTable, node: exp.Expression, name: str | None, pending: list[Pending]
    ) -> None:
        if isinstance(node, exp.Constraint):
            for inner in node.expressions:
                self._table_constraint(st, table, inner, ident(node.this), pending)
        elif isinstance(node, exp.PrimaryKey):
            columns = tuple(ident(c) for c in node.expressions)
            pending.append(Pending("pk", name, st.line, columns=columns, options=node.args.get("options")))
        elif isinstance(node, exp.UniqueColumnConstraint):
            schema = node.this
            columns = tuple(ident(c) for c in schema.expressions) if isinstance(schema, exp.Schema) else ()
            pending.append(Pending("unique", name, st.line, columns=columns, node=node))
        elif isinstance(node, exp.ForeignKey):
            columns = tuple(ident(c) for c in node.expressions)
            pending.append(Pending("fk", name, st.line, columns=columns, node=node))
        elif isinstance(node, exp.CheckColumnConstraint):
            spell(node.this, st.text)
            pending.append(Pending("check", name, st.line, expr=node.this))
        elif isinstance(node, exp.ExcludeColumnConstraint):
            where = f"{table.name}.{name or make_object_name(table.name, None, 'excl')}"
            self.draft.unsupported("exclusion constraint", where, f"{node.sql(dialect='postgres')}; not modelled")
        elif isinstance(node, exp.LikeProperty):
            raise SchemaError(f'table "{table.name}": LIKE is not supported, declare the columns')
        else:
            raise SchemaError(f'table "{table.name}": cannot read {node.sql(dialect="postgres")[:60]!r}')

    # --- types ------------------------------------------------------------------------

    def column_type(self, dtype: exp.DataType, where: str | None) -> ColumnType:
        """The neutral type of column `where` ("t.c"; None for a domain's base type). A domain
        created in the file is read as its base type, and the column noted on the domain."""
        dims = 0
        while dtype.this == exp.DataType.Type.ARRAY and dtype.expressions:
            dims += 1
            dtype = dtype.expressions[0]
        d = self.draft
        quoted = self._quoted_domain(dtype)
        if quoted is not None:
            if where is not None:
                d.domains[quoted].columns.append(where)
            return (
                d.domains[quoted].type.array_of(d.domains[quoted].type.array_dims + dims)
                if dims
                else d.domains[quoted].type
            )
        if dtype.this == exp.DataType.Type.USERDEFINED:
            name = _user_type_name(dtype.args.get("kind"))
            if name in d.domains:
                domain = d.domains[name]
                if where is not None:
                    domain.columns.append(where)
                return domain.type.array_of(domain.type.array_dims + dims) if dims else domain.type
            if name in d.enums:
                return ColumnType(kind=TypeKind.ENUM, name=name, array_dims=dims)
            text = '"' + name.replace('"', '""') + '"' if name != fold_identifier(name) else name
        else:
            text = _pg_type_text(dtype)
        ctype = column_type_from_pg(text, set(d.enums))
        return ctype.array_of(dims) if dims else ctype

    def _create_type(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.skip_to("TYPE")
        name = tokens.qualified_name()
        if self._outside_public(st, "type", name):
            return
        if not tokens.at("AS", "ENUM"):
            kind = "range type" if tokens.at("AS", "RANGE") else "composite type" if tokens.at("AS", "(") else "type"
            self.draft.unsupported(kind, name, "not modelled")
            return
        tree = parse_statement(st, "CREATE TYPE")
        body = tree.expression if isinstance(tree, exp.Create) else None
        if not isinstance(body, exp.DataType) or body.this != exp.DataType.Type.ENUM:
            raise SchemaSyntaxError(f"cannot parse CREATE TYPE statement: {st.text[:60]!r}")
        if name in self.draft.enums or name in self.draft.domains:
            raise SchemaError(f'type "{name}" already exists')
        self.draft.enums[name] = [str(value.this) for value in body.expressions]

    def _create_sequence(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.skip_to("SEQUENCE")
        if_not_exists = tokens.accept("IF", "NOT", "EXISTS")
        name = tokens.qualified_name()
        if self.draft.relation_exists(name):
            if if_not_exists:
                return
            raise SchemaError(f'relation "{name}" already exists')
        options = read_sequence_options(tokens)
        owner = None
        if tokens.accept("OWNED", "BY") and not tokens.at("NONE"):
            owner = tokens.name()
        self.draft.add_sequence(name, owner, options)

    def _create_domain(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.skip_to("DOMAIN")
        name = tokens.qualified_name()
        written, domain = read_domain(st, name)
        base = self.column_type(parse_type(written, "CREATE DOMAIN", st.line), None)
        self.draft.add_domain(name, base, domain)

    def domain_of(self, dtype: exp.DataType) -> str | None:
        """The domain a column of type `dtype` is typed by (not an array of one), if any."""
        if dtype.this != exp.DataType.Type.USERDEFINED:
            return self._quoted_domain(dtype)
        name = _user_type_name(dtype.args.get("kind"))
        return name if name in self.draft.domains else None

    def _quoted_domain(self, dtype: exp.DataType) -> str | None:
        """sqlglot reads a quoted type name that is also a built-in type's (`"Name"`, a domain
        of AdventureWorks) as the built-in (`name`): the domain of that name in another case,
        when the file creates one, is the type meant (the built-in is spelled unquoted)."""
        if dtype.expressions or not isinstance(dtype.this, exp.DataType.Type):
            return None
        spelled = dtype.sql(dialect="postgres").lower()
        found = [n for n in self.draft.domains if n.lower() == spelled and n != spelled]
        return found[0] if len(found) == 1 else None

    # --- CREATE INDEX / VIEW ----------------------------------------------------------

    def _create_index(
        self, st: Statement, tree: exp.Create, *, nulls_not_distinct: bool = False, written: Statement | None = None
    ) -> None:
        node = tree.this
        if not isinstance(node, exp.Index) or not isinstance(node.args.get("params"), exp.IndexParameters):
            raise SchemaSyntaxError("cannot parse CREATE INDEX statement: expected ON table (keys)")
        d = self.draft
        table_name = relation_name(node.args["table"])
        explicit = ident(node.this) if node.this else None
        if table_name in d.materialized_views:
            view = d.materialized_views[table_name]
            indexes = (*view.indexes, st.text)
            d.materialized_views[table_name] = view.model_copy(update={"indexes": tuple(sorted(indexes))})
            return
        if table_name in d.partitions:  # the partition's own index, as written
            d.partitions[table_name].indexes.append((written or st).text)
            return
        if table_name in d.skipped:
            return
        table = d.tables.get(table_name)
        if table is None:
            raise SchemaError(f'CREATE INDEX on "{table_name}", which the file does not create')
        if explicit is not None and self._exists(tree, explicit):
            return
        params = node.args["params"]
        lost: list[str] = []  # what the index has that the model does not carry
        using = params.args.get("using")
        method = using.name if using is not None else "btree"
        keys = [self._index_key(st, ordered, method, lost) for ordered in params.args.get("columns") or []]
        table.require_columns([k.column for k in keys if k.column is not None])
        if params.args.get("include"):
            lost.insert(0, "INCLUDE columns")
        if params.args.get("with_storage"):
            lost.append("storage parameters")
        where = params.args.get("where")
        if isinstance(where, exp.Where):
            spell(where.this, st.text)
        name = explicit or index_name(table.name, [(k.column, k.expr) for k in keys], d.relation_exists)
        if lost:
            d.unsupported("index", f"{table.name}.{name}", f"{', '.join(lost)} not carried")
        d.add_relation(name)
        table.indexes.append(
            Index(
                name=name,
                keys=tuple(keys),
                unique=bool(tree.args.get("unique")),
                where=pg_expr_tree(where.this) if isinstance(where, exp.Where) else None,
                method=method,
                nulls_not_distinct=nulls_not_distinct,
            )
        )

    def _index_key(self, st: Statement, ordered: exp.Expression, method: str, lost: list[str]) -> IndexKey:
        node = ordered.this if isinstance(ordered, exp.Ordered) else ordered
        opclass = collation = None
        while isinstance(node, exp.Collate | exp.Opclass):
            if isinstance(node, exp.Opclass):
                target = node.expression
                if isinstance(target, exp.Table) and isinstance(target.this, exp.Anonymous):
                    # `gist_trgm_ops (siglen = 32)`: the class is kept, its parameters are not
                    lost.append("operator class options")
                    target = exp.Table(this=exp.to_identifier(target.this.name), db=target.args.get("db"))
                # a default one (drizzle-kit writes `"id" uuid_ops`) is left unsaid, as the catalog does
                opclass = named_opclass(method, relation_name(target))
            else:
                collation = _collation_name(node.expression)
            node = node.this
        inner = node.this if isinstance(node, exp.Paren) else node
        if collation is not None and not (isinstance(inner, exp.Column) and not inner.table):
            # an expression key's COLLATE: the catalog gives it back inside no key text
            lost.append("COLLATE")
            collation = None
        desc = bool(ordered.args.get("desc")) if isinstance(ordered, exp.Ordered) else False
        nulls_first = ordered.args.get("nulls_first") if isinstance(ordered, exp.Ordered) else None
        nulls = None if nulls_first is None else ("first" if nulls_first else "last")
        if isinstance(inner, exp.Column) and not inner.table:
            return IndexKey(column=ident(inner), desc=desc, nulls=nulls, opclass=opclass, collation=collation)
        spell(node, st.text)
        return IndexKey(expr=pg_expr_tree(node), desc=desc, nulls=nulls, opclass=opclass)

    def _create_view(self, st: Statement, tree: exp.Create) -> None:
        name = relation_name(tree.this)
        query = tree.expression
        d = self.draft
        if self._outside_public(st, "view", name):
            return
        if name in d.views and tree.args.get("replace"):
            d.views.pop(name)
        elif self._exists(tree, name):
            return
        if not (isinstance(query, exp.Query) and isinstance(query, exp.Expression)):
            raise SchemaError(f'view "{name}" has no query')
        aliases = [ident(c) for c in tree.this.expressions] if isinstance(tree.this, exp.Schema) else []
        select = query if isinstance(query, exp.Select) else query.find(exp.Select)
        if aliases and select is not None:
            # `CREATE VIEW v (x) AS SELECT a ...` is stored as `SELECT a AS x ...`.
            renamed = [_aliased(p, a) for p, a in zip(select.expressions, aliases, strict=False)]
            select.set("expressions", renamed + select.expressions[len(renamed) :])
        d.add_relation(name)
        spell(query, st.text, start=_view_body_start(st))
        # Qualified as the introspector qualifies PostgreSQL's printout, so both read alike.
        d.views[name] = View(name=name, query=pg_expr_tree(query))
        d.lines[name] = st.line

    # --- ALTER ------------------------------------------------------------------------


def _collation_name(node: exp.Expression) -> str:
    """A COLLATE's collation by its model name (`pg_catalog."C"` is `C`; unquoted folds)."""
    if isinstance(node, exp.Column):
        schema, name = ident(node.args["table"]) if node.args.get("table") else None, ident(node.this)
        return name if schema in (None, "pg_catalog", "public") else f"{schema}.{name}"
    if isinstance(node, exp.Identifier):
        return ident(node)
    return node.name.lower()


def _view_body_start(st: Statement) -> int | None:
    """Where the query of `CREATE VIEW name [(columns)] [WITH (options)] AS query` starts."""
    tokens = Tokens(st.text)
    depth = 0
    while (token := tokens.next()) is not None:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif depth == 0 and token.upper == "AS":
            following = tokens.peek()
            return following.start if following is not None else None
    return None


def _create_tree(st: Statement, what: str) -> exp.Create:
    tree = parse_statement(st, what)
    if not isinstance(tree, exp.Create):
        raise SchemaSyntaxError(f"cannot parse {what} statement: {st.text[:60]!r}")
    return tree


def _without_on_only(st: Statement) -> Statement:
    """`CREATE INDEX ... ON ONLY t` (pg_dump's, for a partitioned table) without the ONLY,
    which sqlglot does not read: the index is the table's own either way. Blanked, not cut,
    so that error positions stay right."""
    tokens = Tokens(st.text)
    if tokens.skip_to("ON") and (only := tokens.peek()) is not None and only.upper == "ONLY":
        return Statement(st.text[: only.start] + "    " + st.text[only.start + 4 :], st.line)
    return st


def _without_nulls_not_distinct(st: Statement) -> tuple[Statement, bool]:
    """A unique index's `NULLS NOT DISTINCT` (PostgreSQL 15), which sqlglot does not read,
    blanked (so that error positions stay right), and whether it was there."""
    tokens = Tokens(st.text)
    while (first := tokens.peek()) is not None:
        if tokens.at("NULLS", "NOT", "DISTINCT"):
            last = tokens.peek(2)
            assert last is not None
            end = last.start + len(last.text)
            return Statement(st.text[: first.start] + " " * (end - first.start) + st.text[end:], st.line), True
        tokens.next()
    return st, False


def _aliased(projection: exp.Expression, alias: str) -> exp.Expression:
    bare = projection.unalias()
    if isinstance(bare, exp.Column) and ident(bare) == alias:
        return bare
    return exp.Alias(this=bare, alias=exp.to_identifier(alias))


def _user_type_name(kind: exp.Expression | str | None) -> str:
    """The name of a user-defined type (`public.mpaa_rating` → mpaa_rating)."""
    if isinstance(kind, str):
        return qualified(Tokens(kind).name())
    if isinstance(kind, exp.Dot):
        schema, name = ident(kind.this), ident(kind.expression)
        return name if schema in ("public", "pg_catalog") else f"{schema}.{name}"
    return ident(kind)


def _pg_type_text(dtype: exp.DataType) -> str:
    """A built-in type spelled as PostgreSQL's format_type spells it, where sqlglot differs."""
    params = tuple(p.name for p in dtype.expressions)
    if isinstance(dtype.this, exp.DataType.Type) and all(isinstance(p.this, exp.Literal) for p in dtype.expressions):
        return _builtin_type_text(dtype.this, params)  # a few kinds, printed once each
    return dtype.sql(dialect="postgres")


@functools.lru_cache(maxsize=256)
def _builtin_type_text(kind: enum.Enum, params: tuple[str, ...]) -> str:  # kind: a DataType.Type
    t = exp.DataType.Type
    if kind == t.SMALLSERIAL:
        raise SchemaError("smallserial is not supported: use serial (integer) or bigserial")
    if kind == t.TIMETZ:
        return f"time({params[0]}) with time zone" if params else "time with time zone"
    if kind == t.BIT and not params:
        return "bit(1)"
    if kind == t.DOUBLE and params:  # float(p): real up to 24 bits of precision
        return "real" if int(params[0]) <= 24 else "double precision"
    literals = [exp.DataTypeParam(this=exp.Literal.number(p)) for p in params]
    return exp.DataType(this=kind, expressions=literals).sql(dialect="postgres")


def _identity_fields(node: exp.GeneratedAsIdentityColumnConstraint) -> dict[str, object]:
    """The `Identity` fields of an identity clause sqlglot parsed."""
    fields: dict[str, object] = {"always": bool(node.args.get("this")), "cycle": bool(node.args.get("cycle"))}
    for arg, field in _IDENTITY_OPTIONS.items():
        value = node.args.get(arg)
        if value is not None:
            try:
                fields[field] = int(value.sql(dialect="postgres"))
            except ValueError:
                fields[field] = value.sql(dialect="postgres")  # refused by the model, naming the column
    return fields
