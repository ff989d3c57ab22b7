import type { AttendancePolicy, Provider, RosterEntry } from '../domain/index.js';

/** A session as the workflow knows it: registered through the API, or ad-hoc from a provider meeting. */
export interface SessionSpec {
  id: string;
  provider: Provider;
  /** LiveKit room name or Zoom meeting id. */
  room: string;
  /** The provider's meeting instance (Zoom meeting uuid, LiveKit room sid) for ad-hoc sessions. */
  instanceId?: string;
  title?: string;
  adHoc: boolean;
  /** Epoch ms; absent for ad-hoc sessions, whose window is the actual meeting. */
  scheduledStart?: number;
  scheduledEnd?: number;
  roster: RosterEntry[];
  policy: AttendancePolicy;
}

/** Durations the workflow sleeps on, from configuration (milliseconds). */
export interface SessionTimings {
  calculationDelayMs: number;
  lateEventWindowMs: number;
  reconcileIntervalMs: number;
  maxOverrunMs: number;
}

export function workflowIdFor(sessionId: string): string {
  return `session-${sessionId}`;
}
