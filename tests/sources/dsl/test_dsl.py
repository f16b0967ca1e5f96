"""The Python schema DSL: each builder and declaration → the model object it stands for."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Check,
    Column,
    Default,
    ExprDefault,
    ForeignKey,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    Schema,
    Table,
    Unique,
)
from mizzle.core.model import Enum as EnumModel
from mizzle.core.types import ColumnType, t
from mizzle.dsl import (
    Column as DslColumn,
)
from mizzle.dsl import (
    Enum,
    View,
    asc,
    bigint,
    bigserial,
    boolean,
    bytea,
    char,
    check,
    custom,
    date,
    desc,
    double,
    foreign_key,
    index,
    integer,
    json,
    jsonb,
    now,
    numeric,
    primary_key,
    random_uuid,
    real,
    schema_from_classes,
    serial,
    smallint,
    sql,
    text,
    time,
    timestamp,
    timestamptz,
    unique,
    uuid,
    varchar,
)
from mizzle.dsl import Table as DslTable

Mood = Enum("mood", ["sad", "ok", "happy"])


def one_table(*classes: type[DslTable]) -> Table:
    """The model of the last class (the others are there to be referenced)."""
    schema = schema_from_classes(classes)
    found = schema.table(schema_from_classes([classes[-1]]).tables[0].name)
    assert found is not None
    return found


def column_of(builder: DslColumn[Any]) -> Column:
    """The model column a builder declares, as the only column of a table."""
    table = type("Holder", (DslTable,), {"x": builder})
    return one_table(table).columns[0]


# --- types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (smallint(), t("smallint")),
        (integer(), t("integer")),
        (bigint(), t("bigint")),
        (serial(), t("serial")),
        (bigserial(), t("bigserial")),
        (boolean(), t("boolean")),
        (text(), t("text")),
        (varchar(20), t("varchar", length=20)),
        (varchar(), t("varchar")),
        (char(3), t("char", length=3)),
        (char(), t("char", length=1)),
        (char(None), t("char")),
        (numeric(), t("numeric")),
        (numeric(10), t("numeric", precision=10, scale=0)),
        (numeric(10, 2), t("numeric", precision=10, scale=2)),
        (numeric(10, None), t("numeric", precision=10)),
        (real(), t("real")),
        (double(), t("double")),
        (date(), t("date")),
        (time(), t("time")),
        (time(3), t("time", precision=3)),
        (timestamp(0), t("timestamp", precision=0)),
        (timestamptz(), t("timestamptz")),
        (timestamptz(6), t("timestamptz", precision=6)),
        (uuid(), t("uuid")),
        (json(), t("json")),
        (jsonb(), t("jsonb")),
        (bytea(), t("bytes")),
        (custom("interval"), t("custom", name="interval")),
        (Mood.column(), t("enum", name="mood")),
        (text().array(), t("text").array_of()),
        (integer().array(dims=2), t("integer").array_of(2)),
        (varchar(3).array(), t("varchar", length=3).array_of()),
        (custom("tsvector").array(), t("custom", name="tsvector").array_of()),
    ],
)
def test_type_builder_gives_the_neutral_type(builder: DslColumn[Any], expected: ColumnType) -> None:
    assert column_of(builder).type == expected


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: varchar(0), "varchar length must be positive"),
        (lambda: numeric(2000), "numeric precision must be between 1 and 1000"),
        (lambda: timestamptz(7), "timestamptz precision must be between 0 and 6"),
        (lambda: serial().array(), "serial columns cannot be arrays"),
        (lambda: text().array().array(), "text[] is already an array: write .array(dims=2)"),
        (lambda: text().array(0), "array dims must be at least 1, not 0"),
    ],
)
def test_bad_type_parameters_raise_one_line(make: Any, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        make()
    assert str(caught.value) == message


def test_builders_are_immutable_so_a_column_can_be_reused() -> None:
    base = text()
    assert column_of(base.not_null()).nullable is False
    assert column_of(base).nullable is True


# --- names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "column"),
    [
        ("title", "title"),
        ("displayName", "display_name"),
        ("userID", "user_id"),
        ("HTTPStatus", "http_status"),
        ("v2Code", "v2_code"),
        ("_private", "_private"),
    ],
)
def test_attribute_name_in_snake_case_is_the_column_name(attribute: str, column: str) -> None:
    table = type("Holder", (DslTable,), {attribute: text()})
    assert one_table(table).column_names == [column]


def test_explicit_column_name_wins() -> None:
    class Tune(DslTable):
        displayName = text().name("Display Name")

    assert one_table(Tune).column_names == ["Display Name"]


@pytest.mark.parametrize(
    ("class_name", "table"),
    [("Tune", "tune"), ("UserProfile", "user_profile"), ("PlaylistTune", "playlist_tune"), ("HTTPLog", "http_log")],
)
def test_class_name_in_snake_case_is_the_table_name(class_name: str, table: str) -> None:
    cls = type(class_name, (DslTable,), {"id": integer()})
    assert one_table(cls).name == table


def test_explicit_table_name_wins_and_is_not_inherited() -> None:
    class Tune(DslTable):
        __tablename__ = "Tunes"
        id = integer()

    class Reel(Tune):
        pass

    assert [t.name for t in schema_from_classes([Tune, Reel]).tables] == ["Tunes", "reel"]


def test_columns_keep_declaration_order_with_inherited_columns_first() -> None:
    class SyncColumns:
        sync_version = integer().not_null().default(1)
        device_id = text()

    class Synced(DslTable):
        __abstract__ = True
        last_modified_at = timestamptz()

    class Tune(SyncColumns, Synced):
        zeta = text()
        alpha = text()

    schema = schema_from_classes([Synced, Tune])
    assert [t.name for t in schema.tables] == ["tune"]
    assert schema.tables[0].column_names == ["last_modified_at", "sync_version", "device_id", "zeta", "alpha"]


def test_class_attribute_is_the_column_bound_to_its_class() -> None:
    class Tune(DslTable):
        title = text()

    assert Tune.title.spec.owner is Tune
    assert Tune.title.spec.attribute == "title"
    assert repr(Tune.title) == "<Column Tune.title text>"


# --- nullability and defaults ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("builder", "nullable"),
    [
        (text(), True),
        (text().not_null(), False),
        (integer().primary_key(), False),
        (serial(), False),  # PostgreSQL makes every serial NOT NULL
    ],
)
def test_nullability(builder: DslColumn[Any], nullable: bool) -> None:
    assert column_of(builder).nullable is nullable


@pytest.mark.parametrize(
    ("builder", "expected"),
    [
        (integer().default(5), LiteralDefault(value=5)),
        (integer().default(-1), LiteralDefault(value=-1)),
        (boolean().default(False), LiteralDefault(value=False)),
        (text().default("it's"), LiteralDefault(value="it's")),
        (Mood.column().default("ok"), LiteralDefault(value="ok")),
        (numeric(10, 2).default(4.99), LiteralDefault(value="4.99")),
        (numeric().default(5), LiteralDefault(value="5")),
        (numeric().default(Decimal("1.50")), LiteralDefault(value="1.50")),
        (double().default(1e20), LiteralDefault(value="100000000000000000000")),
        (real().default("0.5"), LiteralDefault(value="0.5")),
        (text().array().default([]), LiteralDefault(value=[])),
        (text().array().default(["a", None]), LiteralDefault(value=["a", None])),
        (numeric().array().default([1, 2.5]), LiteralDefault(value=["1", "2.5"])),
        (jsonb().default("{}"), LiteralDefault(value="{}")),
        (jsonb().default({"a": [1, 2]}), LiteralDefault(value='{"a": [1, 2]}')),
        (json().default([1, 2]), LiteralDefault(value="[1, 2]")),
        (bytea().default(b"\x00\xff"), LiteralDefault(value="\\x00ff")),
        (timestamptz().default(now()), NowDefault()),
        (uuid().default(random_uuid()), RandomUuidDefault()),
        (date().default(sql("current_date")), ExprDefault(expr=SqlExpr.parse("CURRENT_DATE"))),
        (integer().default(sql("1 + 2")), ExprDefault(expr=SqlExpr.parse("1 + 2"))),
        # sql(...) is read like a DDL default: the same constant or function comes out
        (timestamptz().default(sql("now()")), NowDefault()),
        (uuid().default(sql("gen_random_uuid()")), RandomUuidDefault()),
        (text().default(sql("'x'::text")), LiteralDefault(value="x")),
        (integer().default(sql("42")), LiteralDefault(value=42)),
        (text().default(None), None),
        (text().default(sql("NULL")), None),
    ],
)
def test_default(builder: DslColumn[Any], expected: Default | None) -> None:
    assert column_of(builder).default == expected


def test_a_default_the_model_cannot_hold_names_its_column() -> None:
    class Tune(DslTable):
        played = date().default(datetime.date(2024, 1, 1))  # type: ignore[arg-type]

    with pytest.raises(SchemaError, match=r'^table "tune", column "played": default .* \(write sql\("..."\)\)$'):
        schema_from_classes([Tune])


# --- keys, uniques, checks -----------------------------------------------------------------------


def test_primary_key_on_a_column() -> None:
    class Tune(DslTable):
        id = uuid().primary_key()

    assert one_table(Tune).primary_key == PrimaryKey(name="tune_pkey", columns=("id",))


def test_columns_marked_primary_key_make_a_composite_key_in_declaration_order() -> None:
    class PlaylistTune(DslTable):
        tune_id = uuid().primary_key()
        playlist_id = uuid().primary_key(name="pt_key")

    table = one_table(PlaylistTune)
    assert table.primary_key == PrimaryKey(name="pt_key", columns=("tune_id", "playlist_id"))
    assert [c.nullable for c in table.columns] == [False, False]


def test_table_level_primary_key_makes_its_columns_not_null() -> None:
    class PlaylistTune(DslTable):
        playlistId = uuid()
        tune_id = uuid()
        __primary_key__ = primary_key("playlistId", "tune_id")

    table = one_table(PlaylistTune)
    assert table.primary_key == PrimaryKey(name="playlist_tune_pkey", columns=("playlist_id", "tune_id"))
    assert [c.nullable for c in table.columns] == [False, False]


def test_uniques_on_columns_and_at_table_level() -> None:
    class Playlist(DslTable):
        slug = text().unique()
        code = text().unique(name="playlist_code_uq")
        owner_id = integer()
        name = text()
        __uniques__ = (unique("owner_id", name), unique("slug", "code", name="slug_code"))

    assert one_table(Playlist).uniques == (
        Unique(name="playlist_code_uq", columns=("code",)),
        Unique(name="playlist_owner_id_name_key", columns=("owner_id", "name")),
        Unique(name="playlist_slug_key", columns=("slug",)),
        Unique(name="slug_code", columns=("slug", "code")),
    )


def test_checks_on_columns_and_at_table_level() -> None:
    class Tune(DslTable):
        plays = integer().check("plays >= 0")
        low = integer()
        high = integer().check("high < 100", name="high_small")
        __checks__ = (check("low <= high"), check(sql("low > -1")))

    assert one_table(Tune).checks == (
        Check(name="high_small", expr=SqlExpr.parse("high < 100")),
        Check(name="tune_check", expr=SqlExpr.parse("low <= high")),
        Check(name="tune_low_check", expr=SqlExpr.parse("low > -1")),
        Check(name="tune_plays_check", expr=SqlExpr.parse("plays >= 0")),
    )


# --- foreign keys --------------------------------------------------------------------------------


class UserProfile(DslTable):
    id = serial().primary_key()
    accountCode = text().unique()


class Owned(DslTable):
    by_column = integer().references(UserProfile.id)
    by_lambda = integer().references(lambda: Later.id, on_delete="cascade", on_update="set null")
    by_string = integer().references("user_profile.id", deferrable=True, initially_deferred=True)
    by_attribute = text().references(UserProfile.accountCode, name="owned_account_fk")
    parent = integer().references(lambda: Owned.by_column)


class Later(DslTable):
    # annotated: mypy cannot infer it in time for the lambda above that reads it
    id: DslColumn[int] = integer().primary_key()


def test_references_by_column_lambda_string_and_self() -> None:
    table = one_table(UserProfile, Later, Owned)
    assert table.foreign_keys == (
        ForeignKey(
            name="owned_account_fk", columns=("by_attribute",), ref_table="user_profile", ref_columns=("account_code",)
        ),
        ForeignKey(name="owned_by_column_fkey", columns=("by_column",), ref_table="user_profile", ref_columns=("id",)),
        ForeignKey(
            name="owned_by_lambda_fkey",
            columns=("by_lambda",),
            ref_table="later",
            ref_columns=("id",),
            on_delete="cascade",
            on_update="set null",
        ),
        ForeignKey(
            name="owned_by_string_fkey",
            columns=("by_string",),
            ref_table="user_profile",
            ref_columns=("id",),
            deferrable=True,
            initially_deferred=True,
        ),
        ForeignKey(name="owned_parent_fkey", columns=("parent",), ref_table="owned", ref_columns=("by_column",)),
    )


def test_self_reference_by_the_column_object_of_the_class_body() -> None:
    class Category(DslTable):
        id = integer().primary_key()
        parent_id = integer().references(id)

    fk = one_table(Category).foreign_keys[0]
    assert (fk.ref_table, fk.ref_columns) == ("category", ("id",))


def test_composite_foreign_key_to_a_class_a_lambda_and_a_name() -> None:
    class Playlist(DslTable):
        ownerId = integer()
        name = text()
        __primary_key__ = primary_key("ownerId", "name")

    class Entry(DslTable):
        owner = integer()
        playlist = text()
        __foreign_keys__ = (
            foreign_key(["owner", playlist], Playlist, ["ownerId", "name"], on_delete="cascade"),
            foreign_key(["owner", "playlist"], lambda: Playlist, [Playlist.ownerId, Playlist.name], name="fk2"),
            foreign_key(["owner", "playlist"], "playlist", ["owner_id", "name"], deferrable=True, name="fk3"),
        )

    target = ("playlist", ("owner_id", "name"))
    fks = one_table(Playlist, Entry).foreign_keys
    assert [(f.name, f.columns, (f.ref_table, f.ref_columns)) for f in fks] == [
        ("entry_owner_playlist_fkey", ("owner", "playlist"), target),
        ("fk2", ("owner", "playlist"), target),
        ("fk3", ("owner", "playlist"), target),
    ]
    assert [f.on_delete for f in fks] == ["cascade", "no action", "no action"]


# --- indexes -------------------------------------------------------------------------------------


def test_index_features() -> None:
    class Tune(DslTable):
        title = text()
        owner_id = integer()
        tags = text().array()
        __indexes__ = (
            index(title),
            index(sql("lower(title)"), unique=True),
            index("owner_id", desc("title", nulls="last"), where="title <> ''"),
            index(asc("title", nulls="first"), desc(sql("length(title)"))),
            index("tags", method="GIN", name="tune_tags"),
            index(sql("(title)")),
        )

    assert one_table(Tune).indexes == (
        Index(name="tune_lower_idx", keys=(IndexKey(expr=SqlExpr.parse("lower(title)")),), unique=True),
        Index(
            name="tune_owner_id_title_idx",
            keys=(IndexKey(column="owner_id"), IndexKey(column="title", desc=True, nulls="last")),
            where=SqlExpr.parse("title <> ''"),
        ),
        Index(name="tune_tags", keys=(IndexKey(column="tags"),), method="gin"),
        Index(name="tune_title_idx", keys=(IndexKey(column="title"),)),
        # `sql("(title)")` is the column itself, as PostgreSQL reads `((title))`
        Index(name="tune_title_idx1", keys=(IndexKey(column="title"),)),
        Index(
            name="tune_title_length_idx",
            keys=(IndexKey(column="title", nulls="first"), IndexKey(expr=SqlExpr.parse("length(title)"), desc=True)),
        ),
    )


def test_index_names_share_a_namespace_with_tables_keys_and_other_tables_indexes() -> None:
    class A(DslTable):
        b_c = integer().unique()
        __indexes__ = (index("b_c"),)

    class AB(DslTable):
        __tablename__ = "a_b"
        c = integer()
        __indexes__ = (index("c"),)

    class Clash(DslTable):
        __tablename__ = "a_b_c_idx"
        x = integer()

    schema = schema_from_classes([A, AB, Clash])
    a, ab = schema.table("a"), schema.table("a_b")
    assert a is not None and ab is not None
    assert ([i.name for i in a.indexes], [u.name for u in a.uniques]) == (["a_b_c_idx1"], ["a_b_c_key"])
    assert [i.name for i in ab.indexes] == ["a_b_c_idx2"]


def test_explicit_names_are_reserved_before_defaults_are_chosen() -> None:
    class Tune(DslTable):
        title = text().unique()
        other = text().unique(name="tune_title_key")

    assert [u.name for u in one_table(Tune).uniques] == ["tune_title_key", "tune_title_key1"]


# --- enums and views ------------------------------------------------------------------------------


def test_enums_used_by_columns_are_in_the_schema_even_when_not_listed() -> None:
    Spare = Enum("spare", ["x"])

    class Tune(DslTable):
        mood = Mood.column()

    schema = schema_from_classes([Tune], [Spare, Mood])
    assert schema.enums == (
        EnumModel(name="mood", values=("sad", "ok", "happy")),
        EnumModel(name="spare", values=("x",)),
    )
    assert schema_from_classes([Tune]).enums == (EnumModel(name="mood", values=("sad", "ok", "happy")),)


def test_view() -> None:
    class Tune(DslTable):
        title = text()

    schema = schema_from_classes([Tune], views=[View("titles", sql("select title from tune")), View("t2", "select 1")])
    views = [(v.name, v.query.sql) for v in schema.views]
    assert views == [("t2", "SELECT 1"), ("titles", "SELECT tune.title FROM tune")]


def test_whole_schema_of_the_brief_example() -> None:
    Instrument = Enum("instrument", ["fiddle", "flute", "whistle"])

    class UserProfile(DslTable):
        id = serial().primary_key()
        email = varchar(255).not_null().unique()

    class Tune(DslTable):
        __tablename__ = "tune"
        id = uuid().primary_key().default(random_uuid())
        owner_id = integer().not_null().references(lambda: UserProfile.id, on_delete="cascade")
        title = text().not_null()
        instrument = Instrument.column().default("fiddle")
        __indexes__ = (index("owner_id", "title", unique=True, where=sql("title <> ''")),)
        __checks__ = (check("length(title) > 0", name="tune_title_not_empty"),)

    assert schema_from_classes([UserProfile, Tune]) == Schema(
        enums=(EnumModel(name="instrument", values=("fiddle", "flute", "whistle")),),
        tables=(
            Table(
                name="tune",
                columns=(
                    Column(name="id", type=t("uuid"), nullable=False, default=RandomUuidDefault()),
                    Column(name="owner_id", type=t("integer"), nullable=False),
                    Column(name="title", type=t("text"), nullable=False),
                    Column(
                        name="instrument", type=t("enum", name="instrument"), default=LiteralDefault(value="fiddle")
                    ),
                ),
                primary_key=PrimaryKey(name="tune_pkey", columns=("id",)),
                foreign_keys=(
                    ForeignKey(
                        name="tune_owner_id_fkey",
                        columns=("owner_id",),
                        ref_table="user_profile",
                        ref_columns=("id",),
                        on_delete="cascade",
                    ),
                ),
                checks=(Check(name="tune_title_not_empty", expr=SqlExpr.parse("length(title) > 0")),),
                indexes=(
                    Index(
                        name="tune_owner_id_title_idx",
                        keys=(IndexKey(column="owner_id"), IndexKey(column="title")),
                        unique=True,
                        where=SqlExpr.parse("title <> ''"),
                    ),
                ),
            ),
            Table(
                name="user_profile",
                columns=(
                    Column(name="id", type=t("serial"), nullable=False),
                    Column(name="email", type=t("varchar", length=255), nullable=False),
                ),
                primary_key=PrimaryKey(name="user_profile_pkey", columns=("id",)),
                uniques=(Unique(name="user_profile_email_key", columns=("email",)),),
            ),
        ),
    )


# --- misuse -------------------------------------------------------------------------------------


def test_two_primary_keys_is_an_error() -> None:
    class Tune(DslTable):
        id = integer().primary_key()
        __primary_key__ = primary_key("id")

    with pytest.raises(
        SchemaError, match=r'^table "tune": two primary keys: columns marked \.primary_key\(\) and __primary_key__$'
    ):
        schema_from_classes([Tune])


def test_primary_key_columns_with_different_names_is_an_error() -> None:
    class Tune(DslTable):
        a = integer().primary_key(name="k1")
        b = integer().primary_key(name="k2")

    with pytest.raises(SchemaError, match=r"^table \"tune\": primary key columns give different names \['k1', 'k2'\]$"):
        schema_from_classes([Tune])


def test_a_failing_reference_lambda_names_its_line_and_the_error() -> None:
    class Tune(DslTable):
        owner_id = integer().references(lambda: Missing.id)  # type: ignore[name-defined]  # noqa: F821

    with pytest.raises(SchemaError) as caught:
        schema_from_classes([Tune])
    assert str(caught.value).endswith(
        'table "tune", column "owner_id": the reference target raised NameError: name \'Missing\' is not defined'
    )
    assert f"{__file__}:" in str(caught.value)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("tune_id", "references 'tune_id': write \"table.column\""),
        (lambda: 42, "references 42, which is not a column of a Table class"),
        (lambda: integer(), r"references <Column integer>, which belongs to no Table class"),
    ],
)
def test_a_reference_that_is_not_a_column_is_an_error(target: Any, message: str) -> None:
    class Tune(DslTable):
        owner_id = integer().references(target)

    with pytest.raises(SchemaError, match=f'^table "tune", column "owner_id": {message}$'):
        schema_from_classes([Tune])


def test_a_column_object_of_another_table_in_an_index_is_an_error() -> None:
    class Tune(DslTable):
        title = text()
        __indexes__ = (index(UserProfile.id),)

    with pytest.raises(
        SchemaError, match=r'^table "tune", index: <Column UserProfile.id serial> is not a column of this table'
    ):
        schema_from_classes([Tune])


def test_foreign_key_with_mismatched_column_counts_is_an_error() -> None:
    class Tune(DslTable):
        a = integer()
        __foreign_keys__ = (foreign_key(["a"], UserProfile, ["id", "account_code"]),)

    with pytest.raises(SchemaError, match=r'^table "tune", foreign key: 1 columns reference 2$'):
        schema_from_classes([Tune])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"__index__": (index("a"),)}, "unknown table option __index__ (did you mean __indexes__?)"),
        ({"__unique__": (unique("a"),)}, "unknown table option __unique__ (did you mean __uniques__?)"),
        ({"__table_name__": "t"}, "unknown table option __table_name__ (did you mean __tablename__?)"),
        ({"__indexes__": index("a")}, "__indexes__ must be a tuple or list of index(...), not IndexDecl("),
        ({"__checks__": ("a > 0",)}, "__checks__ holds 'a > 0', which is not a check(...)"),
        ({"__primary_key__": ("a",)}, "__primary_key__ is ('a',), not a primary_key(...)"),
    ],
)
def test_misused_table_options_are_named(options: dict[str, Any], message: str) -> None:
    table = type("Tune", (DslTable,), {"a": integer(), **options})
    with pytest.raises(SchemaError) as caught:
        schema_from_classes([table])
    assert str(caught.value).startswith(f'table "tune": {message}')


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ("abc", "enum 'mood': give the values as a list of strings, not one string"),
        (["ok", 1], "enum 'mood': value 1 is not a string"),
    ],
)
def test_enum_values_must_be_strings(values: Any, message: str) -> None:
    with pytest.raises(SchemaError) as caught:
        Enum("mood", values)
    assert str(caught.value) == message
