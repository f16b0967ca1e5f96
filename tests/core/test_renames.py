"""Renames: flags parsed and checked against both schemas, candidates found, ambiguity
reported with the flags that settle it, prompts answered through the `ask` callback."""

from __future__ import annotations

import shlex

import pytest

from mizzle.core.errors import MizzleError
from mizzle.core.model import Schema
from mizzle.core.renames import (
    AmbiguousRename,
    Kind,
    RenameFlagError,
    Renames,
    compatible_types,
    drop_flag,
    rename_flag,
    resolve,
)
from mizzle.core.types import t
from mizzle.sources.sql.reader import parse_ddl


def s(ddl: str) -> Schema:
    return parse_ddl(ddl).schema


PLAYLIST = s("CREATE TABLE playlist (id serial PRIMARY KEY, name text, owner int);")
REPERTOIRE = s("CREATE TABLE repertoire (id serial PRIMARY KEY, name text, owner int);")
TUNE_TITLE = s("CREATE TABLE tune (id int PRIMARY KEY, title text);")
TUNE_NAME_LABEL = s("CREATE TABLE tune (id int PRIMARY KEY, name varchar(80), label text);")


@pytest.mark.parametrize(
    ("renames", "drops", "expected"),
    [
        (["playlist=repertoire"], [], Renames(tables={"playlist": "repertoire"})),
        (["tune.title=name"], [], Renames(columns={("tune", "title"): "name"})),
        ([" tune . title = name "], [], Renames(columns={("tune", "title"): "name"})),
        (['"My Tune"."a.b"="c""d"'], [], Renames(columns={("My Tune", "a.b"): 'c"d'})),
        (
            [],
            ["playlist", "tune.title"],
            Renames(dropped_tables=frozenset({"playlist"}), dropped_columns=frozenset({("tune", "title")})),
        ),
        (
            ["playlist=repertoire", "repertoire.playlist_id=repertoire_id"],
            [],
            Renames(tables={"playlist": "repertoire"}, columns={("repertoire", "playlist_id"): "repertoire_id"}),
        ),
    ],
)
def test_flags_parse(renames: list[str], drops: list[str], expected: Renames) -> None:
    assert Renames.from_flags(renames, drops) == expected


@pytest.mark.parametrize(
    ("renames", "drops", "message"),
    [
        (["tune.title"], [], "--rename tune.title: expected OLD=NEW (a table) or TABLE.OLD=NEW"),
        (["a.b.c=d"], [], "--rename a.b.c=d: expected OLD=NEW"),
        (["a=b=c"], [], "--rename a=b=c: expected OLD=NEW"),
        (["=b"], [], "--rename =b: expected OLD=NEW"),
        (["tune.title=x.y"], [], "--rename tune.title=x.y: the new name is one name"),
        (['"tune=x'], [], '--rename "tune=x: a quoted name is not closed'),
        (["a=b", "a=c"], [], "--rename a=c: table a or c is named by two renames"),
        (["a=c", "b=c"], [], "--rename b=c: table b or c is named by two renames"),
        (["t.a=c", "t.b=c"], [], "--rename t.b=c: column t.b or c is named by two renames"),
        ([], ["a.b.c"], "--drop a.b.c: expected TABLE or TABLE.COLUMN"),
        (["t.a=b"], ["t.a"], "--drop t.a: the same name is also given to --rename"),
    ],
)
def test_bad_flags_are_one_line_errors(renames: list[str], drops: list[str], message: str) -> None:
    with pytest.raises(RenameFlagError) as err:
        Renames.from_flags(renames, drops)
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)
    assert isinstance(err.value, MizzleError)


def test_flags_round_trip_through_their_printed_form() -> None:
    renames = Renames.from_flags(["playlist=repertoire", '"My T"."a.b"=c', "tune.title=name"], ["x", "tune.old"])
    # the flags a hint prints (`AmbiguousRename`), written from the same renames and drops
    flags = [rename_flag([old], new) for old, new in sorted(renames.tables.items())]
    flags += [rename_flag([t, old], new) for (t, old), new in sorted(renames.columns.items())]
    flags += [drop_flag([name]) for name in sorted(renames.dropped_tables)]
    flags += [drop_flag([t, c]) for t, c in sorted(renames.dropped_columns)]
    assert flags == [
        "--rename playlist=repertoire",
        """--rename 'My T."a.b"=c'""",
        "--rename tune.title=name",
        "--drop x",
        "--drop tune.old",
    ]
    parsed = [shlex.split(flag) for flag in flags]
    again = Renames.from_flags([v for f, v in parsed if f == "--rename"], [v for f, v in parsed if f == "--drop"])
    assert again == renames


@pytest.mark.parametrize(
    ("old", "new", "compatible"),
    [
        (t("text"), t("varchar", length=80), True),
        (t("varchar", length=80), t("text"), True),
        (t("integer"), t("bigint"), True),
        (t("bigint"), t("smallint"), True),  # same family: a rename that narrows is still a rename
        (t("integer"), t("numeric"), True),  # widening across families
        (t("real"), t("numeric", precision=10, scale=2), True),
        (t("timestamp"), t("timestamptz"), True),
        (t("json"), t("jsonb"), True),
        (t("integer"), t("text"), False),
        (t("text"), t("text").array_of(), False),
        (t("enum", name="mood"), t("enum", name="mood"), True),
        (t("enum", name="mood"), t("enum", name="other"), False),
        (t("uuid"), t("text"), False),
    ],
)
def test_compatible_types(old: object, new: object, compatible: bool) -> None:
    assert compatible_types(old, new) is compatible  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("old", "new", "flags", "drops", "expected"),
    [
        (PLAYLIST, REPERTOIRE, ["playlist=repertoire"], [], Renames(tables={"playlist": "repertoire"})),
        (PLAYLIST, REPERTOIRE, [], ["playlist"], Renames(dropped_tables=frozenset({"playlist"}))),
        (TUNE_TITLE, TUNE_NAME_LABEL, ["tune.title=label"], [], Renames(columns={("tune", "title"): "label"})),
        (TUNE_TITLE, TUNE_NAME_LABEL, [], ["tune.title"], Renames(dropped_columns=frozenset({("tune", "title")}))),
        # nothing compatible appeared: a plain drop needs no flag
        (TUNE_TITLE, s("CREATE TABLE tune (id int PRIMARY KEY, n int)"), [], [], Renames()),
        (PLAYLIST, s("CREATE TABLE other (x uuid, y date)"), [], [], Renames()),
        # the table renamed and a column in it, named as the new schema names the table
        (
            s("CREATE TABLE playlist (id serial PRIMARY KEY, playlist_id int, name text)"),
            s("CREATE TABLE repertoire (id serial PRIMARY KEY, repertoire_id int, name text)"),
            ["playlist=repertoire", "repertoire.playlist_id=repertoire_id"],
            [],
            Renames(tables={"playlist": "repertoire"}, columns={("repertoire", "playlist_id"): "repertoire_id"}),
        ),
    ],
)
def test_flags_settle_renames(old: Schema, new: Schema, flags: list[str], drops: list[str], expected: Renames) -> None:
    assert resolve(old, new, Renames.from_flags(flags, drops)) == expected


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            PLAYLIST,
            REPERTOIRE,
            "renamed or dropped? pass one flag for each: table playlist disappeared and repertoire appeared: "
            "--rename playlist=repertoire if renamed, --drop playlist if dropped",
        ),
        (
            TUNE_TITLE,
            TUNE_NAME_LABEL,
            "renamed or dropped? pass one flag for each: column tune.title disappeared and tune.label, tune.name "
            "appeared: --rename tune.title=label or --rename tune.title=name if renamed, --drop tune.title if dropped",
        ),
        (
            s("CREATE TABLE a (x int, y text); CREATE TABLE keep (p text)"),
            s("CREATE TABLE b (x bigint, y text); CREATE TABLE keep (q varchar(9))"),
            "renamed or dropped? pass one flag for each: table a disappeared and b appeared: --rename a=b if renamed, "
            "--drop a if dropped; column keep.p disappeared and keep.q appeared: --rename keep.p=q if renamed, "
            "--drop keep.p if dropped",
        ),
        (
            s('CREATE TABLE "My T" ("a b" text)'),
            s('CREATE TABLE "My T" ("c.d" text)'),
            "column My T.a b disappeared and My T.c.d appeared: "
            """--rename 'My T.a b="c.d"' if renamed, --drop 'My T.a b' if dropped""",
        ),
    ],
)
def test_ambiguity_lists_every_candidate_and_the_flags_that_settle_it(old: Schema, new: Schema, message: str) -> None:
    with pytest.raises(AmbiguousRename) as err:
        resolve(old, new)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_ambiguity_carries_its_cases() -> None:
    with pytest.raises(AmbiguousRename) as err:
        resolve(TUNE_TITLE, TUNE_NAME_LABEL)
    (case,) = err.value.ambiguities
    assert (case.kind, case.table, case.old, case.candidates) == ("column", "tune", "title", ("label", "name"))
    assert case.rename_flags() == ["--rename tune.title=label", "--rename tune.title=name"]
    assert case.drop_flag() == "--drop tune.title"


def test_candidates_put_the_same_type_first() -> None:
    old = s("CREATE TABLE t (a int, x text)")
    new = s("CREATE TABLE t (a int, y varchar(5), z text)")
    with pytest.raises(AmbiguousRename) as err:
        resolve(old, new)
    assert err.value.ambiguities[0].candidates == ("z", "y")


@pytest.mark.parametrize(
    ("old", "new", "flags", "drops", "message"),
    [
        (PLAYLIST, REPERTOIRE, ["nope=repertoire"], [], '--rename nope=repertoire: the old schema has no table "nope"'),
        (PLAYLIST, REPERTOIRE, ["playlist=nope"], [], '--rename playlist=nope: the new schema has no table "nope"'),
        (
            PLAYLIST,
            PLAYLIST,
            ["playlist=playlist"],
            [],
            '--rename playlist=playlist: table "playlist" is still in the new schema (neither renamed nor dropped)',
        ),
        (PLAYLIST, REPERTOIRE, [], ["nope"], '--drop nope: the old schema has no table "nope"'),
        (
            TUNE_TITLE,
            TUNE_NAME_LABEL,
            ["tune.nope=name"],
            [],
            '--rename tune.nope=name: the old schema has no column "nope" of table tune',
        ),
        (
            TUNE_TITLE,
            TUNE_NAME_LABEL,
            ["tune.id=name"],
            [],
            '--rename tune.id=name: column "id" of table tune is still in the new schema (neither renamed nor dropped)',
        ),
        (
            TUNE_TITLE,
            TUNE_NAME_LABEL,
            ["tune.title=nope"],
            [],
            '--rename tune.title=nope: the new schema has no column "nope" of table tune',
        ),
        (
            TUNE_TITLE,
            TUNE_NAME_LABEL,
            ["song.title=name"],
            [],
            '--rename song.title=name: the new schema has no table "song" (name it as the new schema does)',
        ),
        (
            PLAYLIST,
            REPERTOIRE,
            ["repertoire.owner=name"],
            ["playlist"],
            '--rename repertoire.owner=name: table "repertoire" is new '
            "(if it was renamed, add --rename OLD=repertoire)",
        ),
    ],
)
def test_flags_that_do_not_fit_the_schemas_are_errors(
    old: Schema, new: Schema, flags: list[str], drops: list[str], message: str
) -> None:
    with pytest.raises(RenameFlagError) as err:
        resolve(old, new, Renames.from_flags(flags, drops))
    assert str(err.value) == message


def test_ask_is_called_for_each_open_candidate_and_its_answers_settle_them() -> None:
    old = s("CREATE TABLE playlist (id serial PRIMARY KEY, name text, playlist_owner int)")
    new = s("CREATE TABLE repertoire (id serial PRIMARY KEY, label text, repertoire_owner int)")
    questions: list[tuple[Kind, str | None, str, list[str]]] = []

    def ask(kind: Kind, table: str | None, old_name: str, candidates: list[str]) -> str | None:
        questions.append((kind, table, old_name, candidates))
        return {"playlist": "repertoire", "name": "label", "playlist_owner": None}[old_name]

    assert resolve(old, new, ask=ask) == Renames(
        tables={"playlist": "repertoire"},
        columns={("repertoire", "name"): "label"},
        dropped_columns=frozenset({("repertoire", "playlist_owner")}),
    )
    assert questions == [
        ("table", None, "playlist", ["repertoire"]),
        ("column", "repertoire", "name", ["label"]),
        ("column", "repertoire", "playlist_owner", ["repertoire_owner"]),
    ]


def test_ask_is_not_called_for_what_the_flags_settle() -> None:
    def ask(kind: Kind, table: str | None, old_name: str, candidates: list[str]) -> str | None:
        raise AssertionError("asked")

    flags = Renames.from_flags(["tune.title=name"])
    assert resolve(TUNE_TITLE, TUNE_NAME_LABEL, flags, ask) == Renames(columns={("tune", "title"): "name"})


def test_an_answer_outside_the_candidates_is_an_error() -> None:
    with pytest.raises(RenameFlagError, match=r"column tune\.title: 'id' is not one of the candidates label, name"):
        resolve(TUNE_TITLE, TUNE_NAME_LABEL, ask=lambda *_: "id")


def test_a_rename_target_is_not_offered_again() -> None:
    old = s("CREATE TABLE t (a text, b text)")
    new = s("CREATE TABLE t (c text)")
    assert resolve(old, new, Renames.from_flags(["t.a=c"])) == Renames(columns={("t", "a"): "c"})
