"""ALTER, DROP and COMMENT: statements that change what earlier statements of a schema file
created (`ALTER TABLE ... ADD CONSTRAINT`, `ALTER SEQUENCE ... OWNED BY`, `ATTACH PARTITION`,
`ALTER TYPE ... ADD VALUE`...).

A schema file declares the final schema, so only the changes pg_dump and hand-written files
make on the way there are read; any other change to an object the model holds is an error
(never silently ignored), while changes to objects it does not hold (functions, domains...,
reported where they are created) and to ownership, privileges and storage are skipped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from mizzle.core.errors import SchemaError
from mizzle.core.expr import parse_expression
from mizzle.core.naming import make_object_name
from mizzle.core.types import ColumnType
from mizzle.sources.sql.draft import Draft, DraftColumn, DraftTable, Pending, ident, spell
from mizzle.sources.sql.identity import identity_options
from mizzle.sources.sql.objects import read_sequence_options
from mizzle.sources.sql.partitions import added_constraint, attached_bound
from mizzle.sources.sql.security import COMMENT_TARGETS
from mizzle.sources.sql.spelling import SPELLING
from mizzle.sources.sql.split import Statement, Tokens, parse_statement, qualified

#: CREATE / DROP of objects that belong to the cluster, not to a database's schema.
CLUSTER_OBJECTS = frozenset({"DATABASE", "ROLE", "USER", "GROUP", "TABLESPACE"})
#: DROP <two words> (DROP MATERIALIZED VIEW m...).
_TWO_WORD_KINDS = frozenset(
    {("MATERIALIZED",), ("FOREIGN",), ("EVENT",), ("TEXT",), ("ACCESS",), ("USER",), ("OPERATOR",)}
)
#: COMMENT ON <these> name: comments the introspector reports (on relations, columns,
#: constraints and types), so the file reports them too; comments on other objects go
#: with the object.
_COMMENTED = frozenset(
    {"TABLE", "VIEW", "MATERIALIZED", "INDEX", "SEQUENCE", "FOREIGN", "COLUMN", "TYPE", "DOMAIN", "CONSTRAINT"}
)
#: ALTER TABLE actions that change storage, permissions or behaviour the model does not hold.
_ALTER_TABLE_IGNORED: tuple[tuple[str, ...], ...] = (
    ("OWNER",),
    ("ENABLE", "TRIGGER"),
    ("ENABLE", "ALWAYS"),
    ("ENABLE", "REPLICA"),
    ("ENABLE", "RULE"),
    ("DISABLE",),
    ("CLUSTER",),
    ("SET", "WITHOUT"),
    ("SET", "TABLESPACE"),
    ("SET", "LOGGED"),
    ("SET", "UNLOGGED"),
    ("SET", "ACCESS"),
    ("SET", "("),
    ("RESET",),
    ("REPLICA",),
    ("VALIDATE",),
    ("NO", "FORCE"),
    ("INHERIT",),
    ("NO", "INHERIT"),
    ("OF",),
    ("NOT", "OF"),
)
#: ALTER TABLE ... ALTER [COLUMN] c <these>: storage details, ignored.
_ALTER_COLUMN_IGNORED = frozenset({"STATISTICS", "STORAGE", "COMPRESSION", "("})


class AlterStatements:
    """The ALTER, DROP and COMMENT statements of `ddl._Loader`."""

    draft: Draft

    if TYPE_CHECKING:  # reading table elements, shared with CREATE TABLE (ddl.py)

        def column_type(self, dtype: exp.DataType, where: str | None) -> ColumnType: ...

        def domain_of(self, dtype: exp.DataType) -> str | None: ...

        def _identity(self, column: DraftColumn, where: str, options: dict[str, object] | None = None) -> None: ...

        def _add_column(
            self, st: Statement, table: DraftTable, coldef: exp.ColumnDef, pending: list[Pending]
        ) -> None: ...

        def _table_constraint(
            self, st: Statement, table: DraftTable, node: exp.Expression, name: str | None, pending: list[Pending]
        ) -> None: ...

        # security statements (security.py)
        def _row_security(self, table: str, tokens: Tokens) -> bool: ...

        def _alter_policy(self, st: Statement) -> None: ...

        def _default_privileges(self, st: Statement) -> None: ...

        def comment_item(self, what: str, parts: tuple[str, ...], text: str | None) -> None: ...

    def _alter(self, st: Statement, head: tuple[str, ...]) -> None:
        what = head[1] if len(head) > 1 else ""
        if what == "TABLE":
            self._alter_table(st)
        elif what == "TYPE":
            self._alter_type(st)
        elif what == "SEQUENCE":
            self._alter_sequence(st)
        elif what in ("INDEX", "VIEW"):
            self._alter_index_or_view(st, what)
        elif what == "POLICY":
            self._alter_policy(st)
        elif head[1:3] == ("DEFAULT", "PRIVILEGES"):
            self._default_privileges(st)
        # Any other ALTER changes an object the model does not hold (reported where it is created),
        # a role, or the database: nothing to read.

    def _alter_table(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.accept("ALTER", "TABLE")
        if_exists = tokens.accept("IF", "EXISTS")
        tokens.accept("ONLY")
        name = tokens.qualified_name()
        tokens.accept("*")
        d = self.draft
        if name in d.partitions and tokens.accept("ATTACH", "PARTITION"):  # a partition partitioned in turn
            child = tokens.qualified_name()
            d.attach_partition(name, child, attached_bound(tokens, st.text, child))
            return
        if name in d.partitions and tokens.accept("ADD"):
            if not tokens.accept("CONSTRAINT"):
                d.unsupported("partition", name, "a constraint added without a name is not carried (name it)")
                return
            constraint_name, definition = added_constraint(tokens, st.text, name)
            d.partitions[name].constraints[constraint_name] = definition
            return
        if name in d.skipped or self._row_security(name, tokens):
            return
        if any(tokens.at(*words) for words in _ALTER_TABLE_IGNORED):
            return
        table = d.tables.get(name)
        if table is None:
            if if_exists:
                return
            raise SchemaError(f'ALTER TABLE "{name}": the file does not create this table')
        if tokens.accept("ATTACH", "PARTITION"):
            child = tokens.qualified_name()
            d.attach_partition(name, child, attached_bound(tokens, st.text, child))
            return
        if tokens.accept("ADD"):
            constraint = tokens.name() if tokens.accept("CONSTRAINT") else ()
            if tokens.at("EXCLUDE"):
                label = constraint[-1] if constraint else make_object_name(name, None, "excl")
                d.unsupported("exclusion constraint", f"{name}.{label}", "not modelled")
                return
            if not constraint and tokens.accept("CHECK"):  # sqlglot reads a CHECK here only when it is named
                body = tokens.parenthesized()
                tree = parse_expression(body)
                tree.meta[SPELLING] = body
                check = Pending("check", None, st.line, expr=tree)
                self._add_altered(table, [check], not_valid=tokens.skip_to("NOT", "VALID"))
                return
        if tokens.accept("ALTER"):
            tokens.accept("COLUMN")
            column = tokens.name()
            if tokens.accept("ADD", "GENERATED"):
                target = table.columns.get(column[0]) if column else None
                if target is None:
                    raise SchemaError(f'ALTER TABLE "{name}": no column "{".".join(column)}"')
                self._identity(target, f"{name}.{target.name}", identity_options(tokens))
                return
            following = tokens.peek(1) if tokens.at("SET") else None
            if following is not None and (following.upper or following.text) in _ALTER_COLUMN_IGNORED:
                return
        tree = parse_statement(st, "ALTER TABLE")
        if not isinstance(tree, exp.Alter):
            raise SchemaError(f"cannot read ALTER TABLE statement: {st.text[:60]!r}")
        pending: list[Pending] = []
        for action in tree.args.get("actions") or []:
            self._alter_table_action(st, table, action, pending)
        self._add_altered(table, pending, not_valid=bool(tree.args.get("not_valid")))

    def _add_altered(self, table: DraftTable, pending: list[Pending], not_valid: bool) -> None:
        for name in self.draft.add_constraints(table, pending, dedupe_indexes=False):
            if not_valid:
                self.draft.unsupported(
                    "constraint", f"{table.name}.{name}", "NOT VALID: read as a validated constraint"
                )

    def _alter_table_action(
        self, st: Statement, table: DraftTable, action: exp.Expression, pending: list[Pending]
    ) -> None:
        if isinstance(action, exp.AddConstraint):
            for node in action.expressions:
                self._table_constraint(st, table, node, None, pending)
        elif isinstance(action, exp.ColumnDef):
            if action.args.get("exists") and ident(action.this) in table.columns:
                return
            self._add_column(st, table, action, pending)
        elif isinstance(action, exp.AlterColumn):
            self._alter_column(st, table, action)
        else:
            words = action.sql(dialect="postgres")[:40]
            raise SchemaError(
                f'ALTER TABLE "{table.name}" {words}: mizzle reads only ADD, ALTER COLUMN, OWNER TO and ATTACH '
                "PARTITION here (a schema file declares the final schema)"
            )

    def _alter_column(self, st: Statement, table: DraftTable, action: exp.AlterColumn) -> None:
        name = ident(action.this)
        column = table.columns.get(name)
        if column is None:
            raise SchemaError(f'ALTER TABLE "{table.name}": no column "{name}"')
        args = action.args
        if args.get("dtype") is not None:
            column.type = self.column_type(args["dtype"], f"{table.name}.{name}")
            column.domain = self.domain_of(args["dtype"])
        elif args.get("default") is not None:
            column.default = args["default"]
            spell(column.default, st.text)
        elif "allow_null" in args and args["allow_null"] is not None:
            column.nullable = bool(args["allow_null"])
        elif args.get("drop"):
            column.default = None
        else:
            raise SchemaError(f'ALTER TABLE "{table.name}" ALTER COLUMN "{name}": cannot read this change')

    def _alter_type(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.accept("ALTER", "TYPE")
        name = tokens.qualified_name()
        values = self.draft.enums.get(name)
        if values is None:
            return  # a type the file does not create as an enum: reported (or absent) already
        if tokens.accept("ADD", "VALUE"):
            if_not_exists = tokens.accept("IF", "NOT", "EXISTS")
            value = tokens.string()
            if value is None:
                raise SchemaError(f'ALTER TYPE "{name}" ADD VALUE: expected a quoted value')
            if value in values:
                if if_not_exists:
                    return
                raise SchemaError(f'enum "{name}" already has the value {value!r}')
            position = len(values)
            if (before := tokens.accept("BEFORE")) or tokens.accept("AFTER"):
                neighbour = tokens.string()
                if neighbour not in values:
                    raise SchemaError(f'enum "{name}" has no value {neighbour!r}')
                position = values.index(neighbour) + (0 if before else 1)
            values.insert(position, value)
        elif tokens.accept("RENAME", "VALUE"):
            old, _, new = tokens.string(), tokens.accept("TO"), tokens.string()
            if old not in values or new is None:
                raise SchemaError(f'enum "{name}" has no value {old!r}')
            values[values.index(old)] = new
        elif not tokens.accept("OWNER"):
            raise SchemaError(f'cannot read this ALTER TYPE statement on enum "{name}"')

    def _alter_sequence(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.accept("ALTER", "SEQUENCE")
        tokens.accept("IF", "EXISTS")
        name = tokens.qualified_name()
        sequence = self.draft.sequences.get(name)
        serial = self.draft.serial_sequences.get(name)
        if sequence is None and serial is not None and serial.sequence is not None:
            # the sequence a serial made: its type and options are the column's (RESTART is not)
            read_sequence_options(tokens, serial.sequence)
            return
        if sequence is None:
            if tokens.skip_to("OWNED", "BY"):
                raise SchemaError(f'ALTER SEQUENCE "{name}": the file does not create this sequence')
            return
        read_sequence_options(tokens, sequence.options)
        if tokens.accept("OWNED", "BY"):
            sequence.owner = None if tokens.at("NONE") else tokens.name()

    def _alter_index_or_view(self, st: Statement, what: str) -> None:
        tokens = Tokens(st.text)
        tokens.accept("ALTER", what)
        tokens.accept("IF", "EXISTS")
        tokens.name()
        if tokens.accept("RENAME"):
            raise SchemaError(f"ALTER {what} ... RENAME: a schema file should create the {what.lower()} by its name")
        if what == "INDEX" and tokens.accept("ATTACH", "PARTITION"):
            # pg_dump's: the partition's index is the copy PostgreSQL makes of this one, not its own
            copy = tokens.name()
            for partition in self.draft.partitions.values():
                if copy and partition.forget(copy[-1]):
                    break

    # --- DROP -------------------------------------------------------------------------

    def _drop(self, st: Statement, head: tuple[str, ...]) -> None:
        kind = head[1:3] if head[1:2] in _TWO_WORD_KINDS else head[1:2]
        if kind and kind[0] in CLUSTER_OBJECTS | {"OWNED"}:
            return
        tokens = Tokens(st.text)
        tokens.accept("DROP", *kind)
        tokens.accept("CONCURRENTLY")
        if_exists = tokens.accept("IF", "EXISTS")
        while parts := tokens.name():
            name = qualified(parts)
            if tokens.at("("):  # a function's argument types
                tokens.skip_to(")")
            if tokens.accept("ON"):  # a trigger's, policy's or rule's table
                name = f"{name} on {tokens.qualified_name()}"
            if not self.draft.drop(" ".join(kind), name) and not if_exists:
                raise SchemaError(f'DROP {" ".join(kind)} "{name}": the file has not created it')
            if not tokens.accept(","):
                break

    # --- COMMENT ----------------------------------------------------------------------

    def _comment(self, st: Statement, head: tuple[str, ...]) -> None:
        what = head[2] if len(head) > 2 else ""
        if what not in _COMMENTED:
            return
        tokens = Tokens(st.text)
        tokens.skip_to("ON", what, *(head[3:4] if (what,) in _TWO_WORD_KINDS else ()))
        parts = tokens.name()
        if what == "CONSTRAINT":
            tokens.accept("ON")
            if tokens.accept("DOMAIN"):
                return  # the domain is reported, its constraints with it
            name = f"{tokens.qualified_name()}.{parts[-1]}"
        elif what == "COLUMN":
            name = f"{qualified(parts[:-1])}.{parts[-1]}"
        else:
            name = qualified(parts)
        tokens.skip_to("IS")
        if what in COMMENT_TARGETS and not (what == "TYPE" and name not in self.draft.enums):
            text = tokens.string()
            if text is not None or tokens.at("NULL"):
                self.comment_item(what, parts, text)
                return
        self.draft.comment(name, present=not tokens.at("NULL"))
