/**
 * Fault cases 3–5: one Zoom class scenario, run first without faults, then once per fault in its own
 * meeting — same people, same provider times — while the fault is injected into the real processes:
 *   3. the worker SIGKILLed mid-session (webhooks keep coming while it is down) and again during the grace
 *      delay before the final calculation, restarted each time;
 *   4. the Temporal dev server stopped mid-session and restarted on the same port and SQLite file while
 *      webhooks keep coming (the API answers 503, the sender retries as Zoom would);
 *   5. PostgreSQL stopped the moment the meeting end is in the log, for 30 s, over the final calculation
 *      (activities retry), while the provider delivers late webhooks and redelivers a few (routing cannot read
 *      the database: they are refused, retried, and land when it is back, during the retried calculation).
 * Each run must persist exactly what the fault-free run persisted, and what the engine computes from the log.
 * CI: 300 people (1,502 webhooks per run). FAULTS_SCALE=full: 2,000 people (10,002 webhooks, continue-as-new
 * under the fault).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { pastMinute } from '../support/scenario.js';
import { Cluster } from '../support/processes.js';
import { eventsOf, expectedAttendance, generateClass, type ClassScenario } from './support/classes.js';
import { engineAttendance, persistedAttendance, type Attendance } from '../support/attendance.js';
import { distinctKeys, runsOf, settle } from './support/compare.js';
import { FULL, SETTLE_MS, assertAllDelivered, assertNoCrash, note, register, seconds, sleep, stamp } from './support/run.js';
import { ProviderSender, type Answer, type Trigger } from './support/sender.js';

const PEOPLE = FULL ? 2_000 : 300;
const SEED = 3_003;
const PG_OUTAGE_MS = 30_000;
/** Webhooks of case 5 that first arrive during the outage (after the meeting end): late events with new facts. */
const LATE_EVENTS = 10;
const TEMPORAL_OUTAGE_MS = FULL ? 15_000 : 5_000;

describe(`fault cases 3-5: crashes and outages during a ${PEOPLE}-person session`, () => {
  let cluster: Cluster | undefined;
  const start = pastMinute(90);
  const run = stamp();
  let caseNo = 0;
  const scenarioFor = (): ClassScenario => generateClass({ provider: 'zoom', people: PEOPLE, seed: SEED, room: `7${++caseNo}${Date.now() % 1e8}`, start });
  const all = (scenario: ClassScenario) => [...scenario.webhooks.map((webhook) => webhook.payload), scenario.end.payload];
  const expectationOf = (scenario: ClassScenario) => ({
    attendance: engineAttendance(expectedAttendance(scenario, all(scenario))),
    keys: distinctKeys(eventsOf('zoom', all(scenario))),
  });
  let baseline: Attendance;

  /** Brings every process back (an earlier case that failed half-way must not fail the next one). */
  const heal = async (c: Cluster) => {
    if (!c.postgres.up) await c.postgres.start();
    if (!c.temporal.up) await c.temporal.start();
    if (!c.worker.running) await c.worker.start();
    if (!c.api.running) await c.api.start();
  };

  before(async () => {
    // A 5 s grace delay leaves room to stop PostgreSQL between the end being logged and the calculation.
    cluster = await Cluster.start({ name: 'crashes', env: { CALCULATION_DELAY: '5s' } });
    const c = cluster;
    // The fault-free run of the scenario: the reference every faulty run must match row for row.
    const scenario = scenarioFor();
    const sessionId = `baseline-${run}`;
    await register(c, scenario, sessionId);
    const started = Date.now();
    const sender = new ProviderSender({ abort: c.crashed, provider: 'zoom', url: c.apiUrl, concurrency: 16 });
    assertAllDelivered(c, await sender.deliverAll(scenario.webhooks.map((webhook) => webhook.payload)), 'fault-free run');
    assertAllDelivered(c, await sender.deliverAll([scenario.end.payload]), 'fault-free run: meeting.ended');
    const expected = expectationOf(scenario);
    const settleMs = await settle(c, sessionId, expected.attendance, expected.keys, SETTLE_MS);
    baseline = await persistedAttendance(c.pool, sessionId);
    note(`fault-free run: ${scenario.webhooks.length + 1} webhooks, exact ${seconds(settleMs)} after the end, ${seconds(Date.now() - started)} in all (${baseline.reports.length} people, ${baseline.cycles.length} cycles)`);
  });
  after(() => cluster?.stop());

  /**
   * Registers a fresh meeting of the scenario, delivers it with the triggers (all but the last `withhold`
   * webhooks), ends it, then runs `afterEnd` with the withheld webhooks, which it must deliver; checks
   * exactness against the whole scenario.
   */
  const faultyRun = async (
    label: string,
    triggers: (count: number) => Trigger[],
    afterEnd: (scenario: ClassScenario, withheld: object[]) => Promise<void> = () => Promise.resolve(),
    withhold = 0,
  ) => {
    const c = cluster!;
    await heal(c);
    c.beginCase();
    const scenario = scenarioFor();
    const sessionId = `${label}-${run}`;
    await register(c, scenario, sessionId);
    const sender = new ProviderSender({ abort: c.crashed, provider: 'zoom', url: c.apiUrl, concurrency: 16 });
    const all = scenario.webhooks.map((webhook) => webhook.payload);
    const payloads = all.slice(0, all.length - withhold);
    const started = Date.now();
    assertAllDelivered(c, await sender.deliverAll(payloads, triggers(payloads.length)), `${label}: participant webhooks`);
    assertAllDelivered(c, await sender.deliverAll([scenario.end.payload]), `${label}: meeting.ended`);
    const endAccepted = Date.now();
    await afterEnd(scenario, all.slice(all.length - withhold));
    const expected = expectationOf(scenario);
    const settleMs = await settle(c, sessionId, expected.attendance, expected.keys, SETTLE_MS);
    const persisted = await persistedAttendance(c.pool, sessionId);
    assert.deepEqual(persisted, baseline, `${label}: persisted attendance equals the fault-free run's`);
    const summary = sender.summary();
    note(
      `${label}: exact; delivery ${seconds(endAccepted - started)}, exact ${seconds(Date.now() - endAccepted)} after the end was accepted (settle ${seconds(settleMs)}); answers ${JSON.stringify(summary.byStatus)}, ${summary.retried} webhooks needed retries`,
    );
    return { sender, sessionId, scenario };
  };

  it('3. worker SIGKILLed mid-session and during the grace delay, restarted: exact', { timeout: FULL ? 1_200_000 : 420_000 }, async () => {
    const c = cluster!;
    const downs: string[] = [];
    const killFor = async (ms: number, what: string) => {
      const killed = Date.now();
      await c.worker.kill('SIGKILL');
      await sleep(ms);
      await c.worker.start();
      downs.push(`${what}: down ${seconds(Date.now() - killed)}`);
    };
    const startsBefore = c.worker.starts;
    const { sessionId } = await faultyRun(
      'worker-kill',
      (count) => [{ after: Math.floor(count * 0.4), run: () => killFor(FULL ? 10_000 : 3_000, 'mid-session') }],
      // The final calculation is due 5 s after the end: the worker is dead when its timer fires.
      async () => {
        await sleep(1_000);
        await killFor(5_000, 'over the final calculation');
      },
    );
    note(`case 3: worker ${downs.join('; ')}; activity attempts in the session's history: ${JSON.stringify(await activityAttempts(c, sessionId))}`);
    assert.equal(c.worker.starts, startsBefore + 2, 'the worker was restarted twice');
    assertNoCrash(c);
  });

  it('4. Temporal dev server restarted mid-session while webhooks keep coming: exact, nothing lost', { timeout: FULL ? 1_200_000 : 420_000 }, async () => {
    const c = cluster!;
    let outage: { from: number; to: number } | undefined;
    const { sender, sessionId } = await faultyRun('temporal-restart', (count) => [
      {
        after: Math.floor(count * 0.4),
        run: async () => {
          const from = Date.now();
          await c.temporal.stop();
          await sleep(TEMPORAL_OUTAGE_MS);
          await c.temporal.start();
          outage = { from, to: Date.now() };
        },
      },
    ]);
    assert.ok(outage, 'the restart happened during delivery');
    const during = sender.answers.filter((answer) => answer.at >= outage!.from && answer.at <= outage!.to + 1_000);
    const refused = during.filter((answer) => answer.status !== 200);
    note(`case 4: Temporal down ${seconds(outage.to - outage.from)}; answers meanwhile: ${JSON.stringify(countBy(during))}; activity attempts in the session's history: ${JSON.stringify(await activityAttempts(c, sessionId))}`);
    assert.ok(refused.length > 0, 'webhooks arrived while Temporal was down and were refused (then retried)');
    assert.ok(
      refused.every((answer) => answer.status === 503 || answer.status === 'timeout'),
      `refusals were 503 (or no answer within Zoom's 3 s), got ${JSON.stringify(countBy(refused))}`,
    );
    assertNoCrash(c);
  });

  it(`5. PostgreSQL down for ${PG_OUTAGE_MS / 1000} s over the final calculation, late events meanwhile: activities retry, exact`, { timeout: FULL ? 1_200_000 : 420_000 }, async () => {
    const c = cluster!;
    let redelivery: Answer[] = [];
    let stoppedAt = 0;
    const { sessionId, scenario: outage } = await faultyRun(
      'postgres-outage',
      () => [],
      async (scenario, withheld) => {
        // The moment the end is logged and the session marked ended: the final calculation, due CALCULATION_DELAY
        // after the end, meets a dead database.
        const sessionId = `postgres-outage-${run}`;
        const endKey = eventsOf('zoom', [scenario.end.payload])[0]!.key;
        await waitFor(async () => {
          const { rows } = await c.pool.query<{ status: string; logged: boolean }>(
            'SELECT status, EXISTS (SELECT 1 FROM attendance_events WHERE session_id = $1 AND event_key = $2) AS logged FROM sessions WHERE id = $1',
            [sessionId, endKey],
          );
          return rows[0]?.status === 'ended' && rows[0].logged;
        }, 10_000);
        await c.postgres.stop();
        stoppedAt = Date.now();
        // Once the API's routing cache (5 s) has expired, the provider delivers webhooks it had not delivered
        // yet (late events: new facts) and redelivers a few it had (duplicates). Refused while routing cannot
        // read the database, they are retried until it is back — while the calculation is still retrying.
        await sleep(7_000);
        const redeliver = new ProviderSender({ abort: c.crashed, provider: 'zoom', url: c.apiUrl, concurrency: 4, maxAttempts: 30 });
        const late = [...withheld, ...scenario.webhooks.slice(-2 * LATE_EVENTS, -LATE_EVENTS).map((webhook) => webhook.payload)];
        const redelivered = redeliver.deliverAll(late);
        await sleep(PG_OUTAGE_MS - (Date.now() - stoppedAt));
        await c.postgres.start();
        assertAllDelivered(c, await redelivered, 'late webhooks and redeliveries during the outage');
        redelivery = redeliver.answers;
      },
      LATE_EVENTS,
    );
    const during = redelivery.filter((answer) => answer.at <= stoppedAt + PG_OUTAGE_MS);
    note(`case 5: PostgreSQL down ${PG_OUTAGE_MS / 1000} s; ${LATE_EVENTS} late webhooks and ${LATE_EVENTS} redeliveries answered meanwhile: ${JSON.stringify(countBy(during))}; in all ${JSON.stringify(countBy(redelivery))}`);

    // Evidence the outage hit the end of the session: an activity (the phase update, the calculation) needed
    // more than one attempt, and the calculation succeeded only once PostgreSQL was back.
    const attempts = await activityAttempts(c, sessionId);
    note(`case 5: activity attempts in the session's history: ${JSON.stringify(attempts)}`);
    assert.ok(Math.max(...Object.values(attempts)) > 1, 'activities were retried through the outage');
    const { rows } = await c.pool.query<{ count: string }>('SELECT count(*) FROM sessions WHERE room = $1', [outage.options.room]);
    assert.equal(Number(rows[0]!.count), 1, 'no ad-hoc session was split off while routing could not read the database');
    assertNoCrash(c);
    const chain = await runsOf(c, sessionId);
    note(`case 5: ${chain.length} run(s) in the session's chain`);
  });
});

async function waitFor(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function countBy(answers: readonly Answer[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const answer of answers) counts[String(answer.status)] = (counts[String(answer.status)] ?? 0) + 1;
  return counts;
}

/** The highest attempt of each activity type across the session's runs (retries are not events of their own). */
async function activityAttempts(cluster: Cluster, sessionId: string): Promise<Record<string, number>> {
  const highest: Record<string, number> = {};
  for (const run of await runsOf(cluster, sessionId)) {
    const history = await cluster.client.workflow.getHandle(`session-${sessionId}`, run.runId).fetchHistory();
    const types = new Map<string, string>();
    for (const event of (history.events ?? []) as temporal.api.history.v1.IHistoryEvent[]) {
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled) types.set(String(event.eventId), scheduled.activityType?.name ?? '?');
      const started = event.activityTaskStartedEventAttributes;
      if (started) {
        const type = types.get(String(started.scheduledEventId)) ?? '?';
        highest[type] = Math.max(highest[type] ?? 0, started.attempt ?? 0);
      }
    }
  }
  return highest;
}
