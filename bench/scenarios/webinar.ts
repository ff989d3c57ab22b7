/**
 * Webinar: one Zoom webinar of 10,000 registered people × 3 join/leave cycles (60,000 participant webhooks,
 * far over a run's 10,000-signal cap were each its own signal, and thousands of history events even
 * coalesced, so the workflow must continue as new and keep every event), sent at RATE (32 in flight). Meanwhile GET
 * /presence is sampled (the
 * operator's view under that load) and the worker's, the API's and Temporal's RSS are read. Then the meeting
 * ends; the persisted attendance must equal the engine's for all 60,002 events.
 */
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { calculateAttendance } from '../../src/domain/index.js';
import { workflowIdFor } from '../../src/workflows/types.js';
import { eventsOf, pastMinute, signedWebhook } from '../../test/support/scenario.js';
import { coresBetween, noCrashTarget, runOnSystem, type BenchSystem } from '../support/system.js';
import { engineAttendance, persistedReports } from '../../test/support/attendance.js';
import { deliver } from '../support/deliver.js';
import { chainHealth } from '../support/histories.js';
import { breakdown } from '../support/metrics.js';
import { HttpPoster } from '../support/load.js';
import { sampleLatency, sampleMemory } from '../support/samplers.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';
import { medianOf, round, summarize } from '../support/stats.js';
import { generateMeeting, registration } from '../support/webhooks.js';

const CALCULATION_DELAY_S = 5;
const CONCURRENCY = 32;
/**
 * Webhooks per second offered: 10,000 people joining, dropping and rejoining three times within four
 * minutes, several times the join rate of a real webinar's opening minutes. Each webhook is acknowledged once
 * stored; the relay brings the session all facts of a round in one signal (a few a second).
 */
const RATE = 250;
/** One operator with the live page open: its stream reads the session every second (src/api/live/stream.ts). */
const PRESENCE_EVERY_MS = 1_000;
const WORKER_LIMIT_MIB = 1024;
const API_LIMIT_MIB = 256;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sizes {
  people: number;
  cycles: number;
  /**
   * People on the registered roster (the rest join as guests). The relay's signalWithStart carries the whole
   * registration (a few times a second, not per webhook).
   */
  roster: number;
}
const FULL: Sizes = { people: 10_000, cycles: 3, roster: 1_000 };
const QUICK: Sizes = { people: 1_000, cycles: 3, roster: 100 };

/** The worker's own log line for the session's final calculation: how long load + compute + persist took. */
function calculationLog(cluster: BenchSystem, sessionId: string): { durationMs?: number; events?: number } {
  const line = cluster
    .workerLogFiles()
    .map((file) => readFileSync(file, 'utf8'))
    .join('\n')
    .split('\n')
    .filter((l) => l.includes('"attendance calculated"') && l.includes(`"sessionId":"${sessionId}"`))
    .at(-1);
  return line ? (JSON.parse(line) as { durationMs?: number; events?: number }) : {};
}

async function oneRun(cluster: BenchSystem, run: number, sizes: Sizes, context: ScenarioContext) {
  const { progress } = context;
  const sessionId = `webinar-${Date.now().toString(36)}-r${run}`;
  const meeting = generateMeeting({
    provider: 'zoom',
    webinar: true,
    room: `8${String(Date.now()).slice(-9)}${run}`,
    people: sizes.people,
    cycles: sizes.cycles,
    start: pastMinute(70),
    seed: 7 + run,
    roster: sizes.roster,
  });
  const poster = new HttpPoster(cluster.apiUrl, CONCURRENCY);
  try {
    const res = await fetch(`${cluster.apiUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registration(meeting, sessionId)),
    });
    if (res.status !== 201) throw new Error(`registration answered ${res.status}: ${await res.text()}`);

    const memory = sampleMemory(cluster);
    /** How old each answer was when it arrived: the instant it describes (`at`) to its arrival. */
    const presenceAges: number[] = [];
    const presence = sampleLatency(async () => {
      const r = await fetch(`${cluster.apiUrl}/api/sessions/${sessionId}/presence`);
      const body = Buffer.from(await r.arrayBuffer());
      const at = /^\{"at":(\d+)/.exec(body.subarray(0, 32).toString())?.[1];
      if (at !== undefined) presenceAges.push(Date.now() - Number(at));
      return r.ok;
    }, PRESENCE_EVERY_MS);
    const before = cluster.cpu();
    const scraped = await cluster.metrics();
    const delivery = await deliver({
      count: meeting.webhooks.length,
      rate: RATE,
      concurrency: CONCURRENCY,
      attempt: async (i) => {
        const { path, body, headers } = await signedWebhook('zoom', meeting.webhooks[i]!);
        return String((await poster.post(path, body, headers)).status);
      },
      onProgress: (done) => progress.update(`run ${run}: webinar webhooks`, done, meeting.webhooks.length),
    });
    const sent = delivery.first;
    const cores = coresBetween(before, cluster.cpu());
    const stages = breakdown(scraped, await cluster.metrics());
    const presenceSamples = await presence.stop();

    const end = await signedWebhook('zoom', meeting.end);
    const endStatus = (await poster.post(end.path, end.body, end.headers)).status;
    const endAcked = Date.now();
    let calculatedAt: number | undefined;
    while (calculatedAt === undefined && Date.now() - endAcked < 180_000 && cluster.crashes().length === 0) {
      const { rows } = await cluster.pool.query<{ calculated_at: Date }>(
        `SELECT calculated_at FROM sessions WHERE id = $1 AND status = 'calculated'`,
        [sessionId],
      );
      calculatedAt = rows[0]?.calculated_at.getTime();
      progress.update(`run ${run}: waiting for the final attendance of ${sizes.people} people`);
      await sleep(250);
    }
    const peaks = await memory.stop();

    const events = eventsOf('zoom', [...meeting.webhooks, meeting.end]);
    const exact = isDeepStrictEqual(
      (await persistedReports(cluster.pool, [sessionId])).get(sessionId),
      engineAttendance(calculateAttendance({ session: meeting.settings, events })).reports,
    );
    const chain = await chainHealth(cluster.client, workflowIdFor(sessionId));
    const presenceLatency = summarize(presenceSamples.ms);
    const figures = {
      webhooks: sent.requests + 1,
      /** First attempts not answered 200 (only a storage failure answers 503 now), then redelivered. */
      retriedWebhooks: delivery.retried,
      undelivered: delivery.undelivered + (endStatus === 200 ? 0 : 1),
      sendSeconds: round(sent.wallMs / 1000),
      webhooksPerS: sent.throughput,
      webhookP50Ms: sent.latency.p50,
      webhookP99Ms: sent.latency.p99,
      exact,
      /** Signals the relay sent for them: each carries every fact of the session from one round. */
      signals: chain.signals,
      webhooksPerSignal: round((sent.requests + 1) / Math.max(1, chain.signals), 1),
      runs: chain.runs,
      continuedAsNew: chain.continuedAsNew,
      workflowTasksCompleted: chain.tasksCompleted,
      workflowTasksFailed: chain.tasksFailed,
      /** Tasks failed because > 100 signals were buffered while they ran: work thrown away (0 when healthy). */
      workflowTasksForceClosed: chain.failedBy.FORCE_CLOSE_COMMAND ?? 0,
      maxSignalsPerTask: chain.maxSignalsPerTask,
      presenceSamples: presenceLatency.count,
      presenceFailures: presenceSamples.failures,
      presenceP50Ms: presenceLatency.p50,
      presenceP99Ms: presenceLatency.p99,
      presenceMaxMs: presenceLatency.max,
      /** The age of the answers (see presenceAges): what answering from a snapshot costs in freshness. */
      presenceAgeP50Ms: summarize(presenceAges).p50,
      presenceAgeP99Ms: summarize(presenceAges).p99,
      endToFinalS: calculatedAt === undefined ? Number.NaN : round((calculatedAt - endAcked) / 1000, 2),
      calculationMs: calculationLog(cluster, sessionId).durationMs ?? Number.NaN,
      ...peaks,
      cores,
      stages,
    };
    progress.log(
      `run ${run}: ${figures.webhooks} webhooks in ${figures.sendSeconds} s (${figures.webhooksPerS}/s, p99 ${figures.webhookP99Ms} ms), exact ${exact}, ${figures.signals} signals, ${figures.runs} runs; presence p50 ${figures.presenceP50Ms} ms p99 ${figures.presenceP99Ms} ms over ${figures.presenceSamples} (answers' age p50 ${figures.presenceAgeP50Ms} ms, p99 ${figures.presenceAgeP99Ms} ms); RSS peak worker ${peaks.workerPeakMiB} MiB, API ${peaks.apiPeakMiB} MiB; end → final ${figures.endToFinalS} s (calculation ${figures.calculationMs} ms); cores ${JSON.stringify(cores)}`,
    );
    return figures;
  } finally {
    poster.close();
  }
}

export const webinar: Scenario = {
  name: 'webinar',
  title: 'Webinar: one session of 10,000 people × 6 events',
  // One full-size run is ~60,000 webhooks into one workflow: minutes. `--runs 3` gives the median.
  defaultRuns: 1,
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const sizes = context.quick ? QUICK : FULL;
    const { runs, crashes } = await runOnSystem(
      'webinar',
      { CALCULATION_DELAY: `${CALCULATION_DELAY_S}s` },
      context,
      (cluster, run) => oneRun(cluster, run, sizes, context),
    );
    const med = medianOf(runs) as Omit<(typeof runs)[number], 'cores' | 'stages'>;
    return {
      description: `one registered Zoom webinar, ${sizes.people} people (${sizes.roster} of them on the roster) × ${sizes.cycles} join/leave cycles (${sizes.people * sizes.cycles * 2 + 2} webhooks), sent at ${RATE}/s (${CONCURRENCY} in flight at most); GET /presence every ${PRESENCE_EVERY_MS} ms meanwhile; RSS read every 500 ms; CALCULATION_DELAY=${CALCULATION_DELAY_S}s`,
      settings: {
        ...sizes,
        rate: RATE,
        concurrency: CONCURRENCY,
        presenceEveryMs: PRESENCE_EVERY_MS,
        calculationDelayS: CALCULATION_DELAY_S,
      },
      runs,
      median: med,
      targets: [
        noCrashTarget(crashes),
        {
          name: 'final attendance exact (all runs)',
          target: 'exact',
          value: runs.every((r) => r.exact),
          met: runs.every((r) => r.exact),
        },
        // A chain only counts when it kept every event: the final attendance is exact.
        {
          name: 'continue-as-new runs (every event kept)',
          target: '> 1 run, exact',
          value: med.runs,
          met: med.runs > 1 && runs.every((r) => r.exact),
        },
        {
          name: 'presence query p99 under that load',
          target: '< 100 ms',
          value: med.presenceP99Ms,
          unit: 'ms',
          met: med.presenceP99Ms < 100,
        },
        {
          name: 'worker RSS peak',
          target: `< ${WORKER_LIMIT_MIB} MiB`,
          value: med.workerPeakMiB,
          unit: 'MiB',
          met: med.workerPeakMiB < WORKER_LIMIT_MIB,
        },
        {
          name: 'API RSS peak',
          target: `< ${API_LIMIT_MIB} MiB`,
          value: med.apiPeakMiB,
          unit: 'MiB',
          met: med.apiPeakMiB < API_LIMIT_MIB,
        },
      ],
      notes: [
        `webhooks ${med.webhooksPerS}/s (p99 ${med.webhookP99Ms} ms), ${med.webhooksPerSignal} webhooks per signal; end → final attendance ${med.endToFinalS} s, of which the calculation activity ${med.calculationMs} ms`,
        ...crashes,
      ],
    };
  },
};
