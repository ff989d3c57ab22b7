/**
 * Fuzz cases for the two webhook endpoints, each with the answer it must get. Bodies come from fast-check
 * arbitraries (seeded, so a failure is reproducible from the printed seed) and from targeted mutations of real
 * provider bodies; mutated bodies are signed properly, so they pass the signature check and reach validation.
 *
 * How answers are classified (decided here, independently of the product's parsers):
 * - not signed as the provider signs (no/garbled/foreign signature, stale or future timestamp, expired token,
 *   a body changed after signing): 401;
 * - over 256 KiB: 413;
 * - signed, but not JSON, not an object, or an attendance event with a field missing or of the wrong type: 400;
 * - signed JSON object whose `event` is a string we do not handle: 200 `ignored`;
 * - signed real event mutated in ways that keep it valid (free text changed, unknown fields added, optional
 *   fields blanked, odd ids): 200 `accepted`, and its facts must be stored (room_facts) and reach its session;
 * - signed real event with an odd but well-formed time (a random ISO date-time, a random integer): 200 or 400,
 *   never anything else, and when 200 its facts must be stored.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { PROVIDERS } from '../../src/domain/index.js';
import { LIVEKIT_KEY, LIVEKIT_SECRET, ZOOM_SECRET } from '../support/scenario.js';
import {
  livekitParticipantJoined,
  livekitParticipantLeft,
  livekitRoomFinished,
  livekitRoomStarted,
  signLiveKit,
  signZoom,
  zoomMeetingEnded,
  zoomMeetingStarted,
  zoomParticipantJoined,
  zoomParticipantLeft,
} from '../support/sign.js';

export type Endpoint = 'zoom' | 'livekit';

/** What a case must be answered. */
export type Expectation =
  | { kind: 'status'; status: readonly number[] }
  | { kind: 'ignored' }
  | { kind: 'accepted' }
  /** An odd value the product may take or refuse: 200 accepted or 400, nothing else. */
  | { kind: 'accepted-or-400' }
  | { kind: 'url-validation'; plainToken: string };

export interface FuzzCase {
  category: string;
  endpoint: Endpoint;
  body: Buffer;
  /** Signed when sent (signatures and tokens are only valid for minutes), relative to that moment. */
  headers: () => Promise<Record<string, string>>;
  expect: Expectation;
}

export const MAX_WEBHOOK_BYTES = 256 * 1024;
const ZOOM_EVENTS = /^(?:meeting|webinar)\.(started|ended|participant_joined|participant_left)$/;
const LIVEKIT_EVENTS = new Set([
  'room_started',
  'room_finished',
  'participant_joined',
  'participant_left',
  'participant_connection_aborted',
]);
const isKnown = (endpoint: Endpoint, event: string) =>
  endpoint === 'zoom' ? ZOOM_EVENTS.test(event) || event === 'endpoint.url_validation' : LIVEKIT_EVENTS.has(event);

/** The room every mutated-but-valid body is about: it has no registered session (an ad-hoc one appears). */
export const FUZZ_ZOOM = { meetingId: '99000000001', uuid: 'fuzz-zoom-instance==' };
export const FUZZ_LIVEKIT = { roomName: 'fuzz-room', roomSid: 'RM_fuzz' };

// ---- signing ---------------------------------------------------------------------------------------

const zoomHeaders = (body: Buffer | string, timestampSec = Math.floor(Date.now() / 1000)): Record<string, string> => ({
  ...signZoom(body.toString(), ZOOM_SECRET, timestampSec),
});

/** Zoom's HMAC over the exact bytes (signZoom takes a string; a mutated body may not be valid UTF-8). */
function zoomHeadersRaw(body: Buffer, timestampSec = Math.floor(Date.now() / 1000)): Record<string, string> {
  const signature = createHmac('sha256', ZOOM_SECRET).update(`v0:${timestampSec}:`).update(body).digest('hex');
  return {
    'x-zm-request-timestamp': String(timestampSec),
    'x-zm-signature': `v0=${signature}`,
    'content-type': 'application/json',
  };
}

const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('base64');

interface TokenOptions {
  secret?: string;
  issuer?: string;
  expSec?: number;
  nbfSec?: number;
  hash?: string | null;
}

/** A LiveKit-style webhook JWT, with every claim overridable to forge the wrong ones. */
async function livekitToken(body: Buffer, o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { video: {} };
  if (o.hash !== null) claims.sha256 = o.hash ?? sha256(body);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(o.issuer ?? LIVEKIT_KEY)
    .setExpirationTime(o.expSec ?? now + 300)
    .setNotBefore(o.nbfSec ?? now - 1);
  return jwt.sign(new TextEncoder().encode(o.secret ?? LIVEKIT_SECRET));
}

async function signedFor(endpoint: Endpoint, body: Buffer): Promise<Record<string, string>> {
  if (endpoint === 'zoom') return zoomHeadersRaw(body);
  return { authorization: await livekitToken(body), 'content-type': 'application/webhook+json' };
}

// ---- real bodies ---------------------------------------------------------------------------------------

const minutesAgo = (n: number) => Math.floor(Date.now() / 60_000) * 60_000 - n * 60_000;

export interface Rooms {
  zoom: typeof FUZZ_ZOOM;
  livekit: typeof FUZZ_LIVEKIT;
}

/**
 * The n-th real body of a room: a join, a leave or a meeting start, each n with its own participant, times and
 * event id. Distinct bodies never share an idempotency key, as with a real provider (a redelivery repeats its
 * body byte for byte), so every accepted body must leave its own trace in the event log.
 */
export function realBody(endpoint: Endpoint, room: Rooms, n: number): Record<string, unknown> {
  const at = minutesAgo(50) + (n % 2_400) * 1_000;
  const user = `f${n}`;
  if (endpoint === 'zoom') {
    const meeting = room.zoom;
    switch (n % 3) {
      case 0:
        return zoomParticipantJoined({
          ...meeting,
          userId: user,
          userName: `Fuzz ${user}`,
          email: `${user}@fuzz.example`,
          joinTime: at,
        });
      case 1:
        return zoomParticipantLeft({ ...meeting, userId: user, userName: `Fuzz ${user}`, leaveTime: at + 60_000 });
      default:
        return zoomMeetingStarted({ ...meeting, startTime: at });
    }
  }
  const participant = {
    ...room.livekit,
    identity: `fuzz-${user}`,
    sid: `PA_${user}`,
    name: `Fuzz ${user}`,
    joinedAt: at,
    id: `EV_${room.livekit.roomSid}_${n}`,
  };
  switch (n % 3) {
    case 0:
      return livekitParticipantJoined(participant);
    case 1:
      return livekitParticipantLeft({ ...participant, leftAt: at + 60_000 });
    default:
      return livekitRoomStarted({ ...room.livekit, id: participant.id, at });
  }
}

/** The end events of a room. */
export function endBodies(room: Rooms) {
  return {
    zoom: zoomMeetingEnded({ ...room.zoom, endTime: minutesAgo(1) }),
    livekit: livekitRoomFinished({ ...room.livekit, at: minutesAgo(1) }),
  };
}

// ---- paths and mutations --------------------------------------------------------------------------------

type Path = readonly (string | number)[];

function setPath(target: Record<string, unknown>, path: Path, value: unknown): Record<string, unknown> {
  const copy = structuredClone(target);
  let node = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) return copy;
    node = next as Record<string | number, unknown>;
  }
  const last = path.at(-1)!;
  if (value === REMOVE) delete node[last];
  else node[last] = value;
  return copy;
}

const REMOVE = Symbol('remove');

/** Values that are not an object (for fields that must be one). */
const notObject = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
);
/** Values that are not a non-empty string. */
const notText = fc.oneof(
  fc.constant(''),
  fc.integer().map((n) => n),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 2 }),
  fc.array(fc.string(), { maxLength: 2 }),
);
/** Values that are not a positive safe integer (Zoom event_ts). */
const notPositiveInt = fc.oneof(
  fc.integer({ max: 0 }),
  fc.double({ noInteger: true, noNaN: true }).filter((d) => Number.isFinite(d)),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(Number.MAX_SAFE_INTEGER + 2),
);
/** Not a Zoom meeting/user id: empty, negative, fractional, or not a string/number. */
const notId = fc.oneof(
  fc.constant(''),
  fc.integer({ max: -1 }),
  fc.double({ noInteger: true, noNaN: true }).filter(Number.isFinite),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 2 }),
);
/** Not an ISO date-time: free text, numbers, dates without a time, impossible clock values. */
const notIsoTime = fc.oneof(
  fc.string({ minLength: 1 }).filter((s) => !/^\d{4}-\d\d-\d\dT/.test(s)),
  fc.integer(),
  fc.boolean(),
  fc.constantFrom(
    '2024-01-01',
    'yesterday',
    '2024-13-01T00:00:00Z',
    '2024-01-01T25:00:00Z',
    '2024-01-01T10:61:00Z',
    'T10:00:00Z',
    '2024-01-01 10:00:00',
  ),
);
/** Not a LiveKit int64 time: negative, zero, fractional, non-digit strings. */
const notInt64Time = fc.oneof(
  fc.constantFrom('0', 0, '-5', -5, '1.5', 1.5, '', 'abc', '1e9', ' 17', '0x10'),
  fc.string().filter((s) => !/^\d+$/.test(s) || /^0+$/.test(s)),
  fc.boolean(),
  fc.constant(null),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 1 }),
);

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Text PostgreSQL can store: no NUL, no lone UTF-16 surrogate. */
const storable = (text: string) => !text.includes('\u0000') && !LONE_SURROGATE.test(text);

/** Free text: any unicode, control characters, prototype names, very long — all of it storable text. */
const anyText = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      '\u0001\u001f\u007f',
      '💥'.repeat(500),
      ' ',
    ),
  )
  .filter(storable);

/** Text a provider could send in a name but PostgreSQL cannot store as text or jsonb: NUL, lone surrogates. */
export const HOSTILE_TEXT = {
  nul: ['Ann\u0000Lee', '\u0000', `x${'\u0000'.repeat(3)}y`],
  surrogate: ['Bob \ud800', '\udfff', 'a\udc00\ud800b'],
};

interface Mutation {
  path: Path;
  /** A new value, or REMOVE to delete the field. */
  value: fc.Arbitrary<unknown>;
}

/** Field mutations that make each real Zoom body invalid (expect 400). */
function zoomInvalid(body: Record<string, unknown>): Mutation[] {
  const participant = 'participant' in (body.payload as { object: object }).object;
  const common: Mutation[] = [
    { path: ['event_ts'], value: fc.oneof(notPositiveInt, fc.constant(REMOVE)) },
    { path: ['payload'], value: fc.oneof(notObject, fc.constant(REMOVE), fc.constant({})) },
    { path: ['payload', 'object'], value: fc.oneof(notObject, fc.constant(REMOVE)) },
    { path: ['payload', 'object', 'id'], value: fc.oneof(notId, fc.constant(REMOVE)) },
    { path: ['payload', 'object', 'uuid'], value: fc.oneof(notText, fc.constant(REMOVE)) },
    {
      path: ['payload', 'object', 'topic'],
      value: fc.oneof(fc.integer(), fc.boolean(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 1 })),
    },
    { path: ['payload', 'object', 'start_time'], value: notIsoTime },
    {
      path: ['event'],
      value: fc.oneof(
        fc.constant(''),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.constant(REMOVE),
        fc.array(fc.string(), { maxLength: 1 }),
      ),
    },
  ];
  if (!participant) return common;
  return [
    ...common,
    { path: ['payload', 'object', 'participant'], value: fc.oneof(notObject, fc.constant(REMOVE)) },
    { path: ['payload', 'object', 'participant', 'user_id'], value: fc.oneof(notId, fc.constant(REMOVE)) },
    { path: ['payload', 'object', 'participant', 'join_time'], value: notIsoTime },
    { path: ['payload', 'object', 'participant', 'leave_time'], value: notIsoTime },
    { path: ['payload', 'object', 'participant', 'user_name'], value: fc.oneof(fc.integer(), fc.boolean()) },
    {
      path: ['payload', 'object', 'participant', 'email'],
      value: fc.oneof(fc.integer(), fc.array(fc.string(), { maxLength: 1 })),
    },
    {
      path: ['payload', 'object', 'participant', 'participant_uuid'],
      value: fc.oneof(fc.integer(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 1 })),
    },
    {
      path: ['payload', 'object', 'participant', 'leave_reason'],
      value: fc.oneof(
        fc.integer(),
        fc.boolean(),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 1 }),
        fc.array(fc.string(), { maxLength: 2 }),
      ),
    },
  ];
}

/** Field mutations that keep a real Zoom body valid (expect 200 accepted), never touching the room. */
function zoomValid(body: Record<string, unknown>): Mutation[] {
  const participant = 'participant' in (body.payload as { object: object }).object;
  const common: Mutation[] = [
    { path: ['payload', 'object', 'topic'], value: fc.oneof(anyText, fc.constant(null), fc.constant(REMOVE)) },
    { path: ['payload', 'object', 'host_id'], value: fc.jsonValue() },
    { path: ['payload', 'account_id'], value: fc.jsonValue() },
    { path: ['payload', 'extra'], value: fc.jsonValue() },
    { path: ['download_token'], value: fc.jsonValue() },
    { path: ['payload', 'object', 'duration'], value: fc.jsonValue() },
  ];
  if (!participant) return common;
  return [
    ...common,
    {
      path: ['payload', 'object', 'participant', 'user_name'],
      value: fc.oneof(anyText, fc.constant(null), fc.constant('')),
    },
    {
      path: ['payload', 'object', 'participant', 'email'],
      value: fc.oneof(fc.constant(''), fc.constant(null), fc.emailAddress(), anyText),
    },
    {
      path: ['payload', 'object', 'participant', 'participant_uuid'],
      value: fc.oneof(
        anyText.filter((s) => s.length > 0),
        fc.constant(''),
        fc.constant(null),
        fc.constant(REMOVE),
      ),
    },
    {
      path: ['payload', 'object', 'participant', 'user_id'],
      value: fc.oneof(
        anyText.filter((s) => s.length > 0),
        fc.nat(),
      ),
    },
    { path: ['payload', 'object', 'participant', 'registrant_id'], value: fc.oneof(anyText, fc.constant(null)) },
    // Free text (moves between breakout rooms are read from it); blank or null is no reason.
    {
      path: ['payload', 'object', 'participant', 'leave_reason'],
      value: fc.oneof(anyText, fc.constant(''), fc.constant(null), fc.constant(REMOVE)),
    },
    { path: ['payload', 'object', 'participant', 'unknown_field'], value: fc.jsonValue() },
  ];
}

/** Odd but well-formed times (expect 200 or 400). */
function zoomOddTimes(body: Record<string, unknown>): Mutation[] {
  const participant = 'participant' in (body.payload as { object: object }).object;
  const iso = fc
    .tuple(
      fc.integer({ min: 0, max: 9999 }),
      fc.integer({ min: 0, max: 19 }),
      fc.integer({ min: 0, max: 39 }),
      fc.integer({ min: 0, max: 29 }),
      fc.integer({ min: 0, max: 69 }),
      fc.constantFrom('Z', '+00:00', '-12:00', '+14:00', '.999Z', '.5+01:30'),
    )
    .map(
      ([y, mo, d, h, mi, zone]) =>
        `${String(y).padStart(4, '0')}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:00${zone}`,
    );
  const when = participant
    ? ['payload', 'object', 'participant', body.event === 'meeting.participant_joined' ? 'join_time' : 'leave_time']
    : ['payload', 'object', 'start_time'];
  return [
    { path: when, value: iso },
    // Within the range a Date can hold: far past and far future are still times.
    { path: ['event_ts'], value: fc.integer({ min: 1, max: 8_000_000_000_000_000 }) },
  ];
}

function livekitInvalid(body: Record<string, unknown>): Mutation[] {
  const participant = 'participant' in body;
  const common: Mutation[] = [
    { path: ['room'], value: fc.oneof(notObject, fc.constant(REMOVE)) },
    { path: ['room', 'sid'], value: fc.oneof(notText, fc.constant(REMOVE)) },
    { path: ['room', 'name'], value: fc.oneof(notText, fc.constant(REMOVE)) },
    {
      path: ['event'],
      value: fc.oneof(fc.constant(''), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(REMOVE)),
    },
  ];
  // A join falls back to createdAt only when the participant has no join time; elsewhere createdAt is required.
  if (body.event !== 'participant_joined')
    common.push({ path: ['createdAt'], value: fc.oneof(notInt64Time, fc.constant(REMOVE)) });
  if (!participant) return common;
  return [
    ...common,
    { path: ['participant'], value: fc.oneof(notObject, fc.constant(REMOVE)) },
    { path: ['participant', 'sid'], value: fc.oneof(notText, fc.constant(REMOVE)) },
    { path: ['participant', 'identity'], value: fc.oneof(notText, fc.constant(REMOVE)) },
    { path: ['participant', 'joinedAt'], value: notInt64Time },
    { path: ['participant', 'joinedAtMs'], value: notInt64Time },
    { path: ['participant', 'name'], value: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)) },
    {
      path: ['participant', 'metadata'],
      value: fc.oneof(fc.integer(), fc.dictionary(fc.string(), fc.string(), { maxKeys: 1 })),
    },
    {
      path: ['participant', 'attributes'],
      value: fc.oneof(
        fc.string(),
        fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.integer(), fc.boolean()), { minKeys: 1, maxKeys: 2 }),
      ),
    },
  ];
}

function livekitValid(body: Record<string, unknown>): Mutation[] {
  const participant = 'participant' in body;
  const common: Mutation[] = [
    { path: ['room', 'emptyTimeout'], value: fc.jsonValue() },
    { path: ['room', 'metadata'], value: fc.jsonValue() },
    { path: ['extra'], value: fc.jsonValue() },
    // Another id, still unique (LiveKit's ids are): the key changes, the facts stay.
    {
      path: ['id'],
      value: fc.oneof(
        fc.uuid().map((uuid) => `EV_${uuid}`),
        fc.constant(REMOVE),
      ),
    },
  ];
  if (!participant) return common;
  return [
    ...common,
    { path: ['participant', 'name'], value: fc.oneof(anyText, fc.constant(REMOVE)) },
    { path: ['participant', 'metadata'], value: fc.oneof(anyText, fc.json(), fc.constant(REMOVE)) },
    { path: ['participant', 'attributes'], value: fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }) },
    { path: ['participant', 'identity'], value: anyText.filter((s) => s.length > 0) },
    { path: ['participant', 'sid'], value: anyText.filter((s) => s.length > 0) },
    { path: ['participant', 'state'], value: fc.jsonValue() },
    { path: ['participant', 'tracks'], value: fc.jsonValue() },
  ];
}

function livekitOddTimes(body: Record<string, unknown>): Mutation[] {
  const int = fc.oneof(
    fc.integer({ min: 1, max: 8_000_000_000_000 }).map(String),
    fc.integer({ min: 1, max: 8_000_000_000_000 }),
  );
  if (body.event === 'participant_joined')
    return [
      { path: ['participant', 'joinedAtMs'], value: fc.integer({ min: 1, max: 8_000_000_000_000_000 }).map(String) },
    ];
  return [{ path: ['createdAt'], value: int }];
}

// ---- case generation -------------------------------------------------------------------------------------

const sample = <T>(arbitrary: fc.Arbitrary<T>, count: number, seed: number): T[] =>
  fc.sample(arbitrary, { numRuns: count, seed });

/** `count` bodies, the i-th made by one mutation of `table` applied to real body number `first + i` (bases never repeat). */
function mutated(
  endpoint: Endpoint,
  room: Rooms,
  first: number,
  table: (body: Record<string, unknown>) => Mutation[],
  count: number,
  seed: number,
): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => {
    const base = realBody(endpoint, room, first + i);
    const arbitrary = fc
      .constantFrom(...table(base))
      .chain((mutation) => mutation.value.map((value) => setPath(base, mutation.path, value)));
    return sample(arbitrary, 1, seed * 100_003 + i)[0]!;
  });
}

const buffer = (value: unknown) => Buffer.from(JSON.stringify(value));

/** An arbitrary's bodies classified by the rule above: unknown event string → ignored, known → dropped, else 400. */
function classifyJson(endpoint: Endpoint, value: unknown): Expectation | undefined {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const event = (value as { event?: unknown }).event;
    if (typeof event === 'string' && event.length > 0)
      return isKnown(endpoint, event) ? undefined : { kind: 'ignored' };
  }
  return { kind: 'status', status: [400] };
}

export interface GenerateOptions {
  /** Roughly this many cases per endpoint. */
  perEndpoint: number;
  seed: number;
  /** The registered room whose real bodies are sent unsigned or badly signed: it must stay untouched. */
  seeded: Rooms;
  /** The room with no session that mutated-but-valid bodies are about. */
  fuzz: Rooms;
}

const UNAUTHORIZED: Expectation = { kind: 'status', status: [401] };
const INVALID: Expectation = { kind: 'status', status: [400] };

/** Every fuzz case for one endpoint, in shares of `perEndpoint` per category. */
export function generateCases(endpoint: Endpoint, options: GenerateOptions): FuzzCase[] {
  const { perEndpoint: n, seed: baseSeed } = options;
  const seed = baseSeed + (endpoint === 'zoom' ? 0 : 1_000);
  const share = (fraction: number) => Math.max(10, Math.round(n * fraction));
  const cases: FuzzCase[] = [];
  const add = (
    category: string,
    body: Buffer,
    expect: Expectation,
    headers?: (body: Buffer) => Promise<Record<string, string>>,
  ) => {
    cases.push({
      category,
      endpoint,
      body,
      expect,
      headers: () => (headers ?? ((b: Buffer) => signedFor(endpoint, b)))(body),
    });
  };
  const seededBody = (i: number) => buffer(realBody(endpoint, options.seeded, i));
  const now = () => Math.floor(Date.now() / 1000);

  // 1. Unsigned: real events of the registered room with no, partial or empty credentials.
  const bare = { 'content-type': 'application/json' };
  for (let i = 0; i < share(0.06); i++) {
    const variants: Array<(body: Buffer) => Record<string, string>> =
      endpoint === 'zoom'
        ? [
            () => bare,
            () => ({ ...bare, 'x-zm-request-timestamp': String(now()) }),
            (b) => ({ ...bare, 'x-zm-signature': zoomHeadersRaw(b)['x-zm-signature']! }),
            (b) => ({ ...zoomHeadersRaw(b), 'x-zm-signature': '' }),
          ]
        : [
            () => bare,
            () => ({ ...bare, authorization: '' }),
            () => ({ ...bare, authorization: 'Bearer ' }),
            () => ({ ...bare, authorization: 'Bearer not.a.jwt' }),
            () => ({ ...bare, authorization: randomBytes(40).toString('base64url') }),
          ];
    const variant = variants[i % variants.length]!;
    add('unsigned', seededBody(i), UNAUTHORIZED, (b) => Promise.resolve(variant(b)));
  }

  // 2. Bad signatures: a foreign secret, a garbled signature, another scheme or issuer, alg none, another body's hash.
  for (let i = 0; i < share(0.08); i++) {
    if (endpoint === 'zoom') {
      const forgers: Array<(b: Buffer) => Record<string, string>> = [
        (b) => {
          const good = zoomHeadersRaw(b);
          return {
            ...good,
            'x-zm-signature': `v0=${createHmac('sha256', 'not-the-secret').update(`v0:${good['x-zm-request-timestamp']}:`).update(b).digest('hex')}`,
          };
        },
        (b) => {
          const good = zoomHeadersRaw(b);
          const sig = good['x-zm-signature']!;
          return { ...good, 'x-zm-signature': `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}` };
        },
        (b) => {
          const good = zoomHeadersRaw(b);
          return { ...good, 'x-zm-signature': good['x-zm-signature']!.replace('v0=', 'v1=') };
        },
        (b) => {
          const good = zoomHeadersRaw(b);
          return { ...good, 'x-zm-signature': good['x-zm-signature']!.toUpperCase() };
        },
        (b) => {
          const good = zoomHeadersRaw(b);
          return { ...good, 'x-zm-signature': good['x-zm-signature']!.slice(0, 40) };
        },
        (b) => {
          const good = zoomHeadersRaw(b);
          return { ...good, 'x-zm-request-timestamp': String(Number(good['x-zm-request-timestamp']) - 1) };
        },
        (b) => {
          const good = zoomHeadersRaw(b);
          return { ...good, 'x-zm-signature': `${good['x-zm-signature']}, ${good['x-zm-signature']}` };
        },
        (b) => ({ ...zoomHeadersRaw(b), 'x-zm-signature': `v0=${randomBytes(32).toString('hex')}` }),
        // Signed with the secret, but over the body re-serialised (what a JSON-re-encoding proxy would sign).
        (b) => zoomHeaders(JSON.stringify(JSON.parse(b.toString()), null, 1)),
      ];
      const forge = forgers[i % forgers.length]!;
      add('bad-signature', seededBody(i), UNAUTHORIZED, (b) => Promise.resolve(forge(b)));
    } else {
      const forgers: Array<(b: Buffer) => Promise<string>> = [
        (b) => livekitToken(b, { secret: 'another-secret-that-is-long-enough-000' }),
        (b) => livekitToken(b, { issuer: 'APIsomeoneElse' }),
        (b) => livekitToken(b, { hash: sha256(Buffer.concat([b, Buffer.from(' ')])) }),
        (b) => livekitToken(b, { hash: null }),
        async (b) => {
          const token = await livekitToken(b);
          return `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
        },
        (b) => {
          const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
          const claims = Buffer.from(
            JSON.stringify({ iss: LIVEKIT_KEY, exp: now() + 300, sha256: sha256(b) }),
          ).toString('base64url');
          return Promise.resolve(`${header}.${claims}.`);
        },
        async (b) =>
          (await signLiveKit(b.toString(), LIVEKIT_KEY, 'a-different-secret-of-32-characters-x')).authorization,
      ];
      const forge = forgers[i % forgers.length]!;
      add('bad-signature', seededBody(i), UNAUTHORIZED, async (b) => ({
        authorization: await forge(b),
        'content-type': 'application/webhook+json',
      }));
    }
  }

  // 3. Replayed (stale) and future-dated requests, correctly signed for their time; odd timestamp headers.
  const skews = sample(
    fc.oneof(fc.integer({ min: 301, max: 10 * 365 * 86_400 }), fc.integer({ min: -10 * 365 * 86_400, max: -301 })),
    share(0.05),
    seed + 3,
  );
  const oddTimestamps = ['abc', '-5', '1.5', '9999999999999', '1e9', '0x10'];
  for (const [i, skew] of skews.entries()) {
    if (endpoint === 'zoom') {
      add('stale', seededBody(i), UNAUTHORIZED, (b) =>
        Promise.resolve(
          i % 7 === 6
            ? { ...zoomHeadersRaw(b), 'x-zm-request-timestamp': oddTimestamps[i % oddTimestamps.length]! }
            : zoomHeadersRaw(b, now() - skew),
        ),
      );
    } else {
      // Expired longer ago than the 10 s tolerance, or not valid yet.
      add('stale', seededBody(i), UNAUTHORIZED, async (b) => ({
        authorization:
          skew > 0
            ? await livekitToken(b, { expSec: now() - skew, nbfSec: now() - skew - 300 })
            : await livekitToken(b, { nbfSec: now() - skew }),
        'content-type': 'application/webhook+json',
      }));
    }
  }

  // 4. Tampered: signed, then one byte changed, inserted or removed.
  const edits = sample(
    fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')),
    share(0.08),
    seed + 4,
  );
  for (const [which, at, byte, how] of edits) {
    const original = seededBody(which % 1_000);
    const position = at % original.length;
    const changed =
      how === 'flip'
        ? Buffer.from(original.map((b, j) => (j === position ? (b === byte ? b ^ 1 : byte) : b)))
        : how === 'insert'
          ? Buffer.concat([original.subarray(0, position), Buffer.from([byte]), original.subarray(position)])
          : Buffer.concat([original.subarray(0, position), original.subarray(position + 1)]);
    add('tampered', changed, UNAUTHORIZED, () => signedFor(endpoint, original));
  }

  // 5. Oversized: just over the limit and far over, signed and not.
  for (let i = 0; i < share(0.006); i++) {
    const size = MAX_WEBHOOK_BYTES + 1 + ((i * 7_919) % (200 * 1024));
    const base = JSON.stringify(realBody(endpoint, options.fuzz, i));
    const body = Buffer.from(`${base.slice(0, -1)},"pad":"${'x'.repeat(Math.max(0, size - base.length - 9))}"}`);
    // Unsigned and too big: refusing either reason first is right.
    add(
      'oversized',
      body,
      i % 2 === 0 ? { kind: 'status', status: [413] } : { kind: 'status', status: [401, 413] },
      i % 2 === 0 ? undefined : () => Promise.resolve(bare),
    );
  }

  // 6. Signed but not JSON: truncated real bodies, random text and bytes, a BOM, NUL bytes, deep nesting.
  const junk = sample(
    fc.oneof(
      fc.tuple(fc.nat(), fc.nat()).map(([which, cut]) => {
        const text = JSON.stringify(realBody(endpoint, options.fuzz, which % 1_000));
        return Buffer.from(text.slice(0, cut % text.length));
      }),
      fc.string({ unit: 'binary', maxLength: 300 }).map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
      fc.nat().map((which) => Buffer.from(`\ufeff${JSON.stringify(realBody(endpoint, options.fuzz, which % 1_000))}`)),
      fc
        .nat()
        .map((which) =>
          Buffer.from(JSON.stringify(realBody(endpoint, options.fuzz, which % 1_000)).replace('{', '{\u0000')),
        ),
      fc
        .integer({ min: 1_000, max: 100_000 })
        .map((depth) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth % 2 === 0 ? depth : depth - 1)}`)),
      fc
        .integer({ min: 1_000, max: 40_000 })
        .map((depth) => Buffer.from(`{"event":"x","a":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`)),
      fc
        .constantFrom(
          '',
          ' ',
          'null',
          'true',
          '0',
          '"event"',
          '[]',
          '{',
          '}',
          '{"event":}',
          "{'event':'x'}",
          'NaN',
          '{"event":"meeting.started",}',
        )
        .map((text) => Buffer.from(text)),
    ),
    share(0.12),
    seed + 6,
  );
  for (const body of junk) {
    let parsed: unknown;
    let json = true;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      json = false;
    }
    const expect = json ? classifyJson(endpoint, parsed) : INVALID;
    if (expect) add('not-json', body, expect);
  }

  // 7. Signed random JSON: values of every shape, objects with an `event` of every type.
  const values = sample(
    fc.oneof(
      fc.jsonValue(),
      fc.record({ event: fc.jsonValue(), payload: fc.jsonValue() }, { requiredKeys: [] }),
      fc.record(
        {
          event: fc.string(),
          room: fc.jsonValue(),
          participant: fc.jsonValue(),
          createdAt: fc.jsonValue(),
          payload: fc.jsonValue(),
        },
        { requiredKeys: ['event'] },
      ),
      fc.dictionary(
        fc.constantFrom('event', '__proto__', 'constructor', 'payload', 'room', 'participant'),
        fc.jsonValue(),
      ),
    ),
    share(0.16),
    seed + 7,
  );
  for (const value of values) {
    const expect = classifyJson(endpoint, value);
    if (expect) add('random-json', buffer(value), expect);
  }

  // 8. Well-signed unknown event types (a real body under another event name): 200, ignored.
  const names = sample(
    fc
      .oneof(
        fc.constantFrom(
          ...(endpoint === 'zoom'
            ? [
                'meeting.sharing_started',
                'recording.completed',
                'webinar.registration_created',
                'meeting.participant_waiting',
                'MEETING.STARTED',
                'meeting.started ',
                'meeting.participant_joined.x',
              ]
            : [
                'track_published',
                'track_unpublished',
                'egress_started',
                'ingress_ended',
                'PARTICIPANT_JOINED',
                'room_started ',
              ]),
        ),
        fc.string({ minLength: 1 }),
      )
      .filter((name) => !isKnown(endpoint, name)),
    share(0.05),
    seed + 8,
  );
  for (const [i, name] of names.entries())
    add('unknown-event', buffer({ ...realBody(endpoint, options.seeded, i), event: name }), { kind: 'ignored' });

  // 9. Real events (of the fuzz room) with one field missing or of the wrong type: 400.
  for (const body of mutated(
    endpoint,
    options.fuzz,
    0,
    endpoint === 'zoom' ? zoomInvalid : livekitInvalid,
    share(0.28),
    seed + 9,
  )) {
    // A mutation that leaves the event name an unknown string makes an ignored event, not an invalid one.
    const event = (body as { event?: unknown }).event;
    add(
      'invalid-field',
      buffer(body),
      typeof event === 'string' && event.length > 0 && !isKnown(endpoint, event) ? { kind: 'ignored' } : INVALID,
    );
  }

  // 10. Real events of the fuzz room mutated in ways that keep them valid: 200, accepted (and logged).
  for (const body of mutated(
    endpoint,
    options.fuzz,
    100_000,
    endpoint === 'zoom' ? zoomValid : livekitValid,
    share(0.04),
    seed + 10,
  ))
    add('valid-mutation', buffer(body), { kind: 'accepted' });

  // 11. Odd but well-formed times: accepted (and logged) or refused 400, nothing else.
  for (const body of mutated(
    endpoint,
    options.fuzz,
    200_000,
    endpoint === 'zoom' ? zoomOddTimes : livekitOddTimes,
    share(0.02),
    seed + 11,
  ))
    add('odd-time', buffer(body), { kind: 'accepted-or-400' });

  // 12. Zoom's endpoint validation: the HMAC of the token, or 400 when there is no usable token.
  if (endpoint === 'zoom') {
    const tokens = sample(
      fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.constantFrom('', null, 5, {})),
      share(0.01),
      seed + 12,
    );
    for (const token of tokens) {
      const body = buffer({ event: 'endpoint.url_validation', payload: { plainToken: token }, event_ts: Date.now() });
      add(
        'url-validation',
        body,
        typeof token === 'string' && token.length > 0 ? { kind: 'url-validation', plainToken: token } : INVALID,
      );
    }
  }
  return cases;
}

/** The HMAC Zoom expects back for a plainToken. */
export function encryptedToken(plainToken: string): string {
  return createHmac('sha256', ZOOM_SECRET).update(plainToken).digest('hex');
}

/** Times no JavaScript Date can hold (beyond ±8.64e15 ms): a time that cannot be a time is malformed: 400. */
export function outOfRangeCases(room: Rooms): FuzzCase[] {
  const cases: FuzzCase[] = [];
  for (const eventTs of [8_640_000_000_000_001, 8_700_000_000_000_000, Number.MAX_SAFE_INTEGER]) {
    const body = buffer({
      event: 'meeting.started',
      event_ts: eventTs,
      payload: { account_id: 'A', object: { id: room.zoom.meetingId, uuid: room.zoom.uuid, topic: 'range' } },
    });
    cases.push({
      category: 'time-out-of-range',
      endpoint: 'zoom',
      body,
      headers: () => signedFor('zoom', body),
      expect: INVALID,
    });
  }
  for (const createdAt of ['8640000000001', '99999999999999999999', `1${'0'.repeat(30)}`]) {
    const body = buffer({
      event: 'room_started',
      room: { sid: room.livekit.roomSid, name: room.livekit.roomName },
      id: `EV_range_${createdAt.length}`,
      createdAt,
    });
    cases.push({
      category: 'time-out-of-range',
      endpoint: 'livekit',
      body,
      headers: () => signedFor('livekit', body),
      expect: INVALID,
    });
  }
  return cases;
}

/** Real joins whose names hold text PostgreSQL cannot store: accepted and logged, or refused 400. */
export function hostileTextCases(room: Rooms, kind: keyof typeof HOSTILE_TEXT): FuzzCase[] {
  return HOSTILE_TEXT[kind].flatMap((text, i) =>
    PROVIDERS.map((endpoint): FuzzCase => {
      const base = realBody(endpoint, room, 300_000 + i * 3);
      const body = buffer(
        endpoint === 'zoom'
          ? setPath(base, ['payload', 'object', 'participant', 'user_name'], text)
          : setPath(base, ['participant', 'name'], text),
      );
      return {
        category: 'hostile-text',
        endpoint,
        body,
        headers: () => signedFor(endpoint, body),
        expect: { kind: 'accepted-or-400' },
      };
    }),
  );
}
