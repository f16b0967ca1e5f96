"""Migration files: how a plan is written to one, and how one is read back to run it.

Migration files (`postgresql.sql`, `sqlite.sql` and their `down.*` twins) are plain SQL
that a person can review: a comment header (the operations, then warnings), then the
statements, separated by a line `--> statement-breakpoint` so that the runner never has to
parse SQL to split them (the browser runtime has no SQL parser). Two directives, as
comment lines, change how the runner runs a file:

- `-- mizzle:foreign-keys-off` (SQLite): run with `PRAGMA foreign_keys=OFF` set *outside*
  the transaction (inside one SQLite ignores it), check `PRAGMA foreign_key_check` before
  COMMIT and roll back on any violation, then turn foreign keys back on;
- `-- mizzle:no-transaction` before a statement: run it on its own after the transaction
  has committed (PostgreSQL `CREATE INDEX CONCURRENTLY`).

Reading needs nothing but the standard library (the browser runtime imports this module;
it must not pull in sqlglot or pydantic): the model is imported for type checking only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mizzle.core.plan import Plan

BREAKPOINT = "--> statement-breakpoint"
DIRECTIVE_FK_OFF = "-- mizzle:foreign-keys-off"
DIRECTIVE_NO_TRANSACTION = "-- mizzle:no-transaction"
#: `-- mizzle:guard <message>` before a count query: see `mizzle.core.plan.Guard`
DIRECTIVE_GUARD = "-- mizzle:guard "


@dataclass(frozen=True)
class ParsedStatement:
    sql: str
    transactional: bool = True
    #: set for a guard: the query returns a count that must be 0, else fail with this message
    guard_message: str | None = None


@dataclass(frozen=True)
class ParsedMigration:
    statements: tuple[ParsedStatement, ...]
    foreign_keys_off: bool = False
    warnings: tuple[str, ...] = field(default=())


def render_file(plan: Plan, title: str) -> str:
    """The text of a migration file for `plan` (`title`: e.g. `0003_add_session (sqlite)`)."""
    lines = [f"-- mizzle migration {title}"]
    ops = plan.operations
    if ops:
        lines.append("-- operations:")
        lines += [f"--   {op.describe()}" for op in ops]
    warnings = plan.warnings()
    if warnings:
        lines.append("-- warnings:")
        lines += [f"--   {w}" for w in warnings]
    if plan.foreign_keys_off:
        lines.append(DIRECTIVE_FK_OFF)
    chunks = []
    for step in plan.steps:
        for guard in step.guards:
            chunks.append(f"{DIRECTIVE_GUARD}{guard.message}\n{guard.query.rstrip().rstrip(';')};")
        for statement in step.statements:
            text = statement.rstrip().rstrip(";") + ";"
            if step.comment:
                text = f"-- {step.comment}\n{text}"
            if not step.transactional:
                text = f"{DIRECTIVE_NO_TRANSACTION}\n{text}"
            chunks.append(text)
    body = f"\n{BREAKPOINT}\n".join(chunks)
    return "\n".join(lines) + "\n\n" + (body + "\n" if body else "")


def parse_file(text: str) -> ParsedMigration:
    """Split a migration file into statements (by breakpoints) and read its directives.

    A file without breakpoints (hand-written) is one chunk: the dialect runner decides how
    to run it (PostgreSQL runs a multi-statement text as it is; SQLite splits it with
    `sqlite3.complete_statement`)."""
    fk_off = False
    warnings: list[str] = []
    statements: list[ParsedStatement] = []
    in_warnings = False
    for chunk in text.split(f"\n{BREAKPOINT}\n"):
        transactional = True
        guard: str | None = None
        body: list[str] = []
        for line in chunk.splitlines():
            stripped = line.strip()
            if stripped.startswith(DIRECTIVE_GUARD):
                guard = stripped[len(DIRECTIVE_GUARD) :]
            elif stripped == DIRECTIVE_FK_OFF:
                fk_off = True
            elif stripped == DIRECTIVE_NO_TRANSACTION:
                transactional = False
            elif stripped == "-- warnings:":
                in_warnings = True
            elif in_warnings and stripped.startswith("--   "):
                warnings.append(stripped[5:])
            else:
                in_warnings = in_warnings and stripped.startswith("--")
                body.append(line)
        while body and (not body[0].strip() or body[0].strip().startswith("--")):
            body.pop(0)  # the header and a step's comment: for the reader, not the database
        sql = "\n".join(body).strip()
        if _has_code(sql):
            statements.append(ParsedStatement(sql=sql, transactional=transactional, guard_message=guard))
    return ParsedMigration(statements=tuple(statements), foreign_keys_off=fk_off, warnings=tuple(warnings))


def _has_code(sql: str) -> bool:
    """Whether `sql` holds anything but comments and blank lines."""
    return any(line.strip() and not line.strip().startswith("--") for line in sql.splitlines())
