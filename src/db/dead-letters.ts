import type { Provider } from '../domain/events.js';
import { toIso } from '../time.js';
import type { Pool } from './pool.js';

/** How many dead letters are kept at most; older ones are dropped as new ones arrive. */
export const DEAD_LETTER_LIMIT = 10_000;
/** ... and how many bytes of bodies in all (a webhook body is at most 256 KiB). */
export const DEAD_LETTER_BYTES = 64 * 1024 * 1024;
/** Listings show this many characters of each body; the whole body is one letter's own read. */
export const LISTED_BODY_CHARS = 4_096;

export interface DeadLetter {
  id: number;
  provider: Provider;
  reason: string;
  /** The whole body, or in listings its first LISTED_BODY_CHARS characters (`truncated`). */
  body: string;
  bodyBytes: number;
  truncated: boolean;
  receivedAt: string;
}

/**
 * Keeps a refused but authentic payload, and in the same statement trims the table to the newest `limit` rows
 * whose bodies add up to at most `maxBytes` (the new one included).
 */
export async function keepDeadLetter(
  pool: Pool,
  provider: Provider,
  reason: string,
  body: string,
  limit = DEAD_LETTER_LIMIT,
  maxBytes = DEAD_LETTER_BYTES,
): Promise<void> {
  await pool.query(
    `WITH kept AS (INSERT INTO dead_letters (provider, reason, body) VALUES ($1, $2, $3) RETURNING id)
     DELETE FROM dead_letters
      WHERE id <= (SELECT id FROM kept) - $4
         OR id <= (SELECT id FROM (SELECT id, sum(body_bytes) OVER (ORDER BY id DESC) + octet_length($3::text) AS total FROM dead_letters) AS older
                    WHERE total > $5 ORDER BY id DESC LIMIT 1)`,
    [provider, reason, body, limit, maxBytes],
  );
}

interface Row {
  id: string;
  provider: Provider;
  reason: string;
  body: string;
  body_bytes: number;
  body_chars: number;
  received_at: Date;
}

const present = (row: Row, truncated: boolean): DeadLetter => ({
  id: Number(row.id),
  provider: row.provider,
  reason: row.reason,
  body: row.body,
  bodyBytes: row.body_bytes,
  truncated,
  receivedAt: toIso(row.received_at),
});

/** A page of dead letters, newest first, older than `before` (an id) when given; bodies cut to LISTED_BODY_CHARS. */
export async function listDeadLetters(pool: Pool, page: { limit: number; before?: number }): Promise<DeadLetter[]> {
  const { rows } = await pool.query<Row>(
    `SELECT id, provider, reason, left(body, ${LISTED_BODY_CHARS}) AS body, body_bytes, char_length(body) AS body_chars, received_at
       FROM dead_letters WHERE ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $1`,
    [page.limit, page.before ?? null],
  );
  return rows.map((row) => present(row, row.body_chars > LISTED_BODY_CHARS));
}

/** One dead letter with its whole body. */
export async function getDeadLetter(pool: Pool, id: number): Promise<DeadLetter | undefined> {
  const { rows } = await pool.query<Row>(
    'SELECT id, provider, reason, body, body_bytes, received_at FROM dead_letters WHERE id = $1',
    [id],
  );
  return rows[0] && present(rows[0], false);
}
