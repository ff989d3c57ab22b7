import { z } from 'zod';
import { optionalUtcTime, utcTime } from './common.js';

/** GET /api/sessions/:id/attendance; also the body of the report push. Built by src/db/reports.ts. */
export const attendanceReportSchema = z.object({
  sessionId: z.string(),
  calculatedAt: optionalUtcTime.describe('null until the first calculation'),
  window: z
    .object({ start: utcTime, end: utcTime })
    .optional()
    .describe('the scheduled window; absent for ad-hoc sessions'),
  people: z.array(
    z.object({
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
      status: z.enum(['present', 'late', 'partial', 'absent']),
      late: z.boolean(),
      lateMinutes: z.number().int(),
      cycles: z.array(
        z.object({
          joinedAt: utcTime,
          leftAt: optionalUtcTime,
          closedBy: z.enum(['left', 'meeting-ended', 'reconcile', 'hard-stop', 'report']).nullable(),
        }),
      ),
    }),
  ),
});
