-- mizzle migration 0004_commit_ordered_sync_cursor (postgresql, down)
-- operations:
--   stop tracking changes of user_profile (drop sync triggers)
--   stop tracking changes of tune (drop sync triggers)
--   stop tracking changes of practice_record (drop sync triggers)
--   stop tracking changes of playlist_tune (drop sync triggers)
--   stop tracking changes of playlist (drop sync triggers)
--   drop index user_profile_sync_seq_idx on user_profile
--   drop index tune_sync_seq_idx on tune
--   drop index practice_record_sync_seq_idx on practice_record
--   drop index playlist_tune_sync_seq_idx on playlist_tune
--   drop index playlist_sync_seq_idx on playlist
--   drop column user_profile.sync_seq (its values are lost)
--   drop column tune.sync_seq (its values are lost)
--   drop column practice_record.sync_seq (its values are lost)
--   drop column playlist_tune.sync_seq (its values are lost)
--   drop column playlist.sync_seq (its values are lost)
--   bring the sync support objects up to date (commit-ordered pull cursor)
--   create index user_profile_last_modified_at_idx on user_profile
--   create index tune_last_modified_at_idx on tune
--   create index practice_record_last_modified_at_idx on practice_record
--   create index playlist_tune_last_modified_at_idx on playlist_tune
--   create index playlist_last_modified_at_idx on playlist
--   track changes of user_profile (sync triggers)
--   track changes of tune (sync triggers)
--   track changes of practice_record (sync triggers)
--   track changes of playlist_tune (sync triggers)
--   track changes of playlist (sync triggers)
-- warnings:
--   data loss: drop column user_profile.sync_seq (its values are lost)
--   data loss: drop column tune.sync_seq (its values are lost)
--   data loss: drop column practice_record.sync_seq (its values are lost)
--   data loss: drop column playlist_tune.sync_seq (its values are lost)
--   data loss: drop column playlist.sync_seq (its values are lost)

-- stop tracking changes of user_profile (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_insert" ON "user_profile";
--> statement-breakpoint
-- stop tracking changes of user_profile (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_update" ON "user_profile";
--> statement-breakpoint
-- stop tracking changes of user_profile (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_delete" ON "user_profile";
--> statement-breakpoint
-- stop tracking changes of user_profile (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_seq" ON "user_profile";
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
-- stop tracking changes of tune (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_seq" ON "tune";
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
-- stop tracking changes of practice_record (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_seq" ON "practice_record";
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
-- stop tracking changes of playlist_tune (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_seq" ON "playlist_tune";
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
-- stop tracking changes of playlist (drop sync triggers)
DROP TRIGGER IF EXISTS "__mizzle_sync_seq" ON "playlist";
--> statement-breakpoint
-- drop index user_profile_sync_seq_idx on user_profile
DROP INDEX user_profile_sync_seq_idx;
--> statement-breakpoint
-- drop index tune_sync_seq_idx on tune
DROP INDEX tune_sync_seq_idx;
--> statement-breakpoint
-- drop index practice_record_sync_seq_idx on practice_record
DROP INDEX practice_record_sync_seq_idx;
--> statement-breakpoint
-- drop index playlist_tune_sync_seq_idx on playlist_tune
DROP INDEX playlist_tune_sync_seq_idx;
--> statement-breakpoint
-- drop index playlist_sync_seq_idx on playlist
DROP INDEX playlist_sync_seq_idx;
--> statement-breakpoint
-- drop column user_profile.sync_seq (its values are lost)
ALTER TABLE user_profile DROP COLUMN sync_seq;
--> statement-breakpoint
-- drop column tune.sync_seq (its values are lost)
ALTER TABLE tune DROP COLUMN sync_seq;
--> statement-breakpoint
-- drop column practice_record.sync_seq (its values are lost)
ALTER TABLE practice_record DROP COLUMN sync_seq;
--> statement-breakpoint
-- drop column playlist_tune.sync_seq (its values are lost)
ALTER TABLE playlist_tune DROP COLUMN sync_seq;
--> statement-breakpoint
-- drop column playlist.sync_seq (its values are lost)
ALTER TABLE playlist DROP COLUMN sync_seq;
--> statement-breakpoint
-- bring the sync support objects up to date (commit-ordered pull cursor)
CREATE TABLE IF NOT EXISTS "__mizzle_tombstones" (
  "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "table_name" text NOT NULL,
  "pk" text NOT NULL,
  "sync_version" integer NOT NULL,
  "deleted_at" timestamptz(3) NOT NULL DEFAULT now(),
  "device_id" text
);
--> statement-breakpoint
-- bring the sync support objects up to date (commit-ordered pull cursor)
CREATE INDEX IF NOT EXISTS "__mizzle_tombstones_table_name_deleted_at_idx" ON "__mizzle_tombstones" ("table_name", "deleted_at");
--> statement-breakpoint
-- bring the sync support objects up to date (commit-ordered pull cursor)
ALTER TABLE "__mizzle_tombstones" ADD COLUMN IF NOT EXISTS "sync_seq" bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);
--> statement-breakpoint
-- bring the sync support objects up to date (commit-ordered pull cursor)
CREATE INDEX IF NOT EXISTS "__mizzle_tombstones_table_name_sync_seq_idx" ON "__mizzle_tombstones" ("table_name", "sync_seq");
--> statement-breakpoint
-- bring the sync support objects up to date (commit-ordered pull cursor)
CREATE OR REPLACE FUNCTION "__mizzle_sync_seq"() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  NEW."sync_seq" := pg_current_xact_id()::text::bigint;
  RETURN NEW;
END
$mizzle$;
--> statement-breakpoint
-- bring the sync support objects up to date (commit-ordered pull cursor)
CREATE OR REPLACE FUNCTION "__mizzle_sync_insert"() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  NEW."device_id" := nullif(current_setting('mizzle.device_id', true), '');
  RETURN NEW;
END
$mizzle$;
--> statement-breakpoint
-- bring the sync support objects up to date (commit-ordered pull cursor)
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
-- bring the sync support objects up to date (commit-ordered pull cursor)
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
-- create index user_profile_last_modified_at_idx on user_profile
CREATE INDEX user_profile_last_modified_at_idx ON user_profile(last_modified_at);
--> statement-breakpoint
-- create index tune_last_modified_at_idx on tune
CREATE INDEX tune_last_modified_at_idx ON tune(last_modified_at);
--> statement-breakpoint
-- create index practice_record_last_modified_at_idx on practice_record
CREATE INDEX practice_record_last_modified_at_idx ON practice_record(last_modified_at);
--> statement-breakpoint
-- create index playlist_tune_last_modified_at_idx on playlist_tune
CREATE INDEX playlist_tune_last_modified_at_idx ON playlist_tune(last_modified_at);
--> statement-breakpoint
-- create index playlist_last_modified_at_idx on playlist
CREATE INDEX playlist_last_modified_at_idx ON playlist(last_modified_at);
--> statement-breakpoint
-- track changes of user_profile (sync triggers)
CREATE TRIGGER "__mizzle_sync_insert" BEFORE INSERT ON "user_profile" FOR EACH ROW WHEN (NEW."device_id" IS NULL AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_insert"();
--> statement-breakpoint
-- track changes of user_profile (sync triggers)
CREATE TRIGGER "__mizzle_sync_update" BEFORE UPDATE ON "user_profile" FOR EACH ROW WHEN (NEW."sync_version" IS NOT DISTINCT FROM OLD."sync_version" AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_update"();
--> statement-breakpoint
-- track changes of user_profile (sync triggers)
CREATE TRIGGER "__mizzle_sync_delete" AFTER DELETE ON "user_profile" FOR EACH ROW WHEN (current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_delete"('id');
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
-- track changes of practice_record (sync triggers)
CREATE TRIGGER "__mizzle_sync_insert" BEFORE INSERT ON "practice_record" FOR EACH ROW WHEN (NEW."device_id" IS NULL AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_insert"();
--> statement-breakpoint
-- track changes of practice_record (sync triggers)
CREATE TRIGGER "__mizzle_sync_update" BEFORE UPDATE ON "practice_record" FOR EACH ROW WHEN (NEW."sync_version" IS NOT DISTINCT FROM OLD."sync_version" AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_update"();
--> statement-breakpoint
-- track changes of practice_record (sync triggers)
CREATE TRIGGER "__mizzle_sync_delete" AFTER DELETE ON "practice_record" FOR EACH ROW WHEN (current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_delete"('id');
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
-- track changes of playlist (sync triggers)
CREATE TRIGGER "__mizzle_sync_insert" BEFORE INSERT ON "playlist" FOR EACH ROW WHEN (NEW."device_id" IS NULL AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_insert"();
--> statement-breakpoint
-- track changes of playlist (sync triggers)
CREATE TRIGGER "__mizzle_sync_update" BEFORE UPDATE ON "playlist" FOR EACH ROW WHEN (NEW."sync_version" IS NOT DISTINCT FROM OLD."sync_version" AND current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_update"();
--> statement-breakpoint
-- track changes of playlist (sync triggers)
CREATE TRIGGER "__mizzle_sync_delete" AFTER DELETE ON "playlist" FOR EACH ROW WHEN (current_setting('mizzle.applying_remote', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION "__mizzle_sync_delete"('id');
