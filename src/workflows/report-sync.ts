import { ActivityFailure, ApplicationFailure, continueAsNew, defineQuery, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ParticipantSource, ZoomKind } from '../zoom-api/reports.js';

/** What to sync: one Zoom meeting or webinar id, and which of its past instances. */
export interface ReportSyncTarget {
  /** Undefined: found out by the sync (meeting first, then webinar); sessions do not record which a room is. */
  kind?: ZoomKind;
  /** The meeting or webinar id: the room sessions are registered under. */
  id: string;
  /** Every past instance of a recurring series. */
  recurring?: boolean;
  /** This one instance. */
  instanceUuid?: string;
  /** The instances that started within [from, to] (epoch ms): a registered session's routing window. */
  startedWithin?: { from: number; to: number };
  // none of the three: the latest instance
}

export type InstanceStatus = 'pending' | 'done' | 'not-found' | 'refused' | 'failed';

export interface InstanceProgress {
  uuid: string;
  startTime?: number;
  /** Which endpoint is being read; `past` after the report endpoint refused (plan). */
  source: ParticipantSource;
  /** Where the next page starts; undefined = page 1. */
  pageToken?: string;
  /** Pages read, including pages read again after a restart. */
  pages: number;
  /** Rows of the current pass (a restart or a fallback starts counting again). */
  rows: number;
  /** Rows stored as new facts of the instance (a row stored before, by this sync or an earlier one, is not counted). */
  delivered: number;
  /** Restarts from page 1 after Zoom said the page token expired. */
  restarts: number;
  status: InstanceStatus;
  error?: string;
}

export interface ReportSyncProgress {
  kind: ZoomKind;
  instances: InstanceProgress[];
}

export interface ReportSyncInput {
  target: ReportSyncTarget;
  /**
   * Instances read at the same time (pages of one instance are a chain and go one after another). Default: every
   * pending instance, up to MAX_LANES. The worker's account limiter paces all their requests together, so open
   * chains cost nothing but a waiting request each, and an instance never waits for another to finish: no lane
   * goes idle while the workflow hands it its next instance (a workflow task that may queue behind sessions').
   */
  concurrency?: number;
  /** Carried over continue-as-new. */
  progress?: ReportSyncProgress;
}

export interface ReportSyncResult {
  target: ReportSyncTarget;
  kind: ZoomKind;
  instances: InstanceProgress[];
  totals: { pages: number; rows: number; delivered: number };
}

/** What one activity over a run of pages reports; rows themselves never enter the workflow's history. */
export interface PagesOutcome {
  /** `more`: stopped after maxPages, `nextPageToken` goes on; `done`: the last page was read. */
  status: 'more' | 'done' | 'page-token-expired' | 'refused' | 'not-found';
  pages: number;
  rows: number;
  delivered: number;
  nextPageToken?: string;
  reason?: string;
}

export interface PagesRequest {
  kind: ZoomKind;
  /** The room (meeting or webinar id) the rows are facts of. */
  meetingId: string;
  uuid: string;
  startTime?: number;
  source: ParticipantSource;
  pageToken?: string;
  maxPages: number;
}

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
      const outcome = await zoom.syncZoomReportPages({ kind: state.kind, meetingId: target.id, uuid, startTime, source, pageToken, maxPages: PAGES_PER_ACTIVITY });
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
  // Runs started before every instance had a lane of its own read four at a time.
  const lanes = input.concurrency ?? (patched('report-sync-lane-per-instance') ? Math.min(MAX_LANES, queue.length) : 4);
  await Promise.all(Array.from({ length: Math.max(1, lanes) }, lane));

  if (state.instances.some((instance) => instance.status === 'pending')) {
    await continueAsNew<typeof reportSyncWorkflow>({ target, ...(input.concurrency !== undefined && { concurrency: input.concurrency }), progress: state });
  }
  const result = summarise(target, state);
  const broken = state.instances.filter((instance) => instance.status === 'failed' || instance.status === 'refused');
  if (broken.length > 0) {
    throw ApplicationFailure.nonRetryable(`${broken.length} of ${state.instances.length} instances could not be synced: ${broken.map((i) => `${i.uuid} (${i.error})`).join('; ')}`, 'ReportSyncIncomplete', result);
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
export async function recentZoomReportSyncWorkflow({ lookbackMs }: { lookbackMs: number }): Promise<{ started: string[] }> {
  return { started: await zoom.startRecentZoomReportSyncs(lookbackMs) };
}
