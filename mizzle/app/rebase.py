"""`rebase`: after a merge, the migrations your branch added are generated again after
the other branch's, so that each holds only your change and its snapshot holds both.

A migration's snapshot is the schema after it. Renumbered as they are, your migrations would
keep snapshots without the other branch's changes, and the next `generate` would repeat
them. So each of yours is taken apart into its change (its snapshot compared with the one
before it on your branch), the change is applied to the merged history's last snapshot
(`core/evolve.py`: a change that no longer fits, such as a column both branches added, is an
error), and the migration is written anew from that: SQL, down files, snapshot, next number.
A `--custom` migration keeps its SQL; a generated one edited by hand, or one whose change
mizzle cannot tell apart from a rename, is refused (generate it again yourself). Nothing is
changed unless every migration can be rebased; the sum file is rewritten at the end.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mizzle.app.folder import shown
from mizzle.app.generate import migration_files
from mizzle.core import integrity
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import NUMBER_WIDTH, LocalMigration, MigrationFolder, down_file, normalised, up_file
from mizzle.dialects import get_dialect

if TYPE_CHECKING:
    from mizzle.app.config import Config
    from mizzle.core.model import Schema
    from mizzle.core.operations import Operation


@dataclass(frozen=True)
class Rebased:
    """One migration moved: its old name and its new folder."""

    old: str
    path: Path


def rebase(config: Config, names: list[str]) -> list[Rebased]:
    """Generate the named migrations (your branch's) again after the other migrations of the
    config's folder, then rewrite mizzle.sum. Nothing changes unless every one can be rebased."""
    folder = MigrationFolder(config.out)
    planned = _planned(folder, names, config.dialects)
    _replace(folder, planned)
    integrity.write(folder)
    return [Rebased(new.old.name, folder.path / new.folder_name) for new in planned]


@dataclass(frozen=True)
class _Rewritten:
    old: LocalMigration
    name: str  # without the number
    number: int
    files: dict[str, str]
    snapshot: Schema

    @property
    def folder_name(self) -> str:
        return f"{self.number:0{NUMBER_WIDTH}d}_{self.name}"


def _planned(folder: MigrationFolder, names: list[str], dialects: tuple[str, ...]) -> list[_Rewritten]:
    from mizzle.core.diff import diff
    from mizzle.core.evolve import evolve
    from mizzle.core.model import Schema

    every = folder.migrations()
    by_name = {m.name: m for m in every}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise MizzleError(f"no migration {unknown[0]} in {shown(folder.path)}")
    mine = [m for m in every if m.name in set(names)]
    theirs = [m for m in every if m.name not in set(names)]
    if len({m.number for m in theirs}) != len(theirs):
        raise MizzleError("the migrations not named share numbers among themselves: name every one your branch added")
    merged = theirs[-1].snapshot() if theirs else Schema()
    number = (theirs[-1].number if theirs else 0) + 1
    # On your branch, your first migration came after the other migrations numbered below it.
    before_mine = [m for m in theirs if m.number < mine[0].number]
    before = before_mine[-1].snapshot() if before_mine else Schema()
    planned = []
    for m in mine:
        name = m.name.split("_", 1)[1]
        own = m.snapshot()
        if _is_custom(m, dialects):
            files = _renamed_custom(m, dialects, f"{number:0{NUMBER_WIDTH}d}_{name}")
            after = merged
        else:
            try:
                change = diff(before, own)
            except MizzleError as err:
                raise MizzleError(f"cannot rebase {m.name}: {err}; generate it again yourself") from None
            if _generated(m.name, before, own, change, dialects) != _files_of(m, dialects):
                raise MizzleError(
                    f"cannot rebase {m.name}: its files differ from what generate wrote (edited by hand?): "
                    "move it out, run `mizzle hash`, and generate it again yourself"
                )
            try:
                after = evolve(merged, change)
            except MizzleError as err:
                raise MizzleError(
                    f"cannot rebase {m.name}: its change no longer fits after the other branch's ({err})"
                ) from None
            folder_name = f"{number:0{NUMBER_WIDTH}d}_{name}"
            files = _generated(folder_name, merged, after, diff(merged, after), dialects)
        planned.append(_Rewritten(m, name, number, files, after))
        before, merged, number = own, after, number + 1
    return planned


def _generated(
    folder_name: str, old: Schema, new: Schema, operations: list[Operation], dialects: tuple[str, ...]
) -> dict[str, str]:
    plans = {d: get_dialect(d).plan(operations, old, new) for d in dialects}
    return migration_files(folder_name, plans)


def _files_of(m: LocalMigration, dialects: tuple[str, ...]) -> dict[str, str]:
    files = {}
    for d in dialects:
        for file_name in (up_file(d), down_file(d)):
            path = m.path / file_name
            files[file_name] = normalised(path.read_bytes()).decode("utf-8") if path.is_file() else ""
    return files


def _is_custom(m: LocalMigration, dialects: tuple[str, ...]) -> bool:
    path = m.path / up_file(dialects[0])
    first = path.read_text(encoding="utf-8").split("\n", 1)[0] if path.is_file() else ""
    return first == f"-- mizzle migration {m.name} ({dialects[0]}): custom"


def _renamed_custom(m: LocalMigration, dialects: tuple[str, ...], folder_name: str) -> dict[str, str]:
    """A custom migration's files as they are, their header naming the new folder."""
    return {
        file_name: text.replace(f"-- mizzle migration {m.name} (", f"-- mizzle migration {folder_name} (", 1)
        for file_name, text in _files_of(m, dialects).items()
    }


def _replace(folder: MigrationFolder, planned: list[_Rewritten]) -> None:
    """Move the old folders aside, write the new ones; on any failure put everything back."""
    aside = folder.path / ".rebase-old"
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir()
    written: list[Path] = []
    try:
        for new in planned:
            shutil.move(new.old.path, aside / new.old.name)
        for new in planned:
            written.append(folder.write(new.name, new.files, new.snapshot, number=new.number).path)
    except BaseException:
        for path in written:
            shutil.rmtree(path, ignore_errors=True)
        for moved in aside.iterdir():
            shutil.move(moved, folder.path / moved.name)
        shutil.rmtree(aside, ignore_errors=True)
        raise
    shutil.rmtree(aside, ignore_errors=True)
