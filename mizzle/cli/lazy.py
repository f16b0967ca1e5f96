"""Commands loaded on first use. The `mizzle` group knows every command by name (for `--help`,
for the "did you mean" of a typo) but imports a command's module, and has typer build its
options, only when that command runs or its help is shown: importing every command module
and building every command's options cost each start-up more than the command it ran."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

import typer
from typer.core import TyperGroup

#: A command's name → (the module under `mizzle.cli` holding its function, the function's name).
CommandTable = Mapping[str, tuple[str, str]]


class LazyCommands(MutableMapping[str, Any]):
    """The group's `commands` mapping: its keys are the table's names; a value is the click
    command, built from the function the first time it is looked up and kept. `prepare` is
    applied to each command built (the help texts shown as written)."""

    def __init__(self, table: CommandTable, prepare: Callable[[Any], Any]) -> None:
        self._table = dict(table)
        self._prepare = prepare
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            module, function = self._table[name]  # KeyError for an unknown name, as a dict
            loaded = importlib.import_module(f"mizzle.cli.{module}")
            target = getattr(loaded, function)
            if isinstance(target, typer.Typer):  # a group of commands: each prepared too
                group = typer.main.get_command(target)
                for sub in getattr(group, "commands", {}).values():
                    self._prepare(sub)
                self._built[name] = self._prepare(group)
            else:
                self._built[name] = self._prepare(_build(name, target))
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._table.setdefault(name, ("", ""))
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._table[name]
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table)

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, name: object) -> bool:
        return name in self._table


def _build(name: str, function: Callable[..., Any]) -> Any:
    """The click command typer makes of `function`, alone: a Typer app of one command and no
    callback is that command itself."""
    one = typer.Typer(add_completion=False)
    one.command(name)(function)
    return typer.main.get_command(one)


def lazy_group(table: CommandTable, prepare: Callable[[Any], Any]) -> type[TyperGroup]:
    """A TyperGroup class (typer builds the group from the class) whose commands are `table`'s,
    loaded on first use."""

    class LazyGroup(TyperGroup):
        def __init__(self, **attrs: Any) -> None:
            super().__init__(**attrs)
            self.commands = LazyCommands(table, prepare)

    return LazyGroup
