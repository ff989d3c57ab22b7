import type { z } from 'zod';
import type { Provider } from '../domain/events.js';
import type { roomAnalyticsSchema, sessionAnalyticsSchema } from '../schemas/report-sync.js';
import { toIsoOrNull } from '../time.js';
import type { Pool } from './pool.js';

export type SessionAnalytics = z.output<typeof sessionAnalyticsSchema>;
export type RoomAnalytics = z.output<typeof roomAnalyticsSchema>;

/** bigint and numeric arrive from pg as strings (kept exact); counts and two-decimal figures are exact as doubles. */
const SESSION_SQL = `
  SELECT session_id AS "sessionId", provider, room, instance_id AS "instanceId",
    scheduled_start AS "scheduledStart", scheduled_end AS "scheduledEnd", calculated_at AS "calculatedAt",
    registrants::int, registered_attendees::int AS "registeredAttendees", people::int, attendees::int,
    attendance_rate::float8 AS "attendanceRate", average_minutes::float8 AS "averageMinutes",
    multi_connection_people::int AS "multiConnectionPeople"
  FROM session_analytics`;

const ROOM_SQL = `
  SELECT provider, room, sessions::int, registrants::int, unique_attendees::int AS attendees, attendances::int,
    average_minutes::float8 AS "averageMinutes", multi_connection_people::int AS "multiConnectionPeople"
  FROM room_analytics WHERE provider = $1 AND room = $2`;

async function sessionAnalytics(pool: Pool, where: string, params: unknown[]): Promise<SessionAnalytics[]> {
  const { rows } = await pool.query<
    Omit<SessionAnalytics, 'scheduledStart' | 'scheduledEnd' | 'calculatedAt'> &
      Record<'scheduledStart' | 'scheduledEnd' | 'calculatedAt', Date | null>
  >(`${SESSION_SQL} ${where}`, params);
  return rows.map((row) => ({
    ...row,
    scheduledStart: toIsoOrNull(row.scheduledStart),
    scheduledEnd: toIsoOrNull(row.scheduledEnd),
    calculatedAt: toIsoOrNull(row.calculatedAt),
  }));
}

/** A session's attendance analytics (the session_analytics view); undefined when there is no such session. */
export async function loadSessionAnalytics(pool: Pool, sessionId: string): Promise<SessionAnalytics | undefined> {
  const [analytics] = await sessionAnalytics(pool, 'WHERE session_id = $1', [sessionId]);
  return analytics;
}

/**
 * Every session of a room (the instances of a recurring meeting or webinar) and the series as a whole (the
 * room_analytics view); undefined when the room has no session.
 */
export async function loadRoomAnalytics(
  pool: Pool,
  provider: Provider,
  room: string,
): Promise<RoomAnalytics | undefined> {
  const { rows } = await pool.query<Omit<RoomAnalytics, 'perSession' | 'averageAttendanceRate'>>(ROOM_SQL, [
    provider,
    room,
  ]);
  if (!rows[0]) return undefined;
  const perSession = await sessionAnalytics(
    pool,
    'WHERE provider = $1 AND room = $2 ORDER BY scheduled_start NULLS LAST, session_id',
    [provider, room],
  );
  const rates = perSession.flatMap((session) => (session.attendanceRate === null ? [] : [session.attendanceRate]));
  const averageAttendanceRate =
    rates.length === 0 ? null : Math.round((rates.reduce((sum, rate) => sum + rate, 0) / rates.length) * 100) / 100;
  return { ...rows[0], averageAttendanceRate, perSession };
}
