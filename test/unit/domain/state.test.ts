import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyEvent,
  attendanceFromState,
  calculateAttendance,
  emptyState,
  type AttendanceEvent,
} from '../../../src/domain/index.js';
import { joined, left, meetingEnded, min, reconcile, scheduled, who } from './builders.js';

const ana = who('g-ana');

test('applyEvent tells a new fact from a duplicate, whatever the event key', () => {
  const state = emptyState();
  assert.equal(applyEvent(state, joined('c1', ana, 0)), true);
  assert.equal(applyEvent(state, joined('c1', ana, 0)), false);
  assert.equal(applyEvent(state, { ...joined('c1', ana, 0), key: 'redelivery-with-another-key' }), false);
  assert.equal(applyEvent(state, left('c1', ana, 10)), true);
  assert.equal(applyEvent(state, meetingEnded(60)), true);
  assert.equal(applyEvent(state, meetingEnded(60)), false);
});

test('a duplicate that says more about the person is a change', () => {
  const state = emptyState();
  applyEvent(state, joined('c1', ana, 0));
  assert.equal(applyEvent(state, joined('c1', who('g-ana', { email: 'Ana@School.edu' }), 0)), true);
  assert.equal(state.connections.c1?.person.email, 'ana@school.edu');
});

test('duplicates do not grow the state', () => {
  const state = emptyState();
  const events = [joined('c1', ana, 0), left('c1', ana, 10), reconcile(5, [{ connection: 'c1', person: ana }])];
  for (const e of events) applyEvent(state, e);
  const size = JSON.stringify(state).length;
  for (let i = 0; i < 1000; i++) applyEvent(state, events[i % events.length]!);
  assert.equal(JSON.stringify(state).length, size);
});

test('reconcile snapshots keep one number each, not one entry per snapshot per person', () => {
  const state = emptyState();
  const people = ['c1', 'c2', 'c3'].map((connection) => ({ connection, person: who(connection) }));
  for (let m = 0; m < 100; m++) applyEvent(state, reconcile(m, people));
  assert.equal(state.reconciles.length, 100);
  for (const { connection } of people) assert.deepEqual(state.connections[connection]?.listed, [[min(0), min(99)]]);
});

test('a late snapshot that did not list a connection splits its run', () => {
  const state = emptyState();
  applyEvent(state, reconcile(10, [{ connection: 'c1', person: ana }]));
  applyEvent(state, reconcile(30, [{ connection: 'c1', person: ana }]));
  assert.deepEqual(state.connections.c1?.listed, [[min(10), min(30)]]);
  applyEvent(state, reconcile(20, []));
  assert.deepEqual(state.connections.c1?.listed, [
    [min(10), min(10)],
    [min(30), min(30)],
  ]);
  // and a second snapshot at 20 that did list it joins the runs again (snapshots at one instant are a union)
  applyEvent(state, { ...reconcile(20, [{ connection: 'c1', person: ana }]), key: 'second-snapshot-at-20' });
  assert.deepEqual(state.connections.c1?.listed, [[min(10), min(30)]]);
});

test('state survives a JSON round trip and gives the same attendance', () => {
  const events: AttendanceEvent[] = [
    joined('c1', ana, 0),
    reconcile(10, [{ connection: 'c1', person: ana }]),
    reconcile(20, []),
    joined('c2', who('g-ben'), 5),
  ];
  const state = emptyState();
  for (const e of events) applyEvent(state, e);
  const copy: unknown = JSON.parse(JSON.stringify(state));
  assert.deepEqual(copy, state);
  assert.deepEqual(
    attendanceFromState(state, { session: scheduled() }),
    calculateAttendance({ session: scheduled(), events }),
  );
});

test('a provider id like __proto__ is an ordinary connection', () => {
  const state = emptyState();
  applyEvent(state, joined('__proto__', who('__proto__'), 0));
  applyEvent(state, left('__proto__', who('__proto__'), 30));
  const roundTripped = JSON.parse(JSON.stringify(state)) as typeof state;
  for (const s of [state, roundTripped]) {
    assert.deepEqual(
      attendanceFromState(s, { session: scheduled() }).people.map((p) => [p.personKey, p.attendedSeconds]),
      [['guest:__proto__', 1800]],
    );
  }
  assert.equal(Object.getPrototypeOf(state.connections), Object.prototype);
});

test('meetingEnds lists every end, whatever its instance; ends naming an instance are kept apart', () => {
  const state = emptyState();
  applyEvent(state, meetingEnded(50, 'B'));
  applyEvent(state, meetingEnded(30, 'A'));
  applyEvent(state, meetingEnded(40));
  assert.equal(applyEvent(state, meetingEnded(30, 'A')), false);
  assert.deepEqual(state.meetingEnds, [min(30), min(40), min(50)]);
  assert.deepEqual(state.sessionEnds, [min(40)]);
  assert.deepEqual(state.instanceEnds, { A: [min(30)], B: [min(50)] });
  // an end at a known time, naming another instance, is still a new fact
  assert.equal(applyEvent(state, meetingEnded(40, 'A')), true);
  assert.deepEqual(state.meetingEnds, [min(30), min(40), min(50)]);
});

test('a state saved before instances were recorded keeps its ends closing every connection', () => {
  const saved = { connections: {}, meetingStarts: [], meetingEnds: [min(40)], hardStops: [], reconciles: [] };
  const state = JSON.parse(JSON.stringify(saved)) as ReturnType<typeof emptyState>;
  applyEvent(state, joined('b1', who('g-ben'), 0, { instance: 'B' }));
  applyEvent(state, meetingEnded(50, 'C'));
  assert.deepEqual(state.sessionEnds, [min(40)]);
  assert.deepEqual(
    attendanceFromState(state, { session: scheduled() }).people.map((p) => p.cycles.map((c) => c.leftAt)),
    [[min(40)]],
  );
});
