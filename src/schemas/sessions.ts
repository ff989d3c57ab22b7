import { z } from 'zod';
import { PROVIDERS } from '../domain/index.js';
import { isoTime, optionalUtcTime, providerSchema, sessionPhaseSchema, utcTime } from './common.js';

export const rosterEntrySchema = z.object({
  userId: z.string().min(1).max(200),
  email: z.email().optional(),
  name: z.string().max(300).optional(),
  role: z.string().min(1).max(50).default('student'),
});

const RESERVED_ID = new RegExp(`^(${PROVIDERS.join('|')})-`, 'i');

const percent = z.number().min(0).max(100);

export const policySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('percentage'),
    presentPct: percent.optional(),
    latePct: percent.optional(),
    partialPct: percent.optional(),
    graceMinutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .optional(),
  }),
  z.object({
    kind: z.literal('minimum-duration'),
    minutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .optional(),
  }),
]);

export const registerSessionSchema = z
  .object({
    id: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'expected 1-100 letters, digits or . _ : -')
      // Ad-hoc sessions are `<provider>-<instance>`: a registered one under such an id would take that meeting's
      // webhooks.
      .refine(
        (id) => !RESERVED_ID.test(id),
        `ids beginning with ${PROVIDERS.map((provider) => `${provider}-`).join(' or ')} are reserved for ad-hoc sessions`,
      )
      .optional(),
    provider: providerSchema,
    room: z.string().min(1).max(200),
    title: z.string().max(300).optional(),
    scheduledStart: isoTime,
    scheduledEnd: isoTime,
    roster: z
      .array(rosterEntrySchema)
      .max(50_000)
      .default([])
      .refine(
        (roster) => new Set(roster.map((entry) => entry.userId)).size === roster.length,
        'userId must be unique within the roster',
      ),
    policy: policySchema.optional(),
  })
  .refine((body) => Date.parse(body.scheduledEnd) > Date.parse(body.scheduledStart), {
    path: ['scheduledEnd'],
    message: 'must be after scheduledStart',
  });

export type RegisterSessionBody = z.output<typeof registerSessionSchema>;

export const sessionIdParam = z.object({ id: z.string().min(1).max(200) });

const temporalUiUrl = z.url().describe("the session's workflow in the Temporal Web UI");

export const registeredSchema = z.object({ id: z.string(), workflowId: z.string(), temporalUiUrl });

/** POST /api/sessions/:id/end: end the meeting now, or at `at`. */
export const endSessionSchema = z.object({ at: isoTime.optional() }).strict();

const countsSchema = z.object({
  people: z.number().int(),
  present: z.number().int(),
  late: z.number().int(),
  partial: z.number().int(),
  absent: z.number().int(),
  guests: z.number().int(),
});

/** The workflow's summary query (and the answer of end / recalculate), times as ISO strings. */
export const sessionStateSchema = z.object({
  sessionId: z.string(),
  phase: sessionPhaseSchema,
  meetingStartedAt: optionalUtcTime,
  meetingEndedAt: optionalUtcTime,
  calculationDueAt: optionalUtcTime.describe('when the final calculation is due, while it is pending'),
  calculatedAt: optionalUtcTime,
  calculations: z.number().int(),
  lastCounts: countsSchema.optional(),
  connections: z.number().int(),
  acceptedEvents: z.number().int(),
});

export const sessionDetailSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  provider: providerSchema,
  room: z.string(),
  instanceId: z.string().optional(),
  title: z.string().optional(),
  adHoc: z.boolean(),
  scheduledStart: optionalUtcTime,
  scheduledEnd: optionalUtcTime,
  roster: z.array(rosterEntrySchema),
  policy: policySchema,
  status: sessionPhaseSchema,
  meetingStarted: optionalUtcTime,
  meetingEnded: optionalUtcTime,
  calculatedAt: optionalUtcTime,
  createdAt: utcTime,
  state: sessionStateSchema
    .nullable()
    .describe('live workflow state; null when the workflow is gone or Temporal is unreachable'),
  temporalUiUrl,
});

/** Live presence as the workflow computes it (epoch ms times, as the domain reports them). */
export const presenceSchema = z.object({
  at: z.number(),
  inRoom: z.array(
    z.object({
      personKey: z.string(),
      userId: z.string().optional(),
      email: z.string().optional(),
      name: z.string().optional(),
      role: z.string().optional(),
      guest: z.boolean(),
      since: z.number(),
      currentSeconds: z.number().int(),
      totalSeconds: z.number().int(),
      connections: z.number().int(),
    }),
  ),
  counts: z.object({ inRoom: z.number().int(), guestsInRoom: z.number().int(), seen: z.number().int() }),
});
