-- Up Migration
-- When the session's attendance was last calculated: a calculation with nobody in it leaves no report rows.
ALTER TABLE sessions ADD COLUMN calculated_at timestamptz;
UPDATE sessions s SET calculated_at = (SELECT max(r.calculated_at) FROM session_reports r WHERE r.session_id = s.id);

-- Down Migration
ALTER TABLE sessions DROP COLUMN calculated_at;
