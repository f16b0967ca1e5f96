"""Questions asked on a terminal: what became of a table or column that disappeared (a rename
or a drop), and whether to go ahead with a change that loses data.

Asked only when both stdin and stderr are terminals: a run in CI or a pipe never waits for an
answer; the command then needs flags (`--rename`, `--drop`, `--force`) and its error says which.
Questions and menus go to stderr, so stdout stays the command's product.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

import typer

from mizzle.cli import output
from mizzle.core.errors import MizzleError

if TYPE_CHECKING:
    from rich.console import Console

    from mizzle.core.renames import Asker, Kind

# rich (its console, markup and prompts) is imported when a question is asked: a command run
# off a terminal, or with nothing to ask, does not pay for it.


def interactive() -> bool:
    """Whether a person can answer: stdin and stderr are both terminals."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def _console() -> Console:
    from rich.console import Console

    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def rename_asker(console: Console | None = None, stream: TextIO | None = None) -> Asker:
    """An `Asker` for the diff: a numbered menu per table or column that disappeared while
    compatible ones appeared. `console`/`stream`: where to write and read (a test's buffers);
    by default stderr and stdin."""

    def ask(kind: Kind, table: str | None, old: str, candidates: list[str]) -> str | None:
        from rich.markup import escape
        from rich.prompt import Prompt

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


def confirm_losses(command: str, losses: Sequence[object], *, flags: str = "") -> None:
    """Go ahead with a `command` ("push", "rollback") that loses data only when a person says
    so: off a terminal the command stops with one line naming `--force` (and `flags`, other
    ways out), listing every loss; on one, each loss is a warning and the answer decides.
    Raises MizzleError when it does not go ahead: nothing has been changed yet."""
    if not interactive():
        raise MizzleError(
            f"{command} would lose data: {'; '.join(map(str, losses))}. Pass --force to {_verb(command)} anyway "
            f"(--dry-run shows the SQL){flags}"
        )
    for loss in losses:
        output.warning(f"this {command} loses data: {loss}")
    if not confirm(f"{_verb(command)} anyway?"):
        raise MizzleError(f"{command} cancelled: nothing was changed")


def _verb(command: str) -> str:
    """ "rollback" → "roll back": the command's name as a verb."""
    return "roll back" if command == "rollback" else command


def confirm(question: str, console: Console | None = None, stream: TextIO | None = None) -> bool:
    """A yes/no question, no by default."""
    from rich.prompt import Confirm

    try:
        return Confirm.ask(question, console=console or _console(), default=False, stream=stream)
    except EOFError:
        raise typer.Abort() from None
