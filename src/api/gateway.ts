import type { Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import type { AttendanceEvent } from '../domain/index.js';
import type { RoomRef } from '../providers/common.js';
import type { sessionWorkflow } from '../workflows/index.js';
import { eventsSignal } from '../workflows/messages.js';
import type { SessionRouter } from './routing.js';
import { sessionStartOptions } from './session-workflows.js';
import { HttpError } from './http-error.js';
import { within, withTemporal } from './temporal-errors.js';

/**
 * How long the gateway keeps trying before answering 503. Zoom wants an answer within 3 s; the SDK retries
 * transient gRPC failures (a restarting server, a busy frontend) on its own until this deadline.
 */
const SIGNAL_BUDGET_MS = 2_000;

export interface Delivery {
  sessionId: string;
  workflowId: string;
}

/** Observes the signal's round trip (the API's latency histogram) and hands the same promise back. */
export type SignalTimer = <T>(signal: Promise<T>) => Promise<T>;

/**
 * Hands a webhook's events to their session's workflow, starting it if needed (signalWithStart). Resolves only
 * once Temporal has durably accepted the signal: that is what the webhook's 200 promises.
 */
export async function deliverEvents(
  temporal: Client,
  config: Config,
  router: SessionRouter,
  room: RoomRef,
  events: AttendanceEvent[],
  timeSignal: SignalTimer = (signal) => signal,
): Promise<Delivery> {
  // Routing reads PostgreSQL; while it is down the provider must retry (503), not take a 500.
  const session = await router.route(room, events[0]!.at).catch((error: unknown) => {
    throw new HttpError(503, `cannot route the event now (${error instanceof Error ? error.message : String(error)}); retry later`);
  });
  const options = sessionStartOptions(config, session);
  const signal = withTemporal(() =>
    temporal.withDeadline(Date.now() + SIGNAL_BUDGET_MS, () =>
      temporal.workflow.signalWithStart<typeof sessionWorkflow, [AttendanceEvent[]]>('sessionWorkflow', {
        ...options,
        signal: eventsSignal,
        signalArgs: [events],
      }),
    ),
  );
  // A signal that still lands after this 503 is harmless: the provider redelivers and the workflow drops the duplicate.
  await within(SIGNAL_BUDGET_MS + 250, timeSignal(signal), new HttpError(503, 'Temporal did not accept the event in time; retry later'));
  return { sessionId: session.id, workflowId: options.workflowId };
}
