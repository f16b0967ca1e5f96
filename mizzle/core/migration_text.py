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

Text from the schema (names, literals, expressions) never changes how a file is read:

- everything written into a comment line (the header's operations and warnings, a step's
  comment, a guard's message) is made one line by `one_line`: control characters and
  Unicode line and paragraph separators are written as escapes (`\\n`, `\\x1b`, `\\u2028`),
  so no name or value can end the comment and start a statement;
- a statement may still span lines inside a string literal, a quoted name, a dollar-quoted
  body or a block comment (a default `'a\\nb'`, a view over such a value): `parse_file`
  finds those with a small lexer (`_continued_lines`) and never reads a line that starts
  inside one as a breakpoint or a directive, and it splits lines only at `\\n`, so such a
  literal is run exactly as written;
- directives count only in the comment lines at the top of a chunk (the header, or above a
  statement), never between the lines of a statement.

Reading needs nothing but the standard library (the browser runtime imports this module;
it must not pull in sqlglot or pydantic): the model is imported for type checking only.
"""

from __future__ import annotations

import functools
import re
import unicodedata
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


def one_line(text: str) -> str:
    r"""`text` as one line of a `--` comment: every control character (NUL, tab, `\n`, `\r`...)
    and every Unicode line or paragraph separator (and lone surrogate) written as its Python
    escape (`\n`, `\x1b`, `\u2028`), so that neither database, nor `str.splitlines`, sees a line end in it
    (PostgreSQL ends a `--` comment at `\r` too)."""
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if unicodedata.category(c) in _LINE_BREAKING else c for c in text)


#: control characters, line separators, paragraph separators, and lone surrogates (which
#: no file, terminal or database can take as UTF-8)
_LINE_BREAKING = frozenset({"Cc", "Zl", "Zp", "Cs"})


def render_file(plan: Plan, title: str) -> str:
    """The text of a migration file for `plan` (`title`: e.g. `0003_add_session (sqlite)`)."""
    from mizzle.core.side_notes import header_lines  # (not for the runtime, which only reads files)

    lines = [f"-- mizzle migration {one_line(title)}", *header_lines(plan.notes)]
    ops = plan.operations
    if ops:
        lines.append("-- operations:")
        lines += [f"--   {one_line(op.describe())}" for op in ops]
    warnings = plan.warnings()
    if warnings:
        lines.append("-- warnings:")
        lines += [f"--   {one_line(w)}" for w in warnings]
    if plan.foreign_keys_off:
        lines.append(DIRECTIVE_FK_OFF)
    chunks = []
    for step in plan.steps:
        for guard in step.guards:
            chunks.append(f"{DIRECTIVE_GUARD}{one_line(guard.message)}\n{guard.query.rstrip().rstrip(';')};")
        for statement in step.statements:
            text = statement.rstrip().rstrip(";") + ";"
            if step.comment:
                text = f"-- {one_line(step.comment)}\n{text}"
            if not step.transactional:
                text = f"{DIRECTIVE_NO_TRANSACTION}\n{text}"
            chunks.append(text)
    body = f"\n{BREAKPOINT}\n".join(chunks)
    return "\n".join(lines) + "\n\n" + (body + "\n" if body else "")


# Cached: an atomic upgrade reads every pending file before its transaction (do foreign keys go
# off? must a statement run outside a transaction?) and the runner reads it again to run it.
# Natively, parsing was two thirds of the runner's own Python time in a 25-migration upgrade
# (the scan for quoted text), half of it the second read. The result is immutable, so sharing
# it is safe.
@functools.lru_cache(maxsize=256)
def parse_file(text: str) -> ParsedMigration:
    r"""Split a migration file into statements (by breakpoints) and read its directives.

    Lines are split at `\n` only, and a line that starts inside a string literal, a quoted
    name, a dollar-quoted body or a block comment is part of its statement whatever it says
    (see the module doc). A file without breakpoints (hand-written) is one chunk: the dialect
    runner decides how to run it (PostgreSQL runs a multi-statement text as it is; SQLite
    splits it with `sqlite3.complete_statement`)."""
    continued = _continued_lines(text)
    chunks: list[list[tuple[str, bool]]] = [[]]
    for number, line in enumerate(text.split("\n")):
        code = number not in continued  # False: the line goes on a literal begun above
        if code and line.strip() == BREAKPOINT:
            chunks.append([])
        else:
            chunks[-1].append((line, code))
    fk_off = False
    warnings: list[str] = []
    statements: list[ParsedStatement] = []
    for index, chunk in enumerate(chunks):
        transactional = True
        guard: str | None = None
        in_warnings = False
        # The chunk's leading comment lines: the header (first chunk) or a step's directives
        # and comment. Directives count only here, never between a statement's lines.
        lead = 0
        while lead < len(chunk) and (not chunk[lead][0].strip() or chunk[lead][0].strip().startswith("--")):
            stripped = chunk[lead][0].strip()
            if stripped.startswith(DIRECTIVE_GUARD):
                guard = stripped[len(DIRECTIVE_GUARD) :]
            elif stripped == DIRECTIVE_FK_OFF:
                fk_off = True
            elif stripped == DIRECTIVE_NO_TRANSACTION:
                transactional = False
            elif index == 0 and stripped == "-- warnings:":
                in_warnings = True
            elif in_warnings and stripped.startswith("--   "):
                warnings.append(stripped[5:])
            else:
                in_warnings = False
            lead += 1
        sql = "\n".join(line for line, _ in chunk[lead:]).strip()
        if sql:
            statements.append(ParsedStatement(sql=sql, transactional=transactional, guard_message=guard))
    return ParsedMigration(statements=tuple(statements), foreign_keys_off=fk_off, warnings=tuple(warnings))


# Where a quoted thing starts: a `--` or `/* */` comment, a string ('...', or PostgreSQL's
# E'...' with backslash escapes), a quoted name, a PostgreSQL dollar quote ($$ or $tag$). Both
# databases agree on these; SQLite's [name] and `name` quoting is not recognised (mizzle
# never writes it; a hand-written file that splits with breakpoints should use "name").
_OPENER = re.compile(
    r"""--|/\*|(?<![\w$])[Ee]'|'|"|(?<![\w$])\$(?:[^\W\d$][^\W$]*)?\$""",
)
_REST = {
    "'": re.compile(r"[^']*(?:''[^']*)*'"),
    '"': re.compile(r'[^"]*(?:""[^"]*)*"'),
    "E'": re.compile(r"(?:[^'\\]|\\.|'')*'", re.DOTALL),
}


def _continued_lines(text: str) -> set[int]:
    r"""The numbers (0-based, lines split at `\n`) of the lines that start inside a string,
    quoted name, dollar-quoted body or block comment begun on an earlier line. Something
    left open runs to the end of the text, as the database would read it."""
    continued: set[int] = set()
    pos = 0
    while (found := _OPENER.search(text, pos)) is not None:
        opener = found.group()
        start = found.end()
        if opener == "--":
            end = text.find("\n", start)
            pos = len(text) if end < 0 else end
            continue
        if opener == "/*":
            close = text.find("*/", start)
            end = len(text) if close < 0 else close + 2
        elif opener.startswith("$"):
            close = text.find(opener, start)
            end = len(text) if close < 0 else close + len(opener)
        else:
            rest = _REST[opener.upper()].match(text, start)
            end = len(text) if rest is None else rest.end()
        if "\n" in text[found.start() : end]:
            first = text.count("\n", 0, found.start())
            continued.update(range(first + 1, first + 1 + text.count("\n", found.start(), end)))
        pos = end
    return continued
