-- Up Migration

-- Facts about provider rooms: every normalised webhook (and report row, reconcile snapshot, operator action)
-- is stored here first, once, keyed by its event key. A webhook's 200 means its fact is committed here; the
-- relay then signals every session whose window it bears on. A session's attendance is a function of the
-- facts that `session_facts` selects for it.
CREATE TABLE room_facts (
  seq         bigserial NOT NULL UNIQUE,
  provider    text NOT NULL CHECK (provider IN ('zoom', 'livekit')),
  room        text NOT NULL,
  -- The meeting instance (Zoom uuid, LiveKit room sid); '' for facts of one session (operator end, hard stop).
  instance_id text NOT NULL,
  event_key   text NOT NULL,
  kind        text NOT NULL,
  source      text NOT NULL,
  occurred_at timestamptz NOT NULL,
  connection  text,
  event       jsonb NOT NULL,
  -- Set for facts that concern one session only; they never reach another.
  session_id  text REFERENCES sessions (id) ON DELETE CASCADE,
  received_at timestamptz NOT NULL DEFAULT now(),
  relayed     boolean NOT NULL DEFAULT false,
  PRIMARY KEY (provider, room, event_key)
);
CREATE INDEX room_facts_time_idx ON room_facts (provider, room, occurred_at);
CREATE INDEX room_facts_instance_idx ON room_facts (provider, room, instance_id, kind, occurred_at);
-- The relay's work list: small, since facts leave it within seconds.
CREATE INDEX room_facts_unrelayed_idx ON room_facts (seq) WHERE NOT relayed;

-- The span of provider time a registered session reads facts from: its scheduled window widened by
-- SESSION_EARLY_JOIN before and SESSION_MAX_OVERRUN after; instances still open at facts_from that were heard
-- from since instances_since bear on it too (a meeting open from the previous period).
ALTER TABLE sessions ADD COLUMN facts_from timestamptz, ADD COLUMN facts_to timestamptz, ADD COLUMN instances_since timestamptz;
-- The sequence number of the newest calculation saved: an older attempt that commits late changes nothing.
ALTER TABLE sessions ADD COLUMN calculation_seq integer NOT NULL DEFAULT 0;
CREATE INDEX sessions_facts_idx ON sessions (provider, room, facts_from) WHERE NOT ad_hoc;

-- Sessions registered before this migration read every fact of the scheduled window widened by 2 h.
UPDATE sessions SET facts_from = scheduled_start - interval '30 minutes', facts_to = scheduled_end + interval '2 hours',
  instances_since = scheduled_start - interval '150 minutes' WHERE NOT ad_hoc;

-- The session's facts. Ad-hoc sessions: every fact of their instance. Registered sessions: the facts up to
-- facts_to of each instance heard from inside [facts_from, facts_to], or still open at facts_from (heard from
-- since instances_since and not ended before facts_from). Plus the session's own facts.
CREATE FUNCTION session_facts(sid text) RETURNS SETOF room_facts LANGUAGE sql STABLE AS $$
  WITH s AS (SELECT * FROM sessions WHERE id = sid),
  bearing AS (
    SELECT s.instance_id FROM s WHERE s.ad_hoc
    UNION
    SELECT DISTINCT f.instance_id FROM s JOIN room_facts f ON f.provider = s.provider AND f.room = s.room
    WHERE NOT s.ad_hoc AND f.session_id IS NULL AND f.occurred_at BETWEEN s.instances_since AND s.facts_to
      AND (f.occurred_at >= s.facts_from OR NOT EXISTS (
        SELECT 1 FROM room_facts e
        WHERE e.provider = s.provider AND e.room = s.room AND e.instance_id = f.instance_id
          AND e.kind = 'meeting-ended' AND e.occurred_at < s.facts_from))
  )
  SELECT f.* FROM s JOIN room_facts f ON f.provider = s.provider AND f.room = s.room
  WHERE f.session_id = sid
     OR (f.session_id IS NULL AND f.instance_id IN (SELECT instance_id FROM bearing) AND (s.ad_hoc OR f.occurred_at <= s.facts_to))
$$;

-- The analytics views read report rows from the facts instead of the per-session event log.
DROP VIEW room_analytics;
DROP VIEW session_analytics;
-- Attendance analytics per session (GET /api/sessions/:id/analytics), from the calculated reports and the event log.
--   registrants: the roster size when the session has a roster, else the distinct Zoom registrant ids in its report
--     rows (Zoom's participant report lists only people who joined, so these are registrants who showed up at all).
--   registered_attendees: roster members, or registrants, with attended time inside the window.
--   attendees: everyone with attended time inside the window; average_minutes is over them.
--   multi_connection_people: people with more than one connection cycle (rejoins, second devices).
CREATE VIEW session_analytics AS
SELECT
  s.id AS session_id,
  s.provider,
  s.room,
  s.instance_id,
  s.scheduled_start,
  s.scheduled_end,
  rep.calculated_at,
  CASE WHEN jsonb_array_length(s.roster) > 0 THEN jsonb_array_length(s.roster) ELSE nullif(reg.registrants, 0) END AS registrants,
  CASE WHEN jsonb_array_length(s.roster) > 0 THEN rep.roster_attendees ELSE reg.registered_attendees END AS registered_attendees,
  rep.people,
  rep.attendees,
  round(100.0 * (CASE WHEN jsonb_array_length(s.roster) > 0 THEN rep.roster_attendees ELSE reg.registered_attendees END)
    / nullif(CASE WHEN jsonb_array_length(s.roster) > 0 THEN jsonb_array_length(s.roster) ELSE reg.registrants END, 0), 2) AS attendance_rate,
  rep.average_minutes,
  rep.multi_connection_people
FROM sessions s
CROSS JOIN LATERAL (
  SELECT
    count(*) AS people,
    count(*) FILTER (WHERE r.attended_seconds > 0) AS attendees,
    count(*) FILTER (WHERE r.attended_seconds > 0 AND NOT p.guest) AS roster_attendees,
    round(avg(r.attended_minutes) FILTER (WHERE r.attended_seconds > 0), 2) AS average_minutes,
    count(*) FILTER (WHERE r.cycle_count > 1) AS multi_connection_people,
    max(r.calculated_at) AS calculated_at
  FROM session_reports r JOIN participants p USING (session_id, person_key)
  WHERE r.session_id = s.id
) rep
CROSS JOIN LATERAL (
  SELECT
    count(DISTINCT e.event ->> 'registrantId') AS registrants,
    count(DISTINCT e.event ->> 'registrantId') FILTER (WHERE attended.connection IS NOT NULL) AS registered_attendees
  FROM session_facts(s.id) e
  LEFT JOIN (
    SELECT DISTINCT a.connection
    FROM attendance a JOIN session_reports r USING (session_id, person_key)
    WHERE a.session_id = s.id AND r.attended_seconds > 0
  ) attended ON attended.connection = e.connection
  WHERE e.kind = 'report-row' AND e.event ? 'registrantId'
) reg;

-- Every session of a room together (all instances of a recurring Zoom meeting or webinar), from the reports
-- directly rather than from session_analytics, so a series of many instances is read once.
--   unique_attendees: distinct people with attended time in any of the sessions (a guest is the same person
--   across instances only when the provider id behind the guest key is: Zoom user id, registrant id, email).
--   attendances: attendees summed over the sessions; average_minutes: per attendance.
CREATE VIEW room_analytics AS
SELECT
  s.provider,
  s.room,
  count(DISTINCT s.id) AS sessions,
  (SELECT nullif(count(DISTINCT e.event ->> 'registrantId'), 0)
     FROM room_facts e
     WHERE e.provider = s.provider AND e.room = s.room AND e.kind = 'report-row' AND e.event ? 'registrantId') AS registrants,
  count(DISTINCT r.person_key) FILTER (WHERE r.attended_seconds > 0) AS unique_attendees,
  count(r.person_key) FILTER (WHERE r.attended_seconds > 0) AS attendances,
  round(avg(r.attended_minutes) FILTER (WHERE r.attended_seconds > 0), 2) AS average_minutes,
  count(r.person_key) FILTER (WHERE r.cycle_count > 1) AS multi_connection_people
FROM sessions s
LEFT JOIN session_reports r ON r.session_id = s.id
GROUP BY s.provider, s.room;

-- Facts replace the per-session event log.
INSERT INTO room_facts (provider, room, instance_id, event_key, kind, source, occurred_at, connection, event, session_id, relayed)
SELECT s.provider, s.room, coalesce(e.event ->> 'instance', s.instance_id, ''), e.event_key, e.kind, e.source, e.occurred_at, e.connection, e.event,
  CASE WHEN e.source = 'system' THEN s.id END, true
FROM attendance_events e JOIN sessions s ON s.id = e.session_id
ON CONFLICT DO NOTHING;
DROP TABLE attendance_events;

-- Down Migration
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
DROP VIEW room_analytics;
DROP VIEW session_analytics;
DROP FUNCTION session_facts(text);
DROP TABLE room_facts;
ALTER TABLE sessions DROP COLUMN facts_from, DROP COLUMN facts_to, DROP COLUMN instances_since, DROP COLUMN calculation_seq;
-- Attendance analytics per session (GET /api/sessions/:id/analytics), from the calculated reports and the event log.
--   registrants: the roster size when the session has a roster, else the distinct Zoom registrant ids in its report
--     rows (Zoom's participant report lists only people who joined, so these are registrants who showed up at all).
--   registered_attendees: roster members, or registrants, with attended time inside the window.
--   attendees: everyone with attended time inside the window; average_minutes is over them.
--   multi_connection_people: people with more than one connection cycle (rejoins, second devices).
CREATE VIEW session_analytics AS
SELECT
  s.id AS session_id,
  s.provider,
  s.room,
  s.instance_id,
  s.scheduled_start,
  s.scheduled_end,
  rep.calculated_at,
  CASE WHEN jsonb_array_length(s.roster) > 0 THEN jsonb_array_length(s.roster) ELSE nullif(reg.registrants, 0) END AS registrants,
  CASE WHEN jsonb_array_length(s.roster) > 0 THEN rep.roster_attendees ELSE reg.registered_attendees END AS registered_attendees,
  rep.people,
  rep.attendees,
  round(100.0 * (CASE WHEN jsonb_array_length(s.roster) > 0 THEN rep.roster_attendees ELSE reg.registered_attendees END)
    / nullif(CASE WHEN jsonb_array_length(s.roster) > 0 THEN jsonb_array_length(s.roster) ELSE reg.registrants END, 0), 2) AS attendance_rate,
  rep.average_minutes,
  rep.multi_connection_people
FROM sessions s
CROSS JOIN LATERAL (
  SELECT
    count(*) AS people,
    count(*) FILTER (WHERE r.attended_seconds > 0) AS attendees,
    count(*) FILTER (WHERE r.attended_seconds > 0 AND NOT p.guest) AS roster_attendees,
    round(avg(r.attended_minutes) FILTER (WHERE r.attended_seconds > 0), 2) AS average_minutes,
    count(*) FILTER (WHERE r.cycle_count > 1) AS multi_connection_people,
    max(r.calculated_at) AS calculated_at
  FROM session_reports r JOIN participants p USING (session_id, person_key)
  WHERE r.session_id = s.id
) rep
CROSS JOIN LATERAL (
  SELECT
    count(DISTINCT e.event ->> 'registrantId') AS registrants,
    count(DISTINCT e.event ->> 'registrantId') FILTER (WHERE attended.connection IS NOT NULL) AS registered_attendees
  FROM attendance_events e
  LEFT JOIN (
    SELECT DISTINCT a.connection
    FROM attendance a JOIN session_reports r USING (session_id, person_key)
    WHERE a.session_id = s.id AND r.attended_seconds > 0
  ) attended ON attended.connection = e.connection
  WHERE e.session_id = s.id AND e.kind = 'report-row' AND e.event ? 'registrantId'
) reg;

-- Every session of a room together (all instances of a recurring Zoom meeting or webinar), from the reports
-- directly rather than from session_analytics, so a series of many instances is read once.
--   unique_attendees: distinct people with attended time in any of the sessions (a guest is the same person
--   across instances only when the provider id behind the guest key is: Zoom user id, registrant id, email).
--   attendances: attendees summed over the sessions; average_minutes: per attendance.
CREATE VIEW room_analytics AS
SELECT
  s.provider,
  s.room,
  count(DISTINCT s.id) AS sessions,
  (SELECT nullif(count(DISTINCT e.event ->> 'registrantId'), 0)
     FROM attendance_events e JOIN sessions s2 ON s2.id = e.session_id
     WHERE s2.provider = s.provider AND s2.room = s.room AND e.kind = 'report-row' AND e.event ? 'registrantId') AS registrants,
  count(DISTINCT r.person_key) FILTER (WHERE r.attended_seconds > 0) AS unique_attendees,
  count(r.person_key) FILTER (WHERE r.attended_seconds > 0) AS attendances,
  round(avg(r.attended_minutes) FILTER (WHERE r.attended_seconds > 0), 2) AS average_minutes,
  count(r.person_key) FILTER (WHERE r.cycle_count > 1) AS multi_connection_people
FROM sessions s
LEFT JOIN session_reports r ON r.session_id = s.id
GROUP BY s.provider, s.room;
