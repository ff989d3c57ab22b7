import type { AttendanceStatus, ClosedBy } from '../domain/index.js';
import { toIso, toIsoOrNull } from '../time.js';
import type { Pool } from './pool.js';
import { getSession } from './sessions.js';
import type { AttendanceReport, ReportPerson } from '../schemas/attendance.js';

/** A session's persisted attendance, as its schema says: what GET /attendance (JSON and CSV) answers and the report push sends. */
export type { AttendanceReport, ReportCycle, ReportPerson } from '../schemas/attendance.js';

interface PersonRow {
  person_key: string;
  user_id: string | null;
  email: string | null;
  name: string | null;
  role: string | null;
  guest: boolean;
  first_join: Date | null;
  last_leave: Date | null;
  attended_seconds: number;
  percentage: string;
  status: AttendanceStatus;
  late: boolean;
  late_minutes: number;
  calculated_at: Date;
  /** JSON timestamps carry the server's offset; normalised to UTC below. */
  cycles: Array<{ joinedAt: string; leftAt: string | null; closedBy: ClosedBy | null }>;
}

/*
 * One statement, so people, reports and cycles come from one snapshot even while a recalculation rewrites them.
 * COLLATE "C" sorts person keys by code point, as the engine does, whatever the database's locale.
 */
const PEOPLE_SQL = `
  SELECT p.person_key, p.user_id, p.email, p.name, p.role, p.guest,
    r.first_join, r.last_leave, r.attended_seconds, r.percentage, r.status, r.late, r.late_minutes, r.calculated_at,
    coalesce((SELECT json_agg(json_build_object('joinedAt', a.joined_at, 'leftAt', a.left_at, 'closedBy', a.closed_by)
                ORDER BY a.cycle_index)
              FROM attendance a WHERE a.session_id = p.session_id AND a.person_key = p.person_key), '[]') AS cycles
  FROM participants p JOIN session_reports r USING (session_id, person_key)
  WHERE p.session_id = $1
  ORDER BY p.person_key COLLATE "C"`;

function personFrom(row: PersonRow): ReportPerson {
  return {
    personKey: row.person_key,
    userId: row.user_id,
    email: row.email,
    name: row.name,
    role: row.role,
    guest: row.guest,
    firstJoin: toIsoOrNull(row.first_join),
    lastLeave: toIsoOrNull(row.last_leave),
    attendedSeconds: row.attended_seconds,
    // numeric(5,2) arrives as a string (pg keeps numerics exact); two decimals are exact in a double.
    percentage: Number(row.percentage),
    status: row.status,
    late: row.late,
    lateMinutes: row.late_minutes,
    cycles: row.cycles.map((cycle) => ({
      joinedAt: toIso(cycle.joinedAt),
      leftAt: toIsoOrNull(cycle.leftAt),
      closedBy: cycle.closedBy,
    })),
  };
}

/** The session's attendance as last calculated; undefined for an unknown session. */
export async function loadAttendanceReport(pool: Pool, sessionId: string): Promise<AttendanceReport | undefined> {
  const session = await getSession(pool, sessionId);
  if (!session) return undefined;
  const { rows } = await pool.query<PersonRow>(PEOPLE_SQL, [sessionId]);
  const calculatedAt = session.calculatedAt === undefined ? null : toIso(session.calculatedAt);
  const report: AttendanceReport = {
    sessionId,
    calculatedAt,
    calculationSeq: session.calculationSeq,
    people: rows.map(personFrom),
  };
  if (session.scheduledStart !== undefined && session.scheduledEnd !== undefined) {
    report.window = { start: toIso(session.scheduledStart), end: toIso(session.scheduledEnd) };
  }
  return report;
}
