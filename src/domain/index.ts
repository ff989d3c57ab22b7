/** The attendance engine: pure, deterministic, no I/O. Safe to import from workflow code. */
export type * from './events.js';
export { isProvider, PROVIDERS } from './events.js';
export { OPEN_PHASES, SESSION_PHASES } from './phases.js';
export type { SessionPhase } from './phases.js';
export { calculateAttendance, attendanceFromState, stateFromEvents } from './attendance.js';
export type {
  AttendanceContext,
  AttendanceCounts,
  AttendanceInput,
  AttendanceResult,
  PersonAttendance,
  SessionSettings,
} from './attendance.js';
export { calculatePresence, presenceFromState, PresenceCache } from './presence.js';
export type { Presence, PresentPerson } from './presence.js';
export { LiveTimelines } from './live-timelines.js';
export type { LiveView } from './live-timelines.js';
export type { PersonTimeline } from './people.js';
export { emptyState, applyEvent } from './state.js';
export type { AttendanceState, ConnectionState } from './state.js';
export type { ClosedBy, Cycle } from './cycles.js';
export type { DirectoryUser, PersonIdentity, ProviderPerson, RosterEntry } from './identity.js';
export { ATTENDANCE_STATUSES, DEFAULT_POLICY } from './policy.js';
export type { AttendancePolicy, AttendanceStatus } from './policy.js';
export type { AttendanceWindow } from './window.js';
export type { Interval } from './intervals.js';
export type { Span } from './sorted-sets.js';
