-- mizzle migration 0003_sync_tables (sqlite)
-- operations:
--   drop view practice_totals
--   create the sync support objects (tombstone log)
--   alter column playlist.last_modified_at: type timestamptz → timestamptz(3)
--   create index playlist_last_modified_at_idx on playlist
--   alter column playlist_tune.last_modified_at: type timestamptz → timestamptz(3)
--   create index playlist_tune_last_modified_at_idx on playlist_tune
--   alter column practice_record.last_modified_at: type timestamptz → timestamptz(3)
--   create index practice_record_last_modified_at_idx on practice_record
--   alter column tune.last_modified_at: type timestamptz → timestamptz(3)
--   create index tune_last_modified_at_idx on tune
--   alter column user_profile.last_modified_at: type timestamptz → timestamptz(3)
--   create index user_profile_last_modified_at_idx on user_profile
--   create view practice_totals
--   track changes of playlist (sync triggers)
--   track changes of playlist_tune (sync triggers)
--   track changes of practice_record (sync triggers)
--   track changes of tune (sync triggers)
--   track changes of user_profile (sync triggers)
-- warnings:
--   may fail: alter column playlist.last_modified_at: type timestamptz → timestamptz(3)
--   may fail: alter column playlist_tune.last_modified_at: type timestamptz → timestamptz(3)
--   may fail: alter column practice_record.last_modified_at: type timestamptz → timestamptz(3)
--   may fail: alter column tune.last_modified_at: type timestamptz → timestamptz(3)
--   may fail: alter column user_profile.last_modified_at: type timestamptz → timestamptz(3)
-- mizzle:foreign-keys-off

DROP VIEW practice_totals;
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "__mizzle_sync_control" (
  "id" INTEGER PRIMARY KEY CHECK ("id" = 1),
  "applying_remote" INTEGER NOT NULL DEFAULT 0,
  "device_id" TEXT
);
--> statement-breakpoint
INSERT OR IGNORE INTO "__mizzle_sync_control" ("id") VALUES (1);
--> statement-breakpoint
CREATE TABLE IF NOT EXISTS "__mizzle_tombstones" (
  "id" INTEGER PRIMARY KEY,
  "table_name" TEXT NOT NULL,
  "pk" TEXT NOT NULL,
  "sync_version" INTEGER NOT NULL,
  "deleted_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  "device_id" TEXT
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "__mizzle_tombstones_table_name_deleted_at_idx" ON "__mizzle_tombstones" ("table_name", "deleted_at");
--> statement-breakpoint
-- mizzle:guard cannot rebuild table playlist: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'playlist' COLLATE NOCASE;
--> statement-breakpoint
-- rebuild playlist: SQLite cannot change a column in place
CREATE TABLE __mizzle_new_playlist (
  id UUID_TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  owner_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  instrument TEXT CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT(3) NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT playlist_pkey PRIMARY KEY (id),
  CONSTRAINT playlist_owner_id_name_key UNIQUE (owner_id, name),
  CONSTRAINT playlist_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- rebuild playlist: SQLite cannot change a column in place
INSERT INTO __mizzle_new_playlist (rowid, id, owner_id, name, instrument, sync_version, last_modified_at, device_id) SELECT rowid, id, owner_id, name, instrument, sync_version, last_modified_at, device_id FROM playlist;
--> statement-breakpoint
-- rebuild playlist: SQLite cannot change a column in place
DROP TABLE playlist;
--> statement-breakpoint
-- rebuild playlist: SQLite cannot change a column in place
ALTER TABLE __mizzle_new_playlist RENAME TO playlist;
--> statement-breakpoint
-- rebuild playlist: SQLite cannot change a column in place
CREATE INDEX playlist_last_modified_at_idx ON playlist(last_modified_at);
--> statement-breakpoint
-- mizzle:guard cannot rebuild table playlist_tune: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'playlist_tune' COLLATE NOCASE;
--> statement-breakpoint
-- rebuild playlist_tune: SQLite cannot change a column in place
CREATE TABLE __mizzle_new_playlist_tune (
  playlist_id UUID_TEXT NOT NULL,
  tune_id UUID_TEXT NOT NULL,
  position INTEGER NOT NULL,
  added_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT(3) NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT playlist_tune_pkey PRIMARY KEY (playlist_id, tune_id),
  CONSTRAINT playlist_tune_position_check CHECK (position >= 0),
  CONSTRAINT playlist_tune_playlist_id_fkey FOREIGN KEY (playlist_id) REFERENCES playlist (id) ON DELETE CASCADE,
  CONSTRAINT playlist_tune_tune_id_fkey FOREIGN KEY (tune_id) REFERENCES tune (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- rebuild playlist_tune: SQLite cannot change a column in place
INSERT INTO __mizzle_new_playlist_tune (rowid, playlist_id, tune_id, position, added_at, sync_version, last_modified_at, device_id) SELECT rowid, playlist_id, tune_id, position, added_at, sync_version, last_modified_at, device_id FROM playlist_tune;
--> statement-breakpoint
-- rebuild playlist_tune: SQLite cannot change a column in place
DROP TABLE playlist_tune;
--> statement-breakpoint
-- rebuild playlist_tune: SQLite cannot change a column in place
ALTER TABLE __mizzle_new_playlist_tune RENAME TO playlist_tune;
--> statement-breakpoint
-- rebuild playlist_tune: SQLite cannot change a column in place
CREATE INDEX playlist_tune_last_modified_at_idx ON playlist_tune(last_modified_at);
--> statement-breakpoint
-- mizzle:guard cannot rebuild table practice_record: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'practice_record' COLLATE NOCASE;
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
  last_modified_at TIMESTAMPTZ_TEXT(3) NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
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
INSERT INTO __mizzle_new_practice_record (rowid, id, user_id, tune_id, playlist_id, practiced_at, minutes, quality, notes, sync_version, last_modified_at, device_id, bpm) SELECT rowid, id, user_id, tune_id, playlist_id, practiced_at, minutes, quality, notes, sync_version, last_modified_at, device_id, bpm FROM practice_record;
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
DROP TABLE practice_record;
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
ALTER TABLE __mizzle_new_practice_record RENAME TO practice_record;
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
CREATE INDEX practice_record_last_modified_at_idx ON practice_record(last_modified_at);
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
CREATE INDEX practice_record_tune_id_idx ON practice_record(tune_id);
--> statement-breakpoint
-- rebuild practice_record: SQLite cannot change a column in place
CREATE INDEX practice_record_user_id_practiced_at_idx ON practice_record(user_id, practiced_at DESC);
--> statement-breakpoint
-- mizzle:guard cannot rebuild table tune: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tune' COLLATE NOCASE;
--> statement-breakpoint
-- rebuild tune: SQLite cannot change a column in place
CREATE TABLE __mizzle_new_tune (
  id UUID_TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  owner_id INTEGER,
  title TEXT NOT NULL,
  tune_type TEXT,
  key VARCHAR(20),
  instrument TEXT NOT NULL DEFAULT ('fiddle') CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  tags TEXT_ARRAY NOT NULL DEFAULT ('[]'),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT(3) NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT tune_pkey PRIMARY KEY (id),
  CONSTRAINT tune_title_not_empty CHECK (LENGTH(title) > 0),
  CONSTRAINT tune_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- rebuild tune: SQLite cannot change a column in place
INSERT INTO __mizzle_new_tune (rowid, id, owner_id, title, tune_type, key, instrument, tags, sync_version, last_modified_at, device_id) SELECT rowid, id, owner_id, title, tune_type, key, instrument, tags, sync_version, last_modified_at, device_id FROM tune;
--> statement-breakpoint
-- rebuild tune: SQLite cannot change a column in place
DROP TABLE tune;
--> statement-breakpoint
-- rebuild tune: SQLite cannot change a column in place
ALTER TABLE __mizzle_new_tune RENAME TO tune;
--> statement-breakpoint
-- rebuild tune: SQLite cannot change a column in place
CREATE INDEX tune_catalogue_title_idx ON tune(title) WHERE owner_id IS NULL;
--> statement-breakpoint
-- rebuild tune: SQLite cannot change a column in place
CREATE INDEX tune_last_modified_at_idx ON tune(last_modified_at);
--> statement-breakpoint
-- rebuild tune: SQLite cannot change a column in place
CREATE INDEX tune_lower_idx ON tune(LOWER(title));
--> statement-breakpoint
-- mizzle:guard cannot rebuild table user_profile: it has {count} triggers the schema does not hold, and rebuilding the table would drop them
SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'user_profile' COLLATE NOCASE;
--> statement-breakpoint
-- mizzle:guard cannot create unique index user_profile_lower_idx on user_profile(LOWER(email)): {count} values occur in more than one row
SELECT count(*) FROM (SELECT 1 FROM user_profile WHERE LOWER(email) IS NOT NULL GROUP BY LOWER(email) HAVING count(*) > 1);
--> statement-breakpoint
-- rebuild user_profile: SQLite cannot change a column in place
CREATE TABLE __mizzle_new_user_profile (
  id INTEGER NOT NULL,
  email TEXT NOT NULL,
  display_name TEXT,
  instrument TEXT CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  created_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT(3) NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT user_profile_pkey PRIMARY KEY (id)
);
--> statement-breakpoint
-- rebuild user_profile: SQLite cannot change a column in place
INSERT INTO __mizzle_new_user_profile (id, email, display_name, instrument, created_at, sync_version, last_modified_at, device_id) SELECT id, email, display_name, instrument, created_at, sync_version, last_modified_at, device_id FROM user_profile;
--> statement-breakpoint
-- rebuild user_profile: SQLite cannot change a column in place
DROP TABLE user_profile;
--> statement-breakpoint
-- rebuild user_profile: SQLite cannot change a column in place
ALTER TABLE __mizzle_new_user_profile RENAME TO user_profile;
--> statement-breakpoint
-- rebuild user_profile: SQLite cannot change a column in place
CREATE INDEX user_profile_last_modified_at_idx ON user_profile(last_modified_at);
--> statement-breakpoint
-- rebuild user_profile: SQLite cannot change a column in place
CREATE UNIQUE INDEX user_profile_lower_idx ON user_profile(LOWER(email));
--> statement-breakpoint
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_playlist" AFTER INSERT ON "playlist" FOR EACH ROW
WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND (SELECT "device_id" FROM "__mizzle_sync_control") IS NOT NULL
BEGIN
  UPDATE "playlist" SET "device_id" = (SELECT "device_id" FROM "__mizzle_sync_control"), "sync_version" = NEW."sync_version" + 1 WHERE rowid = NEW.rowid;
  UPDATE "playlist" SET "sync_version" = NEW."sync_version" WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_playlist" AFTER UPDATE ON "playlist" FOR EACH ROW
WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "playlist" SET "sync_version" = OLD."sync_version" + 1, "last_modified_at" = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
    "device_id" = CASE WHEN NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_playlist" AFTER DELETE ON "playlist" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  INSERT INTO "__mizzle_tombstones" ("table_name", "pk", "sync_version", "device_id")
  VALUES ('playlist', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_playlist_tune" AFTER INSERT ON "playlist_tune" FOR EACH ROW
WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND (SELECT "device_id" FROM "__mizzle_sync_control") IS NOT NULL
BEGIN
  UPDATE "playlist_tune" SET "device_id" = (SELECT "device_id" FROM "__mizzle_sync_control"), "sync_version" = NEW."sync_version" + 1 WHERE rowid = NEW.rowid;
  UPDATE "playlist_tune" SET "sync_version" = NEW."sync_version" WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_playlist_tune" AFTER UPDATE ON "playlist_tune" FOR EACH ROW
WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "playlist_tune" SET "sync_version" = OLD."sync_version" + 1, "last_modified_at" = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
    "device_id" = CASE WHEN NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_playlist_tune" AFTER DELETE ON "playlist_tune" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  INSERT INTO "__mizzle_tombstones" ("table_name", "pk", "sync_version", "device_id")
  VALUES ('playlist_tune', json_array(OLD."playlist_id", OLD."tune_id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_practice_record" AFTER INSERT ON "practice_record" FOR EACH ROW
WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND (SELECT "device_id" FROM "__mizzle_sync_control") IS NOT NULL
BEGIN
  UPDATE "practice_record" SET "device_id" = (SELECT "device_id" FROM "__mizzle_sync_control"), "sync_version" = NEW."sync_version" + 1 WHERE rowid = NEW.rowid;
  UPDATE "practice_record" SET "sync_version" = NEW."sync_version" WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_practice_record" AFTER UPDATE ON "practice_record" FOR EACH ROW
WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "practice_record" SET "sync_version" = OLD."sync_version" + 1, "last_modified_at" = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
    "device_id" = CASE WHEN NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_practice_record" AFTER DELETE ON "practice_record" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  INSERT INTO "__mizzle_tombstones" ("table_name", "pk", "sync_version", "device_id")
  VALUES ('practice_record', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_tune" AFTER INSERT ON "tune" FOR EACH ROW
WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND (SELECT "device_id" FROM "__mizzle_sync_control") IS NOT NULL
BEGIN
  UPDATE "tune" SET "device_id" = (SELECT "device_id" FROM "__mizzle_sync_control"), "sync_version" = NEW."sync_version" + 1 WHERE rowid = NEW.rowid;
  UPDATE "tune" SET "sync_version" = NEW."sync_version" WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_tune" AFTER UPDATE ON "tune" FOR EACH ROW
WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "tune" SET "sync_version" = OLD."sync_version" + 1, "last_modified_at" = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
    "device_id" = CASE WHEN NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_tune" AFTER DELETE ON "tune" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  INSERT INTO "__mizzle_tombstones" ("table_name", "pk", "sync_version", "device_id")
  VALUES ('tune', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_user_profile" AFTER INSERT ON "user_profile" FOR EACH ROW
WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND (SELECT "device_id" FROM "__mizzle_sync_control") IS NOT NULL
BEGIN
  UPDATE "user_profile" SET "device_id" = (SELECT "device_id" FROM "__mizzle_sync_control"), "sync_version" = NEW."sync_version" + 1 WHERE rowid = NEW.rowid;
  UPDATE "user_profile" SET "sync_version" = NEW."sync_version" WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_user_profile" AFTER UPDATE ON "user_profile" FOR EACH ROW
WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "user_profile" SET "sync_version" = OLD."sync_version" + 1, "last_modified_at" = strftime('%Y-%m-%dT%H:%M:%fZ','now'),
    "device_id" = CASE WHEN NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_user_profile" AFTER DELETE ON "user_profile" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  INSERT INTO "__mizzle_tombstones" ("table_name", "pk", "sync_version", "device_id")
  VALUES ('user_profile', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
