/**
 * LiveKit webhooks: JWT verification and normalisation of room/participant events into AttendanceEvents.
 * Bodies are protojson: camelCase field names, int64 as strings, zero values omitted.
 */
import { createHash } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { z } from 'zod';
import type { AttendanceEvent, PersonRef } from '../domain/events.js';
import { secondsToMs } from '../domain/time.js';
import {
  derivedKey,
  singleHeader,
  withPlausibleTimes,
  type HeaderValue,
  type ParsedWebhook,
  type VerifyResult,
} from './common.js';
import { check } from './validation.js';

/** Same allowance as livekit-server-sdk's TokenVerifier. */
const CLOCK_TOLERANCE_S = 10;

export type LiveKitVerifyFailure =
  | 'no-secret'
  | 'missing-authorization'
  | 'malformed-token'
  | 'bad-signature'
  | 'expired'
  | 'bad-claims'
  | 'body-mismatch';

export interface LiveKitVerifyInput {
  rawBody: Buffer;
  /** `Authorization` header: the JWT, with or without `Bearer `. */
  authorization: HeaderValue;
  apiKey: string;
  apiSecret: string;
  /** Defaults to the real clock. */
  nowMs?: number;
}

export async function verifyLiveKitWebhook(input: LiveKitVerifyInput): Promise<VerifyResult<LiveKitVerifyFailure>> {
  if (input.apiSecret === '') return { ok: false, reason: 'no-secret' };
  const token = singleHeader(input.authorization)?.replace(/^Bearer\s+/i, '');
  if (!token) return { ok: false, reason: 'missing-authorization' };

  let claimedSha256: unknown;
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(input.apiSecret), {
      algorithms: ['HS256'],
      issuer: input.apiKey,
      clockTolerance: CLOCK_TOLERANCE_S,
      // LiveKit always sets both; a token without exp would verify forever.
      requiredClaims: ['exp', 'sha256'],
      ...(input.nowMs !== undefined && { currentDate: new Date(input.nowMs) }),
    });
    claimedSha256 = payload.sha256;
  } catch (error) {
    return { ok: false, reason: tokenFailure(error) };
  }
  // The token signs only the body's hash, so hash the bytes as received. The hash is no secret: plain compare.
  const actual = createHash('sha256').update(input.rawBody).digest('base64');
  return claimedSha256 === actual ? { ok: true } : { ok: false, reason: 'body-mismatch' };
}

function tokenFailure(error: unknown): LiveKitVerifyFailure {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad-signature';
  if (error instanceof errors.JWTClaimValidationFailed) return 'bad-claims';
  return 'malformed-token';
}

// ---- body schemas -------------------------------------------------------------------------------

/** protojson int64: a decimal string (Go) or a number (other encoders). Zero is omitted, so times are positive. */
const int64Time = z
  .union([z.string().regex(/^\d+$/, { error: 'expected an integer string' }), z.number().int()], {
    error: 'expected an integer (number or string)',
  })
  .transform(Number)
  .pipe(z.number().positive({ error: 'expected a positive time' }));

/** LiveKit's seconds (`joinedAt`, `createdAt`) as epoch ms. */
const seconds = (s: number | undefined): number | undefined => (s === undefined ? undefined : secondsToMs(s));

const roomSchema = z.object({ sid: z.string().min(1), name: z.string().min(1) });

/** A participant as LiveKit's protojson writes it, in webhooks and in RoomService answers alike. */
export const participantSchema = z.object({
  sid: z.string().min(1),
  identity: z.string().min(1),
  name: z.string().optional(),
  metadata: z.string().optional(),
  attributes: z.record(z.string(), z.string()).optional(),
  /** Seconds. */
  joinedAt: int64Time.optional(),
  /** Milliseconds; newer servers send both. */
  joinedAtMs: int64Time.optional(),
});

const baseSchema = z.object({
  /** Unique event id; protojson omits it when empty. */
  id: z.string().optional(),
  /** Seconds: when LiveKit emitted the event. */
  createdAt: int64Time,
  room: roomSchema,
});
const roomEventSchema = baseSchema;
const leftSchema = baseSchema.extend({ participant: participantSchema });
/** A join is timed by the participant's own join time; the event's createdAt is only the fallback. */
const joinedSchema = baseSchema
  .extend({ createdAt: int64Time.optional(), participant: participantSchema })
  .transform((body, ctx) => {
    const { joinedAtMs, joinedAt } = body.participant;
    const at = joinedAtMs ?? seconds(joinedAt) ?? seconds(body.createdAt);
    if (at !== undefined) return { ...body, at };
    ctx.issues.push({
      code: 'custom',
      input: body,
      path: ['participant', 'joinedAtMs'],
      message: 'no join time: expected participant.joinedAtMs, participant.joinedAt or createdAt',
    });
    return z.NEVER;
  });
const envelopeSchema = z.object({ event: z.string().min(1) });

export type Participant = z.output<typeof participantSchema>;

// ---- parsing ------------------------------------------------------------------------------------

export function parseLiveKitWebhook(body: unknown): ParsedWebhook {
  return withPlausibleTimes(parseLiveKitWebhookBody(body));
}

function parseLiveKitWebhookBody(body: unknown): ParsedWebhook {
  const envelope = check(envelopeSchema, body);
  if (!envelope.ok) return envelope.invalid;
  const { event } = envelope.value;

  switch (event) {
    case 'room_started':
    case 'room_finished': {
      const parsed = check(roomEventSchema, body);
      if (!parsed.ok) return parsed.invalid;
      const kind = event === 'room_started' ? 'meeting-started' : 'meeting-ended';
      const { room } = parsed.value;
      return result(room, {
        kind,
        key: keyOf(event, parsed.value),
        at: secondsToMs(parsed.value.createdAt),
        source: 'webhook',
        instance: room.sid,
      });
    }
    case 'participant_joined': {
      const parsed = check(joinedSchema, body);
      if (!parsed.ok) return parsed.invalid;
      return result(parsed.value.room, {
        kind: 'joined',
        ...participantFields(event, parsed.value),
        at: parsed.value.at,
      });
    }
    // A clean leave carries the connection's own join time, so its cycle [joinedAt, leave) stands even if the join was
    // lost.
    case 'participant_left': {
      const parsed = check(leftSchema, body);
      if (!parsed.ok) return parsed.invalid;
      const { joinedAtMs, joinedAt } = parsed.value.participant;
      const joined = joinedAtMs ?? seconds(joinedAt);
      const at = secondsToMs(parsed.value.createdAt);
      return result(parsed.value.room, {
        kind: 'left',
        ...participantFields(event, parsed.value),
        at,
        ...(joined !== undefined && { joinedAt: joined }),
      });
    }
    // A connection that failed or dropped before it was fully connected: it ends a cycle that is open, but is no
    // evidence of presence on its own (a connection that never became ACTIVE is never credited), so no join time.
    case 'participant_connection_aborted': {
      const parsed = check(leftSchema, body);
      if (!parsed.ok) return parsed.invalid;
      return result(parsed.value.room, {
        kind: 'left',
        ...participantFields(event, parsed.value),
        at: secondsToMs(parsed.value.createdAt),
      });
    }
    default:
      return { type: 'ignored', event };
  }
}

function result(room: { sid: string; name: string }, event: AttendanceEvent): ParsedWebhook {
  return { type: 'events', room: { provider: 'livekit', roomId: room.name, instanceId: room.sid }, events: [event] };
}

interface KeyFacts {
  id?: string | undefined;
  createdAt?: number | undefined;
  room: { sid: string };
  participant?: Participant;
}

/** LiveKit retries resend the same event id; without one, derive a key from the facts it would carry. */
function keyOf(event: string, body: KeyFacts): string {
  if (body.id) return `livekit:${body.id}`;
  const p = body.participant;
  return derivedKey('livekit', [event, body.room.sid, p?.sid, p?.joinedAtMs ?? p?.joinedAt, body.createdAt]);
}

function participantFields(event: string, body: KeyFacts & { participant: Participant }) {
  return {
    key: keyOf(event, body),
    source: 'webhook' as const,
    instance: body.room.sid,
    connection: body.participant.sid,
    person: personOf(body.participant),
  };
}

export function personOf(p: Participant): PersonRef {
  const email = emailOf(p);
  return {
    guestKey: p.identity,
    providerUserIds: [p.identity],
    ...(p.name && { name: p.name }),
    ...(email && { email }),
  };
}

const emailCarrier = z.object({ email: z.string().trim().min(1) });

/**
 * LiveKit has no email field. Apps that want email matching put `email` in the participant's attributes or
 * in its metadata as JSON (`{"email": ...}`); attributes win. Anything else is simply no email.
 */
function emailOf(p: Participant): string | undefined {
  const fromAttributes = p.attributes?.email?.trim();
  if (fromAttributes) return fromAttributes;
  if (!p.metadata) return undefined;
  try {
    return emailCarrier.safeParse(JSON.parse(p.metadata)).data?.email;
  } catch {
    return undefined; // metadata is free text, not necessarily JSON
  }
}
