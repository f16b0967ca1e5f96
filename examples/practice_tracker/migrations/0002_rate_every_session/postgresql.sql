-- mizzle migration 0002_rate_every_session (postgresql)
-- operations:
--   drop view practice_totals
--   add column practice_record.bpm smallint
--   alter column practice_record.quality: type smallint → real, set NOT NULL, set default
--   create view practice_totals
-- warnings:
--   may fail: alter column practice_record.quality: type smallint → real, set NOT NULL, set default

-- drop view practice_totals
DROP VIEW practice_totals;
--> statement-breakpoint
-- add column practice_record.bpm smallint
ALTER TABLE practice_record ADD COLUMN bpm smallint;
--> statement-breakpoint
-- alter column practice_record.quality: type smallint → real, set NOT NULL, set default
ALTER TABLE practice_record DROP CONSTRAINT practice_record_quality_range;
--> statement-breakpoint
-- alter column practice_record.quality: type smallint → real, set NOT NULL, set default
ALTER TABLE practice_record ALTER COLUMN quality TYPE real USING quality::real;
--> statement-breakpoint
-- alter column practice_record.quality: type smallint → real, set NOT NULL, set default
ALTER TABLE practice_record ALTER COLUMN quality SET DEFAULT 3;
--> statement-breakpoint
-- alter column practice_record.quality: type smallint → real, set NOT NULL, set default
UPDATE practice_record SET quality = DEFAULT WHERE quality IS NULL;
--> statement-breakpoint
-- alter column practice_record.quality: type smallint → real, set NOT NULL, set default
ALTER TABLE practice_record ALTER COLUMN quality SET NOT NULL;
--> statement-breakpoint
-- alter column practice_record.quality: type smallint → real, set NOT NULL, set default
ALTER TABLE practice_record ADD CONSTRAINT practice_record_quality_range CHECK (quality >= 0 AND quality <= 5);
--> statement-breakpoint
-- create view practice_totals
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
