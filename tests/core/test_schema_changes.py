"""`core/schema_changes.py`: what differs between two schemas, by kind and name, in one line."""

from __future__ import annotations

from pathlib import Path

from mizzle.core.model import Schema
from mizzle.core.schema_changes import schema_changes
from mizzle.sources.load import load_schema

BEFORE = """
from mizzle.dsl import Enum, Table, index, integer, serial, text

Mood = Enum("mood", ["calm", "lively"])

class Playlist(Table):
    id = serial().primary_key()
    name = text().not_null()

class Tune(Table):
    id = serial().primary_key()
    title = text().not_null()
    notes = text()
    playlist_id = integer().references(lambda: Playlist.id)
    __indexes__ = [index("title")]

class Old(Table):
    id = serial().primary_key()
"""

AFTER = """
from mizzle.dsl import Enum, Table, index, integer, serial, text

Mood = Enum("mood", ["calm", "lively", "sad"])

class Playlist(Table):
    id = serial().primary_key()
    name = text().not_null()

class Tune(Table):
    id = serial().primary_key()
    title = text()
    key = text()
    mode = text()
    playlist_id = integer().references(lambda: Playlist.id, on_delete="cascade")
    __indexes__ = [index("key")]

class Session(Table):
    id = serial().primary_key()

class Set(Table):
    id = serial().primary_key()
"""


def schema(tmp_path: Path, name: str, source: str) -> Schema:
    (tmp_path / name).write_text(source)
    return load_schema(tmp_path / name).schema


def test_every_kind_added_removed_and_changed_is_named(tmp_path: Path) -> None:
    before, after = schema(tmp_path, "before.py", BEFORE), schema(tmp_path, "after.py", AFTER)
    assert schema_changes(before, after).summary() == (
        "2 tables added (session, set); 1 table removed (old); "
        "2 columns added (tune.key, tune.mode); 1 column removed (tune.notes); 1 column changed (tune.title); "
        "1 foreign key changed (tune.tune_playlist_id_fkey); "
        "1 index added (tune.tune_key_idx); 1 index removed (tune.tune_title_idx); "
        "1 enum changed (mood)"
    )


def test_equal_schemas_have_no_changes(tmp_path: Path) -> None:
    before = schema(tmp_path, "before.py", BEFORE)
    changes = schema_changes(before, before)
    assert not changes
    assert changes.summary() == "no changes"


def test_a_long_list_of_names_is_cut_short(tmp_path: Path) -> None:
    many = "from mizzle.dsl import Table, serial\n" + "".join(
        f"class T{i}(Table):\n    id = serial().primary_key()\n" for i in range(8)
    )
    after = schema(tmp_path, "many.py", many)
    empty = schema(tmp_path, "empty.py", "")
    assert schema_changes(empty, after).summary() == "8 tables added (t0, t1, t2, t3, t4 and 3 more)"
