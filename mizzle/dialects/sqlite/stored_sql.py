"""The CREATE statements SQLite keeps in `sqlite_master`, read into plain data.

PRAGMAs give a table's columns, keys and indexes, but not what only the statement text
holds: constraint names, CHECK expressions, DEFERRABLE, index key expressions and
predicates, view bodies. SQLite's grammar is wider than sqlglot's (ON CONFLICT clauses,
WITHOUT ROWID, NOT DEFERRABLE, MATCH, multi-word type names such as `UNSIGNED BIG INT`), so
the statements are split into SQLite's tokens and read following SQLite's own grammar here,
and only the expressions inside them are parsed by sqlglot. Anything unreadable raises
IntrospectionError naming the object: nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from mizzle.core.errors import IntrospectionError

#: SQLite's tokens, as its own tokenizer splits them. A regular expression is several times
#: faster than sqlglot's tokenizer, which matters for a thousand-table database; sqlglot
#: still parses every expression found between them.
_TOKEN = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^']|'')*')
    | (?P<blob>[xX]'[^']*')
    | (?P<quoted>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
    | (?P<number>0[xX][0-9a-fA-F]+|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<word>[^\W\d][\w$]*)
    | (?P<punct>[(),.])
    | (?P<op>\|\||<<|>>|<=|>=|==|!=|<>|->>|->|[-+*/%&|~<>=!;?:@$])
    | (?P<error>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_NAMES = frozenset({"word", "quoted", "string"})  # what may stand for a name

#: Words that end a column's type name and start its constraints.
_COLUMN_CONSTRAINT_WORDS = frozenset(
    {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES", "GENERATED", "AS"}
)
#: Words that start a table constraint (a column named so must be quoted in SQLite).
_TABLE_CONSTRAINT_WORDS = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})


@dataclass(frozen=True)
class KeyText:
    """A PRIMARY KEY or UNIQUE constraint as written (column or table level)."""

    name: str | None
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CheckText:
    name: str | None
    expr: exp.Expression


@dataclass(frozen=True)
class ForeignKeyText:
    name: str | None
    columns: tuple[str, ...]
    ref_table: str
    #: empty when the clause names no columns (it then references the parent's primary key)
    ref_columns: tuple[str, ...]
    deferrable: bool
    initially_deferred: bool


@dataclass
class TableText:
    """What a CREATE TABLE statement says beyond the PRAGMAs. Column-level constraints are
    folded into the table-level lists, in declaration order."""

    primary_key: KeyText | None = None
    uniques: list[KeyText] = field(default_factory=list)
    checks: list[CheckText] = field(default_factory=list)
    foreign_keys: list[ForeignKeyText] = field(default_factory=list)
    #: the column declared `PRIMARY KEY AUTOINCREMENT`
    autoincrement: str | None = None
    #: a column-level `PRIMARY KEY DESC`: SQLite then does not make an INTEGER column the rowid alias
    primary_key_desc: bool = False
    #: column → its COLLATE name
    collations: dict[str, str] = field(default_factory=dict)
    #: column → the expression of its `GENERATED ALWAYS AS (expr) [STORED|VIRTUAL]`
    generated: dict[str, exp.Expression] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexText:
    #: one expression per key (a Column for a plain column), ASC/DESC and COLLATE removed
    keys: tuple[exp.Expression, ...]
    where: exp.Expression | None


@dataclass(frozen=True)
class ViewText:
    query: exp.Expression  # an exp.Query, or exp.Values


class _Word(NamedTuple):
    """One token of a stored statement (a tuple: a thousand tables make a hundred thousand)."""

    word: str | None  # upper-case text of a bare word, the text of punctuation; None when quoted
    text: str  # a quoted name or string without its quotes
    kind: str  # a group name of _TOKEN
    start: int
    end: int  # exclusive


def _unquote(text: str) -> str:
    if text[0] == "[":
        return text[1:-1]
    quote = text[0]
    return text[1:-1].replace(quote * 2, quote)


def _words(sql: str, what: str) -> list[_Word]:
    out: list[_Word] = []
    append = out.append
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup
        if kind == "space":
            continue
        text = m.group()
        if kind == "quoted" or kind == "string":
            append(_Word(None, _unquote(text), kind, m.start(), m.end()))
        elif kind == "error":
            raise IntrospectionError(f"cannot read {what}: unexpected {sql[m.start() : m.start() + 20]!r}")
        else:
            append(_Word(text.upper(), text, kind or "", m.start(), m.end()))
    return out


class _Reader:
    """A cursor over the words of one statement, between `pos` and `stop`."""

    def __init__(self, sql: str, words: list[_Word], what: str, pos: int = 0, stop: int | None = None) -> None:
        self.sql = sql
        self.words = words
        self.what = what
        self.pos = pos
        self.stop = len(words) if stop is None else stop

    @classmethod
    def of(cls, sql: str, what: str) -> _Reader:
        return cls(sql, _words(sql, what), what)

    def sub(self, start: int, stop: int) -> _Reader:
        return _Reader(self.sql, self.words, self.what, start, stop)

    @property
    def done(self) -> bool:
        return self.pos >= self.stop

    def peek(self, ahead: int = 0) -> _Word | None:
        i = self.pos + ahead
        return self.words[i] if i < self.stop else None

    def at(self, *words: str) -> bool:
        for i, w in enumerate(words):
            tok = self.peek(i)
            if tok is None or tok.word != w:
                return False
        return True

    def accept(self, *words: str) -> bool:
        if self.at(*words):
            self.pos += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error(f"expected {' '.join(words)}")

    def skip(self) -> None:
        if self.done:
            raise self.error("unexpected end")
        self.pos += 1

    def name(self) -> str:
        """An identifier: quoted ("x", [x], `x`, 'x') or a bare word."""
        tok = self.peek()
        if tok is None or tok.kind not in _NAMES:
            raise self.error("expected a name")
        self.pos += 1
        return tok.text

    def qualified_name(self) -> str:
        """`name` or `schema.name`: the last part."""
        name = self.name()
        while self.accept("."):
            name = self.name()
        return name

    def group(self) -> tuple[int, int]:
        """Read `( ... )`; return the bounds of what is inside."""
        self.expect("(")
        start, depth = self.pos, 1
        while not self.done:
            tok = self.words[self.pos]
            self.pos += 1
            if tok.word == "(":
                depth += 1
            elif tok.word == ")":
                depth -= 1
                if depth == 0:
                    return start, self.pos - 1
        raise self.error("unbalanced parentheses")

    def split(self, start: int, stop: int) -> list[_Reader]:
        """Readers over the comma-separated items between `start` and `stop`."""
        items, depth, first = [], 0, start
        for i in range(start, stop):
            word = self.words[i].word
            if word == "(":
                depth += 1
            elif word == ")":
                depth -= 1
            elif word == "," and depth == 0:
                items.append(self.sub(first, i))
                first = i + 1
        items.append(self.sub(first, stop))
        return [item for item in items if not item.done]

    def text(self, start: int, stop: int) -> str:
        if start >= stop:
            raise self.error("expected an expression")
        return self.sql[self.words[start].start : self.words[stop - 1].end]

    def expression(self, start: int, stop: int) -> exp.Expression:
        return parse_sqlite_expression(self.text(start, stop), self.what)

    def names(self, start: int, stop: int) -> tuple[str, ...]:
        """The leading name of each item: `(a, b COLLATE NOCASE, c DESC)` → (a, b, c)."""
        return tuple(item.name() for item in self.split(start, stop))

    def error(self, message: str) -> IntrospectionError:
        tok = self.peek()
        near = f" near {self.sql[tok.start : tok.end]!r}" if tok else ""
        return IntrospectionError(f"cannot read {self.what}: {message}{near}")


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> exp.Expression | str:
    try:
        tree = sqlglot.parse_one(text, read="sqlite")
    except (ParseError, TokenError) as err:
        return _first_line(err)
    if not isinstance(tree, exp.Expression) or isinstance(tree, exp.Command):
        return "not an expression"
    return tree


def parse_sqlite_expression(text: str, what: str) -> exp.Expression:
    """Parse one SQLite expression (a private copy); IntrospectionError naming `what` on failure."""
    tree = _parse_cached(text)
    if isinstance(tree, str):
        raise IntrospectionError(f"cannot read {what}: cannot parse {text!r}: {tree}")
    return tree.copy()


# --- CREATE TABLE ---------------------------------------------------------------------------


def read_table(sql: str, what: str) -> TableText:
    """Read `CREATE TABLE name (column-def, ..., table-constraint, ...) [options]`."""
    r = _Reader.of(sql, what)
    r.expect("CREATE")
    while not r.done and not r.at("("):
        r.skip()
    start, stop = r.group()
    table = TableText()
    for item in r.split(start, stop):
        first = item.peek()
        if first is not None and first.word in _TABLE_CONSTRAINT_WORDS:
            _table_constraints(item, table)
        else:
            _column(item, table)
    return table


def _column(r: _Reader, table: TableText) -> None:
    column = r.name()
    while not r.done:  # the type name, up to the first constraint
        tok = r.peek()
        # GENERATED is also a valid type name (`x generated`), as for SQLite's parser
        generated_type = r.at("GENERATED") and not r.at("GENERATED", "ALWAYS")
        if tok is not None and tok.word in _COLUMN_CONSTRAINT_WORDS and not generated_type:
            break
        if r.at("("):
            r.group()
        else:
            r.skip()
    name: str | None = None
    while not r.done:
        if r.accept("CONSTRAINT"):
            name = r.name()
            continue
        if r.accept("PRIMARY", "KEY"):
            table.primary_key_desc = r.accept("DESC")
            r.accept("ASC")
            _conflict_clause(r)
            if r.accept("AUTOINCREMENT"):
                table.autoincrement = column
            table.primary_key = KeyText(name, (column,))
        elif r.accept("NOT", "NULL") or r.accept("NULL"):
            _conflict_clause(r)
        elif r.accept("UNIQUE"):
            _conflict_clause(r)
            table.uniques.append(KeyText(name, (column,)))
        elif r.accept("CHECK"):
            table.checks.append(CheckText(name, r.expression(*r.group())))
        elif r.accept("DEFAULT"):
            # the value itself comes from PRAGMA table_xinfo
            if r.at("("):
                r.group()
            else:
                _ = r.accept("-") or r.accept("+")
                r.skip()
        elif r.accept("COLLATE"):
            table.collations[column] = r.name()
        elif r.at("REFERENCES"):
            table.foreign_keys.append(_references(r, name, (column,)))
        elif r.accept("GENERATED", "ALWAYS", "AS") or r.accept("AS"):
            table.generated[column] = r.expression(*r.group())
            _ = r.accept("STORED") or r.accept("VIRTUAL")
        else:
            raise r.error(f'column "{column}": unexpected word')
        name = None


def _table_constraints(r: _Reader, table: TableText) -> None:
    # SQLite accepts table constraints without commas between them, so read until the item ends.
    while not r.done:
        name = r.name() if r.accept("CONSTRAINT") else None
        if r.accept("PRIMARY", "KEY"):
            table.primary_key = KeyText(name, r.names(*r.group()))
            _conflict_clause(r)
        elif r.accept("UNIQUE"):
            table.uniques.append(KeyText(name, r.names(*r.group())))
            _conflict_clause(r)
        elif r.accept("CHECK"):
            table.checks.append(CheckText(name, r.expression(*r.group())))
        elif r.accept("FOREIGN", "KEY"):
            columns = r.names(*r.group())
            table.foreign_keys.append(_references(r, name, columns))
        else:
            raise r.error("unexpected word in a table constraint")


def _conflict_clause(r: _Reader) -> None:
    if r.accept("ON", "CONFLICT"):
        r.skip()


def _references(r: _Reader, name: str | None, columns: tuple[str, ...]) -> ForeignKeyText:
    """`REFERENCES t [(cols)] [ON DELETE|UPDATE action | MATCH x]* [[NOT] DEFERRABLE [INITIALLY ...]]`.
    The actions are read from PRAGMA foreign_key_list; only DEFERRABLE is taken from here."""
    r.expect("REFERENCES")
    ref_table = r.name()
    ref_columns = r.names(*r.group()) if r.at("(") else ()
    deferrable = deferred = False
    while True:
        if r.accept("ON"):
            r.skip()  # DELETE / UPDATE
            if r.accept("SET") or r.accept("NO"):
                r.skip()  # NULL, DEFAULT / ACTION
            else:
                r.skip()  # CASCADE, RESTRICT
        elif r.accept("MATCH"):
            r.skip()
        elif r.accept("NOT", "DEFERRABLE"):
            deferrable = deferred = False
            if r.accept("INITIALLY"):
                r.skip()
        elif r.accept("DEFERRABLE"):
            deferrable = True
            deferred = r.accept("INITIALLY", "DEFERRED")
            _ = deferred or r.accept("INITIALLY", "IMMEDIATE")
        else:
            break
    return ForeignKeyText(name, columns, ref_table, ref_columns, deferrable, deferred)


# --- CREATE INDEX / CREATE VIEW -----------------------------------------------------------


def read_index(sql: str, what: str) -> IndexText:
    """Read `CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON table (key, ...) [WHERE expr]`."""
    r = _Reader.of(sql, what)
    r.expect("CREATE")
    r.accept("UNIQUE")
    r.expect("INDEX")
    if r.accept("IF"):
        r.expect("NOT", "EXISTS")
    r.qualified_name()
    r.expect("ON")
    r.name()
    keys = tuple(_index_key(item) for item in r.split(*r.group()))
    where = r.expression(r.pos, r.stop) if r.accept("WHERE") else None
    if not r.done and where is None:
        raise r.error("unexpected words after the index keys")
    return IndexText(keys, where)


def _index_key(r: _Reader) -> exp.Expression:
    stop = r.stop
    if r.words[stop - 1].word in ("ASC", "DESC"):
        stop -= 1
    if stop - 2 > r.pos and r.words[stop - 2].word == "COLLATE":
        stop -= 2  # the collation is read from PRAGMA index_xinfo
    return r.expression(r.pos, stop)


def read_view(sql: str, what: str) -> ViewText:
    """Read `CREATE VIEW [IF NOT EXISTS] name [(col, ...)] AS select`. A column list becomes
    aliases on the select's outputs, which is what it means."""
    r = _Reader.of(sql, what)
    r.expect("CREATE")
    while not r.done and not r.at("AS") and not r.at("("):
        r.skip()
    columns = r.names(*r.group()) if r.at("(") else ()
    r.expect("AS")
    query = r.expression(r.pos, r.stop)
    if not isinstance(query, (exp.Query, exp.Values)):
        raise r.error("the body is not a query")
    if columns:
        if not isinstance(query, exp.Select) or len(query.expressions) != len(columns):
            raise IntrospectionError(f"cannot read {what}: its column list does not match a plain SELECT")
        query.set(
            "expressions",
            [
                exp.alias_(e.unalias(), exp.to_identifier(c, quoted=True))
                for e, c in zip(query.expressions, columns, strict=True)
            ],
        )
    return ViewText(query)
