/**
 * Fault cases 3-5 and 7: one Zoom class scenario, run first without faults, then once per fault in its own
 * meeting — same people, same provider times — while the fault is injected into the real processes:
 *   3. the worker SIGKILLed mid-session (webhooks keep coming while it is down) and again during the grace
 *      delay before the final calculation, restarted each time;
 *   4. the Temporal dev server stopped while a class's webhooks flow (a class of 30 whose webhooks trickle in;
 *      FAULTS_SCALE=full: for 10 minutes, CI: 15 s), then restarted on the same port and SQLite file: Temporal
 *      is not on the acknowledgement path, so every webhook is answered 200 at once, its facts wait in
 *      PostgreSQL, and the relay brings them to the session once Temporal is back;
 *   5. PostgreSQL stopped the moment the meeting end is stored and the session knows it, for 30 s, over the final
 *      calculation (activities retry), while the provider delivers late webhooks and redelivers a few: no fact
 *      can be stored, so they are answered 503, retried, and land when it is back;
 *   7. the API process SIGKILLed while webhooks flow, at a moment facts are committed but not yet relayed (and
 *      requests are in flight, some committed but not answered), restarted: the restarted relay delivers what
 *      the dead one left, the provider's redeliveries store nothing twice.
 * Each run must persist exactly what the fault-free run of its scenario persisted, and what the engine computes
 * from the webhooks whose facts are stored.
 * CI: 300 people (1,502 webhooks per run; case 4: 30 people, 152). FAULTS_SCALE=full: 2,000 people (10,002
 * webhooks; case 4: 30 people, Temporal down 10 minutes).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { temporal } from '@temporalio/proto';
import { eventsOf, pastMinute } from '../support/scenario.js';
import { DevStack } from '../support/kit/dev-stack.js';
import { unrelayedCount } from '../../src/db/facts.js';
import { expectedAttendance, generateClass, type ClassScenario } from './support/classes.js';
import { engineAttendance, persistedAttendance, type Attendance } from '../support/attendance.js';
import { distinctKeys, runsOf, settle } from './support/compare.js';
import {
  FULL,
  SETTLE_MS,
  assertAllDelivered,
  assertNoCrash,
  note,
  register,
  seconds,
  sleep,
  stamp,
} from './support/run.js';
import { ProviderSender, type Answer, type Trigger } from './support/sender.js';

const PEOPLE = FULL ? 2_000 : 300;
const SEED = 3_003;
const PG_OUTAGE_MS = 30_000;
/** Webhooks of case 5 that first arrive during the outage (after the meeting end): late events with new facts. */
const LATE_EVENTS = 10;
/** Case 4: a class of 30 whose webhooks trickle in while Temporal is down this long. */
const TEMPORAL_CLASS = 30;
const TEMPORAL_OUTAGE_MS = FULL ? 600_000 : 15_000;
/** Case 7: how long the API process stays dead after its SIGKILL. */
const API_DOWN_MS = 3_000;

describe(`fault cases 3-5 and 7: crashes and outages during a ${PEOPLE}-person session`, () => {
  let cluster: DevStack | undefined;
  const start = pastMinute(90);
  const run = stamp();
  let caseNo = 0;
  const scenarioFor = (people = PEOPLE): ClassScenario =>
    generateClass({ provider: 'zoom', people, seed: SEED, room: `7${++caseNo}${Date.now() % 1e8}`, start });
  const all = (scenario: ClassScenario) => [
    ...scenario.webhooks.map((webhook) => webhook.payload),
    scenario.end.payload,
  ];
  const expectationOf = (scenario: ClassScenario) => ({
    attendance: engineAttendance(expectedAttendance(scenario, all(scenario))),
    keys: distinctKeys(eventsOf('zoom', all(scenario))),
  });
  /** The fault-free run's persisted attendance, per class size. */
  const baselines = new Map<number, Attendance>();

  /** Brings every process back (an earlier case that failed half-way must not fail the next one). */
  const heal = async (c: DevStack) => {
    if (!c.postgres.up) await c.postgres.start();
    if (!c.temporal.up) await c.temporal.start();
    if (!c.worker.running) await c.worker.start();
    if (!c.api.running) await c.api.start();
  };

  /** The fault-free run of the scenario at this size (once): the reference every faulty run must match row for row. */
  const baselineOf = async (people: number): Promise<Attendance> => {
    const known = baselines.get(people);
    if (known) return known;
    const c = cluster!;
    const scenario = scenarioFor(people);
    const sessionId = `baseline-${people}-${run}`;
    await register(c, scenario, sessionId);
    const started = Date.now();
    const sender = new ProviderSender({ abort: c.crashed, provider: 'zoom', url: c.apiUrl, concurrency: 16 });
    assertAllDelivered(
      c,
      await sender.deliverAll(scenario.webhooks.map((webhook) => webhook.payload)),
      'fault-free run',
    );
    assertAllDelivered(c, await sender.deliverAll([scenario.end.payload]), 'fault-free run: meeting.ended');
    const expected = expectationOf(scenario);
    const settleMs = await settle(c, sessionId, expected.attendance, expected.keys, SETTLE_MS);
    const baseline = await persistedAttendance(c.pool, sessionId);
    baselines.set(people, baseline);
    note(
      `fault-free run of ${people}: ${scenario.webhooks.length + 1} webhooks, exact ${seconds(settleMs)} after the end, ${seconds(Date.now() - started)} in all (${baseline.reports.length} people, ${baseline.cycles.length} cycles)`,
    );
    return baseline;
  };

  before(async () => {
    // A 5 s grace delay leaves room to stop PostgreSQL between the end being stored and the calculation.
    cluster = await DevStack.start({ name: 'crashes', env: { CALCULATION_DELAY: '5s' } });
    await baselineOf(PEOPLE);
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
    { people = PEOPLE, intervalMs = 0 }: { people?: number; intervalMs?: number } = {},
  ) => {
    const c = cluster!;
    await heal(c);
    c.beginCase();
    const baseline = await baselineOf(people);
    const scenario = scenarioFor(people);
    const sessionId = `${label}-${run}`;
    await register(c, scenario, sessionId);
    const sender = new ProviderSender({
      abort: c.crashed,
      provider: 'zoom',
      url: c.apiUrl,
      concurrency: 16,
      intervalMs,
    });
    const all = scenario.webhooks.map((webhook) => webhook.payload);
    const payloads = all.slice(0, all.length - withhold);
    const started = Date.now();
    const outcomes = await sender.deliverAll(payloads, triggers(payloads.length));
    assertAllDelivered(c, outcomes, `${label}: participant webhooks`);
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
    return { sender, sessionId, scenario, outcomes };
  };

  it(
    '3. worker SIGKILLed mid-session and during the grace delay, restarted: exact',
    { timeout: FULL ? 1_200_000 : 420_000 },
    async () => {
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
      note(
        `case 3: worker ${downs.join('; ')}; activity attempts in the session's history: ${JSON.stringify(await activityAttempts(c, sessionId))}`,
      );
      assert.equal(c.worker.starts, startsBefore + 2, 'the worker was restarted twice');
      assertNoCrash(c);
    },
  );

  it(
    `4. Temporal stopped for ${seconds(TEMPORAL_OUTAGE_MS)} while a class of ${TEMPORAL_CLASS}'s webhooks flow, restarted: every webhook answered 200, exact once it is back`,
    { timeout: FULL ? 2_400_000 : 420_000 },
    async () => {
      const c = cluster!;
      let outage: { from: number; to: number; waiting: number } | undefined;
      // The class's webhooks trickle in over twice the outage, which starts after a quarter of them.
      const count = generateClass({ provider: 'zoom', people: TEMPORAL_CLASS, seed: SEED, room: 'count', start })
        .webhooks.length;
      const intervalMs = Math.round((2 * TEMPORAL_OUTAGE_MS) / count);
      const { sender, sessionId } = await faultyRun(
        'temporal-outage',
        (total) => [
          {
            after: Math.floor(total * 0.25),
            run: async () => {
              const from = Date.now();
              await c.temporal.stop();
              await sleep(TEMPORAL_OUTAGE_MS - (Date.now() - from));
              // Facts answered 200 meanwhile wait in PostgreSQL for the relay.
              const waiting = await unrelayedCount(c.pool);
              await c.temporal.start();
              outage = { from, to: Date.now(), waiting };
            },
          },
        ],
        undefined,
        0,
        { people: TEMPORAL_CLASS, intervalMs },
      );
      assert.ok(outage, 'the outage happened during delivery');
      const during = sender.answers.filter((answer) => answer.at >= outage!.from && answer.at <= outage!.to);
      const notOk = sender.answers.filter((answer) => answer.status !== 200);
      note(
        `case 4: Temporal down ${seconds(outage.to - outage.from)} (a webhook every ${seconds(intervalMs)}); answers meanwhile: ${JSON.stringify(countBy(during))}, in all: ${JSON.stringify(countBy(sender.answers))}; ${outage.waiting} facts waited for the relay when Temporal came back; activity attempts in the session's history: ${JSON.stringify(await activityAttempts(c, sessionId))}`,
      );
      assert.ok(during.length >= 3, `webhooks arrived while Temporal was down (${during.length})`);
      assert.deepEqual(
        countBy(notOk),
        {},
        'every webhook was answered 200 at its first attempt: no 503 (Temporal is not on the acknowledgement path), no timeout',
      );
      assert.ok(outage.waiting > 0, 'facts answered while Temporal was down waited, stored, for the relay');
      assertNoCrash(c);
    },
  );

  it(
    `5. PostgreSQL down for ${PG_OUTAGE_MS / 1000} s over the final calculation, late events meanwhile: answered 503 and redelivered, activities retry, exact`,
    { timeout: FULL ? 1_200_000 : 420_000 },
    async () => {
      const c = cluster!;
      let redelivery: Answer[] = [];
      let stoppedAt = 0;
      /** When PostgreSQL was asked to start again (down for sure until then), and when it was up. */
      let restartingAt = 0;
      let restartedAt = 0;
      const { sessionId, scenario: outage } = await faultyRun(
        'postgres-outage',
        () => [],
        async (scenario, withheld) => {
          // The moment the end is stored and the session knows it (marked ended): the final calculation, due
          // CALCULATION_DELAY after the end, meets a dead database.
          const sessionId = `postgres-outage-${run}`;
          const endKey = eventsOf('zoom', [scenario.end.payload])[0]!.key;
          await waitFor(async () => {
            const { rows } = await c.pool.query<{ status: string; stored: boolean }>(
              'SELECT status, EXISTS (SELECT 1 FROM session_facts($1) WHERE event_key = $2) AS stored FROM sessions WHERE id = $1',
              [sessionId, endKey],
            );
            return rows[0]?.status === 'ended' && rows[0].stored;
          }, 10_000);
          await c.postgres.stop();
          stoppedAt = Date.now();
          // The provider delivers webhooks it had not delivered yet (late events: new facts) and redelivers a few
          // it had (duplicates). No fact can be stored: they are answered 503 and retried until PostgreSQL is back
          // — while the calculation is still retrying.
          await sleep(1_000);
          const redeliver = new ProviderSender({
            abort: c.crashed,
            provider: 'zoom',
            url: c.apiUrl,
            concurrency: 4,
            maxAttempts: 30,
          });
          const late = [
            ...withheld,
            ...scenario.webhooks.slice(-2 * LATE_EVENTS, -LATE_EVENTS).map((webhook) => webhook.payload),
          ];
          const redelivered = redeliver.deliverAll(late);
          await sleep(PG_OUTAGE_MS - (Date.now() - stoppedAt));
          restartingAt = Date.now();
          await c.postgres.start();
          restartedAt = Date.now();
          assertAllDelivered(c, await redelivered, 'late webhooks and redeliveries during the outage');
          redelivery = redeliver.answers;
        },
        LATE_EVENTS,
      );
      const during = redelivery.filter((answer) => answer.at < restartingAt);
      note(
        `case 5: PostgreSQL down ${seconds(restartedAt - stoppedAt)}; ${LATE_EVENTS} late webhooks and ${LATE_EVENTS} redeliveries answered meanwhile: ${JSON.stringify(countBy(during))}; in all ${JSON.stringify(countBy(redelivery))}`,
      );
      assert.ok(
        during.length >= 2 * LATE_EVENTS,
        'every late webhook and redelivery was tried while PostgreSQL was down',
      );
      assert.deepEqual(
        countBy(during),
        { 503: during.length },
        'while no fact can be stored, webhooks are answered 503 (retry later)',
      );

      // Evidence the outage hit the end of the session: an activity (the phase update, the calculation) needed
      // more than one attempt, and the calculation succeeded only once PostgreSQL was back.
      const attempts = await activityAttempts(c, sessionId);
      note(`case 5: activity attempts in the session's history: ${JSON.stringify(attempts)}`);
      assert.ok(Math.max(...Object.values(attempts)) > 1, 'activities were retried through the outage');
      const { rows } = await c.pool.query<{ count: string }>('SELECT count(*) FROM sessions WHERE room = $1', [
        outage.options.room,
      ]);
      assert.equal(
        Number(rows[0]!.count),
        1,
        'no ad-hoc session was split off while the relay could not read the sessions',
      );
      assertNoCrash(c);
      const chain = await runsOf(c, sessionId);
      note(`case 5: ${chain.length} run(s) in the session's chain`);
    },
  );

  it(
    '7. API process SIGKILLed with facts committed but not yet relayed, restarted: nothing lost, exact',
    { timeout: FULL ? 1_200_000 : 420_000 },
    async () => {
      const c = cluster!;
      const kills: Array<{ at: number; unrelayed: number; down: number }> = [];
      /**
       * Waits for facts stored but not yet relayed (the relay runs a round at most every 200 ms, so a stream of
       * webhooks leaves some most of the time), SIGKILLs the API at once, counts what the dead process left
       * unrelayed, and restarts it. Tries again at the next moment if the relay had just caught up.
       */
      const killWithUnrelayed = async () => {
        for (let attempt = 1; attempt <= 5; attempt++) {
          await waitFor(async () => (await unrelayedCount(c.pool)) > 0, 60_000);
          const at = Date.now();
          await c.api.kill('SIGKILL');
          const unrelayed = await unrelayedCount(c.pool);
          await sleep(API_DOWN_MS);
          await c.api.start();
          kills.push({ at, unrelayed, down: Date.now() - at });
          if (unrelayed > 0) return;
        }
      };
      const startsBefore = c.api.starts;
      const { sender, sessionId, outcomes } = await faultyRun('api-kill', (count) => [
        { after: Math.floor(count * 0.4), run: killWithUnrelayed },
      ]);
      const kill = kills.at(-1);
      assert.ok(kill, 'the API was killed during delivery');
      // Requests the kill cut off: the webhooks whose answer was lost with the process. Those whose redelivery
      // stored nothing had been committed before the kill (their 200 never left): the provider's retry is harmless.
      const cut = new Set(
        sender.answers
          .filter((answer) => answer.status !== 200 && answer.at - answer.ms <= kill.at && answer.at >= kill.at)
          .map((answer) => answer.item),
      );
      const committedUnanswered = outcomes.filter(
        (outcome) => cut.has(outcome.item) && (outcome.body as { stored?: number } | undefined)?.stored === 0,
      ).length;
      note(
        `case 7: API SIGKILLed ${kills.length} time(s), ${kills.map((k) => `down ${seconds(k.down)} leaving ${k.unrelayed} facts unrelayed`).join('; ')}; ${cut.size} requests cut off, ${committedUnanswered} of them committed before the kill (their redelivery stored nothing)`,
      );
      assert.equal(c.api.starts, startsBefore + kills.length, 'the API was restarted after each kill');
      assert.ok(kill.unrelayed > 0, 'the killed API left committed facts it had not relayed');
      assert.equal(await unrelayedCount(c.pool), 0, 'the restarted relay delivered every fact the dead one left');
      const { rows } = await c.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM session_facts($1)', [
        sessionId,
      ]);
      note(`case 7: ${rows[0]!.n} facts stored for the session`);
      assertNoCrash(c);
    },
  );
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
async function activityAttempts(cluster: DevStack, sessionId: string): Promise<Record<string, number>> {
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
