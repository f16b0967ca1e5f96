-- mizzle migration 0001_init (sqlite)
-- operations:
--   create enum instrument ['fiddle', 'flute', 'whistle', 'concertina', 'banjo']
--   create table user_profile
--   create table playlist
--   create table tune
--   create table playlist_tune
--   create table practice_record
--   create view practice_totals

CREATE TABLE user_profile (
  id INTEGER NOT NULL,
  email TEXT NOT NULL,
  display_name TEXT,
  instrument TEXT CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  created_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT user_profile_pkey PRIMARY KEY (id)
);
--> statement-breakpoint
CREATE UNIQUE INDEX user_profile_lower_idx ON user_profile(LOWER(email));
--> statement-breakpoint
CREATE TABLE playlist (
  id UUID_TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  owner_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  instrument TEXT CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT playlist_pkey PRIMARY KEY (id),
  CONSTRAINT playlist_owner_id_name_key UNIQUE (owner_id, name),
  CONSTRAINT playlist_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE tune (
  id UUID_TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  owner_id INTEGER,
  title TEXT NOT NULL,
  tune_type TEXT,
  key VARCHAR(20),
  instrument TEXT NOT NULL DEFAULT ('fiddle') CONSTRAINT "enum:instrument" CHECK (instrument IN ('fiddle', 'flute', 'whistle', 'concertina', 'banjo')),
  tags TEXT_ARRAY NOT NULL DEFAULT ('[]'),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT tune_pkey PRIMARY KEY (id),
  CONSTRAINT tune_title_not_empty CHECK (LENGTH(title) > 0),
  CONSTRAINT tune_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE INDEX tune_catalogue_title_idx ON tune(title) WHERE owner_id IS NULL;
--> statement-breakpoint
CREATE INDEX tune_lower_idx ON tune(LOWER(title));
--> statement-breakpoint
CREATE TABLE playlist_tune (
  playlist_id UUID_TEXT NOT NULL,
  tune_id UUID_TEXT NOT NULL,
  position INTEGER NOT NULL,
  added_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT playlist_tune_pkey PRIMARY KEY (playlist_id, tune_id),
  CONSTRAINT playlist_tune_position_check CHECK (position >= 0),
  CONSTRAINT playlist_tune_playlist_id_fkey FOREIGN KEY (playlist_id) REFERENCES playlist (id) ON DELETE CASCADE,
  CONSTRAINT playlist_tune_tune_id_fkey FOREIGN KEY (tune_id) REFERENCES tune (id) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE TABLE practice_record (
  id UUID_TEXT NOT NULL DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))),
  user_id INTEGER NOT NULL,
  tune_id UUID_TEXT NOT NULL,
  playlist_id UUID_TEXT,
  practiced_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  minutes INTEGER NOT NULL,
  quality SMALLINT,
  notes TEXT,
  sync_version INTEGER NOT NULL DEFAULT (1),
  last_modified_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  device_id TEXT,
  CONSTRAINT practice_record_pkey PRIMARY KEY (id),
  CONSTRAINT practice_record_minutes_check CHECK (minutes > 0),
  CONSTRAINT practice_record_quality_range CHECK (quality >= 0 AND quality <= 5),
  CONSTRAINT practice_record_playlist_id_fkey FOREIGN KEY (playlist_id) REFERENCES playlist (id) ON DELETE SET NULL,
  CONSTRAINT practice_record_tune_id_fkey FOREIGN KEY (tune_id) REFERENCES tune (id) ON DELETE CASCADE,
  CONSTRAINT practice_record_user_id_fkey FOREIGN KEY (user_id) REFERENCES user_profile (id) ON DELETE CASCADE
);
--> statement-breakpoint
CREATE INDEX practice_record_tune_id_idx ON practice_record(tune_id);
--> statement-breakpoint
CREATE INDEX practice_record_user_id_practiced_at_idx ON practice_record(user_id, practiced_at DESC);
--> statement-breakpoint
CREATE VIEW practice_totals AS SELECT r.user_id, r.tune_id, COUNT(*) AS sessions, SUM(r.minutes) AS total_minutes, MAX(r.practiced_at) AS last_practiced_at FROM practice_record AS r GROUP BY r.user_id, r.tune_id;
