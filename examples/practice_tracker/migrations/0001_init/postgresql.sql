-- mizzle migration 0001_init (postgresql)
-- operations:
--   create enum instrument ['fiddle', 'flute', 'whistle', 'concertina', 'banjo']
--   create table user_profile
--   create table playlist
--   create table tune
--   create table playlist_tune
--   create table practice_record
--   create view practice_totals

-- create enum instrument ['fiddle', 'flute', 'whistle', 'concertina', 'banjo']
CREATE TYPE instrument AS ENUM ('fiddle', 'flute', 'whistle', 'concertina', 'banjo');
--> statement-breakpoint
-- create table user_profile
CREATE TABLE user_profile (
  id serial NOT NULL,
  email text NOT NULL,
  display_name text,
  instrument instrument,
  created_at timestamptz NOT NULL DEFAULT now(),
  sync_version integer NOT NULL DEFAULT 1,
  last_modified_at timestamptz NOT NULL DEFAULT now(),
  device_id text,
  CONSTRAINT user_profile_pkey PRIMARY KEY (id)
);
--> statement-breakpoint
-- create table user_profile
CREATE UNIQUE INDEX user_profile_lower_idx ON user_profile(LOWER(email));
--> statement-breakpoint
-- create table playlist
CREATE TABLE playlist (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  owner_id integer NOT NULL,
  name text NOT NULL,
  instrument instrument,
  sync_version integer NOT NULL DEFAULT 1,
  last_modified_at timestamptz NOT NULL DEFAULT now(),
  device_id text,
  CONSTRAINT playlist_pkey PRIMARY KEY (id),
  CONSTRAINT playlist_owner_id_name_key UNIQUE (owner_id, name),
  CONSTRAINT playlist_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- create table tune
CREATE TABLE tune (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  owner_id integer,
  title text NOT NULL,
  tune_type text,
  key varchar(20),
  instrument instrument NOT NULL DEFAULT 'fiddle'::instrument,
  tags text[] NOT NULL DEFAULT '{}'::text[],
  sync_version integer NOT NULL DEFAULT 1,
  last_modified_at timestamptz NOT NULL DEFAULT now(),
  device_id text,
  CONSTRAINT tune_pkey PRIMARY KEY (id),
  CONSTRAINT tune_title_not_empty CHECK (LENGTH(title) > 0),
  CONSTRAINT tune_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- create table tune
CREATE INDEX tune_catalogue_title_idx ON tune(title) WHERE owner_id IS NULL;
--> statement-breakpoint
-- create table tune
CREATE INDEX tune_lower_idx ON tune(LOWER(title));
--> statement-breakpoint
-- create table playlist_tune
CREATE TABLE playlist_tune (
  playlist_id uuid NOT NULL,
  tune_id uuid NOT NULL,
  position integer NOT NULL,
  added_at timestamptz NOT NULL DEFAULT now(),
  sync_version integer NOT NULL DEFAULT 1,
  last_modified_at timestamptz NOT NULL DEFAULT now(),
  device_id text,
  CONSTRAINT playlist_tune_pkey PRIMARY KEY (playlist_id, tune_id),
  CONSTRAINT playlist_tune_position_check CHECK (position >= 0),
  CONSTRAINT playlist_tune_playlist_id_fkey FOREIGN KEY (playlist_id) REFERENCES playlist (id) ON DELETE CASCADE,
  CONSTRAINT playlist_tune_tune_id_fkey FOREIGN KEY (tune_id) REFERENCES tune (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- create table practice_record
CREATE TABLE practice_record (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  user_id integer NOT NULL,
  tune_id uuid NOT NULL,
  playlist_id uuid,
  practiced_at timestamptz NOT NULL DEFAULT now(),
  minutes integer NOT NULL,
  quality smallint,
  notes text,
  sync_version integer NOT NULL DEFAULT 1,
  last_modified_at timestamptz NOT NULL DEFAULT now(),
  device_id text,
  CONSTRAINT practice_record_pkey PRIMARY KEY (id),
  CONSTRAINT practice_record_minutes_check CHECK (minutes > 0),
  CONSTRAINT practice_record_quality_range CHECK (quality >= 0 AND quality <= 5),
  CONSTRAINT practice_record_playlist_id_fkey FOREIGN KEY (playlist_id) REFERENCES playlist (id) ON DELETE SET NULL,
  CONSTRAINT practice_record_tune_id_fkey FOREIGN KEY (tune_id) REFERENCES tune (id) ON DELETE CASCADE,
  CONSTRAINT practice_record_user_id_fkey FOREIGN KEY (user_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
-- create table practice_record
CREATE INDEX practice_record_tune_id_idx ON practice_record(tune_id);
--> statement-breakpoint
-- create table practice_record
CREATE INDEX practice_record_user_id_practiced_at_idx ON practice_record(user_id, practiced_at DESC);
--> statement-breakpoint
-- create view practice_totals
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
