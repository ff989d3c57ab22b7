-- Up Migration

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

-- Down Migration
DROP VIEW room_analytics;
DROP VIEW session_analytics;
