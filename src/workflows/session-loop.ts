/**
 * What the session loop does next: a pure function of what the run knows and the time, so the whole life of
 * a session (seed, hard stop, final calculation, late-event recalculations, reconcile ticks, continue-as-new,
 * finish) can be read, and tested, without Temporal.
 */

export interface LoopView {
  now: number;
  /** The session's stored facts have been loaded (once per session, when its fact span opens or a fact arrives). */
  seeded: boolean;
  seedDueAt: number;
  /** A recalculation was asked for (update) and no calculation has started since. */
  recalculationRequested: boolean;
  /** The end (meeting end or hard stop) that ends this session, if known. */
  endedAt?: number;
  calculationDueAt?: number;
  /** Workflow time of the first calculation after the end. */
  finalizedAt?: number;
  /** Facts arrived that the last calculation may not have read. */
  dirty: boolean;
  hardStopAt: number;
  reconcileDueAt: number;
  lateWindowEndsAt?: number;
  continueAsNewDue: boolean;
  /** No signal or update handler is still running. */
  handlersFinished: boolean;
}

export type LoopAction =
  | { kind: 'seed' }
  | { kind: 'calculate'; auto: boolean }
  | { kind: 'hard-stop' }
  | { kind: 'reconcile' }
  | { kind: 'continue-as-new' }
  | { kind: 'finish' }
  /** Sleep until `until` or until a handler changes something; `forHandlers`: also wake when the handlers finish. */
  | { kind: 'wait'; until: number; forHandlers: boolean };

export function nextAction(v: LoopView): LoopAction {
  const finalized = v.finalizedAt !== undefined;
  if (!v.seeded && v.now >= v.seedDueAt) return { kind: 'seed' };
  // An operator's request comes before anything that could make it wait (a continue-as-new, the finish).
  if (v.recalculationRequested) return { kind: 'calculate', auto: false };
  if (!finalized && v.endedAt === undefined && v.now >= v.hardStopAt) return { kind: 'hard-stop' };
  if (!finalized && v.calculationDueAt !== undefined && v.now >= v.calculationDueAt)
    return { kind: 'calculate', auto: true };
  if (finalized && v.dirty) return { kind: 'calculate', auto: true };
  if (v.now >= v.reconcileDueAt) return { kind: 'reconcile' };
  const done = finalized && v.lateWindowEndsAt !== undefined && v.now >= v.lateWindowEndsAt;
  if (v.continueAsNewDue || done) {
    // Never from inside a handler: wait for them, while anything they ask for can still wake the loop.
    if (!v.handlersFinished) return { kind: 'wait', until: deadline(v, v.now), forHandlers: true };
    return { kind: done ? 'finish' : 'continue-as-new' };
  }
  return { kind: 'wait', until: deadline(v), forHandlers: false };
}

/** The earliest time something is due (after `after`: what is already due waits for the handlers). */
function deadline(v: LoopView, after = -Infinity): number {
  const finalized = v.finalizedAt !== undefined;
  const times = [v.reconcileDueAt];
  if (!v.seeded) times.push(v.seedDueAt);
  if (!finalized) times.push(v.calculationDueAt ?? v.hardStopAt);
  else if (v.lateWindowEndsAt !== undefined) times.push(v.lateWindowEndsAt);
  return Math.min(...times.filter((t) => t > after));
}
