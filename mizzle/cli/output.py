"""Everything the CLI prints besides a command's product: errors, warnings and notes on
stderr, one line each, with every password hidden."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.text import Text

from mizzle.core.urls import DatabaseURL, redact


class Redactor:
    """Hides passwords: those of the URLs the command parsed (raw and %-encoded) and any
    URL-shaped `scheme://user:password@` in the text."""

    def __init__(self) -> None:
        self._urls: list[DatabaseURL] = []

    def remember(self, url: DatabaseURL) -> DatabaseURL:
        self._urls.append(url)
        return url

    def __call__(self, text: str) -> str:
        for url in self._urls:
            text = url.scrub(text)
        return redact(text)


def stderr() -> Console:
    # Built per call so that it writes to whatever sys.stderr is now (tests swap it);
    # soft_wrap: a message is one line however narrow the terminal.
    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def stdout() -> Console:
    return Console(file=sys.stdout, soft_wrap=True, highlight=False)


def one_line(message: str) -> str:
    """Driver messages can span lines (libpq adds hints): the CLI promises one line."""
    return "; ".join(part.strip() for part in message.splitlines() if part.strip())


def error(message: str) -> None:
    stderr().print(Text("error: ", style="bold red") + Text(one_line(message)))


def warning(message: str) -> None:
    stderr().print(Text("warning: ", style="yellow") + Text(one_line(message)))


def note(message: str) -> None:
    """A remark on generated SQL, spelled as an SQL comment so the output stays valid SQL."""
    stderr().print(Text(f"-- note: {message}", style="dim"))


def sql_script(statements: list[str]) -> str:
    """Statements as a script: each ends with `;`, a blank line between them."""
    return "\n".join(f"{stmt.strip().rstrip(';')};\n" for stmt in statements)
