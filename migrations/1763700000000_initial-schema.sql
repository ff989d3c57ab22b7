-- Up Migration

-- The directory used for identity matching (PUT /api/users).
CREATE TABLE users (
  id         text PRIMARY KEY,
  email      text,
  name       text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_idx ON users (lower(email)) WHERE email IS NOT NULL;

-- One class meeting; registered through the API, or ad-hoc from a provider meeting instance.
CREATE TABLE sessions (
  id              text PRIMARY KEY,
  workflow_id     text NOT NULL UNIQUE,
  provider        text NOT NULL CHECK (provider IN ('zoom', 'livekit')),
  room            text NOT NULL,
  instance_id     text,
  title           text,
  ad_hoc          boolean NOT NULL DEFAULT false,
  scheduled_start timestamptz,
  scheduled_end   timestamptz,
  roster          jsonb NOT NULL DEFAULT '[]',
  policy          jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'scheduled',
  meeting_started timestamptz,
  meeting_ended   timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (ad_hoc OR (scheduled_start IS NOT NULL AND scheduled_end IS NOT NULL AND scheduled_end > scheduled_start))
);
-- Routing looks up a room's sessions by time.
CREATE INDEX sessions_room_idx ON sessions (provider, room, scheduled_start);

-- The immutable event log: every normalised event, written once (ON CONFLICT DO NOTHING on its key).
CREATE TABLE attendance_events (
  session_id  text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  event_key   text NOT NULL,
  kind        text NOT NULL,
  source      text NOT NULL,
  occurred_at timestamptz NOT NULL,
  connection  text,
  event       jsonb NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, event_key)
);

-- People seen in (or expected at) a session, after identity resolution.
CREATE TABLE participants (
  session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  person_key text NOT NULL,
  user_id    text,
  email      text,
  name       text,
  role       text,
  guest      boolean NOT NULL,
  PRIMARY KEY (session_id, person_key)
);

-- Each person's connection cycles as last calculated, with what closed them.
CREATE TABLE attendance (
  session_id text NOT NULL,
  person_key text NOT NULL,
  connection text NOT NULL,
  joined_at  timestamptz NOT NULL,
  left_at    timestamptz,
  closed_by  text,
  PRIMARY KEY (session_id, person_key, connection, joined_at),
  FOREIGN KEY (session_id, person_key) REFERENCES participants (session_id, person_key) ON DELETE CASCADE
);

-- SPEC §4: one report per session and person, upserted, never duplicated.
CREATE TABLE session_reports (
  session_id       text NOT NULL,
  person_key       text NOT NULL,
  first_join       timestamptz,
  last_leave       timestamptz,
  attended_seconds integer NOT NULL,
  attended_minutes numeric(10, 2) NOT NULL,
  percentage       numeric(5, 2) NOT NULL,
  status           text NOT NULL CHECK (status IN ('present', 'late', 'partial', 'absent')),
  late             boolean NOT NULL,
  late_minutes     integer NOT NULL,
  cycle_count      integer NOT NULL,
  auto_calculated  boolean NOT NULL,
  calculated_at    timestamptz NOT NULL,
  PRIMARY KEY (session_id, person_key),
  FOREIGN KEY (session_id, person_key) REFERENCES participants (session_id, person_key) ON DELETE CASCADE
);

-- Down Migration
DROP TABLE session_reports;
DROP TABLE attendance;
DROP TABLE participants;
DROP TABLE attendance_events;
DROP TABLE sessions;
DROP TABLE users;
