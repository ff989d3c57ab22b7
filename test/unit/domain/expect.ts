/** Compact views of engine output for table tests: times in minutes after T0, only the fields a case names. */
import assert from 'node:assert/strict';
import type { AttendanceResult, ClosedBy, PersonAttendance } from '../../../src/domain/index.js';
import { MINUTE, T0 } from './builders.js';

export type CycleView = [connection: string, fromMin: number, toMin?: number, closedBy?: ClosedBy];

export interface PersonView {
  seconds?: number;
  pct?: number;
  status?: PersonAttendance['status'];
  late?: boolean;
  lateMinutes?: number;
  cycles?: CycleView[];
  userId?: string;
  guest?: boolean;
  name?: string;
  email?: string;
  role?: string;
  /** null: never joined. */
  firstJoin?: number | null;
  /** null: no last leave (still in the room). */
  lastLeave?: number | null;
}

const toMin = (t: number) => (t - T0) / MINUTE;

function view(p: PersonAttendance, keys: ReadonlyArray<keyof PersonView>): PersonView {
  const full: Required<PersonView> = {
    seconds: p.attendedSeconds,
    pct: p.percentage,
    status: p.status,
    late: p.late,
    lateMinutes: p.lateMinutes,
    cycles: p.cycles.map((c) => {
      const v: CycleView = [c.connection, toMin(c.joinedAt)];
      if (c.leftAt !== undefined) v.push(toMin(c.leftAt), c.closedBy);
      return v;
    }),
    userId: p.userId as string,
    guest: p.guest,
    name: p.name as string,
    email: p.email as string,
    role: p.role as string,
    firstJoin: p.firstJoin === undefined ? null : toMin(p.firstJoin),
    lastLeave: p.lastLeave === undefined ? null : toMin(p.lastLeave),
  };
  return Object.fromEntries(keys.map((k) => [k, full[k]]));
}

/** Asserts the named fields of each named person, and (when `everyone` is given) the exact set of people. */
export function assertPeople(
  result: AttendanceResult,
  expected: Record<string, PersonView>,
  everyone?: string[],
): void {
  if (everyone)
    assert.deepEqual(
      result.people.map((p) => p.personKey),
      everyone,
    );
  for (const [personKey, want] of Object.entries(expected)) {
    const person = result.people.find((p) => p.personKey === personKey);
    assert.ok(person, `no attendance for ${personKey}; have ${result.people.map((p) => p.personKey).join(', ')}`);
    assert.deepEqual(view(person, Object.keys(want) as Array<keyof PersonView>), want, personKey);
  }
}
