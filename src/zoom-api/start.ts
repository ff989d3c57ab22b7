/** Starting report syncs: from the API, after a session's final calculation, and by the daily Schedule. */
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  WorkflowIdConflictPolicy,
  type Client,
} from '@temporalio/client';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';
import type { SessionSpec } from '../workflows/types.js';
import type { ReportSyncInput, ReportSyncTarget } from '../workflows/report-sync-types.js';

export const DAILY_SCHEDULE_ID = 'zoom-report-sync-daily';
const DAY_MS = 86_400_000;

/** Report sync needs the server-to-server OAuth app; without it every trigger is skipped. */
export function zoomApiConfigured(config: Config): boolean {
  const { accountId, clientId, clientSecret } = config.zoom;
  return Boolean(accountId && clientId && clientSecret);
}

/** One id per target, so concurrent requests for the same sync collapse into one workflow (USE_EXISTING). */
export function reportSyncWorkflowId(target: ReportSyncTarget): string {
  const which = target.instanceUuid
    ? Buffer.from(target.instanceUuid).toString('base64url')
    : target.recurring
      ? 'all'
      : target.startedWithin
        ? `${target.startedWithin.from}-${target.startedWithin.to}`
        : 'latest';
  return `zoom-report-sync-${target.id}-${which}`;
}

/**
 * Starts the sync of `target` on the report sync task queue (its activities follow it there), or joins the one
 * already running for it; resolves to its workflow id.
 */
export async function startReportSync(
  client: Client,
  config: Config,
  target: ReportSyncTarget,
  options: { delayMs?: number } = {},
): Promise<string> {
  const workflowId = reportSyncWorkflowId(target);
  // By name: this module is imported by activities, which the workflow module imports (types), so no typeof here.
  await client.workflow.start('reportSyncWorkflow', {
    workflowId,
    taskQueue: config.temporal.reportSyncTaskQueue,
    args: [{ target } satisfies ReportSyncInput],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    ...(options.delayMs ? { startDelay: options.delayMs } : {}),
  });
  return workflowId;
}

/**
 * Which Zoom instances hold a session's attendance: an ad-hoc session is one instance (its uuid); a registered
 * session is whatever instance of its room started within its routing window. Sessions do not record whether the
 * room is a meeting or a webinar, so the kind is left for the sync to find out.
 */
export function syncTargetForSession(session: SessionSpec, config: Config): ReportSyncTarget {
  if (session.instanceId) return { id: session.room, instanceUuid: session.instanceId };
  const { earlyJoinMs, maxOverrunMs } = config.timings;
  return {
    id: session.room,
    startedWithin: { from: session.scheduledStart! - earlyJoinMs, to: session.scheduledEnd! + maxOverrunMs },
  };
}

/**
 * Creates the daily Schedule that syncs the reports of Zoom sessions which ended in the last day, unless it
 * exists; an existing one gets the current report sync task queue. A no-op without Zoom API credentials. Called
 * at worker start-up, so every worker may call it: creation is idempotent.
 */
export async function ensureReportSyncSchedule(client: Client, config: Config, logger?: Logger): Promise<boolean> {
  if (!zoomApiConfigured(config)) return false;
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'recentZoomReportSyncWorkflow',
    workflowId: 'zoom-report-sync-recent',
    taskQueue: config.temporal.reportSyncTaskQueue,
    args: [{ lookbackMs: DAY_MS }],
  };
  try {
    // 03:00 UTC: Zoom has built the reports of the day's meetings by then.
    await client.schedule.create({
      scheduleId: DAILY_SCHEDULE_ID,
      spec: { calendars: [{ hour: 3 }] },
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    logger?.info({ scheduleId: DAILY_SCHEDULE_ID }, 'daily Zoom report sync scheduled');
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await client.schedule.getHandle(DAILY_SCHEDULE_ID).update((previous) => ({ ...previous, action }));
  }
  return true;
}
