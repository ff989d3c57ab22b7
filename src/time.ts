/**
 * Epoch milliseconds (how every time is kept in memory, see src/domain/time.ts) to and from what the outside
 * world reads: ISO-8601 UTC strings in answers and Dates as SQL parameters and results.
 */

/** ISO-8601 UTC (`toISOString()`): the one format of times in answers, reports and the CLI. */
export const toIso = (time: number | Date | string): string => new Date(time).toISOString();

/** As toIso; null where there is no time (answers show absent times as null). */
export const toIsoOrNull = (time: number | Date | string | null | undefined): string | null =>
  time === null || time === undefined ? null : toIso(time);

/** A time as an SQL parameter: a Date, or NULL. */
export const toDateOrNull = (epochMs: number | undefined): Date | null =>
  epochMs === undefined ? null : new Date(epochMs);

/** A nullable timestamptz column as epoch ms. */
export const toEpochMs = (date: Date | null): number | undefined => (date === null ? undefined : date.getTime());
