/**
 * Sorted, duplicate-free arrays (and a deterministic string order): how the engine stores facts. Plain arrays survive
 * JSON (Temporal payloads)
 * and, kept sorted and unique, make the state canonical: the same facts give the same arrays in any order.
 */

/** A closed time span `[start, end]` in epoch ms, stored as a pair to stay compact in JSON. */
export type Span = [start: number, end: number];

/** Index of the first element `>= x`. */
export function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element `> x`. */
export function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds `x` in order; false when it was already there (the same fact seen again). */
export function insertUnique<T extends number | string>(sorted: T[], x: T): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (sorted[lo] === x) return false;
  // shift by hand: splice would allocate a result array on every insertion
  for (let i = sorted.length; i > lo; i--) sorted[i] = sorted[i - 1]!;
  sorted[lo] = x;
  return true;
}

/** Adds `span` ordered by start then end; false when an identical span was already there. */
export function insertUniqueSpan(spans: Span[], span: Span): boolean {
  let i = 0;
  while (i < spans.length && compareSpans(spans[i]!, span) < 0) i++;
  if (i < spans.length && compareSpans(spans[i]!, span) === 0) return false;
  spans.splice(i, 0, span);
  return true;
}

function compareSpans(a: Span, b: Span): number {
  return a[0] - b[0] || a[1] - b[1];
}

/** Code-unit order: locale-independent, so results are the same on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The largest element `<= limit`, if any. */
export function lastAtOrBefore(sorted: readonly number[], limit: number): number | undefined {
  const i = upperBound(sorted, limit);
  return i > 0 ? sorted[i - 1] : undefined;
}
