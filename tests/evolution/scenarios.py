"""Evolution scenarios: schema A with rows → schema B, on both databases.

Each scenario is data: two schema modules in the DSL, the rows to insert under A, the rows
expected under B, and what must happen (success, or a failure whose message is given and
which must leave the database exactly as it was). `test_evolution.py` runs every one on
PostgreSQL and SQLite through `mizzle generate` / `migrate` / `rollback`.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

Rows = dict[str, list[dict[str, Any]]]

HEADER = """\
from mizzle.dsl import (
    Enum, Table, View, bigint, boolean, check, desc, foreign_key, index, integer, now, primary_key, random_uuid,
    serial, sql, text, timestamptz, unique, uuid, varchar,
)
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    a: str
    b: str
    rows: Rows = field(default_factory=dict)
    #: rows after the migration, per table, ordered by the first column; only listed tables are read
    expect: Rows = field(default_factory=dict)
    renames: tuple[str, ...] = ()
    #: the migration must fail with a message containing this text, changing nothing
    fails: str | None = None
    #: the databases on which it must fail (elsewhere it must succeed and give `expect`)
    fails_on: tuple[str, ...] = ("postgresql", "sqlite")
    #: (parent table, parent key column, parent key value, child table): deleting that parent
    #: row after the migration must delete its children (a cascade still cascades)
    cascade: tuple[str, str, Any, str] | None = None
    #: the down migration cannot bring the rows back (a drop, a narrowing): check the schema only
    lossy: bool = False

    def source(self, which: str) -> str:
        return HEADER + (self.a if which == "a" else self.b)


PARENT = """
class Parent(Table):
    id = integer().primary_key()
    name = text().not_null()
"""

CHILD_CASCADE = """
class Child(Table):
    id = integer().primary_key()
    parent_id = integer().references(lambda: Parent.id, on_delete="cascade")
    note = text()
"""

TUNE = """
class Tune(Table):
    id = integer().primary_key()
    title = text()
    plays = integer()
"""

TUNE_ROWS: Rows = {
    "tune": [
        {"id": 1, "title": "Drowsy Maggie", "plays": 3},
        {"id": 2, "title": None, "plays": None},
        {"id": 3, "title": "Kesh", "plays": 10},
    ]
}

FAMILY_ROWS: Rows = {
    "parent": [{"id": 1, "name": "p1"}, {"id": 2, "name": "p2"}],
    "child": [
        {"id": 10, "parent_id": 1, "note": "a"},
        {"id": 11, "parent_id": 1, "note": "b"},
        {"id": 12, "parent_id": 2, "note": None},
    ],
}


def tune_rows(**changes: Any) -> list[dict[str, Any]]:
    """TUNE_ROWS' rows with some columns added or replaced (a value, or a list per row)."""
    out = []
    for i, row in enumerate(TUNE_ROWS["tune"]):
        new = dict(row)
        for key, value in changes.items():
            if value is _DROP:
                new.pop(key, None)
            else:
                new[key] = value[i] if isinstance(value, list) else value
        out.append(new)
    return out


_DROP = object()


SCENARIOS: list[Scenario] = [
    # --- tables -------------------------------------------------------------------------------
    Scenario(
        "add_table",
        TUNE,
        TUNE + "\nclass Playlist(Table):\n    id = serial().primary_key()\n    name = text().not_null()\n",
        rows=TUNE_ROWS,
        expect={"tune": TUNE_ROWS["tune"], "playlist": []},
    ),
    Scenario(
        "drop_table",
        TUNE + "\nclass Playlist(Table):\n    id = serial().primary_key()\n",
        TUNE,
        rows={**TUNE_ROWS, "playlist": [{"id": 1}]},
        expect=TUNE_ROWS,
        lossy=True,
    ),
    Scenario(
        "rename_table",
        "\nclass Playlist(Table):\n    id = integer().primary_key()\n    name = text()\n",
        "\nclass Repertoire(Table):\n    id = integer().primary_key()\n    name = text()\n",
        rows={"playlist": [{"id": 1, "name": "session"}]},
        expect={"repertoire": [{"id": 1, "name": "session"}]},
        renames=("playlist=repertoire",),
    ),
    Scenario(
        "rename_parent_table_with_inbound_fk",
        PARENT + CHILD_CASCADE,
        PARENT.replace("class Parent", "class Family") + CHILD_CASCADE.replace("Parent.id", "Family.id"),
        rows=FAMILY_ROWS,
        expect={"family": FAMILY_ROWS["parent"], "child": FAMILY_ROWS["child"]},
        renames=("parent=family",),
        cascade=("family", "id", 1, "child"),
    ),
    # --- columns ------------------------------------------------------------------------------
    Scenario(
        "add_nullable_column",
        TUNE,
        TUNE + "    notes = text()\n",
        rows=TUNE_ROWS,
        expect={"tune": tune_rows(notes=None)},
    ),
    Scenario(
        "add_column_with_default",
        TUNE,
        TUNE + "    rating = integer().default(3)\n",
        rows=TUNE_ROWS,
        expect={"tune": tune_rows(rating=3)},
    ),
    Scenario(
        "add_not_null_column_with_default",
        TUNE,
        TUNE + "    key = text().not_null().default('D')\n",
        rows=TUNE_ROWS,
        expect={"tune": tune_rows(key="D")},
    ),
    Scenario(
        "add_now_default_column_to_populated_table",
        TUNE,
        TUNE + "    added_at = timestamptz().not_null().default(now())\n",
        rows=TUNE_ROWS,
        expect={"tune": tune_rows()},  # added_at checked for being set, see test
    ),
    Scenario(
        "add_uuid_default_column_to_populated_table",
        TUNE,
        TUNE + "    uid = uuid().not_null().default(random_uuid())\n",
        rows=TUNE_ROWS,
        expect={"tune": tune_rows()},
    ),
    Scenario(
        "add_not_null_column_without_default_fails_on_rows",
        TUNE,
        TUNE + "    key = text().not_null()\n",
        rows=TUNE_ROWS,
        fails="3 rows",
    ),
    Scenario(
        "drop_column",
        TUNE,
        TUNE.replace("    plays = integer()\n", ""),
        rows=TUNE_ROWS,
        expect={"tune": tune_rows(plays=_DROP)},
        lossy=True,
    ),
    Scenario(
        "drop_indexed_column",
        TUNE + "    __indexes__ = (index('plays'),)\n",
        TUNE.replace("    plays = integer()\n", ""),
        rows=TUNE_ROWS,
        expect={"tune": tune_rows(plays=_DROP)},
        lossy=True,
    ),
    Scenario(
        "rename_column",
        TUNE,
        TUNE.replace("title = text()", "name = text()"),
        rows=TUNE_ROWS,
        expect={"tune": [{"id": r["id"], "name": r["title"], "plays": r["plays"]} for r in TUNE_ROWS["tune"]]},
        renames=("tune.title=name",),
    ),
    Scenario(
        "rename_parent_key_column_referenced_by_fk",
        PARENT + CHILD_CASCADE,
        PARENT.replace("id = integer().primary_key()", "pid = integer().primary_key()")
        + CHILD_CASCADE.replace("Parent.id", "Parent.pid"),
        rows=FAMILY_ROWS,
        expect={"child": FAMILY_ROWS["child"]},
        renames=("parent.id=pid",),
        cascade=("parent", "pid", 2, "child"),
    ),
    # --- types --------------------------------------------------------------------------------
    Scenario(
        "widen_integer_to_bigint",
        TUNE,
        TUNE.replace("plays = integer()", "plays = bigint()"),
        rows=TUNE_ROWS,
        expect=TUNE_ROWS,
    ),
    Scenario(
        "widen_varchar",
        "\nclass Tune(Table):\n    id = integer().primary_key()\n    title = varchar(20)\n",
        "\nclass Tune(Table):\n    id = integer().primary_key()\n    title = varchar(100)\n",
        rows={"tune": [{"id": 1, "title": "Drowsy Maggie"}]},
        expect={"tune": [{"id": 1, "title": "Drowsy Maggie"}]},
    ),
    Scenario(
        "change_integer_to_text",
        TUNE,
        TUNE.replace("plays = integer()", "plays = text()"),
        rows=TUNE_ROWS,
        expect={"tune": tune_rows(plays=["3", None, "10"])},
    ),
    Scenario(
        "change_text_to_integer",
        "\nclass Tune(Table):\n    id = integer().primary_key()\n    plays = text()\n",
        "\nclass Tune(Table):\n    id = integer().primary_key()\n    plays = integer()\n",
        rows={"tune": [{"id": 1, "plays": "3"}, {"id": 2, "plays": None}]},
        expect={"tune": [{"id": 1, "plays": 3}, {"id": 2, "plays": None}]},
    ),
    Scenario(
        "change_text_to_integer_over_non_numbers_fails",
        "\nclass Tune(Table):\n    id = integer().primary_key()\n    plays = text()\n",
        "\nclass Tune(Table):\n    id = integer().primary_key()\n    plays = integer()\n",
        rows={"tune": [{"id": 1, "plays": "3"}, {"id": 2, "plays": "many"}]},
        fails="1 row",
    ),
    Scenario(
        "narrow_varchar_over_long_values_fails",
        "\nclass Tune(Table):\n    id = integer().primary_key()\n    title = varchar(100)\n",
        "\nclass Tune(Table):\n    id = integer().primary_key()\n    title = varchar(5)\n",
        rows={"tune": [{"id": 1, "title": "Kesh"}, {"id": 2, "title": "Drowsy Maggie"}]},
        fails="1 row",
        # SQLite never enforces a varchar's length (any insert may exceed it), so narrowing
        # the declared type is not a change that can fail there: it keeps the rows as they are.
        fails_on=("postgresql",),
        expect={"tune": [{"id": 1, "title": "Kesh"}, {"id": 2, "title": "Drowsy Maggie"}]},
    ),
    # --- nullability and defaults -------------------------------------------------------------
    Scenario(
        "not_null_with_default_fills_null_rows",
        TUNE,
        TUNE.replace("plays = integer()", "plays = integer().not_null().default(0)"),
        rows=TUNE_ROWS,
        expect={"tune": tune_rows(plays=[3, 0, 10])},
        lossy=True,  # the NULL became 0: the down migration cannot tell it from a real 0
    ),
    Scenario(
        "not_null_without_default_over_no_nulls",
        TUNE,
        TUNE.replace("title = text()", "title = text().not_null()"),
        rows={"tune": [{"id": 1, "title": "Kesh", "plays": 1}]},
        expect={"tune": [{"id": 1, "title": "Kesh", "plays": 1}]},
    ),
    Scenario(
        "not_null_without_default_over_nulls_fails",
        TUNE,
        TUNE.replace("title = text()", "title = text().not_null()"),
        rows=TUNE_ROWS,
        fails="1 row",
    ),
    Scenario(
        "drop_not_null",
        TUNE.replace("title = text()", "title = text().not_null()"),
        TUNE,
        rows={"tune": [{"id": 1, "title": "Kesh", "plays": 1}]},
        expect={"tune": [{"id": 1, "title": "Kesh", "plays": 1}]},
    ),
    Scenario(
        "add_change_and_drop_defaults",
        TUNE + "    key = text().default('D')\n    mode = text()\n",
        TUNE.replace("plays = integer()", "plays = integer().default(0)")
        + "    key = text().default('G')\n    mode = text()\n",
        rows={"tune": [{"id": 1, "title": "Kesh", "plays": 1, "key": "A", "mode": None}]},
        expect={"tune": [{"id": 1, "title": "Kesh", "plays": 1, "key": "A", "mode": None}]},
    ),
    # --- constraints --------------------------------------------------------------------------
    Scenario(
        "add_foreign_key",
        PARENT + CHILD_CASCADE.replace('.references(lambda: Parent.id, on_delete="cascade")', ""),
        PARENT + CHILD_CASCADE,
        rows=FAMILY_ROWS,
        expect=FAMILY_ROWS,
        cascade=("parent", "id", 1, "child"),
    ),
    Scenario(
        "add_foreign_key_over_orphans_fails",
        PARENT + CHILD_CASCADE.replace('.references(lambda: Parent.id, on_delete="cascade")', ""),
        PARENT + CHILD_CASCADE,
        rows={"parent": [{"id": 1, "name": "p1"}], "child": [{"id": 10, "parent_id": 99, "note": None}]},
        fails="1 row",
    ),
    Scenario(
        "drop_foreign_key",
        PARENT + CHILD_CASCADE,
        PARENT + CHILD_CASCADE.replace('.references(lambda: Parent.id, on_delete="cascade")', ""),
        rows=FAMILY_ROWS,
        expect=FAMILY_ROWS,
    ),
    Scenario(
        "add_and_drop_unique",
        TUNE.replace("title = text()", "title = text().unique()"),
        TUNE.replace("plays = integer()", "plays = integer().unique()"),
        rows=TUNE_ROWS,
        expect=TUNE_ROWS,
    ),
    Scenario(
        "add_unique_over_duplicates_fails",
        TUNE,
        TUNE.replace("plays = integer()", "plays = integer().unique()"),
        rows={"tune": [{"id": 1, "title": "a", "plays": 5}, {"id": 2, "title": "b", "plays": 5}]},
        fails="1 value",
    ),
    Scenario(
        "add_and_drop_check",
        TUNE + "    __checks__ = (check('plays >= 0'),)\n",
        TUNE + "    __checks__ = (check('length(title) > 0'),)\n",
        rows=TUNE_ROWS,
        expect=TUNE_ROWS,
    ),
    Scenario(
        "add_check_broken_by_rows_fails",
        TUNE,
        TUNE + "    __checks__ = (check('plays > 5'),)\n",
        rows=TUNE_ROWS,
        fails="1 row",
    ),
    Scenario(
        "composite_primary_key",
        "\nclass Setlist(Table):\n    tune_id = integer().not_null()\n    position = integer().not_null()\n"
        "    __uniques__ = (unique('tune_id', 'position'),)\n",
        "\nclass Setlist(Table):\n    tune_id = integer().not_null()\n    position = integer().not_null()\n"
        "    __primary_key__ = primary_key('tune_id', 'position')\n",
        rows={"setlist": [{"tune_id": 1, "position": 1}, {"tune_id": 1, "position": 2}]},
        expect={"setlist": [{"tune_id": 1, "position": 1}, {"tune_id": 1, "position": 2}]},
    ),
    Scenario(
        "self_referencing_foreign_key",
        "\nclass Node(Table):\n    id = integer().primary_key()\n    parent_id = integer()\n",
        "\nclass Node(Table):\n    id = integer().primary_key()\n"
        "    parent_id = integer().references('node.id', on_delete='cascade')\n",
        rows={"node": [{"id": 1, "parent_id": None}, {"id": 2, "parent_id": 1}, {"id": 3, "parent_id": 2}]},
        expect={"node": [{"id": 1, "parent_id": None}, {"id": 2, "parent_id": 1}, {"id": 3, "parent_id": 2}]},
        cascade=("node", "id", 1, "node"),
    ),
    Scenario(
        "parent_rebuild_keeps_cascading_children",
        PARENT + CHILD_CASCADE,
        PARENT.replace("name = text().not_null()", "name = text()").replace("id = integer()", "id = bigint()")
        + CHILD_CASCADE.replace("parent_id = integer()", "parent_id = bigint()"),
        rows=FAMILY_ROWS,
        expect=FAMILY_ROWS,
        cascade=("parent", "id", 2, "child"),
    ),
    # --- indexes ------------------------------------------------------------------------------
    Scenario(
        "index_changes_partial_desc_expression",
        TUNE + "    __indexes__ = (index('title'),)\n",
        TUNE
        + "    __indexes__ = (\n        index(desc('plays')),\n"
        + "        index('title', where=sql('plays > 0')),\n        index(sql('lower(title)')),\n    )\n",
        rows=TUNE_ROWS,
        expect=TUNE_ROWS,
    ),
    Scenario(
        "unique_index_over_duplicates_fails",
        TUNE,
        TUNE + "    __indexes__ = (index('plays', unique=True),)\n",
        rows={"tune": [{"id": 1, "title": "a", "plays": 5}, {"id": 2, "title": "b", "plays": 5}]},
        fails="1 value",
    ),
    # --- views and enums ----------------------------------------------------------------------
    Scenario(
        "view_over_retyped_and_renamed_column",
        TUNE + "\nPopular = View('popular', sql('SELECT id, title FROM tune WHERE plays > 2'))\n",
        TUNE.replace("plays = integer()", "play_count = bigint()")
        + "\nPopular = View('popular', sql('SELECT id, title FROM tune WHERE play_count > 2'))\n",
        rows=TUNE_ROWS,
        expect={"popular": [{"id": 1, "title": "Drowsy Maggie"}, {"id": 3, "title": "Kesh"}]},
        renames=("tune.plays=play_count",),
    ),
    Scenario(
        "enum_gains_values",
        "\nMode = Enum('mode', ['major', 'minor'])\n\nclass Tune(Table):\n    id = integer().primary_key()\n"
        "    mode = Mode.column()\n",
        "\nMode = Enum('mode', ['major', 'minor', 'dorian', 'mixolydian'])\n\nclass Tune(Table):\n"
        "    id = integer().primary_key()\n    mode = Mode.column().default('dorian')\n",
        rows={"tune": [{"id": 1, "mode": "minor"}, {"id": 2, "mode": None}]},
        expect={"tune": [{"id": 1, "mode": "minor"}, {"id": 2, "mode": None}]},
    ),
    Scenario(
        "enum_loses_a_value_rows_hold_fails",
        "\nMode = Enum('mode', ['major', 'minor', 'dorian'])\n\nclass Tune(Table):\n"
        "    id = integer().primary_key()\n    mode = Mode.column()\n",
        "\nMode = Enum('mode', ['major', 'minor'])\n\nclass Tune(Table):\n    id = integer().primary_key()\n"
        "    mode = Mode.column()\n",
        rows={"tune": [{"id": 1, "mode": "dorian"}, {"id": 2, "mode": "major"}]},
        fails="1 row",
    ),
    Scenario(
        "enum_loses_a_value_no_row_holds",
        "\nMode = Enum('mode', ['major', 'minor', 'dorian'])\n\nclass Tune(Table):\n"
        "    id = integer().primary_key()\n    mode = Mode.column()\n",
        "\nMode = Enum('mode', ['major', 'minor'])\n\nclass Tune(Table):\n    id = integer().primary_key()\n"
        "    mode = Mode.column()\n",
        rows={"tune": [{"id": 1, "mode": "minor"}, {"id": 2, "mode": "major"}]},
        expect={"tune": [{"id": 1, "mode": "minor"}, {"id": 2, "mode": "major"}]},
    ),
]

# --- sync tables -------------------------------------------------------------------------------
#
# Every scenario above also runs as a "synced" variant (`synced`): each table declaring a
# primary key is marked `__sync__ = True` in A and in B, so every kind of change (rebuilds,
# renames, key changes) happens to sync tables too. These add what only sync tables do.

SYNC_SCENARIOS = [
    Scenario(
        "sync_turned_on_for_populated_table",
        TUNE,
        TUNE + "    __sync__ = True\n",
        rows=TUNE_ROWS,
        expect={"tune": [{"id": 1, "sync_version": 1}, {"id": 2, "sync_version": 1}, {"id": 3, "sync_version": 1}]},
    ),
    Scenario(
        "sync_turned_off",
        TUNE + "    __sync__ = True\n",
        TUNE,
        rows=TUNE_ROWS,
        expect={"tune": [{"id": 1, "title": "Drowsy Maggie"}, {"id": 2, "title": None}, {"id": 3, "title": "Kesh"}]},
        lossy=True,  # the sync columns go
    ),
    Scenario(
        "sync_turned_on_over_plain_sync_columns",
        TUNE + "    sync_version = integer()\n    last_modified_at = timestamptz()\n    device_id = text()\n",
        TUNE + "    __sync__ = True\n",
        rows={
            "tune": [
                {"id": 1, "title": "a", "sync_version": 4, "device_id": "d1"},
                {"id": 2, "title": "b", "sync_version": None},
            ]
        },
        expect={
            "tune": [{"id": 1, "sync_version": 4, "device_id": "d1"}, {"id": 2, "sync_version": 1, "device_id": None}]
        },
        lossy=True,  # the NULL version was backfilled; rolling back keeps the 1
    ),
    Scenario(
        "sync_table_renamed",
        TUNE + "    __sync__ = True\n",
        TUNE.replace("class Tune(Table):", "class Repertoire(Table):") + "    __sync__ = True\n",
        rows=TUNE_ROWS,
        expect={
            "repertoire": [{"id": 1, "title": "Drowsy Maggie"}, {"id": 2, "title": None}, {"id": 3, "title": "Kesh"}]
        },
        renames=("tune=repertoire",),
    ),
]

_CLASS = re.compile(r"^class \w+\(Table\):\n(?:(?:    .*)?\n)*", re.MULTILINE)


def synced_source(source: str) -> str:
    """`source` with every table class that declares a primary key marked `__sync__ = True`."""

    def mark(match: re.Match[str]) -> str:
        body = match.group(0)
        if "primary_key" not in body or "__sync__" in body:
            return body
        return body.rstrip("\n") + "\n    __sync__ = True\n"

    return _CLASS.sub(mark, source if source.endswith("\n") else source + "\n")


def synced(scenario: Scenario) -> Scenario:
    return dataclasses.replace(
        scenario, name=scenario.name + "[synced]", a=synced_source(scenario.a), b=synced_source(scenario.b)
    )


SYNCED_SCENARIOS = [synced(s) for s in SCENARIOS if synced_source(s.a) != s.a or synced_source(s.b) != s.b]
SCENARIOS += SYNC_SCENARIOS
