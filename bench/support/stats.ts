/** Small statistics helpers: nearest-rank percentiles and medians, rounded for reports. */

/** Nearest-rank percentile (q in 0..1) of unsorted values; 0 for an empty list. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Rounds to `digits` decimals (reports stay readable; raw samples are never stored). */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function summarize(ms: readonly number[]): LatencySummary {
  return {
    count: ms.length,
    p50: round(percentile(ms, 0.5)),
    p90: round(percentile(ms, 0.9)),
    p99: round(percentile(ms, 0.99)),
    max: round(Math.max(0, ...ms)),
  };
}

/**
 * Median of each numeric field over runs (the field set of the first run). Booleans become "all runs true";
 * anything else is taken from the first run.
 */
export function medianOf<T extends Record<string, unknown>>(runs: readonly T[]): Record<string, unknown> {
  const first = runs[0];
  if (!first) return {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    if (typeof value === 'number') out[key] = round(median(runs.map((run) => run[key] as number)), 2);
    else if (typeof value === 'boolean') out[key] = runs.every((run) => run[key] === true);
    else out[key] = value;
  }
  return out;
}
