/**
 * Every attendance rule as a named case. Expected values are computed by hand from the case (comments show
 * the arithmetic); the default session is scheduled 09:00–10:00 (minutes 0–60), so 1 % = 36 s.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  calculateAttendance,
  type AttendanceEvent,
  type AttendanceInput,
  type DirectoryUser,
  type SessionSettings,
} from '../../../src/domain/index.js';
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
import { assertPeople, type PersonView } from './expect.js';

interface Case {
  name: string;
  session?: SessionSettings;
  users?: DirectoryUser[];
  events: AttendanceEvent[];
  now?: number;
  expect: Record<string, PersonView>;
  /** The exact person keys reported, when the case is about who is reported. */
  everyone?: string[];
}

const ana = who('g-ana');
const ben = who('g-ben');
const MS = 1 / 60_000; // one millisecond, in minutes

function run(cases: Case[]): void {
  for (const c of cases) {
    test(c.name, () => {
      const input: AttendanceInput = { session: c.session ?? scheduled(), events: c.events };
      if (c.users) input.users = c.users;
      if (c.now !== undefined) input.now = c.now;
      assertPeople(calculateAttendance(input), c.expect, c.everyone);
    });
  }
}

describe('cycles: pairing joins and leaves', () => {
  run([
    {
      name: 'rejoins: attendance is the union of every cycle, not the last one',
      events: [joined('c1', ana, 0), left('c1', ana, 20), joined('c1', ana, 30), left('c1', ana, 60)],
      // 20 + 30 = 50 min = 3000 s = 83.33 %
      expect: {
        'guest:g-ana': {
          seconds: 3000,
          pct: 83.33,
          status: 'present',
          cycles: [
            ['c1', 0, 20, 'left'],
            ['c1', 30, 60, 'left'],
          ],
          lastLeave: 60,
        },
      },
    },
    {
      name: 'two devices overlapping are counted once',
      events: [joined('phone', ana, 0), joined('laptop', ana, 20), left('phone', ana, 40), left('laptop', ana, 60)],
      // [0,40) ∪ [20,60) = [0,60) = 3600 s, not 40 + 40 = 80 min
      expect: {
        'guest:g-ana': {
          seconds: 3600,
          pct: 100,
          cycles: [
            ['phone', 0, 40, 'left'],
            ['laptop', 20, 60, 'left'],
          ],
        },
      },
    },
    {
      name: 'reconnect whose old leave arrives after the new join (new connection) is counted once',
      events: [joined('old', ana, 0), joined('new', ana, 30), left('old', ana, 31), left('new', ana, 50)],
      // [0,31) ∪ [30,50) = [0,50) = 3000 s
      expect: {
        'guest:g-ana': {
          seconds: 3000,
          cycles: [
            ['old', 0, 31, 'left'],
            ['new', 30, 50, 'left'],
          ],
        },
      },
    },
    {
      name: 'reconnect on the same connection: the old leave arriving last still pairs by provider time',
      events: [joined('c1', ana, 0), joined('c1', ana, 30), left('c1', ana, 50), left('c1', ana, 20)],
      // [0,20) + [30,50) = 40 min; arrival-order pairing would give [0,50) = 50 min
      expect: {
        'guest:g-ana': {
          seconds: 2400,
          cycles: [
            ['c1', 0, 20, 'left'],
            ['c1', 30, 50, 'left'],
          ],
        },
      },
    },
    {
      name: 'leave arriving before its join',
      events: [left('c1', ana, 45), joined('c1', ana, 5)],
      expect: { 'guest:g-ana': { seconds: 2400, cycles: [['c1', 5, 45, 'left']] } },
    },
    {
      name: 'duplicates fold: redeliveries and a second event for the same fact make one cycle',
      events: [
        joined('c1', ana, 5),
        joined('c1', ana, 5),
        { ...joined('c1', ana, 5), key: 'another-key-same-fact' },
        left('c1', ana, 45),
        left('c1', ana, 45),
      ],
      expect: { 'guest:g-ana': { seconds: 2400, cycles: [['c1', 5, 45, 'left']] } },
    },
    {
      name: 'consecutive joins without a leave merge into one cycle',
      events: [joined('c1', ana, 0), joined('c1', ana, 10), left('c1', ana, 30)],
      expect: { 'guest:g-ana': { seconds: 1800, cycles: [['c1', 0, 30, 'left']] } },
    },
    {
      name: 'a leave with no join is no evidence: the person is not reported',
      events: [left('c1', ana, 30), joined('c2', ben, 0), left('c2', ben, 60)],
      expect: {},
      everyone: ['guest:g-ben'],
    },
    {
      name: 'leave and rejoin at the same instant on one connection: two back-to-back cycles',
      events: [joined('c1', ana, 0), left('c1', ana, 20), joined('c1', ana, 20), left('c1', ana, 40)],
      expect: {
        'guest:g-ana': {
          seconds: 2400,
          cycles: [
            ['c1', 0, 20, 'left'],
            ['c1', 20, 40, 'left'],
          ],
        },
      },
    },
    {
      name: 'join and leave at the same instant: a zero-length cycle, not an open one',
      events: [joined('c1', ana, 10), left('c1', ana, 10), meetingEnded(60)],
      // an open cycle would be credited until the meeting end (50 min)
      expect: { 'guest:g-ana': { seconds: 0, status: 'absent', cycles: [['c1', 10, 10, 'left']] } },
    },
    {
      name: 'a Zoom connection keyed by user_id pairs its leave (which has no join_time) with its join',
      events: [joined('16778241', who('16778241'), 0), left('16778241', who('16778241'), 25), meetingEnded(60)],
      expect: { 'guest:16778241': { seconds: 1500, cycles: [['16778241', 0, 25, 'left']] } },
    },
  ]);
});

describe('lost joins', () => {
  run([
    {
      name: 'a leave whose join was lost still gives the cycle [joinedAt, leave) from the join time it carries',
      events: [left('PA_1', ana, 40, { joinedAtMin: 10 }), meetingEnded(60)],
      expect: { 'guest:g-ana': { seconds: 1800, cycles: [['PA_1', 10, 40, 'left']], firstJoin: 10 } },
    },
    {
      name: 'a leave carrying its join time adds nothing when the join arrived too',
      events: [joined('PA_1', ana, 10), left('PA_1', ana, 40, { joinedAtMin: 10 })],
      expect: { 'guest:g-ana': { seconds: 1800, cycles: [['PA_1', 10, 40, 'left']] } },
    },
    {
      name: 'a leave with no join time gives no credit and never shortens another connection of the same person',
      events: [joined('phone', ana, 0), left('laptop', ana, 20), meetingEnded(50)],
      // the laptop's leave is no evidence about the phone: the phone runs to the meeting end
      expect: { 'guest:g-ana': { seconds: 3000, cycles: [['phone', 0, 50, 'meeting-ended']] } },
      everyone: ['guest:g-ana'],
    },
    {
      name: 'a bare leave on the guest key does not close the guest’s connection',
      events: [joined('zp-uuid-1', who('zu1'), 0), left('zu1', who('zu1'), 25), meetingEnded(60)],
      expect: { 'guest:zu1': { seconds: 3600, cycles: [['zp-uuid-1', 0, 60, 'meeting-ended']] } },
    },
  ]);
});

describe('meeting instances', () => {
  run([
    {
      name: 'a meeting end closes the connections of its own instance only',
      events: [
        joined('a1', ana, 0, { instance: 'A' }),
        joined('b1', ben, 10, { instance: 'B' }),
        meetingEnded(30, 'A'),
        meetingEnded(55, 'B'),
      ],
      // Ben's instance goes on after A ended at 30
      expect: {
        'guest:g-ana': { cycles: [['a1', 0, 30, 'meeting-ended']] },
        'guest:g-ben': { seconds: 2700, cycles: [['b1', 10, 55, 'meeting-ended']] },
      },
    },
    {
      name: 'an end that names no instance closes every instance',
      events: [joined('a1', ana, 0, { instance: 'A' }), joined('b1', ben, 10, { instance: 'B' }), meetingEnded(40)],
      expect: {
        'guest:g-ana': { cycles: [['a1', 0, 40, 'meeting-ended']] },
        'guest:g-ben': { cycles: [['b1', 10, 40, 'meeting-ended']] },
      },
    },
    {
      name: 'a connection whose events named no instance is closed by any end',
      events: [
        joined('a1', ana, 0),
        joined('b1', ben, 0, { instance: 'B' }),
        meetingEnded(25, 'B'),
        meetingEnded(50, 'C'),
      ],
      expect: {
        'guest:g-ana': { cycles: [['a1', 0, 25, 'meeting-ended']] },
        'guest:g-ben': { cycles: [['b1', 0, 25, 'meeting-ended']] },
      },
    },
    {
      name: 'a connection seen in two instances is closed by the ends of both',
      events: [
        joined('u7', ana, 0, { instance: 'A' }),
        meetingEnded(20, 'A'),
        joined('u7', ana, 30, { instance: 'B' }),
        meetingEnded(50, 'B'),
        meetingEnded(58, 'C'),
      ],
      expect: {
        'guest:g-ana': {
          cycles: [
            ['u7', 0, 20, 'meeting-ended'],
            ['u7', 30, 50, 'meeting-ended'],
          ],
        },
      },
    },
  ]);
});

describe('breakout rooms: moving between rooms of one meeting', () => {
  const S = 1 / 60; // one second, in minutes
  run([
    {
      name: 'main → breakout → main is continuous presence: the moves’ gaps are not lost',
      events: [
        joined('main', ana, 0),
        left('main', ana, 20, { moved: true }),
        joined('bo-1', ana, 20 + 2 * S),
        left('bo-1', ana, 40, { moved: true }),
        joined('main', ana, 40 + 3 * S),
        left('main', ana, 60),
      ],
      // without bridging: 60 min − 5 s = 3595 s
      expect: {
        'guest:g-ana': {
          seconds: 3600,
          cycles: [
            ['main', 0, 20 + 2 * S, 'left'],
            ['bo-1', 20 + 2 * S, 40 + 3 * S, 'left'],
            ['main', 40 + 3 * S, 60, 'left'],
          ],
        },
      },
    },
    {
      name: 'the other room’s join arriving before the move’s leave (provider time) overlaps: counted once',
      events: [
        joined('main', ana, 0),
        joined('bo-1', ana, 19),
        left('main', ana, 20, { moved: true }),
        left('bo-1', ana, 50),
      ],
      expect: {
        'guest:g-ana': {
          seconds: 3000,
          cycles: [
            ['main', 0, 20, 'left'],
            ['bo-1', 19, 50, 'left'],
          ],
        },
      },
    },
    {
      name: 'a move with no join after it ends at its leave: no credit without evidence',
      events: [joined('main', ana, 0), left('main', ana, 20, { moved: true }), meetingEnded(60)],
      expect: { 'guest:g-ana': { seconds: 1200, cycles: [['main', 0, 20, 'left']] } },
    },
    {
      name: 'a join long after a move is a new arrival, not the end of the move',
      events: [
        joined('main', ana, 0),
        left('main', ana, 20, { moved: true }),
        joined('main', ana, 25),
        left('main', ana, 40),
      ],
      expect: {
        'guest:g-ana': {
          seconds: 2100,
          cycles: [
            ['main', 0, 20, 'left'],
            ['main', 25, 40, 'left'],
          ],
        },
      },
    },
    {
      name: 'an ordinary leave is not bridged to a quick rejoin',
      events: [joined('main', ana, 0), left('main', ana, 20), joined('main', ana, 20 + 5 * S), left('main', ana, 40)],
      expect: { 'guest:g-ana': { seconds: 2395 } },
    },
  ]);
});

describe('closing open cycles', () => {
  run([
    {
      name: 'missing leave is closed at the meeting end',
      events: [joined('c1', ana, 10), meetingEnded(50)],
      // 40 min = 66.66 % (rounded down), joined within grace → present
      expect: {
        'guest:g-ana': { seconds: 2400, pct: 66.66, status: 'present', cycles: [['c1', 10, 50, 'meeting-ended']] },
      },
    },
    {
      name: 'a leave after the meeting end does not extend the cycle past the end',
      events: [joined('c1', ana, 0), meetingEnded(50), left('c1', ana, 55)],
      expect: { 'guest:g-ana': { seconds: 3000, cycles: [['c1', 0, 50, 'meeting-ended']] } },
    },
    {
      name: 'a leave at the end time is the cycle’s own leave',
      events: [meetingEnded(50), left('c1', ana, 50), joined('c1', ana, 0)],
      expect: { 'guest:g-ana': { cycles: [['c1', 0, 50, 'left']] } },
    },
    {
      name: 'reconcile closes at the last time the connection was confirmed present',
      events: [
        joined('c1', ana, 0),
        reconcile(10, [{ connection: 'c1', person: ana }]),
        reconcile(20, [{ connection: 'c1', person: ana }]),
        reconcile(30, []),
        meetingEnded(60),
      ],
      // confirmed at 10 and 20, absent at 30 → [0,20); the meeting end at 60 must not credit 20–60
      expect: { 'guest:g-ana': { seconds: 1200, cycles: [['c1', 0, 20, 'reconcile']] } },
    },
    {
      name: 'reconcile snapshots arriving out of order give the same closing',
      events: [
        meetingEnded(60),
        reconcile(30, []),
        reconcile(20, [{ connection: 'c1', person: ana }]),
        joined('c1', ana, 0),
        reconcile(10, [{ connection: 'c1', person: ana }]),
      ],
      expect: { 'guest:g-ana': { seconds: 1200, cycles: [['c1', 0, 20, 'reconcile']] } },
    },
    {
      name: 'a leave at the instant of the snapshot that missed the connection is its own leave',
      events: [
        joined('c1', ana, 0),
        reconcile(10, [{ connection: 'c1', person: ana }]),
        reconcile(20, []),
        left('c1', ana, 20),
      ],
      expect: { 'guest:g-ana': { seconds: 1200, cycles: [['c1', 0, 20, 'left']] } },
    },
    {
      name: 'a meeting end at the instant of the snapshot that missed the connection closes at the end',
      events: [
        joined('c1', ana, 0),
        reconcile(10, [{ connection: 'c1', person: ana }]),
        reconcile(20, []),
        meetingEnded(20),
      ],
      expect: { 'guest:g-ana': { seconds: 1200, cycles: [['c1', 0, 20, 'meeting-ended']] } },
    },
    {
      name: 'reconcile that never confirmed the connection closes it at its join',
      events: [joined('c1', ana, 5), reconcile(10, []), meetingEnded(60)],
      expect: { 'guest:g-ana': { seconds: 0, cycles: [['c1', 5, 5, 'reconcile']] } },
    },
    {
      name: 'a meeting end before the reconcile that misses the connection closes at the end',
      events: [
        joined('c1', ana, 0),
        reconcile(10, [{ connection: 'c1', person: ana }]),
        meetingEnded(40),
        reconcile(45, []),
      ],
      expect: { 'guest:g-ana': { seconds: 2400, cycles: [['c1', 0, 40, 'meeting-ended']] } },
    },
    {
      name: 'reconcile opens a missed join at the participant’s joinedAt',
      events: [reconcile(10, [{ connection: 'c1', person: ana, joinedAtMin: 5 }]), meetingEnded(40)],
      expect: { 'guest:g-ana': { seconds: 2100, cycles: [['c1', 5, 40, 'meeting-ended']] } },
    },
    {
      name: 'reconcile opens a missed join at the snapshot time when joinedAt is unknown',
      events: [reconcile(10, [{ connection: 'c1', person: ana }]), meetingEnded(40)],
      expect: { 'guest:g-ana': { seconds: 1800, cycles: [['c1', 10, 40, 'meeting-ended']] } },
    },
    {
      name: 'hard stop closes at the last event time seen before it',
      events: [joined('a1', ana, 0), joined('b1', ben, 10), left('b1', ben, 50), hardStop(120)],
      // nothing after 50 proves the meeting was live: Ana is credited 0–50
      expect: {
        'guest:g-ana': { seconds: 3000, cycles: [['a1', 0, 50, 'hard-stop']] },
        'guest:g-ben': { seconds: 2400 },
      },
    },
    {
      name: 'report rows merged with webhook cycles are counted once',
      events: [joined('c1', ana, 0), left('c1', ana, 30), reportRow('c1', ana, 0, 30), reportRow('c2', ana, 20, 45)],
      // [0,30) ∪ [20,45) = 45 min; the row identical to the webhook cycle is not listed twice
      expect: {
        'guest:g-ana': {
          seconds: 2700,
          cycles: [
            ['c1', 0, 30, 'left'],
            ['c2', 20, 45, 'report'],
          ],
        },
      },
    },
    {
      name: 'a report row ending before it starts is only a sighting (zero length)',
      events: [reportRow('c1', ana, 30, 20)],
      expect: { 'guest:g-ana': { seconds: 0, cycles: [['c1', 30, 30, 'report']] } },
    },
    {
      name: 'a leave with no join is covered by a report row of that connection',
      events: [left('c3', ana, 40), reportRow('c3', ana, 10, 40)],
      expect: { 'guest:g-ana': { seconds: 1800, cycles: [['c3', 10, 40, 'report']] } },
    },
    {
      name: 'live: an open cycle counts until the latest event, or until `now` when given',
      events: [joined('a1', ana, 0), joined('b1', ben, 30)],
      expect: { 'guest:g-ana': { seconds: 1800, cycles: [['a1', 0]], lastLeave: null } },
    },
    {
      name: 'live with now',
      events: [joined('a1', ana, 0), joined('b1', ben, 30)],
      now: min(45),
      expect: { 'guest:g-ana': { seconds: 2700 }, 'guest:g-ben': { seconds: 900 } },
    },
  ]);
});

describe('window', () => {
  run([
    {
      name: 'joining before the scheduled start counts only from the start',
      events: [joined('c1', ana, -20), left('c1', ana, 30)],
      // 0–30 = 50 % exactly: not above 50 → partial; first join stays -20
      expect: { 'guest:g-ana': { seconds: 1800, pct: 50, status: 'partial', firstJoin: -20, late: false } },
    },
    {
      name: 'leaving after the scheduled end counts only to the end',
      events: [joined('c1', ana, 40), left('c1', ana, 90)],
      expect: {
        'guest:g-ana': { seconds: 1200, pct: 33.33, status: 'partial', late: true, lateMinutes: 40, lastLeave: 90 },
      },
    },
    {
      name: 'lateness by first join, preparation time included: in 8:50–8:55, back at 9:20 for a 9:00 class (15 min grace) is not late',
      events: [joined('c1', ana, -10), left('c1', ana, -5), joined('c1', ana, 20), left('c1', ana, 60)],
      // 40 of 60 min = 66.66 %: present when on time (late would make it 'late')
      expect: {
        'guest:g-ana': { seconds: 2400, pct: 66.66, status: 'present', late: false, lateMinutes: 0, firstJoin: -10 },
      },
    },
    {
      name: 'a first join after the grace period is late even when the person stays to the end',
      events: [joined('c1', ana, 16), left('c1', ana, 60)],
      // 44 of 60 min = 73.33 %: under 75 %, and late
      expect: { 'guest:g-ana': { pct: 73.33, status: 'late', late: true, lateMinutes: 16 } },
    },
    {
      name: 'someone who came early and stayed is on time',
      events: [joined('c1', ana, -20), left('c1', ana, 60)],
      expect: { 'guest:g-ana': { seconds: 3600, late: false, lateMinutes: 0 } },
    },
    {
      name: 'ad-hoc window: meeting start to meeting end, lateness against the actual start',
      session: {},
      events: [meetingStarted(0), joined('a1', ana, 10), joined('b1', ben, 40), meetingEnded(80)],
      // window 0–80; Ana 70/80 = 87.5 %; Ben 40/80 = 50 % → partial, arrived 40 min after the start
      expect: {
        'guest:g-ana': { seconds: 4200, pct: 87.5, status: 'present' },
        'guest:g-ben': { seconds: 2400, pct: 50, status: 'partial', late: true, lateMinutes: 40 },
      },
    },
    {
      name: 'ad-hoc window runs to the last meeting end when the meeting restarted',
      session: {},
      events: [meetingStarted(0), joined('a1', ana, 0), meetingEnded(40), joined('a2', ana, 50), meetingEnded(80)],
      // window 0–80; Ana 0–40 and 50–80 = 70 min (nothing between the end and her rejoin)
      expect: {
        'guest:g-ana': {
          seconds: 4200,
          pct: 87.5,
          cycles: [
            ['a1', 0, 40, 'meeting-ended'],
            ['a2', 50, 80, 'meeting-ended'],
          ],
        },
      },
    },
    {
      name: 'ad-hoc window without a start event begins at the first join',
      session: {},
      events: [joined('a1', ana, 10), joined('b1', ben, 30), meetingEnded(50)],
      // window 10–50 = 40 min; Ben 20/40 = 50 %, arrived 20 min after the start
      expect: {
        'guest:g-ana': { pct: 100 },
        'guest:g-ben': { seconds: 1200, pct: 50, status: 'partial', late: true, lateMinutes: 20 },
      },
    },
  ]);
});

describe('policy boundaries', () => {
  const window100 = (extra: Partial<SessionSettings> = {}): SessionSettings => ({ ...scheduled(100), ...extra });
  const stay = (from: number, to: number) => [joined('c1', ana, from), left('c1', ana, to)];
  run([
    {
      name: 'late joiner past grace with more than half: late',
      events: stay(20, 60),
      expect: { 'guest:g-ana': { pct: 66.66, status: 'late', late: true, lateMinutes: 20 } },
    },
    {
      name: 'first join exactly at start + 15 min is within grace',
      events: stay(15, 55),
      expect: { 'guest:g-ana': { status: 'present', late: false, lateMinutes: 0 } },
    },
    {
      name: 'first join 1 ms after start + 15 min is late',
      events: stay(15 + MS, 55 + MS),
      expect: { 'guest:g-ana': { status: 'late', late: true, lateMinutes: 15 } },
    },
    {
      name: 'exactly 75 % is present, even when late',
      session: window100(),
      events: stay(20, 95),
      expect: { 'guest:g-ana': { pct: 75, status: 'present', late: true, lateMinutes: 20 } },
    },
    {
      name: '1 ms under 75 % and late is late',
      session: window100(),
      events: stay(20, 95 - MS),
      expect: { 'guest:g-ana': { pct: 74.99, status: 'late' } },
    },
    {
      name: 'exactly 50 % is partial',
      session: window100(),
      events: stay(0, 50),
      expect: { 'guest:g-ana': { pct: 50, status: 'partial' } },
    },
    {
      name: '1 ms over 50 % and on time is present',
      session: window100(),
      events: stay(0, 50 + MS),
      expect: { 'guest:g-ana': { pct: 50, status: 'present' } },
    },
    {
      name: 'exactly 10 % is partial',
      session: window100(),
      events: stay(0, 10),
      expect: { 'guest:g-ana': { pct: 10, status: 'partial' } },
    },
    {
      name: '1 ms under 10 % is absent',
      session: window100(),
      events: stay(0, 10 - MS),
      expect: { 'guest:g-ana': { pct: 9.99, status: 'absent' } },
    },
    {
      name: 'configured thresholds and grace apply',
      session: window100({ policy: { kind: 'percentage', partialPct: 30, graceMinutes: 5 } }),
      events: [...stay(10, 30), joined('b1', ben, 6), left('b1', ben, 66)],
      // Ana 20 % < 30 % → absent (default would be partial); Ben 60 % but 6 min > 5 min grace → late
      expect: { 'guest:g-ana': { status: 'absent' }, 'guest:g-ben': { status: 'late', lateMinutes: 6 } },
    },
    {
      name: 'minimum-duration: exactly 15 minutes is present',
      session: { ...scheduled(), policy: { kind: 'minimum-duration' } },
      events: stay(30, 45),
      expect: { 'guest:g-ana': { seconds: 900, status: 'present', late: true } },
    },
    {
      name: 'minimum-duration: 1 ms under 15 minutes is partial',
      session: { ...scheduled(), policy: { kind: 'minimum-duration' } },
      events: stay(30, 45 - MS),
      expect: { 'guest:g-ana': { seconds: 899, status: 'partial' } },
    },
    {
      name: 'minimum-duration: configured minutes',
      session: { ...scheduled(), policy: { kind: 'minimum-duration', minutes: 30 } },
      events: stay(0, 20),
      expect: { 'guest:g-ana': { status: 'partial' } },
    },
  ]);
});

describe('people and identity', () => {
  const roster = [
    { userId: 'u1', email: 'Ana@School.EDU', name: 'Ana', role: 'student' },
    { userId: 'u2', name: 'Ben', role: 'student' },
  ];
  run([
    {
      name: 'roster absentee is reported absent with 0 minutes',
      session: { ...scheduled(), roster },
      events: [joined('c1', who('g1', { email: 'ana@school.edu' }), 0), left('c1', who('g1'), 60)],
      expect: {
        'user:u2': {
          seconds: 0,
          pct: 0,
          status: 'absent',
          cycles: [],
          guest: false,
          name: 'Ben',
          role: 'student',
          late: false,
        },
      },
      everyone: ['user:u1', 'user:u2'],
    },
    {
      name: 'email matches case-insensitively and the roster supplies the identity',
      session: { ...scheduled(), roster },
      events: [
        joined('c1', who('g1', { email: '  ana@SCHOOL.edu ', name: 'Zoom Name' }), 0),
        left('c1', who('g1'), 60),
      ],
      expect: {
        'user:u1': { userId: 'u1', email: 'Ana@School.EDU', name: 'Ana', role: 'student', guest: false, seconds: 3600 },
      },
    },
    {
      name: 'guest without email is keyed by the provider participant id',
      session: { ...scheduled(), roster },
      events: [joined('c9', who('zp-123', { name: 'Visitor' }), 0), left('c9', who('zp-123'), 30)],
      expect: { 'guest:zp-123': { guest: true, name: 'Visitor', seconds: 1800 } },
      everyone: ['guest:zp-123', 'user:u1', 'user:u2'],
    },
    {
      name: 'provider identity matches a directory user id (no roster: a known user is not a guest)',
      session: scheduled(),
      users: [{ userId: 'u7', name: 'Cleo', email: 'cleo@school.edu' }],
      events: [
        joined('PA_x', who('lk-identity', { providerUserIds: ['nobody', 'u7'] }), 0),
        left('PA_x', who('lk-identity'), 60),
      ],
      expect: { 'user:u7': { userId: 'u7', name: 'Cleo', email: 'cleo@school.edu', guest: false } },
      everyone: ['user:u7'],
    },
    {
      name: 'a known user not on the roster is reported as a guest',
      session: { ...scheduled(), roster },
      users: [{ userId: 'u7', name: 'Cleo' }],
      events: [joined('PA_x', who('u7', { providerUserIds: ['u7'] }), 0), left('PA_x', who('u7'), 60)],
      expect: { 'user:u7': { userId: 'u7', guest: true } },
    },
    {
      name: 'email wins over provider id',
      session: { ...scheduled(), roster },
      events: [
        joined('c1', who('g1', { email: 'ana@school.edu', providerUserIds: ['u2'] }), 0),
        left('c1', who('g1'), 60),
      ],
      expect: { 'user:u1': { seconds: 3600 }, 'user:u2': { status: 'absent' } },
    },
    {
      name: 'all of a person’s connections fold into one record',
      session: { ...scheduled(), roster },
      events: [
        joined('phone', who('g-phone', { email: 'ana@school.edu' }), 0),
        left('phone', who('g-phone'), 20),
        joined('laptop', who('g-laptop', { providerUserIds: ['u1'] }), 30),
        left('laptop', who('g-laptop'), 50),
      ],
      expect: {
        'user:u1': {
          seconds: 2400,
          cycles: [
            ['phone', 0, 20, 'left'],
            ['laptop', 30, 50, 'left'],
          ],
        },
      },
      everyone: ['user:u1', 'user:u2'],
    },
    {
      name: 'a connection without email follows another connection of the same guest key',
      session: { ...scheduled(), roster },
      events: [
        joined('c1', who('zoom-uuid', { email: 'ana@school.edu' }), 0),
        left('c1', who('zoom-uuid'), 20),
        joined('c2', who('zoom-uuid'), 30),
        left('c2', who('zoom-uuid'), 40),
      ],
      expect: { 'user:u1': { seconds: 1800 } },
      everyone: ['user:u1', 'user:u2'],
    },
  ]);

  test('the same user in two sessions is tracked separately in each', () => {
    const u1 = who('g1', { providerUserIds: ['u1'] });
    const first: AttendanceInput = {
      session: { ...scheduled(60), roster },
      events: [joined('a', u1, 0), left('a', u1, 60)],
    };
    const second: AttendanceInput = {
      session: { scheduledStart: min(60), scheduledEnd: min(120), roster },
      events: [joined('b', u1, 70), left('b', u1, 80)],
    };
    const before = calculateAttendance(first);
    const other = calculateAttendance(second);
    assertPeople(before, { 'user:u1': { seconds: 3600, status: 'present' } });
    // 10 of 60 min = 16.66 %, arrived 10 min after its own start → partial, not late
    assertPeople(other, { 'user:u1': { seconds: 600, pct: 16.66, status: 'partial', late: false } });
    assert.deepEqual(calculateAttendance(first), before);
  });
});

describe('who is reported', () => {
  const roster = [{ userId: 'u1' }, { userId: 'u2' }];
  const u1 = who('g-u1', { providerUserIds: ['u1'] });
  run([
    {
      name: 'people not on the roster with no time inside the window are not reported; roster members always are',
      session: { ...scheduled(), roster },
      events: [
        joined('r1', u1, -40),
        left('r1', u1, -20), // on the roster, only before the class: reported, absent
        joined('x1', who('g-prev'), -40),
        left('x1', who('g-prev'), 0), // the previous class, leaving at our start
        joined('x2', who('g-next'), 60),
        left('x2', who('g-next'), 90), // the next class, joining at our end
        joined('x3', who('g-eve'), 50),
        left('x3', who('g-eve'), 70), // a guest with 10 min inside
      ],
      expect: {
        'user:u1': { seconds: 0, status: 'absent', firstJoin: -40 },
        'user:u2': { status: 'absent', cycles: [] },
        'guest:g-eve': { seconds: 600 },
      },
      everyone: ['guest:g-eve', 'user:u1', 'user:u2'],
    },
    {
      name: 'without a roster, a known user with no time inside the window is not reported either',
      session: scheduled(),
      users: [{ userId: 'u7' }],
      events: [
        joined('k1', who('g7', { providerUserIds: ['u7'] }), 61),
        left('k1', who('g7'), 70),
        joined('c1', ana, 0),
        left('c1', ana, 1),
      ],
      expect: {},
      everyone: ['guest:g-ana'],
    },
    {
      name: 'a guest still connected from before the window is reported',
      session: { ...scheduled(), roster },
      events: [joined('x1', who('g-early'), -30)],
      now: min(10),
      expect: { 'guest:g-early': { seconds: 600, firstJoin: -30, lastLeave: null } },
    },
  ]);

  test('counts leave out the people who are not reported', () => {
    const result = calculateAttendance({
      session: { ...scheduled(), roster },
      events: [joined('x1', who('g-prev'), -40), left('x1', who('g-prev'), -20)],
    });
    assert.deepEqual(result.counts, { people: 2, present: 0, late: 0, partial: 0, absent: 2, guests: 0 });
  });
});

test('counts and window are reported', () => {
  const result = calculateAttendance({
    session: { ...scheduled(), roster: [{ userId: 'u1' }, { userId: 'u2' }] },
    events: [
      joined('a', who('g', { providerUserIds: ['u1'] }), 0),
      left('a', who('g'), 60),
      joined('x', who('visitor'), 0),
      left('x', who('visitor'), 10),
    ],
  });
  assert.deepEqual(result.window, { start: min(0), end: min(60) });
  // u1 present, visitor 16.66 % partial, u2 absent
  assert.deepEqual(result.counts, { people: 3, present: 1, late: 0, partial: 1, absent: 1, guests: 1 });
});

test('an ad-hoc session with no events has no window; roster members are absent and not late', () => {
  const result = calculateAttendance({ session: { roster: [{ userId: 'u1' }] }, events: [] });
  assert.equal(result.window, undefined);
  assertPeople(result, { 'user:u1': { seconds: 0, pct: 0, status: 'absent', late: false, lateMinutes: 0 } }, [
    'user:u1',
  ]);
});
