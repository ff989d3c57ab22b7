-- Up Migration
-- The meeting's topic as the provider named it with the fact: the title of the ad-hoc session the relay starts
-- for an instance that no registered session covers.
ALTER TABLE room_facts ADD COLUMN topic text;

-- Down Migration
ALTER TABLE room_facts DROP COLUMN topic;
