-- mizzle migration 0003_sync_tables (postgresql, down)
-- operations:
--   stop tracking changes of user_profile (drop sync triggers)
--   stop tracking changes of tune (drop sync triggers)
--   stop tracking changes of practice_record (drop sync triggers)
--   stop tracking changes of playlist_tune (drop sync triggers)
--   stop tracking changes of playlist (drop sync triggers)
--   drop view practice_totals
--   drop index user_profile_last_modified_at_idx on user_profile
--   drop index tune_last_modified_at_idx on tune
--   drop index practice_record_last_modified_at_idx on practice_record
--   drop index playlist_tune_last_modified_at_idx on playlist_tune
--   drop index playlist_last_modified_at_idx on playlist
--   alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
--   alter column tune.last_modified_at: type timestamptz(3) → timestamptz
--   alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
--   alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
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

-- stop tracking changes of user_profile (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_insert" ON "user_profile";
--> statement-breakpoint
-- stop tracking changes of user_profile (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_update" ON "user_profile";
--> statement-breakpoint
-- stop tracking changes of user_profile (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_delete" ON "user_profile";
--> statement-breakpoint
-- stop tracking changes of tune (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_insert" ON "tune";
--> statement-breakpoint
-- stop tracking changes of tune (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_update" ON "tune";
--> statement-breakpoint
-- stop tracking changes of tune (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_delete" ON "tune";
--> statement-breakpoint
-- stop tracking changes of practice_record (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_insert" ON "practice_record";
--> statement-breakpoint
-- stop tracking changes of practice_record (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_update" ON "practice_record";
--> statement-breakpoint
-- stop tracking changes of practice_record (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_delete" ON "practice_record";
--> statement-breakpoint
-- stop tracking changes of playlist_tune (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_insert" ON "playlist_tune";
--> statement-breakpoint
-- stop tracking changes of playlist_tune (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_update" ON "playlist_tune";
--> statement-breakpoint
-- stop tracking changes of playlist_tune (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_delete" ON "playlist_tune";
--> statement-breakpoint
-- stop tracking changes of playlist (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_insert" ON "playlist";
--> statement-breakpoint
-- stop tracking changes of playlist (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_update" ON "playlist";
--> statement-breakpoint
-- stop tracking changes of playlist (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_delete" ON "playlist";
--> statement-breakpoint
-- drop view practice_totals
DROP VIEW practice_totals;
--> statement-breakpoint
-- drop index user_profile_last_modified_at_idx on user_profile
DROP INDEX user_profile_last_modified_at_idx;
--> statement-breakpoint
-- drop index tune_last_modified_at_idx on tune
DROP INDEX tune_last_modified_at_idx;
--> statement-breakpoint
-- drop index practice_record_last_modified_at_idx on practice_record
DROP INDEX practice_record_last_modified_at_idx;
--> statement-breakpoint
-- drop index playlist_tune_last_modified_at_idx on playlist_tune
DROP INDEX playlist_tune_last_modified_at_idx;
--> statement-breakpoint
-- drop index playlist_last_modified_at_idx on playlist
DROP INDEX playlist_last_modified_at_idx;
--> statement-breakpoint
-- alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE user_profile ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE user_profile ALTER COLUMN last_modified_at TYPE timestamptz USING last_modified_at::timestamptz;
--> statement-breakpoint
-- alter column user_profile.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE user_profile ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- alter column tune.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE tune ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column tune.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE tune ALTER COLUMN last_modified_at TYPE timestamptz USING last_modified_at::timestamptz;
--> statement-breakpoint
-- alter column tune.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE tune ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE practice_record ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE practice_record ALTER COLUMN last_modified_at TYPE timestamptz USING last_modified_at::timestamptz;
--> statement-breakpoint
-- alter column practice_record.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE practice_record ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE playlist_tune ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE playlist_tune ALTER COLUMN last_modified_at TYPE timestamptz USING last_modified_at::timestamptz;
--> statement-breakpoint
-- alter column playlist_tune.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE playlist_tune ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE playlist ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE playlist ALTER COLUMN last_modified_at TYPE timestamptz USING last_modified_at::timestamptz;
--> statement-breakpoint
-- alter column playlist.last_modified_at: type timestamptz(3) → timestamptz
ALTER TABLE playlist ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- drop the sync support objects (the tombstone log is lost)
DROP FUNCTION IF EXISTS "__mizzle_sync_delete"();
--> statement-breakpoint
-- drop the sync support objects (the tombstone log is lost)
DROP FUNCTION IF EXISTS "__mizzle_sync_update"();
--> statement-breakpoint
-- drop the sync support objects (the tombstone log is lost)
DROP FUNCTION IF EXISTS "__mizzle_sync_insert"();
--> statement-breakpoint
-- drop the sync support objects (the tombstone log is lost)
DROP TABLE IF EXISTS "__mizzle_tombstones";
--> statement-breakpoint
-- create view practice_totals
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
