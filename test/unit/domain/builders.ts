/** Event builders for domain tests: times in minutes after T0 (2025-01-06 09:00 UTC). */
import type { AttendanceEvent, PersonRef } from '../../../src/domain/index.js';

export const T0 = 1_736_154_000_000;
export const MINUTE = 60_000;

/** Epoch ms of minute `m` after T0 (fractions allowed). */
export const min = (m: number): number => T0 + Math.round(m * MINUTE);

export function who(guestKey: string, extra: Omit<PersonRef, 'guestKey'> = {}): PersonRef {
  return { guestKey, ...extra };
}

export const joined = (
  connection: string,
  person: PersonRef,
  atMin: number,
  o: { instance?: string } = {},
): AttendanceEvent => ({
  kind: 'joined',
  key: `joined:${connection}:${atMin}`,
  at: min(atMin),
  source: 'webhook',
  connection,
  person,
  ...(o.instance !== undefined && { instance: o.instance }),
});

/** `joinedAtMin`: the connection's own join time carried by the leave (LiveKit); `moved`: left for another room of the meeting. */
export const left = (
  connection: string,
  person: PersonRef,
  atMin: number,
  o: { instance?: string; joinedAtMin?: number; moved?: boolean } = {},
): AttendanceEvent => ({
  kind: 'left',
  key: `left:${connection}:${atMin}`,
  at: min(atMin),
  source: 'webhook',
  connection,
  person,
  ...(o.instance !== undefined && { instance: o.instance }),
  ...(o.joinedAtMin !== undefined && { joinedAt: min(o.joinedAtMin) }),
  ...(o.moved === true && { moved: true }),
});

export const meetingStarted = (atMin: number): AttendanceEvent => ({
  kind: 'meeting-started',
  key: `started:${atMin}`,
  at: min(atMin),
  source: 'webhook',
});
export const meetingEnded = (atMin: number, instance?: string): AttendanceEvent => ({
  kind: 'meeting-ended',
  key: `ended:${atMin}:${instance ?? ''}`,
  at: min(atMin),
  source: 'webhook',
  ...(instance !== undefined && { instance }),
});
export const hardStop = (atMin: number): AttendanceEvent => ({
  kind: 'hard-stop',
  key: `hard-stop:${atMin}`,
  at: min(atMin),
  source: 'system',
});

export const reconcile = (
  atMin: number,
  present: Array<{ connection: string; person: PersonRef; joinedAtMin?: number }>,
): AttendanceEvent => ({
  kind: 'reconcile',
  key: `reconcile:${atMin}`,
  at: min(atMin),
  source: 'reconcile',
  present: present.map(({ connection, person, joinedAtMin }) => ({
    connection,
    person,
    ...(joinedAtMin !== undefined && { joinedAt: min(joinedAtMin) }),
  })),
});

export const reportRow = (connection: string, person: PersonRef, fromMin: number, toMin: number): AttendanceEvent => ({
  kind: 'report-row',
  key: `report:${connection}:${fromMin}`,
  at: min(fromMin),
  source: 'report',
  connection,
  person,
  leftAt: min(toMin),
});

/** A scheduled session of `lengthMin` minutes starting at T0. */
export const scheduled = (lengthMin = 60) => ({ scheduledStart: min(0), scheduledEnd: min(lengthMin) });
