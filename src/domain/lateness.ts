/**
 * How late is decided. Arrival is the first moment a person is present inside the window — so someone who
 * came early and stayed is on time, and someone who left before the start and came back later is late.
 * Late means arriving after start + grace (arriving exactly at the end of the grace period is on time);
 * lateMinutes counts whole minutes from the start.
 */
import type { Interval } from './intervals.js';

export interface Lateness {
  late: boolean;
  lateMinutes: number;
}

const MINUTE = 60_000;

/** First instant of presence within `window`; a cycle that ended exactly at the window start does not count. */
export function arrivalTime(intervals: readonly Interval[], window: Interval): number | undefined {
  let arrival: number | undefined;
  for (const { start, end } of intervals) {
    if (start > window.end || (end <= window.start && start < window.start)) continue;
    const at = Math.max(start, window.start);
    if (arrival === undefined || at < arrival) arrival = at;
  }
  return arrival;
}

/** `start`: the scheduled start (the actual start for ad-hoc sessions). */
export function latenessOf(arrival: number | undefined, start: number, graceMinutes: number): Lateness {
  if (arrival === undefined || arrival <= start + graceMinutes * MINUTE) return { late: false, lateMinutes: 0 };
  return { late: true, lateMinutes: Math.floor((arrival - start) / MINUTE) };
}
