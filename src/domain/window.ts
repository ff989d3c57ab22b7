/**
 * The attendance window. Scheduled sessions: scheduled start to scheduled end. Ad-hoc sessions (no schedule):
 * the actual meeting — from the first meeting-started (else the first join) to the last meeting-ended (else
 * the last evidence before the hard stop, else `openUntil`, i.e. now while the meeting is live). A session
 * with only one scheduled bound takes the other from the actual meeting.
 */
import type { Interval } from './intervals.js';

export type AttendanceWindow = Interval;

export interface MeetingEvidence {
  meetingStarts: readonly number[];
  meetingEnds: readonly number[];
  firstJoin: number | undefined;
  /** Where the (first) hard stop closes cycles, if a hard stop came. */
  stoppedAt: number | undefined;
  openUntil: number | undefined;
}

export function attendanceWindow(
  session: { scheduledStart?: number | undefined; scheduledEnd?: number | undefined },
  meeting: MeetingEvidence,
): AttendanceWindow | undefined {
  const start = session.scheduledStart ?? meeting.meetingStarts[0] ?? meeting.firstJoin;
  const end = session.scheduledEnd ?? meeting.meetingEnds.at(-1) ?? meeting.stoppedAt ?? meeting.openUntil;
  if (start === undefined || end === undefined) return undefined;
  return { start, end: Math.max(start, end) };
}
