import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyEvent,
  calculatePresence,
  PresenceCache,
  presenceFromState,
  stateFromEvents,
  type AttendanceEvent,
} from '../../../src/domain/index.js';
import { joined, left, meetingEnded, min, reconcile, scheduled, who } from './builders.js';

const ana = who('g-ana');
const ben = who('g-ben');
const cleo = who('g-cleo');

const classInProgress: AttendanceEvent[] = [
  joined('a1', ana, 0),
  left('a1', ana, 20),
  joined('a1', ana, 30), // Ana rejoined: her current presence starts at 30
  joined('b-phone', ben, 10),
  joined('b-laptop', ben, 25),
  left('b-laptop', ben, 40), // Ben still on his phone: continuous since 10
  joined('c1', cleo, 5),
  left('c1', cleo, 15),
];

test('who is in the room now, since when, current and total seconds', () => {
  const presence = calculatePresence({ session: scheduled(), events: classInProgress, now: min(45) });
  assert.deepEqual(
    presence.inRoom.map(({ personKey, since, currentSeconds, totalSeconds, connections }) => ({
      personKey,
      since,
      currentSeconds,
      totalSeconds,
      connections,
    })),
    [
      // Ana: 0–20 + 30–45 = 35 min so far; current 15 min
      { personKey: 'guest:g-ana', since: min(30), currentSeconds: 900, totalSeconds: 2100, connections: 1 },
      // Ben: 10–45 across two devices, counted once
      { personKey: 'guest:g-ben', since: min(10), currentSeconds: 2100, totalSeconds: 2100, connections: 1 },
    ],
  );
  assert.deepEqual(presence.counts, { inRoom: 2, guestsInRoom: 2, seen: 3 });
  assert.equal(presence.at, min(45));
});

test('before the scheduled start: in the room, but no attended time yet', () => {
  const presence = calculatePresence({ session: scheduled(), events: [joined('a1', ana, -10)], now: min(-5) });
  assert.deepEqual(
    presence.inRoom.map(({ since, currentSeconds, totalSeconds }) => ({ since, currentSeconds, totalSeconds })),
    [{ since: min(-10), currentSeconds: 300, totalSeconds: 0 }],
  );
});

test('a connection the reconcile found gone is not in the room', () => {
  const presence = calculatePresence({
    session: scheduled(),
    events: [joined('a1', ana, 0), joined('b1', ben, 0), reconcile(10, [{ connection: 'b1', person: ben }])],
    now: min(12),
  });
  assert.deepEqual(
    presence.inRoom.map((p) => p.personKey),
    ['guest:g-ben'],
  );
});

test('after the meeting ended nobody is in the room', () => {
  const presence = calculatePresence({
    session: scheduled(),
    events: [...classInProgress, meetingEnded(50)],
    now: min(55),
  });
  assert.deepEqual(presence.inRoom, []);
  assert.deepEqual(presence.counts, { inRoom: 0, guestsInRoom: 0, seen: 3 });
});

test('someone who left exactly now is not in the room', () => {
  const presence = calculatePresence({ session: scheduled(), events: classInProgress, now: min(40) });
  // Ben's laptop left at 40, his phone keeps him in: one connection
  assert.deepEqual(
    presence.inRoom.map((p) => [p.personKey, p.connections]),
    [
      ['guest:g-ana', 1],
      ['guest:g-ben', 1],
    ],
  );
  const cleoLeaving = calculatePresence({ session: scheduled(), events: classInProgress, now: min(15) });
  assert.deepEqual(
    cleoLeaving.inRoom.map((p) => p.personKey),
    ['guest:g-ana', 'guest:g-ben'],
  );
});

test('presence at an earlier instant reads the closed cycles', () => {
  const presence = calculatePresence({ session: scheduled(), events: classInProgress, now: min(12) });
  // Ana (0–20), Ben (phone from 10) and Cleo (5–15) were all in at 12
  assert.deepEqual(
    presence.inRoom.map((p) => [p.personKey, p.since]),
    [
      ['guest:g-ana', min(0)],
      ['guest:g-ben', min(10)],
      ['guest:g-cleo', min(5)],
    ],
  );
});

test('presence kept between calls follows every change of the state, and of the roster it resolves against', () => {
  const state = stateFromEvents(classInProgress);
  const context = { session: scheduled() };
  const first = presenceFromState(state, context, min(45));
  assert.deepEqual(
    first.inRoom.map((p) => p.personKey),
    ['guest:g-ana', 'guest:g-ben'],
  );
  // nothing changed: the same answer (kept), and at another instant the cycles kept are read anew
  assert.deepEqual(presenceFromState(state, context, min(45)), first);
  assert.deepEqual(
    presenceFromState(state, context, min(12)).inRoom.map((p) => p.personKey),
    ['guest:g-ana', 'guest:g-ben', 'guest:g-cleo'],
  );
  // a new fact
  const dan = who('g-dan', { providerUserIds: ['u-dan'] });
  assert.equal(applyEvent(state, joined('d1', dan, 44)), true);
  assert.deepEqual(
    presenceFromState(state, context, min(45)).inRoom.map((p) => p.personKey),
    ['guest:g-ana', 'guest:g-ben', 'guest:g-dan'],
  );
  // a duplicate changes nothing
  assert.equal(applyEvent(state, joined('d1', dan, 44)), false);
  // the same state against a roster: Dan is a known student now
  const roster = [{ userId: 'u-dan', name: 'Dan' }];
  const withRoster = presenceFromState(state, { session: { ...scheduled(), roster } }, min(45));
  assert.deepEqual(
    withRoster.inRoom.map((p) => [p.personKey, p.guest]),
    [
      ['guest:g-ana', true],
      ['guest:g-ben', true],
      ['user:u-dan', false],
    ],
  );
  // an explicit cache, and a state parsed back from JSON, answer the same
  const copy = JSON.parse(JSON.stringify(state)) as typeof state;
  assert.deepEqual(
    presenceFromState(copy, { session: { ...scheduled(), roster } }, min(45), new PresenceCache()),
    withRoster,
  );
  assert.deepEqual(
    withRoster,
    calculatePresence({
      session: { ...scheduled(), roster },
      events: [...classInProgress, joined('d1', dan, 44)],
      now: min(45),
    }),
  );
});
