import { z } from 'zod';

/** POST /api/zoom/report-sync: one Zoom meeting or webinar (id or instance uuid), optionally every past instance. */
export const reportSyncSchema = z
  .object({
    meetingId: z.string().min(1).max(200).optional(),
    webinarId: z.string().min(1).max(200).optional(),
    recurring: z.boolean().default(false),
  })
  .strict()
  .refine((body) => (body.meetingId === undefined) !== (body.webinarId === undefined), 'expected exactly one of meetingId or webinarId');
