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
