/**
 * Ingest: signed webhooks into the gateway at rising rates, side by side with the raw ceiling of the same
 * PostgreSQL — the same facts inserted straight into `room_facts` (storeFacts, the gateway's one write) from a
 * pool with the same concurrency. Each request is a distinct join of a distinct participant, spread over many
 * rooms, each room an ad-hoc session that the relay starts and signals (after the ack, in both cases).
 *
 * Per run: a closed loop per side (the saturation throughput: the raw ceiling), then a ladder of paced rates
 * at fractions of that run's raw ceiling, raw and gateway alternating step by step so drift hits both; the
 * highest rate with p99 < 100 ms (and every answer 200) is each side's figure, and gateway/raw their ratio.
 */
import { storeFacts } from '../../src/db/facts.js';
import type { Pool } from '../../src/db/pool.js';
import { parseZoomWebhook } from '../../src/providers/zoom.js';
import { pastMinute, ZOOM_SECRET } from '../../test/support/scenario.js';
import { zoomParticipantJoined, zoomRequest } from '../../test/support/sign.js';
import {
  coresBetween,
  cpuBetween,
  noCrashTarget,
  runOnSystem,
  type BenchSystem,
  type Part,
} from '../support/system.js';
import { drive, HttpPoster, type DriveResult } from '../support/load.js';
import { histogramMean } from '../support/metrics.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';
import { median, medianOf, round } from '../support/stats.js';

const CONCURRENCY = 32;
const ROOMS = 200;
const P99_LIMIT_MS = 100;

interface Sizes {
  ceilingMs: number;
  /** Requests per paced step: enough that a p99 is not just the step's slowest answer. */
  stepRequests: number;
  /** Longest wait for the system to go idle between steps. */
  settleMaxMs: number;
  fractions: number[];
}
const FULL: Sizes = {
  ceilingMs: 8_000,
  stepRequests: 250,
  settleMaxMs: 20_000,
  fractions: [0.1, 0.15, 0.2, 0.3, 0.4, 0.55, 0.7, 0.85, 1.0],
};
const QUICK: Sizes = { ceilingMs: 3_000, stepRequests: 60, settleMaxMs: 5_000, fractions: [0.2, 0.5, 0.8] };

type Side = 'raw' | 'gateway';

/** An endless supply of distinct joins for one side of one run: participant i joins room i mod ROOMS. */
class Joins {
  private next = 0;
  private readonly joinAt = pastMinute(20);

  constructor(private readonly prefix: string) {}

  take(count: number): object[] {
    return Array.from({ length: count }, () => {
      const i = this.next++;
      const room = `${this.prefix}-${i % ROOMS}`;
      return zoomParticipantJoined({
        meetingId: room,
        uuid: `${room}-instance==`,
        userId: String(i),
        userName: `Participant ${i}`,
        joinTime: this.joinAt + (i % 600) * 1000,
      });
    });
  }
}

/** Prepares a step's requests for one side before its clock starts, so the step measures delivery only. */
function prepare(
  side: Side,
  payloads: object[],
  cluster: BenchSystem,
  poster: HttpPoster,
): (i: number) => Promise<string> {
  if (side === 'gateway') {
    // Signed up front: Zoom's 5-minute timestamp window holds for a step of seconds.
    const signed = payloads.map((payload) => zoomRequest(payload, ZOOM_SECRET));
    return (i) =>
      poster.post('/webhooks/zoom', signed[i]!.body, { ...signed[i]!.headers }).then((res) => String(res.status));
  }
  const inserts = payloads.map((payload) => rawInsert(payload));
  return (i) => inserts[i]!(cluster.pool).then(() => '200');
}

/** Exactly what the gateway does after verifying and parsing: one insert of the webhook's facts. */
function rawInsert(payload: object): (pool: Pool) => Promise<unknown> {
  const parsed = parseZoomWebhook(payload);
  if (parsed.type !== 'events') throw new Error('a generated join did not parse');
  return (pool) => storeFacts(pool, parsed.room, parsed.events);
}

interface Step {
  side: Side;
  rate: number;
  result: DriveResult;
  passed: boolean;
  cores: ReturnType<typeof coresBetween>;
  /** CPU ms each part spent per request, from the step's start until the system settled, idle use taken out. */
  cpuMsPerRequest: Record<Part, number>;
  /** How long the system took to work off the step. */
  settledMs: number;
  /** Gateway steps: mean signalWithStart round trip inside the API. */
  signalMeanMs?: number;
}

const passes = (result: DriveResult) => result.ok === result.requests && result.latency.p99 < P99_LIMIT_MS;

async function oneRun(cluster: BenchSystem, run: number, sizes: Sizes, context: ScenarioContext) {
  const { progress } = context;
  const tag = `${Date.now().toString(36)}-r${run}`;
  const joins = { raw: new Joins(`raw-${tag}`), gateway: new Joins(`gw-${tag}`) };
  const poster = new HttpPoster(cluster.apiUrl, CONCURRENCY);
  /** Cores each part uses with nothing to do (measured once the closed loops have settled). */
  let idle: Record<Part, number> = { worker: 0, api: 0, temporal: 0, postgres: 0, bench: 0 };
  const measure = async (side: Side, label: string, rate: number | undefined): Promise<Step> => {
    // A closed loop needs enough prepared requests for its window at any plausible speed.
    const count = rate ? sizes.stepRequests : Math.round((sizes.ceilingMs / 1000) * 1_500);
    const send = prepare(side, joins[side].take(count), cluster, poster);
    const before = cluster.cpu();
    const apiBefore = await cluster.metrics();
    const result = await drive({
      count,
      rate,
      durationMs: rate ? undefined : sizes.ceilingMs,
      concurrency: CONCURRENCY,
      send,
      onProgress: (done) =>
        progress.update(`run ${run} ${label} ${side}`, done, rate ? count : undefined, rate ? '' : `${done} sent`),
    });
    const cores = coresBetween(before, cluster.cpu());
    // The gateway's own view: how much of each webhook's time was the signalWithStart round trip.
    const signal = histogramMean(apiBefore.api, (await cluster.metrics()).api, 'rollcall_signal_latency_seconds', [
      'outcome="ok"',
    ]);
    // Every signal leaves work behind (workflow tasks, recordEvents): the next step starts once it is done.
    progress.update(`run ${run}: letting the system settle`);
    const settledMs = await cluster.settle(sizes.settleMaxMs);
    // CPU from the step's start until the system is idle again: everything its requests cost, backlog included,
    // less what the idle system burns anyway (timers, pollers) over that window.
    const after = cluster.cpu();
    const used = cpuBetween(before, after);
    const windowS = (after.at - before.at) / 1000;
    const cpuMsPerRequest = Object.fromEntries(
      Object.entries(used).map(([part, seconds]) => [
        part,
        round((Math.max(0, seconds - idle[part as Part] * windowS) * 1000) / result.requests, 2),
      ]),
    ) as Record<Part, number>;
    return {
      side,
      rate: rate ?? result.throughput,
      result,
      passed: passes(result),
      cores,
      cpuMsPerRequest,
      settledMs,
      signalMeanMs: side === 'gateway' ? signal.meanMs : undefined,
    };
  };

  try {
    const order: Side[] = run % 2 ? ['gateway', 'raw'] : ['raw', 'gateway'];
    const ceilings: Partial<Record<Side, Step>> = {};
    for (const side of order) ceilings[side] = await measure(side, 'closed loop', undefined);
    const quiet = cluster.cpu();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    idle = coresBetween(quiet, cluster.cpu());
    const rawCeiling = ceilings.raw!.result.throughput;
    const gatewayCeiling = ceilings.gateway!.result.throughput;
    progress.log(
      `run ${run}: closed loop (concurrency ${CONCURRENCY}): raw ${rawCeiling}/s, gateway ${gatewayCeiling}/s; idle system ${JSON.stringify(idle)} cores`,
    );

    const steps: Step[] = [];
    const failures: Record<Side, number> = { raw: 0, gateway: 0 };
    for (const fraction of sizes.fractions) {
      const rate = Math.max(10, Math.round(rawCeiling * fraction));
      for (const side of order) {
        // Two failed steps in a row: that side's limit is found; higher rates would only fail too.
        if (failures[side] >= 2) continue;
        const step = await measure(side, `${rate}/s`, rate);
        steps.push(step);
        failures[side] = step.passed ? 0 : failures[side] + 1;
        progress.log(
          `run ${run}: ${side.padEnd(7)} ${String(rate).padStart(5)}/s → p50 ${step.result.latency.p50} ms, p99 ${step.result.latency.p99} ms, ${step.result.ok}/${step.result.requests} ok ${step.passed ? 'pass' : 'FAIL'}${step.signalMeanMs === undefined ? '' : `, signal mean ${step.signalMeanMs} ms`}; cores ${JSON.stringify(step.cores)}`,
        );
      }
    }
    const best = (side: Side) =>
      steps.filter((step) => step.side === side && step.passed).reduce((top, step) => Math.max(top, step.rate), 0);
    const bestStep = (side: Side) =>
      steps.find((step) => step.side === side && step.passed && step.rate === best(side));
    const rawBest = best('raw');
    const gatewayBest = best('gateway');
    // The noise-proof view: CPU per webhook of the whole system on each side (median over its paced steps).
    const cpuPerWebhook = (side: Side) => {
      const list = steps.filter((step) => step.side === side).map((step) => step.cpuMsPerRequest);
      return Object.fromEntries(
        (Object.keys(list[0] ?? {}) as Part[]).map((part) => [part, round(median(list.map((c) => c[part])), 2)]),
      ) as Record<Part, number>;
    };
    const serverSide = (cpu: Record<Part, number>) => round(cpu.temporal + cpu.worker + cpu.api + cpu.postgres, 2);
    const rawCpu = cpuPerWebhook('raw');
    const gatewayCpu = cpuPerWebhook('gateway');
    return {
      figures: {
        idleCores: round(idle.temporal + idle.worker + idle.api + idle.postgres, 2),
        rawCeilingPerS: rawCeiling,
        gatewayCeilingPerS: gatewayCeiling,
        ceilingRatio: round(gatewayCeiling / rawCeiling, 2),
        rawBestPerS: rawBest,
        gatewayBestPerS: gatewayBest,
        ratio: rawBest ? round(gatewayBest / rawBest, 2) : 0,
        gatewayP50Ms: bestStep('gateway')?.result.latency.p50 ?? 0,
        gatewayP99Ms: bestStep('gateway')?.result.latency.p99 ?? 0,
        rawP99Ms: bestStep('raw')?.result.latency.p99 ?? 0,
        /** System CPU (Temporal + worker + API + PostgreSQL) per webhook, and the ratio it implies when CPU is the limit. */
        rawCpuMsPerWebhook: serverSide(rawCpu),
        gatewayCpuMsPerWebhook: serverSide(gatewayCpu),
        cpuRatio: round(serverSide(rawCpu) / serverSide(gatewayCpu), 2),
        apiCpuMsPerWebhook: gatewayCpu.api,
        temporalCpuMsPerWebhook: gatewayCpu.temporal,
        workerCpuMsPerWebhook: gatewayCpu.worker,
      },
      steps: [...Object.values(ceilings), ...steps].map((step) => ({
        side: step.side,
        rate: step.rate,
        closedLoop: ceilings[step.side] === step,
        throughput: step.result.throughput,
        latency: step.result.latency,
        service: step.result.service,
        statuses: step.result.statuses,
        passed: step.passed,
        cores: step.cores,
        cpuMsPerRequest: step.cpuMsPerRequest,
        settledMs: step.settledMs,
        signalMeanMs: step.signalMeanMs,
      })),
    };
  } finally {
    poster.close();
  }
}

export const ingest: Scenario = {
  name: 'ingest',
  title: 'Webhook ingest: gateway vs raw signalWithStart',
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const sizes = context.quick ? QUICK : FULL;
    const { runs, crashes } = await runOnSystem('ingest', undefined, context, (cluster, run) =>
      oneRun(cluster, run, sizes, context),
    );
    const figures = runs.map((run) => run.figures);
    const med = medianOf(figures) as (typeof figures)[number];
    return {
      description: `Zoom participant_joined webhooks, each a distinct participant, over ${ROOMS} ad-hoc sessions per side; concurrency ${CONCURRENCY}; closed loop ${sizes.ceilingMs / 1000} s per side, then paced steps of ${sizes.stepRequests} requests at ${sizes.fractions.join(', ')} × the run's raw ceiling (a side stops after two failed steps in a row); the system settles between steps`,
      settings: { concurrency: CONCURRENCY, rooms: ROOMS, p99LimitMs: P99_LIMIT_MS, ...sizes },
      runs: runs.map((run) => ({ ...run.figures, steps: run.steps })),
      median: med,
      targets: [
        noCrashTarget(crashes),
        { name: 'gateway/raw at p99 < 100 ms', target: '≥ 0.8', value: med.ratio, met: med.ratio >= 0.8 },
        {
          name: 'gateway: highest rate with p99 < 100 ms',
          target: 'reported',
          value: med.gatewayBestPerS,
          unit: 'webhooks/s',
          met: med.gatewayBestPerS > 0,
        },
        {
          name: 'gateway/raw of the closed-loop ceilings',
          target: '≥ 0.8',
          value: med.ceilingRatio,
          met: med.ceilingRatio >= 0.8,
        },
        {
          name: 'gateway/raw by system CPU per webhook',
          target: '≥ 0.8',
          value: med.cpuRatio,
          met: med.cpuRatio >= 0.8,
        },
      ],
      notes: [
        `raw: highest rate with p99 < 100 ms ${med.rawBestPerS}/s, closed-loop ceiling ${med.rawCeilingPerS}/s; gateway: ${med.gatewayBestPerS}/s (p50 ${med.gatewayP50Ms} ms, p99 ${med.gatewayP99Ms} ms), ceiling ${med.gatewayCeilingPerS}/s`,
        `system CPU per webhook: raw ${med.rawCpuMsPerWebhook} ms, through the gateway ${med.gatewayCpuMsPerWebhook} ms (Temporal ${med.temporalCpuMsPerWebhook}, worker ${med.workerCpuMsPerWebhook}, API ${med.apiCpuMsPerWebhook})`,
        ...crashes,
      ],
    };
  },
};
