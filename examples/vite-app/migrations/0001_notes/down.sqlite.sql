-- mizzle migration 0001_notes (sqlite, down)
-- operations:
--   drop table tag (its rows are lost)
--   drop table note (its rows are lost)
--   drop the sync support objects (the tombstone log is lost)
-- warnings:
--   data loss: drop table tag (its rows are lost)
--   data loss: drop table note (its rows are lost)
--   data loss: drop the sync support objects (the tombstone log is lost)

DROP TABLE tag;
--> statement-breakpoint
DROP TABLE note;
--> statement-breakpoint
DROP TABLE IF EXISTS "__mizzle_sync_seq";
--> statement-breakpoint
DROP TABLE IF EXISTS "__mizzle_tombstones";
--> statement-breakpoint
DROP TABLE IF EXISTS "__mizzle_sync_control";
