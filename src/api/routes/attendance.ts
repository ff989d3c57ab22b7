import { Router, type Response } from 'express';
import type { z } from 'zod';
import { loadAttendanceReport, type AttendanceReport } from '../../db/reports.js';
import { attendanceCsv } from '../csv.js';
import type { ApiDeps } from '../deps.js';
import { SessionNotFound } from '../../domain/errors.js';
import type { attendanceReportSchema } from '../../schemas/attendance.js';
import { sessionIdParam } from '../../schemas/sessions.js';
import { parseOr400 } from '../validate.js';

function sendCsv(res: Response, report: AttendanceReport): void {
  res.attachment(`attendance-${report.sessionId}.csv`);
  res.type('text/csv; charset=utf-8').send(attendanceCsv(report));
}

/** Persisted attendance (the database alone, so finished sessions read the same as live ones). */
export function attendanceRoutes({ pool }: ApiDeps): Router {
  const router = Router();

  const load = async (params: unknown): Promise<AttendanceReport> => {
    const { id } = parseOr400(sessionIdParam, params);
    const report = await loadAttendanceReport(pool, id);
    if (!report) throw new SessionNotFound(id);
    return report;
  };

  router.get('/sessions/:id/attendance', async (req, res) => {
    const report = await load(req.params);
    res.vary('Accept');
    if (req.accepts(['application/json', 'text/csv']) === 'text/csv') return sendCsv(res, report);
    res.json(report satisfies z.output<typeof attendanceReportSchema>);
  });

  router.get('/sessions/:id/attendance.csv', async (req, res) => {
    sendCsv(res, await load(req.params));
  });

  return router;
}
