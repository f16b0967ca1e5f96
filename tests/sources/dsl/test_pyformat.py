"""The ruff-compatible printer: its pieces, and a differential test against ruff itself on
random modules made of what the code generator writes."""

from __future__ import annotations

import keyword
import random
import subprocess
import sys
from pathlib import Path

import pytest

from mizzle.sources.dsl.pyformat import (
    Assign,
    Attr,
    ClassDef,
    Code,
    Docstring,
    Expr,
    ImportFrom,
    Kw,
    Lambda,
    ListOf,
    Statement,
    Str,
    TupleOf,
    call,
    flat_source,
    format_module,
    method,
    split_string,
    string_literal,
    to_doc,
)
from mizzle.sources.dsl.pyformat import _flat as flat_document

RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ("it's", '"it\'s"'),
        ('say "hi"', "'say \"hi\"'"),
        ("both ' and \"", '"both \' and \\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("line\nnext\ttab", '"line\\nnext\\ttab"'),
        ("bell\x07", '"bell\\x07"'),
        ("Ünïcode", '"Ünïcode"'),
    ],
)
def test_string_literal_quotes_like_ruff(value: str, literal: str) -> None:
    assert string_literal(value) == literal


def test_split_string_cuts_after_spaces_and_inside_long_words() -> None:
    assert split_string("select a from b where c", 12) == ["select a ", "from b ", "where c"]
    assert split_string("x" * 25, 12) == ["x" * 10, "x" * 10, "x" * 5]
    assert "".join(split_string("a  b   c " * 9, 10)) == "a  b   c " * 9


@pytest.mark.parametrize(
    ("statement", "text"),
    [
        (Assign("x", call("f", Code("1"), Kw("b", Str("c")))), 'x = f(1, b="c")'),
        (Assign("x", TupleOf((Code("a"),))), "x = (a,)"),
        (Assign("x", method(method(call("integer"), "not_null"), "unique")), "x = integer().not_null().unique()"),
        (ImportFrom("m", ("A", "b")), "from m import A, b"),
    ],
)
def test_short_statements_stay_on_one_line(statement: Statement, text: str) -> None:
    assert format_module([statement]) == text + "\n"


def test_blank_lines_between_statements() -> None:
    module: list[Statement] = [
        Docstring("Doc."),
        ImportFrom("m", ("a",)),
        Assign("A", Code("1")),
        Assign("B", Code("2")),
        ClassDef("C", ("Table",), ()),
        ClassDef("D", (), (Assign("x", Code("1")),)),
        Assign("E", Code("3")),
    ]
    assert format_module(module) == (
        '"""Doc."""\n\nfrom m import a\n\nA = 1\nB = 2\n\n\nclass C(Table):\n    pass\n\n\n'
        "class D:\n    x = 1\n\n\nE = 3\n"
    )


@pytest.mark.parametrize("indent_class", [False, True])
def test_a_long_string_assigned_keeps_its_whole_value(indent_class: bool) -> None:
    """A string too long for its line is split into parts inside parentheses: the printed
    module assigns the whole value (a table comment pulled from AdventureWorks was cut)."""
    value = "Lookup table containing the departments within the Adventure Works Cycles company. " * 3
    statement = Assign("__comment__", Str(value))
    module = format_module([ClassDef("T", (), (statement,))] if indent_class else [statement])
    namespace: dict[str, object] = {}
    exec(compile(module, "<printed>", "exec"), namespace)
    held = namespace["T"].__comment__ if indent_class else namespace["__comment__"]
    assert held == value
    assert "= (\n" in module


# --- differential test against ruff ---------------------------------------------------------


class _Modules:
    """Random modules shaped like generated schemas: long and short names, call chains of
    every length, long SQL strings with quotes, lambdas, lists, tuples and keywords."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def ident(self, low: int = 1, high: int = 63) -> str:
        name = "".join(self.r.choice("abcdefghij_") for _ in range(self.r.randint(low, high))).strip("_") or "x"
        return name + "z" if keyword.iskeyword(name) else name

    def pascal(self) -> str:
        return "T" + self.ident(1, 62)

    def name(self) -> Str:
        return Str(self.ident())

    def sql(self) -> Str:
        words = ["a", "'x y'", '"Col"', "LOWER(title)", "=", "<>", "AND", "'it''s'", "1.5", "t" * self.r.randint(1, 40)]
        return Str(" ".join(self.r.choice(words) for _ in range(self.r.randint(1, self.r.choice([3, 10, 40])))))

    def literal(self) -> Expr:
        k = self.r.random()
        if k < 0.3:
            return Code(str(self.r.randint(-(10**6), 10 ** self.r.randint(1, 15))))
        if k < 0.5:
            return Code(self.r.choice(["True", "False", "None", "4.99"]))
        return self.sql() if k < 0.8 else Str("y" * self.r.randint(1, 150))

    def default(self) -> Expr:
        k = self.r.random()
        if k < 0.2:
            return call("now")
        if k < 0.5:
            return call("sql", self.sql())
        if k < 0.7:
            return ListOf(tuple(self.literal() for _ in range(self.r.randint(0, 5))))
        return self.literal()

    def named(self) -> list[Expr]:
        return [Kw("name", self.name())] if self.r.random() < 0.3 else []

    def target(self) -> Expr:
        column: Expr = Attr(Code(self.pascal()), self.ident())
        return Lambda(column) if self.r.random() < 0.5 else column

    def column(self) -> Expr:
        if self.r.random() < 0.2:
            expr: Expr = method(Code(self.pascal()), "column")
        else:
            sizes = [Code(str(self.r.randint(1, 300))) for _ in range(self.r.randint(0, 2))]
            expr = call(self.r.choice(["integer", "varchar", "numeric", "custom"]), *sizes)
        r = self.r.random
        modifiers: list[tuple[str, list[Expr]]] = [
            ("array", [] if r() < 0.5 else [Kw("dims", Code("2"))]),
            ("name", [self.name()]),
            ("primary_key", self.named()),
            ("not_null", []),
            ("unique", self.named()),
            ("default", [self.default()]),
            ("references", [self.target(), *[Kw("on_delete", Str("cascade"))] * (r() < 0.5), *self.named()]),
        ]
        for name, args in modifiers:
            if r() < 0.35:
                expr = method(expr, name, *args)
        return expr

    def key(self) -> Expr:
        key: Expr = self.name() if self.r.random() < 0.6 else call("sql", self.sql())
        return call("desc", key, Kw("nulls", Str("first"))) if self.r.random() < 0.3 else key

    def table_level(self) -> Assign:
        n = self.r.randint(1, 4)
        k = self.r.randint(0, 3)
        if k == 0:
            return Assign("__primary_key__", call("primary_key", *[self.name() for _ in range(n)], *self.named()))
        if k == 1:
            return Assign("__checks__", TupleOf(tuple(call("check", self.sql(), *self.named()) for _ in range(n))))
        if k == 2:
            fks = []
            for _ in range(n):
                m = self.r.randint(1, 4)
                columns, refs = (
                    ListOf(tuple(self.name() for _ in range(m))),
                    ListOf(tuple(self.name() for _ in range(m))),
                )
                target: Expr = Code(self.pascal())
                fks.append(call("foreign_key", columns, Lambda(target) if self.r.random() < 0.5 else target, refs))
            return Assign("__foreign_keys__", TupleOf(tuple(fks)))
        indexes = []
        for _ in range(n):
            options = [Kw("unique", Code("True"))] if self.r.random() < 0.3 else []
            options += [Kw("where", call("sql", self.sql()))] if self.r.random() < 0.3 else []
            keys = [self.key() for _ in range(self.r.randint(1, 4))]
            indexes.append(call("index", *keys, *options, *self.named()))
        return Assign("__indexes__", TupleOf(tuple(indexes)))

    def module(self) -> list[Statement]:
        names = tuple(sorted({self.ident(3, 12) for _ in range(self.r.randint(1, 30))}))
        statements: list[Statement] = [Docstring("Doc."), ImportFrom("mizzle.dsl", names)]
        for _ in range(self.r.randint(0, 3)):
            values = ListOf(tuple(self.name() for _ in range(self.r.randint(1, 8))))
            statements.append(Assign(self.pascal(), call("Enum", self.name(), values)))
        for _ in range(30):
            body = [Assign("__tablename__", self.name())] if self.r.random() < 0.3 else []
            body += [Assign(self.ident(1, self.r.choice([10, 63])), self.column()) for _ in range(self.r.randint(0, 6))]
            body += [self.table_level() for _ in range(self.r.randint(0, 3))]
            statements.append(ClassDef(self.pascal(), ("Table",), tuple(body)))
        for _ in range(self.r.randint(0, 3)):
            statements.append(Assign(self.pascal(), call("View", self.name(), call("sql", self.sql()))))
        return statements


def test_printed_modules_are_what_ruff_format_makes_of_them(tmp_path: Path) -> None:
    for seed in range(12):
        (tmp_path / f"module_{seed}.py").write_text(format_module(_Modules(seed).module(), 100))
    config = ["--isolated", "--line-length", "100"]
    result = subprocess.run([RUFF, "format", "--check", "--diff", *config, tmp_path], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[:5000] + result.stderr


def test_flat_source_is_the_documents_flat_text() -> None:
    """The one-line fast path (`flat_source`) writes what laying out the document flat would."""
    seen = 0
    for seed in range(12):
        for stmt in _Modules(seed).module():
            for assign in stmt.body if isinstance(stmt, ClassDef) else [stmt] if isinstance(stmt, Assign) else []:
                assert flat_source(assign.value) == flat_document(to_doc(assign.value))
                seen += 1
    assert seen > 500
