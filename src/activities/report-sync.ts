import { ApplicationFailure, Context } from '@temporalio/activity';
import { ApplicationFailureCategory } from '@temporalio/common';
import { storeFacts } from '../db/facts.js';
import type { Config } from '../config/index.js';
import { getSession, sessionsEndedSince } from '../db/sessions.js';
import type { RoomRef } from '../providers/common.js';
import type {
  PagesOutcome,
  PagesRequest,
  ReportSyncProgress,
  ReportSyncTarget,
} from '../workflows/report-sync-types.js';
import { ZoomApiClient } from '../zoom-api/client.js';
import { ZoomApiError, ZoomOAuthError } from '../zoom-api/errors.js';
import { accountLimiter } from '../zoom-api/limiter.js';
import {
  listInstances,
  participantsPage,
  type Instance,
  type ParticipantsPage,
  type ZoomKind,
} from '../zoom-api/reports.js';
import { reportRowEvent, type ZoomReportRowEvent } from '../zoom-api/rows.js';
import { startReportSync, syncTargetForSession, zoomApiConfigured } from '../zoom-api/start.js';
import { ZoomTokenCache } from '../zoom-api/token.js';
import type { ActivityDeps } from './deps.js';

/** Zoom says "page token invalid or expired" with this code (HTTP 400). */
const PAGE_TOKEN_EXPIRED = 300;
/** One activity reads pages for at most this long, then hands its cursor back to the workflow. */
const MAX_ACTIVITY_MS = 60_000;
/** Pages of one activity being written at once; reading waits while this many are. */
const MAX_WRITES_IN_FLIGHT = 4;

/** How far an activity got: its heartbeat details, so a retried attempt (after a 429, a crash) resumes here. */
interface Cursor {
  pageToken?: string;
  pages: number;
  rows: number;
  delivered: number;
}

/** Activities of the report-sync workflows; every one is safe to retry (event keys make re-sent rows harmless). */
export function reportSyncActivities({ config, pool, logger, temporal }: ActivityDeps) {
  let client: ZoomApiClient | undefined;
  // One client (one cached token) per worker process.
  const zoom = () => (client ??= zoomClient(config));

  /**
   * Stores a page's rows as facts of their room instance in one statement, returning how many were new; the relay
   * brings them to every session they bear on. Rows stored before (same key) are skipped, so a second sync
   * stores nothing and wakes no session.
   */
  const store = (room: RoomRef, events: ZoomReportRowEvent[]): Promise<number> => storeFacts(pool, room, events);

  return {
    /** Which instances the target means, and whether its id is a meeting or a webinar. */
    async resolveZoomInstances(target: ReportSyncTarget): Promise<ReportSyncProgress> {
      const kinds: ZoomKind[] = target.kind ? [target.kind] : ['meeting', 'webinar'];
      for (const kind of kinds) {
        if (target.kind && target.instanceUuid) return progressOf(kind, [{ uuid: target.instanceUuid }]);
        let instances: Instance[];
        try {
          instances = await listInstances(zoom(), kind, target.id);
        } catch (error) {
          if (error instanceof ZoomApiError && error.status === 404 && kind !== kinds.at(-1)) continue;
          throw failureFor(error);
        }
        return progressOf(kind, selectInstances(target, instances));
      }
      throw new Error('unreachable: the last kind either returns or throws');
    },

    /**
     * Reads an instance's pages from `pageToken` on, up to `maxPages` (or a minute): each page's rows become
     * report-row events stored as facts, one statement per page. Fetching does not wait for writing: the next page is
     * asked
     * for (at the account limiter's pace) as soon as the previous one's token is known, while up to
     * MAX_WRITES_IN_FLIGHT pages are being written. The heartbeated cursor moves past a page once it and every
     * page before it are written, so a retried attempt (after a 429 it could not absorb, a worker crash) resumes
     * at the first page not written.
     */
    async syncZoomReportPages(request: PagesRequest): Promise<PagesOutcome> {
      const { kind, meetingId, uuid, startTime, source, maxPages } = request;
      const context = Context.current();
      const cursor: Cursor = (context.info.heartbeatDetails as Cursor | undefined) ?? {
        pageToken: request.pageToken,
        pages: 0,
        rows: 0,
        delivered: 0,
      };
      const room: RoomRef = {
        provider: 'zoom',
        roomId: meetingId,
        instanceId: uuid,
        ...(startTime !== undefined && { startTime }),
      };
      const started = Date.now();

      /** Pages read and not yet past the cursor, in page order. */
      const unsettled: Array<{ written: boolean; rows: number; delivered: number; next?: string }> = [];
      const writes = new Set<Promise<void>>();
      let writeFailure: { error: unknown } | undefined;
      const advance = () => {
        let moved = false;
        while (unsettled[0]?.written) {
          const page = unsettled.shift()!;
          cursor.pages += 1;
          cursor.rows += page.rows;
          cursor.delivered += page.delivered;
          cursor.pageToken = page.next;
          moved = true;
        }
        if (moved) context.heartbeat(cursor);
      };
      const write = (page: ParticipantsPage) => {
        const entry = {
          written: false,
          rows: page.rows.length,
          delivered: 0,
          ...(page.nextPageToken !== undefined && { next: page.nextPageToken }),
        };
        unsettled.push(entry);
        const events = page.rows.map((row) => reportRowEvent(uuid, row)).filter((event) => event !== undefined);
        const done: Promise<void> = store(room, events)
          .then(
            (stored) => {
              entry.delivered = stored;
              entry.written = true;
              advance();
            },
            (error: unknown) => {
              writeFailure ??= { error };
            },
          )
          .finally(() => writes.delete(done));
        writes.add(done);
      };

      // A retried attempt whose predecessor stored its last page (or its share of pages) but could not answer
      // (a timeout under load) is finished: a cursor without a token after some pages means "past the last
      // page", not "page 1 again".
      if (cursor.pages > 0 && cursor.pageToken === undefined) return outcomeOf('done', cursor);
      if (cursor.pages >= maxPages) return outcomeOf('more', cursor);
      let token = cursor.pageToken;
      let readFailure: { error: unknown } | undefined;
      for (;;) {
        while (writes.size >= MAX_WRITES_IN_FLIGHT && !writeFailure) await Promise.race(writes);
        if (writeFailure) break;
        try {
          // Ranked by the pages this activity has read: the account limiter serves the lanes that are behind first.
          const page = await participantsPage(zoom(), kind, source, uuid, token, cursor.pages + unsettled.length);
          write(page);
          token = page.nextPageToken;
        } catch (error) {
          readFailure = { error };
          break;
        }
        if (
          token === undefined ||
          cursor.pages + unsettled.length >= maxPages ||
          Date.now() - started >= MAX_ACTIVITY_MS
        )
          break;
      }
      // Every write settles before the activity answers: what it reports is stored.
      await Promise.all(writes);
      if (writeFailure) throw writeFailure.error;
      if (readFailure) return stopped(readFailure.error, cursor);
      return outcomeOf(cursor.pageToken === undefined ? 'done' : 'more', cursor);
    },

    /**
     * After a session's final calculation: syncs its Zoom report once Zoom has had ZOOM_REPORT_SYNC_DELAY to build
     * it. Skipped (not an error) for LiveKit sessions and without Zoom API credentials.
     */
    async scheduleReportSync(sessionId: string): Promise<{ workflowId?: string; skipped?: string }> {
      if (!zoomApiConfigured(config)) return { skipped: 'Zoom API credentials are not set' };
      const session = await getSession(pool, sessionId);
      if (!session) return { skipped: `session ${sessionId} is not in the database` };
      if (session.provider !== 'zoom') return { skipped: 'not a Zoom session' };
      const workflowId = await startReportSync(temporal, config, syncTargetForSession(session, config), {
        delayMs: config.zoom.reportSyncDelayMs,
      });
      logger.info({ sessionId, workflowId }, 'Zoom report sync scheduled');
      return { workflowId };
    },

    /** The daily sync: one report sync per Zoom session that ended (or was scheduled to end) within `lookbackMs`. */
    async startRecentZoomReportSyncs(lookbackMs: number): Promise<string[]> {
      const sessions = await sessionsEndedSince(pool, Date.now() - lookbackMs, true);
      const started = new Set<string>();
      for (const session of sessions) {
        if (session.provider === 'zoom')
          started.add(await startReportSync(temporal, config, syncTargetForSession(session, config)));
      }
      return [...started];
    },
  };
}

/**
 * A page read failed: Zoom's answers that end this activity normally (page token expired, plan refusal, no such
 * instance) become the outcome, with the progress made so far; anything else is thrown for Temporal to retry.
 */
function stopped(error: unknown, cursor: Cursor): PagesOutcome {
  if (!(error instanceof ZoomApiError) || error instanceof ZoomOAuthError) throw failureFor(error);
  if (error.status === 400 && error.code === PAGE_TOKEN_EXPIRED && cursor.pageToken !== undefined)
    return outcomeOf('page-token-expired', cursor);
  if (error.status === 404) return { ...outcomeOf('not-found', cursor), reason: error.message };
  // A plan or permission refusal: 400 code 200 "only available for paid accounts", 403, a missing scope.
  if (error.status === 400 || error.status === 403) return { ...outcomeOf('refused', cursor), reason: error.message };
  throw failureFor(error);
}

/**
 * What the workflow is told: the counts, and where the next activity starts (`nextPageToken`: the cursor's token,
 * the first page not stored). Spreading the cursor itself would hand over `pageToken`, which the workflow does not
 * read, and send the next activity back to page 1.
 */
function outcomeOf(status: PagesOutcome['status'], { pageToken, pages, rows, delivered }: Cursor): PagesOutcome {
  return { status, pages, rows, delivered, ...(pageToken !== undefined && { nextPageToken: pageToken }) };
}

function zoomClient(config: Config): ZoomApiClient {
  const { accountId, clientId, clientSecret, oauthUrl, apiBaseUrl } = config.zoom;
  if (!accountId || !clientId || !clientSecret) {
    throw ApplicationFailure.nonRetryable(
      'Zoom API credentials are not set (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET)',
      'ZoomNotConfigured',
    );
  }
  // Every sync of the worker shares the account's limiter, so together they stay under Zoom's per-second limit.
  return new ZoomApiClient(
    apiBaseUrl,
    new ZoomTokenCache({ oauthUrl, accountId, clientId, clientSecret }),
    fetch,
    accountLimiter(apiBaseUrl, accountId),
  );
}

function progressOf(kind: ZoomKind, instances: Instance[]): ReportSyncProgress {
  return {
    kind,
    instances: instances.map(({ uuid, startTime }) => ({
      uuid,
      ...(startTime !== undefined && { startTime }),
      source: 'report',
      pages: 0,
      rows: 0,
      delivered: 0,
      restarts: 0,
      status: 'pending',
    })),
  };
}

/** The target's instances of the series (oldest first): one uuid, all, those started in a window, or the latest. */
function selectInstances(target: ReportSyncTarget, instances: Instance[]): Instance[] {
  if (target.instanceUuid)
    return [instances.find((i) => i.uuid === target.instanceUuid) ?? { uuid: target.instanceUuid }];
  if (target.recurring) return instances;
  const window = target.startedWithin;
  if (window)
    return instances.filter((i) => i.startTime !== undefined && i.startTime >= window.from && i.startTime <= window.to);
  return instances.slice(-1);
}

/**
 * How Temporal should retry a failed Zoom call. 429: after Retry-After, or a short jittered backoff when Zoom sent
 * none (its per-second limits). 5xx and network errors: the activity's retry policy. Refused credentials and other
 * 4xx: not at all.
 */
function failureFor(error: unknown): unknown {
  if (!(error instanceof ZoomApiError)) return error;
  if (error.status === 429) {
    const attempt = Context.current().info.attempt;
    const backoffMs = Math.min(30_000, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
    // BENIGN: an expected wait, logged by the SDK at debug level rather than as a failed activity.
    return ApplicationFailure.create({
      type: 'ZoomRateLimited',
      message: error.message,
      nextRetryDelay: error.retryAfterMs ?? Math.round(backoffMs),
      category: ApplicationFailureCategory.BENIGN,
    });
  }
  if (error.status >= 500) return error;
  const type =
    error instanceof ZoomOAuthError
      ? 'ZoomCredentialsRejected'
      : error.status === 401
        ? 'ZoomUnauthorized'
        : 'ZoomRequestRejected';
  return ApplicationFailure.nonRetryable(error.message, type);
}
