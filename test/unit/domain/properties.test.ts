/**
 * Properties over random but realistic session logs: several people with several connections, joins and
 * leaves (often at equal minutes, to exercise ties), meeting start/end, reconcile snapshots, report rows
 * and hard stops, scheduled or ad-hoc, with a roster and a user directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  applyEvent,
  attendanceFromState,
  calculateAttendance,
  calculatePresence,
  emptyState,
  presenceFromState,
  stateFromEvents,
  type AttendanceContext,
  type AttendanceEvent,
  type AttendancePolicy,
  type AttendanceState,
  type PersonRef,
} from '../../../src/domain/index.js';
import {
  T0,
  hardStop,
  joined,
  left,
  meetingEnded,
  meetingStarted,
  min,
  reconcile,
  reportRow,
  scheduled,
} from './builders.js';

/** PROPERTY_RUNS=20000 for a deeper search; the default keeps the suite fast. */
const RUNS = Number(process.env.PROPERTY_RUNS ?? 300);

/** Mostly whole minutes (ties are where ordering bugs live), sometimes any millisecond. */
const time = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -10, max: 90 }).map(min) },
  { weight: 1, arbitrary: fc.integer({ min: -10 * 60_000, max: 90 * 60_000 }).map((ms) => T0 + ms) },
);
const toMin = (t: number) => (t - T0) / 60_000;

const personArb = fc.record({
  email: fc.option(fc.constantFrom('p0@x.edu', 'P1@X.EDU', 'p2@x.edu', 'stranger@x.edu'), { nil: undefined }),
  ids: fc.option(fc.subarray(['u0', 'u1', 'u3', 'lk-9'], { minLength: 1 }), { nil: undefined }),
  /** Providers may name a person differently from one event to the next. */
  names: fc.array(fc.constantFrom('Ana', 'ana', 'Ana B.', 'Ben'), { minLength: 2, maxLength: 2 }),
});

const connectionArb = fc.record({
  owner: fc.nat({ max: 3 }),
  joins: fc.array(time, { maxLength: 3 }),
  leaves: fc.array(time, { maxLength: 3 }),
  reports: fc.array(fc.tuple(time, fc.integer({ min: 0, max: 60 })), { maxLength: 1 }),
  /** Leaves that carry only the guest key, as Zoom's often do. */
  bareLeaves: fc.boolean(),
  /** The meeting instance its events name (none: a session-wide fact). */
  instance: fc.constantFrom(undefined, 'A', 'B'),
  /** Leaves that carry the connection's join time (LiveKit), possibly a join that never arrived. */
  leaveJoinedAt: fc.option(time, { nil: undefined }),
  /** Leaves that moved to another room of the meeting (Zoom breakout rooms). */
  moved: fc.boolean(),
});

const logArb = fc
  .record({
    people: fc.array(personArb, { minLength: 4, maxLength: 4 }),
    connections: fc.array(connectionArb, { minLength: 1, maxLength: 7 }),
    meetingStart: fc.option(time, { nil: undefined }),
    meetingEnds: fc.array(fc.tuple(time, fc.constantFrom(undefined, 'A', 'B')), { maxLength: 3 }),
    hardStop: fc.option(time, { nil: undefined }),
    reconciles: fc.array(fc.record({ at: time, listed: fc.nat({ max: 127 }), withJoinedAt: fc.boolean() }), {
      maxLength: 4,
    }),
    scheduled: fc.boolean(),
    roster: fc.subarray(['u0', 'u1', 'u2']),
    policy: fc.constantFrom<AttendancePolicy>(
      { kind: 'percentage' },
      { kind: 'minimum-duration', minutes: 20 },
      { kind: 'percentage', presentPct: 60, graceMinutes: 5 },
    ),
    now: fc.option(time, { nil: undefined }),
  })
  .map((g) => {
    const refOf = (owner: number, variant = 0): PersonRef => {
      const p = g.people[owner]!;
      return {
        guestKey: `g${owner}`,
        name: p.names[variant]!,
        ...(p.email && { email: p.email }),
        ...(p.ids && { providerUserIds: p.ids }),
      };
    };
    const events: AttendanceEvent[] = [];
    g.connections.forEach((c, i) => {
      const id = `c${i}`;
      const ref = refOf(c.owner);
      const instance = c.instance !== undefined ? { instance: c.instance } : {};
      for (const at of c.joins) events.push(joined(id, ref, toMin(at), instance));
      for (const at of c.leaves) {
        // a bare leave (Zoom: only user_id) carries no join time; a described one may (LiveKit's joinedAt)
        const facts = {
          ...instance,
          moved: c.moved,
          ...(c.leaveJoinedAt !== undefined && !c.bareLeaves && { joinedAtMin: toMin(c.leaveJoinedAt) }),
        };
        events.push(
          left(
            c.bareLeaves ? `g${c.owner}` : id,
            c.bareLeaves ? { guestKey: ref.guestKey } : refOf(c.owner, 1),
            toMin(at),
            facts,
          ),
        );
      }
      for (const [at, minutes] of c.reports)
        events.push({ ...reportRow(id, ref, toMin(at), toMin(at) + minutes), ...instance });
    });
    if (g.meetingStart !== undefined) events.push(meetingStarted(toMin(g.meetingStart)));
    for (const [at, instance] of g.meetingEnds) events.push(meetingEnded(toMin(at), instance));
    if (g.hardStop !== undefined) events.push(hardStop(toMin(g.hardStop)));
    for (const r of g.reconciles) {
      const present = g.connections.flatMap((c, i) => {
        if ((r.listed & (1 << i)) === 0) return [];
        const joinedAtMin = r.withJoinedAt && c.joins[0] !== undefined ? toMin(c.joins[0]) : undefined;
        return [{ connection: `c${i}`, person: refOf(c.owner, 1), ...(joinedAtMin !== undefined && { joinedAtMin }) }];
      });
      events.push(reconcile(toMin(r.at), present));
    }
    const context: AttendanceContext = {
      session: {
        ...(g.scheduled ? scheduled(60) : {}),
        policy: g.policy,
        roster: g.roster.map((userId) => ({ userId, role: 'student' })),
      },
      users: [
        { userId: 'u0', email: 'P0@x.edu', name: 'Zero' },
        { userId: 'u1', email: 'p1@x.edu' },
        { userId: 'u3', name: 'Three' },
      ],
    };
    return { events, context, now: g.now, refOf, connectionCount: g.connections.length };
  });

/** The log's events shuffled, with some of them delivered again. */
const deliveredArb = logArb.chain((log) =>
  fc.record({
    log: fc.constant(log),
    order: fc.shuffledSubarray(log.events, { minLength: log.events.length, maxLength: log.events.length }),
    redelivered: fc.array(fc.nat(), { maxLength: 10 }),
    cut: fc.nat(),
  }),
);

const withRedeliveries = (order: AttendanceEvent[], redelivered: number[]) =>
  order.length === 0 ? order : [...order, ...redelivered.map((i) => structuredClone(order[i % order.length]!))];

test('any permutation and any duplication of the log give identical attendance', () => {
  fc.assert(
    fc.property(deliveredArb, ({ log, order, redelivered }) => {
      const expected = calculateAttendance({
        ...log.context,
        events: log.events,
        ...(log.now !== undefined && { now: log.now }),
      });
      const actual = calculateAttendance({
        ...log.context,
        events: withRedeliveries(order, redelivered),
        ...(log.now !== undefined && { now: log.now }),
      });
      assert.deepEqual(actual, expected);
    }),
    { numRuns: RUNS },
  );
});

test('attended time stays within the window; percentage within 0–100; cycles are well formed', () => {
  fc.assert(
    fc.property(logArb, (log) => {
      const result = calculateAttendance({
        ...log.context,
        events: log.events,
        ...(log.now !== undefined && { now: log.now }),
      });
      const windowMs = result.window ? result.window.end - result.window.start : 0;
      for (const p of result.people) {
        assert.ok(
          p.attendedMs >= 0 && p.attendedMs <= windowMs,
          `${p.personKey}: ${p.attendedMs} ms in a ${windowMs} ms window`,
        );
        assert.ok(p.percentage >= 0 && p.percentage <= 100);
        for (const c of p.cycles) {
          assert.equal(c.leftAt === undefined, c.closedBy === undefined);
          if (c.leftAt !== undefined) assert.ok(c.leftAt >= c.joinedAt);
        }
      }
    }),
    { numRuns: RUNS },
  );
});

test('adding a cycle never lowers anyone’s attended time', () => {
  const extraArb = fc.record({
    from: time,
    minutes: fc.integer({ min: 0, max: 60 }),
    asReportRow: fc.boolean(),
    like: fc.nat(),
  });
  fc.assert(
    fc.property(logArb, extraArb, (log, extra) => {
      // the new connection belongs to an existing person, described exactly as their other connections are
      const ref = log.refOf(extra.like % 4);
      const [from, to] = [toMin(extra.from), toMin(extra.from) + extra.minutes];
      const added = extra.asReportRow
        ? [reportRow('extra', ref, from, to)]
        : [joined('extra', ref, from), left('extra', ref, to)];
      const now = log.now !== undefined ? { now: log.now } : {};
      const before = calculateAttendance({ ...log.context, events: log.events, ...now });
      const after = calculateAttendance({ ...log.context, events: [...log.events, ...added], ...now });
      for (const p of before.people) {
        const q = after.people.find((x) => x.personKey === p.personKey);
        assert.ok(q && q.attendedMs >= p.attendedMs, `${p.personKey}: ${p.attendedMs} → ${q?.attendedMs}`);
      }
    }),
    { numRuns: RUNS },
  );
});

test('incremental state (any order, JSON round trip midway) equals the from-scratch computation', () => {
  fc.assert(
    fc.property(deliveredArb, time, ({ log, order, redelivered, cut }, presenceAt) => {
      const delivered = withRedeliveries(order, redelivered);
      let state: AttendanceState = emptyState();
      delivered.forEach((event, i) => {
        if (i === cut % (delivered.length + 1)) state = JSON.parse(JSON.stringify(state)) as AttendanceState;
        applyEvent(state, event);
      });
      assert.deepEqual(state, stateFromEvents(log.events));
      assert.deepEqual(
        attendanceFromState(state, log.context, log.now),
        calculateAttendance({ ...log.context, events: log.events, ...(log.now !== undefined && { now: log.now }) }),
      );
      assert.deepEqual(
        presenceFromState(state, log.context, presenceAt),
        calculatePresence({ ...log.context, events: log.events, now: presenceAt }),
      );
      // every event is now known: applying any again reports no change
      for (const event of delivered) assert.equal(applyEvent(state, event), false);
    }),
    { numRuns: RUNS },
  );
});
