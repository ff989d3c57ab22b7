import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config/index.js';
import type { sessionWorkflow } from '../workflows/index.js';
import { endUpdate, recalculateUpdate, type SessionSummary } from '../workflows/messages.js';
import { ProviderAttr, RoomAttr, SessionIdAttr, SessionStatusAttr } from '../workflows/search-attributes.js';
import { workflowIdFor, type SessionSpec, type SessionTimings } from '../workflows/types.js';

export function timingsFrom(config: Config): SessionTimings {
  const { calculationDelayMs, lateEventWindowMs, reconcileIntervalMs, maxOverrunMs } = config.timings;
  return { calculationDelayMs, lateEventWindowMs, reconcileIntervalMs, maxOverrunMs };
}

/** Start options shared by registration (start) and the webhook gateway (signalWithStart). */
export function sessionStartOptions(config: Config, spec: SessionSpec) {
  return {
    workflowId: workflowIdFor(spec.id),
    taskQueue: config.temporal.taskQueue,
    args: [
      {
        session: spec,
        timings: timingsFrom(config),
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
  const handle = await client.workflow.start<typeof sessionWorkflow>('sessionWorkflow', sessionStartOptions(config, spec));
  return handle.workflowId;
}

/** Ends the meeting as the provider's end event would (now, or at `at` epoch ms); the API's end route and `rollcall end`. */
export async function endSession(client: Client, sessionId: string, at?: number): Promise<SessionSummary> {
  return client.workflow.getHandle(workflowIdFor(sessionId)).executeUpdate(endUpdate, { args: [at === undefined ? {} : { at }] });
}

/**
 * Recomputes attendance from the stored event log; resolves once it is persisted. Update-with-start: a session
 * whose workflow has finished gets a new run, so any session can be recalculated at any time (API and CLI).
 */
export async function recalculateSession(client: Client, config: Config, session: SessionSpec): Promise<SessionSummary> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof sessionWorkflow>('sessionWorkflow', sessionStartOptions(config, session));
  return client.workflow.executeUpdateWithStart(recalculateUpdate, { startWorkflowOperation });
}
