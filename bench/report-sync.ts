/**
 * Report sync benchmark: 288,000 participant rows (960 pages of 300) of a recurring webinar — 48 instances of
 * 2,000 attendees with 3 connections each — read from the fake Zoom API under a 40 requests/s limit (429s without
 * Retry-After, as Zoom's per-second limits answer) into a whole Rollcall (worker and API as child processes).
 * The rate limit alone needs 960 / 40 = 24 s: that floor is the figure to compare with.
 *
 * Run: node --import tsx bench/report-sync.ts   → prints the figures, writes .data/bench/report-sync.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { ReportSyncResult } from '../src/workflows/report-sync-types.js';
import { startFakeZoomApi, type FakeInstance, type FakeRow } from '../test/support/fake-zoom-api.js';
import { RESULTS_DIR } from './support/results.js';
import { coresBetween, startSystem } from './support/system.js';
import { percentile, round } from './support/stats.js';

const INSTANCES = 48;
const PEOPLE = 2_000;
const CONNECTIONS = 3;
const PAGE_ROWS = 300;
const RATE_LIMIT = 40;
const MINUTE = 60_000;
const log = (line: string) => process.stderr.write(`[report-sync] ${line}\n`);

/** One instance: every person connects CONNECTIONS times (a new user_id each time), one hour, whole seconds. */
function instance(n: number, startTime: number): FakeInstance {
  const rows: FakeRow[] = [];
  for (let p = 0; p < PEOPLE; p++) {
    for (let c = 0; c < CONNECTIONS; c++) {
      const join = startTime + ((p % 600) + c * 1_200) * 1_000;
      rows.push({
        person: `p${p}`,
        id: '',
        user_id: String(16_000_000 + n * 10_000 + p * CONNECTIONS + c),
        participant_user_id: '',
        registrant_id: `reg${p}`,
        name: `Attendee ${p}`,
        user_email: `attendee${p}@webinar.example`,
        join_time: join,
        leave_time: join + 15 * MINUTE,
        status: 'in_meeting',
      });
    }
  }
  // Base64-like UUIDs; every fourth needs double encoding.
  return {
    uuid: `${n % 4 === 0 ? '/' : ''}bench${n}Qm+5eN/aB3xY8uLpQ==`,
    startTime,
    endTime: startTime + 60 * MINUTE,
    rows,
  };
}

async function main(): Promise<void> {
  // Other work on the machine slows every part of the system: record how busy it was when the run began.
  const loadAtStart = Math.round(loadavg()[0]! * 10) / 10;
  const webinarId = '98000000001';
  const firstStart = Math.floor(Date.now() / MINUTE) * MINUTE - 30 * 24 * 60 * MINUTE;
  const instances = Array.from({ length: INSTANCES }, (_, n) => instance(n, firstStart + n * 12 * 60 * MINUTE));
  const rows = instances.reduce((sum, i) => sum + i.rows.length, 0);
  const pages = instances.reduce((sum, i) => sum + Math.ceil(i.rows.length / PAGE_ROWS), 0);
  const floorSeconds = pages / RATE_LIMIT;

  const fake = await startFakeZoomApi({
    accountId: 'bench',
    clientId: 'bench-client',
    clientSecret: 'bench-secret',
    rateLimit: { perSecond: RATE_LIMIT, retryAfter: 'never' },
  });
  fake.add({ kind: 'webinar', id: webinarId, instances });
  const cluster = await startSystem({ name: 'report-sync', target: 'dev', env: fake.env(), log });
  try {
    log(`${rows} rows in ${pages} pages over ${INSTANCES} instances; rate-limit floor ${floorSeconds} s`);
    const cpuBefore = cluster.cpu();
    const started = Date.now();
    const res = await fetch(`${cluster.apiUrl}/api/zoom/report-sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ webinarId, recurring: true }),
    });
    if (res.status !== 202) throw new Error(`report-sync answered ${res.status}: ${await res.text()}`);
    const { workflowId } = (await res.json()) as { workflowId: string };
    const result = (await cluster.client.workflow.getHandle(workflowId).result()) as ReportSyncResult;
    const syncedMs = Date.now() - started;
    // When the workflow answers, every row is a fact in PostgreSQL (each page is stored before its cursor moves on).
    const count = async (where: string) =>
      Number(
        (
          await cluster.pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM room_facts WHERE source = 'report' ${where}`,
          )
        ).rows[0]!.n,
      );
    const storedRows = await count('');
    // The relay in the API process then brings them to the instances' sessions.
    for (;;) {
      const relayed = await count('AND relayed');
      if (relayed >= rows) break;
      if (Date.now() - started > 10 * 60_000)
        throw new Error(`only ${relayed} of ${rows} rows relayed after 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const relayedMs = Date.now() - started;
    const cores = coresBetween(cpuBefore, cluster.cpu());
    const timed = async (path: string) => {
      const t0 = Date.now();
      const answer = await fetch(`${cluster.apiUrl}${path}`);
      if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}`);
      return Date.now() - t0;
    };
    const adHocSession = `zoom-${Buffer.from(instances[0]!.uuid).toString('base64url')}`;
    const analyticsMs = {
      session: await timed(`/api/sessions/${adHocSession}/analytics`),
      webinar: await timed(`/api/zoom/meetings/${webinarId}/analytics`),
    };
    let runs = 0;
    for await (const run of cluster.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
      runs += run.workflowId === workflowId ? 1 : 0;

    const timeline = await syncTimeline(cluster.client, workflowId, started, fake.stats.requests, RATE_LIMIT);
    const figures = {
      scenario: `${rows} rows, ${pages} pages, ${INSTANCES} instances, ${RATE_LIMIT} requests/s limit (429 without Retry-After)`,
      rows,
      pages,
      syncedRows: result.totals.rows,
      delivered: result.totals.delivered,
      wallSeconds: Math.round(syncedMs / 100) / 10,
      floorSeconds,
      ratioToFloor: Math.round((syncedMs / 1000 / floorSeconds) * 100) / 100,
      storedRows,
      allRowsRelayedSeconds: Math.round(relayedMs / 100) / 10,
      apiRequests: fake.stats.apiRequests,
      rateLimited: fake.stats.rateLimitedWithoutRetryAfter + fake.stats.rateLimitedWithRetryAfter,
      workflowRuns: runs,
      coresBusy: cores,
      analyticsMs,
      timeline,
      machine: { cpus: availableParallelism(), loadAverage1mAtStart: loadAtStart },
      node: process.version,
    };
    if (result.totals.rows !== rows || storedRows !== rows || result.instances.some((i) => i.status !== 'done'))
      throw new Error(`incomplete sync: ${JSON.stringify(result.totals)}, ${storedRows} stored`);
    console.log(JSON.stringify(figures, null, 2));
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(`${RESULTS_DIR}report-sync.json`, `${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    const leftovers = await cluster.stop();
    if (leftovers.length > 0) log(`killed leftover processes: ${leftovers.join('; ')}`);
    await fake.close();
  }
}

// ---- where the time goes --------------------------------------------------------------------------
// The requests the fake Zoom API answered, second by second, and the page activities of the sync workflow (from
// its history: scheduled, started, closed), so idle stretches of the request stream can be put next to what the
// workflow was doing then.

export interface Second {
  /** Seconds since the sync was requested. */
  s: number;
  /** Requests answered 2xx that arrived in this second. */
  ok: number;
  rateLimited: number;
  /** Page activities running at the middle of the second. */
  activities: number;
}

export interface SyncTimeline {
  /** From the sync request to the first and the last API request. */
  firstRequestS: number;
  lastRequestS: number;
  /** 2xx requests per second between the first and the last request. */
  sustainedPerSecond: number;
  /** Stretches of more than 100 ms without a request, between the first and the last. */
  gapsOver100ms: { count: number; totalS: number; longestMs: number };
  /** Seconds (whole ones, first and last excluded) that saw fewer than 90 % of the limit. */
  underfilledSeconds: number;
  activities: {
    count: number;
    /** How long each page activity ran, and how long it waited for a worker slot. */
    runS: { p50: number; max: number };
    scheduleToStartMs: { p50: number; max: number };
    /** From an activity's close to the next activity scheduled after it: the workflow's turnaround. */
    closeToNextScheduleMs: { p50: number; max: number };
  };
  seconds: Second[];
}

interface Span {
  scheduled: number;
  started?: number;
  closed?: number;
}

const ms = (time: temporal.api.history.v1.IHistoryEvent['eventTime']) =>
  Number(time?.seconds ?? 0) * 1000 + Math.round((time?.nanos ?? 0) / 1e6);

async function pageActivities(client: Client, workflowId: string): Promise<Span[]> {
  const spans: Span[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    const byId = new Map<string, Span>();
    for (const event of (history.events ?? []) as temporal.api.history.v1.IHistoryEvent[]) {
      const at = ms(event.eventTime);
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'syncZoomReportPages') {
        const span = { scheduled: at };
        byId.set(String(event.eventId), span);
        spans.push(span);
      }
      const started = event.activityTaskStartedEventAttributes;
      if (started) {
        const span = byId.get(String(started.scheduledEventId));
        if (span) span.started = at;
      }
      const closed =
        event.activityTaskCompletedEventAttributes ??
        event.activityTaskFailedEventAttributes ??
        event.activityTaskTimedOutEventAttributes;
      if (closed) {
        const span = byId.get(String(closed.scheduledEventId));
        if (span) span.closed = at;
      }
    }
  }
  return spans.sort((a, b) => a.scheduled - b.scheduled);
}

export async function syncTimeline(
  client: Client,
  workflowId: string,
  startedAt: number,
  requests: Array<{ at: number; status: number }>,
  limit: number,
): Promise<SyncTimeline> {
  const spans = await pageActivities(client, workflowId);
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  const first = times[0] ?? startedAt;
  const last = times.at(-1) ?? startedAt;
  const gaps = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .filter((gap) => gap > 100);
  const okCount = requests.filter((r) => r.status < 300).length;
  const seconds: Second[] = [];
  const end = Math.max(last, ...spans.map((span) => span.closed ?? 0));
  for (let s = 0; startedAt + s * 1000 <= end; s++) {
    const from = startedAt + s * 1000;
    const inSecond = requests.filter((r) => r.at >= from && r.at < from + 1000);
    const middle = from + 500;
    seconds.push({
      s,
      ok: inSecond.filter((r) => r.status < 300).length,
      rateLimited: inSecond.filter((r) => r.status === 429).length,
      activities: spans.filter(
        (span) => (span.started ?? span.scheduled) <= middle && (span.closed ?? Infinity) > middle,
      ).length,
    });
  }
  const whole = seconds.filter(
    (second) => startedAt + second.s * 1000 > first && startedAt + (second.s + 1) * 1000 < last,
  );
  const closedSpans = spans.filter((span) => span.closed !== undefined);
  const turnaround = closedSpans
    .map((span) => spans.find((next) => next.scheduled >= span.closed!)?.scheduled)
    .map((next, i) => (next === undefined ? undefined : next - closedSpans[i]!.closed!))
    .filter((gap): gap is number => gap !== undefined);
  const summary = (values: number[], digits = 0) => ({
    p50: round(percentile(values, 0.5), digits),
    max: round(Math.max(0, ...values), digits),
  });
  return {
    firstRequestS: round((first - startedAt) / 1000, 2),
    lastRequestS: round((last - startedAt) / 1000, 2),
    sustainedPerSecond: round(okCount / Math.max(0.001, (last - first) / 1000)),
    gapsOver100ms: {
      count: gaps.length,
      totalS: round(gaps.reduce((sum, gap) => sum + gap, 0) / 1000, 2),
      longestMs: Math.max(0, ...gaps),
    },
    underfilledSeconds: whole.filter((second) => second.ok < 0.9 * limit).length,
    activities: {
      count: spans.length,
      runS: summary(
        closedSpans.map((span) => (span.closed! - (span.started ?? span.scheduled)) / 1000),
        1,
      ),
      scheduleToStartMs: summary(
        spans.filter((span) => span.started !== undefined).map((span) => span.started! - span.scheduled),
      ),
      closeToNextScheduleMs: summary(turnaround),
    },
    seconds,
  };
}

await main();
