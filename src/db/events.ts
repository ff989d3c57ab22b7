import type { AttendanceEvent } from '../domain/events.js';
import type { Pool } from './pool.js';

/** Appends a batch to the immutable event log in one statement; events already logged (same key) are skipped. */
export async function appendEvents(pool: Pool, sessionId: string, events: AttendanceEvent[]): Promise<number> {
  if (events.length === 0) return 0;
  const { rowCount } = await pool.query(
    `INSERT INTO attendance_events (session_id, event_key, kind, source, occurred_at, connection, event)
     SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[])
     ON CONFLICT (session_id, event_key) DO NOTHING`,
    [
      sessionId,
      events.map((event) => event.key),
      events.map((event) => event.kind),
      events.map((event) => event.source),
      events.map((event) => new Date(event.at)),
      events.map((event) => ('connection' in event ? event.connection : null)),
      events.map((event) => JSON.stringify(event)),
    ],
  );
  return rowCount ?? 0;
}

/** The whole log of a session, the one input of the attendance calculation. */
export async function loadEvents(pool: Pool, sessionId: string): Promise<AttendanceEvent[]> {
  const { rows } = await pool.query<{ event: AttendanceEvent }>('SELECT event FROM attendance_events WHERE session_id = $1', [sessionId]);
  return rows.map((row) => row.event);
}
