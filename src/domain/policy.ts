/**
 * Attendance policies: how a status follows from attended time. Thresholds are compared in integer
 * milliseconds (attended × 100 ≥ pct × window), never through a rounded percentage, so exactly 75 % is present.
 */
import { MINUTE_MS } from './time.js';

export type AttendancePolicy =
  | {
      kind: 'percentage';
      /** Present at or above this share of the window. Default 75. */
      presentPct?: number;
      /** Above this (and below presentPct): present if on time, else late. Default 50. */
      latePct?: number;
      /** Partial at or above this. Default 10. */
      partialPct?: number;
      /** Minutes after the start that still count as on time. Default 15. */
      graceMinutes?: number;
    }
  | {
      kind: 'minimum-duration';
      /** Present at or above this many attended minutes. Default 15. */
      minutes?: number;
      /** Only for the late flag, which is reported whatever the status. Default 15. */
      graceMinutes?: number;
    };

/** A person's attendance verdict; also the CHECK on session_reports.status. */
export const ATTENDANCE_STATUSES = ['present', 'late', 'partial', 'absent'] as const;
export type AttendanceStatus = (typeof ATTENDANCE_STATUSES)[number];

export const DEFAULT_POLICY: AttendancePolicy = { kind: 'percentage' };

export function graceMinutesOf(policy: AttendancePolicy): number {
  return policy.graceMinutes ?? 15;
}

/** Attended share of the window in percent, rounded down to 2 decimals (never shows 75 when it is 74.999). */
export function percentageOf(attendedMs: number, windowMs: number): number {
  if (windowMs <= 0) return 0;
  return Math.min(100, Math.floor((attendedMs * 10_000) / windowMs) / 100);
}

export function decideStatus(
  policy: AttendancePolicy,
  attendedMs: number,
  windowMs: number,
  late: boolean,
): AttendanceStatus {
  if (policy.kind === 'minimum-duration') {
    if (attendedMs >= (policy.minutes ?? 15) * MINUTE_MS) return 'present';
    return attendedMs > 0 ? 'partial' : 'absent';
  }
  const { presentPct = 75, latePct = 50, partialPct = 10 } = policy;
  if (windowMs <= 0) return 'absent';
  if (attendedMs * 100 >= presentPct * windowMs) return 'present';
  if (attendedMs * 100 > latePct * windowMs) return late ? 'late' : 'present';
  if (attendedMs * 100 >= partialPct * windowMs) return 'partial';
  return 'absent';
}
