-- mizzle migration 0001_init (sqlite, down)
-- operations:
--   drop view practice_totals
--   drop table practice_record (its rows are lost)
--   drop table playlist_tune (its rows are lost)
--   drop table tune (its rows are lost)
--   drop table playlist (its rows are lost)
--   drop table user_profile (its rows are lost)
--   drop enum instrument
-- warnings:
--   data loss: drop table practice_record (its rows are lost)
--   data loss: drop table playlist_tune (its rows are lost)
--   data loss: drop table tune (its rows are lost)
--   data loss: drop table playlist (its rows are lost)
--   data loss: drop table user_profile (its rows are lost)

DROP VIEW practice_totals;
--> statement-breakpoint
DROP TABLE practice_record;
--> statement-breakpoint
DROP TABLE playlist_tune;
--> statement-breakpoint
DROP TABLE tune;
--> statement-breakpoint
DROP TABLE playlist;
--> statement-breakpoint
DROP TABLE user_profile;
