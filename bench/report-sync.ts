/**
 * Report sync benchmark: 288,000 participant rows (960 pages of 300) of a recurring webinar — 48 instances of
 * 2,000 attendees with 3 connections each — read from the fake Zoom API under a 40 requests/s limit (429s without
 * Retry-After, as Zoom's per-second limits answer) into a whole Rollcall (worker and API as child processes).
 * The rate limit alone needs 960 / 40 = 24 s: that floor is the figure to compare with.
 *
 * Run: node --import tsx bench/report-sync.ts   → prints the figures, writes bench/results/report-sync.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import type { ReportSyncResult } from '../src/workflows/report-sync.js';
import { startFakeZoomApi, type FakeInstance, type FakeRow } from '../test/support/fake-zoom-api.js';
import { BenchCluster, coresBetween } from './support/cluster.js';

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
  return { uuid: `${n % 4 === 0 ? '/' : ''}bench${n}Qm+5eN/aB3xY8uLpQ==`, startTime, endTime: startTime + 60 * MINUTE, rows };
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

  const fake = await startFakeZoomApi({ accountId: 'bench', clientId: 'bench-client', clientSecret: 'bench-secret', rateLimit: { perSecond: RATE_LIMIT, retryAfter: 'never' } });
  fake.add({ kind: 'webinar', id: webinarId, instances });
  const cluster = await BenchCluster.start({ name: 'report-sync', env: fake.env(), log });
  try {
    log(`${rows} rows in ${pages} pages over ${INSTANCES} instances; rate-limit floor ${floorSeconds} s`);
    const cpuBefore = cluster.cpu();
    const started = Date.now();
    const res = await fetch(`${cluster.apiUrl}/api/zoom/report-sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webinarId, recurring: true }) });
    if (res.status !== 202) throw new Error(`report-sync answered ${res.status}: ${await res.text()}`);
    const { workflowId } = (await res.json()) as { workflowId: string };
    const result = (await cluster.client.workflow.getHandle(workflowId).result()) as ReportSyncResult;
    const syncedMs = Date.now() - started;
    // The session workflows write their event logs in batches, a little after the signals.
    for (;;) {
      const { rows: counted } = await cluster.pool.query<{ n: string }>("SELECT count(*) AS n FROM attendance_events WHERE source = 'report'");
      if (Number(counted[0]!.n) >= rows) break;
      if (Date.now() - started > 10 * 60_000) throw new Error(`only ${counted[0]!.n} of ${rows} rows logged after 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const loggedMs = Date.now() - started;
    const cores = coresBetween(cpuBefore, cluster.cpu());
    const timed = async (path: string) => {
      const t0 = Date.now();
      const answer = await fetch(`${cluster.apiUrl}${path}`);
      if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}`);
      return Date.now() - t0;
    };
    const adHocSession = `zoom-${Buffer.from(instances[0]!.uuid).toString('base64url')}`;
    const analyticsMs = { session: await timed(`/api/sessions/${adHocSession}/analytics`), webinar: await timed(`/api/zoom/meetings/${webinarId}/analytics`) };
    let runs = 0;
    for await (const run of cluster.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs += run.workflowId === workflowId ? 1 : 0;

    const figures = {
      scenario: `${rows} rows, ${pages} pages, ${INSTANCES} instances, ${RATE_LIMIT} requests/s limit (429 without Retry-After)`,
      rows,
      pages,
      syncedRows: result.totals.rows,
      delivered: result.totals.delivered,
      wallSeconds: Math.round(syncedMs / 100) / 10,
      floorSeconds,
      ratioToFloor: Math.round((syncedMs / 1000 / floorSeconds) * 100) / 100,
      allRowsLoggedSeconds: Math.round(loggedMs / 100) / 10,
      apiRequests: fake.stats.apiRequests,
      rateLimited: fake.stats.rateLimitedWithoutRetryAfter + fake.stats.rateLimitedWithRetryAfter,
      workflowRuns: runs,
      coresBusy: cores,
      analyticsMs,
      machine: { cpus: availableParallelism(), loadAverage1mAtStart: loadAtStart },
      node: process.version,
    };
    if (result.totals.rows !== rows || result.instances.some((i) => i.status !== 'done')) throw new Error(`incomplete sync: ${JSON.stringify(result.totals)}`);
    console.log(JSON.stringify(figures, null, 2));
    mkdirSync('bench/results', { recursive: true });
    writeFileSync('bench/results/report-sync.json', `${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    const leftovers = await cluster.stop();
    if (leftovers.length > 0) log(`killed leftover processes: ${leftovers.join('; ')}`);
    await fake.close();
  }
}

await main();
