/**
 * A session's attendance in one comparable shape, whether read from PostgreSQL (session_reports and the
 * attendance cycles) or computed by the engine: tests and benchmarks call a result exact when the two are
 * equal, row for row.
 */
import type { AttendanceResult } from '../../src/domain/index.js';
import type { Pool } from '../../src/db/pool.js';

/** One row per person: key, attended s, %, status, late, late min, cycle count, first join, last leave (ms). */
export type ReportTuple = [string, number, number, string, boolean, number, number, number | null, number | null];
/** One row per cycle: person, connection, joined, left (ms), closed by. */
export type CycleTuple = [string, string, number, number | null, string | null];

export interface Attendance {
  reports: ReportTuple[];
  cycles: CycleTuple[];
}

/** The session_reports columns a ReportTuple is made of. */
export interface ReportColumns {
  person_key: string;
  attended_seconds: number;
  percentage: string;
  status: string;
  late: boolean;
  late_minutes: number;
  cycle_count: number;
  first_join: Date | null;
  last_leave: Date | null;
}

const REPORT_COLUMNS =
  'person_key, attended_seconds, percentage, status, late, late_minutes, cycle_count, first_join, last_leave';

const byTuple = (a: unknown[], b: unknown[]) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
const ms = (date: Date | null) => (date === null ? null : date.getTime());
const pct = (value: number) => Math.round(value * 100) / 100;

export function reportTuples(rows: ReportColumns[]): ReportTuple[] {
  return rows
    .map((r): ReportTuple => [
      r.person_key,
      r.attended_seconds,
      Number(r.percentage),
      r.status,
      r.late,
      r.late_minutes,
      r.cycle_count,
      ms(r.first_join),
      ms(r.last_leave),
    ])
    .sort(byTuple);
}

export async function persistedAttendance(pool: Pool, sessionId: string): Promise<Attendance> {
  const reports = await pool.query<ReportColumns>(
    `SELECT ${REPORT_COLUMNS} FROM session_reports WHERE session_id = $1`,
    [sessionId],
  );
  const cycles = await pool.query<{
    person_key: string;
    connection: string;
    joined_at: Date;
    left_at: Date | null;
    closed_by: string | null;
  }>('SELECT person_key, connection, joined_at, left_at, closed_by FROM attendance WHERE session_id = $1', [sessionId]);
  return {
    reports: reportTuples(reports.rows),
    cycles: cycles.rows
      .map((c): CycleTuple => [c.person_key, c.connection, c.joined_at.getTime(), ms(c.left_at), c.closed_by])
      .sort(byTuple),
  };
}

/** The report tuples of many sessions in one query, by session id. */
export async function persistedReports(pool: Pool, sessionIds: string[]): Promise<Map<string, ReportTuple[]>> {
  const { rows } = await pool.query<ReportColumns & { session_id: string }>(
    `SELECT session_id, ${REPORT_COLUMNS} FROM session_reports WHERE session_id = ANY($1)`,
    [sessionIds],
  );
  const bySession = new Map<string, ReportColumns[]>();
  for (const row of rows) {
    const sessionRows = bySession.get(row.session_id) ?? [];
    if (sessionRows.length === 0) bySession.set(row.session_id, sessionRows);
    sessionRows.push(row);
  }
  return new Map([...bySession].map(([id, sessionRows]) => [id, reportTuples(sessionRows)]));
}

export function engineAttendance(result: AttendanceResult): Attendance {
  return {
    reports: result.people
      .map((p): ReportTuple => [
        p.personKey,
        p.attendedSeconds,
        pct(p.percentage),
        p.status,
        p.late,
        p.lateMinutes,
        p.cycles.length,
        p.firstJoin ?? null,
        p.lastLeave ?? null,
      ])
      .sort(byTuple),
    cycles: result.people
      .flatMap((p) =>
        p.cycles.map((c): CycleTuple => [p.personKey, c.connection, c.joinedAt, c.leftAt ?? null, c.closedBy ?? null]),
      )
      .sort(byTuple),
  };
}
