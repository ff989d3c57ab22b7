/**
 * Reconcile evidence, compressed. The session keeps the time of every snapshot (one number each); a
 * connection keeps only its runs: maximal spans of consecutive snapshots that all listed it. That is
 * enough to answer "when was it last confirmed present before a snapshot that did not list it", and it
 * stays exact when snapshots arrive out of order (a late snapshot that did not list the connection splits
 * a run around itself; its neighbours in the snapshot list are the new run ends).
 */
import { lowerBound, upperBound, type Span } from './sorted-sets.js';

/** Index of the run that contains `t`, or -1. */
function runContaining(runs: readonly Span[], t: number): number {
  const i = firstRunAfter(runs, t) - 1;
  return i >= 0 && runs[i]![1] >= t ? i : -1;
}

/** Index of the first run starting after `t`. */
function firstRunAfter(runs: readonly Span[], t: number): number {
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (runs[mid]![0] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The snapshot at `t` (already in `snapshots`) listed the connection. Returns whether `runs` changed. */
export function markListed(runs: Span[], snapshots: readonly number[], t: number): boolean {
  if (runContaining(runs, t) >= 0) return false;
  const k = lowerBound(snapshots, t);
  const previous = snapshots[k - 1];
  const next = snapshots[k + 1];
  const i = firstRunAfter(runs, t);
  const before = i > 0 && runs[i - 1]![1] === previous ? runs[i - 1] : undefined;
  const after = i < runs.length && runs[i]![0] === next ? runs[i] : undefined;
  if (before && after) {
    before[1] = after[1];
    runs.splice(i, 1);
  } else if (before) before[1] = t;
  else if (after) after[0] = t;
  else runs.splice(i, 0, [t, t]);
  return true;
}

/**
 * A snapshot at `t`, new to `snapshots` (already inserted), did not list the connection: a run that spanned
 * `t` is no longer consecutive and splits around it. Returns whether `runs` changed.
 */
export function markUnlisted(runs: Span[], snapshots: readonly number[], t: number): boolean {
  const i = runContaining(runs, t);
  if (i < 0) return false;
  const [first, last] = runs[i]!;
  const k = lowerBound(snapshots, t);
  runs.splice(i, 1, [first, snapshots[k - 1]!], [snapshots[k + 1]!, last]);
  return true;
}

/** How reconcile closes a cycle: at snapshot time `at` (which did not list it), ending the cycle at `leftAt`. */
export interface ReconcileClosure {
  at: number;
  leftAt: number;
}

/**
 * For a cycle opened at `joinedAt`: the first later snapshot that did not list the connection, closing the
 * cycle at the last snapshot that confirmed it (or at its join when none did). Undefined when every later
 * snapshot listed it.
 */
export function reconcileClosure(
  runs: readonly Span[],
  snapshots: readonly number[],
  joinedAt: number,
): ReconcileClosure | undefined {
  const k = upperBound(snapshots, joinedAt);
  if (k === snapshots.length) return undefined;
  const first = snapshots[k]!;
  const run = runs[runContaining(runs, first)];
  if (!run) return { at: first, leftAt: joinedAt };
  const after = snapshots[upperBound(snapshots, run[1])];
  return after === undefined ? undefined : { at: after, leftAt: run[1] };
}

/**
 * Snapshot times whose listing can open a cycle (a missed join): the first snapshot of each run, and the first
 * listed snapshots at or after each time something else may have closed the connection inside a run. Every
 * other listing falls inside a cycle that is already open, where it changes nothing.
 */
export function listingOpeners(
  runs: readonly Span[],
  snapshots: readonly number[],
  closingTimes: readonly number[],
): number[] {
  const openers = runs.map(([first]) => first);
  for (const t of closingTimes) {
    const run = runs[runContaining(runs, t)];
    if (!run) continue;
    for (const k of [lowerBound(snapshots, t), upperBound(snapshots, t)]) {
      const s = snapshots[k];
      if (s !== undefined && s <= run[1]) openers.push(s);
    }
  }
  return openers;
}
