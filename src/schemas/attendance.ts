import { z } from 'zod';
import { ATTENDANCE_STATUSES } from '../domain/index.js';
import { optionalUtcTime, utcTime } from './common.js';

export const reportCycleSchema = z.object({
  joinedAt: utcTime,
  leftAt: optionalUtcTime,
  closedBy: z.enum(['left', 'meeting-ended', 'reconcile', 'hard-stop', 'report']).nullable(),
});

export const reportPersonSchema = z.object({
  personKey: z.string().describe('`user:<userId>` or `guest:<provider participant id>`; people are sorted by it'),
  userId: z.string().nullable(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  role: z.string().nullable(),
  guest: z.boolean(),
  firstJoin: optionalUtcTime,
  lastLeave: optionalUtcTime.describe('null while a cycle is open'),
  attendedSeconds: z.number().int(),
  percentage: z.number(),
  status: z.enum(ATTENDANCE_STATUSES),
  late: z.boolean(),
  lateMinutes: z.number().int(),
  cycles: z.array(reportCycleSchema),
});

/** GET /api/sessions/:id/attendance; also the body of the report push. Built by src/db/reports.ts. */
export const attendanceReportSchema = z.object({
  sessionId: z.string(),
  calculatedAt: optionalUtcTime.describe('null until the first calculation'),
  calculationSeq: z
    .number()
    .int()
    .describe('the calculation this report is from (0: none yet); a receiver keeps the highest'),
  window: z
    .object({ start: utcTime, end: utcTime })
    .optional()
    .describe('the scheduled window; absent for ad-hoc sessions'),
  people: z.array(reportPersonSchema),
});

export type ReportCycle = z.output<typeof reportCycleSchema>;
export type ReportPerson = z.output<typeof reportPersonSchema>;
export type AttendanceReport = z.output<typeof attendanceReportSchema>;
