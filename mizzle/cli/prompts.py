"""Questions asked on a terminal: what became of a table or column that disappeared (a rename
or a drop), and whether to go ahead with a change that loses data.

Asked only when both stdin and stderr are terminals: a run in CI or a pipe never waits for an
answer; the command then needs flags (`--rename`, `--drop`, `--force`) and its error says which.
Questions and menus go to stderr, so stdout stays the command's product.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, Prompt

if TYPE_CHECKING:
    from mizzle.core.renames import Asker, Kind


def interactive() -> bool:
    """Whether a person can answer: stdin and stderr are both terminals."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def _console() -> Console:
    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def rename_asker(console: Console | None = None, stream: TextIO | None = None) -> Asker:
    """An `Asker` for the diff: a numbered menu per table or column that disappeared while
    compatible ones appeared. `console`/`stream`: where to write and read (a test's buffers);
    by default stderr and stdin."""

    def ask(kind: Kind, table: str | None, old: str, candidates: list[str]) -> str | None:
        out = console or _console()
        subject = old if table is None else f"{table}.{old}"
        appeared = ", ".join(candidates if table is None else [f"{table}.{c}" for c in candidates])
        lost = "its rows are lost" if kind == "table" else "its values are lost"
        out.print(f"{kind} [bold]{escape(subject)}[/bold] is gone from the schema and {escape(appeared)} appeared:")
        choices = [f"renamed to {c}" for c in candidates] + [f"dropped ({lost})"]
        for number, choice in enumerate(choices, 1):
            out.print(f"  {number}) {escape(choice)}")
        numbers = [str(n) for n in range(1, len(choices) + 1)]
        try:
            answer = Prompt.ask("which one?", console=out, choices=numbers, stream=stream)
        except EOFError:  # Ctrl-D: no answer is not an answer
            raise typer.Abort() from None
        picked = int(answer) - 1
        return candidates[picked] if picked < len(candidates) else None

    return ask


def confirm(question: str, console: Console | None = None, stream: TextIO | None = None) -> bool:
    """A yes/no question, no by default."""
    try:
        return Confirm.ask(question, console=console or _console(), default=False, stream=stream)
    except EOFError:
        raise typer.Abort() from None
