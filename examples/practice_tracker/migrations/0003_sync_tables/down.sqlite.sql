-- mizzle migration 0003_sync_tables (sqlite, down)
-- operations:
--   stop tracking changes of user_profile (drop sync triggers)
--   stop tracking changes of tune (drop sync triggers)
--   stop tracking changes of practice_record (drop sync triggers)
--   stop tracking changes of playlist_tune (drop sync triggers)
--   stop tracking changes of playlist (drop sync triggers)
--   drop view practice_totals
--   drop index user_profile_last_modified_at_idx on user_profile
--   alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
--   drop index tune_last_modified_at_idx on tune
--   alter column tune.last_modified_at: type timestamptz(3) → timestamptz
--   drop index practice_record_last_modified_at_idx on practice_record
--   alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
--   drop index playlist_tune_last_modified_at_idx on playlist_tune
--   alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
--   drop index playlist_last_modified_at_idx on playlist
--   alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
--   drop the sync support objects (the tombstone log is lost)
--   create view practice_totals
-- warnings:
--   may fail: alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
--   may fail: alter column tune.last_modified_at: type timestamptz(3) → timestamptz
--   may fail: alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
--   may fail: alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
--   may fail: alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
--   data loss: drop the sync support objects (the tombstone log is lost)
-- mizzle:foreign-keys-off

DROP TRIGGER IF EXISTS "__mizzle_sync_insert_user_profile";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_user_profile";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_user_profile";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_insert_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_insert_practice_record";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_practice_record";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_practice_record";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_insert_playlist_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_playlist_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_playlist_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_insert_playlist";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_playlist";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_playlist";
--> statement-breakpoint
DROP VIEW practice_totals;
--> statement-breakpoint
-- mizzle:guard cannot rebuild table user_profile: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'user_profile' COLLATE NOCASE;
--> statement-breakpoint
-- mizzle:guard cannot create unique index user_profile_lower_idx on user_profile(LOWER(email)): {count} values occur in more than one row
SELECT count(*) FROM (SELECT 1 FROM user_profile WHERE LOWER(email) IS NOT NULL GROUP BY LOWER(email) HAVING count(*) > 1);
--> statement-breakpoint
-- drop index user_profile_last_modified_at_idx on user_profile; alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
CREATE TABLE __mizzle_new_user_profile (
  id INTEGER NOT NULL,
  email TEXT NOT NULL,
  display_name TEXT,
  instrument TEXT CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  created_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT user_profile_pkey PRIMARY KEY (id)
);
--> statement-breakpoint
-- drop index user_profile_last_modified_at_idx on user_profile; alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
INSERT INTO __mizzle_new_user_profile (id, email, display_name, instrument, created_at, sync_version, last_modified_at, device_id) SELECT id, email, display_name, instrument, created_at, sync_version, last_modified_at, device_id FROM user_profile;
--> statement-breakpoint
-- drop index user_profile_last_modified_at_idx on user_profile; alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
DROP TABLE user_profile;
--> statement-breakpoint
-- drop index user_profile_last_modified_at_idx on user_profile; alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE __mizzle_new_user_profile RENAME TO user_profile;
--> statement-breakpoint
-- drop index user_profile_last_modified_at_idx on user_profile; alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
CREATE UNIQUE INDEX user_profile_lower_idx ON user_profile(LOWER(email));
--> statement-breakpoint
-- mizzle:guard cannot rebuild table tune: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tune' COLLATE NOCASE;
--> statement-breakpoint
-- drop index tune_last_modified_at_idx on tune; alter column tune.last_modified_at: type timestamptz(3) → timestamptz
CREATE TABLE __mizzle_new_tune (
  id UUID_TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  owner_id INTEGER,
  title TEXT NOT NULL,
  tune_type TEXT,
  key VARCHAR(20),
  instrument TEXT NOT NULL DEFAULT ('fiddle') CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  tags TEXT_ARRAY NOT NULL DEFAULT ('[]'),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT tune_pkey PRIMARY KEY (id),
  CONSTRAINT tune_title_not_empty CHECK (LENGTH(title) > 0),
  CONSTRAINT tune_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- drop index tune_last_modified_at_idx on tune; alter column tune.last_modified_at: type timestamptz(3) → timestamptz
INSERT INTO __mizzle_new_tune (rowid, id, owner_id, title, tune_type, key, instrument, tags, sync_version, last_modified_at, device_id) SELECT rowid, id, owner_id, title, tune_type, key, instrument, tags, sync_version, last_modified_at, device_id FROM tune;
--> statement-breakpoint
-- drop index tune_last_modified_at_idx on tune; alter column tune.last_modified_at: type timestamptz(3) → timestamptz
DROP TABLE tune;
--> statement-breakpoint
-- drop index tune_last_modified_at_idx on tune; alter column tune.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE __mizzle_new_tune RENAME TO tune;
--> statement-breakpoint
-- drop index tune_last_modified_at_idx on tune; alter column tune.last_modified_at: type timestamptz(3) → timestamptz
CREATE INDEX tune_catalogue_title_idx ON tune(title) WHERE owner_id IS NULL;
--> statement-breakpoint
-- drop index tune_last_modified_at_idx on tune; alter column tune.last_modified_at: type timestamptz(3) → timestamptz
CREATE INDEX tune_lower_idx ON tune(LOWER(title));
--> statement-breakpoint
-- mizzle:guard cannot rebuild table practice_record: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'practice_record' COLLATE NOCASE;
--> statement-breakpoint
-- drop index practice_record_last_modified_at_idx on practice_record; alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
CREATE TABLE __mizzle_new_practice_record (
  id UUID_TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  user_id INTEGER NOT NULL,
  tune_id UUID_TEXT NOT NULL,
  playlist_id UUID_TEXT,
  practiced_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  minutes INTEGER NOT NULL,
  quality REAL NOT NULL DEFAULT (3),
  notes TEXT,
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  bpm SMALLINT,
  CONSTRAINT practice_record_pkey PRIMARY KEY (id),
  CONSTRAINT practice_record_minutes_check CHECK (minutes > 0),
  CONSTRAINT practice_record_quality_range CHECK (quality >= 0 AND quality <= 5),
  CONSTRAINT practice_record_playlist_id_fkey FOREIGN KEY (playlist_id) REFERENCES playlist (id) ON DELETE SET NULL,
  CONSTRAINT practice_record_tune_id_fkey FOREIGN KEY (tune_id) REFERENCES tune (id) ON DELETE CASCADE,
  CONSTRAINT practice_record_user_id_fkey FOREIGN KEY (user_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- drop index practice_record_last_modified_at_idx on practice_record; alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
INSERT INTO __mizzle_new_practice_record (rowid, id, user_id, tune_id, playlist_id, practiced_at, minutes, quality, notes, sync_version, last_modified_at, device_id, bpm) SELECT rowid, id, user_id, tune_id, playlist_id, practiced_at, minutes, quality, notes, sync_version, last_modified_at, device_id, bpm FROM practice_record;
--> statement-breakpoint
-- drop index practice_record_last_modified_at_idx on practice_record; alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
DROP TABLE practice_record;
--> statement-breakpoint
-- drop index practice_record_last_modified_at_idx on practice_record; alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE __mizzle_new_practice_record RENAME TO practice_record;
--> statement-breakpoint
-- drop index practice_record_last_modified_at_idx on practice_record; alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
CREATE INDEX practice_record_tune_id_idx ON practice_record(tune_id);
--> statement-breakpoint
-- drop index practice_record_last_modified_at_idx on practice_record; alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
CREATE INDEX practice_record_user_id_practiced_at_idx ON practice_record(user_id, practiced_at DESC);
--> statement-breakpoint
-- mizzle:guard cannot rebuild table playlist_tune: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'playlist_tune' COLLATE NOCASE;
--> statement-breakpoint
-- drop index playlist_tune_last_modified_at_idx on playlist_tune; alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
CREATE TABLE __mizzle_new_playlist_tune (
  playlist_id UUID_TEXT NOT NULL,
  tune_id UUID_TEXT NOT NULL,
  position INTEGER NOT NULL,
  added_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT playlist_tune_pkey PRIMARY KEY (playlist_id, tune_id),
  CONSTRAINT playlist_tune_position_check CHECK (position >= 0),
  CONSTRAINT playlist_tune_playlist_id_fkey FOREIGN KEY (playlist_id) REFERENCES playlist (id) ON DELETE CASCADE,
  CONSTRAINT playlist_tune_tune_id_fkey FOREIGN KEY (tune_id) REFERENCES tune (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- drop index playlist_tune_last_modified_at_idx on playlist_tune; alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
INSERT INTO __mizzle_new_playlist_tune (rowid, playlist_id, tune_id, position, added_at, sync_version, last_modified_at, device_id) SELECT rowid, playlist_id, tune_id, position, added_at, sync_version, last_modified_at, device_id FROM playlist_tune;
--> statement-breakpoint
-- drop index playlist_tune_last_modified_at_idx on playlist_tune; alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
DROP TABLE playlist_tune;
--> statement-breakpoint
-- drop index playlist_tune_last_modified_at_idx on playlist_tune; alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE __mizzle_new_playlist_tune RENAME TO playlist_tune;
--> statement-breakpoint
-- mizzle:guard cannot rebuild table playlist: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'playlist' COLLATE NOCASE;
--> statement-breakpoint
-- drop index playlist_last_modified_at_idx on playlist; alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
CREATE TABLE __mizzle_new_playlist (
  id UUID_TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  owner_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  instrument TEXT CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT playlist_pkey PRIMARY KEY (id),
  CONSTRAINT playlist_owner_id_name_key UNIQUE (owner_id, name),
  CONSTRAINT playlist_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- drop index playlist_last_modified_at_idx on playlist; alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
INSERT INTO __mizzle_new_playlist (rowid, id, owner_id, name, instrument, sync_version, last_modified_at, device_id) SELECT rowid, id, owner_id, name, instrument, sync_version, last_modified_at, device_id FROM playlist;
--> statement-breakpoint
-- drop index playlist_last_modified_at_idx on playlist; alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
DROP TABLE playlist;
--> statement-breakpoint
-- drop index playlist_last_modified_at_idx on playlist; alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE __mizzle_new_playlist RENAME TO playlist;
--> statement-breakpoint
DROP TABLE IF EXISTS "__mizzle_tombstones";
--> statement-breakpoint
DROP TABLE IF EXISTS "__mizzle_sync_control";
--> statement-breakpoint
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
