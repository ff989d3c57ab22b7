/**
 * How late is decided. Arrival is the person's first join: their earliest join in the facts that bear on the
 * session, preparation time included — someone who joined at 8:50, left at 8:55 and came back at 9:20 for a 9:00
 * class arrived at 8:50 and is not late. Late means a first join after start + grace (joining exactly at the end
 * of the grace period is on time); lateMinutes counts whole minutes from the start.
 */
import { MINUTE_MS } from './time.js';

export interface Lateness {
  late: boolean;
  lateMinutes: number;
}

/** `start`: the scheduled start (the actual start for ad-hoc sessions). `firstJoin` undefined: never joined, not late. */
export function latenessOf(firstJoin: number | undefined, start: number, graceMinutes: number): Lateness {
  if (firstJoin === undefined || firstJoin <= start + graceMinutes * MINUTE_MS) return { late: false, lateMinutes: 0 };
  return { late: true, lateMinutes: Math.floor((firstJoin - start) / MINUTE_MS) };
}
