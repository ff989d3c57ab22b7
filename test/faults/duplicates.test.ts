/**
 * Fault case 2: a LiveKit class whose every webhook arrives three times, concurrently and in a
 * shuffled order (LiveKit retries and reorders), with 10 % of the leave events lost for good. The end
 * (room_finished) is in the shuffle too, so the final calculation may run before the last stragglers and must
 * be redone. The result must equal both the engine's for the log without the lost leaves, and the fault-free
 * run of that same log (delivered once, in order) in another room.
 * CI: 300 people (1,502 webhooks, 4,2xx deliveries). FAULTS_SCALE=full: 2,000 people (30,000 deliveries).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventsOf, pastMinute } from '../support/scenario.js';
import { DevStack } from '../support/kit/dev-stack.js';
import { expectedAttendance, generateClass, type ClassScenario } from './support/classes.js';
import { engineAttendance, persistedAttendance } from '../support/attendance.js';
import { distinctKeys, settle } from './support/compare.js';
import { FULL, SETTLE_MS, assertAllDelivered, assertNoCrash, note, register, seconds, stamp } from './support/run.js';
import { seededRandom, shuffled } from '../support/random.js';
import { ProviderSender } from './support/sender.js';

const PEOPLE = FULL ? 2_000 : 300;
const SEED = 2_002;

describe('fault case 2: every webhook three times, shuffled, 10 % of leaves lost', () => {
  let cluster: DevStack | undefined;
  before(async () => {
    cluster = await DevStack.start({ name: 'duplicates' });
  });
  after(() => cluster?.stop());

  it(
    'ends exact: as the engine computes the surviving log, and as its fault-free run persisted it',
    { timeout: FULL ? 1_800_000 : 420_000 },
    async () => {
      const c = cluster!;
      const id = stamp();
      const start = pastMinute(90);
      const scenarioIn = (room: string): ClassScenario =>
        generateClass({ provider: 'livekit', people: PEOPLE, seed: SEED, room, start });
      const faulty = scenarioIn(`dup-${id}`);
      const clean = scenarioIn(`clean-${id}`);

      // The same 10 % of leaves (by position) are lost in both runs: the fault-free run gets the surviving log once.
      const random = seededRandom(SEED);
      const leaves = faulty.webhooks.flatMap((webhook, index) => (webhook.kind === 'leave' ? [index] : []));
      const lost = new Set(shuffled(leaves, random).slice(0, Math.round(leaves.length / 10)));
      const surviving = (scenario: ClassScenario) => [
        ...scenario.webhooks.filter((_, index) => !lost.has(index)).map((w) => w.payload),
        scenario.end.payload,
      ];
      const faultyLog = surviving(faulty);
      const cleanLog = surviving(clean);
      const deliveries = shuffled([...faultyLog, ...faultyLog, ...faultyLog], random);
      note(
        `case 2: ${PEOPLE} people, ${faulty.webhooks.length + 1} webhooks, ${lost.size} leaves lost, ${deliveries.length} deliveries (seed ${SEED})`,
      );

      await register(c, faulty, `dup-${id}`);
      await register(c, clean, `clean-${id}`);

      const sender = new ProviderSender({ abort: c.crashed, provider: 'livekit', url: c.apiUrl, concurrency: 32 });
      let started = Date.now();
      assertAllDelivered(c, await sender.deliverAll(deliveries), 'tripled, shuffled webhooks');
      const faultySend = Date.now() - started;
      const acks = sender.summary();
      note(
        `case 2: ${deliveries.length} deliveries in ${seconds(faultySend)}, ack p50 ${acks.p50} ms, p99 ${acks.p99} ms, answers ${JSON.stringify(acks.byStatus)}`,
      );

      const cleanSender = new ProviderSender({ abort: c.crashed, provider: 'livekit', url: c.apiUrl, concurrency: 8 });
      started = Date.now();
      // Once each, in provider order, the end after everything else: as a perfect network would deliver it.
      assertAllDelivered(c, await cleanSender.deliverAll(cleanLog.slice(0, -1)), 'fault-free run');
      assertAllDelivered(c, await cleanSender.deliverAll(cleanLog.slice(-1)), 'fault-free run: room_finished');
      note(`case 2: fault-free run, ${cleanLog.length} webhooks once each in ${seconds(Date.now() - started)}`);

      const expected = engineAttendance(expectedAttendance(faulty, faultyLog));
      started = Date.now();
      const faultySettle = await settle(
        c,
        `dup-${id}`,
        expected,
        distinctKeys(eventsOf('livekit', faultyLog)),
        SETTLE_MS,
      );
      const cleanSettle = await settle(
        c,
        `clean-${id}`,
        engineAttendance(expectedAttendance(clean, cleanLog)),
        distinctKeys(eventsOf('livekit', cleanLog)),
        SETTLE_MS,
      );
      note(
        `case 2: both runs exact (faulty settled ${seconds(faultySettle)}, fault-free ${seconds(cleanSettle)} after their last webhook)`,
      );

      // The two runs share people and connections (ids do not name the room): their persisted rows are identical.
      assert.deepEqual(
        await persistedAttendance(c.pool, `dup-${id}`),
        await persistedAttendance(c.pool, `clean-${id}`),
      );
      // The lost leaves mattered: the meeting end closed more cycles than the five-event pattern alone would.
      const closedByEnd = expected.cycles.filter((cycle) => cycle[4] === 'meeting-ended').length;
      note(
        `case 2: ${closedByEnd} cycles closed by room_finished (${PEOPLE} from the final rejoins, the rest left open by lost leaves)`,
      );
      assert.ok(closedByEnd > PEOPLE, 'lost leaves left cycles for the meeting end to close');
      assertNoCrash(c);
    },
  );
});
