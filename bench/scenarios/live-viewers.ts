/**
 * Live page viewers: what one more viewer of a session's live page costs the API. One LiveKit class of PEOPLE
 * people in the room, and a join every TRICKLE_MS (so presence and the timeline change at every tick). The API
 * process's CPU is measured over a window with one viewer and over one with MANY viewers of the same session,
 * with the live feed's reads (ticks) and the presence queries counted from the API's metrics. One feed per
 * session, however many viewers: an extra viewer should cost a write of each changed part, not a read, a query
 * or an engine run.
 */
import { signedWebhook, pastMinute } from '../../test/support/scenario.js';
import { livekitParticipantJoined } from '../../test/support/sign.js';
import { coresBetween, cpuBetween, noCrashTarget, runOnSystem, type BenchSystem } from '../support/system.js';
import { deliver } from '../support/deliver.js';
import { HttpPoster } from '../support/load.js';
import { scrape } from '../support/metrics.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';
import { medianOf, round } from '../support/stats.js';

interface Sizes {
  people: number;
  windowMs: number;
  many: number;
}
const FULL: Sizes = { people: 1_000, windowMs: 20_000, many: 50 };
const QUICK: Sizes = { people: 200, windowMs: 6_000, many: 20 };
const TRICKLE_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A live page: follows the session's event stream and counts what it receives until stopped. */
function viewer(apiUrl: string, sessionId: string) {
  const controller = new AbortController();
  let bytes = 0;
  const done = (async () => {
    const res = await fetch(`${apiUrl}/api/sessions/${sessionId}/live`, { signal: controller.signal });
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) bytes += chunk.length;
  })().catch(() => undefined);
  return {
    stop: async () => {
      controller.abort();
      await done;
      return bytes;
    },
  };
}

async function counters(system: BenchSystem): Promise<{ ticks: number; queries: number }> {
  const samples = await scrape(`${system.apiUrl}/metrics`);
  return {
    ticks: samples.get('rollcall_live_feed_ticks_total') ?? 0,
    queries: samples.get('rollcall_presence_queries_total') ?? 0,
  };
}

async function oneRun(system: BenchSystem, run: number, sizes: Sizes, context: ScenarioContext) {
  const { progress } = context;
  const room = `live-${Date.now().toString(36)}-r${run}`;
  const start = pastMinute(10);
  const registered = await fetch(`${system.apiUrl}/api/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      provider: 'livekit',
      room,
      scheduledStart: new Date(start).toISOString(),
      scheduledEnd: new Date(start + 3_600_000).toISOString(),
    }),
  });
  if (registered.status !== 201) throw new Error(`registration answered ${registered.status}`);
  const { id: sessionId } = (await registered.json()) as { id: string };
  const poster = new HttpPoster(system.apiUrl, 16);
  const join = async (identity: string, joinedAt: number) => {
    const { path, body, headers } = await signedWebhook(
      'livekit',
      livekitParticipantJoined({ roomName: room, identity, name: identity, joinedAt }),
    );
    return String((await poster.post(path, body, headers)).status);
  };
  await deliver({
    count: sizes.people,
    concurrency: 16,
    attempt: (i) => join(`p${i}`, start + (i % 600) * 1_000),
    onProgress: (done) => progress.update(`run ${run}: ${sizes.people} people joining`, done, sizes.people),
  });
  await system.settle(60_000);

  let late = 0;
  let trickling = true;
  const trickle = (async () => {
    while (trickling) {
      await join(`late-${run}-${late++}`, Date.now());
      await sleep(TRICKLE_MS);
    }
  })();

  const window = async (viewers: number) => {
    progress.update(`run ${run}: ${viewers} viewer${viewers === 1 ? '' : 's'} for ${sizes.windowMs / 1000} s`);
    const pages = Array.from({ length: viewers }, () => viewer(system.apiUrl, sessionId));
    await sleep(2_000); // every page connected and sent its first state: measure the steady state
    const [cpu0, count0] = [system.cpu(), await counters(system)];
    await sleep(sizes.windowMs);
    const [cpu1, count1] = [system.cpu(), await counters(system)];
    const bytes = await Promise.all(pages.map((page) => page.stop()));
    const seconds = (cpu1.at - cpu0.at) / 1000;
    return {
      apiCpuMsPerS: round((cpuBetween(cpu0, cpu1).api * 1000) / seconds, 1),
      cores: coresBetween(cpu0, cpu1),
      feedReadsPerS: round((count1.ticks - count0.ticks) / seconds, 2),
      presenceQueriesPerS: round((count1.queries - count0.queries) / seconds, 2),
      kibPerViewer: round(bytes.reduce((a, b) => a + b, 0) / viewers / 1024, 1),
    };
  };
  const one = await window(1);
  const many = await window(sizes.many);
  trickling = false;
  await trickle;

  const figures = {
    oneViewerApiCpuMsPerS: one.apiCpuMsPerS,
    manyViewersApiCpuMsPerS: many.apiCpuMsPerS,
    /** API CPU per second each viewer beyond the first adds. */
    extraViewerApiCpuMsPerS: round((many.apiCpuMsPerS - one.apiCpuMsPerS) / (sizes.many - 1), 2),
    cpuRatio: round(many.apiCpuMsPerS / Math.max(0.1, one.apiCpuMsPerS), 2),
    oneViewerFeedReadsPerS: one.feedReadsPerS,
    manyViewersFeedReadsPerS: many.feedReadsPerS,
    oneViewerPresenceQueriesPerS: one.presenceQueriesPerS,
    manyViewersPresenceQueriesPerS: many.presenceQueriesPerS,
    kibPerViewer: many.kibPerViewer,
    joinsDuringWindows: late,
    cores: { one: one.cores, many: many.cores },
  };
  progress.log(
    `run ${run}: API ${figures.oneViewerApiCpuMsPerS} ms CPU/s with 1 viewer, ${figures.manyViewersApiCpuMsPerS} with ${sizes.many} (+${figures.extraViewerApiCpuMsPerS} per extra viewer); feed reads/s ${figures.oneViewerFeedReadsPerS} → ${figures.manyViewersFeedReadsPerS}, presence queries/s ${figures.oneViewerPresenceQueriesPerS} → ${figures.manyViewersPresenceQueriesPerS}`,
  );
  return figures;
}

export const liveViewers: Scenario = {
  name: 'live-viewers',
  title: 'Live page: the cost of one more viewer',
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const sizes = context.quick ? QUICK : FULL;
    const { runs, crashes } = await runOnSystem('live-viewers', undefined, context, (system, run) =>
      oneRun(system, run, sizes, context),
    );
    const med = medianOf(runs) as Omit<(typeof runs)[number], 'cores'>;
    return {
      description: `one LiveKit session with ${sizes.people} people in the room and a join every ${TRICKLE_MS} ms; the API's CPU over ${sizes.windowMs / 1000} s with 1 live page open, then with ${sizes.many}`,
      settings: { ...sizes, trickleMs: TRICKLE_MS },
      runs,
      median: med,
      targets: [
        noCrashTarget(crashes),
        {
          name: `live feed reads per second with ${sizes.many} viewers`,
          target: 'as with 1 (one per tick)',
          value: med.manyViewersFeedReadsPerS,
          met: med.manyViewersFeedReadsPerS <= med.oneViewerFeedReadsPerS * 1.2 + 0.1,
        },
        {
          name: `presence queries per second with ${sizes.many} viewers`,
          target: 'as with 1 (one per refresh)',
          value: med.manyViewersPresenceQueriesPerS,
          met: med.manyViewersPresenceQueriesPerS <= med.oneViewerPresenceQueriesPerS * 1.2 + 0.1,
        },
        {
          name: 'API CPU per extra viewer',
          target: '≤ 1 ms CPU/s (near zero: 0.1 % of a core)',
          value: med.extraViewerApiCpuMsPerS,
          unit: 'ms CPU/s',
          met: med.extraViewerApiCpuMsPerS <= 1,
        },
      ],
      notes: [
        `API CPU ${med.oneViewerApiCpuMsPerS} ms/s with one viewer, ${med.manyViewersApiCpuMsPerS} ms/s with ${sizes.many} (× ${med.cpuRatio}); each viewer received ${med.kibPerViewer} KiB over the window`,
        ...crashes,
      ],
    };
  },
};
