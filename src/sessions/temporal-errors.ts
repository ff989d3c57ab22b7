import { ServiceError } from '@temporalio/client';

const CANCELLED = 1;
const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
/**
 * A run that reached the server's signal limit refuses more until it continues as new, which it is about to
 * do (it continues well before the limit; this is a backlog outrunning it): retrying shortly succeeds.
 */
const SIGNAL_LIMIT = /limit for signal/i;

/** Temporal could not take the call right now (down, overloaded, timed out, a run about to continue): retry later. */
export function isTemporalUnavailable(error: unknown): boolean {
  if (!(error instanceof ServiceError)) return false;
  const cause = error.cause as { code?: number; details?: string } | undefined;
  const code = cause?.code;
  return (
    code === UNAVAILABLE ||
    code === DEADLINE_EXCEEDED ||
    code === RESOURCE_EXHAUSTED ||
    code === CANCELLED ||
    SIGNAL_LIMIT.test(`${error.message} ${cause?.details ?? ''}`)
  );
}

/** Bounds a call by wall time: the SDK does not bound (re)connecting by the call deadline. */
export async function within<T>(ms: number, promise: Promise<T>, timeout: Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeout), ms);
  });
  try {
    return await Promise.race([promise, budget]);
  } finally {
    clearTimeout(timer);
  }
}
