"""Renames: telling a renamed table or column from a dropped one plus an added one.

A schema file only says what the schema is now, so when a table or column disappears and
one of compatible shape appears, it may be a rename (data kept) or a drop and an add (data
lost). mizzle never guesses: the user says which, with flags or by answering a prompt, and
an unsettled case stops the diff with `AmbiguousRename`, whose one-line message lists every
candidate and the exact flags that settle it.

Flags (the CLI's `--rename` and `--drop`, both repeatable):

- `--rename playlist=repertoire`: table `playlist` is now called `repertoire`;
- `--rename tune.title=name`: column `title` of table `tune` is now `name`. The table is
  named as the NEW schema names it: `--rename repertoire.playlist_id=repertoire_id` after
  `--rename playlist=repertoire`;
- `--drop playlist`, `--drop tune.title`: it really is gone (its rows or values are lost);
  whatever appeared beside it is new. The table of a column is again the new schema's name.

A name holding `.`, `=` or `"` is written in double quotes, `"` doubled: `--rename '"a.b"=c'`.

Candidates: a table that disappears and one that appears sharing at least half of the old
table's columns (same name, compatible type), or holding as many columns with compatible
types in the same places (every column renamed too); a column that disappears and one that appears
in the same table with a compatible type: the same family (integers, text, numeric/real/
double, timestamps, json) or a widening (integer → numeric). A rename may still change a
column's type; the diff then alters it.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from mizzle.core.errors import MizzleError
from mizzle.core.model import Column, Schema, Table
from mizzle.core.operations import is_widening
from mizzle.core.types import INTEGER_KINDS, JSON_KINDS, SERIAL_KINDS, TEXT_KINDS, ColumnType, TypeKind

Kind = Literal["table", "column"]
#: Asks the user (a TTY prompt, wired by the CLI) what became of `old`: one of `candidates`
#: (a rename) or None (dropped; the candidates are new). For a column, `table` is the new
#: schema's name of its table; for a table it is None.
Asker = Callable[[Kind, str | None, str, list[str]], str | None]


class RenameFlagError(MizzleError):
    """A --rename or --drop flag is malformed or does not fit the two schemas."""


@dataclass(frozen=True)
class Ambiguity:
    """A table or column that disappeared while compatible ones appeared."""

    kind: Kind
    table: str | None  # the new schema's name of a column's table; None for a table
    old: str
    candidates: tuple[str, ...]

    @property
    def subject(self) -> str:
        return self.old if self.table is None else f"{self.table}.{self.old}"

    def rename_flags(self) -> list[str]:
        return [rename_flag(self._path(), c) for c in self.candidates]

    def drop_flag(self) -> str:
        return drop_flag(self._path())

    def _path(self) -> list[str]:
        return [self.old] if self.table is None else [self.table, self.old]

    def describe(self) -> str:
        appeared = ", ".join(c if self.table is None else f"{self.table}.{c}" for c in self.candidates)
        return (
            f"{self.kind} {self.subject} disappeared and {appeared} appeared: "
            f"{' or '.join(self.rename_flags())} if renamed, {self.drop_flag()} if dropped"
        )


class AmbiguousRename(MizzleError):
    """Tables or columns disappeared while compatible ones appeared, and nothing said which
    were renamed. `ambiguities` holds each case; the message names the flags that settle them."""

    def __init__(self, ambiguities: Iterable[Ambiguity]) -> None:
        self.ambiguities = tuple(ambiguities)
        cases = "; ".join(a.describe() for a in self.ambiguities)
        super().__init__(f"renamed or dropped? pass one flag for each: {cases}")


@dataclass(frozen=True)
class Renames:
    """Renames and confirmed drops. `tables`: old name → new name; `columns`: (the table's new
    name, old column) → new column; `dropped_tables`: old names; `dropped_columns`: (the
    table's new name, old column)."""

    tables: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[tuple[str, str], str] = field(default_factory=dict)
    dropped_tables: frozenset[str] = frozenset()
    dropped_columns: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def from_flags(cls, renames: Iterable[str] = (), drops: Iterable[str] = ()) -> Renames:
        """Parse `--rename` values (`old=new`, `table.old=new`) and `--drop` values (`old`, `table.old`)."""
        tables: dict[str, str] = {}
        columns: dict[tuple[str, str], str] = {}
        for text in renames:
            path, new = _parse_rename(text)
            if len(path) == 1:
                if path[0] in tables or new in tables.values():
                    raise RenameFlagError(f"--rename {text}: table {path[0]} or {new} is named by two renames")
                tables[path[0]] = new
            else:
                key = (path[0], path[1])
                if key in columns or new in _targets(columns, path[0]):
                    raise RenameFlagError(f"--rename {text}: column {'.'.join(key)} or {new} is named by two renames")
                columns[key] = new
        dropped_tables: set[str] = set()
        dropped_columns: set[tuple[str, str]] = set()
        for text in drops:
            path = _parse_path(text, "--drop")
            if (len(path) == 1 and path[0] in tables) or (len(path) == 2 and (path[0], path[1]) in columns):
                raise RenameFlagError(f"--drop {text}: the same name is also given to --rename")
            if len(path) == 1:
                dropped_tables.add(path[0])
            else:
                dropped_columns.add((path[0], path[1]))
        return cls(tables, columns, frozenset(dropped_tables), frozenset(dropped_columns))

    def old_table_name(self, new_name: str) -> str:
        """The old schema's name of the table the new schema calls `new_name`."""
        return next((old for old, new in self.tables.items() if new == new_name), new_name)


def _targets(columns: Mapping[tuple[str, str], str], table: str) -> list[str]:
    return [new for (t, _), new in columns.items() if t == table]


# --- flag syntax --------------------------------------------------------------------------------

_SPECIAL = set('.="')


def _quote(name: str) -> str:
    if name and not (_SPECIAL & set(name)) and name == name.strip():
        return name
    return '"' + name.replace('"', '""') + '"'


def rename_flag(path: list[str], new: str) -> str:
    """`--rename tune.title=name` for (["tune", "title"], "name"), quoted for a shell when needed."""
    return "--rename " + shlex.quote(".".join(_quote(p) for p in path) + "=" + _quote(new))


def drop_flag(path: list[str]) -> str:
    """`--drop tune.title` for ["tune", "title"], quoted for a shell when needed."""
    return "--drop " + shlex.quote(".".join(_quote(p) for p in path))


def _scan(text: str, flag: str) -> list[tuple[str, str]]:
    """(kind, value) pairs: ("name", text) and ("sep", "." or "=")."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in ".=":
            out.append(("sep", ch))
            i += 1
        elif ch == '"':
            j, buf = i + 1, []
            while True:
                if j >= len(text):
                    raise RenameFlagError(f"{flag} {text}: a quoted name is not closed")
                if text[j] == '"':
                    if text[j + 1 : j + 2] == '"':
                        buf.append('"')
                        j += 2
                        continue
                    break
                buf.append(text[j])
                j += 1
            out.append(("name", "".join(buf)))
            i = j + 1
        else:
            j = i
            while j < len(text) and text[j] not in '.="':
                j += 1
            bare = text[i:j].strip()
            if bare:
                out.append(("name", bare))
            i = j
    return out


def _names_between(tokens: list[tuple[str, str]], flag: str, text: str) -> list[str]:
    """`a.b` tokens → ["a", "b"]; anything else is malformed."""
    names = [value for kind, value in tokens[0::2] if kind == "name"]
    seps = [value for kind, value in tokens[1::2] if kind == "sep"]
    ok = len(names) == (len(tokens) + 1) // 2 and len(seps) == len(tokens) // 2 and all(s == "." for s in seps)
    if not tokens or not ok or len(names) > 2:
        raise RenameFlagError(f"{flag} {text}: {_USAGE[flag]}")
    return names


_USAGE = {
    "--rename": "expected OLD=NEW (a table) or TABLE.OLD=NEW (a column, TABLE as the new schema names it)",
    "--drop": "expected TABLE or TABLE.COLUMN (TABLE as the new schema names it)",
}


def _parse_path(text: str, flag: str) -> list[str]:
    return _names_between(_scan(text, flag), flag, text)


def _parse_rename(text: str) -> tuple[list[str], str]:
    tokens = _scan(text, "--rename")
    split = [i for i, (kind, value) in enumerate(tokens) if kind == "sep" and value == "="]
    if len(split) != 1:
        raise RenameFlagError(f"--rename {text}: {_USAGE['--rename']}")
    left, right = tokens[: split[0]], tokens[split[0] + 1 :]
    path = _names_between(left, "--rename", text)
    if len(right) != 1 or right[0][0] != "name":
        raise RenameFlagError(f"--rename {text}: the new name is one name (--rename tune.title=name)")
    return path, right[0][1]


# --- candidates -----------------------------------------------------------------------------------

_FAMILIES: list[frozenset[TypeKind]] = [
    INTEGER_KINDS | SERIAL_KINDS,
    TEXT_KINDS,
    frozenset({TypeKind.NUMERIC, TypeKind.REAL, TypeKind.DOUBLE}),
    frozenset({TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ}),
    JSON_KINDS,
]


def compatible_types(old: ColumnType, new: ColumnType) -> bool:
    """Whether a column of type `old` may have become one of type `new` by a rename."""
    if old.array_dims != new.array_dims:
        return False
    if old.kind == new.kind:
        return old.name == new.name
    if any(old.kind in family and new.kind in family for family in _FAMILIES):
        return True
    return is_widening(Column(name="_", type=old), Column(name="_", type=new))


def _column_rank(old: Column, new: Column) -> int:
    """Lower is likelier: the same type, then a widening, then the same family."""
    if old.type == new.type:
        return 0
    return 1 if is_widening(old, new) else 2


def _shared_columns(old: Table, new: Table) -> int:
    return sum(1 for c in old.columns if (n := new.column(c.name)) is not None and compatible_types(c.type, n.type))


def _same_shape(old: Table, new: Table) -> bool:
    """As many columns, each of a type compatible with the one at its place (all renamed?)."""
    pairs = zip(old.columns, new.columns, strict=False)
    return len(old.columns) == len(new.columns) and all(compatible_types(a.type, b.type) for a, b in pairs)


def table_candidates(old: Table, appeared: Iterable[Table]) -> list[str]:
    """Names of the appeared tables `old` may have been renamed to, likeliest first: those
    sharing at least half of its columns (same name, compatible type), or with columns of
    compatible types in the same places."""
    scored = []
    for new in appeared:
        shared = _shared_columns(old, new)
        if (shared and 2 * shared >= len(old.columns)) or _same_shape(old, new):
            scored.append((-shared / max(len(old.columns), len(new.columns)), new.name))
    return [name for _, name in sorted(scored)]


def column_candidates(old: Column, appeared: Iterable[Column]) -> list[str]:
    """Names of the appeared columns `old` may have been renamed to, likeliest first."""
    ranked = [(_column_rank(old, c), i, c.name) for i, c in enumerate(appeared) if compatible_types(old.type, c.type)]
    return [name for _, _, name in sorted(ranked)]


# --- resolution --------------------------------------------------------------------------------------


def resolve(old: Schema, new: Schema, renames: Renames | None = None, ask: Asker | None = None) -> Renames:
    """Every rename between `old` and `new`: the flags' (checked against both schemas) plus
    `ask`'s answers for the candidates the flags leave open. Raises RenameFlagError for a
    flag that does not fit, AmbiguousRename for candidates nothing settled."""
    return _Resolver(old, new, renames or Renames(), ask).resolve()


class _Resolver:
    def __init__(self, old: Schema, new: Schema, given: Renames, ask: Asker | None) -> None:
        self.old, self.new, self.ask = old, new, ask
        self.tables = dict(given.tables)
        self.columns = dict(given.columns)
        self.dropped_tables = set(given.dropped_tables)
        self.dropped_columns = set(given.dropped_columns)
        self.ambiguities: list[Ambiguity] = []
        self.unsettled: set[str] = set()  # new tables that an unsettled table rename may explain

    def resolve(self) -> Renames:
        self._check_table_flags()
        self._settle_tables()
        self._check_column_flags()
        for new_table in self.new.tables:
            old_table = self.old.table(self._old_table_name(new_table.name))
            if old_table is not None:
                self._settle_columns(old_table, new_table)
        if self.ambiguities:
            raise AmbiguousRename(self.ambiguities)
        return Renames(self.tables, self.columns, frozenset(self.dropped_tables), frozenset(self.dropped_columns))

    def _old_table_name(self, new_name: str) -> str:
        return next((o for o, n in self.tables.items() if n == new_name), new_name)

    def _check_table_flags(self) -> None:
        old_names, new_names = {t.name for t in self.old.tables}, {t.name for t in self.new.tables}
        for o, n in sorted(self.tables.items()):
            _check_disappears(rename_flag([o], n), "table", o, old_names, new_names)
            _check_appears(rename_flag([o], n), "table", n, old_names, new_names)
        for o in sorted(self.dropped_tables):
            _check_disappears(drop_flag([o]), "table", o, old_names, new_names)

    def _settle_tables(self) -> None:
        old_names, new_names = {t.name for t in self.old.tables}, {t.name for t in self.new.tables}
        appeared = [t for t in self.new.tables if t.name not in old_names]
        for gone in (t for t in self.old.tables if t.name not in new_names):
            if gone.name in self.tables or gone.name in self.dropped_tables:
                continue
            claimed = set(self.tables.values())
            candidates = table_candidates(gone, [t for t in appeared if t.name not in claimed])
            if not candidates:
                continue  # nothing it could have become: a plain drop
            answer = _ask(self.ask, "table", None, gone.name, candidates)
            if isinstance(answer, _Unsettled):
                self.ambiguities.append(Ambiguity("table", None, gone.name, tuple(candidates)))
                self.unsettled |= set(candidates)
            elif answer is None:
                self.dropped_tables.add(gone.name)
            else:
                self.tables[gone.name] = answer

    def _check_column_flags(self) -> None:
        for (table, o), n in sorted(self.columns.items()):
            flag = rename_flag([table, o], n)
            pair = self._table_pair(table, flag)
            if pair is not None:
                _check_disappears(flag, "column", o, set(pair[0].column_names), set(pair[1].column_names), table)
                _check_appears(flag, "column", n, set(pair[0].column_names), set(pair[1].column_names), table)
        for table, o in sorted(self.dropped_columns):
            flag = drop_flag([table, o])
            pair = self._table_pair(table, flag)
            if pair is not None:
                _check_disappears(flag, "column", o, set(pair[0].column_names), set(pair[1].column_names), table)

    def _table_pair(self, table: str, flag: str) -> tuple[Table, Table] | None:
        """The (old, new) tables a column flag names; None while that table's rename is unsettled."""
        new_table = self.new.table(table)
        if new_table is None:
            raise RenameFlagError(f'{flag}: the new schema has no table "{table}" (name it as the new schema does)')
        old_table = self.old.table(self._old_table_name(table))
        if old_table is None:
            if table in self.unsettled:
                return None
            raise RenameFlagError(f'{flag}: table "{table}" is new (if it was renamed, add --rename OLD={table})')
        return old_table, new_table

    def _settle_columns(self, old_table: Table, new_table: Table) -> None:
        table = new_table.name
        appeared = [c for c in new_table.columns if old_table.column(c.name) is None]
        for gone in old_table.columns:
            key = (table, gone.name)
            if new_table.column(gone.name) is not None or key in self.columns or key in self.dropped_columns:
                continue
            claimed = set(_targets(self.columns, table))
            candidates = column_candidates(gone, [c for c in appeared if c.name not in claimed])
            if not candidates:
                continue
            answer = _ask(self.ask, "column", table, gone.name, candidates)
            if isinstance(answer, _Unsettled):
                self.ambiguities.append(Ambiguity("column", table, gone.name, tuple(candidates)))
            elif answer is None:
                self.dropped_columns.add(key)
            else:
                self.columns[key] = answer


class _Unsettled:
    """The answer when there is no one to ask."""


def _ask(ask: Asker | None, kind: Kind, table: str | None, old: str, candidates: list[str]) -> str | _Unsettled | None:
    if ask is None:
        return _Unsettled()
    answer = ask(kind, table, old, list(candidates))
    if answer is not None and answer not in candidates:
        subject = old if table is None else f"{table}.{old}"
        raise RenameFlagError(f"{kind} {subject}: {answer!r} is not one of the candidates {', '.join(candidates)}")
    return answer


def _check_disappears(
    flag: str, kind: str, name: str, old_names: set[str], new_names: set[str], table: str | None = None
) -> None:
    where = f" of table {table}" if table else ""
    if name not in old_names:
        raise RenameFlagError(f'{flag}: the old schema has no {kind} "{name}"{where}')
    if name in new_names:
        raise RenameFlagError(
            f'{flag}: {kind} "{name}"{where} is still in the new schema (neither renamed nor dropped)'
        )


def _check_appears(
    flag: str, kind: str, name: str, old_names: set[str], new_names: set[str], table: str | None = None
) -> None:
    where = f" of table {table}" if table else ""
    if name not in new_names:
        raise RenameFlagError(f'{flag}: the new schema has no {kind} "{name}"{where}')
    if name in old_names:
        raise RenameFlagError(f'{flag}: {kind} "{name}"{where} is already in the old schema')
