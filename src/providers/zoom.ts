/**
 * Zoom event notifications: signature check, URL validation and normalisation of meeting/webinar
 * lifecycle and participant events into AttendanceEvents.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AttendanceEvent, PersonRef } from '../domain/events.js';
import { derivedKey, singleHeader, withPlausibleTimes, type HeaderValue, type ParsedWebhook, type RoomRef, type VerifyResult } from './common.js';
import { check } from './validation.js';

const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export type ZoomVerifyFailure = 'no-secret' | 'missing-headers' | 'bad-timestamp' | 'stale-timestamp' | 'bad-signature';

export interface ZoomVerifyInput {
  rawBody: Buffer;
  /** `x-zm-request-timestamp`: unix seconds. */
  timestamp: HeaderValue;
  /** `x-zm-signature`: `v0=` + hex HMAC. */
  signature: HeaderValue;
  secret: string;
  nowMs: number;
}

export function verifyZoomSignature(input: ZoomVerifyInput): VerifyResult<ZoomVerifyFailure> {
  // An empty key makes the HMAC computable by anyone.
  if (input.secret === '') return { ok: false, reason: 'no-secret' };
  const timestamp = singleHeader(input.timestamp);
  const signature = singleHeader(input.signature);
  if (timestamp === undefined || signature === undefined) return { ok: false, reason: 'missing-headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad-timestamp' };
  // The timestamp is signed too, so this window stops replays of captured requests.
  if (Math.abs(input.nowMs - Number(timestamp) * 1000) > MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'stale-timestamp' };

  // Hash the bytes as received: a re-serialised body differs (key order, escapes, non-ASCII).
  const digest = createHmac('sha256', input.secret).update(`v0:${timestamp}:`).update(input.rawBody).digest('hex');
  const expected = Buffer.from(`v0=${digest}`);
  const given = Buffer.from(signature);
  const ok = given.length === expected.length && timingSafeEqual(given, expected);
  return ok ? { ok: true } : { ok: false, reason: 'bad-signature' };
}

/** The reply to `endpoint.url_validation` (Zoom re-validates the endpoint every 72 h). */
export function answerUrlValidation(plainToken: string, secret: string): { plainToken: string; encryptedToken: string } {
  return { plainToken, encryptedToken: createHmac('sha256', secret).update(plainToken).digest('hex') };
}

// ---- body schemas -------------------------------------------------------------------------------

/** Optional Zoom fields arrive absent, null, or blank (e.g. email withheld by privacy rules): all mean "not given". */
const blankToUndefined = (value: unknown): unknown => (value === '' || value === null ? undefined : value);

const isoTime = z.iso.datetime({ offset: true, error: 'expected ISO date-time' }).transform((s) => Date.parse(s));
const optionalTime = z.preprocess(blankToUndefined, isoTime.optional());
const optionalText = z.preprocess(blankToUndefined, z.string().optional());
/** Zoom documents ids as strings but has sent numeric meeting ids; both mean the same id. */
const idText = z
  .union([z.string().min(1), z.number().int().nonnegative()], { error: 'expected a non-empty string or number' })
  .transform(String);

const participantSchema = z.object({
  user_id: idText,
  user_name: optionalText,
  /** Zoom user id; empty when the participant is not signed in. */
  id: optionalText,
  participant_uuid: optionalText,
  email: optionalText,
  registrant_id: optionalText,
  participant_user_id: optionalText,
  join_time: optionalTime,
  // Documented for participant_left, but may be missing on webinars: event_ts stands in.
  leave_time: optionalTime,
});

const objectSchema = z.object({
  id: idText,
  uuid: z.string().min(1),
  topic: optionalText,
  start_time: optionalTime,
  end_time: optionalTime,
});

const withObject = <O extends z.ZodType>(object: O) =>
  z.object({ event_ts: z.number().int().positive(), payload: z.object({ object }) });

const lifecycleSchema = withObject(objectSchema);
const participantEventSchema = withObject(objectSchema.extend({ participant: participantSchema }));
const envelopeSchema = z.object({ event: z.string().min(1) });
const urlValidationSchema = z.object({ payload: z.object({ plainToken: z.string().min(1) }) });

type Lifecycle = z.output<typeof lifecycleSchema>;
type ParticipantEvent = z.output<typeof participantEventSchema>;
type Participant = ParticipantEvent['payload']['object']['participant'];

/** meeting.* and webinar.* carry the same fields; the action decides what we produce. */
const EVENT_PATTERN = /^(?:meeting|webinar)\.(started|ended|participant_joined|participant_left)$/;

// ---- parsing ------------------------------------------------------------------------------------

export type ZoomParsedWebhook = ParsedWebhook | { type: 'url_validation'; plainToken: string };

export function parseZoomWebhook(body: unknown): ZoomParsedWebhook {
  return withPlausibleTimes(parseZoomWebhookBody(body));
}

function parseZoomWebhookBody(body: unknown): ZoomParsedWebhook {
  const envelope = check(envelopeSchema, body);
  if (!envelope.ok) return envelope.invalid;
  const { event } = envelope.value;

  if (event === 'endpoint.url_validation') {
    const parsed = check(urlValidationSchema, body);
    return parsed.ok ? { type: 'url_validation', plainToken: parsed.value.payload.plainToken } : parsed.invalid;
  }

  const action = EVENT_PATTERN.exec(event)?.[1];
  if (action === 'started' || action === 'ended') {
    const parsed = check(lifecycleSchema, body);
    return parsed.ok ? lifecycle(event, action, parsed.value) : parsed.invalid;
  }
  if (action === 'participant_joined' || action === 'participant_left') {
    const parsed = check(participantEventSchema, body);
    return parsed.ok ? participantEvent(event, action, parsed.value) : parsed.invalid;
  }
  return { type: 'ignored', event };
}

function roomOf({ payload: { object } }: Lifecycle): RoomRef {
  return {
    provider: 'zoom',
    roomId: object.id,
    instanceId: object.uuid,
    ...(object.topic !== undefined && { topic: object.topic }),
    ...(object.start_time !== undefined && { startTime: object.start_time }),
  };
}

function lifecycle(event: string, action: 'started' | 'ended', body: Lifecycle): ZoomParsedWebhook {
  const { object } = body.payload;
  const at = (action === 'started' ? object.start_time : object.end_time) ?? body.event_ts;
  const key = derivedKey('zoom', [event, object.uuid, at]);
  const kind = action === 'started' ? 'meeting-started' : 'meeting-ended';
  return { type: 'events', room: roomOf(body), events: [{ kind, key, at, source: 'webhook' }] };
}

function participantEvent(
  event: string,
  action: 'participant_joined' | 'participant_left',
  body: ParticipantEvent,
): ZoomParsedWebhook {
  const { object } = body.payload;
  const p = object.participant;
  const joined = action === 'participant_joined';
  const at = (joined ? p.join_time : p.leave_time) ?? body.event_ts;
  const common = {
    // No event id from Zoom: a redelivery repeats these facts exactly, a different join/leave does not.
    key: derivedKey('zoom', [event, object.uuid, p.participant_uuid, p.user_id, p.join_time, at]),
    at,
    source: 'webhook' as const,
    connection: p.participant_uuid ?? p.user_id,
    person: personOf(p),
  };
  const attendance: AttendanceEvent = joined ? { kind: 'joined', ...common } : { kind: 'left', ...common };
  return { type: 'events', room: roomOf(body), events: [attendance] };
}

function personOf(p: Participant): PersonRef {
  const ids = [p.participant_user_id, p.registrant_id, p.id].filter((id): id is string => id !== undefined);
  const email = p.email?.trim();
  return {
    guestKey: p.participant_uuid ?? p.user_id,
    ...(email && { email }),
    ...(ids.length > 0 && { providerUserIds: [...new Set(ids)] }),
    ...(p.user_name !== undefined && { name: p.user_name }),
  };
}
