/** Time intervals in epoch ms: union, and union length within a window (overlapping connections count once). */

export interface Interval {
  start: number;
  end: number;
}

/** Sorted, disjoint union. Touching intervals merge: a reconnect at the same instant is continuous presence. */
export function union(intervals: readonly Interval[]): Interval[] {
  const merged: Interval[] = [];
  for (const { start, end } of sortedByStart(intervals)) {
    const last = merged.at(-1);
    if (last && start <= last.end) last.end = Math.max(last.end, end);
    else merged.push({ start, end });
  }
  return merged;
}

/** Total time covered by `intervals` inside `window` (everywhere when omitted), each instant counted once. */
export function unionLength(
  intervals: readonly Interval[],
  window: Interval = { start: -Infinity, end: Infinity },
): number {
  let total = 0;
  let runStart = 0;
  let runEnd = -Infinity;
  for (const interval of sortedByStart(intervals)) {
    const start = Math.max(interval.start, window.start);
    const end = Math.min(interval.end, window.end);
    if (start >= end) continue;
    if (start > runEnd) {
      if (runEnd > runStart) total += runEnd - runStart;
      runStart = start;
      runEnd = end;
    } else if (end > runEnd) runEnd = end;
  }
  return runEnd > runStart ? total + (runEnd - runStart) : total;
}

function sortedByStart(intervals: readonly Interval[]): readonly Interval[] {
  return intervals.length < 2 ? intervals : [...intervals].sort((a, b) => a.start - b.start || a.end - b.end);
}
