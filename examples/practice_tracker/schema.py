"""The practice tracker: tunes, playlists and practice sessions of traditional musicians.

The server keeps this schema in PostgreSQL; every device keeps a copy in SQLite (WASM in the
browser) and works offline, so rows a device creates get uuid keys it can make itself.
Every table a user changes is a sync table (`__sync__ = True`): mizzle keeps its
`sync_version`, `last_modified_at` and `device_id` with triggers on both databases, so a
device can send the server what changed offline (`mizzle.sync`). These tables had the three
columns as plain ones before migration 0003 made them sync tables, so they still declare
them where they stand (a flag alone would append them at the end; PostgreSQL cannot move
a column).
"""

from mizzle.dsl import (
    Enum,
    Table,
    View,
    check,
    desc,
    index,
    integer,
    now,
    primary_key,
    random_uuid,
    real,
    serial,
    smallint,
    sql,
    text,
    timestamptz,
    unique,
    uuid,
    varchar,
)

Instrument = Enum("instrument", ["fiddle", "flute", "whistle", "concertina", "banjo"])


class UserProfile(Table):
    # Profiles are made by the server when someone signs up, so a serial key is enough.
    id = serial().primary_key()
    email = text().not_null()
    display_name = text()
    instrument = Instrument.column()
    created_at = timestamptz().not_null().default(now())
    sync_version = integer().not_null().default(1)
    last_modified_at = timestamptz(3).not_null().default(now())
    device_id = text()
    # e-mail addresses are compared without case
    __indexes__ = (index(sql("lower(email)"), unique=True),)
    __sync__ = True


class Tune(Table):
    id = uuid().primary_key().default(random_uuid())
    # NULL for the shared catalogue, else the user who added the tune
    owner_id = integer().references(UserProfile.id, on_delete="cascade")
    title = text().not_null()
    tune_type = text()
    key = varchar(20)
    instrument = Instrument.column().not_null().default("fiddle")
    tags = text().array().not_null().default([])
    sync_version = integer().not_null().default(1)
    last_modified_at = timestamptz(3).not_null().default(now())
    device_id = text()
    __checks__ = (check("length(title) > 0", name="tune_title_not_empty"),)
    __indexes__ = (
        index(sql("lower(title)")),
        index("title", where=sql("owner_id is null"), name="tune_catalogue_title_idx"),
    )
    __sync__ = True


class Playlist(Table):
    id = uuid().primary_key().default(random_uuid())
    owner_id = integer().not_null().references(UserProfile.id, on_delete="cascade")
    name = text().not_null()
    instrument = Instrument.column()
    sync_version = integer().not_null().default(1)
    last_modified_at = timestamptz(3).not_null().default(now())
    device_id = text()
    __uniques__ = (unique("owner_id", "name"),)
    __sync__ = True


class PlaylistTune(Table):
    playlist_id = uuid().references(Playlist.id, on_delete="cascade")
    tune_id = uuid().references(Tune.id, on_delete="cascade")
    position = integer().not_null()
    added_at = timestamptz().not_null().default(now())
    sync_version = integer().not_null().default(1)
    last_modified_at = timestamptz(3).not_null().default(now())
    device_id = text()
    __primary_key__ = primary_key("playlist_id", "tune_id")
    __checks__ = (check("position >= 0"),)
    __sync__ = True


class PracticeRecord(Table):
    id = uuid().primary_key().default(random_uuid())
    user_id = integer().not_null().references(UserProfile.id, on_delete="cascade")
    tune_id = uuid().not_null().references(Tune.id, on_delete="cascade")
    playlist_id = uuid().references(Playlist.id, on_delete="set null")
    practiced_at = timestamptz().not_null().default(now())
    minutes = integer().not_null()
    # how it went, 0 (lost) to 5 (perfect); 3 until the player rates it (migration 0002)
    quality = real().not_null().default(3)
    notes = text()
    sync_version = integer().not_null().default(1)
    last_modified_at = timestamptz(3).not_null().default(now())
    device_id = text()
    # the metronome setting, when the player used one (migration 0002; PostgreSQL appends a
    # new column after the existing ones, so the schema declares it last too)
    bpm = smallint()
    __checks__ = (
        check("minutes > 0"),
        check("quality >= 0 and quality <= 5", name="practice_record_quality_range"),
    )
    __indexes__ = (index("user_id", desc("practiced_at")), index("tune_id"))
    __sync__ = True


# How much each user practised each tune, and when last.
PracticeTotals = View(
    "practice_totals",
    sql(
        "select r.user_id, r.tune_id, count(*) as sessions, sum(r.minutes) as total_minutes, "
        "max(r.practiced_at) as last_practiced_at "
        "from practice_record as r group by r.user_id, r.tune_id"
    ),
)
