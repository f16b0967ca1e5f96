"""The migrations folder as the use cases take it: where it is without a config, verified
against its sum file before anything is added or run, and paths as messages show them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from mizzle.core import integrity
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder

if TYPE_CHECKING:
    from mizzle.app.config import Config


def migrations_folder(config: Config | None) -> MigrationFolder:
    """The config's `out`; without a config, `migrations` in the working directory (a
    deployment may ship the folder and a URL, nothing else)."""
    return MigrationFolder(config.out if config is not None else Path.cwd() / "migrations")


def verified(folder: MigrationFolder, doing: str) -> MigrationFolder:
    """`folder`, or MizzleError listing its integrity problems (`cannot migrate: ...`)."""
    problems = integrity.verify(folder)
    if problems:
        raise one_line_list(
            f"cannot {doing}: {shown(folder.path)} fails its integrity check", [p.message for p in problems]
        )
    return folder


def shown(path: Path) -> str:
    """A path as messages show it: relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def one_line_list(what: str, items: list[str]) -> MizzleError:
    """An error listing `items` on one line: `what: a; b; c`."""
    return MizzleError(f"{what}: {'; '.join(items)}")


def plural(n: int, word: str) -> str:
    """`1 migration`, `3 migrations`."""
    return f"{n} {word}{'' if n == 1 else 's'}"
