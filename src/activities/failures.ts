import { ApplicationFailure } from '@temporalio/activity';
import {
  Conflict,
  InvalidInput,
  NotFound,
  ProviderRefused,
  RollcallError,
  SessionNotRunning,
  Unavailable,
} from '../domain/errors.js';

/**
 * The one table of what Temporal does when an activity fails with a neutral error: retry it (per the caller's
 * retry policy) or fail at once, because asking again cannot give another answer.
 */
export const RETRYABLE = new Map<abstract new (...args: never[]) => RollcallError, boolean>([
  [NotFound, false],
  [SessionNotRunning, false],
  [InvalidInput, false],
  [Conflict, false],
  [ProviderRefused, false],
  [Unavailable, true],
]);

/**
 * The failure Temporal sees for an error an activity threw: a neutral error the table says not to retry becomes a
 * non-retryable ApplicationFailure of the error's name (the type workflows and operators see); anything else
 * (a neutral error to retry, a network or database error) is retried as it is.
 */
export function activityFailure(error: unknown): unknown {
  if (!(error instanceof RollcallError)) return error;
  for (const [type, retryable] of RETRYABLE)
    if (error instanceof type) return retryable ? error : ApplicationFailure.nonRetryable(error.message, error.name);
  return error;
}

type Activity = (...args: never[]) => Promise<unknown>;

/** The same activities, each failing through activityFailure. */
export function withFailureTable<A extends Record<string, Activity>>(activities: A): A {
  return Object.fromEntries(
    Object.entries(activities).map(([name, activity]) => [
      name,
      async (...args: never[]) => {
        try {
          return await activity(...args);
        } catch (error) {
          throw activityFailure(error);
        }
      },
    ]),
  ) as A;
}
