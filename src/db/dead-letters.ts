import type { Pool } from './pool.js';

/** How many dead letters are kept; older ones are dropped as new ones arrive. */
export const DEAD_LETTER_LIMIT = 10_000;

export interface DeadLetter {
  id: number;
  provider: string;
  reason: string;
  body: string;
  receivedAt: string;
}

/** Keeps a refused but authentic payload, and trims the table to the newest `limit` in the same statement. */
export async function keepDeadLetter(pool: Pool, provider: string, reason: string, body: string, limit = DEAD_LETTER_LIMIT): Promise<void> {
  await pool.query(
    `WITH kept AS (INSERT INTO dead_letters (provider, reason, body) VALUES ($1, $2, $3) RETURNING id)
     DELETE FROM dead_letters WHERE id <= (SELECT id FROM kept) - $4`,
    [provider, reason, body, limit],
  );
}

export async function listDeadLetters(pool: Pool, limit: number): Promise<DeadLetter[]> {
  const { rows } = await pool.query<{ id: string; provider: string; reason: string; body: string; received_at: Date }>(
    'SELECT id, provider, reason, body, received_at FROM dead_letters ORDER BY id DESC LIMIT $1',
    [limit],
  );
  return rows.map((row) => ({ id: Number(row.id), provider: row.provider, reason: row.reason, body: row.body, receivedAt: row.received_at.toISOString() }));
}
