"""The sequence behind a serial column: created, retyped, renamed and dropped with it.

A serial is an integer column whose default is `nextval` of a sequence the column owns
(OWNED BY). mizzle's introspector reads such a column as serial and never shows the
sequence's name, so the name does not decide whether two databases compare equal; it is
still kept as PostgreSQL names it on a fresh database (`<table>_<column>_seq`): a table or
column rename renames the sequence too, so a migrated database matches one built from the
new schema in pg_dump as well, and a later change that creates a sequence by that rule
finds the name free.

Statements that act on an existing sequence find it with `pg_get_serial_sequence` (a DO
block) rather than by name: a database renamed by hand, or one whose sequence got
another name (`t_id_seq1` when `t_id_seq` was taken), is changed all the same.
"""

from __future__ import annotations

from mizzle.core.model import Column, SerialSequence
from mizzle.core.naming import make_object_name
from mizzle.core.types import TypeKind
from mizzle.dialects.postgresql.plan_context import alter_column, ident, string

#: the integer type of each serial kind's sequence and column
SEQUENCE_TYPES = {TypeKind.SERIAL: "integer", TypeKind.BIGSERIAL: "bigint"}


def sequence_name(table: str, column: str) -> str:
    """The name PostgreSQL gives a serial's sequence (`tune_id_seq`, shortened to 63 bytes)."""
    return make_object_name(table, column, "seq")


def _on_own_sequence(table: str, column: str, action: str, *arguments: str) -> str:
    """A DO block running `format(action, <the column's sequence>, *arguments)` (nothing when
    the column owns no sequence)."""
    args = "".join(f", {a}" for a in arguments)
    return (
        "DO $mizzle$\n"
        f"DECLARE seq text := pg_get_serial_sequence({string(ident(table))}, {string(column)});\n"
        "BEGIN\n"
        f"  IF seq IS NOT NULL THEN EXECUTE format({string(action)}, seq{args}); END IF;\n"
        "END\n"
        "$mizzle$"
    )


def rename_sequence(table: str, column: str) -> str:
    """Rename the column's sequence to what PostgreSQL would name it now."""
    return _on_own_sequence(table, column, "ALTER SEQUENCE %s RENAME TO %I", string(sequence_name(table, column)))


def drop_sequence(table: str, column: str) -> str:
    return _on_own_sequence(table, column, "DROP SEQUENCE %s")


def retype_sequence(table: str, column: str, kind: TypeKind) -> str:
    """serial ↔ bigserial: the sequence's own type bounds the values it hands out."""
    return _on_own_sequence(table, column, f"ALTER SEQUENCE %s AS {SEQUENCE_TYPES[kind]}")


def create_sequence(table: str, column: str, kind: TypeKind) -> list[str]:
    """Make an integer column a serial: a sequence it owns, started after the largest value
    the column holds, feeding its default."""
    seq = ident(sequence_name(table, column))
    t, c = ident(table), ident(column)
    return [
        f"CREATE SEQUENCE {seq} AS {SEQUENCE_TYPES[kind]} OWNED BY {t}.{c}",
        f"SELECT setval({string(seq)}, GREATEST(COALESCE(max({c}), 0), 0) + 1, false) FROM {t}",
        f"{alter_column(table, column)} SET DEFAULT nextval({string(seq)}::regclass)",
    ]


def alter_serial_sequence(table: str, column: Column) -> str:
    """The serial's sequence set to the model's type and options (`Column.sequence`), all of
    them, so that an option the schema no longer names goes back to its default. The
    values handed out so far are kept: no RESTART."""
    sequence = column.sequence or SerialSequence()
    clauses = [f"AS {sequence.data_type or SEQUENCE_TYPES[column.type.kind]}", *sequence.clauses(all_of_them=True)]
    if sequence.start is None:
        clauses.append(f"START WITH {sequence.start_value()}")
    return _on_own_sequence(table, column.name, "ALTER SEQUENCE %s " + " ".join(clauses))
