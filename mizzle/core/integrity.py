"""`migrations/mizzle.sum`: a hash chain over the migrations folder, like Atlas's atlas.sum.

    h1:<base64 sha256 of every line below>
    0001_init h1:<cumulative hash>
    0002_add_tag h1:<cumulative hash>

Each migration's cumulative hash covers the previous one, its folder name, and every file in
its folder (name and content, line endings normalised). So an edit changes its line and every
later one, and two branches that each add a migration both change the end of the file:
merging them is a git conflict instead of a silent skip. `verify` names what is wrong and
how to set it right; every fix that ends in a new sum file says `mizzle hash`.

After such a merge the migrations a branch added are not renumbered but generated again:
a migration's snapshot is the schema after it, so one renumbered after the other branch's
would still lack that branch's change, and the next `generate` would repeat the change.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

from mizzle.core.errors import MizzleError
from mizzle.core.migrations import LocalMigration, MigrationFolder, normalised
from mizzle.core.runner import Problem

SUM_FILE = "mizzle.sum"
HASH_PREFIX = "h1:"
_CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>")

#: how each fix that ends in a new sum file ends
HASH = "run `mizzle hash` to rewrite the sum file"
#: the fix after two branches each added migrations (see the module docstring: not a renumbering)
_REGENERATE = (
    "move the migrations your branch added out of the folder (a database that applied them must roll them back "
    "on your branch, before the merge, or be recreated), "
    "run `mizzle hash`, then `mizzle generate` again: the new migration comes after the other branch's and "
    "holds only your change (renumbering yours instead would make the next generate repeat the other "
    "branch's change); `mizzle rebase <your migrations>` does all of this"
)


def _b64(digest: bytes) -> str:
    return HASH_PREFIX + base64.b64encode(digest).decode("ascii")


def _files(migration: LocalMigration) -> list[Path]:
    """The files a migration's hash covers: every regular, non-hidden file in its folder."""
    return sorted(p for p in migration.path.iterdir() if p.is_file() and not p.name.startswith("."))


def _link(previous: bytes, migration: LocalMigration) -> bytes:
    """The cumulative hash of `migration` after `previous`."""
    h = hashlib.sha256(previous)
    h.update(migration.name.encode() + b"\n")
    try:
        for path in _files(migration):
            h.update(path.name.encode() + b"\0")
            h.update(hashlib.sha256(normalised(path.read_bytes())).digest())
    except OSError as err:
        raise MizzleError(f"cannot read migration {migration.name}: {err.strerror}") from None
    return h.digest()


def chain(migrations: list[LocalMigration]) -> list[tuple[str, bytes]]:
    """Each migration's name with its cumulative hash, in order."""
    out = []
    previous = b""
    for m in migrations:
        previous = _link(previous, m)
        out.append((m.name, previous))
    return out


def _render(entries: list[tuple[str, bytes]]) -> str:
    lines = [f"{name} {_b64(digest)}" for name, digest in entries]
    body = "".join(line + "\n" for line in lines)
    return _b64(hashlib.sha256(body.encode()).digest()) + "\n" + body


def compute(folder: MigrationFolder) -> str:
    """The text `mizzle.sum` should hold for the folder as it is now."""
    return _render(chain(folder.migrations()))


def write(folder: MigrationFolder) -> Path:
    """Rewrite `mizzle.sum` from the folder as it is now; return its path."""
    path = folder.path / SUM_FILE
    try:
        folder.path.mkdir(parents=True, exist_ok=True)
        path.write_text(compute(folder), encoding="utf-8", newline="\n")
    except OSError as err:
        raise MizzleError(f"cannot write {path}: {err.strerror}") from None
    return path


@dataclass(frozen=True)
class _SumFile:
    header: str
    body: str
    entries: list[tuple[str, str]]  # (migration name, "h1:...")


def _digest(text: str) -> bytes | None:
    """The sha256 digest an `h1:<base64>` hash holds; None when it is not one."""
    if not text.startswith(HASH_PREFIX):
        return None
    try:
        digest = base64.b64decode(text[len(HASH_PREFIX) :], validate=True)
    except ValueError:
        return None
    return digest if len(digest) == hashlib.sha256().digest_size else None


def _parse(text: str, where: Path) -> _SumFile | Problem:
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if any(line.startswith(_CONFLICT_MARKERS) for line in lines):
        return Problem(
            "sum-conflict",
            None,
            f"{where} holds git conflict markers: two branches added migrations; {_REGENERATE}",
        )
    if not lines or _digest(lines[0]) is None:
        message = f"{where} is malformed (its first line must be h1:<hash>): check the migrations, then {HASH}"
        return Problem("sum-malformed", None, message)
    entries = []
    for number, line in enumerate(lines[1:], 2):
        parts = line.split(" ")
        if len(parts) != 2 or _digest(parts[1]) is None:
            expected = "expected `NNNN_name h1:<hash>`"
            message = f"{where} line {number} is malformed ({expected}): check the migrations, then {HASH}"
            return Problem("sum-malformed", None, message)
        entries.append((parts[0], parts[1]))
    return _SumFile(header=lines[0], body="".join(line + "\n" for line in lines[1:]), entries=entries)


def verify(folder: MigrationFolder) -> list[Problem]:
    """Everything wrong with the folder and its sum file, each as one line with its fix;
    empty when all is well."""
    migrations = folder.migrations()
    problems = _numbering_problems(migrations)
    problems += [
        Problem(
            "stray",
            None,
            f"folder {name} in {folder.path} is not named like a migration (NNNN_snake_case_name): "
            "rename it or move it out",
        )
        for name in folder.strays()
    ]
    sum_path = folder.path / SUM_FILE
    if not sum_path.is_file():
        if migrations:
            fix = f"check the migrations are yours, then {HASH}"
            problems.append(Problem("sum-missing", None, f"{sum_path} is missing: {fix}"))
        return problems
    try:
        parsed = _parse(sum_path.read_text(encoding="utf-8"), sum_path)
    except (OSError, UnicodeDecodeError) as err:
        return [*problems, Problem("sum-malformed", None, f"cannot read {sum_path}: {err}")]
    if isinstance(parsed, Problem):
        return [*problems, parsed]
    if parsed.header != _b64(hashlib.sha256(parsed.body.encode()).digest()):
        problems.append(
            Problem(
                "sum-edited",
                None,
                f"{sum_path} was edited by hand (its first line does not match the lines below): "
                f"check the migrations, then {HASH}",
            )
        )
    return problems + _entry_problems(migrations, parsed.entries, sum_path)


def _numbering_problems(migrations: list[LocalMigration]) -> list[Problem]:
    by_number: dict[int, list[str]] = {}
    for m in migrations:
        by_number.setdefault(m.number, []).append(m.name)
    problems = []
    for number, names in sorted(by_number.items()):
        if len(names) > 1:
            problems.append(
                Problem(
                    "collision",
                    names[-1],
                    f"migrations {' and '.join(names)} share the number {number:04d} (typically two branches "
                    f"merged): {_REGENERATE}",
                )
            )
    numbers = sorted(by_number)
    for before, after in pairwise(numbers):
        if after != before + 1:
            missing = ", ".join(f"{n:04d}" for n in range(before + 1, after))
            name = by_number[after][0]
            problems.append(
                Problem(
                    "gap",
                    name,
                    f"migration numbers skip {missing} (before {name}): renumber {name} and the ones after it "
                    f"to close the gap (only those not applied to any database yet), then {HASH}",
                )
            )
    return problems


def _entry_problems(migrations: list[LocalMigration], entries: list[tuple[str, str]], where: Path) -> list[Problem]:
    """Compare the folder with the sum file's lines. Each line is checked against the hash the
    sum recorded for the line before it, so an edit is pinned to the migration edited rather
    than to every one after it."""
    local = {m.name: m for m in migrations}
    listed = {name for name, _ in entries}
    problems = []
    previous = b""
    for name, recorded in entries:
        m = local.get(name)
        if m is None:
            problems.append(
                Problem(
                    "missing",
                    name,
                    f"migration {name} is listed in {where.name} but its folder is gone: restore it (from git), "
                    f"or if it was removed on purpose, {HASH}",
                )
            )
        elif _b64(_link(previous, m)) != recorded:
            problems.append(
                Problem(
                    "edited",
                    name,
                    f"migration {name} changed after {where.name} was written: restore it if it was applied "
                    f"anywhere (put the change in a new migration), otherwise {HASH}",
                )
            )
        previous = _digest(recorded) or b""  # _parse accepted only well-formed hashes
    for m in migrations:
        if m.name not in listed:
            problems.append(
                Problem(
                    "added",
                    m.name,
                    f"migration {m.name} is not in {where.name} (added or renamed without rewriting the sum): "
                    f"if a merge brought it, {_REGENERATE}; otherwise check it is yours, then {HASH}",
                )
            )
    return problems
