-- mizzle migration 0004_commit_ordered_sync_cursor (sqlite)
-- operations:
--   stop tracking changes of playlist (drop sync triggers)
--   stop tracking changes of playlist_tune (drop sync triggers)
--   stop tracking changes of practice_record (drop sync triggers)
--   stop tracking changes of tune (drop sync triggers)
--   stop tracking changes of user_profile (drop sync triggers)
--   drop index playlist_last_modified_at_idx on playlist
--   drop index playlist_tune_last_modified_at_idx on playlist_tune
--   drop index practice_record_last_modified_at_idx on practice_record
--   drop index tune_last_modified_at_idx on tune
--   drop index user_profile_last_modified_at_idx on user_profile
--   bring the sync support objects up to date (commit-ordered pull cursor)
--   add column playlist.sync_seq bigint
--   add column playlist_tune.sync_seq bigint
--   add column practice_record.sync_seq bigint
--   add column tune.sync_seq bigint
--   add column user_profile.sync_seq bigint
--   create index playlist_sync_seq_idx on playlist
--   create index playlist_tune_sync_seq_idx on playlist_tune
--   create index practice_record_sync_seq_idx on practice_record
--   create index tune_sync_seq_idx on tune
--   create index user_profile_sync_seq_idx on user_profile
--   track changes of playlist (sync triggers)
--   track changes of playlist_tune (sync triggers)
--   track changes of practice_record (sync triggers)
--   track changes of tune (sync triggers)
--   track changes of user_profile (sync triggers)

DROP TRIGGER IF EXISTS "__mizzle_sync_insert_playlist";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_playlist";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_playlist";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_insert_playlist_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_playlist_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_playlist_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_insert_practice_record";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_practice_record";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_practice_record";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_insert_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_tune";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_insert_user_profile";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_update_user_profile";
--> statement-breakpoint
DROP TRIGGER IF EXISTS "__mizzle_sync_delete_user_profile";
--> statement-breakpoint
DROP INDEX playlist_last_modified_at_idx;
--> statement-breakpoint
DROP INDEX playlist_tune_last_modified_at_idx;
--> statement-breakpoint
DROP INDEX practice_record_last_modified_at_idx;
--> statement-breakpoint
DROP INDEX tune_last_modified_at_idx;
--> statement-breakpoint
DROP INDEX user_profile_last_modified_at_idx;
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
CREATE TABLE IF NOT EXISTS "__mizzle_sync_seq" (
  "id" INTEGER PRIMARY KEY CHECK ("id" = 1),
  "seq" INTEGER NOT NULL
);
--> statement-breakpoint
INSERT OR IGNORE INTO "__mizzle_sync_seq" ("id", "seq") VALUES (1, 0);
--> statement-breakpoint
UPDATE "__mizzle_sync_seq" SET "seq" = max("seq", (SELECT coalesce(max("id"), 0) FROM "__mizzle_tombstones"));
--> statement-breakpoint
ALTER TABLE playlist ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT (0);
--> statement-breakpoint
ALTER TABLE playlist_tune ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT (0);
--> statement-breakpoint
ALTER TABLE practice_record ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT (0);
--> statement-breakpoint
ALTER TABLE tune ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT (0);
--> statement-breakpoint
ALTER TABLE user_profile ADD COLUMN sync_seq BIGINT NOT NULL DEFAULT (0);
--> statement-breakpoint
CREATE INDEX playlist_sync_seq_idx ON playlist(sync_seq);
--> statement-breakpoint
CREATE INDEX playlist_tune_sync_seq_idx ON playlist_tune(sync_seq);
--> statement-breakpoint
CREATE INDEX practice_record_sync_seq_idx ON practice_record(sync_seq);
--> statement-breakpoint
CREATE INDEX tune_sync_seq_idx ON tune(sync_seq);
--> statement-breakpoint
CREATE INDEX user_profile_sync_seq_idx ON user_profile(sync_seq);
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_playlist" AFTER INSERT ON "playlist" FOR EACH ROW
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "playlist" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "device_id" = CASE WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN (SELECT "device_id" FROM "__mizzle_sync_control") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_playlist" AFTER UPDATE ON "playlist" FOR EACH ROW
WHEN NEW."sync_seq" IS OLD."sync_seq"
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "playlist" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "sync_version" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN OLD."sync_version" + 1 ELSE NEW."sync_version" END,
    "last_modified_at" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NEW."last_modified_at" END,
    "device_id" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_playlist" AFTER DELETE ON "playlist" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  INSERT INTO "__mizzle_tombstones" ("id", "table_name", "pk", "sync_version", "device_id")
  VALUES ((SELECT "seq" FROM "__mizzle_sync_seq"), 'playlist', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_playlist_tune" AFTER INSERT ON "playlist_tune" FOR EACH ROW
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "playlist_tune" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "device_id" = CASE WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN (SELECT "device_id" FROM "__mizzle_sync_control") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_playlist_tune" AFTER UPDATE ON "playlist_tune" FOR EACH ROW
WHEN NEW."sync_seq" IS OLD."sync_seq"
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "playlist_tune" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "sync_version" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN OLD."sync_version" + 1 ELSE NEW."sync_version" END,
    "last_modified_at" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NEW."last_modified_at" END,
    "device_id" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_playlist_tune" AFTER DELETE ON "playlist_tune" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  INSERT INTO "__mizzle_tombstones" ("id", "table_name", "pk", "sync_version", "device_id")
  VALUES ((SELECT "seq" FROM "__mizzle_sync_seq"), 'playlist_tune', json_array(OLD."playlist_id", OLD."tune_id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_practice_record" AFTER INSERT ON "practice_record" FOR EACH ROW
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "practice_record" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "device_id" = CASE WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN (SELECT "device_id" FROM "__mizzle_sync_control") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_practice_record" AFTER UPDATE ON "practice_record" FOR EACH ROW
WHEN NEW."sync_seq" IS OLD."sync_seq"
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "practice_record" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "sync_version" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN OLD."sync_version" + 1 ELSE NEW."sync_version" END,
    "last_modified_at" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NEW."last_modified_at" END,
    "device_id" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_practice_record" AFTER DELETE ON "practice_record" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  INSERT INTO "__mizzle_tombstones" ("id", "table_name", "pk", "sync_version", "device_id")
  VALUES ((SELECT "seq" FROM "__mizzle_sync_seq"), 'practice_record', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_tune" AFTER INSERT ON "tune" FOR EACH ROW
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "tune" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "device_id" = CASE WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN (SELECT "device_id" FROM "__mizzle_sync_control") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_tune" AFTER UPDATE ON "tune" FOR EACH ROW
WHEN NEW."sync_seq" IS OLD."sync_seq"
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "tune" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "sync_version" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN OLD."sync_version" + 1 ELSE NEW."sync_version" END,
    "last_modified_at" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NEW."last_modified_at" END,
    "device_id" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_tune" AFTER DELETE ON "tune" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  INSERT INTO "__mizzle_tombstones" ("id", "table_name", "pk", "sync_version", "device_id")
  VALUES ((SELECT "seq" FROM "__mizzle_sync_seq"), 'tune', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_user_profile" AFTER INSERT ON "user_profile" FOR EACH ROW
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "user_profile" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "device_id" = CASE WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN (SELECT "device_id" FROM "__mizzle_sync_control") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_user_profile" AFTER UPDATE ON "user_profile" FOR EACH ROW
WHEN NEW."sync_seq" IS OLD."sync_seq"
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "user_profile" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "sync_version" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN OLD."sync_version" + 1 ELSE NEW."sync_version" END,
    "last_modified_at" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NEW."last_modified_at" END,
    "device_id" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_user_profile" AFTER DELETE ON "user_profile" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  INSERT INTO "__mizzle_tombstones" ("id", "table_name", "pk", "sync_version", "device_id")
  VALUES ((SELECT "seq" FROM "__mizzle_sync_seq"), 'user_profile', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
