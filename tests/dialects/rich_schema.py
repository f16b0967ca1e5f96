"""One schema using every feature the renderers print, applied to both real databases by
tests/dialects/*/test_render.py: every TypeKind (arrays, an enum, a custom type), every
default kind, a composite primary key, a self-referencing foreign key, a foreign-key cycle,
a deferrable foreign key with actions, uniques, named and multi-column checks, partial,
expression, DESC and NULLS FIRST indexes, a gin index, a view and a view on that view."""

from __future__ import annotations

from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Check,
    Column,
    Enum,
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
    View,
)
from mizzle.core.types import t


def _col(column: str, kind: str, nullable: bool = True, default: object = None, **params: int | str) -> Column:
    return Column.model_validate({"name": column, "type": t(kind, **params), "nullable": nullable, "default": default})


GENRE = Table(
    name="genre",
    columns=(_col("id", "serial", nullable=False), _col("name", "varchar", nullable=False, length=50)),
    primary_key=PrimaryKey(name="genre_pkey", columns=("id",)),
    uniques=(Unique(name="genre_name_key", columns=("name",)),),
)

TUNE = Table(
    name="tune",
    columns=(
        _col("id", "uuid", nullable=False, default=RandomUuidDefault()),
        _col("title", "text", nullable=False),
        _col("genre_id", "integer"),
        _col("parent_id", "uuid"),
        Column(name="tags", type=t("text").array_of(), default=LiteralDefault(value=["a", "b c"])),
        Column(name="keys", type=t("varchar", length=3).array_of()),
        _col("mood", "enum", nullable=False, default=LiteralDefault(value="ok"), name="mood"),
        _col("price", "numeric", default=LiteralDefault(value="4.99"), precision=10, scale=2),
        _col("rating", "real"),
        _col("score", "double"),
        _col("plays", "smallint", nullable=False, default=LiteralDefault(value=0)),
        _col("big", "bigint"),
        _col("active", "boolean", nullable=False, default=LiteralDefault(value=True)),
        _col("code", "char", length=3),
        _col("born", "date", default=ExprDefault(expr=SqlExpr.parse("CURRENT_DATE"))),
        _col("at", "time"),
        _col("created", "timestamp", default=NowDefault()),
        _col("updated", "timestamptz", nullable=False, default=NowDefault()),
        _col("data", "jsonb", nullable=False, default=LiteralDefault(value="{}")),
        _col("meta", "json"),
        _col("blob", "bytes"),
        _col("span", "custom", default=LiteralDefault(value="1 day"), name="interval"),
        _col("index", "integer"),
        _col("displayName", "text"),
    ),
    primary_key=PrimaryKey(name="tune_pkey", columns=("id",)),
    foreign_keys=(
        ForeignKey(name="tune_genre_id_fkey", columns=("genre_id",), ref_table="genre", ref_columns=("id",)),
        ForeignKey(
            name="tune_parent_id_fkey",
            columns=("parent_id",),
            ref_table="tune",
            ref_columns=("id",),
            on_delete="cascade",
        ),
    ),
    checks=(
        Check(name="tune_price_check", expr=SqlExpr.parse("price >= 0")),
        Check(name="tune_rating_within_score", expr=SqlExpr.parse("rating <= score")),
        Check(name="tune_title_check", expr=SqlExpr.parse("length(title) > 0")),
    ),
    indexes=(
        Index(name="tune_active_title_idx", keys=(IndexKey(column="title"),), where=SqlExpr.parse("active")),
        Index(name="tune_lower_idx", keys=(IndexKey(expr=SqlExpr.parse("lower(title)")),), unique=True),
        Index(
            name="tune_score_idx", keys=(IndexKey(column="score", desc=True), IndexKey(column="rating", nulls="first"))
        ),
        Index(name="tune_data_idx", keys=(IndexKey(column="data"),), method="gin"),
        Index(name="tune_updated_idx", keys=(IndexKey(column="updated", desc=True, nulls="last"),)),
    ),
)

# user_profile and playlist reference each other: one foreign key must come after both tables.
USER_PROFILE = Table(
    name="user_profile",
    columns=(_col("id", "serial", nullable=False), _col("favourite_id", "bigint")),
    primary_key=PrimaryKey(name="user_profile_pkey", columns=("id",)),
    foreign_keys=(
        ForeignKey(
            name="user_profile_favourite_id_fkey", columns=("favourite_id",), ref_table="playlist", ref_columns=("id",)
        ),
    ),
)

PLAYLIST = Table(
    name="playlist",
    columns=(_col("id", "bigserial", nullable=False), _col("owner_id", "integer", nullable=False)),
    primary_key=PrimaryKey(name="playlist_pkey", columns=("id",)),
    foreign_keys=(
        ForeignKey(name="playlist_owner_id_fkey", columns=("owner_id",), ref_table="user_profile", ref_columns=("id",)),
    ),
)

PLAYLIST_TUNE = Table(
    name="playlist_tune",
    columns=(
        _col("playlist_id", "bigint", nullable=False),
        _col("tune_id", "uuid", nullable=False),
        _col("order", "integer", nullable=False),
    ),
    primary_key=PrimaryKey(name="playlist_tune_pkey", columns=("playlist_id", "tune_id")),
    foreign_keys=(
        ForeignKey(
            name="playlist_tune_playlist_id_fkey",
            columns=("playlist_id",),
            ref_table="playlist",
            ref_columns=("id",),
            on_delete="cascade",
            on_update="cascade",
            deferrable=True,
            initially_deferred=True,
        ),
        ForeignKey(name="playlist_tune_tune_id_fkey", columns=("tune_id",), ref_table="tune", ref_columns=("id",)),
    ),
    uniques=(Unique(name="playlist_tune_order_key", columns=("playlist_id", "order")),),
    checks=(Check(name="playlist_tune_order_check", expr=SqlExpr.parse('"order" >= 0')),),
)

RICH = Schema(
    tables=(GENRE, TUNE, USER_PROFILE, PLAYLIST, PLAYLIST_TUNE),
    enums=(Enum(name="mood", values=("happy", "sad", "ok")), Enum(name="spare", values=("x",))),
    views=(
        View(name="active_tune", query=SqlExpr.parse("SELECT id, title, mood FROM tune WHERE active")),
        View(name="active_tune_title", query=SqlExpr.parse("SELECT title FROM active_tune")),
    ),
)
