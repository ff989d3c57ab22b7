-- Up Migration
-- The database holds the same lists as the code (PROVIDERS and SESSION_PHASES in src/domain):
-- test/integration/schema-constants.test.ts fails when one changes without the other.
ALTER TABLE sessions ADD CONSTRAINT sessions_status_check CHECK (status IN ('scheduled', 'live', 'ended', 'calculated'));
ALTER TABLE dead_letters ADD CONSTRAINT dead_letters_provider_check CHECK (provider IN ('zoom', 'livekit'));

-- Down Migration
ALTER TABLE dead_letters DROP CONSTRAINT dead_letters_provider_check;
ALTER TABLE sessions DROP CONSTRAINT sessions_status_check;
