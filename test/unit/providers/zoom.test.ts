import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttendanceEvent } from '../../../src/domain/events.js';
import {
  answerUrlValidation,
  parseZoomWebhook,
  verifyZoomSignature,
  type ZoomParsedWebhook,
} from '../../../src/providers/zoom.js';
import {
  zoomMeetingEnded,
  zoomMeetingStarted,
  zoomParticipantJoined,
  zoomParticipantLeft,
  type ZoomParticipantOptions,
} from '../../support/sign.js';
import vectors from '../../fixtures/providers/vectors.json' with { type: 'json' };
import breakout from '../../fixtures/providers/zoom-breakout.json' with { type: 'json' };
import { calculateAttendance } from '../../../src/domain/index.js';

const { secretToken, signature: sigVector, urlValidation } = vectors.zoom;
const vectorClockMs = Number(sigVector.timestamp) * 1000;
const T0 = Date.parse('2026-03-02T09:00:00Z');
const MIN = 60_000;

function verifyVector(overrides: Partial<Parameters<typeof verifyZoomSignature>[0]> = {}) {
  return verifyZoomSignature({
    rawBody: Buffer.from(sigVector.body, 'utf8'),
    timestamp: sigVector.timestamp,
    signature: sigVector.header,
    secret: secretToken,
    nowMs: vectorClockMs,
    ...overrides,
  });
}

function eventsOf(parsed: ZoomParsedWebhook) {
  if (parsed.type !== 'events') assert.fail(`expected events, got ${JSON.stringify(parsed)}`);
  return parsed;
}

/** The meeting instance an event names (a hard stop names none). */
const instanceOf = (event: AttendanceEvent) => ('instance' in event ? event.instance : undefined);

function onlyEvent(body: unknown): AttendanceEvent {
  const { events } = eventsOf(parseZoomWebhook(body));
  assert.equal(events.length, 1);
  return events[0]!;
}

function invalidMessage(body: unknown): string {
  const parsed = parseZoomWebhook(body);
  if (parsed.type !== 'invalid') assert.fail(`expected invalid, got ${JSON.stringify(parsed)}`);
  return parsed.message;
}

const withoutKey = ({ key: _key, ...rest }: AttendanceEvent) => rest;

describe('verifyZoomSignature', () => {
  it('accepts the vector with the clock at its timestamp', () => {
    assert.deepEqual(verifyVector(), { ok: true });
  });

  it('rejects the same vector at the real clock as stale', () => {
    assert.deepEqual(verifyVector({ nowMs: Date.now() }), { ok: false, reason: 'stale-timestamp' });
  });

  it('allows up to 5 minutes of skew in either direction, not more', () => {
    assert.deepEqual(verifyVector({ nowMs: vectorClockMs + 5 * MIN }), { ok: true });
    assert.deepEqual(verifyVector({ nowMs: vectorClockMs - 5 * MIN }), { ok: true });
    assert.deepEqual(verifyVector({ nowMs: vectorClockMs + 5 * MIN + 1000 }), { ok: false, reason: 'stale-timestamp' });
    assert.deepEqual(verifyVector({ nowMs: vectorClockMs - 5 * MIN - 1000 }), { ok: false, reason: 'stale-timestamp' });
  });

  it('rejects a tampered body, a wrong secret, a different signed timestamp and a truncated signature', () => {
    const tampered = Buffer.from(sigVector.body.replace('Jill Chill', 'Jill Chilm'), 'utf8');
    assert.deepEqual(verifyVector({ rawBody: tampered }), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(verifyVector({ secret: `${secretToken}x` }), { ok: false, reason: 'bad-signature' });
    const otherTs = String(Number(sigVector.timestamp) + 1);
    assert.deepEqual(verifyVector({ timestamp: otherTs }), { ok: false, reason: 'bad-signature' });
    assert.deepEqual(verifyVector({ signature: sigVector.header.slice(0, -2) }), {
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('hashes the body as UTF-8 bytes (the vector topic has a non-ASCII dash)', () => {
    assert.deepEqual(verifyVector({ rawBody: Buffer.from(sigVector.body, 'latin1') }), {
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses missing or repeated headers, non-numeric timestamps and an empty secret', () => {
    assert.deepEqual(verifyVector({ signature: undefined }), { ok: false, reason: 'missing-headers' });
    assert.deepEqual(verifyVector({ timestamp: '' }), { ok: false, reason: 'missing-headers' });
    assert.deepEqual(verifyVector({ signature: [sigVector.header, sigVector.header] }), {
      ok: false,
      reason: 'missing-headers',
    });
    assert.deepEqual(verifyVector({ timestamp: `${sigVector.timestamp}.0` }), { ok: false, reason: 'bad-timestamp' });
    assert.deepEqual(verifyVector({ secret: '' }), { ok: false, reason: 'no-secret' });
  });
});

describe('endpoint.url_validation', () => {
  it('answers with the vector encryptedToken', () => {
    assert.deepEqual(answerUrlValidation(urlValidation.plainToken, secretToken), {
      plainToken: urlValidation.plainToken,
      encryptedToken: urlValidation.encryptedToken,
    });
  });

  it('is recognised by the parser, and a missing plainToken is named', () => {
    assert.deepEqual(parseZoomWebhook(JSON.parse(urlValidation.body)), {
      type: 'url_validation',
      plainToken: urlValidation.plainToken,
    });
    assert.match(invalidMessage({ event: 'endpoint.url_validation', payload: {} }), /payload\.plainToken:/);
  });
});

describe('parseZoomWebhook: normalisation', () => {
  it('normalises the vector participant_joined', () => {
    const parsed = eventsOf(parseZoomWebhook(JSON.parse(sigVector.body)));
    assert.deepEqual(parsed.room, {
      provider: 'zoom',
      roomId: '85746065432',
      instanceId: '4444AAAiAAAAAiAiAiiAii==',
      topic: 'Algebra 2 — period 3',
      startTime: Date.parse('2025-11-21T10:28:11Z'),
    });
    const [event] = parsed.events;
    assert.ok(event);
    assert.match(event.key, /^zoom:[\w-]{22}$/);
    assert.deepEqual(withoutKey(event), {
      kind: 'joined',
      at: Date.parse('2025-11-21T10:30:00Z'),
      source: 'webhook',
      instance: '4444AAAiAAAAAiAiAiiAii==',
      connection: '6BD1A2C0-6E03-4A42-8A4E-2C5C0B8E1F00',
      // id is '' and registrant_id null: neither becomes a provider user id.
      person: { guestKey: '6BD1A2C0-6E03-4A42-8A4E-2C5C0B8E1F00', email: 'jchill@example.com', name: 'Jill Chill' },
    });
  });

  it('times a left by leave_time, else by event_ts (webinars may omit leave_time)', () => {
    const left = onlyEvent(
      zoomParticipantLeft({ participantUuid: 'P-1', leaveTime: T0 + 30 * MIN, eventTs: T0 + 31 * MIN }),
    );
    assert.equal(left.kind, 'left');
    assert.equal(left.at, T0 + 30 * MIN);
    assert.equal(left.kind === 'left' && left.connection, 'P-1');
    const noLeaveTime = onlyEvent(
      zoomParticipantLeft({ scope: 'webinar', participantUuid: 'P-1', eventTs: T0 + 31 * MIN }),
    );
    assert.equal(noLeaveTime.at, T0 + 31 * MIN);
  });

  it('times meeting.started by start_time and meeting.ended by end_time, else by event_ts', () => {
    const started = onlyEvent(zoomMeetingStarted({ startTime: T0, eventTs: T0 + 2000 }));
    assert.deepEqual([started.kind, started.at], ['meeting-started', T0]);
    const ended = onlyEvent(zoomMeetingEnded({ endTime: T0 + 60 * MIN, eventTs: T0 + 61 * MIN }));
    assert.deepEqual([ended.kind, ended.at], ['meeting-ended', T0 + 60 * MIN]);

    const bareEnd = zoomMeetingEnded({ endTime: T0 + 60 * MIN, eventTs: T0 + 61 * MIN });
    delete (bareEnd.payload.object as { end_time?: string }).end_time;
    assert.equal(onlyEvent(bareEnd).at, T0 + 61 * MIN);
    const bareStart = zoomMeetingStarted({ startTime: T0, eventTs: T0 + 2000 });
    delete (bareStart.payload.object as { start_time?: string }).start_time;
    assert.equal(onlyEvent(bareStart).at, T0 + 2000);
  });

  it('keys connections without participant_uuid by user_id, so a left (which has no join_time) pairs with its join', () => {
    const opts = { participantUuid: null, userId: '16778241' } as const;
    const joined = onlyEvent(zoomParticipantJoined({ ...opts, joinTime: T0 }));
    const left = onlyEvent(zoomParticipantLeft({ ...opts, leaveTime: T0 + MIN }));
    assert.equal(joined.kind === 'joined' && joined.connection, '16778241');
    assert.equal(left.kind === 'left' && left.connection, '16778241');
    assert.equal(joined.kind === 'joined' && joined.person.guestKey, '16778241');
  });

  it('builds the person from email and the non-empty provider ids', () => {
    const event = onlyEvent(
      zoomParticipantJoined({
        joinTime: T0,
        participantUuid: 'P-2',
        email: ' sam@example.com ',
        participantUserId: 'pu-9',
        registrantId: 'reg-4',
        zoomUserId: 'pu-9',
        userName: 'Sam',
      }),
    );
    assert.deepEqual(event.kind === 'joined' && event.person, {
      guestKey: 'P-2',
      email: 'sam@example.com',
      providerUserIds: ['pu-9', 'reg-4'],
      name: 'Sam',
    });
    const anonymous = onlyEvent(zoomParticipantJoined({ joinTime: T0, participantUuid: 'P-3', userName: '' }));
    assert.deepEqual(anonymous.kind === 'joined' && anonymous.person, { guestKey: 'P-3' });
  });

  it('accepts a numeric meeting id and user_id', () => {
    const body = zoomParticipantJoined({ joinTime: T0 });
    Object.assign(body.payload.object, { id: 85746065432 });
    Object.assign(body.payload.object.participant, { user_id: 16778240, participant_uuid: undefined });
    const parsed = eventsOf(parseZoomWebhook(JSON.parse(JSON.stringify(body))));
    assert.equal(parsed.room.roomId, '85746065432');
    assert.equal(parsed.events[0]?.kind === 'joined' && parsed.events[0].person.guestKey, '16778240');
  });

  it('normalises webinar.* exactly like meeting.* (only the dedupe key differs)', () => {
    const p: ZoomParticipantOptions = { participantUuid: 'P-4', email: 'a@b.c', registrantId: 'r-1', startTime: T0 };
    const pairs = [
      (scope: 'meeting' | 'webinar') => zoomMeetingStarted({ scope, startTime: T0 }),
      (scope: 'meeting' | 'webinar') => zoomMeetingEnded({ scope, endTime: T0 + 60 * MIN }),
      (scope: 'meeting' | 'webinar') => zoomParticipantJoined({ ...p, scope, joinTime: T0 + MIN }),
      (scope: 'meeting' | 'webinar') => zoomParticipantLeft({ ...p, scope, leaveTime: T0 + 9 * MIN }),
    ];
    for (const build of pairs) {
      const meeting = eventsOf(parseZoomWebhook(build('meeting')));
      const webinar = eventsOf(parseZoomWebhook(build('webinar')));
      assert.deepEqual(webinar.room, meeting.room);
      assert.deepEqual(webinar.events.map(withoutKey), meeting.events.map(withoutKey));
      assert.notEqual(webinar.events[0]?.key, meeting.events[0]?.key);
    }
  });
});

describe('parseZoomWebhook: meeting instances', () => {
  it('names the instance (object.uuid) on every event', () => {
    const uuid = 'q9Zr/3nYT2+u0ZC3sL4kOw==';
    for (const body of [
      zoomMeetingStarted({ uuid, startTime: T0 }),
      zoomMeetingEnded({ uuid, endTime: T0 + 60 * MIN }),
      zoomParticipantJoined({ uuid, joinTime: T0 }),
      zoomParticipantLeft({ uuid, leaveTime: T0 + MIN }),
      zoomParticipantJoined({ scope: 'webinar', uuid, joinTime: T0 }),
    ]) {
      assert.equal(instanceOf(onlyEvent(body)), uuid, body.event);
    }
  });

  it('an instance that ends does not close the participants of the next instance of the same meeting id', () => {
    const bodies = [
      zoomParticipantJoined({ uuid: 'first==', participantUuid: 'P-A', joinTime: T0 }),
      zoomMeetingEnded({ uuid: 'first==', endTime: T0 + 20 * MIN }),
      zoomParticipantJoined({ uuid: 'second==', participantUuid: 'P-B', joinTime: T0 + 10 * MIN }),
      zoomMeetingEnded({ uuid: 'second==', endTime: T0 + 50 * MIN }),
    ];
    const events = bodies.map(onlyEvent);
    const result = calculateAttendance({ session: { scheduledStart: T0, scheduledEnd: T0 + 60 * MIN }, events });
    assert.deepEqual(
      result.people.map((p) => [p.personKey, p.attendedSeconds]),
      [
        ['guest:P-A', 20 * 60],
        ['guest:P-B', 40 * 60],
      ],
    );
  });
});

describe('parseZoomWebhook: leaves', () => {
  it('a leave that carries join_time gives its cycle even if the join was lost; one without gives nothing', () => {
    const body = zoomParticipantLeft({ participantUuid: 'P-7', leaveTime: T0 + 30 * MIN });
    assert.equal(onlyEvent(body).kind === 'left' && 'joinedAt' in onlyEvent(body), false);
    Object.assign(body.payload.object.participant, { join_time: '2026-03-02T09:02:00Z' });
    const left = onlyEvent(body);
    assert.equal(left.kind === 'left' && left.joinedAt, T0 + 2 * MIN);
    const result = calculateAttendance({
      session: { scheduledStart: T0, scheduledEnd: T0 + 60 * MIN },
      events: [left],
    });
    assert.deepEqual(
      result.people.map((p) => p.cycles.map((c) => [c.joinedAt, c.leftAt])),
      [[[T0 + 2 * MIN, T0 + 30 * MIN]]],
    );
  });

  it('a leave_reason naming a breakout room or the main meeting is a move; other reasons are departures', () => {
    const moved = (leaveReason: string) => {
      const event = onlyEvent(zoomParticipantLeft({ participantUuid: 'P-8', leaveTime: T0, leaveReason }));
      return event.kind === 'left' && event.moved === true;
    };
    assert.equal(moved('left the meeting. Reason : left the meeting to join breakout room'), true);
    assert.equal(moved('left the meeting. Reason : left the meeting leave breakout room to join main meeting'), true);
    assert.equal(moved('left the meeting. Reason : left the meeting'), false);
    assert.equal(moved('got disconnected from the meeting. Reason : Client Close.'), false);
    assert.equal(moved('left the meeting. Reason : Host ended the meeting.'), false);
  });
});

describe('parseZoomWebhook: breakout rooms', () => {
  const session = {
    scheduledStart: Date.parse(breakout.session.scheduledStart),
    scheduledEnd: Date.parse(breakout.session.scheduledEnd),
  };
  const parsed = breakout.bodies.map((body) => eventsOf(parseZoomWebhook(body)));

  it('breakout room events belong to the parent meeting: its room and instance', () => {
    const [, joinedRoom, , leftRoom] = parsed;
    for (const p of [joinedRoom!, leftRoom!]) {
      assert.deepEqual(p.room, {
        provider: 'zoom',
        roomId: '85746065432',
        instanceId: 'm4InMeEtInGuU1d+Aa0zQw==',
        topic: 'Biology, period 2',
        startTime: Date.parse('2026-03-02T09:58:41Z'),
      });
      assert.equal(p.events[0] && instanceOf(p.events[0]), 'm4InMeEtInGuU1d+Aa0zQw==');
    }
    const joined = joinedRoom!.events[0]!;
    assert.equal(joined.kind, 'joined');
    assert.equal(joined.at, Date.parse('2026-03-02T10:20:01Z'));
    // a connection of its own (a move's leave never closes the main room's connection), the same person
    assert.equal(
      joined.kind === 'joined' && joined.connection,
      '6BD1A2C0-6E03-4A42-8A4E-2C5C0B8E1F00@breakout:bR3akOuT+r0oM1uUiDAAAA==',
    );
    assert.equal(joined.kind === 'joined' && joined.person.guestKey, '6BD1A2C0-6E03-4A42-8A4E-2C5C0B8E1F00');
    const left = leftRoom!.events[0]!;
    assert.deepEqual(left.kind === 'left' && [left.at, left.moved], [Date.parse('2026-03-02T10:40:00Z'), true]);
  });

  it('main → breakout → main is continuous presence, whatever order the moves are notified in', () => {
    const events = parsed.flatMap((p) => p.events);
    for (const order of [events, [...events].reverse()]) {
      const [jill] = calculateAttendance({ session, events: order }).people;
      // 10:00:05 to 10:45:00 without a gap: 44 min 55 s (the 2 s of the move back would be lost otherwise)
      assert.equal(jill?.attendedSeconds, 44 * 60 + 55);
      assert.equal(jill?.personKey, 'guest:6BD1A2C0-6E03-4A42-8A4E-2C5C0B8E1F00');
      assert.equal(jill?.lastLeave, Date.parse('2026-03-02T10:45:00Z'));
    }
  });

  it('leaving the meeting from a breakout room is a departure, not a move', () => {
    const body = structuredClone(breakout.bodies[3]!) as {
      payload: { object: { participant: Record<string, unknown> } };
    };
    body.payload.object.participant.leave_reason = 'got disconnected from the meeting. Reason : Client Close.';
    const left = onlyEvent(body);
    assert.equal(left.kind === 'left' && left.moved, undefined);
  });

  it('without parent ids a breakout event is malformed', () => {
    const body = structuredClone(breakout.bodies[1]!) as { payload: { object: Record<string, unknown> } };
    delete body.payload.object.breakout_room_uuid;
    assert.match(invalidMessage(body), /^payload\.object\.breakout_room_uuid: /);
  });
});

describe('parseZoomWebhook: dedupe keys', () => {
  const join = { participantUuid: 'P-5', joinTime: T0 };

  it('gives a redelivery the same key even if re-serialised, re-timed to the millisecond, or re-stamped', () => {
    const first = onlyEvent(zoomParticipantJoined({ ...join, eventTs: T0 + 1000 }));
    const body = zoomParticipantJoined({ ...join, eventTs: T0 + 9000 });
    Object.assign(body.payload.object.participant, { join_time: new Date(T0).toISOString() }); // "...00.000Z"
    const reordered = JSON.parse(
      JSON.stringify({ payload: body.payload, event_ts: body.event_ts, event: body.event }),
    ) as unknown;
    assert.equal(onlyEvent(reordered).key, first.key);
  });

  it('gives different facts different keys', () => {
    const base = onlyEvent(zoomParticipantJoined(join)).key;
    const variants = [
      zoomParticipantJoined({ ...join, joinTime: T0 + 1000 }), // a rejoin
      zoomParticipantJoined({ ...join, participantUuid: 'P-6' }), // someone else
      zoomParticipantJoined({ ...join, uuid: 'other-instance==' }), // the next occurrence of a recurring meeting
      zoomParticipantLeft({ participantUuid: 'P-5', leaveTime: T0 }), // a leave at the same instant
    ];
    const keys = variants.map((body) => onlyEvent(body).key);
    assert.equal(new Set([base, ...keys]).size, 5, keys.join(' '));
  });
});

describe('parseZoomWebhook: ignored and invalid bodies', () => {
  it('ignores well-formed unknown events', () => {
    for (const event of [
      'recording.completed',
      'meeting.sharing_started',
      'meeting.participant_jbh_joined',
      'webinar.participant_joined.extra',
    ]) {
      assert.deepEqual(parseZoomWebhook({ event, payload: {} }), { type: 'ignored', event });
    }
  });

  it('names the field path of a malformed known event', () => {
    const badTime = zoomParticipantJoined({ joinTime: T0 });
    Object.assign(badTime.payload.object.participant, { join_time: '21/11/2025 10:30' });
    assert.match(invalidMessage(badTime), /^payload\.object\.participant\.join_time: expected ISO date-time$/);

    const noUuid = zoomMeetingEnded({ endTime: T0 });
    delete (noUuid.payload.object as { uuid?: string }).uuid;
    assert.match(invalidMessage(noUuid), /^payload\.object\.uuid: /);

    assert.match(invalidMessage({ ...zoomMeetingStarted({ startTime: T0 }), event_ts: 'now' }), /^event_ts: /);
    assert.match(
      invalidMessage({ event: 'webinar.participant_left', event_ts: T0, payload: {} }),
      /^payload\.object: /,
    );
  });

  it('reports at most three issues', () => {
    const message = invalidMessage({ event: 'meeting.participant_left', payload: { object: { participant: {} } } });
    assert.equal(message.split('; ').length, 3);
    assert.match(message, /\(\+\d+ more\)$/);
  });

  it('rejects bodies that are not event objects', () => {
    assert.match(invalidMessage(null), /^\(body\): /);
    assert.match(invalidMessage([]), /^\(body\): /);
    assert.match(invalidMessage({ event: 42 }), /^event: /);
  });
});

describe('provider times', () => {
  it('refuses times that are no date of this era as invalid, naming the event', () => {
    for (const eventTs of [8_640_000_000_000_001, 9_007_199_254_740_991, 1]) {
      const parsed = parseZoomWebhook({
        event: 'meeting.started',
        event_ts: eventTs,
        payload: { account_id: 'A', object: { id: '1', uuid: 'u==', topic: 't' } },
      });
      assert.equal(parsed.type, 'invalid');
      assert.match(
        parsed.type === 'invalid' ? parsed.message : '',
        /meeting-started time .* is not a date between 2000 and 2100/,
      );
    }
  });
});
