/**
 * Attendance: the one pure function from a session's event log to every person's attendance. It folds the
 * events into state and computes from there, so the workflow's incremental state gives the very same result.
 */
import type { AttendanceEvent } from './events.js';
import type { Cycle, SessionFacts } from './cycles.js';
import { buildDirectory, describePerson, type DirectoryUser, type PersonIdentity, type RosterEntry } from './identity.js';
import { unionLength, type Interval } from './intervals.js';
import { latenessOf } from './lateness.js';
import { personTimelines, type PersonTimeline } from './people.js';
import { DEFAULT_POLICY, decideStatus, graceMinutesOf, percentageOf, type AttendancePolicy, type AttendanceStatus } from './policy.js';
import { compareStrings } from './sorted-sets.js';
import { applyEvent, emptyState, latestEvidence, sessionFacts, type AttendanceState } from './state.js';
import { attendanceWindow, type AttendanceWindow } from './window.js';

/** What the engine needs to know about a session besides its events. */
export interface SessionSettings {
  /** Epoch ms; both absent for ad-hoc sessions. */
  scheduledStart?: number;
  scheduledEnd?: number;
  policy?: AttendancePolicy;
  roster?: RosterEntry[];
}

export interface AttendanceContext {
  session: SessionSettings;
  /** The user directory used for matching. */
  users?: DirectoryUser[];
}

export interface AttendanceInput extends AttendanceContext {
  events: readonly AttendanceEvent[];
  /** Open cycles count until `now`; default: the latest event time in the log. */
  now?: number;
}

export interface PersonAttendance extends PersonIdentity {
  /** First join (may be before the window). */
  firstJoin?: number;
  /** Last leave; undefined while any cycle is open. */
  lastLeave?: number;
  /** Attended time inside the window, exact. */
  attendedMs: number;
  /** `attendedMs` in whole seconds, rounded down. */
  attendedSeconds: number;
  percentage: number;
  status: AttendanceStatus;
  late: boolean;
  lateMinutes: number;
  cycles: Cycle[];
}

export interface AttendanceCounts {
  people: number;
  present: number;
  late: number;
  partial: number;
  absent: number;
  guests: number;
}

export interface AttendanceResult {
  /** Undefined only for an ad-hoc session with no events yet. */
  window: AttendanceWindow | undefined;
  /** Sorted by person key. */
  people: PersonAttendance[];
  counts: AttendanceCounts;
}

/** Folds `events` (any order, any duplication) into a fresh state. */
export function stateFromEvents(events: readonly AttendanceEvent[]): AttendanceState {
  const state = emptyState();
  for (const event of events) applyEvent(state, event);
  return state;
}

export function calculateAttendance(input: AttendanceInput): AttendanceResult {
  return attendanceFromState(stateFromEvents(input.events), input, input.now);
}

/** Attendance from the (incrementally maintained) state; `now` as in `AttendanceInput`. */
export function attendanceFromState(state: AttendanceState, context: AttendanceContext, now?: number): AttendanceResult {
  const { session } = context;
  const directory = buildDirectory(context.users, session.roster);
  const facts = sessionFacts(state);
  const timelines = personTimelines(state, directory, facts);
  const openUntil = now ?? latestEvidence(state);
  const window = sessionWindow(state, facts, session, timelines, openUntil);
  const policy = session.policy ?? DEFAULT_POLICY;

  const rostered = new Set((session.roster ?? []).map((r) => r.userId));
  const people: PersonAttendance[] = [];
  for (const t of timelines) {
    // Someone not on the roster who has no time inside the window is not part of this session.
    const onRoster = t.identity.userId !== undefined && rostered.has(t.identity.userId);
    if (!onRoster && !withinWindow(t.cycles, window, openUntil)) continue;
    people.push(personAttendance(t.identity, t.cycles, window, openUntil, session, policy));
  }
  // Roster members never seen are absent with 0 minutes.
  const reported = new Set(people.map((p) => p.userId));
  for (const { userId } of session.roster ?? []) {
    if (reported.has(userId)) continue;
    reported.add(userId);
    people.push(personAttendance(describePerson(userId, '', directory), [], window, openUntil, session, policy));
  }
  people.sort((a, b) => compareStrings(a.personKey, b.personKey));

  return { window, people, counts: countStatuses(people) };
}

/** The window for this state; `openUntil` ends it while an ad-hoc meeting is live. */
export function sessionWindow(
  state: AttendanceState,
  facts: SessionFacts,
  session: SessionSettings,
  timelines: readonly PersonTimeline[],
  openUntil: number | undefined,
): AttendanceWindow | undefined {
  let firstJoin: number | undefined;
  for (const t of timelines) if (firstJoin === undefined || t.cycles[0]!.joinedAt < firstJoin) firstJoin = t.cycles[0]!.joinedAt;
  return attendanceWindow(session, {
    meetingStarts: state.meetingStarts,
    meetingEnds: state.meetingEnds,
    firstJoin,
    stoppedAt: facts.hardStopClosesAt[0],
    openUntil,
  });
}

/**
 * Whether any cycle has time inside the window (a zero-length sighting strictly inside it counts); a cycle that
 * ends at the window's start or begins at its end does not.
 */
function withinWindow(cycles: readonly Cycle[], window: AttendanceWindow | undefined, openUntil: number | undefined): boolean {
  if (!window) return false;
  for (const c of cycles) {
    const end = c.leftAt ?? Math.max(c.joinedAt, openUntil ?? c.joinedAt);
    if (c.joinedAt < window.end && end > window.start) return true;
  }
  return false;
}

/** Cycles as intervals; an open cycle runs until `openUntil` (never before its own join). */
export function cycleIntervals(cycles: readonly Cycle[], openUntil: number | undefined): Interval[] {
  return cycles.map((c) => ({ start: c.joinedAt, end: c.leftAt ?? Math.max(c.joinedAt, openUntil ?? c.joinedAt) }));
}

/** `cycles` sorted by join time, as timelines give them. Every record has the same keys (optional ones may be undefined). */
function personAttendance(
  identity: PersonIdentity,
  cycles: Cycle[],
  window: AttendanceWindow | undefined,
  openUntil: number | undefined,
  session: SessionSettings,
  policy: AttendancePolicy,
): PersonAttendance {
  const intervals = cycleIntervals(cycles, openUntil);
  // Attended time: the union of the cycles clipped to the window, each instant once.
  const attendedMs = window ? unionLength(intervals, window) : 0;
  const windowMs = window ? window.end - window.start : 0;
  const firstJoin = cycles[0]?.joinedAt;
  const { late, lateMinutes } = window ? latenessOf(firstJoin, session.scheduledStart ?? window.start, graceMinutesOf(policy)) : { late: false, lateMinutes: 0 };
  return {
    personKey: identity.personKey,
    userId: identity.userId,
    email: identity.email,
    name: identity.name,
    role: identity.role,
    guest: identity.guest,
    firstJoin,
    lastLeave: lastLeaveOf(cycles),
    attendedMs,
    attendedSeconds: Math.floor(attendedMs / 1000),
    percentage: percentageOf(attendedMs, windowMs),
    status: decideStatus(policy, attendedMs, windowMs, late),
    late,
    lateMinutes,
    cycles,
  };
}

/** The last leave; undefined while any cycle is open (or when there is no cycle). */
function lastLeaveOf(cycles: readonly Cycle[]): number | undefined {
  let last: number | undefined;
  for (const c of cycles) {
    if (c.leftAt === undefined) return undefined;
    if (last === undefined || c.leftAt > last) last = c.leftAt;
  }
  return last;
}

function countStatuses(people: readonly PersonAttendance[]): AttendanceCounts {
  const counts: AttendanceCounts = { people: people.length, present: 0, late: 0, partial: 0, absent: 0, guests: 0 };
  for (const p of people) {
    counts[p.status]++;
    if (p.guest) counts.guests++;
  }
  return counts;
}
