/**
 * The live view's timelines, kept fact by fact, against attendance computed from scratch from the same facts:
 * random logs (joins, leaves, moves, report rows, meeting ends, a hard stop, snapshots) delivered in random
 * batches, compared after every batch; and the work a tick does after one new join in a big room.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { calculateAttendance, type AttendanceContext, type AttendanceEvent } from '../../../src/domain/index.js';
import { LiveTimelines } from '../../../src/domain/live-timelines.js';
import {
  hardStop,
  joined,
  left,
  meetingEnded,
  meetingStarted,
  min,
  reconcile,
  reportRow,
  scheduled,
  who,
} from './builders.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 200);

const minute = fc.integer({ min: -10, max: 90 });
const refArb = fc.record({
  owner: fc.nat({ max: 3 }),
  email: fc.constantFrom<string | undefined>(undefined, 'p0@x.edu', 'P1@X.EDU', 'stranger@x.edu'),
  ids: fc.constantFrom<string[] | undefined>(undefined, ['u0'], ['u3'], ['lk-9']),
  name: fc.constantFrom<string>('Ana', 'ana', 'Ben'),
});
const eventArb = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(fc.constant('join' as const), fc.nat({ max: 5 }), refArb, minute, fc.boolean()) },
  { weight: 5, arbitrary: fc.tuple(fc.constant('leave' as const), fc.nat({ max: 5 }), refArb, minute, fc.boolean()) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('report' as const), fc.nat({ max: 5 }), refArb, minute, fc.boolean()) },
  { weight: 1, arbitrary: fc.tuple(fc.constant('other' as const), fc.nat({ max: 4 }), refArb, minute, fc.boolean()) },
);

function toEvent([kind, n, ref, at, flag]: [
  string,
  number,
  { owner: number; email?: string; ids?: string[]; name: string },
  number,
  boolean,
]): AttendanceEvent {
  const person = who(`g${ref.owner}`, {
    name: ref.name,
    ...(ref.email !== undefined && { email: ref.email }),
    ...(ref.ids !== undefined && { providerUserIds: ref.ids }),
  });
  const connection = `c${n}`;
  if (kind === 'join') return joined(connection, person, at, flag ? { instance: 'A' } : {});
  if (kind === 'leave') return left(connection, person, at, { moved: flag });
  if (kind === 'report') return reportRow(connection, person, at, at + 7);
  return [
    meetingStarted(at),
    meetingEnded(at, flag ? 'A' : undefined),
    hardStop(at),
    reconcile(at, flag ? [{ connection, person }] : []),
    meetingEnded(at),
  ][n]!;
}

const logArb = fc.record({
  events: fc.array(eventArb.map(toEvent), { maxLength: 30 }),
  batches: fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 8 }),
  scheduled: fc.boolean(),
  roster: fc.subarray(['u0', 'u1', 'u2']),
  now: minute,
  newDirectoryAt: fc.nat({ max: 8 }),
});

const USERS = [
  { userId: 'u0', email: 'P0@x.edu', name: 'Zero' },
  { userId: 'u1', email: 'p1@x.edu' },
];

test('timelines kept fact by fact equal the from-scratch calculation after every batch', () => {
  fc.assert(
    fc.property(logArb, (log) => {
      let context: AttendanceContext = {
        session: { ...(log.scheduled ? scheduled(60) : {}), roster: log.roster.map((userId) => ({ userId })) },
        users: USERS,
      };
      const live = new LiveTimelines(context);
      let from = 0;
      log.batches.forEach((size, b) => {
        // the directory grows as facts bring people the directory knows
        if (b === log.newDirectoryAt) context = { ...context, users: [...USERS, { userId: 'u3', name: 'Three' }] };
        const to = b === log.batches.length - 1 ? log.events.length : Math.min(log.events.length, from + size);
        live.add(log.events.slice(from, to));
        from = to;
        const now = min(log.now);
        const expected = calculateAttendance({ ...context, events: log.events.slice(0, to), now });
        const view = live.view(context, now);
        assert.deepEqual(view.window, expected.window);
        assert.deepEqual(
          view.people.map((t) => ({ ...t.identity, cycles: t.cycles })),
          expected.people
            .filter((p) => p.cycles.length > 0)
            .map(({ personKey, userId, email, name, role, guest, cycles }) => ({
              personKey,
              userId,
              email,
              name,
              role,
              guest,
              cycles,
            })),
        );
      });
    }),
    { numRuns: RUNS },
  );
});

test('after one new join in a big room, one connection is recomputed and every other timeline is kept as it was', () => {
  const roster = Array.from({ length: 2_000 }, (_, i) => ({ userId: `u${i}`, email: `s${i}@x.edu` }));
  const context: AttendanceContext = { session: { ...scheduled(60), roster } };
  const events = roster.flatMap(({ email }, i) => [
    joined(`c${i}`, who(`g${i}`, { email }), i % 30),
    left(`c${i}`, who(`g${i}`, { email }), 40 + (i % 20)),
  ]);
  const live = new LiveTimelines(context);
  live.add(events);
  const before = live.view(context, min(70)).people;
  assert.equal(live.recomputed, 2_000);

  live.add([joined('c7-again', who('g7', { email: 's7@x.edu' }), 65)]);
  const after = live.view(context, min(70)).people;
  assert.equal(live.recomputed, 1);
  assert.equal(after.length, before.length);
  const changed = after.filter((t, i) => t !== before[i]);
  assert.deepEqual(
    changed.map((t) => [t.identity.personKey, t.cycles.length]),
    [['user:u7', 2]],
  );
});
