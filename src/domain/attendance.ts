/**
 * Attendance: the one pure function from a session's event log to every person's attendance. The log folds into
 * the same facts as the workflow's incremental state (see columns.ts), so both give the very same result.
 */
import type { AttendanceEvent } from './events.js';
import { columnsFromEvents, columnsFromState, type FactColumns } from './columns.js';
import type { Cycle } from './cycles.js';
import {
  buildDirectory,
  describePerson,
  type Directory,
  type DirectoryUser,
  type PersonIdentity,
  type RosterEntry,
} from './identity.js';
import { latenessOf } from './lateness.js';
import { personTimelines, type PersonTimeline } from './people.js';
import {
  DEFAULT_POLICY,
  decideStatus,
  graceMinutesOf,
  percentageOf,
  type AttendancePolicy,
  type AttendanceStatus,
} from './policy.js';
import { compareStrings } from './sorted-sets.js';
import { applyEvent, emptyState, type AttendanceState } from './state.js';
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

/** Attendance from an event log: its facts folded straight into columns (the state's when the log has snapshots). */
export function calculateAttendance(input: AttendanceInput): AttendanceResult {
  const columns = columnsFromEvents(input.events) ?? columnsFromState(stateFromEvents(input.events));
  return attendanceFromColumns(columns, input, input.now);
}

/** Attendance from the (incrementally maintained) state; `now` as in `AttendanceInput`. */
export function attendanceFromState(
  state: AttendanceState,
  context: AttendanceContext,
  now?: number,
): AttendanceResult {
  return attendanceFromColumns(columnsFromState(state), context, now);
}

/** What attendance and presence both need: everyone's timeline and the window's inputs. */
export interface Timelines {
  columns: FactColumns;
  directory: Directory;
  timelines: PersonTimeline[];
  /** The earliest join of anyone. */
  firstJoin: number | undefined;
}

export function timelinesOf(columns: FactColumns, context: AttendanceContext): Timelines {
  const directory = buildDirectory(context.users, context.session.roster);
  const timelines = personTimelines(columns, directory);
  let firstJoin: number | undefined;
  for (const t of timelines)
    if (firstJoin === undefined || t.cycles[0]!.joinedAt < firstJoin) firstJoin = t.cycles[0]!.joinedAt;
  return { columns, directory, timelines, firstJoin };
}

function attendanceFromColumns(
  columns: FactColumns,
  context: AttendanceContext,
  now: number | undefined,
): AttendanceResult {
  return attendanceOf(timelinesOf(columns, context), context, now);
}

export function attendanceOf(
  { columns, directory, timelines, firstJoin }: Timelines,
  context: AttendanceContext,
  now: number | undefined,
): AttendanceResult {
  const { session } = context;
  const openUntil = now ?? columns.latest;
  const window = sessionWindow(columns, session, firstJoin, openUntil);
  const policy = session.policy ?? DEFAULT_POLICY;
  const grace = graceMinutesOf(policy);

  const people: PersonAttendance[] = [];
  let reportedOnRoster = 0;
  for (const t of timelines) {
    if (onRoster(t, directory)) reportedOnRoster++;
    else if (!withinWindow(t.cycles, window, openUntil)) continue;
    people.push(personAttendance(t.identity, t.cycles, window, openUntil, session, policy, grace));
  }
  // Roster members never seen are absent with 0 minutes; merged into the (sorted) timelines' order.
  const absent: PersonAttendance[] = [];
  if (reportedOnRoster < directory.rosterSize) {
    const reported = new Set<string | undefined>();
    for (const p of people) reported.add(p.userId);
    for (const { userId } of session.roster ?? []) {
      if (reported.has(userId)) continue;
      reported.add(userId);
      absent.push(
        personAttendance(
          describePerson(directory.users.get(userId), '', directory),
          [],
          window,
          openUntil,
          session,
          policy,
          grace,
        ),
      );
    }
  }
  const all =
    absent.length === 0
      ? people
      : mergeByKey(
          people,
          absent.sort((a, b) => compareStrings(a.personKey, b.personKey)),
        );
  return { window, people: all, counts: countStatuses(all) };
}

function onRoster(t: PersonTimeline, directory: Directory): boolean {
  return directory.hasRoster && !t.identity.guest;
}

/** Whether a timeline belongs in the session's result: someone not on the roster with no time inside the window does not. */
export function inSession(
  t: PersonTimeline,
  directory: Directory,
  window: AttendanceWindow | undefined,
  openUntil: number | undefined,
): boolean {
  return onRoster(t, directory) || withinWindow(t.cycles, window, openUntil);
}

/** Two lists sorted by (unique) person key, merged. */
function mergeByKey(a: readonly PersonAttendance[], b: readonly PersonAttendance[]): PersonAttendance[] {
  const merged: PersonAttendance[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) merged.push(a[i]!.personKey < b[j]!.personKey ? a[i++]! : b[j++]!);
  while (i < a.length) merged.push(a[i++]!);
  while (j < b.length) merged.push(b[j++]!);
  return merged;
}

/** The window for these facts; `openUntil` ends it while an ad-hoc meeting is live. */
export function sessionWindow(
  columns: Pick<FactColumns, 'meetingStarts' | 'meetingEnds' | 'session'>,
  session: SessionSettings,
  firstJoin: number | undefined,
  openUntil: number | undefined,
): AttendanceWindow | undefined {
  return attendanceWindow(session, {
    meetingStarts: columns.meetingStarts,
    meetingEnds: columns.meetingEnds,
    firstJoin,
    stoppedAt: columns.session.hardStopClosesAt[0],
    openUntil,
  });
}

/**
 * Whether any cycle has time inside the window (a zero-length sighting strictly inside it counts); a cycle that
 * ends at the window's start or begins at its end does not.
 */
function withinWindow(
  cycles: readonly Cycle[],
  window: AttendanceWindow | undefined,
  openUntil: number | undefined,
): boolean {
  if (!window) return false;
  for (const c of cycles) {
    const end = c.leftAt ?? Math.max(c.joinedAt, openUntil ?? c.joinedAt);
    if (c.joinedAt < window.end && end > window.start) return true;
  }
  return false;
}

/**
 * Time covered by `cycles` (sorted by join time) inside [from, to), each instant once; an open cycle runs until
 * `openUntil` (never before its own join).
 */
export function coveredMs(cycles: readonly Cycle[], from: number, to: number, openUntil: number | undefined): number {
  let total = 0;
  let runStart = 0;
  let runEnd = -Infinity;
  for (const c of cycles) {
    const start = Math.max(c.joinedAt, from);
    const end = Math.min(c.leftAt ?? Math.max(c.joinedAt, openUntil ?? c.joinedAt), to);
    if (start >= end) continue;
    if (start > runEnd) {
      if (runEnd > runStart) total += runEnd - runStart;
      runStart = start;
      runEnd = end;
    } else if (end > runEnd) runEnd = end;
  }
  return runEnd > runStart ? total + (runEnd - runStart) : total;
}

/** `cycles` sorted by join time, as timelines give them. Every record has the same keys (optional ones may be undefined). */
function personAttendance(
  identity: PersonIdentity,
  cycles: Cycle[],
  window: AttendanceWindow | undefined,
  openUntil: number | undefined,
  session: SessionSettings,
  policy: AttendancePolicy,
  graceMinutes: number,
): PersonAttendance {
  // Attended time: the union of the cycles clipped to the window, each instant once.
  const attendedMs = window ? coveredMs(cycles, window.start, window.end, openUntil) : 0;
  const windowMs = window ? window.end - window.start : 0;
  const firstJoin = cycles[0]?.joinedAt;
  const { late, lateMinutes } = window
    ? latenessOf(firstJoin, session.scheduledStart ?? window.start, graceMinutes)
    : { late: false, lateMinutes: 0 };
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
