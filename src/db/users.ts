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
