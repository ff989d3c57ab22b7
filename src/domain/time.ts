/**
 * Time units for epoch-millisecond arithmetic. The engine's times are plain numbers (no Date, no clock); turning
 * them into ISO strings or Dates for SQL is src/time.ts's job.
 */
export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Providers write times and durations in seconds (Unix time, `duration`, `expires_in`). */
export const secondsToMs = (seconds: number): number => seconds * SECOND_MS;

/** A span in whole seconds, rounded down: attended and present time are reported so. */
export const wholeSeconds = (ms: number): number => Math.floor(ms / SECOND_MS);
