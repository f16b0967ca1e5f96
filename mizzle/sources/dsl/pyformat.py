"""Python source laid out the way `ruff format` lays it out, for the code `codegen.py` writes.

Generated schema modules must pass `ruff format --check` without running ruff (it is not
there in the browser, nor in every project). They use a small part of Python: imports,
assignments, class bodies, calls, attribute chains, lists, strings and plain atoms. This
module builds that part as a tree (`Call`, `Attr`, `Kw`, `ListOf`, `Str`, `Code`) and prints
it with ruff's rules, which are Prettier's: a bracketed group goes on one line when it fits,
else it breaks; ruff's choices on top of that are reproduced here:

- call arguments are a group inside the bracket group, so a call that breaks first tries
  its arguments on one indented line (`primary_key(\\n    "a", "b"\\n)`), then one per line;
  lists break one item per line; a broken group of two or more items gets a trailing comma;
- an assignment whose value does not fit keeps `target = f(` on the first line when that
  fits, else wraps the value in parentheses; a call chain with two or more calls after the
  first (`integer().not_null().unique()`) is always parenthesized and then broken before
  each `.method()` ("fluent" style);
- tuples are printed like lists, a one-item tuple keeps its comma: `(x,)`;
- a string too long for its line becomes an implicit concatenation of parts that fit, split
  after spaces (ruff keeps such parts, one per line); quotes are double unless the text holds
  more double quotes than single ones.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

# --- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """An atom printed as it is: a name, a number, `True`, `lambda: Tune.id`..."""

    text: str


@dataclass(frozen=True)
class Str:
    """A string literal."""

    value: str


@dataclass(frozen=True)
class Attr:
    value: Expr
    name: str


@dataclass(frozen=True)
class Call:
    func: Expr
    args: tuple[Expr, ...] = ()


@dataclass(frozen=True)
class Kw:
    """A keyword argument `name=value`."""

    name: str
    value: Expr


@dataclass(frozen=True)
class Lambda:
    """`lambda: body`; ruff puts a body that does not fit in parentheses."""

    body: Expr


@dataclass(frozen=True)
class ListOf:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class TupleOf:
    items: tuple[Expr, ...]


Expr = Code | Str | Attr | Call | Kw | Lambda | ListOf | TupleOf


@dataclass(frozen=True)
class Assign:
    target: str
    value: Expr


@dataclass(frozen=True)
class ClassDef:
    name: str
    bases: tuple[str, ...]
    body: tuple[Assign, ...]


@dataclass(frozen=True)
class ImportFrom:
    module: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Docstring:
    text: str


Statement = Assign | ClassDef | ImportFrom | Docstring


def call(func: str | Expr, *args: Expr) -> Call:
    return Call(Code(func) if isinstance(func, str) else func, args)


def method(value: Expr, name: str, *args: Expr) -> Call:
    return Call(Attr(value, name), args)


# --- string literals -----------------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@functools.lru_cache(maxsize=4096)
def string_literal(value: str) -> str:
    """`value` as ruff writes a string: double quotes unless that needs more escapes.
    (Memoized: a module repeats its literals, and the printer measures each several times.)"""
    quote = "'" if value.count('"') > value.count("'") else '"'
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + ch)
        elif not ch.isprintable():
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(ch)
    return quote + "".join(out) + quote


def text_width(text: str) -> int:
    """Columns `text` takes in an editor, as ruff counts them (wide East Asian characters: 2)."""
    if text.isascii():  # nearly always: one column per character
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def split_string(value: str, width: int) -> list[str]:
    """Pieces of `value` whose literals fit in `width` columns, cut after spaces where possible."""
    words: list[str] = []
    for word in value.split(" "):
        words.append(word + " ")
    words[-1] = words[-1][:-1]
    parts: list[str] = []
    current = ""
    for word in words:
        if not word:
            continue
        if current and text_width(string_literal(current + word)) > width:
            parts.append(current)
            current = ""
        while text_width(string_literal(word)) > width and len(word) > 1:
            # a word longer than the line: cut it where it stops fitting
            cut = 1
            while cut < len(word) and text_width(string_literal(current + word[: cut + 1])) <= width:
                cut += 1
            parts.append(current + word[:cut])
            current, word = "", word[cut:]
        current += word
    if current or not parts:
        parts.append(current)
    return parts


# --- the document the printer lays out ----------------------------------------------------


class Line(Enum):
    SOFT = ""  # nothing when flat
    SPACE = " "  # a space when flat


class Group:
    """A group: flat when it fits, else broken. Its flat width is measured once and kept
    (the printer asks for it at every enclosing group it tries, then again at its own)."""

    __slots__ = ("_width", "contents")

    def __init__(self, contents: Doc) -> None:
        self.contents = contents
        self._width = -1

    def flat_width(self) -> int:
        if self._width < 0:
            self._width = text_width(_flat(self.contents))
        return self._width


@dataclass(frozen=True)
class Indent:
    contents: Doc


@dataclass(frozen=True)
class IfBreak:
    """`broken` when the enclosing group is broken, else `flat`."""

    broken: Doc
    flat: Doc = ""


@dataclass(frozen=True)
class StrDoc:
    """A string literal that becomes an implicit concatenation when its group breaks and the
    whole literal does not fit where it stands."""

    value: str


Doc = str | Line | Group | Indent | IfBreak | StrDoc | list["Doc"]


class Mode(Enum):
    FLAT = 0
    BREAK = 1


INDENT = 4


def to_doc(expr: Expr) -> Doc:
    if isinstance(expr, Code):
        return expr.text
    if isinstance(expr, Str):
        return StrDoc(expr.value)
    if isinstance(expr, Kw):
        return [expr.name, "=", to_doc(expr.value)]
    if isinstance(expr, Lambda):
        return ["lambda: ", Group([IfBreak("("), Indent([Line.SOFT, to_doc(expr.body)]), Line.SOFT, IfBreak(")")])]
    if isinstance(expr, Attr):
        return [to_doc(expr.value), ".", expr.name]
    if isinstance(expr, Call):
        if _calls_after_calls(expr) >= 2:
            return _fluent(expr)
        return [to_doc(expr.func), _arguments(expr.args)]
    items = [to_doc(i) for i in expr.items]
    if isinstance(expr, TupleOf):
        if len(items) == 1:  # `(x,)`: the comma makes the tuple, so it stays when flat
            return Group(["(", Indent([Line.SOFT, items[0], ","]), Line.SOFT, ")"])
        return _bracketed("(", items, ")", inner_group=False)
    return _bracketed("[", items, "]", inner_group=False)


def _arguments(args: tuple[Expr, ...]) -> Doc:
    return _bracketed("(", [to_doc(a) for a in args], ")", inner_group=True)


def _bracketed(open_: str, items: list[Doc], close: str, *, inner_group: bool) -> Doc:
    if not items:
        return open_ + close
    joined: list[Doc] = []
    for i, item in enumerate(items):
        if i:
            joined += [",", Line.SPACE]
        joined.append(item)
    if len(items) > 1:
        joined.append(IfBreak(","))
    body: Doc = Group(joined) if inner_group else joined
    return Group([open_, Indent([Line.SOFT, body]), Line.SOFT, close])


def flat_source(expr: Expr) -> str:
    """`expr` on one line: what `_flat(to_doc(expr))` gives, without building the document."""
    if isinstance(expr, Code):
        return expr.text
    if isinstance(expr, Str):
        return string_literal(expr.value)
    if isinstance(expr, Attr):
        return f"{flat_source(expr.value)}.{expr.name}"
    if isinstance(expr, Call):
        return f"{flat_source(expr.func)}({', '.join([flat_source(a) for a in expr.args])})"
    if isinstance(expr, Kw):
        return f"{expr.name}={flat_source(expr.value)}"
    if isinstance(expr, Lambda):
        return f"lambda: {flat_source(expr.body)}"
    items = ", ".join([flat_source(i) for i in expr.items])
    if isinstance(expr, TupleOf):
        return f"({items},)" if len(expr.items) == 1 else f"({items})"
    return f"[{items}]"


def _flat(doc: Doc) -> str:
    if isinstance(doc, str):
        return doc
    if isinstance(doc, Line):
        return doc.value
    if isinstance(doc, (Group, Indent)):
        return _flat(doc.contents)
    if isinstance(doc, IfBreak):
        return _flat(doc.flat)
    if isinstance(doc, StrDoc):
        return string_literal(doc.value)
    return "".join(_flat(d) for d in doc)


class _Printer:
    """Prettier's algorithm: a group is printed flat when it fits in what is left of the line,
    measured up to the next place the enclosing (broken) layout can break."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.out: list[str] = []
        self.column = 0

    def print(self, doc: Doc, indent: int) -> None:
        stack: list[tuple[int, Mode, Doc]] = [(indent, Mode.BREAK, doc)]
        while stack:
            ind, mode, d = stack.pop()
            if isinstance(d, str):
                self.write(d)
            elif isinstance(d, list):
                stack.extend((ind, mode, x) for x in reversed(d))
            elif isinstance(d, Indent):
                stack.append((ind + INDENT, mode, d.contents))
            elif isinstance(d, Group):
                if mode is Mode.FLAT or self.fits([(ind, Mode.FLAT, d)], stack):
                    stack.append((ind, Mode.FLAT, d.contents))
                else:
                    stack.append((ind, Mode.BREAK, d.contents))
            elif isinstance(d, IfBreak):
                stack.append((ind, mode, d.broken if mode is Mode.BREAK else d.flat))
            elif isinstance(d, Line):
                if mode is Mode.FLAT:
                    self.write(d.value)
                else:
                    self.newline(ind)
            else:
                literal = string_literal(d.value)
                if mode is Mode.FLAT or self.fits([(ind, Mode.FLAT, literal)], stack):
                    self.write(literal)
                else:
                    # The rest of the line after the last part (a comma) must fit too.
                    room = self.width - self.column - self.trailing(stack)
                    for i, part in enumerate(split_string(d.value, room)):
                        if i:
                            self.newline(ind)
                        self.write(string_literal(part))

    def write(self, text: str) -> None:
        self.out.append(text)
        self.column += text_width(text)

    def newline(self, indent: int) -> None:
        self.out.append("\n" + " " * indent)
        self.column = indent

    def fits(self, next_: list[tuple[int, Mode, Doc]], rest: list[tuple[int, Mode, Doc]]) -> bool:
        remaining = self.width - self.column
        return self.line_width(next_, rest, remaining) <= remaining

    def trailing(self, rest: list[tuple[int, Mode, Doc]]) -> int:
        """Width of what follows on the current line."""
        return self.line_width([], rest, self.width)

    @staticmethod
    def line_width(todo: list[tuple[int, Mode, Doc]], rest: list[tuple[int, Mode, Doc]], limit: int) -> int:
        """Width of `todo` (flat where its mode says so) and then of `rest`, up to the first
        line break of a broken group; counting stops once past `limit`."""
        todo = list(todo)
        rest_index = len(rest)
        width = 0
        while width <= limit:
            if not todo:
                if rest_index == 0:
                    break
                rest_index -= 1
                todo.append(rest[rest_index])
                continue
            ind, mode, d = todo.pop()
            if isinstance(d, str):
                width += text_width(d)
            elif isinstance(d, list):
                todo.extend((ind, mode, x) for x in reversed(d))
            elif isinstance(d, Group) and mode is Mode.FLAT:
                width += d.flat_width()  # no line break inside a flat group
            elif isinstance(d, (Indent, Group)):
                todo.append((ind, mode, d.contents))
            elif isinstance(d, IfBreak):
                todo.append((ind, mode, d.broken if mode is Mode.BREAK else d.flat))
            elif isinstance(d, Line):
                if mode is Mode.BREAK:
                    break
                width += len(d.value)
            else:
                width += text_width(string_literal(d.value))
        return width

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in "".join(self.out).split("\n"))


# --- statements ---------------------------------------------------------------------------


def _calls_after_calls(expr: Expr) -> int:
    """How many `.name` of the chain follow a call: ruff's test for the fluent layout."""
    count = 0
    while True:
        if isinstance(expr, Call):
            expr = expr.func
        elif isinstance(expr, Attr):
            if isinstance(expr.value, Call):
                count += 1
            expr = expr.value
        else:
            return count


def _fluent(expr: Expr) -> Doc:
    """A call chain broken before each `.name` that follows a call."""
    links: list[Doc] = []
    while True:
        if isinstance(expr, Call):
            links.append(_arguments(expr.args))
            expr = expr.func
        elif isinstance(expr, Attr) and isinstance(expr.value, Call):
            links += [expr.name, ".", Line.SOFT]
            expr = expr.value
        elif isinstance(expr, Attr):
            links += [expr.name, "."]
            expr = expr.value
        else:
            links.append(to_doc(expr))
            return Group(list(reversed(links)))


def _print_assign(stmt: Assign, indent: int, width: int) -> str:
    """`target = value`, choosing among ruff's layouts: all on one line; the value breaking
    its own brackets (left to right, as groups do) when the first line of that fits; the
    value in parentheses when every line of that fits, or always for a fluent call chain;
    else the value's own brackets again."""
    start = " " * indent + stmt.target + " = "
    value = stmt.value
    flat = flat_source(value)
    if text_width(start + flat) <= width:  # most assignments: no document to lay out
        return start + flat
    doc = to_doc(value)
    fluent = _calls_after_calls(value) >= 2
    if isinstance(doc, StrDoc):
        # A bare string split into parts needs the parentheses: without them the parts after
        # the first are statements of their own and the value is cut (valid Python, so ruff
        # keeps it as it is).
        return _layout(start + "(", [Indent([Line.SOFT, doc]), Line.SOFT, ")"], indent, width)
    # Each layout is printed only when the choice gets to it (the same choice as printing both first).
    own = _layout(start, doc, indent, width) if not fluent else ""
    if not fluent and text_width(own.split("\n")[0]) <= width:
        return own
    parenthesized = _layout(start + "(", [Indent([Line.SOFT, doc]), Line.SOFT, ")"], indent, width)
    if fluent or all(text_width(line) <= width for line in parenthesized.split("\n")):
        return parenthesized
    return own


def _layout(start: str, doc: Doc, indent: int, width: int) -> str:
    printer = _Printer(width)
    printer.write(start)
    printer.print(doc, indent)
    return printer.text()


def _print_import(stmt: ImportFrom, width: int) -> str:
    line = f"from {stmt.module} import {', '.join(stmt.names)}"
    if text_width(line) <= width:
        return line
    names = "".join(f"    {n},\n" for n in stmt.names)
    return f"from {stmt.module} import (\n{names})"


def format_module(statements: Sequence[Statement], line_length: int = 100) -> str:
    """The module's source, with ruff's blank lines: two around classes, one after the imports
    and the docstring."""
    chunks: list[str] = []
    previous: Statement | None = None
    for stmt in statements:
        if previous is not None:
            if isinstance(stmt, ClassDef) or isinstance(previous, ClassDef):
                chunks.append("\n\n")
            elif type(stmt) is not type(previous):
                chunks.append("\n")
        chunks.append(_print_statement(stmt, line_length) + "\n")
        previous = stmt
    return "".join(chunks)


def _print_statement(stmt: Statement, width: int) -> str:
    if isinstance(stmt, Docstring):
        return f'"""{stmt.text}"""'
    if isinstance(stmt, ImportFrom):
        return _print_import(stmt, width)
    if isinstance(stmt, Assign):
        return _print_assign(stmt, 0, width)
    bases = f"({', '.join(stmt.bases)})" if stmt.bases else ""
    lines = [f"class {stmt.name}{bases}:"]
    lines += [_print_assign(a, INDENT, width) for a in stmt.body] or ["    pass"]
    return "\n".join(lines)
