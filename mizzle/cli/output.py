"""Everything the CLI prints besides a command's product: errors, warnings and notes on
stderr, one line each. Passwords never reach them: mizzle's own messages show URLs redacted
(mizzle.core.urls), and text mizzle did not write is checked with `Secrets.reveals`."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING

from mizzle.core.urls import DatabaseURL

if TYPE_CHECKING:
    from rich.console import Console

# rich is imported where a message is styled: a command whose output is plain lines (a
# `migrate` with nothing to do) does not pay for it (30-40 ms of a 0.1 s start).


class Secrets:
    """The secrets of the URLs a command parsed, to keep text mizzle did not write (an
    exception's message, a traceback) from showing them. Such a text is withheld whole,
    never masked in place: masking the password's text wherever it occurs mangles the
    message (`***ql://` for the password `postgres`) and shows whoever compares what the
    password is."""

    def __init__(self) -> None:
        self._urls: list[DatabaseURL] = []

    def remember(self, url: DatabaseURL) -> DatabaseURL:
        self._urls.append(url)
        return url

    def reveals(self, text: str) -> bool:
        return any(url.reveals(text) for url in self._urls)


def stderr() -> Console:
    # Built per call so that it writes to whatever sys.stderr is now (tests swap it);
    # soft_wrap: a message is one line however narrow the terminal.
    from rich.console import Console

    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def stdout() -> Console:
    from rich.console import Console

    return Console(file=sys.stdout, soft_wrap=True, highlight=False)


def line(text: str) -> None:
    """One line of a command's product on stdout, as it is: no markup, no emoji codes."""
    sys.stdout.write(text + "\n")


def one_line(message: str) -> str:
    """Driver messages can span lines (libpq adds hints): the CLI promises one line."""
    return "; ".join(part.strip() for part in message.splitlines() if part.strip())


def error(message: str) -> None:
    from rich.text import Text

    stderr().print(Text("error: ", style="bold red") + Text(one_line(message)))


def warning(message: str) -> None:
    from rich.text import Text

    stderr().print(Text("warning: ", style="yellow") + Text(one_line(message)))


def note(message: str) -> None:
    """A remark on generated SQL, spelled as an SQL comment so the output stays valid SQL."""
    from rich.text import Text

    stderr().print(Text(f"-- note: {message}", style="dim"))


_MARKUP_TAG = re.compile(r"(\\*)(\[[a-z#/@][^[]*?])")


def escape_markup(text: str) -> str:
    """`text` with what rich would take for a style tag (`[tool.mizzle]`) escaped: rich's own
    `rich.markup.escape`, repeated here so that preparing the commands' help texts (which
    every command does, help shown or not) does not import rich."""
    escaped = _MARKUP_TAG.sub(lambda m: f"{m[1]}{m[1]}\\{m[2]}", text)
    if escaped.endswith("\\") and not escaped.endswith("\\\\"):
        return escaped + "\\"
    return escaped
