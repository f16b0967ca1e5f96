-- mizzle migration 0001_init (postgresql, down)
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

-- drop view practice_totals
DROP VIEW practice_totals;
--> statement-breakpoint
-- drop table practice_record (its rows are lost)
DROP TABLE practice_record;
--> statement-breakpoint
-- drop table playlist_tune (its rows are lost)
DROP TABLE playlist_tune;
--> statement-breakpoint
-- drop table tune (its rows are lost)
DROP TABLE tune;
--> statement-breakpoint
-- drop table playlist (its rows are lost)
DROP TABLE playlist;
--> statement-breakpoint
-- drop table user_profile (its rows are lost)
DROP TABLE user_profile;
--> statement-breakpoint
-- drop enum instrument
DROP TYPE instrument;
