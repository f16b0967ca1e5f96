"""Splitting a PostgreSQL script into statements, as psql would run them, and reading them.

A `;` ends a statement only outside quotes and comments: '...' strings (E'...' with
backslash escapes), "..." identifiers, $$...$$ / $tag$...$tag$ bodies, -- and nested
/* */ comments. A psql meta-command (`\\c chinook`) is a statement of its own line, and the
rows after `COPY ... FROM stdin;` up to `\\.` belong to the COPY. Each statement keeps the
line it starts on, so errors can point at it.

Each statement is then read by sqlglot (`parse_statement`) or, for the statements sqlglot
knows only as opaque commands (ALTER SEQUENCE, CREATE DOMAIN, ALTER TYPE ... ADD VALUE...),
word by word (`Tokens`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import ParseError, TokenError

from mizzle.core.errors import SchemaSyntaxError

# Where something that changes the scanning state may start.
_SPECIAL = re.compile(r"""(?<![\w$])[eE]'|'|"|(?<![\w$])\$(?:[^\W\d]\w*)?\$|--|/\*|;""")
_STRING = re.compile(r"'(?:[^']|'')*'")
_ESCAPE_STRING = re.compile(r"[eE]'(?:[^'\\]|\\.|'')*'", re.DOTALL)
_IDENTIFIER = re.compile(r'"(?:[^"]|"")*"')
_BLANK = re.compile(r"\s*")
_COMMENT_EDGE = re.compile(r"/\*|\*/")
_COPY_FROM_STDIN = re.compile(r"^copy\b.*\bfrom\s+stdin\b", re.IGNORECASE | re.DOTALL)
_END_OF_COPY = re.compile(r"^\\\.[ \t\r]*$", re.MULTILINE)
_WORD = re.compile(r"\s+|--[^\n]*|/\*.*?\*/|([^\W\d][\w$]*)|(.)", re.DOTALL)


@dataclass(frozen=True)
class Statement:
    """One statement: its text from its first token to before its `;`, and where it starts."""

    text: str
    line: int

    @property
    def is_meta_command(self) -> bool:
        """A psql backslash command (`\\c db`, `\\set ...`): not SQL."""
        return self.text.startswith("\\")

    def head(self, count: int = 4) -> tuple[str, ...]:
        """The leading bare words, upper-cased (`CREATE`, `UNIQUE`, `INDEX`...), up to the
        first token that is not a bare word."""
        words: list[str] = []
        for m in _WORD.finditer(self.text):
            if m.group(2) is not None or len(words) == count:
                break
            if m.group(1) is not None:
                words.append(m.group(1).upper())
        return tuple(words)


class _Scanner:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self._line_pos = 0
        self._line = 1

    def line_at(self, pos: int) -> int:
        # Positions are asked for in increasing order: count newlines incrementally.
        if pos < self._line_pos:
            return self.text.count("\n", 0, pos) + 1
        self._line += self.text.count("\n", self._line_pos, pos)
        self._line_pos = pos
        return self._line

    def error(self, pos: int, what: str) -> SchemaSyntaxError:
        return SchemaSyntaxError(f"{self.source}:{self.line_at(pos)}: {what}")

    def skip_blanks(self, pos: int) -> int:
        """The position of the next token: whitespace and comments skipped."""
        text = self.text
        while True:
            pos = _BLANK.match(text, pos).end()  # type: ignore[union-attr]
            if text.startswith("--", pos):
                end = text.find("\n", pos)
                pos = len(text) if end < 0 else end + 1
            elif text.startswith("/*", pos):
                pos = self.skip_block_comment(pos)
            else:
                return pos

    def skip_block_comment(self, pos: int) -> int:
        depth = 0
        for m in _COMMENT_EDGE.finditer(self.text, pos):
            depth += 1 if m.group() == "/*" else -1
            if depth == 0:
                return m.end()
        raise self.error(pos, "unterminated /* comment")

    def skip_quoted(self, token: str, pos: int) -> int:
        """The end of the quoted thing (string, identifier, dollar body) starting at `pos`."""
        text = self.text
        if token.startswith("$"):
            end = text.find(token, pos + len(token))
            if end < 0:
                raise self.error(pos, f"unterminated dollar-quoted string {token}")
            return end + len(token)
        pattern = {"'": _STRING, '"': _IDENTIFIER}.get(token, _ESCAPE_STRING)
        m = pattern.match(text, pos)
        if m is None:
            what = "quoted identifier" if token == '"' else "quoted string"
            raise self.error(pos, f"unterminated {what}")
        return m.end()


def split_statements(text: str, source: str = "schema.sql") -> list[Statement]:
    """Split a script into statements (see the module docstring). Raises SchemaSyntaxError
    naming `source:line` for an unterminated string, identifier, dollar quote or comment."""
    scanner = _Scanner(text, source)
    statements: list[Statement] = []
    pos = 0
    while True:
        start = scanner.skip_blanks(pos)
        if start >= len(text):
            return statements
        if text.startswith(";", start):
            pos = start + 1  # an empty statement
            continue
        if text.startswith("\\", start):
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            statements.append(Statement(text[start:end].rstrip(), scanner.line_at(start)))
            pos = end
            continue
        end = _statement_end(scanner, start)
        body = text[start:end].rstrip()
        statements.append(Statement(body, scanner.line_at(start)))
        pos = end + 1
        if _COPY_FROM_STDIN.match(body):
            stop = _END_OF_COPY.search(text, pos)
            if stop is None:
                raise scanner.error(start, "COPY ... FROM stdin without its closing \\. line")
            pos = stop.end()


def _statement_end(scanner: _Scanner, start: int) -> int:
    """The position of the `;` that ends the statement starting at `start` (or the text's end)."""
    text = scanner.text
    pos = start
    while True:
        m = _SPECIAL.search(text, pos)
        if m is None:
            return len(text)
        token = m.group()
        if token == ";":
            return m.start()
        if token == "--":
            end = text.find("\n", m.end())
            pos = len(text) if end < 0 else end
        elif token == "/*":
            pos = scanner.skip_block_comment(m.start())
        else:
            pos = scanner.skip_quoted(token if token[0] in "'\"$" else "E'", m.start())


# --- reading the words of a statement sqlglot cannot parse ------------------------------

_TOKEN = re.compile(
    r"""\s+|--[^\n]*|/\*.*?\*/
    |(?P<ident>"(?:[^"]|"")*")
    |(?P<string>[eE]?'(?:[^']|'')*')
    |(?P<word>[^\W\d][\w$]*)
    |(?P<number>\d+(?:\.\d*)?)
    |(?P<punct>::|.)""",
    re.VERBOSE | re.DOTALL,
)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold_identifier(name: str) -> str:
    """PostgreSQL folds unquoted identifiers to lower case (ASCII letters only)."""
    return name.translate(_ASCII_LOWER)


def clip_identifier(name: str) -> str:
    """PostgreSQL truncates identifiers to 63 bytes (with a NOTICE)."""
    return name.encode()[:63].decode(errors="ignore") if len(name) > 15 else name


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "ident", "string", "number" or "punct"
    text: str  # as written
    start: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def value(self) -> str:
        """A name folded or unquoted as PostgreSQL reads it; a string literal's content."""
        if self.kind == "word":
            return clip_identifier(fold_identifier(self.text))
        if self.kind == "ident":
            return clip_identifier(self.text[1:-1].replace('""', '"'))
        if self.kind == "string":
            body = self.text[self.text.index("'") + 1 : -1]
            return body.replace("''", "'")
        return self.text


class Tokens:
    """A cursor over a statement's tokens, read lazily (so a function body after the name is
    never scanned). Used for the statements sqlglot parses only as opaque commands."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._source = (
            Token(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text) if m.lastgroup is not None
        )
        self._buffer: list[Token] = []

    def peek(self, ahead: int = 0) -> Token | None:
        while len(self._buffer) <= ahead:
            token = next(self._source, None)
            if token is None:
                return None
            self._buffer.append(token)
        return self._buffer[ahead]

    def next(self) -> Token | None:
        token = self.peek()
        if token is not None:
            self._buffer.pop(0)
        return token

    def at(self, *words: str) -> bool:
        """Whether the next tokens are these key words (or punctuation)."""
        for i, word in enumerate(words):
            token = self.peek(i)
            if token is None or (token.upper or token.text) != word:
                return False
        return True

    def accept(self, *words: str) -> bool:
        """Consume the next tokens if they are these key words (or punctuation)."""
        if not self.at(*words):
            return False
        for _ in words:
            self.next()
        return True

    def skip_to(self, *words: str) -> bool:
        """Consume tokens up to and including the key words; False if they never come."""
        while self.peek() is not None:
            if self.accept(*words):
                return True
            self.next()
        return False

    def name(self) -> tuple[str, ...]:
        """A possibly qualified name (`public."Mood"` → ("public", "Mood")); () when none."""
        parts: list[str] = []
        while (token := self.peek()) is not None and token.kind in ("word", "ident"):
            self.next()
            parts.append(token.value)
            if not self.accept("."):
                break
        return tuple(parts)

    def string(self) -> str | None:
        token = self.peek()
        if token is None or token.kind != "string":
            return None
        self.next()
        return token.value

    def qualified_name(self) -> str:
        """A name as the model holds it: `public.` dropped (`app.t` kept qualified)."""
        return qualified(self.name())

    def parenthesized(self) -> str:
        """The text between the next `(` and its `)`."""
        opening = self.next()
        if opening is None or opening.text != "(":
            raise SchemaSyntaxError("expected a parenthesized expression")
        depth = 1
        while (token := self.next()) is not None:
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            if depth == 0:
                return self.text[opening.start + 1 : token.start]
        raise SchemaSyntaxError("unbalanced parentheses")


def qualified(parts: tuple[str, ...]) -> str:
    """`("public", "t")` → "t"; `("app", "t")` → "app.t"."""
    if len(parts) > 1 and parts[-2] == "public":
        return parts[-1]
    return ".".join(parts[-2:])


# --- parsing one statement with sqlglot ---------------------------------------------------


class _QuietParser(Postgres.Parser):  # type: ignore[valid-type,misc]
    # Statements sqlglot knows only as opaque commands are recognised by their words before
    # they get here: no warning should be logged for the few that still fall through.
    def _warn_unsupported(self) -> None:
        pass


_POSTGRES = Postgres()


def parse_statement(statement: Statement, what: str) -> exp.Expression:
    """sqlglot's tree of one statement; SchemaSyntaxError (`cannot parse CREATE TABLE
    statement: ...`, with the file's line number) when it cannot read it."""
    try:
        trees = _QuietParser(dialect=_POSTGRES).parse(_POSTGRES.tokenize(statement.text), statement.text)
    except (ParseError, TokenError) as err:
        raise SchemaSyntaxError(f"cannot parse {what} statement: {_first_line(err, statement.line)}") from None
    tree = trees[0] if len(trees) == 1 else None
    if not isinstance(tree, exp.Expression):
        raise SchemaSyntaxError(f"cannot parse {what} statement: expected one statement")
    return tree


def _first_line(err: Exception, statement_line: int) -> str:
    """sqlglot's message, first line, with its line number made the file's."""
    errors = getattr(err, "errors", None)
    if errors:
        first = errors[0]
        description = first.get("description") or "syntax error"
        line = first.get("line")
        if isinstance(line, int):
            return f"{description}. Line {statement_line + line - 1}, Col: {first.get('col')}."
        return str(description)
    text = str(err)
    return text.splitlines()[0] if text else "syntax error"


def parse_type(text: str, what: str, line: int) -> exp.DataType:
    """sqlglot's tree of a type spelled in a statement sqlglot cannot parse (CREATE DOMAIN)."""
    try:
        return exp.DataType.build(text, dialect="postgres", udt=True)
    except (ParseError, TokenError, ValueError) as err:
        raise SchemaSyntaxError(f"cannot parse {what} statement: {_first_line(err, line)}") from None
