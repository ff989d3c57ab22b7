-- Up Migration
-- Well-signed webhooks that failed validation, kept for inspection (bounded: the newest 10,000).
CREATE TABLE dead_letters (
  id          bigserial PRIMARY KEY,
  provider    text NOT NULL,
  reason      text NOT NULL,
  body        text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE dead_letters;
