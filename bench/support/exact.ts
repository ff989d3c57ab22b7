/**
 * "Exact": a session's persisted session_reports, row for row, equal the engine's result for exactly the
 * events that were sent — compared as one tuple per person (key, attended seconds, %, status, late, late
 * minutes, cycles, first join, last leave), as test/faults does.
 */
import { calculateAttendance, type AttendanceEvent, type SessionSettings } from '../../src/domain/index.js';
import type { Pool } from '../../src/db/pool.js';

type ReportTuple = [string, number, number, string, boolean, number, number, number | null, number | null];

const pct = (value: number) => Math.round(value * 100) / 100;
const ms = (date: Date | null) => (date === null ? null : date.getTime());

/** Persisted report tuples of many sessions in one query, by session id. */
export async function persistedReports(pool: Pool, sessionIds: string[]): Promise<Map<string, string>> {
  const { rows } = await pool.query<{
    session_id: string;
    person_key: string;
    attended_seconds: number;
    percentage: string;
    status: string;
    late: boolean;
    late_minutes: number;
    cycle_count: number;
    first_join: Date | null;
    last_leave: Date | null;
  }>(
    `SELECT session_id, person_key, attended_seconds, percentage, status, late, late_minutes, cycle_count, first_join, last_leave
     FROM session_reports WHERE session_id = ANY($1) ORDER BY session_id, person_key`,
    [sessionIds],
  );
  const bySession = new Map<string, ReportTuple[]>();
  for (const r of rows) {
    const list = bySession.get(r.session_id) ?? [];
    list.push([r.person_key, r.attended_seconds, Number(r.percentage), r.status, r.late, r.late_minutes, r.cycle_count, ms(r.first_join), ms(r.last_leave)]);
    bySession.set(r.session_id, list);
  }
  return new Map([...bySession].map(([id, tuples]) => [id, canonical(tuples)]));
}

/** The engine's report tuples for the same log, in the same canonical form. */
export function expectedReports(settings: SessionSettings, events: AttendanceEvent[]): string {
  const result = calculateAttendance({ session: settings, events });
  return canonical(result.people.map((p): ReportTuple => [p.personKey, p.attendedSeconds, pct(p.percentage), p.status, p.late, p.lateMinutes, p.cycles.length, p.firstJoin ?? null, p.lastLeave ?? null]));
}

function canonical(tuples: ReportTuple[]): string {
  return JSON.stringify(tuples.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
