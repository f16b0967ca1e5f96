"""sqlglot trees for DDL, shared by the PostgreSQL and SQLite renderers.

Each renderer decides the dialect's spellings (type names, defaults, expressions); the
functions here only assemble them into sqlglot expressions (`exp.Create`, `exp.ColumnDef`,
`exp.Constraint`...) and print them. The statement order both renderers share (tables by
foreign-key dependency, views on views) lives here too.

Identifiers are quoted only when one of the two databases needs it, and the same way in
both, so a name reads alike in PostgreSQL and SQLite DDL.

Printing a sqlglot tree costs tens of microseconds, and a schema prints the same things
over and over (every table has an `id`, timestamps, sync columns; its keys and indexes
differ from the next table's only by their names). So the renderers memoise: `Memo` keeps
what a model object printed as (model objects are frozen and hashable), and `print_named`
prints a statement once per shape with placeholder names, then fills in each object's names.
The text is the same as printing each tree; only the time differs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import cache, lru_cache
from operator import attrgetter
from typing import Any, Generic, TypeVar

from pydantic import BaseModel
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from mizzle.core import qualified
from mizzle.core.errors import MizzleError
from mizzle.core.expr import needs_quotes
from mizzle.core.model import Column, ForeignKey, IndexKey, LiteralDefault, PrimaryKey, Schema, Table, Unique, View

#: Words PostgreSQL takes bare as a name but SQLite does not (a syntax error as a table,
#: column, index or constraint name); found by trying each SQLite keyword on SQLite 3.40.
SQLITE_ONLY_KEYWORDS = frozenset(
    {
        "add",
        "alter",
        "autoincrement",
        "between",
        "commit",
        "delete",
        "drop",
        "escape",
        "exists",
        "if",
        "index",
        "insert",
        "nothing",
        "raise",
        "set",
        "transaction",
        "update",
        "values",
    }
)

_FK_ACTIONS = {"restrict": "RESTRICT", "cascade": "CASCADE", "set null": "SET NULL", "set default": "SET DEFAULT"}


def must_quote(name: str) -> bool:
    """Whether `name` is quoted in DDL (for either database)."""
    return needs_quotes(name) or name in SQLITE_ONLY_KEYWORDS


def quote_ident(name: str) -> str:
    """A name as generated SQL text writes it, quoted by `must_quote` as the trees are (the
    one rule of both dialects, so a name reads alike in every statement mizzle writes)."""
    return '"' + name.replace('"', '""') + '"' if must_quote(name) else name


def ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=must_quote(name))


def table_ref(name: str) -> exp.Table:
    """A table, view or type by its model name: `app.t` is `t` in the app's schema `app`
    (`core/qualified.py`); `sql` joins it back into one name for a database without schemas."""
    schema, bare = qualified.split(name)
    return exp.Table(this=ident(bare), db=ident(schema) if schema else None)


#: sqlglot dialects of databases without schemas: a model name `app.t` is one name there
#: (`"app.t"`), which reads back as the same model name.
SCHEMALESS = frozenset({"sqlite"})


def relation_sql(name: str, dialect: str) -> str:
    """A table's, view's or type's model name as a statement prints it: `app.t` with each
    part quoted as needed, or one quoted name for a database without schemas."""
    schema, bare = qualified.split(name)
    if schema is None or dialect in SCHEMALESS:
        return name_sql(name, dialect)
    return f"{name_sql(schema, dialect)}.{name_sql(bare, dialect)}"


def _schemaless(tree: exp.Expression) -> exp.Expression:
    for table in list(tree.find_all(exp.Table)):
        schema = table.args.get("db")
        if schema is not None and table.args.get("catalog") is None:
            bare = table.name
            table.set("db", None)
            table.set("this", exp.Identifier(this=f"{schema.name}.{bare}", quoted=True))
            if isinstance(table.parent, (exp.From, exp.Join)) and not table.alias:
                # a query names its columns `t.c` after the table `app.t`: one name `"app.t"`
                # needs `AS t` for them to resolve
                table.set("alias", exp.TableAlias(this=ident(bare)))
    return tree


def requote(tree: exp.Expression) -> exp.Expression:
    """`tree` (a model expression, quoted for PostgreSQL) with names quoted as DDL quotes them."""
    for node in tree.find_all(exp.Identifier):
        if not node.quoted and must_quote(node.this):
            node.set("quoted", True)
    return tree


def type_node(spelling: str) -> exp.DataType:
    """A type printed verbatim in every dialect (sqlglot would otherwise rewrite some names)."""
    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=spelling)


def raw(text: str) -> exp.Var:
    """SQL text printed verbatim: a default already spelled for its dialect."""
    return exp.Var(this=text)


# --- columns and constraints -------------------------------------------------------------


def column_def(
    name: str,
    type_spelling: str,
    *,
    nullable: bool,
    default: str | None,
    checks: Sequence[tuple[str, exp.Expression]],
    generated: str | None = None,
) -> exp.ColumnDef:
    """`name TYPE [GENERATED ...] [NOT NULL] [DEFAULT x] [CONSTRAINT c CHECK (...)]...`;
    `generated` is the dialect's text of an identity or generated column."""
    constraints: list[exp.ColumnConstraint] = []
    if generated is not None:
        constraints.append(exp.ColumnConstraint(kind=raw(generated)))
    if not nullable:
        constraints.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
    if default is not None:
        constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=raw(default))))
    for check_name, tree in checks:
        constraints.append(exp.ColumnConstraint(this=ident(check_name), kind=exp.CheckColumnConstraint(this=tree)))
    return exp.ColumnDef(this=ident(name), kind=type_node(type_spelling), constraints=constraints)


def primary_key(pk: PrimaryKey, *, name: str | None = None) -> exp.Constraint:
    """`CONSTRAINT p PRIMARY KEY (a)`; `name` instead of the key's own (see `print_named`)."""
    body = exp.PrimaryKey(expressions=_idents(pk.columns))
    return exp.Constraint(this=ident(pk.name if name is None else name), expressions=[body])


def unique(u: Unique, *, name: str | None = None, dialect: str = "postgres") -> exp.Constraint:
    """`CONSTRAINT u UNIQUE [NULLS NOT DISTINCT] (a, b)`: the option only for PostgreSQL, as
    SQLite has none (there NULLs always stay distinct; `capabilities` notes it)."""
    nulls = True if u.nulls_not_distinct and dialect == "postgres" else None
    body = exp.UniqueColumnConstraint(this=exp.Schema(expressions=_idents(u.columns)), nulls=nulls)
    return exp.Constraint(this=ident(u.name if name is None else name), expressions=[body])


def check(name: str, tree: exp.Expression) -> exp.Constraint:
    return exp.Constraint(this=ident(name), expressions=[exp.CheckColumnConstraint(this=tree)])


def foreign_key(fk: ForeignKey, *, name: str | None = None, ref_table: str | None = None) -> exp.Constraint:
    """`CONSTRAINT f FOREIGN KEY (a) REFERENCES t (b) [ON DELETE x] [ON UPDATE y] [DEFERRABLE ...]`,
    printing only what differs from the defaults (NO ACTION, not deferrable). `name` and
    `ref_table` instead of the key's own (see `print_named`)."""
    options: list[str] = []
    if fk.on_delete != "no action":
        options.append(f"ON DELETE {_FK_ACTIONS[fk.on_delete]}")
    if fk.on_update != "no action":
        options.append(f"ON UPDATE {_FK_ACTIONS[fk.on_update]}")
    if fk.deferrable:
        options.append("DEFERRABLE")
    if fk.initially_deferred:
        options.append("INITIALLY DEFERRED")
    target_name = fk.ref_table if ref_table is None else ref_table
    target_ref = table_ref(target_name)
    if fk.ref_schema is not None:
        target_ref.set("db", ident(fk.ref_schema))
    target = exp.Schema(this=target_ref, expressions=_idents(fk.ref_columns))
    reference = exp.Reference(this=target, options=options)
    body = exp.ForeignKey(expressions=_idents(fk.columns), reference=reference)
    return exp.Constraint(this=ident(fk.name if name is None else name), expressions=[body])


def _idents(names: Iterable[str]) -> list[exp.Expression]:
    return [ident(n) for n in names]


# --- statements ---------------------------------------------------------------------------


@cache
def _dialect(name: str) -> Dialect:
    return Dialect.get_or_raise(name)


def sql(tree: exp.Expression, dialect: str) -> str:
    """Print a statement tree built for this one print: sqlglot need not copy it first (nor
    build a dialect object per call, which is most of the cost of printing small trees)."""
    if dialect in SCHEMALESS:
        tree = _schemaless(tree)
    return tree.sql(dialect=_dialect(dialect), copy=False)


def create_table_text(head: str, elements: Sequence[str]) -> str:
    """CREATE TABLE from the table's printed name and its printed columns and constraints,
    one per line (sqlglot's own pretty printer also breaks every parenthesised name list,
    which reads badly in a migration)."""
    body = ",\n  ".join(elements)
    return f"CREATE TABLE {head} (\n  {body}\n)"


# --- memoised printing ----------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(Generic[K, V]):
    """A bounded cache of printed text. Unlike `lru_cache`, `make` is a closure: what only
    error messages need (the table a column is in) stays out of the key, and a call that
    raises caches nothing, so its message names the object at hand. Cleared when full, which
    keeps a long-lived process's memory bounded at little cost (one schema rarely fills it)."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._values: dict[K, V] = {}
        _MEMOS.append(self)

    def get(self, key: K, make: Callable[[], V]) -> V:
        try:
            return self._values[key]
        except KeyError:
            pass
        value = make()
        self.put(key, value)
        return value

    def __getitem__(self, key: K) -> V:
        return self._values[key]

    def put(self, key: K, value: V) -> None:
        if len(self._values) >= self._size:
            self._values.clear()
        self._values[key] = value

    def clear(self) -> None:
        self._values.clear()


_MEMOS: list[Memo[Any, Any]] = []


def forget_printed() -> None:
    """Empty every memo of printed text (a benchmark timing a first render does this)."""
    for memo in _MEMOS:
        memo.clear()
    _quoted_name_sql.cache_clear()


def name_sql(name: str, dialect: str) -> str:
    """A name as a statement prints it (quoted when `must_quote`). Most names print as they
    are: only the others go through sqlglot (which would quote a reserved word or a leading
    digit too, and escapes quotes)."""
    if not must_quote(name) and not name[:1].isdigit() and name not in _reserved(dialect):
        return name
    return _quoted_name_sql(name, dialect)


@lru_cache(maxsize=1024)
def _quoted_name_sql(name: str, dialect: str) -> str:
    return sql(ident(name), dialect)


@cache
def _reserved(dialect: str) -> frozenset[str]:
    """Words sqlglot quotes in `dialect` even unquoted (none for PostgreSQL and SQLite today;
    names reaching the test are lower case, as `must_quote` quotes any other)."""
    return frozenset(_dialect(dialect).generator_class.RESERVED_KEYWORDS)


def shape(model: BaseModel, *names: str) -> tuple[object, ...]:
    """A model object without the fields `names`: what objects printing alike but for
    those names share (every field counts, so a field added to the model later does too)."""
    return (type(model), *_fields_getter(type(model), names)(model))


@cache
def _fields_getter(cls: type[BaseModel], names: tuple[str, ...]) -> Callable[[BaseModel], tuple[object, ...]]:
    fields = [f for f in cls.model_fields if f not in names]
    get = attrgetter(*fields)
    return (lambda model: (get(model),)) if len(fields) == 1 else get


def column_key(column: Column, *context: Hashable) -> tuple[object, ...]:
    """A column as a memo key, of plain values (comparing them is several times cheaper than
    comparing the model objects, and a schema looks up every column once per database). A
    literal default's value goes in with the Python type of each part: a list is not
    hashable, and equality does not tell `True` from `1` (printed `true` and `1`)."""
    default = column.default
    held: object = None
    if isinstance(default, LiteralDefault):
        value = default.value
        held = tuple((type(v), v) for v in value) if isinstance(value, list) else (type(value), value)
        held = (held, default.pg)
    elif default is not None:
        held = shape(default)
    return (*shape(column, "type", "default"), shape(column.type), held, *context)


def primary_key_sql(pk: PrimaryKey, dialect: str) -> str:
    key = ("primary key", shape(pk, "name"))
    return print_named(key, (pk.name,), lambda n: primary_key(pk, name=n[0]), dialect)


def unique_sql(u: Unique, dialect: str) -> str:
    key = ("unique", shape(u, "name"))
    return print_named(key, (u.name,), lambda n: unique(u, name=n[0], dialect=dialect), dialect)


def foreign_key_sql(fk: ForeignKey, dialect: str) -> str:
    key = ("foreign key", shape(fk, *_FK_NAMES))
    return print_named(key, (fk.name, fk.ref_table), lambda n: foreign_key(fk, name=n[0], ref_table=n[1]), dialect)


def add_foreign_key_sql(table_name: str, fk: ForeignKey, dialect: str) -> str:
    """ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY."""
    return print_named(
        ("add foreign key", shape(fk, *_FK_NAMES)),
        (table_name, fk.name, fk.ref_table),
        lambda n: add_constraint(n[0], foreign_key(fk, name=n[1], ref_table=n[2])),
        dialect,
    )


_FK_NAMES = ("name", "ref_table")

#: Names a statement is printed with once per shape: bare in both databases, and checked to
#: appear exactly once in the text (else the shape is printed for each object instead).
_SLOTS = ("mizzle_slot_1", "mizzle_slot_2", "mizzle_slot_3")

#: A printed statement cut at its names: the literal pieces, and which name goes after each
#: piece but the last. None: the statement's names cannot be told from the rest of its text.
_Template = tuple[tuple[str, ...], tuple[int, ...]]
_TEMPLATES: Memo[tuple[Hashable, int, str], _Template | None] = Memo()


def print_named(
    key: Hashable, names: Sequence[str], build: Callable[[Sequence[str]], exp.Expression], dialect: str
) -> str:
    """`build(names)` printed in `dialect`, where `key` (what is printed, and with `shape` the
    object without its names) decides everything but the names. The first object of a shape
    is printed with its own names (so that any error names it) and with placeholders; the
    others of that shape are the placeholder text with their names filled in."""
    if any("." in name for name in names):
        # a qualified relation name (`app.t`) prints as two names: never through a template
        return sql(build(names), dialect)
    memo_key = (key, len(names), dialect)
    try:
        template = _TEMPLATES[memo_key]
    except KeyError:
        text = sql(build(names), dialect)
        _TEMPLATES.put(memo_key, _template(build, len(names), dialect))
        return text
    if template is None:
        return sql(build(names), dialect)
    pieces, order = template
    parts = [pieces[0]]
    for piece, slot in zip(pieces[1:], order, strict=True):
        parts += (name_sql(names[slot], dialect), piece)
    return "".join(parts)


def _template(build: Callable[[Sequence[str]], exp.Expression], count: int, dialect: str) -> _Template | None:
    try:
        text = sql(build(_SLOTS[:count]), dialect)
    except MizzleError:
        return None
    if any(text.count(slot) != 1 for slot in _SLOTS[:count]):
        return None
    found = sorted((text.find(slot), i) for i, slot in enumerate(_SLOTS[:count]))
    pieces: list[str] = []
    start = 0
    for position, i in found:
        pieces.append(text[start:position])
        start = position + len(_SLOTS[i])
    pieces.append(text[start:])
    return tuple(pieces), tuple(i for _, i in found)


def add_constraint(table_name: str, constraint: exp.Constraint) -> exp.Alter:
    return exp.Alter(this=table_ref(table_name), kind="TABLE", actions=[exp.AddConstraint(expressions=[constraint])])


#: Index keys printed without parentheses: columns and what both databases print as a
#: function call. Any other expression is parenthesised, as PostgreSQL requires.
_BARE_INDEX_KEYS = (exp.Column, exp.Anonymous, exp.Lower, exp.Upper, exp.Coalesce, exp.Cast, exp.Length)
#: keys printed as they come: parenthesised already, or raw text whose maker decided (see
#: `postgresql/spelling.py`)
_AS_GIVEN_INDEX_KEYS = (exp.Paren, exp.Var)


def index_key_tree(key: IndexKey) -> exp.Expression:
    """The column or the (requoted) expression an index key reads."""
    if key.column is not None:
        return exp.column(ident(key.column))
    assert key.expr is not None
    return requote(key.expr.tree)


def index_key(
    tree: exp.Expression,
    *,
    desc: bool,
    nulls_first: bool,
    opclass: str | None = None,
    collation: str | None = None,
) -> exp.Ordered:
    """One index key. `nulls_first` must be given even when default: sqlglot prints NULLS
    FIRST/LAST exactly when it differs from the dialect's default for the direction.
    `collation` and `opclass` (PostgreSQL) follow the key, by their model names quoted as a
    relation's."""
    if not isinstance(tree, _BARE_INDEX_KEYS + _AS_GIVEN_INDEX_KEYS):
        tree = exp.Paren(this=tree)
    if collation is not None:
        tree = exp.Collate(this=tree, expression=table_ref(collation))
    if opclass is not None:
        tree = exp.Opclass(this=tree, expression=table_ref(opclass))
    return exp.Ordered(this=tree, desc=True if desc else None, nulls_first=nulls_first)


def create_index(
    name: str,
    table_name: str,
    keys: Sequence[exp.Ordered],
    *,
    unique: bool,
    using: str | None = None,
    where: exp.Expression | None = None,
) -> exp.Create:
    params = exp.IndexParameters(
        using=exp.Var(this=using) if using else None,
        columns=list(keys),
        where=exp.Where(this=where) if where is not None else None,
    )
    index = exp.Index(this=ident(name), table=table_ref(table_name), params=params)
    return exp.Create(kind="INDEX", this=index, unique=unique)


def create_view(name: str, query: exp.Expression) -> exp.Create:
    return exp.Create(kind="VIEW", this=table_ref(name), expression=query)


# --- statement order ----------------------------------------------------------------------


def _ordered(names: list[str], depends_on: Callable[[str], set[str]]) -> list[str]:
    """Names in dependency order: each after what it depends on, ties by name. On a cycle,
    the first remaining name (by name) goes next, so the order is always total and stable."""
    remaining = sorted(names)
    done: set[str] = set()
    order: list[str] = []
    while remaining:
        ready = next((n for n in remaining if depends_on(n) - {n} <= done), remaining[0])
        remaining.remove(ready)
        done.add(ready)
        order.append(ready)
    return order


def table_order(schema: Schema) -> tuple[list[Table], set[tuple[str, str]]]:
    """Tables in foreign-key dependency order, and the (table, foreign key) pairs whose target
    is created later (cycles): those must be added once every table exists."""
    known = {t.name for t in schema.tables}

    def targets(name: str) -> set[str]:
        table = schema.table(name)
        assert table is not None
        return {fk.ref_table for fk in table.foreign_keys if fk.local_ref in known}

    order = _ordered(sorted(known), targets)
    created: set[str] = set()
    deferred: set[tuple[str, str]] = set()
    tables: list[Table] = []
    for name in order:
        created.add(name)
        table = schema.table(name)
        assert table is not None
        tables.append(table)
        deferred |= {
            (name, fk.name) for fk in table.foreign_keys if fk.ref_schema is None and fk.ref_table not in created
        }
    return tables, deferred


def view_order(views: Sequence[View]) -> list[View]:
    """Views after the views they read, ties by name."""
    by_name = {v.name: v for v in views}

    def reads(name: str) -> set[str]:
        return {r for r in by_name[name].referenced_tables() if r in by_name}

    return [by_name[n] for n in _ordered(list(by_name), reads)]
