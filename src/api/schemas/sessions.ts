import { z } from 'zod';

const isoTime = z.iso.datetime({ offset: true, error: 'expected an ISO-8601 date-time, e.g. 2026-11-21T10:00:00Z' });

export const rosterEntrySchema = z.object({
  userId: z.string().min(1).max(200),
  email: z.email().optional(),
  name: z.string().max(300).optional(),
  role: z.string().min(1).max(50).default('student'),
});

const percent = z.number().min(0).max(100);

export const policySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('percentage'),
    presentPct: percent.optional(),
    latePct: percent.optional(),
    partialPct: percent.optional(),
    graceMinutes: z.number().min(0).max(24 * 60).optional(),
  }),
  z.object({ kind: z.literal('minimum-duration'), minutes: z.number().min(0).max(24 * 60).optional() }),
]);

export const registerSessionSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'expected 1-100 letters, digits or . _ : -')
      .optional(),
    provider: z.enum(['zoom', 'livekit']),
    room: z.string().min(1).max(200),
    title: z.string().max(300).optional(),
    scheduledStart: isoTime,
    scheduledEnd: isoTime,
    roster: z
      .array(rosterEntrySchema)
      .max(50_000)
      .default([])
      .refine((roster) => new Set(roster.map((entry) => entry.userId)).size === roster.length, 'userId must be unique within the roster'),
    policy: policySchema.optional(),
  })
  .refine((body) => Date.parse(body.scheduledEnd) > Date.parse(body.scheduledStart), {
    path: ['scheduledEnd'],
    message: 'must be after scheduledStart',
  });

export type RegisterSessionBody = z.output<typeof registerSessionSchema>;
