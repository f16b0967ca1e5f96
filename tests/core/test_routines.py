"""Code in the model (`core/routines.py`): a function's identity and facts read from its text,
triggers per database, the operations on them (reverse, safety), where the diff puts them,
and evolve refusing what does not fit."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mizzle.core.diff import diff
from mizzle.core.errors import SchemaError
from mizzle.core.evolve import evolve
from mizzle.core.model import Column, PrimaryKey, Schema, Table
from mizzle.core.operations import Safety, reverse_all
from mizzle.core.routine_ops import (
    ROUTINE_OPERATIONS,
    CreateExtension,
    CreateFunction,
    CreateTrigger,
    DropExtension,
    DropFunction,
    DropTrigger,
    ReplaceFunction,
)
from mizzle.core.routines import Extension, Function, Trigger
from mizzle.core.types import t

DEF = """CREATE OR REPLACE FUNCTION public.add(a integer, b integer DEFAULT 1, OUT c integer)
 RETURNS integer
 LANGUAGE sql
 IMMUTABLE SECURITY DEFINER
AS $function$ SELECT a + b -- LANGUAGE plpgsql in a body is not the language
$function$
"""
ADD = Function(definition=DEF)
TOUCH = Function(definition="create function touch() returns trigger language plpgsql as $$ begin return new; end $$;")
TRIGGER = Trigger(name="touched", postgresql="CREATE TRIGGER touched BEFORE UPDATE ON tune EXECUTE FUNCTION touch()")
TUNE = Table(
    name="tune",
    columns=(Column(name="id", type=t("integer"), nullable=False),),
    primary_key=PrimaryKey(name="tune_pkey", columns=("id",)),
)


def test_a_functions_identity_and_facts_come_from_its_text() -> None:
    assert ADD.key == ("public", "add", "a integer, b integer, OUT c integer")
    assert (ADD.kind, ADD.language, ADD.volatility, ADD.security_definer) == ("function", "sql", "immutable", True)
    assert ADD.definition == DEF.strip()
    assert TOUCH.label == "public.touch()" and TOUCH.definition.endswith("$$")  # the final ; is not kept
    assert (TOUCH.language, TOUCH.volatility, TOUCH.security_definer) == ("plpgsql", "volatile", False)
    quoted = Function(definition='CREATE PROCEDURE "App"."Do It"(x text = \'a,b\') LANGUAGE sql AS $$ $$')
    assert (quoted.kind, quoted.key) == ("procedure", ("App", "Do It", "x text"))


def test_what_is_not_a_function_or_a_trigger_for_no_database_is_refused() -> None:
    with pytest.raises(ValidationError, match="CREATE \\[OR REPLACE\\] FUNCTION"):
        Function(definition="CREATE VIEW v AS SELECT 1")
    with pytest.raises(ValidationError, match="give its definition"):
        Trigger(name="t")


def test_operations_reverse_exactly_and_are_safe() -> None:
    other = Function(definition=DEF.replace("a + b", "a - b"))
    ops = [
        CreateExtension(extension=Extension(name="pgcrypto")),
        DropExtension(extension=Extension(name="citext", schema_name="extensions")),
        CreateFunction(function=ADD),
        DropFunction(function=TOUCH),
        ReplaceFunction(old=ADD, new=other),
        CreateTrigger(table="tune", trigger=TRIGGER),
        DropTrigger(table="tune", trigger=TRIGGER),
    ]
    assert {type(op) for op in ops} == set(ROUTINE_OPERATIONS)
    for op in ops:
        assert op.reverse().reverse() == op
        assert op.safety is Safety.SAFE
    assert ReplaceFunction(old=ADD, new=other).reverse() == ReplaceFunction(old=other, new=ADD)


def test_the_diff_makes_code_after_what_it_uses_and_drops_it_before() -> None:
    old = Schema(tables=(TUNE,))
    new = Schema(
        tables=(TUNE.model_copy(update={"triggers": (TRIGGER,)}),),
        functions=(TOUCH,),
        extensions=(Extension(name="pgcrypto"),),
    )
    ops = diff(old, new)
    assert [op.describe() for op in ops] == [
        "create extension pgcrypto",
        "create function public.touch() (plpgsql, volatile)",
        "create trigger touched on tune",
    ]
    assert evolve(old, ops) == new
    back = diff(new, old)
    assert [op.describe() for op in back] == [
        "drop trigger touched on tune",
        "drop function public.touch()",
        "drop extension pgcrypto",
    ]
    assert evolve(new, reverse_all(ops)) == old
    assert diff(new, new) == []


def test_a_table_dropped_or_changed_has_its_triggers_dropped_first_and_made_last() -> None:
    with_trigger = TUNE.model_copy(update={"triggers": (TRIGGER,)})
    old = Schema(tables=(with_trigger,), functions=(TOUCH,))
    dropped = diff(old, Schema(functions=(TOUCH,)))
    assert [op.describe() for op in dropped] == ["drop trigger touched on tune", "drop table tune (its rows are lost)"]
    assert evolve(Schema(functions=(TOUCH,)), reverse_all(dropped)) == old  # the down makes it again, trigger last

    wider = with_trigger.model_copy(update={"columns": (Column(name="id", type=t("bigint"), nullable=False),)})
    altered = diff(old, Schema(tables=(wider,), functions=(TOUCH,)))
    assert altered[0] == DropTrigger(table="tune", trigger=TRIGGER)
    assert altered[-1] == CreateTrigger(table="tune", trigger=TRIGGER)

    # a function whose arguments change is another function: its triggers go first
    touch2 = Function(definition=TOUCH.definition.replace("touch()", "touch(x int)"))
    calling = diff(old, old.model_copy(update={"functions": (touch2,)}))
    assert [type(op).__name__ for op in calling] == ["DropTrigger", "DropFunction", "CreateFunction", "CreateTrigger"]


def test_evolve_refuses_code_that_does_not_fit() -> None:
    with pytest.raises(SchemaError, match='no table "tune"'):
        evolve(Schema(), [CreateTrigger(table="tune", trigger=TRIGGER)])
    with pytest.raises(SchemaError, match="exists"):
        evolve(Schema(functions=(TOUCH,)), [CreateFunction(function=TOUCH)])
    with pytest.raises(SchemaError, match="differs from the operation's copy"):
        evolve(Schema(functions=(TOUCH,)), [DropFunction(function=ADD)])
    with pytest.raises(SchemaError, match="cannot change a function's name"):
        evolve(Schema(functions=(TOUCH,)), [ReplaceFunction(old=TOUCH, new=ADD)])


TOKEN = Function(
    definition="CREATE FUNCTION basejump.generate_token(length integer) RETURNS text LANGUAGE sql "
    "AS $$ SELECT repeat('x', length) $$"
)
ROWS = Function(
    definition="CREATE FUNCTION public.tunes_of(owner integer) RETURNS SETOF tune LANGUAGE sql "
    "AS $$ SELECT * FROM tune WHERE id = owner $$"
)


def test_a_function_whose_signature_names_no_table_comes_before_the_tables() -> None:
    """A new table's DEFAULT may call a new function (Basejump's `basejump.generate_token(30)`);
    one returning a table's rows comes after that table."""
    old = Schema()
    new = Schema(tables=(TUNE,), functions=(TOKEN, ROWS))
    assert [op.describe() for op in diff(old, new)] == [
        "create function basejump.generate_token(length integer) (sql, volatile)",
        "create table tune",
        "create function public.tunes_of(owner integer) (sql, volatile)",
    ]
