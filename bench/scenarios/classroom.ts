/**
 * Classroom: 100 class sessions × 30 students, a third of them reconnecting (2 join/leave cycles), half the
 * classes on Zoom and half on LiveKit, all registered first (as a school's app does), then every webhook of
 * every class interleaved in provider-time order at 200 webhooks/s, and all 100 meetings ending together.
 * Per session: persisted session_reports must equal the engine's result for exactly the events sent, and the
 * time from the end webhook's 200 to the session's final calculation (sessions.calculated_at) is measured.
 */
import { isDeepStrictEqual } from 'node:util';
import { calculateAttendance } from '../../src/domain/index.js';
import { workflowIdFor } from '../../src/workflows/types.js';
import { eventsOf, pastMinute, signedWebhook, type Provider } from '../../test/support/scenario.js';
import { coresBetween, noCrashTarget, runOnSystem, type BenchSystem } from '../support/system.js';
import { engineAttendance, persistedReports } from '../../test/support/attendance.js';
import { deliver } from '../support/deliver.js';
import { chainHealth } from '../support/histories.js';
import { breakdown, histogramMean } from '../support/metrics.js';
import { drive, HttpPoster } from '../support/load.js';
import type { Scenario, ScenarioContext, ScenarioResult } from '../support/scenario.js';
import { medianOf, percentile, round } from '../support/stats.js';
import { generateMeeting, registration, type Meeting } from '../support/webhooks.js';

const CALCULATION_DELAY_S = 5;
const TARGET_S = CALCULATION_DELAY_S + 5;
const CONCURRENCY = 32;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sizes {
  sessions: number;
  students: number;
  cycles: number;
  /** Share of the students who drop out and reconnect (the others join once and leave once). */
  reconnecting: number;
  /**
   * Webhooks per second offered (every class's events interleaved): the whole school's class hour compressed
   * into under a minute — ten times the ~20/s of 3,000 students joining within a few minutes.
   */
  rate: number;
}
const FULL: Sizes = { sessions: 100, students: 30, cycles: 2, reconnecting: 1 / 3, rate: 200 };
const QUICK: Sizes = { sessions: 10, students: 30, cycles: 2, reconnecting: 1 / 3, rate: 100 };

interface Item {
  meeting: Meeting;
  sessionId: string;
  payload: object;
}

async function post(poster: HttpPoster, provider: Provider, payload: object): Promise<string> {
  const { path, body, headers } = await signedWebhook(provider, payload);
  return String((await poster.post(path, body, headers)).status);
}

async function oneRun(cluster: BenchSystem, run: number, sizes: Sizes, context: ScenarioContext) {
  const { progress } = context;
  const tag = `${Date.now().toString(36)}r${run}`;
  const start = pastMinute(70);
  const meetings = Array.from({ length: sizes.sessions }, (_, k) => {
    const provider: Provider = k % 2 ? 'livekit' : 'zoom';
    const room =
      provider === 'zoom' ? `9${String(Date.now()).slice(-8)}${String(k).padStart(3, '0')}${run}` : `class-${tag}-${k}`;
    return {
      sessionId: `class-${tag}-${k}`,
      meeting: generateMeeting({
        provider,
        room,
        people: sizes.students,
        cycles: sizes.cycles,
        reconnecting: sizes.reconnecting,
        start,
        seed: 1_000 * run + k,
        roster: sizes.students,
      }),
    };
  });
  const poster = new HttpPoster(cluster.apiUrl, CONCURRENCY);
  try {
    progress.update(`run ${run}: registering ${meetings.length} sessions`);
    const registered = await drive({
      count: meetings.length,
      concurrency: 8,
      send: (k) =>
        fetch(`${cluster.apiUrl}/api/sessions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(registration(meetings[k]!.meeting, meetings[k]!.sessionId)),
        }).then((res) => String(res.status)),
    });
    if ((registered.statuses['201'] ?? 0) !== meetings.length)
      throw new Error(`registration answered ${JSON.stringify(registered.statuses)}`);

    // Every class's webhooks merged in provider-time order (index order within a class is provider-time order).
    const items: Item[] = meetings
      .flatMap(({ meeting, sessionId }) =>
        meeting.webhooks.map((payload, index) => ({ meeting, sessionId, payload, index })),
      )
      .sort((a, b) => a.index / a.meeting.webhooks.length - b.index / b.meeting.webhooks.length)
      .map(({ meeting, sessionId, payload }) => ({ meeting, sessionId, payload }));
    const scraped = await cluster.metrics();
    const cpuBefore = cluster.cpu();
    const during = await deliver({
      count: items.length,
      rate: sizes.rate,
      concurrency: CONCURRENCY,
      attempt: (i) => post(poster, items[i]!.meeting.options.provider, items[i]!.payload),
      onProgress: (done) => progress.update(`run ${run}: class webhooks at ${sizes.rate}/s`, done, items.length),
    });

    const cores = coresBetween(cpuBefore, cluster.cpu());

    // All meetings end together (one period ends for the whole school); each end's 200 starts its clock.
    const endAcked = new Map<string, number>();
    const ends = await deliver({
      count: meetings.length,
      concurrency: CONCURRENCY,
      attempt: async (k) => {
        const status = await post(poster, meetings[k]!.meeting.options.provider, meetings[k]!.meeting.end);
        if (status === '200') endAcked.set(meetings[k]!.sessionId, Date.now());
        return status;
      },
    });

    const ids = meetings.map((m) => m.sessionId);
    const calculatedAt = new Map<string, number>();
    const deadline = Date.now() + 120_000;
    while (calculatedAt.size < ids.length && Date.now() < deadline && cluster.crashes().length === 0) {
      const { rows } = await cluster.pool.query<{ id: string; calculated_at: Date }>(
        `SELECT id, calculated_at FROM sessions WHERE id = ANY($1) AND status = 'calculated'`,
        [ids],
      );
      for (const row of rows) calculatedAt.set(row.id, row.calculated_at.getTime());
      progress.update(
        `run ${run}: waiting for final attendance (${CALCULATION_DELAY_S} s grace)`,
        calculatedAt.size,
        ids.length,
      );
      await sleep(250);
    }
    const endToFinal = ids
      .filter((id) => calculatedAt.has(id))
      .map((id) => (calculatedAt.get(id)! - endAcked.get(id)!) / 1000);

    const persisted = await persistedReports(cluster.pool, ids);
    const exact = meetings.filter(({ meeting, sessionId }) => {
      const events = eventsOf(meeting.options.provider, [...meeting.webhooks, meeting.end]);
      return isDeepStrictEqual(
        persisted.get(sessionId),
        engineAttendance(calculateAttendance({ session: meeting.settings, events })).reports,
      );
    }).length;
    // What each webhook costs Temporal's store: history events per signal, over a sample of the sessions.
    const sample = await Promise.all(ids.slice(0, 10).map((id) => chainHealth(cluster.client, workflowIdFor(id))));
    const historyEventsPerSignal = round(
      sample.reduce((n, h) => n + h.events, 0) /
        Math.max(
          1,
          sample.reduce((n, h) => n + h.signals, 0),
        ),
      1,
    );
    const after = await cluster.metrics();
    // The relay's signals: each carries every fact of a session from one round, however many webhooks brought them.
    const signals = histogramMean(scraped.api, after.api, 'rollcall_signal_latency_seconds', ['outcome="ok"']).count;
    const webhooks = during.first.requests + ends.first.requests;
    const figures = {
      sessions: ids.length,
      webhooks,
      signals,
      webhooksPerSignal: round(webhooks / Math.max(1, signals), 2),
      exactSessions: exact,
      allExact: exact === ids.length,
      /** First attempts not answered 200 (redelivered as a provider would), and any never accepted. */
      retriedWebhooks: during.retried + ends.retried,
      undelivered: during.undelivered + ends.undelivered,
      offeredRate: sizes.rate,
      webhookP50Ms: during.first.latency.p50,
      webhookP99Ms: during.first.latency.p99,
      webhookMaxMs: during.first.latency.max,
      endToFinalP50S: round(percentile(endToFinal, 0.5), 2),
      endToFinalMaxS: endToFinal.length === ids.length ? round(Math.max(...endToFinal), 2) : Number.NaN,
      calculated: endToFinal.length,
      historyEventsPerSignal,
      cores,
      stages: breakdown(scraped, after),
    };
    progress.log(
      `run ${run}: ${exact}/${ids.length} sessions exact; webhooks p50 ${figures.webhookP50Ms} ms, p99 ${figures.webhookP99Ms} ms (${figures.retriedWebhooks} redelivered); end → final attendance p50 ${figures.endToFinalP50S} s, max ${figures.endToFinalMaxS} s`,
    );
    return figures;
  } finally {
    poster.close();
  }
}

export const classroom: Scenario = {
  name: 'classroom',
  targets: ['dev', 'cluster'],
  title: 'Classroom load: 100 concurrent sessions × 30 students with reconnects',
  async run(context: ScenarioContext): Promise<ScenarioResult> {
    const sizes = context.quick ? QUICK : FULL;
    const { runs, crashes } = await runOnSystem(
      'classroom',
      { CALCULATION_DELAY: `${CALCULATION_DELAY_S}s` },
      context,
      (cluster, run) => oneRun(cluster, run, sizes, context),
    );
    const med = medianOf(runs) as Omit<(typeof runs)[number], 'cores' | 'stages'>;
    return {
      description: `${sizes.sessions} registered sessions (half Zoom, half LiveKit) × ${sizes.students} students on the roster, ${Math.round(sizes.reconnecting * 100)}% of them dropping out and reconnecting (${sizes.cycles} join/leave cycles, the others 1), every class's webhooks interleaved in provider-time order at ${sizes.rate} webhooks/s (${CONCURRENCY} in flight at most), then all ${sizes.sessions} meetings ending together; CALCULATION_DELAY=${CALCULATION_DELAY_S}s`,
      settings: { ...sizes, concurrency: CONCURRENCY, calculationDelayS: CALCULATION_DELAY_S },
      runs,
      median: med,
      targets: [
        noCrashTarget(crashes),
        {
          name: 'every session exact (all runs)',
          target: 'all',
          value: runs.every((r) => r.allExact),
          met: runs.every((r) => r.allExact),
        },
        {
          name: 'end → final attendance, slowest session',
          target: `≤ ${TARGET_S} s (delay ${CALCULATION_DELAY_S} s + 5 s)`,
          value: med.endToFinalMaxS,
          unit: 's',
          met: med.endToFinalMaxS <= TARGET_S,
        },
        {
          name: `webhook ack p99 at ${sizes.rate}/s`,
          target: '< 50 ms',
          value: med.webhookP99Ms,
          unit: 'ms',
          met: med.webhookP99Ms < 50,
        },
      ],
      notes: [
        `webhook ack p50 ${med.webhookP50Ms} ms; end → final attendance p50 ${med.endToFinalP50S} s; ${med.webhooksPerSignal} webhooks per relay signal`,
        ...crashes,
      ],
    };
  },
};
