"""How the replay reads a step's SQL: statements, the app's data statements, and the renames
and drops a step spells out."""

from __future__ import annotations

from tests.replay import sql_text

_REBUILD = """
PRAGMA foreign_keys=OFF;
CREATE TABLE `__new_item` (`id` text PRIMARY KEY NOT NULL, `title` text);
INSERT INTO `__new_item`("id", "title") SELECT "id", "name" FROM `item`;
DROP TABLE `item`;
ALTER TABLE `__new_item` RENAME TO `item`;
UPDATE `item` SET `title` = 'x' WHERE `title` IS NULL;
ALTER TABLE `board` RENAME COLUMN `page_title` TO `title`;
ALTER TABLE `board` DROP COLUMN `legacy`;
"""


def test_sqlite_statements_keep_a_trigger_whole() -> None:
    text = "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; UPDATE c SET x = 1; END;\nDROP TABLE z;"
    assert sql_text.split_sqlite(text) == [
        "CREATE TRIGGER t AFTER INSERT ON a BEGIN DELETE FROM b; UPDATE c SET x = 1; END;",
        "DROP TABLE z;",
    ]


def test_postgresql_statements_keep_dollar_bodies_quotes_and_comments_whole() -> None:
    body = "DO $$ BEGIN CREATE TYPE e AS ENUM ('a;b'); EXCEPTION WHEN duplicate_object THEN null; END $$;"
    text = body + "\n-- a; b\nSELECT ';';"
    assert sql_text.split_postgresql(text) == [
        "DO $$ BEGIN CREATE TYPE e AS ENUM ('a;b'); EXCEPTION WHEN duplicate_object THEN null; END $$;",
        "-- a; b\nSELECT ';';",
    ]


def test_a_plain_rebuild_copy_is_schema_and_an_update_is_the_apps_data() -> None:
    segments, copies = sql_text.segments(sql_text.split_sqlite(_REBUILD))
    assert [s.kind for s in segments] == ["ddl", "data", "ddl"]
    assert segments[1].statements == ["UPDATE `item` SET `title` = 'x' WHERE `title` IS NULL;"]
    (copy,) = copies.values()
    assert (copy.table, copy.temp, copy.plain, copy.mapping) == (
        "item",
        "__new_item",
        True,
        {"id": "id", "name": "title"},
    )


def test_a_step_names_its_renames_and_drops() -> None:
    statements = sql_text.split_sqlite(_REBUILD)
    segments, copies = sql_text.segments(statements)
    first = sql_text.hints(segments[0].statements, copies)
    assert first.columns == {("item", "name"): "title"}
    assert first.tables == {} and first.dropped_tables == set()
    assert first.rebuilt == {"item": {"id": "id", "name": "title"}}
    last = sql_text.hints(segments[2].statements, copies)
    assert last.columns == {("board", "page_title"): "title"}
    assert last.dropped_columns == {("board", "legacy")}


def test_a_copy_that_transforms_rows_is_the_apps_data_and_its_renames_stand_alone() -> None:
    text = """CREATE TABLE `__new_g` (`id` text, `position` integer NOT NULL);
INSERT INTO `__new_g`("id", "position") SELECT "id", -1 FROM `g` WHERE "name" = 'everyone';
DROP TABLE `g`;
ALTER TABLE `__new_g` RENAME TO `g`;"""
    segments, copies = sql_text.segments(sql_text.split_sqlite(text))
    assert [s.kind for s in segments] == ["ddl", "data", "ddl", "ddl"]
    assert sql_text.hints(segments[2].statements, copies).dropped_tables == {"g"}
    assert sql_text.hints(segments[3].statements, copies).tables == {"__new_g": "g"}


def test_a_files_own_transaction_control_is_told_apart() -> None:
    assert [sql_text.kind_of(s) for s in ("BEGIN;", "COMMIT TRANSACTION;", "PRAGMA foreign_keys=OFF;")] == [
        "control",
        "control",
        "control",
    ]


def test_a_table_dropped_and_made_again_is_two_states_and_a_temp_table_is_data() -> None:
    text = """DROP TABLE IF EXISTS `pr`;
CREATE TABLE `pr` (`url` text PRIMARY KEY NOT NULL);
CREATE TEMP TABLE `_dedup` (`id` text);
INSERT INTO `_dedup` SELECT `url` FROM `pr`;
DROP TABLE `_dedup`;"""
    segments, _ = sql_text.segments(sql_text.split_sqlite(text))
    assert [(s.kind, len(s.statements)) for s in segments] == [("ddl", 1), ("ddl", 1), ("data", 3)]
