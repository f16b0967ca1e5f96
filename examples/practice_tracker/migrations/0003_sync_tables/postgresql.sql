-- mizzle migration 0003_sync_tables (postgresql)
-- operations:
--   drop view practice_totals
--   create the sync support objects (tombstone log)
--   alter column playlist.last_modified_at: type timestamptz → timestamptz(3)
--   alter column playlist_tune.last_modified_at: type timestamptz → timestamptz(3)
--   alter column practice_record.last_modified_at: type timestamptz → timestamptz(3)
--   alter column tune.last_modified_at: type timestamptz → timestamptz(3)
--   alter column user_profile.last_modified_at: type timestamptz → timestamptz(3)
--   create index playlist_last_modified_at_idx on playlist
--   create index playlist_tune_last_modified_at_idx on playlist_tune
--   create index practice_record_last_modified_at_idx on practice_record
--   create index tune_last_modified_at_idx on tune
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

-- drop view practice_totals
DROP VIEW practice_totals;
--> statement-breakpoint
-- create the sync support objects (tombstone log)
CREATE TABLE IF NOT EXISTS "__mizzle_tombstones" (
  "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "table_name" text NOT NULL,
  "pk" text NOT NULL,
  "sync_version" integer NOT NULL,
  "deleted_at" timestamptz(3) NOT NULL DEFAULT now(),
  "device_id" text
);
--> statement-breakpoint
-- create the sync support objects (tombstone log)
CREATE INDEX IF NOT EXISTS "__mizzle_tombstones_table_name_deleted_at_idx" ON "__mizzle_tombstones" ("table_name", "deleted_at");
--> statement-breakpoint
-- create the sync support objects (tombstone log)
CREATE OR REPLACE FUNCTION "__mizzle_sync_insert"() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  NEW."device_id" := nullif(current_setting('mizzle.device_id', true), '');
  RETURN NEW;
END
$mizzle$;
--> statement-breakpoint
-- create the sync support objects (tombstone log)
CREATE OR REPLACE FUNCTION "__mizzle_sync_update"() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  NEW."sync_version" := OLD."sync_version" + 1;
  NEW."last_modified_at" := now();
  IF NEW."device_id" IS NOT DISTINCT FROM OLD."device_id" THEN
    NEW."device_id" := coalesce(nullif(current_setting('mizzle.device_id', true), ''), NEW."device_id");
  END IF;
  RETURN NEW;
END
$mizzle$;
--> statement-breakpoint
-- create the sync support objects (tombstone log)
CREATE OR REPLACE FUNCTION "__mizzle_sync_delete"() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  INSERT INTO "__mizzle_tombstones" ("table_name", "pk", "sync_version", "device_id")
  SELECT TG_TABLE_NAME,
         (SELECT jsonb_agg(to_jsonb(OLD) -> k.name ORDER BY k.n)
            FROM unnest(TG_ARGV) WITH ORDINALITY AS k(name, n))::text,
         OLD."sync_version",
         nullif(current_setting('mizzle.device_id', true), '');
  RETURN OLD;
END
$mizzle$;
--> statement-breakpoint
-- alter column playlist.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE playlist ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column playlist.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE playlist ALTER COLUMN last_modified_at TYPE timestamptz(3) USING last_modified_at::timestamptz(3);
--> statement-breakpoint
-- alter column playlist.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE playlist ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- alter column playlist_tune.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE playlist_tune ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column playlist_tune.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE playlist_tune ALTER COLUMN last_modified_at TYPE timestamptz(3) USING last_modified_at::timestamptz(3);
--> statement-breakpoint
-- alter column playlist_tune.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE playlist_tune ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- alter column practice_record.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE practice_record ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column practice_record.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE practice_record ALTER COLUMN last_modified_at TYPE timestamptz(3) USING last_modified_at::timestamptz(3);
--> statement-breakpoint
-- alter column practice_record.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE practice_record ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- alter column tune.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE tune ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column tune.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE tune ALTER COLUMN last_modified_at TYPE timestamptz(3) USING last_modified_at::timestamptz(3);
--> statement-breakpoint
-- alter column tune.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE tune ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- alter column user_profile.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE user_profile ALTER COLUMN last_modified_at DROP DEFAULT;
--> statement-breakpoint
-- alter column user_profile.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE user_profile ALTER COLUMN last_modified_at TYPE timestamptz(3) USING last_modified_at::timestamptz(3);
--> statement-breakpoint
-- alter column user_profile.last_modified_at: type timestamptz → timestamptz(3)
ALTER TABLE user_profile ALTER COLUMN last_modified_at SET DEFAULT now();
--> statement-breakpoint
-- create index playlist_last_modified_at_idx on playlist
CREATE INDEX playlist_last_modified_at_idx ON playlist(last_modified_at);
--> statement-breakpoint
-- create index playlist_tune_last_modified_at_idx on playlist_tune
CREATE INDEX playlist_tune_last_modified_at_idx ON playlist_tune(last_modified_at);
--> statement-breakpoint
-- create index practice_record_last_modified_at_idx on practice_record
CREATE INDEX practice_record_last_modified_at_idx ON practice_record(last_modified_at);
--> statement-breakpoint
-- create index tune_last_modified_at_idx on tune
CREATE INDEX tune_last_modified_at_idx ON tune(last_modified_at);
--> statement-breakpoint
-- create index user_profile_last_modified_at_idx on user_profile
CREATE INDEX user_profile_last_modified_at_idx ON user_profile(last_modified_at);
--> statement-breakpoint
-- create view practice_totals
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
--> statement-breakpoint
-- track changes of playlist (sync triggers)
CREATE TRIGGER "__mizzle_sync_insert" BEFORE INSERT ON "playlist" FOR EACH ROW WHEN (NEW."device_id" IS NULL AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_insert"();
--> statement-breakpoint
-- track changes of playlist (sync triggers)
CREATE TRIGGER "__mizzle_sync_update" BEFORE UPDATE ON "playlist" FOR EACH ROW WHEN (NEW."sync_version" IS NOT DISTINCT FROM OLD."sync_version" AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_update"();
--> statement-breakpoint
-- track changes of playlist (sync triggers)
CREATE TRIGGER "__mizzle_sync_delete" AFTER DELETE ON "playlist" FOR EACH ROW WHEN (current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_delete"('id');
--> statement-breakpoint
-- track changes of playlist_tune (sync triggers)
CREATE TRIGGER "__mizzle_sync_insert" BEFORE INSERT ON "playlist_tune" FOR EACH ROW WHEN (NEW."device_id" IS NULL AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_insert"();
--> statement-breakpoint
-- track changes of playlist_tune (sync triggers)
CREATE TRIGGER "__mizzle_sync_update" BEFORE UPDATE ON "playlist_tune" FOR EACH ROW WHEN (NEW."sync_version" IS NOT DISTINCT FROM OLD."sync_version" AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_update"();
--> statement-breakpoint
-- track changes of playlist_tune (sync triggers)
CREATE TRIGGER "__mizzle_sync_delete" AFTER DELETE ON "playlist_tune" FOR EACH ROW WHEN (current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_delete"('playlist_id', 'tune_id');
--> statement-breakpoint
-- track changes of practice_record (sync triggers)
CREATE TRIGGER "__mizzle_sync_insert" BEFORE INSERT ON "practice_record" FOR EACH ROW WHEN (NEW."device_id" IS NULL AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_insert"();
--> statement-breakpoint
-- track changes of practice_record (sync triggers)
CREATE TRIGGER "__mizzle_sync_update" BEFORE UPDATE ON "practice_record" FOR EACH ROW WHEN (NEW."sync_version" IS NOT DISTINCT FROM OLD."sync_version" AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_update"();
--> statement-breakpoint
-- track changes of practice_record (sync triggers)
CREATE TRIGGER "__mizzle_sync_delete" AFTER DELETE ON "practice_record" FOR EACH ROW WHEN (current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_delete"('id');
--> statement-breakpoint
-- track changes of tune (sync triggers)
CREATE TRIGGER "__mizzle_sync_insert" BEFORE INSERT ON "tune" FOR EACH ROW WHEN (NEW."device_id" IS NULL AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_insert"();
--> statement-breakpoint
-- track changes of tune (sync triggers)
CREATE TRIGGER "__mizzle_sync_update" BEFORE UPDATE ON "tune" FOR EACH ROW WHEN (NEW."sync_version" IS NOT DISTINCT FROM OLD."sync_version" AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_update"();
--> statement-breakpoint
-- track changes of tune (sync triggers)
CREATE TRIGGER "__mizzle_sync_delete" AFTER DELETE ON "tune" FOR EACH ROW WHEN (current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_delete"('id');
--> statement-breakpoint
-- track changes of user_profile (sync triggers)
CREATE TRIGGER "__mizzle_sync_insert" BEFORE INSERT ON "user_profile" FOR EACH ROW WHEN (NEW."device_id" IS NULL AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_insert"();
--> statement-breakpoint
-- track changes of user_profile (sync triggers)
CREATE TRIGGER "__mizzle_sync_update" BEFORE UPDATE ON "user_profile" FOR EACH ROW WHEN (NEW."sync_version" IS NOT DISTINCT FROM OLD."sync_version" AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_update"();
--> statement-breakpoint
-- track changes of user_profile (sync triggers)
CREATE TRIGGER "__mizzle_sync_delete" AFTER DELETE ON "user_profile" FOR EACH ROW WHEN (current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_delete"('id');
