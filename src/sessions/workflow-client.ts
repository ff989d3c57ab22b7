import { SessionNotRunning } from '../domain/errors.js';
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import type { sessionWorkflow } from '../workflows/index.js';
import type { AttendanceEvent, MeetingEndedEvent } from '../domain/index.js';
import { storeFacts } from '../db/facts.js';
import type { Pool } from '../db/pool.js';
import { endUpdate, factsSignal, recalculateUpdate, type SessionSummary } from '../workflows/messages.js';
import { ProviderAttr, RoomAttr, SessionIdAttr, SessionStatusAttr } from '../workflows/search-attributes.js';
import { workflowIdFor, type SessionSpec, type SessionTimings } from '../workflows/types.js';

export function timingsFrom(config: Config): SessionTimings {
  const { calculationDelayMs, lateEventWindowMs, reconcileIntervalMs, maxOverrunMs } = config.timings;
  return { calculationDelayMs, lateEventWindowMs, reconcileIntervalMs, maxOverrunMs };
}

/** Start options shared by registration (start), the relay (signalWithStart) and recalculation (update-with-start). */
export function sessionStartOptions(config: Config, spec: SessionSpec) {
  return {
    workflowId: workflowIdFor(spec.id),
    taskQueue: config.temporal.taskQueue,
    args: [
      {
        session: spec,
        timings: timingsFrom(config),
        earlyJoinMs: config.timings.earlyJoinMs,
        pushReports: config.reportWebhook !== undefined,
        reconcile: spec.provider === 'livekit' && config.livekit.url !== undefined,
        continueAsNewEvents: config.continueAsNewEvents,
      },
    ] as Parameters<typeof sessionWorkflow>,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    memo: { title: spec.title ?? `${spec.provider} ${spec.room}` },
    typedSearchAttributes: [
      { key: SessionIdAttr, value: spec.id },
      { key: ProviderAttr, value: spec.provider },
      { key: RoomAttr, value: spec.room },
      { key: SessionStatusAttr, value: 'scheduled' },
    ],
  };
}

/** Starts the session's workflow, or finds the running one (a retried registration). */
export async function startSessionWorkflow(client: Client, config: Config, spec: SessionSpec): Promise<string> {
  const handle = await client.workflow.start<typeof sessionWorkflow>(
    'sessionWorkflow',
    sessionStartOptions(config, spec),
  );
  return handle.workflowId;
}

/** Hands the session's workflow facts of its room, starting it if needed: the relay's one call. */
export async function deliverFacts(
  client: Client,
  config: Config,
  spec: SessionSpec,
  facts: AttendanceEvent[],
): Promise<void> {
  await client.workflow.signalWithStart<typeof sessionWorkflow, [AttendanceEvent[]]>('sessionWorkflow', {
    ...sessionStartOptions(config, spec),
    signal: factsSignal,
    signalArgs: [facts],
  });
}

/**
 * Ends the meeting as the provider's end event would (now, or at `at` epoch ms); the API's end route and
 * `rollcall end`. Only a running session can be ended (a finished one would not notice). The end is stored
 * first, as a fact of this session only, and handed to the workflow; should that call fail, the relay
 * delivers the stored end all the same, so the workflow and the facts never disagree.
 */
export async function endSession(
  client: Client,
  pool: Pool,
  session: SessionSpec,
  at = Date.now(),
): Promise<SessionSummary> {
  const handle = client.workflow.getHandle(workflowIdFor(session.id));
  const { status } = await handle.describe();
  if (status.name !== 'RUNNING') throw new SessionNotRunning(session.id);
  const event: MeetingEndedEvent = {
    kind: 'meeting-ended',
    key: `system:end:${session.id}:${at}`,
    at,
    source: 'system',
  };
  await storeFacts(pool, { provider: session.provider, roomId: session.room, instanceId: '' }, [event], {
    sessionId: session.id,
  });
  return handle.executeUpdate(endUpdate, { args: [event] });
}

/**
 * Recomputes attendance from the stored event log; resolves once it is persisted. Update-with-start: a session
 * whose workflow has finished gets a new run, so any session can be recalculated at any time (API and CLI).
 */
export async function recalculateSession(
  client: Client,
  config: Config,
  session: SessionSpec,
): Promise<SessionSummary> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof sessionWorkflow>(
    'sessionWorkflow',
    sessionStartOptions(config, session),
  );
  return client.workflow.executeUpdateWithStart(recalculateUpdate, { startWorkflowOperation });
}
