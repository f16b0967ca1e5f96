-- mizzle migration 0001_notes (sqlite)
-- operations:
--   create the sync support objects (tombstone log)
--   create table note
--   create table tag

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
CREATE TABLE note (
  id INTEGER NOT NULL,
  body TEXT NOT NULL,
  pinned INTEGER NOT NULL DEFAULT (0),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT(3) NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  sync_seq BIGINT NOT NULL DEFAULT (0),
  CONSTRAINT note_pkey PRIMARY KEY (id)
);
--> statement-breakpoint
CREATE INDEX note_sync_seq_idx ON note(sync_seq);
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_insert_note" AFTER INSERT ON "note" FOR EACH ROW
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "note" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "device_id" = CASE WHEN NEW."device_id" IS NULL AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN (SELECT "device_id" FROM "__mizzle_sync_control") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_update_note" AFTER UPDATE ON "note" FOR EACH ROW
WHEN NEW."sync_seq" IS OLD."sync_seq"
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  UPDATE "note" SET "sync_seq" = (SELECT "seq" FROM "__mizzle_sync_seq"),
    "sync_version" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN OLD."sync_version" + 1 ELSE NEW."sync_version" END,
    "last_modified_at" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 THEN strftime('%Y-%m-%dT%H:%M:%fZ','now') ELSE NEW."last_modified_at" END,
    "device_id" = CASE WHEN NEW."sync_version" IS OLD."sync_version" AND (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1 AND NEW."device_id" IS OLD."device_id" THEN coalesce((SELECT "device_id" FROM "__mizzle_sync_control"), NEW."device_id") ELSE NEW."device_id" END
  WHERE rowid = NEW.rowid;
END;
--> statement-breakpoint
CREATE TRIGGER "__mizzle_sync_delete_note" AFTER DELETE ON "note" FOR EACH ROW
WHEN (SELECT "applying_remote" FROM "__mizzle_sync_control") IS NOT 1
BEGIN
  UPDATE "__mizzle_sync_seq" SET "seq" = "seq" + 1;
  INSERT INTO "__mizzle_tombstones" ("id", "table_name", "pk", "sync_version", "device_id")
  VALUES ((SELECT "seq" FROM "__mizzle_sync_seq"), 'note', json_array(OLD."id"), OLD."sync_version", (SELECT "device_id" FROM "__mizzle_sync_control"));
END;
--> statement-breakpoint
CREATE TABLE tag (
  id INTEGER NOT NULL,
  name TEXT NOT NULL,
  CONSTRAINT tag_pkey PRIMARY KEY (id)
);
