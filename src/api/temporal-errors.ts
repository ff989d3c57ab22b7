import { isTemporalUnavailable } from '../sessions/temporal-errors.js';
import { Unavailable } from '../domain/errors.js';

/** Runs a Temporal call, turning "Temporal unreachable" into a 503 so clients and providers retry. */
export async function withTemporal<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isTemporalUnavailable(error)) throw new Unavailable('Temporal is unavailable; retry later', { cause: error });
    throw error;
  }
}

export { isTemporalUnavailable, within } from '../sessions/temporal-errors.js';
