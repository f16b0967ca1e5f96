-- mizzle migration 0002_rate_every_session (sqlite)
-- operations:
--   drop view practice_totals
--   add column practice_record.bpm smallint
--   alter column practice_record.quality: type smallint → real, set NOT NULL, set default
--   create view practice_totals
-- warnings:
--   may fail: alter column practice_record.quality: type smallint → real, set NOT NULL, set default
-- mizzle:foreign-keys-off

DROP VIEW practice_totals;
--> statement-breakpoint
-- mizzle:guard cannot rebuild table practice_record: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'practice_record' COLLATE NOCASE;
--> statement-breakpoint
-- mizzle:guard cannot change practice_record.quality from smallint to real: {count} rows hold values that do not convert
SELECT count(*) FROM practice_record WHERE quality IS NOT NULL AND NOT (CAST(quality AS REAL) = quality);
--> statement-breakpoint
-- mizzle:guard cannot add check practice_record_quality_range on practice_record: {count} rows break it
SELECT count(*) FROM (SELECT COALESCE(CAST(quality AS REAL), (3)) AS quality FROM practice_record) WHERE NOT (quality >= 0 AND quality <= 5);
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
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
-- rebuild practice_record: SQLite cannot change a column in place
INSERT INTO __mizzle_new_practice_record (rowid, id, user_id, tune_id, playlist_id, practiced_at, minutes, quality, notes, sync_version, last_modified_at, device_id) SELECT rowid, id, user_id, tune_id, playlist_id, practiced_at, minutes, COALESCE(CAST(quality AS REAL), (3)), notes, sync_version, last_modified_at, device_id FROM practice_record;
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
DROP TABLE practice_record;
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
ALTER TABLE __mizzle_new_practice_record RENAME TO practice_record;
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
CREATE INDEX practice_record_tune_id_idx ON practice_record(tune_id);
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
CREATE INDEX practice_record_user_id_practiced_at_idx ON practice_record(user_id, practiced_at DESC);
--> statement-breakpoint
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
