"""Migration files: written for review, read back by the runner without parsing SQL."""

from __future__ import annotations

import subprocess
import sys

from mizzle.core.migration_text import BREAKPOINT, parse_file, render_file
from mizzle.core.model import Column, Index, IndexKey
from mizzle.core.operations import AddColumn, CreateIndex, DropColumn
from mizzle.core.plan import Plan, Step
from mizzle.core.types import t

NOTES = Column(name="notes", type=t("text"))


def plan(*steps: Step, fk_off: bool = False) -> Plan:
    return Plan(dialect="sqlite", steps=steps, foreign_keys_off=fk_off)


def test_statements_come_back_as_written_with_their_directives() -> None:
    p = plan(
        Step(
            sources=(AddColumn(table="t", column=NOTES),),
            statements=('ALTER TABLE t ADD COLUMN "notes" TEXT',),
            reverse=(),
        ),
        Step(
            sources=(CreateIndex(table="t", index=Index(name="t_a_idx", keys=(IndexKey(column="a"),))),),
            statements=("CREATE INDEX CONCURRENTLY t_a_idx ON t (a)",),
            reverse=("DROP INDEX CONCURRENTLY t_a_idx",),
            transactional=False,
        ),
        fk_off=True,
    )
    text = render_file(p, "0002_notes (sqlite)")
    assert text.count(BREAKPOINT) == 1
    parsed = parse_file(text)
    assert [(s.sql, s.transactional) for s in parsed.statements] == [
        ('ALTER TABLE t ADD COLUMN "notes" TEXT;', True),
        ("CREATE INDEX CONCURRENTLY t_a_idx ON t (a);", False),
    ]
    assert parsed.foreign_keys_off is True


def test_warnings_are_listed_in_the_header_and_read_back() -> None:
    p = plan(
        Step(
            sources=(DropColumn(table="t", column=NOTES),), statements=("ALTER TABLE t DROP COLUMN notes",), reverse=()
        )
    )
    text = render_file(p, "0003 (postgresql)")
    assert "-- warnings:\n--   data loss: drop column t.notes (its values are lost)\n" in text
    assert parse_file(text).warnings == ("data loss: drop column t.notes (its values are lost)",)


def test_a_hand_written_file_without_breakpoints_is_one_chunk() -> None:
    parsed = parse_file("-- my data fix\nUPDATE t SET a = 1;\nUPDATE t SET b = 2;\n")
    assert [s.sql for s in parsed.statements] == ["UPDATE t SET a = 1;\nUPDATE t SET b = 2;"]


def test_an_empty_migration_has_no_statements() -> None:
    assert parse_file(render_file(plan(), "0004_custom (sqlite)")).statements == ()


def test_down_plan_reverses_steps_and_operations() -> None:
    up = plan(Step(sources=(AddColumn(table="t", column=NOTES),), statements=("up",), reverse=("down",)))
    down = up.down()
    assert down.steps[0].statements == ("down",) and down.steps[0].reverse == ("up",)
    assert down.operations == [DropColumn(table="t", column=NOTES)]


def test_reading_migrations_needs_no_sql_parser_nor_pydantic() -> None:
    # The browser runtime imports this module: it must stay light.
    code = "import sys, mizzle.core.migration_text; print([m for m in ('sqlglot', 'pydantic') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_guards_are_written_before_their_step_and_read_back_with_their_message() -> None:
    from mizzle.core.plan import Guard

    guard = Guard(
        query="SELECT count(*) FROM t WHERE a IS NULL", message="cannot make t.a NOT NULL: {count} rows are NULL"
    )
    p = plan(Step(sources=(), statements=("ALTER TABLE t ALTER COLUMN a SET NOT NULL",), reverse=(), guards=(guard,)))
    parsed = parse_file(render_file(p, "0005 (postgresql)"))
    assert [(s.sql, s.guard_message) for s in parsed.statements] == [
        ("SELECT count(*) FROM t WHERE a IS NULL;", "cannot make t.a NOT NULL: {count} rows are NULL"),
        ("ALTER TABLE t ALTER COLUMN a SET NOT NULL;", None),
    ]


# --- text from the schema never changes how a file is read (issue 9) ---------------------------

HOSTILE = "t\nDELETE FROM victim;\n--"


def test_a_name_with_line_breaks_stays_in_its_header_line() -> None:
    # The name reaches the header (`--   add column ...`); unescaped, its second line ran.
    p = plan(
        Step(
            sources=(AddColumn(table=HOSTILE, column=NOTES),),
            statements=('ALTER TABLE "t" ADD COLUMN "notes" TEXT',),
            reverse=(),
            comment=f"add column {HOSTILE}.notes",
        )
    )
    text = render_file(p, "0002 (sqlite)")
    assert "--   add column t\\nDELETE FROM victim;\\n--.notes text\n" in text
    assert [s.sql for s in parse_file(text).statements] == ['ALTER TABLE "t" ADD COLUMN "notes" TEXT;']


def test_a_guard_message_and_a_title_are_written_as_one_line() -> None:
    from mizzle.core.plan import Guard

    guard = Guard(query="SELECT 0", message="bad\r\u2028value: {count}")
    p = plan(Step(sources=(), statements=("SELECT 1",), reverse=(), guards=(guard,)))
    parsed = parse_file(render_file(p, "0006\nDROP TABLE x; (sqlite)"))
    assert [(s.sql, s.guard_message) for s in parsed.statements] == [
        ("SELECT 0;", "bad\\r\\u2028value: {count}"),
        ("SELECT 1;", None),
    ]


LITERAL = "a\n--> statement-breakpoint\n-- mizzle:no-transaction\n-- mizzle:guard x\n-- warnings:\n--   y\n'b"


def test_breakpoints_and_directives_inside_a_literal_are_part_of_the_literal() -> None:
    statement = "INSERT INTO t VALUES (" + "'" + LITERAL.replace("'", "''") + "'" + ")"
    p = plan(Step(sources=(), statements=(statement, "SELECT 2"), reverse=()))
    parsed = parse_file(render_file(p, "0007 (sqlite)"))
    assert [(s.sql, s.transactional, s.guard_message) for s in parsed.statements] == [
        (statement + ";", True, None),
        ("SELECT 2;", True, None),
    ]
    assert parsed.warnings == ()


def test_quoted_names_dollar_bodies_e_strings_and_block_comments_hide_breakpoints_too() -> None:
    for statement in [
        f'CREATE TABLE "{LITERAL.replace(chr(39), "")}" (a int)',
        f"CREATE FUNCTION f() RETURNS text LANGUAGE sql AS $body$ SELECT '{LITERAL}' $body$",
        "SELECT E'it\\'s\n--> statement-breakpoint\n'",
        f"SELECT 1 /* {LITERAL} */",
    ]:
        parsed = parse_file(render_file(plan(Step(sources=(), statements=(statement,), reverse=())), "0008 (x)"))
        assert [s.sql for s in parsed.statements] == [statement + ";"], statement


def test_a_literal_with_other_line_ends_is_run_exactly_as_written() -> None:
    # str.splitlines() also splits at \r, \x0b, \x1c, \x85, \u2028...: a statement rebuilt from
    # its pieces with \n held a different value than the one written.
    statement = "INSERT INTO t VALUES ('a\r\nb\rc\x0bd\x1ce\x85f\u2028g\u2029h')"
    parsed = parse_file(render_file(plan(Step(sources=(), statements=(statement,), reverse=())), "0009 (x)"))
    assert [s.sql for s in parsed.statements] == [statement + ";"]


def test_directives_count_only_above_a_statement_not_between_its_lines() -> None:
    parsed = parse_file("SELECT 1\n-- mizzle:no-transaction\n, 2;\n")
    assert [(s.sql, s.transactional) for s in parsed.statements] == [("SELECT 1\n-- mizzle:no-transaction\n, 2;", True)]


def test_one_line_escapes_control_characters_and_separators_only() -> None:
    from mizzle.core.migration_text import one_line

    assert one_line('tune\'s "title" -- é ; 🎻') == 'tune\'s "title" -- é ; 🎻'
    assert one_line("a\nb\rc\x00d\te\u2028f\u2029g\x85") == "a\\nb\\rc\\x00d\\te\\u2028f\\u2029g\\x85"
