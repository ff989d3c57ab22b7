/**
 * Test helpers that sign webhooks exactly as Zoom and LiveKit do, and build realistic bodies.
 * Written independently of src/providers (the fixture vectors check both sides).
 * Times given to the builders are epoch ms; each builder writes them in its provider's format.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { AccessToken } from 'livekit-server-sdk';

export interface ZoomHeaders {
  'x-zm-request-timestamp': string;
  'x-zm-signature': string;
  'content-type': 'application/json';
}

/** Zoom's v0 scheme: `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{body}`), body as UTF-8 bytes. */
export function signZoom(body: string, secret: string, timestampSec = Math.floor(Date.now() / 1000)): ZoomHeaders {
  const timestamp = String(timestampSec);
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`, 'utf8').digest('hex');
  return {
    'x-zm-request-timestamp': timestamp,
    'x-zm-signature': `v0=${signature}`,
    'content-type': 'application/json',
  };
}

export interface LiveKitHeaders {
  authorization: string;
  'content-type': 'application/webhook+json';
}

/**
 * As LiveKit's webhook sender does: a JWT from the API key/secret, valid 5 minutes, whose `sha256` claim is
 * base64(SHA-256(body)); sent as the bare token (no `Bearer `).
 */
export async function signLiveKit(body: string, apiKey: string, apiSecret: string): Promise<LiveKitHeaders> {
  const token = new AccessToken(apiKey, apiSecret, { ttl: 5 * 60 });
  token.sha256 = createHash('sha256').update(body, 'utf8').digest('base64');
  return { authorization: await token.toJwt(), 'content-type': 'application/webhook+json' };
}

/** A body ready to POST: the exact string that was signed, and its headers. */
export interface SignedRequest<H> {
  body: string;
  headers: H;
}

export function zoomRequest(payload: object, secret: string, timestampSec?: number): SignedRequest<ZoomHeaders> {
  const body = JSON.stringify(payload);
  return { body, headers: signZoom(body, secret, timestampSec) };
}

export async function livekitRequest(
  payload: object,
  apiKey: string,
  apiSecret: string,
): Promise<SignedRequest<LiveKitHeaders>> {
  const body = JSON.stringify(payload);
  return { body, headers: await signLiveKit(body, apiKey, apiSecret) };
}

// ---- Zoom bodies --------------------------------------------------------------------------------

export interface ZoomMeetingOptions {
  scope?: 'meeting' | 'webinar';
  meetingId?: string;
  uuid?: string;
  topic?: string;
  /** Meeting start (epoch ms). */
  startTime?: number;
  /** When Zoom emitted the notification (epoch ms); defaults to the event's own time. */
  eventTs?: number;
}

export interface ZoomParticipantOptions extends ZoomMeetingOptions {
  userId?: string;
  userName?: string;
  /** Defaults to a UUID derived from userId; null omits it, as older payloads do. */
  participantUuid?: string | null;
  email?: string;
  /** Zoom user id: empty for participants who are not signed in. */
  zoomUserId?: string;
  registrantId?: string;
  participantUserId?: string;
}

/** A stable UUID-shaped participant_uuid per user_id, so a builder's joined and left events match. */
function uuidFor(userId: string): string {
  const hex = createHash('sha256').update(userId).digest('hex').toUpperCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Zoom writes times as ISO-8601 UTC to the second. */
const zoomTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function zoomBody<O extends object>(action: string, o: ZoomMeetingOptions, eventMs: number, object: O) {
  return {
    event: `${o.scope ?? 'meeting'}.${action}`,
    event_ts: o.eventTs ?? eventMs,
    payload: {
      account_id: 'AAAAAAAAAAAAAAAAAAAAAA',
      object: {
        id: o.meetingId ?? '85746065432',
        uuid: o.uuid ?? '4444AAAiAAAAAiAiAiiAii==',
        host_id: 'x1yCzABCDEfg23HiJKl4mN',
        topic: o.topic ?? 'Algebra 2 — period 3',
        type: 2,
        ...(o.startTime !== undefined && { start_time: zoomTime(o.startTime) }),
        timezone: 'UTC',
        duration: 60,
        ...object,
      },
    },
  };
}

function zoomParticipant(o: ZoomParticipantOptions, times: Record<string, number | undefined>) {
  const participant: Record<string, unknown> = {
    user_id: o.userId ?? '16778240',
    user_name: o.userName ?? 'Jill Chill',
    id: o.zoomUserId ?? '',
    email: o.email ?? '',
    registrant_id: o.registrantId ?? '',
    participant_user_id: o.participantUserId ?? '',
  };
  const uuid = o.participantUuid === undefined ? uuidFor(String(participant.user_id)) : o.participantUuid;
  if (uuid !== null) participant.participant_uuid = uuid;
  for (const [field, ms] of Object.entries(times)) if (ms !== undefined) participant[field] = zoomTime(ms);
  return participant;
}

export function zoomMeetingStarted(o: ZoomMeetingOptions & { startTime: number }) {
  return zoomBody('started', o, o.startTime, {});
}

export function zoomMeetingEnded(o: ZoomMeetingOptions & { endTime: number }) {
  return zoomBody('ended', o, o.endTime, { end_time: zoomTime(o.endTime) });
}

export function zoomParticipantJoined(o: ZoomParticipantOptions & { joinTime: number }) {
  return zoomBody('participant_joined', o, o.joinTime, { participant: zoomParticipant(o, { join_time: o.joinTime }) });
}

/** Zoom's participant_left carries leave_time but no join_time. Omit leaveTime (give eventTs) to mimic a webinar without it. */
export function zoomParticipantLeft(o: ZoomParticipantOptions & { leaveTime?: number; leaveReason?: string }) {
  const eventMs = o.leaveTime ?? o.eventTs;
  if (eventMs === undefined) throw new Error('zoomParticipantLeft needs leaveTime or eventTs');
  const participant = zoomParticipant(o, { leave_time: o.leaveTime });
  participant.leave_reason = o.leaveReason ?? 'left the meeting';
  return zoomBody('participant_left', o, eventMs, { participant });
}

// ---- LiveKit bodies -----------------------------------------------------------------------------

export interface LiveKitRoomOptions {
  roomName?: string;
  roomSid?: string;
  /** Event id; a fresh one per body by default, as LiveKit does per event. */
  id?: string;
}

export interface LiveKitParticipantOptions extends LiveKitRoomOptions {
  identity: string;
  sid?: string;
  name?: string;
  metadata?: string;
  attributes?: Record<string, string>;
  /** When the participant joined (epoch ms): written as joinedAt (s) and joinedAtMs. */
  joinedAt: number;
}

/** protojson writes int64 as decimal strings. */
const int64 = (n: number): string => String(Math.floor(n));

function livekitBody<E extends object>(event: string, o: LiveKitRoomOptions, createdAtMs: number, extra: E) {
  return {
    event,
    room: { sid: o.roomSid ?? 'RM_hycBMAjmt6Ub', name: o.roomName ?? 'algebra-2-p3', emptyTimeout: 300 },
    ...extra,
    id: o.id ?? `EV_${randomBytes(9).toString('base64url')}`,
    createdAt: int64(createdAtMs / 1000),
  };
}

function livekitParticipant(o: LiveKitParticipantOptions, state: string) {
  return {
    sid: o.sid ?? `PA_${o.identity}`,
    identity: o.identity,
    ...(o.name !== undefined && { name: o.name }),
    state,
    ...(o.metadata !== undefined && { metadata: o.metadata }),
    ...(o.attributes !== undefined && { attributes: o.attributes }),
    joinedAt: int64(o.joinedAt / 1000),
    joinedAtMs: int64(o.joinedAt),
    kind: 'STANDARD',
  };
}

export function livekitRoomStarted(o: LiveKitRoomOptions & { at: number }) {
  return livekitBody('room_started', o, o.at, {});
}

export function livekitRoomFinished(o: LiveKitRoomOptions & { at: number }) {
  return livekitBody('room_finished', o, o.at, {});
}

export function livekitParticipantJoined(o: LiveKitParticipantOptions) {
  return livekitBody('participant_joined', o, o.joinedAt, { participant: livekitParticipant(o, 'ACTIVE') });
}

/** `aborted` sends participant_connection_aborted (a connection that failed or dropped without a clean leave). */
export function livekitParticipantLeft(o: LiveKitParticipantOptions & { leftAt: number; aborted?: boolean }) {
  const event = o.aborted ? 'participant_connection_aborted' : 'participant_left';
  return livekitBody(event, o, o.leftAt, { participant: livekitParticipant(o, 'DISCONNECTED') });
}
