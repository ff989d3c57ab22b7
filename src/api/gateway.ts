import type { Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import type { AttendanceEvent } from '../domain/index.js';
import type { RoomRef } from '../providers/common.js';
import type { sessionWorkflow } from '../workflows/index.js';
import { eventsSignal } from '../workflows/messages.js';
import type { SessionRouter } from './routing.js';
import { sessionStartOptions } from './session-workflows.js';
import { HttpError } from './http-error.js';
import { SignalBatcher } from './signal-batcher.js';
import { within, withTemporal } from './temporal-errors.js';

/**
 * How long the gateway keeps trying before answering 503. Zoom wants an answer within 3 s; the SDK retries
 * transient gRPC failures (a restarting server, a busy frontend) on its own until this deadline.
 */
const SIGNAL_BUDGET_MS = 2_000;
/** Events per signal at most (a few hundred webhooks): keeps each signal payload far below Temporal's 2 MB. */
export const MAX_EVENTS_PER_SIGNAL = 300;
/**
 * At most 20 signals a second per session. Every signal costs the workflow a task, and a run's history (which
 * is replayed whenever the worker loses it from its cache, as at every continue-as-new under load) grows with
 * tasks: a webinar's storm in fewer, larger signals means fewer and cheaper continue-as-new transitions. A
 * webhook to a busy session waits at most this long for its signal; one to a quiet session goes at once.
 */
const MIN_SIGNAL_INTERVAL_MS = 50;

export interface Delivery {
  sessionId: string;
  workflowId: string;
}

/** Observes the signal's round trip (the API's latency histogram) and hands the same promise back. */
export type SignalTimer = <T>(signal: Promise<T>) => Promise<T>;

type StartOptions = ReturnType<typeof sessionStartOptions>;

/**
 * Hands events to their session's workflow, starting it if needed (signalWithStart). A delivery resolves only
 * once Temporal has durably accepted a signal carrying its events: that is what a webhook's 200 promises.
 * Deliveries for the same session while a signal is in flight share the next signal (see SignalBatcher).
 */
export class Gateway {
  private readonly batcher: SignalBatcher<StartOptions, AttendanceEvent>;

  constructor(
    temporal: Client,
    private readonly config: Config,
    private readonly router: SessionRouter,
    timeSignal: SignalTimer = (signal) => signal,
  ) {
    this.batcher = new SignalBatcher<StartOptions, AttendanceEvent>(
      async (options, events) => {
        await timeSignal(
          withTemporal(() =>
            temporal.withDeadline(Date.now() + SIGNAL_BUDGET_MS, () =>
              temporal.workflow.signalWithStart<typeof sessionWorkflow, [AttendanceEvent[]]>('sessionWorkflow', {
                ...options,
                signal: eventsSignal,
                signalArgs: [events],
              }),
            ),
          ),
        );
      },
      { maxEvents: MAX_EVENTS_PER_SIGNAL, minIntervalMs: MIN_SIGNAL_INTERVAL_MS },
    );
  }

  async deliver(room: RoomRef, events: AttendanceEvent[]): Promise<Delivery> {
    // Routing reads PostgreSQL; while it is down the provider must retry (503), not take a 500.
    const session = await this.router.route(room, events[0]!.at).catch((error: unknown) => {
      throw new HttpError(503, `cannot route the event now (${error instanceof Error ? error.message : String(error)}); retry later`);
    });
    const options = sessionStartOptions(this.config, session);
    const budget = SIGNAL_BUDGET_MS + 250;
    const accepted = this.batcher.deliver(options.workflowId, options, events, Date.now() + budget);
    // A signal that still lands after this 503 is harmless: the provider redelivers and the workflow drops the duplicate.
    await within(budget, accepted, new HttpError(503, 'Temporal did not accept the event in time; retry later'));
    return { sessionId: session.id, workflowId: options.workflowId };
  }
}
