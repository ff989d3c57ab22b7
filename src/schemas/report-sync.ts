import { z } from 'zod';
import type { ReportSyncTarget } from '../workflows/report-sync-types.js';
import { optionalUtcTime, providerSchema } from './common.js';

/** Zoom meeting and webinar ids are numbers (9-11 digits today); anything else never reaches a Zoom API path. */
const zoomId = z
  .string()
  .trim()
  .regex(/^\d{1,20}$/, 'expected a Zoom meeting or webinar id (digits only)');

/**
 * POST /api/zoom/report-sync: one Zoom meeting or webinar by id, and which past instances: one `instanceUuid`,
 * every instance of a recurring series (`recurring`), or by default the latest.
 */
export const reportSyncSchema = z
  .object({
    meetingId: zoomId.optional(),
    webinarId: zoomId.optional(),
    recurring: z.boolean().default(false),
    instanceUuid: z
      .string()
      .regex(/^[A-Za-z0-9+/=_-]{1,100}$/, 'expected an instance uuid as Zoom gives it (base64: letters, digits, + / =)')
      .optional()
      .describe("one instance's uuid, as Zoom gives it (not encoded)"),
  })
  .strict()
  .refine(
    (body) => (body.meetingId === undefined) !== (body.webinarId === undefined),
    'expected exactly one of meetingId or webinarId',
  )
  .refine(
    (body) => !(body.recurring && body.instanceUuid !== undefined),
    'recurring and instanceUuid exclude each other',
  );

export type ReportSyncBody = z.output<typeof reportSyncSchema>;

export const reportSyncStartedSchema = z.object({
  workflowId: z
    .string()
    .describe('the report-sync workflow; one per target, so a repeated request joins the running one'),
});

/** `/:id` of GET /api/zoom/meetings/:id/analytics: a Zoom meeting or webinar id (a session's room). */
export const zoomMeetingParam = z.object({ id: zoomId });

const count = z.number().int().nonnegative();
const figures = {
  registrants: count
    .nullable()
    .describe('roster size, else distinct Zoom registrant ids in the report rows; null when neither'),
  attendees: count.describe('people with attended time inside the window'),
  averageMinutes: z.number().nullable().describe('mean attended minutes of the attendees'),
  multiConnectionPeople: count.describe('people with more than one connection cycle (rejoins, second devices)'),
};

export const sessionAnalyticsSchema = z.object({
  sessionId: z.string(),
  provider: providerSchema,
  room: z.string(),
  instanceId: z.string().nullable(),
  scheduledStart: optionalUtcTime,
  scheduledEnd: optionalUtcTime,
  calculatedAt: optionalUtcTime,
  ...figures,
  registeredAttendees: count.nullable().describe('roster members or registrants with attended time'),
  people: count.describe('everyone reported: attendees, people seen only outside the window, absent roster members'),
  attendanceRate: z.number().nullable().describe('registeredAttendees / registrants, in percent'),
});

export const roomAnalyticsSchema = z.object({
  provider: providerSchema,
  room: z.string(),
  ...figures,
  sessions: count,
  attendees: count.describe('distinct people with attended time in any session of the room'),
  attendances: count.describe('attendees summed over the sessions'),
  averageMinutes: z.number().nullable().describe('mean attended minutes per attendance'),
  averageAttendanceRate: z.number().nullable(),
  perSession: z.array(sessionAnalyticsSchema),
});

/** The sync a request asks for; also `rollcall report-sync`'s, so both start the same workflow id. */
export function targetOf(body: ReportSyncBody): ReportSyncTarget {
  return {
    kind: body.meetingId === undefined ? 'webinar' : 'meeting',
    id: (body.meetingId ?? body.webinarId)!,
    ...(body.recurring && { recurring: true }),
    ...(body.instanceUuid !== undefined && { instanceUuid: body.instanceUuid }),
  };
}
