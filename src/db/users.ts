import { Conflict } from '../domain/errors.js';
import pg from 'pg';
import type { AttendanceEvent, DirectoryUser, PersonRef } from '../domain/index.js';
import type { Pool } from './pool.js';

function peopleIn(events: readonly AttendanceEvent[]): PersonRef[] {
  return events.flatMap((event) => {
    if (event.kind === 'reconcile') return event.present.map((entry) => entry.person);
    return 'person' in event ? [event.person] : [];
  });
}

/** The directory users that anyone in the log could match (by email or provider identity), not the whole table. */
export async function loadDirectoryFor(pool: Pool, events: readonly AttendanceEvent[]): Promise<DirectoryUser[]> {
  const people = peopleIn(events);
  const emails = [...new Set(people.flatMap((person) => (person.email ? [person.email.toLowerCase()] : [])))];
  const ids = [...new Set(people.flatMap((person) => person.providerUserIds ?? []))];
  if (emails.length === 0 && ids.length === 0) return [];
  const { rows } = await pool.query<{ id: string; email: string | null; name: string | null }>(
    'SELECT id, email, name FROM users WHERE lower(email) = ANY($1::text[]) OR id = ANY($2::text[])',
    [emails, ids],
  );
  return rows.map((row) => ({ userId: row.id, email: row.email ?? undefined, name: row.name ?? undefined }));
}

/** An upsert would give a user an email another user already has (emails are unique, case-insensitively). */
export class EmailInUseError extends Conflict {
  constructor(
    readonly email: string | undefined,
    readonly holderId: string | undefined,
  ) {
    super(
      email
        ? `email ${email} already belongs to user ${holderId ?? '(unknown)'}`
        : 'an email in the batch already belongs to another user',
    );
  }
}

const UNIQUE_VIOLATION = '23505';

/**
 * Inserts or replaces users (email and name as given, absent = none) in one statement, so a batch applies
 * entirely or not at all. Callers make ids and emails unique within the batch.
 */
export async function upsertUsers(
  pool: Pool,
  users: ReadonlyArray<{ id: string; email?: string | undefined; name?: string | undefined }>,
): Promise<number> {
  const ids = users.map((user) => user.id);
  const emails = users.map((user) => user.email ?? null);
  try {
    const { rowCount } = await pool.query(
      `INSERT INTO users (id, email, name)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, updated_at = now()`,
      [ids, emails, users.map((user) => user.name ?? null)],
    );
    return rowCount ?? 0;
  } catch (error) {
    if (!(
      error instanceof pg.DatabaseError &&
      error.code === UNIQUE_VIOLATION &&
      error.constraint === 'users_email_idx'
    ))
      throw error;
    // Name the conflict from the data rather than parsing the (locale-dependent) error detail.
    const { rows } = await pool.query<{ email: string; id: string }>(
      `SELECT r.email, u.id FROM unnest($1::text[], $2::text[]) AS r(id, email)
       JOIN users u ON lower(u.email) = lower(r.email) AND u.id <> r.id LIMIT 1`,
      [ids, emails],
    );
    throw new EmailInUseError(rows[0]?.email, rows[0]?.id);
  }
}
