import { Router } from 'express';
import type { z } from 'zod';
import type { Pool } from '../../db/pool.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { zoomMeetingParam, type roomAnalyticsSchema, type sessionAnalyticsSchema } from '../../schemas/report-sync.js';
import { sessionIdParam } from '../../schemas/sessions.js';
import { parseOr400 } from '../validate.js';

type SessionAnalytics = z.output<typeof sessionAnalyticsSchema>;

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
  FROM room_analytics WHERE provider = 'zoom' AND room = $1`;

const utc = (time: Date | null) => (time === null ? null : time.toISOString());

async function sessionAnalytics(pool: Pool, where: string, params: unknown[]): Promise<SessionAnalytics[]> {
  const { rows } = await pool.query<
    Omit<SessionAnalytics, 'scheduledStart' | 'scheduledEnd' | 'calculatedAt'> &
      Record<'scheduledStart' | 'scheduledEnd' | 'calculatedAt', Date | null>
  >(`${SESSION_SQL} ${where}`, params);
  return rows.map((row) => ({
    ...row,
    scheduledStart: utc(row.scheduledStart),
    scheduledEnd: utc(row.scheduledEnd),
    calculatedAt: utc(row.calculatedAt),
  }));
}

/** Attendance analytics (the session_analytics and room_analytics views): per session, and per Zoom meeting or webinar id. */
export function analyticsRoutes({ pool }: ApiDeps): Router {
  const router = Router();

  router.get('/sessions/:id/analytics', async (req, res) => {
    const { id } = parseOr400(sessionIdParam, req.params);
    const [analytics] = await sessionAnalytics(pool, 'WHERE session_id = $1', [id]);
    if (!analytics) throw new HttpError(404, `no session ${id}`);
    res.json(analytics);
  });

  /** Every instance (session) of a recurring meeting or webinar, and the series as a whole. */
  router.get('/zoom/meetings/:id/analytics', async (req, res) => {
    const { id } = parseOr400(zoomMeetingParam, req.params);
    const { rows } = await pool.query<
      Omit<z.output<typeof roomAnalyticsSchema>, 'perSession' | 'averageAttendanceRate'>
    >(ROOM_SQL, [id]);
    if (!rows[0]) throw new HttpError(404, `no session of Zoom meeting or webinar ${id}`);
    const perSession = await sessionAnalytics(
      pool,
      "WHERE provider = 'zoom' AND room = $1 ORDER BY scheduled_start NULLS LAST, session_id",
      [id],
    );
    const rates = perSession.flatMap((session) => (session.attendanceRate === null ? [] : [session.attendanceRate]));
    const averageAttendanceRate =
      rates.length === 0 ? null : Math.round((rates.reduce((sum, rate) => sum + rate, 0) / rates.length) * 100) / 100;
    res.json({ ...rows[0], averageAttendanceRate, perSession } satisfies z.output<typeof roomAnalyticsSchema>);
  });

  return router;
}
