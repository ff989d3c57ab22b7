/**
 * End to end, what a registered session's roster costs the webhook gateway: two identical registered Zoom
 * webinars, one with an empty roster and one with 10,000 people on it, each sent the same number of distinct
 * joins (32 in flight), alternating A B A B. The gateway's signalWithStart carries the session's whole
 * registration as the start input on every webhook, so the roster's size shows in the API's CPU per webhook,
 * its memory and the rate. Run: npx tsx bench/tuning/roster-cost.ts → bench/results/tuning/roster-cost.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { pastMinute } from '../../test/support/scenario.js';
import { BenchCluster, coresBetween } from '../support/cluster.js';
import { drive, HttpPoster } from '../support/load.js';
import { histogramMean } from '../support/metrics.js';
import { RESULTS_DIR } from '../support/results.js';
import { sampleMemory } from '../support/samplers.js';
import { median, round } from '../support/stats.js';
import { generateMeeting, registration, sign } from '../support/webhooks.js';

const JOINS = 2_000;
const CONCURRENCY = 32;
const ROUNDS = 2;

const cluster = await BenchCluster.start({ name: 'roster-cost', log: (line) => process.stderr.write(`${line}\n`) });
const poster = new HttpPoster(cluster.apiUrl, CONCURRENCY);
const trials: Record<string, Array<{ perS: number; apiCpuMsPerWebhook: number; signalMeanMs: number; apiPeakMiB: number }>> = {};
try {
  for (let round_ = 1; round_ <= ROUNDS; round_++) {
    for (const roster of [0, 10_000]) {
      const sessionId = `roster-${roster}-${round_}`;
      const people = Math.max(roster, JOINS);
      const meeting = generateMeeting({ provider: 'zoom', webinar: true, room: `8${round_}${roster}${String(Date.now()).slice(-6)}`, people, cycles: 1, start: pastMinute(70), seed: round_, roster });
      const res = await fetch(`${cluster.apiUrl}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(registration(meeting, sessionId)) });
      if (res.status !== 201) throw new Error(`registration answered ${res.status}`);
      // The joins only (odd positions after meeting.started are joins, then leaves, in time order: take joins).
      const joins = meeting.webhooks.filter((payload) => (payload as { event: string }).event.endsWith('participant_joined')).slice(0, JOINS);
      const memory = sampleMemory(cluster, 250);
      const [cpu, metrics] = [cluster.cpu(), await cluster.metrics()];
      const result = await drive({
        count: joins.length,
        concurrency: CONCURRENCY,
        send: async (i) => {
          const { path, body, headers } = await sign('zoom', joins[i]!);
          return String((await poster.post(path, body, headers)).status);
        },
      });
      const cores = coresBetween(cpu, cluster.cpu());
      const signal = histogramMean(metrics.api, (await cluster.metrics()).api, 'rollcall_signal_latency_seconds');
      const peaks = await memory.stop();
      const trial = { perS: result.throughput, apiCpuMsPerWebhook: round((cores.api * 1000) / result.throughput, 2), signalMeanMs: signal.meanMs, apiPeakMiB: peaks.apiPeakMiB };
      (trials[`roster ${roster}`] ??= []).push(trial);
      process.stderr.write(`round ${round_}, roster ${roster}: ${JSON.stringify(trial)} ${JSON.stringify(result.statuses)}\n`);
    }
  }
} finally {
  poster.close();
  await cluster.stop();
}
const summary = Object.fromEntries(
  Object.entries(trials).map(([name, list]) => [name, Object.fromEntries(Object.keys(list[0]!).map((key) => [key, round(median(list.map((t) => t[key as keyof (typeof list)[number]])), 2)]))]),
);
process.stderr.write(`medians: ${JSON.stringify(summary)}\n`);
mkdirSync(`${RESULTS_DIR}tuning`, { recursive: true });
writeFileSync(`${RESULTS_DIR}tuning/roster-cost.json`, `${JSON.stringify({ measuredAt: new Date().toISOString(), joins: JOINS, concurrency: CONCURRENCY, rounds: ROUNDS, summary, trials }, null, 2)}\n`);
