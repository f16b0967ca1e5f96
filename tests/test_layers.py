"""The floors of the house (docs/architecture.md), checked on the source: each floor imports
only the floors below it, and the modules do not import each other in a circle.

Every import counts, at module level or inside a function, and also those made for type
checking only: a lazy import is still a dependency of the design."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mizzle"

#: floor → the floors it must not import (each floor may import those below it)
FORBIDDEN = {
    "core": {"dialects", "sources", "app", "cli", "wasm", "studio", "sync"},
    "dialects": {"sources", "app", "cli", "wasm", "studio"},
    "sources": {"app", "cli", "wasm", "studio"},
    "app": {"cli", "studio"},
    # The browser's side: its runtime and the bundle writer sit on core and the SQLite dialect.
    "wasm": {"sources", "app", "cli", "studio"},
    # An edge: argument parsing, prompts and printing over the use cases (`app`) and core's
    # errors and types; what a command does lives in `app`, never here.
    "cli": {"dialects", "sources", "wasm", "sync", "dsl", "studio"},
}


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def _imports(name: str, path: Path) -> Iterator[tuple[str, int, bool]]:
    """(imported module, line, at module level outside TYPE_CHECKING) for every import."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def visit(node: ast.AST, top: bool) -> Iterator[tuple[str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield alias.name, child.lineno, top
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                yield base, child.lineno, top
                for alias in child.names:  # `from mizzle.core import runner` imports a module
                    yield f"{base}.{alias.name}", child.lineno, top
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from visit(child, False)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                yield from visit(child, False if not isinstance(child, ast.ClassDef) else top)
            else:
                yield from visit(child, top)

    yield from visit(tree, True)


def _floor(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "mizzle" else None


MODULES = dict(_modules())


@pytest.mark.parametrize("floor", sorted(FORBIDDEN))
def test_a_floor_imports_only_the_floors_below_it(floor: str) -> None:
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
        for name, path in MODULES.items()
        if _floor(name) == floor
        for target, line, _top in _imports(name, path)
        if _floor(target) in FORBIDDEN[floor]
    ]
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_itself_back_at_import_time() -> None:
    """No cycle among module-level imports (those that run when a module is imported)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        graph[name] = {
            target
            for target, _line, top in _imports(name, path)
            if top and target in MODULES and target != name and not name.startswith(target + ".")
        }
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


#: terminal libraries: only the edges (`cli`) use them; a use case returns, it never prints or asks
TERMINAL = {"typer", "rich", "click"}


def test_the_use_cases_import_no_terminal_library() -> None:
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {target}"
        for name, path in MODULES.items()
        if _floor(name) in {"core", "dialects", "sources", "app"}
        for target, line, _top in _imports(name, path)
        if target.split(".")[0] in TERMINAL
    ]
    assert not wrong, "\n".join(wrong)


#: the built-in dialects' names, which only their own folders (and the registry) may test for
_DIALECT_NAMES = {"postgresql", "sqlite"}

#: modules where such a name means something else
_NOT_A_DIALECT = {
    # the SQLAlchemy module `sqlalchemy.dialects.postgresql`, imported by the code it writes
    "mizzle.sources.sqlalchemy.write",
}


def _tests_for_a_dialect(path: Path) -> Iterator[int]:
    """Lines comparing something with a dialect's name (`dialect == "sqlite"`, `in ("postgresql", ...)`)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                names = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                if any(isinstance(n, ast.Constant) and n.value in _DIALECT_NAMES for n in names):
                    yield node.lineno


def test_no_branch_on_a_dialect_outside_the_dialects() -> None:
    """Per-database behaviour is the dialect's (`mizzle.dialects.Dialect`): anything else asks
    `get_dialect(name)` for it, so adding a database edits no `if dialect == ...` elsewhere."""
    wrong = [
        f"{path.relative_to(PACKAGE.parent)}:{line}"
        for name, path in MODULES.items()
        if _floor(name) != "dialects" and name not in _NOT_A_DIALECT
        for line in _tests_for_a_dialect(path)
    ]
    assert not wrong, "\n".join(wrong)
