-- Up Migration
-- Dead letters are bounded by their total size as well as by count: each row's body size, kept by PostgreSQL.
ALTER TABLE dead_letters ADD COLUMN body_bytes integer GENERATED ALWAYS AS (octet_length(body)) STORED;

-- Down Migration
ALTER TABLE dead_letters DROP COLUMN body_bytes;
