/**
 * Zoom event notifications: signature check, URL validation and normalisation of meeting/webinar
 * lifecycle and participant events into AttendanceEvents.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { AttendanceEvent, PersonRef } from '../domain/events.js';
import {
  derivedKey,
  singleHeader,
  withPlausibleTimes,
  type HeaderValue,
  type ParsedWebhook,
  type RoomRef,
  type VerifyResult,
} from './common.js';
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
  if (Math.abs(input.nowMs - Number(timestamp) * 1000) > MAX_CLOCK_SKEW_MS)
    return { ok: false, reason: 'stale-timestamp' };

  // Hash the bytes as received: a re-serialised body differs (key order, escapes, non-ASCII).
  const digest = createHmac('sha256', input.secret).update(`v0:${timestamp}:`).update(input.rawBody).digest('hex');
  const expected = Buffer.from(`v0=${digest}`);
  const given = Buffer.from(signature);
  const ok = given.length === expected.length && timingSafeEqual(given, expected);
  return ok ? { ok: true } : { ok: false, reason: 'bad-signature' };
}

/** The reply to `endpoint.url_validation` (Zoom re-validates the endpoint every 72 h). */
export function answerUrlValidation(
  plainToken: string,
  secret: string,
): { plainToken: string; encryptedToken: string } {
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
  /** Free text; on participant_left it tells a move to or from a breakout room from a departure (see `isMove`). */
  leave_reason: optionalText,
});

/** A participant in a breakout room event: `user_id` is the breakout room's own; `parent_user_id` the one in the main meeting. */
const breakoutParticipantSchema = participantSchema.extend({ parent_user_id: optionalText });

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
/** Breakout room events: `id` and `uuid` are the parent meeting's, `breakout_room_uuid` the room's. */
const breakoutEventSchema = withObject(
  objectSchema.extend({ breakout_room_uuid: z.string().min(1), participant: breakoutParticipantSchema }),
);
const envelopeSchema = z.object({ event: z.string().min(1) });
const urlValidationSchema = z.object({ payload: z.object({ plainToken: z.string().min(1) }) });

type Lifecycle = z.output<typeof lifecycleSchema>;
type ParticipantEvent = z.output<typeof participantEventSchema>;
type Participant = ParticipantEvent['payload']['object']['participant'];
type BreakoutEvent = z.output<typeof breakoutEventSchema>;

/** meeting.* and webinar.* carry the same fields; the action decides what we produce. */
const EVENT_PATTERN = /^(?:meeting|webinar)\.(started|ended|participant_joined|participant_left)$/;
/** Breakout rooms exist in meetings only. */
const BREAKOUT_PATTERN = /^meeting\.(participant_joined_breakout_room|participant_left_breakout_room)$/;

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
  const breakoutAction = BREAKOUT_PATTERN.exec(event)?.[1];
  if (breakoutAction === 'participant_joined_breakout_room' || breakoutAction === 'participant_left_breakout_room') {
    const parsed = check(breakoutEventSchema, body);
    return parsed.ok ? breakoutEvent(event, breakoutAction, parsed.value) : parsed.invalid;
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
  return { type: 'events', room: roomOf(body), events: [{ kind, key, at, source: 'webhook', instance: object.uuid }] };
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
    instance: object.uuid,
    connection: p.participant_uuid ?? p.user_id,
    person: personOf(p, p.participant_uuid ?? p.user_id),
  };
  const attendance: AttendanceEvent = joined
    ? { kind: 'joined', ...common }
    : { kind: 'left', ...common, ...leaveFacts(p, false) };
  return { type: 'events', room: roomOf(body), events: [attendance] };
}

/**
 * Breakout rooms are part of their meeting (what we rely on, from Zoom's webhook reference and observed payloads):
 * - `meeting.participant_joined_breakout_room` / `meeting.participant_left_breakout_room` carry the parent meeting's
 *   `id` and `uuid` in `payload.object`, the room's `breakout_room_uuid`, and a participant with `join_time` /
 *   `leave_time`, `leave_reason`, `participant_uuid`, `user_id` (the room's own) and `parent_user_id` (the main
 *   meeting's user_id);
 * - moving into a breakout room also sends the main room's `meeting.participant_left`, whose `leave_reason` reads
 *   "left the meeting to join breakout room"; coming back, "… leave breakout room to join main meeting", then a
 *   main-room `meeting.participant_joined`. The leave of one room and the join of the other come within a second
 *   or two, in either order.
 * So a breakout room stay is a connection of its own (`<participant>@breakout:<room>`), in the parent meeting's
 * instance, so a move's leave never closes the main room's connection or the other way round; a leave that moves
 * between rooms is marked `moved`, and the engine joins it to the person's next join (continuous presence).
 */
function breakoutEvent(
  event: string,
  action: 'participant_joined_breakout_room' | 'participant_left_breakout_room',
  body: BreakoutEvent,
): ZoomParsedWebhook {
  const { object } = body.payload;
  const p = object.participant;
  const joined = action === 'participant_joined_breakout_room';
  const at = (joined ? p.join_time : p.leave_time) ?? body.event_ts;
  const participant = p.participant_uuid ?? p.user_id;
  const common = {
    key: derivedKey('zoom', [
      event,
      object.uuid,
      object.breakout_room_uuid,
      p.participant_uuid,
      p.user_id,
      p.join_time,
      at,
    ]),
    at,
    source: 'webhook' as const,
    instance: object.uuid,
    connection: `${participant}@breakout:${object.breakout_room_uuid}`,
    // the person's key in the main meeting: participant_uuid, else the main meeting's user_id
    person: personOf(p, p.participant_uuid ?? p.parent_user_id ?? p.user_id),
  };
  const attendance: AttendanceEvent = joined
    ? { kind: 'joined', ...common }
    : { kind: 'left', ...common, ...leaveFacts(p, true) };
  return { type: 'events', room: roomOf(body), events: [attendance] };
}

/**
 * What a leave tells besides its time: its own join time (the cycle stands even if the join was lost), and
 * whether it moved between rooms of the meeting: a `leave_reason` naming a breakout room or the main meeting;
 * leaving a breakout room with no reason is going back to the main room (the room closed).
 */
function leaveFacts(p: Participant, fromBreakout: boolean): { joinedAt?: number; moved?: boolean } {
  return {
    ...(p.join_time !== undefined && { joinedAt: p.join_time }),
    ...(isMove(p.leave_reason, fromBreakout) && { moved: true }),
  };
}

function isMove(reason: string | undefined, fromBreakout: boolean): boolean {
  if (reason === undefined) return fromBreakout;
  return /breakout room|main meeting/i.test(reason);
}

function personOf(p: Participant, guestKey: string): PersonRef {
  const ids = [p.participant_user_id, p.registrant_id, p.id].filter((id): id is string => id !== undefined);
  const email = p.email?.trim();
  return {
    guestKey,
    ...(email && { email }),
    ...(ids.length > 0 && { providerUserIds: [...new Set(ids)] }),
    ...(p.user_name !== undefined && { name: p.user_name }),
  };
}
