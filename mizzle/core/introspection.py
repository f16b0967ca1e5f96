"""What introspecting a live database gives back: the model, plus what the model cannot hold."""

from __future__ import annotations

from dataclasses import dataclass, field

from mizzle.core.model import Schema


@dataclass(frozen=True)
class Unsupported:
    """An object the database holds that the model cannot: reported by name, never dropped silently.

    `kind` is e.g. "function", "trigger", "domain", "partition", "materialized view";
    `detail` says what mizzle did about it (skipped it, read the column as its base type...).
    """

    kind: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.name}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class Introspected:
    schema: Schema
    unsupported: tuple[Unsupported, ...] = field(default=())

    def warning(self) -> str | None:
        """One line naming everything that was not carried, or None."""
        if not self.unsupported:
            return None
        names = ", ".join(str(u) for u in self.unsupported)
        return f"not carried by mizzle ({len(self.unsupported)}): {names}"
