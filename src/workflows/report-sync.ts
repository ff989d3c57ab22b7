import {
  ActivityFailure,
  ApplicationFailure,
  continueAsNew,
  defineQuery,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type {
  ReportSyncTarget,
  InstanceProgress,
  ReportSyncProgress,
  ReportSyncInput,
  ReportSyncResult,
} from './report-sync-types.js';

/** Where the sync is: every instance's status and counts so far (the CLI shows it while waiting). */
export const progressQuery = defineQuery<ReportSyncProgress>('progress');

const zoom = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  // The page activity heartbeats after every page; a worker that died is noticed within a minute.
  heartbeatTimeout: '1 minute',
  // A 429 sets its own delay (Retry-After, or a short backoff); this policy covers network errors and 5xx.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 30 },
});

/** Pages per activity: each activity costs ~6 history events, so 1,000 pages make ~300 events, not 6,000. */
const PAGES_PER_ACTIVITY = 20;
/** Continue well inside the history limits even if the server has not suggested it. */
const MAX_ACTIVITIES_PER_RUN = 1_000;
/** A page token that keeps expiring means something else is wrong. */
const MAX_RESTARTS = 3;
/** Instances at a time at most by default: a page activity each, within the worker's 100 activity slots. */
const MAX_LANES = 64;

/**
 * Imports Zoom's participant report of one meeting or webinar (one instance, the latest, those in a window, or
 * every instance of a recurring series) as facts of its instances, which the relay brings to their sessions.
 * Activities read runs of pages: they fetch, turn rows into report-row events and store each page in one
 * statement; the workflow keeps only cursors, so its history stays small for a thousand pages (and it continues
 * as new past that).
 */
export async function reportSyncWorkflow(input: ReportSyncInput): Promise<ReportSyncResult> {
  const { target, progress } = input;
  let state: ReportSyncProgress = progress ?? { kind: target.kind ?? 'meeting', instances: [] };
  setHandler(progressQuery, () => state);
  if (!progress) state = await zoom.resolveZoomInstances(target);
  let activitiesThisRun = 0;
  const pauseDue = () => workflowInfo().continueAsNewSuggested || activitiesThisRun >= MAX_ACTIVITIES_PER_RUN;

  const syncInstance = async (instance: InstanceProgress) => {
    while (instance.status === 'pending' && !pauseDue()) {
      activitiesThisRun += 1;
      const { uuid, startTime, source, pageToken } = instance;
      const outcome = await zoom.syncZoomReportPages({
        kind: state.kind,
        meetingId: target.id,
        uuid,
        startTime,
        source,
        pageToken,
        maxPages: PAGES_PER_ACTIVITY,
      });
      instance.pages += outcome.pages;
      instance.rows += outcome.rows;
      instance.delivered += outcome.delivered;
      instance.pageToken = outcome.nextPageToken;
      switch (outcome.status) {
        case 'more':
          break;
        case 'done':
          instance.status = 'done';
          break;
        case 'page-token-expired':
          // Page 1 again: rows already stored carry the same keys, so storing them twice adds nothing.
          instance.restarts += 1;
          restart(instance);
          if (instance.restarts > MAX_RESTARTS) fail(instance, `the page token expired ${instance.restarts} times`);
          break;
        case 'refused':
          if (instance.source === 'report') {
            instance.source = 'past';
            restart(instance);
          } else {
            instance.status = 'refused';
            instance.error = outcome.reason;
          }
          break;
        case 'not-found':
          instance.status = 'not-found';
          instance.error = outcome.reason;
          break;
      }
    }
  };

  const queue = state.instances.filter((instance) => instance.status === 'pending');
  const lane = async () => {
    for (let instance = queue.shift(); instance !== undefined && !pauseDue(); instance = queue.shift()) {
      try {
        await syncInstance(instance);
      } catch (error) {
        // Retries exhausted or a non-retryable answer: the other instances still sync.
        if (!(error instanceof ActivityFailure)) throw error;
        fail(instance, error.cause?.message ?? error.message);
      }
    }
  };
  const lanes = input.concurrency ?? Math.min(MAX_LANES, queue.length);
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));

  if (state.instances.some((instance) => instance.status === 'pending')) {
    await continueAsNew<typeof reportSyncWorkflow>({
      target,
      ...(input.concurrency !== undefined && { concurrency: input.concurrency }),
      progress: state,
    });
  }
  const result = summarise(target, state);
  const broken = state.instances.filter((instance) => instance.status === 'failed' || instance.status === 'refused');
  if (broken.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `${broken.length} of ${state.instances.length} instances could not be synced: ${broken.map((i) => `${i.uuid} (${i.error})`).join('; ')}`,
      'ReportSyncIncomplete',
      result,
    );
  }
  return result;
}

function restart(instance: InstanceProgress): void {
  instance.pageToken = undefined;
  instance.rows = 0;
}

function fail(instance: InstanceProgress, error: string): void {
  instance.status = 'failed';
  instance.error = error;
}

function summarise(target: ReportSyncTarget, { kind, instances }: ReportSyncProgress): ReportSyncResult {
  const totals = { pages: 0, rows: 0, delivered: 0 };
  for (const instance of instances) {
    totals.pages += instance.pages;
    totals.rows += instance.rows;
    totals.delivered += instance.delivered;
  }
  return { target, kind, instances: instances.map(({ pageToken: _token, ...rest }) => rest), totals };
}

/** The daily Schedule's workflow: starts a report sync for every Zoom session that ended within `lookbackMs`. */
export async function recentZoomReportSyncWorkflow({
  lookbackMs,
}: {
  lookbackMs: number;
}): Promise<{ started: string[] }> {
  return { started: await zoom.startRecentZoomReportSyncs(lookbackMs) };
}
