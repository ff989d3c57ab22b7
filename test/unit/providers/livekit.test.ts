import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeJwt, SignJWT } from 'jose';
import { AccessToken } from 'livekit-server-sdk';
import type { AttendanceEvent } from '../../../src/domain/events.js';
import type { ParsedWebhook } from '../../../src/providers/common.js';
import { parseLiveKitWebhook, verifyLiveKitWebhook } from '../../../src/providers/livekit.js';
import {
  livekitParticipantJoined,
  livekitParticipantLeft,
  livekitRoomFinished,
  livekitRoomStarted,
  signLiveKit,
} from '../../support/sign.js';
import vectors from '../../fixtures/providers/vectors.json' with { type: 'json' };
import { calculateAttendance } from '../../../src/domain/index.js';

const { apiKey, apiSecret, body: vectorBody, authorization: vectorToken } = vectors.livekit;
/** A clock inside the vector token's validity, independent of the machine clock. */
const vectorClockMs = (decodeJwt(vectorToken).nbf ?? 0) * 1000 + 60_000;
const T0 = Date.parse('2026-03-02T09:00:00Z');
const MIN = 60_000;

function verify(overrides: Partial<Parameters<typeof verifyLiveKitWebhook>[0]> = {}) {
  return verifyLiveKitWebhook({
    rawBody: Buffer.from(vectorBody, 'utf8'),
    authorization: vectorToken,
    apiKey,
    apiSecret,
    nowMs: vectorClockMs,
    ...overrides,
  });
}

function onlyEvent(parsed: ParsedWebhook): AttendanceEvent {
  if (parsed.type !== 'events') assert.fail(`expected events, got ${JSON.stringify(parsed)}`);
  assert.equal(parsed.events.length, 1);
  return parsed.events[0]!;
}

/** The meeting instance an event names (a hard stop names none). */
const instanceOf = (event: AttendanceEvent) => ('instance' in event ? event.instance : undefined);

/** A copy without some fields, as a sender that omits them would produce. */
function omit<T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> {
  const copy: Partial<T> = { ...value };
  for (const key of keys) delete copy[key];
  return copy as Omit<T, K>;
}

function invalidMessage(body: unknown): string {
  const parsed = parseLiveKitWebhook(body);
  if (parsed.type !== 'invalid') assert.fail(`expected invalid, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

describe('verifyLiveKitWebhook', () => {
  it('accepts the vector token for the vector body, with or without "Bearer "', async () => {
    assert.deepEqual(await verify(), { ok: true });
    assert.deepEqual(await verify({ authorization: `Bearer ${vectorToken}` }), { ok: true });
  });

  it('rejects the vector token for a tampered body', async () => {
    const tampered = Buffer.from(vectorBody.replace('"joinedAt":"1763721005"', '"joinedAt":"1763720005"'), 'utf8');
    assert.deepEqual(await verify({ rawBody: tampered }), { ok: false, reason: 'body-mismatch' });
  });

  it('rejects a wrong API key (issuer) and a wrong secret', async () => {
    assert.deepEqual(await verify({ apiKey: 'APIsomeoneElse' }), { ok: false, reason: 'bad-claims' });
    assert.deepEqual(await verify({ apiSecret: `${apiSecret}-not` }), { ok: false, reason: 'bad-signature' });
  });

  it('honours exp and nbf (5-minute tokens, 10 s tolerance)', async () => {
    const body = JSON.stringify(livekitRoomStarted({ at: T0 }));
    const mintedAt = Date.now();
    const { authorization } = await signLiveKit(body, apiKey, apiSecret);
    const at = (nowMs: number) => verify({ rawBody: Buffer.from(body), authorization, nowMs });
    assert.deepEqual(await at(mintedAt + 4 * MIN), { ok: true });
    assert.deepEqual(await at(mintedAt + 6 * MIN), { ok: false, reason: 'expired' });
    assert.deepEqual(await at(mintedAt - MIN), { ok: false, reason: 'bad-claims' });
  });

  it('requires exp and sha256 claims and HS256', async () => {
    const body = Buffer.from(vectorBody);
    const sha256 = createHash('sha256').update(body).digest('base64');
    const secret = new TextEncoder().encode(apiSecret);
    const noExp = await new SignJWT({ sha256 }).setProtectedHeader({ alg: 'HS256' }).setIssuer(apiKey).sign(secret);
    assert.deepEqual(await verify({ authorization: noExp, nowMs: undefined }), { ok: false, reason: 'bad-claims' });

    const noSha = await new AccessToken(apiKey, apiSecret, { ttl: 300 }).toJwt();
    assert.deepEqual(await verify({ authorization: noSha, nowMs: undefined }), { ok: false, reason: 'bad-claims' });

    const hs512 = await new SignJWT({ sha256 })
      .setProtectedHeader({ alg: 'HS512' })
      .setIssuer(apiKey)
      .setExpirationTime('5m')
      .sign(secret);
    assert.deepEqual(await verify({ authorization: hs512, nowMs: undefined }), {
      ok: false,
      reason: 'malformed-token',
    });
  });

  it('refuses a missing, repeated or garbage header and an empty secret', async () => {
    assert.deepEqual(await verify({ authorization: undefined }), { ok: false, reason: 'missing-authorization' });
    assert.deepEqual(await verify({ authorization: 'Bearer ' }), { ok: false, reason: 'missing-authorization' });
    assert.deepEqual(await verify({ authorization: [vectorToken, vectorToken] }), {
      ok: false,
      reason: 'missing-authorization',
    });
    assert.deepEqual(await verify({ authorization: 'not.a.jwt' }), { ok: false, reason: 'malformed-token' });
    assert.deepEqual(await verify({ apiSecret: '' }), { ok: false, reason: 'no-secret' });
  });
});

describe('parseLiveKitWebhook: normalisation', () => {
  it('normalises the vector participant_joined, preferring joinedAtMs', () => {
    const parsed = parseLiveKitWebhook(JSON.parse(vectorBody));
    assert.deepEqual(parsed, {
      type: 'events',
      room: { provider: 'livekit', roomId: 'algebra-2-p3', instanceId: 'RM_hycBMAjmt6Ub' },
      events: [
        {
          kind: 'joined',
          key: 'livekit:EV_3vDfWofby5m2',
          at: 1763721005312,
          source: 'webhook',
          instance: 'RM_hycBMAjmt6Ub',
          connection: 'PA_39FqalxXZbsA',
          person: { guestKey: 'user-1042', providerUserIds: ['user-1042'], name: 'Jill Chill' },
        },
      ],
    });
  });

  it('reads joinedAt (camelCase, seconds as a string) when joinedAtMs is absent: never createdAt or "now"', () => {
    const built = livekitParticipantJoined({ identity: 'u-7', joinedAt: T0 });
    const body = {
      ...built,
      createdAt: String((T0 + 5 * MIN) / 1000),
      participant: omit(built.participant, 'joinedAtMs'),
    };
    assert.equal(body.participant.joinedAt, String(T0 / 1000));
    assert.equal(onlyEvent(parseLiveKitWebhook(body)).at, T0);
    // Numbers are accepted as well as strings.
    const numeric = { ...body, participant: { ...body.participant, joinedAt: T0 / 1000 } };
    assert.equal(onlyEvent(parseLiveKitWebhook(numeric)).at, T0);
  });

  it('does not read snake_case joined_at (not protojson): falls back to createdAt', () => {
    const body = livekitParticipantJoined({ identity: 'u-7', joinedAt: T0 + 5 * MIN });
    const participant = { ...omit(body.participant, 'joinedAt', 'joinedAtMs'), joined_at: String(T0 / 1000) };
    const snake = { ...body, participant };
    assert.equal(onlyEvent(parseLiveKitWebhook(snake)).at, T0 + 5 * MIN);
  });

  it('times a leave by createdAt (seconds), and treats connection_aborted as a leave', () => {
    for (const aborted of [false, true]) {
      const body = livekitParticipantLeft({
        identity: 'u-8',
        sid: 'PA_8',
        joinedAt: T0,
        leftAt: T0 + 20 * MIN,
        aborted,
      });
      assert.equal(body.event, aborted ? 'participant_connection_aborted' : 'participant_left');
      const event = onlyEvent(parseLiveKitWebhook(body));
      assert.equal(event.kind, 'left');
      assert.equal(event.at, T0 + 20 * MIN);
      assert.equal(event.kind === 'left' && event.connection, 'PA_8');
      assert.equal(event.key, `livekit:${body.id}`);
    }
  });

  it('maps room_started and room_finished to meeting start and end at createdAt', () => {
    const started = onlyEvent(parseLiveKitWebhook(livekitRoomStarted({ at: T0 })));
    assert.deepEqual([started.kind, started.at], ['meeting-started', T0]);
    const finished = onlyEvent(parseLiveKitWebhook(livekitRoomFinished({ at: T0 + 45 * MIN })));
    assert.deepEqual([finished.kind, finished.at], ['meeting-ended', T0 + 45 * MIN]);
  });

  it('takes an email from attributes first, else from JSON metadata; free-text metadata gives none', () => {
    const person = (o: { attributes?: Record<string, string>; metadata?: string }) => {
      const event = onlyEvent(parseLiveKitWebhook(livekitParticipantJoined({ identity: 'u-9', joinedAt: T0, ...o })));
      return event.kind === 'joined' ? event.person.email : 'not a join';
    };
    assert.equal(person({ attributes: { email: 'a@x.org' }, metadata: '{"email":"m@x.org"}' }), 'a@x.org');
    assert.equal(person({ metadata: '{"email":"m@x.org","role":"student"}' }), 'm@x.org');
    assert.equal(person({ metadata: 'teacher' }), undefined);
    assert.equal(person({ metadata: '{"email":""}' }), undefined);
  });

  it('derives a stable key from the facts when the event id is absent', () => {
    const noId = omit(livekitParticipantJoined({ identity: 'u-10', joinedAt: T0 }), 'id');
    const key = onlyEvent(parseLiveKitWebhook(noId)).key;
    assert.match(key, /^livekit:[\w-]{22}$/);
    assert.equal(onlyEvent(parseLiveKitWebhook(JSON.parse(JSON.stringify(noId)))).key, key);
    const rejoin = { ...noId, participant: { ...noId.participant, sid: 'PA_other' } };
    assert.notEqual(onlyEvent(parseLiveKitWebhook(rejoin)).key, key);
  });
});

describe('parseLiveKitWebhook: instances and lost joins', () => {
  const session = { scheduledStart: T0, scheduledEnd: T0 + 60 * MIN };
  const events = (...bodies: unknown[]) => bodies.map((body) => onlyEvent(parseLiveKitWebhook(body)));

  it('names the room sid as the instance of every event', () => {
    const roomSid = 'RM_second0instance';
    for (const body of [
      livekitRoomStarted({ roomSid, at: T0 }),
      livekitRoomFinished({ roomSid, at: T0 + MIN }),
      livekitParticipantJoined({ roomSid, identity: 'u-1', joinedAt: T0 }),
      livekitParticipantLeft({ roomSid, identity: 'u-1', joinedAt: T0, leftAt: T0 + MIN }),
      livekitParticipantLeft({ roomSid, identity: 'u-1', joinedAt: T0, leftAt: T0 + MIN, aborted: true }),
    ]) {
      assert.equal(instanceOf(onlyEvent(parseLiveKitWebhook(body))), roomSid, body.event);
    }
  });

  it('participant_left carries the connection’s join time (joinedAtMs, else joinedAt seconds); connection_aborted does not', () => {
    const body = livekitParticipantLeft({ identity: 'u-2', joinedAt: T0 + 1234, leftAt: T0 + 20 * MIN });
    const left = onlyEvent(parseLiveKitWebhook(body));
    assert.equal(left.kind === 'left' && left.joinedAt, T0 + 1234);
    const secondsOnly = onlyEvent(parseLiveKitWebhook({ ...body, participant: omit(body.participant, 'joinedAtMs') }));
    assert.equal(secondsOnly.kind === 'left' && secondsOnly.joinedAt, T0 + 1000);
    const aborted = onlyEvent(
      parseLiveKitWebhook(livekitParticipantLeft({ identity: 'u-2', joinedAt: T0, leftAt: T0 + MIN, aborted: true })),
    );
    assert.equal('joinedAt' in aborted, false);
  });

  it('a participant_left whose join never arrived still gives the cycle [joinedAt, leave)', () => {
    const log = events(
      livekitParticipantLeft({ identity: 'u-3', sid: 'PA_3', joinedAt: T0 + 5 * MIN, leftAt: T0 + 35 * MIN }),
      livekitRoomFinished({ at: T0 + 60 * MIN }),
    );
    const [person] = calculateAttendance({ session, events: log }).people;
    assert.deepEqual(person?.cycles, [
      { connection: 'PA_3', joinedAt: T0 + 5 * MIN, leftAt: T0 + 35 * MIN, closedBy: 'left' },
    ]);
    assert.equal(person?.attendedSeconds, 30 * 60);
  });

  it('a connection aborted before its join arrived is not credited; one that was open is ended by it', () => {
    const neverActive = events(
      livekitParticipantLeft({
        identity: 'u-4',
        sid: 'PA_4',
        joinedAt: T0 + 5 * MIN,
        leftAt: T0 + 6 * MIN,
        aborted: true,
      }),
      livekitRoomFinished({ at: T0 + 60 * MIN }),
    );
    assert.deepEqual(calculateAttendance({ session, events: neverActive }).people, []);

    const dropped = events(
      livekitParticipantJoined({ identity: 'u-5', sid: 'PA_5', joinedAt: T0 }),
      livekitParticipantLeft({ identity: 'u-5', sid: 'PA_5', joinedAt: T0, leftAt: T0 + 10 * MIN, aborted: true }),
      livekitRoomFinished({ at: T0 + 60 * MIN }),
    );
    const [person] = calculateAttendance({ session, events: dropped }).people;
    assert.deepEqual(
      person?.cycles.map((c) => [c.leftAt, c.closedBy]),
      [[T0 + 10 * MIN, 'left']],
    );
  });

  it('a room that finished does not close the connections of the room recreated under the same name', () => {
    const log = events(
      livekitParticipantJoined({ roomSid: 'RM_old', identity: 'u-6', sid: 'PA_6', joinedAt: T0 }),
      livekitRoomFinished({ roomSid: 'RM_old', at: T0 + 10 * MIN }),
      livekitParticipantJoined({ roomSid: 'RM_new', identity: 'u-7', sid: 'PA_7', joinedAt: T0 + 5 * MIN }),
      livekitRoomFinished({ roomSid: 'RM_new', at: T0 + 45 * MIN }),
    );
    const result = calculateAttendance({ session, events: log });
    assert.deepEqual(
      result.people.map((p) => [p.personKey, p.attendedSeconds]),
      [
        ['guest:u-6', 10 * 60],
        ['guest:u-7', 40 * 60],
      ],
    );
  });
});

describe('parseLiveKitWebhook: ignored and invalid bodies', () => {
  it('ignores every other event type', () => {
    for (const event of ['track_published', 'track_unpublished', 'egress_started', 'egress_ended', 'ingress_started']) {
      assert.deepEqual(parseLiveKitWebhook({ event, room: { sid: 'RM_1', name: 'r' } }), { type: 'ignored', event });
    }
  });

  it('names the field path of a malformed known event', () => {
    const left = livekitParticipantLeft({ identity: 'u-11', joinedAt: T0, leftAt: T0 + MIN });
    assert.match(
      invalidMessage({ ...left, participant: { ...left.participant, sid: undefined } }),
      /^participant\.sid: /,
    );
    assert.match(invalidMessage({ ...left, createdAt: 'soon' }), /^createdAt: /);
    assert.match(invalidMessage({ ...livekitRoomStarted({ at: T0 }), room: { name: 'r' } }), /^room\.sid: /);

    const joined = livekitParticipantJoined({ identity: 'u-11', joinedAt: T0 });
    const timeless = { ...omit(joined, 'createdAt'), participant: omit(joined.participant, 'joinedAt', 'joinedAtMs') };
    assert.match(invalidMessage(timeless), /^participant\.joinedAtMs: no join time/);
  });

  it('rejects bodies that are not event objects', () => {
    assert.match(invalidMessage('participant_joined'), /^\(body\): /);
    assert.match(invalidMessage({ room: {} }), /^event: /);
  });
});

describe('strings PostgreSQL cannot store', () => {
  it('are made storable: NUL dropped, lone surrogates replaced, so an accepted event can always be logged', () => {
    const parsed = parseLiveKitWebhook({
      event: 'participant_joined',
      id: 'EV_\u0000x',
      createdAt: '1763721005',
      room: { sid: 'RM_1', name: 'r' },
      participant: { sid: 'PA_1', identity: 'ana\u0000', name: 'A\ud800na', joinedAt: '1763721005' },
    });
    assert.equal(parsed.type, 'events');
    const text = JSON.stringify(parsed);
    assert.ok(!text.includes('\\u0000') && !text.includes('\\ud800'), text);
    const [event] = parsed.type === 'events' ? parsed.events : [];
    assert.deepEqual(event?.kind === 'joined' && [event.key, event.person.guestKey, event.person.name], [
      'livekit:EV_x',
      'ana',
      'A\ufffdna',
    ]);
  });
});
