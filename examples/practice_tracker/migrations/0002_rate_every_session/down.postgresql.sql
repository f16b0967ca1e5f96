-- mizzle migration 0002_rate_every_session (postgresql, down)
-- operations:
--   drop view practice_totals
--   alter column practice_record.quality: type real → smallint, drop NOT NULL, drop default
--   drop column practice_record.bpm (its values are lost)
--   create view practice_totals
-- warnings:
--   may fail: alter column practice_record.quality: type real → smallint, drop NOT NULL, drop default
--   data loss: drop column practice_record.bpm (its values are lost)

-- drop view practice_totals
DROP VIEW practice_totals;
--> statement-breakpoint
-- mizzle:guard cannot change practice_record.quality to smallint: {count} rows hold values out of its range
SELECT count(*) FROM practice_record WHERE round(quality::numeric) NOT BETWEEN -32768 AND 32767;
--> statement-breakpoint
-- alter column practice_record.quality: type real → smallint, drop NOT NULL, drop default
ALTER TABLE practice_record DROP CONSTRAINT practice_record_quality_range;
--> statement-breakpoint
-- alter column practice_record.quality: type real → smallint, drop NOT NULL, drop default
ALTER TABLE practice_record ALTER COLUMN quality DROP DEFAULT;
--> statement-breakpoint
-- alter column practice_record.quality: type real → smallint, drop NOT NULL, drop default
ALTER TABLE practice_record ALTER COLUMN quality TYPE smallint USING quality::smallint;
--> statement-breakpoint
-- alter column practice_record.quality: type real → smallint, drop NOT NULL, drop default
ALTER TABLE practice_record ALTER COLUMN quality DROP NOT NULL;
--> statement-breakpoint
-- alter column practice_record.quality: type real → smallint, drop NOT NULL, drop default
ALTER TABLE practice_record ADD CONSTRAINT practice_record_quality_range CHECK (quality >= 0 AND quality <= 5);
--> statement-breakpoint
-- drop column practice_record.bpm (its values are lost)
ALTER TABLE practice_record DROP COLUMN bpm;
--> statement-breakpoint
-- create view practice_totals
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
