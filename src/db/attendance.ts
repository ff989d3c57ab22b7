import type { AttendanceResult } from '../domain/index.js';
import { toDateOrNull } from '../time.js';
import { inTransaction, type Pool } from './pool.js';

export interface SaveOptions {
  /** True when the workflow ran it on its own (after the meeting), false when an operator asked. */
  auto: boolean;
  calculatedAt: Date;
  /** The calculation's sequence number: saved only if no calculation with a higher one saved before. */
  seq: number;
  /** The meeting has ended: the session is `calculated` from the same commit that saves its attendance. */
  final?: boolean;
}

/**
 * Replaces a session's calculated attendance in one transaction: participants and reports are upserted,
 * cycles rewritten, and people who no longer appear (e.g. a guest since matched to a user) removed.
 */
export async function saveAttendance(
  pool: Pool,
  sessionId: string,
  result: AttendanceResult,
  options: SaveOptions,
): Promise<boolean> {
  const people = result.people;
  return inTransaction(pool, async (client) => {
    // The session row is locked until commit: two attempts of one calculation, or two calculations, save one at a time.
    const newest = await client.query(
      'UPDATE sessions SET calculation_seq = $2 WHERE id = $1 AND calculation_seq <= $2',
      [sessionId, options.seq],
    );
    if (newest.rowCount === 0) return false;
    const keys = people.map((person) => person.personKey);
    await client.query('DELETE FROM participants WHERE session_id = $1 AND NOT (person_key = ANY($2::text[]))', [
      sessionId,
      keys,
    ]);
    await client.query('DELETE FROM attendance WHERE session_id = $1', [sessionId]);
    await client.query(
      `INSERT INTO participants (session_id, person_key, user_id, email, name, role, guest)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[])
       ON CONFLICT (session_id, person_key) DO UPDATE SET user_id = EXCLUDED.user_id, email = EXCLUDED.email,
         name = EXCLUDED.name, role = EXCLUDED.role, guest = EXCLUDED.guest`,
      [
        sessionId,
        keys,
        people.map((p) => p.userId ?? null),
        people.map((p) => p.email ?? null),
        people.map((p) => p.name ?? null),
        people.map((p) => p.role ?? null),
        people.map((p) => p.guest),
      ],
    );
    const cycles = people.flatMap((person) =>
      person.cycles.map((cycle, index) => ({ person: person.personKey, index, ...cycle })),
    );
    await client.query(
      `INSERT INTO attendance (session_id, person_key, cycle_index, connection, joined_at, left_at, closed_by)
       SELECT $1, * FROM unnest($2::text[], $3::int[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[])`,
      [
        sessionId,
        cycles.map((c) => c.person),
        cycles.map((c) => c.index),
        cycles.map((c) => c.connection),
        cycles.map((c) => new Date(c.joinedAt)),
        cycles.map((c) => toDateOrNull(c.leftAt)),
        cycles.map((c) => c.closedBy ?? null),
      ],
    );
    await client.query(
      `INSERT INTO session_reports (session_id, person_key, first_join, last_leave, attended_seconds, attended_minutes, percentage,
         status, late, late_minutes, cycle_count, auto_calculated, calculated_at)
       SELECT $1, k, fj, ll, s, round(s / 60.0, 2), pct, st, lt, lm, cc, $11, $12
       FROM unnest($2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::numeric[], $7::text[], $8::boolean[], $9::int[], $10::int[])
         AS r(k, fj, ll, s, pct, st, lt, lm, cc)
       ON CONFLICT (session_id, person_key) DO UPDATE SET first_join = EXCLUDED.first_join, last_leave = EXCLUDED.last_leave,
         attended_seconds = EXCLUDED.attended_seconds, attended_minutes = EXCLUDED.attended_minutes, percentage = EXCLUDED.percentage,
         status = EXCLUDED.status, late = EXCLUDED.late, late_minutes = EXCLUDED.late_minutes, cycle_count = EXCLUDED.cycle_count,
         auto_calculated = EXCLUDED.auto_calculated, calculated_at = EXCLUDED.calculated_at`,
      [
        sessionId,
        keys,
        people.map((p) => toDateOrNull(p.firstJoin)),
        people.map((p) => toDateOrNull(p.lastLeave)),
        people.map((p) => p.attendedSeconds),
        people.map((p) => p.percentage),
        people.map((p) => p.status),
        people.map((p) => p.late),
        people.map((p) => p.lateMinutes),
        people.map((p) => p.cycles.length),
        options.auto,
        options.calculatedAt,
      ],
    );
    await client.query(
      `UPDATE sessions SET calculated_at = $2, status = CASE WHEN $3 THEN 'calculated' ELSE status END, updated_at = now() WHERE id = $1`,
      [sessionId, options.calculatedAt, options.final ?? false],
    );
    return true;
  });
}
