"""The migrations folder: one numbered folder per migration, read and written here.

    migrations/
      mizzle.sum                      (see integrity.py)
      0001_init/
        postgresql.sql  sqlite.sql    (up, one per configured dialect)
        down.postgresql.sql  down.sqlite.sql
        snapshot.json                 (the neutral schema after this migration)
      0002_add_practice_session/ ...

A folder's name is its 4-digit number, `_`, and a snake_case name; migrations run in name
order. Reading a migration's SQL needs only the standard library (the runner and the
browser runtime use it); the schema model (pydantic) is imported only to read or write a
snapshot.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mizzle.core.errors import MizzleError

if TYPE_CHECKING:
    from mizzle.core.model import Schema

SNAPSHOT_FILE = "snapshot.json"
NUMBER_WIDTH = 4
#: `0003_add_practice_session`: the number, then a snake_case name
MIGRATION_NAME = re.compile(r"^(?P<number>\d{4})_(?P<name>[a-z][a-z0-9]*(?:_[a-z0-9]+)*)$")
SNAKE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
#: what `write` accepts besides the snapshot: `postgresql.sql`, `down.sqlite.sql`...
SQL_FILE_NAME = re.compile(r"^(?:down\.)?[a-z][a-z0-9_]*\.sql$")


def up_file(dialect: str) -> str:
    return f"{dialect}.sql"


def down_file(dialect: str) -> str:
    return f"down.{dialect}.sql"


def normalised(data: bytes) -> bytes:
    """`data` with every line ending as `\\n`, so a checkout that converts line endings
    (git's autocrlf) does not look like an edit."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def checked_out(data: bytes) -> bytes:
    r"""The text a file was written with, before a checkout converted its line endings: a file
    whose every `\n` follows a `\r` (git's autocrlf) or that has only `\r` gets `\n` back;
    any other file is kept as it is, since a `\r` in it belongs to a literal (`'a\rb'`), which
    must reach the database unchanged (mizzle writes `\n` line ends, and a file's comment
    lines never hold a `\r`: `migration_text.one_line`)."""
    if data.count(b"\n") == data.count(b"\r\n"):
        return data.replace(b"\r\n", b"\n") if b"\n" in data else data.replace(b"\r", b"\n")
    return data


def checksum(data: bytes) -> str:
    """The checksum the runner records for a migration file: sha256 (hex) of its bytes,
    line endings normalised."""
    return hashlib.sha256(normalised(data)).hexdigest()


@dataclass(frozen=True)
class LocalMigration:
    """One migration folder on disk."""

    name: str  # "0003_add_practice_session"
    number: int
    path: Path

    def _file(self, file_name: str) -> Path:
        return self.path / file_name

    def _read(self, file_name: str) -> bytes:
        try:
            return self._file(file_name).read_bytes()
        except FileNotFoundError:
            raise MizzleError(f"migration {self.name} has no {file_name} (in {self.path})") from None
        except OSError as err:
            raise MizzleError(f"cannot read {self._file(file_name)}: {err.strerror}") from None

    def _text(self, file_name: str) -> str:
        data = self._read(file_name)
        try:
            return checked_out(data).decode("utf-8")
        except UnicodeDecodeError:
            raise MizzleError(f"{self._file(file_name)} is not UTF-8 text") from None

    def has_sql(self, dialect: str) -> bool:
        return self._file(up_file(dialect)).is_file()

    def sql(self, dialect: str) -> str:
        """The up file's text; MizzleError when the migration has none for `dialect`."""
        return self._text(up_file(dialect))

    def down_sql(self, dialect: str) -> str | None:
        """The down file's text, or None when there is none."""
        if not self._file(down_file(dialect)).is_file():
            return None
        return self._text(down_file(dialect))

    def checksum(self, dialect: str) -> str:
        """sha256 of the up file (line endings normalised): what the tracking table records."""
        return checksum(self._read(up_file(dialect)))

    def snapshot(self) -> Schema:
        """The neutral schema after this migration."""
        from pydantic import ValidationError

        from mizzle.core.model import Schema

        text = self._text(SNAPSHOT_FILE)
        try:
            return Schema.from_json(text)
        except (ValueError, ValidationError) as err:
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise MizzleError(f"{self._file(SNAPSHOT_FILE)} is not a valid schema snapshot: {first}") from None


class MigrationFolder:
    """The migrations folder (`out` in the config). It may not exist yet: it then holds no
    migrations, and `write` creates it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"MigrationFolder({str(self.path)!r})"

    def _entries(self) -> list[Path]:
        if not self.path.is_dir():
            return []
        try:
            return sorted(p for p in self.path.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError as err:
            raise MizzleError(f"cannot read the migrations folder {self.path}: {err.strerror}") from None

    def migrations(self) -> list[LocalMigration]:
        """Every migration folder, by name (two folders may share a number after a merge:
        both are listed, and integrity.verify reports the collision)."""
        out = []
        for entry in self._entries():
            m = MIGRATION_NAME.match(entry.name)
            if m:
                out.append(LocalMigration(name=entry.name, number=int(m["number"]), path=entry))
        return out

    def strays(self) -> list[str]:
        """Folders inside that are not named like a migration (a typo would hide one)."""
        return [e.name for e in self._entries() if not MIGRATION_NAME.match(e.name)]

    def get(self, name: str) -> LocalMigration | None:
        return next((m for m in self.migrations() if m.name == name), None)

    def last_snapshot(self) -> Schema:
        """The schema after the last migration; an empty schema when there is none."""
        migrations = self.migrations()
        if not migrations:
            from mizzle.core.model import Schema

            return Schema()
        return migrations[-1].snapshot()

    def next_number(self) -> int:
        return max((m.number for m in self.migrations()), default=0) + 1

    def write(
        self, name: str, files: Mapping[str, str], snapshot: Schema, *, number: int | None = None
    ) -> LocalMigration:
        """Create the folder `NNNN_<name>` (NNNN: `number`, by default the next one) holding
        `files` (file name → text: `postgresql.sql`, `down.sqlite.sql`...) and the snapshot.

        Refuses a name that is not snake_case, and a number some folder already has. The
        folder appears whole or not at all (written aside, then renamed)."""
        if not SNAKE_NAME.match(name):
            raise MizzleError(
                f"bad migration name {name!r}: use lowercase letters, digits and underscores, "
                "starting with a letter (e.g. add_practice_session)"
            )
        number = self.next_number() if number is None else number
        if not 0 < number < 10**NUMBER_WIDTH:
            raise MizzleError(f"migration number {number} does not fit in {NUMBER_WIDTH} digits")
        folder_name = f"{number:0{NUMBER_WIDTH}d}_{name}"
        taken = [m.name for m in self.migrations() if m.number == number]
        if taken:
            raise MizzleError(f"cannot write migration {folder_name}: {taken[0]} already has number {number:04d}")
        target = self.path / folder_name
        if target.exists():
            raise MizzleError(f"cannot write migration {folder_name}: {target} already exists")
        for file_name in files:
            if not SQL_FILE_NAME.match(file_name):
                expected = "<dialect>.sql or down.<dialect>.sql"
                raise MizzleError(f"cannot write {file_name!r} into a migration: expected {expected}")
        contents = {**files, SNAPSHOT_FILE: snapshot.to_json() + "\n"}
        staging = self.path / f".{folder_name}.tmp"
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            for file_name, text in contents.items():
                (staging / file_name).write_text(text, encoding="utf-8", newline="\n")
            os.rename(staging, target)
        except OSError as err:
            shutil.rmtree(staging, ignore_errors=True)
            raise MizzleError(f"cannot write migration {folder_name} into {self.path}: {err.strerror}") from None
        return LocalMigration(name=folder_name, number=number, path=target)

    def custom(self, name: str, dialects: Iterable[str]) -> LocalMigration:
        """An empty migration for hand-written SQL (a data migration): one up and one down
        file per dialect holding only a header, and the previous snapshot (the schema does
        not change as far as mizzle knows)."""
        number = self.next_number()
        folder_name = f"{number:0{NUMBER_WIDTH}d}_{name}"
        files: dict[str, str] = {}
        for dialect in dialects:
            files[up_file(dialect)] = custom_header(folder_name, dialect, down=False)
            files[down_file(dialect)] = custom_header(folder_name, dialect, down=True)
        return self.write(name, files, self.last_snapshot(), number=number)


def custom_header(folder_name: str, dialect: str, *, down: bool) -> str:
    what = "undoes it (an empty down file undoes nothing)" if down else "it runs"
    return (
        f"-- mizzle migration {folder_name} ({dialect}{', down' if down else ''}): custom\n"
        f"-- Write the {dialect} SQL {what} below. It runs in one transaction with its\n"
        "-- tracking row. Separate statements with a line `--> statement-breakpoint` (without\n"
        "-- them the file is run as one script); put `-- mizzle:no-transaction` above a\n"
        "-- statement that must run outside the transaction (CREATE INDEX CONCURRENTLY).\n"
    )
