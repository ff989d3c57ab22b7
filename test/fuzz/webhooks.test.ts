/**
 * Fault case 6: a fuzz run at both webhook endpoints of the real API process — unsigned, badly
 * signed, stale, tampered, oversized, malformed and mutated-but-signed bodies (see bodies.ts for how each is
 * classified). Every answer must be the classified one (4xx, or 200 for a well-signed unknown event or a body
 * that is still a valid event; never 503, which now means only that a fact could not be stored), the process
 * must stay up, and nothing may change except the facts of the one room the still-valid bodies are about,
 * which must be exactly the facts of the accepted bodies, and its ad-hoc sessions: a registered class in another
 * room, already calculated, is compared table by table before and after.
 * CI: ≥ 10,000 bodies. FAULTS_SCALE=full: ≥ 50,000.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { sessionFactKeys, unrelayedCount } from '../../src/db/facts.js';
import { storable } from '../../src/db/storable.js';
import { PROVIDERS, type AttendanceEvent } from '../../src/domain/index.js';
import { adHocSessionId } from '../../src/sessions/routing.js';
import { parseLiveKitWebhook } from '../../src/providers/livekit.js';
import { parseZoomWebhook } from '../../src/providers/zoom.js';
import { eventsOf, pastMinute } from '../support/scenario.js';
import { DevStack } from '../support/kit/dev-stack.js';
import { expectedAttendance, generateClass } from '../faults/support/classes.js';
import { distinctKeys, settle } from '../faults/support/compare.js';
import { engineAttendance } from '../support/attendance.js';
import { FULL, assertAllDelivered, assertNoCrash, eventually, note, register, seconds } from '../faults/support/run.js';
import { ProviderSender } from '../faults/support/sender.js';
import { seededRandom, shuffled } from '../support/random.js';
import {
  encryptedToken,
  generateCases,
  hostileTextCases,
  outOfRangeCases,
  type Endpoint,
  type FuzzCase,
  type Rooms,
} from './bodies.js';

const PER_ENDPOINT = FULL ? 27_000 : 5_400;
const SEED = Number(process.env.FUZZ_SEED ?? 20_250_605);
const TABLES = ['sessions', 'room_facts', 'participants', 'attendance', 'session_reports', 'users'] as const;

interface Answered {
  fuzz: FuzzCase;
  status: number | 'network';
  body:
    | {
        status?: string;
        error?: string;
        plainToken?: string;
        encryptedToken?: string;
        events?: number;
        stored?: number;
      }
    | undefined;
  ms: number;
}

/**
 * Posts the body once. PostgreSQL is up all along, so no answer may be a 503 (a fact that could not be stored):
 * nothing is redelivered, and every answer is classified.
 */
function post(cluster: DevStack, fuzz: FuzzCase): Promise<Answered> {
  return postOnce(cluster, fuzz);
}

async function postOnce(cluster: DevStack, fuzz: FuzzCase): Promise<Answered> {
  const started = Date.now();
  try {
    const res = await fetch(`${cluster.apiUrl}/webhooks/${fuzz.endpoint}`, {
      method: 'POST',
      body: fuzz.body,
      headers: await fuzz.headers(),
    });
    const text = await res.text();
    let body: Answered['body'];
    try {
      body = JSON.parse(text) as Answered['body'];
    } catch {
      body = undefined;
    }
    return { fuzz, status: res.status, body, ms: Date.now() - started };
  } catch {
    return { fuzz, status: 'network', body: undefined, ms: Date.now() - started };
  }
}

/** Every case, `concurrency` in flight; each gets one answer. */
async function fire(cluster: DevStack, cases: readonly FuzzCase[], concurrency = 16): Promise<Answered[]> {
  const answers: Answered[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) answers.push(await post(cluster, cases[next++]!));
    }),
  );
  return answers;
}

/** Why an answer breaks its case's classification, or undefined when it is right. */
function violation(answer: Answered): string | undefined {
  const { fuzz, status, body } = answer;
  const expect = fuzz.expect;
  switch (expect.kind) {
    case 'status':
      if (!expect.status.includes(status as number)) return `expected ${expect.status.join('/')}`;
      if (status === 400 && !body?.error) return 'a 400 must say what is wrong';
      return undefined;
    case 'ignored':
      return status === 200 && body?.status === 'ignored' ? undefined : 'expected 200 ignored';
    case 'accepted':
      return status === 200 && body?.status === 'accepted' ? undefined : 'expected 200 accepted';
    case 'accepted-or-400':
      return (status === 200 && body?.status === 'accepted') || status === 400
        ? undefined
        : 'expected 200 accepted or 400';
    case 'url-validation':
      return status === 200 &&
        body?.plainToken === expect.plainToken &&
        body.encryptedToken === encryptedToken(expect.plainToken)
        ? undefined
        : 'expected the url_validation answer';
  }
}

const describeCase = (answer: Answered, why: string) =>
  `${answer.fuzz.endpoint}/${answer.fuzz.category}: ${why}, got ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 160)} for ${answer.fuzz.body.toString('utf8').slice(0, 200)}${answer.fuzz.body.length > 200 ? '…' : ''}`;

/** The provider rooms of `rooms` as `provider:room`, the way snapshot leaves out their facts. */
const roomKeys = (rooms: readonly Rooms[]) =>
  rooms.flatMap((room) => [`zoom:${room.zoom.meetingId}`, `livekit:${room.livekit.roomName}`]);

/**
 * Count and a digest of every row of each table, leaving out the sessions of `exclude` and the facts of the
 * rooms of `excludeRooms` (`provider:room`).
 */
async function snapshot(
  cluster: DevStack,
  exclude: string[],
  excludeRooms: string[] = [],
): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of TABLES) {
    const where =
      table === 'users'
        ? 'true'
        : table === 'room_facts'
          ? `NOT (provider || ':' || room = ANY($1::text[]))`
          : `NOT (${table === 'sessions' ? 'id' : 'session_id'} = ANY($1::text[]))`;
    const { rows } = await cluster.pool.query<{ n: number; digest: string }>(
      `SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM ${table} t WHERE ${where}`,
      table === 'users' ? [] : [table === 'room_facts' ? excludeRooms : exclude],
    );
    result[table] = `${rows[0]!.n} rows, ${rows[0]!.digest}`;
  }
  return result;
}

/** Workflow ids on the cluster's task queue (each once, whatever its continue-as-new chain). */
async function workflowIds(cluster: DevStack): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const execution of cluster.client.workflow.list({ query: `TaskQueue = '${cluster.taskQueue}'` }))
    ids.add(execution.workflowId);
  return ids;
}

function eventsOfBody(endpoint: Endpoint, body: Buffer): AttendanceEvent[] {
  const parsed =
    endpoint === 'zoom'
      ? parseZoomWebhook(JSON.parse(body.toString('utf8')))
      : parseLiveKitWebhook(JSON.parse(body.toString('utf8')));
  return parsed.type === 'events' ? parsed.events : [];
}

/** A fact as it comes back from a jsonb column: no `undefined` fields. */
const asStored = (event: AttendanceEvent): unknown => JSON.parse(JSON.stringify(event));

/**
 * The room's stored facts are exactly the accepted bodies' facts: the same keys, each stored fact one of the
 * accepted events of its key (a redelivery stores nothing new), as many rows as the answers said they stored.
 * Then waits until the relay has delivered them, and the room's session reads every one of them.
 */
async function assertFacts(
  cluster: DevStack,
  endpoint: Endpoint,
  room: string,
  sessionId: string,
  accepted: readonly Answered[],
  timeoutMs = 120_000,
): Promise<void> {
  const facts = accepted.flatMap((answer) => eventsOfBody(endpoint, answer.fuzz.body)).map((event) => storable(event));
  const byKey = new Map<string, unknown[]>();
  for (const fact of facts) byKey.set(fact.key, [...(byKey.get(fact.key) ?? []), asStored(fact)]);
  const { rows } = await cluster.pool.query<{ event_key: string; event: unknown }>(
    'SELECT event_key, event FROM room_facts WHERE provider = $1 AND room = $2',
    [endpoint, room],
  );
  const stored = new Map(rows.map((row) => [row.event_key, row.event]));
  const missing = [...byKey.keys()].filter((key) => !stored.has(key));
  const extra = [...stored.keys()].filter((key) => !byKey.has(key));
  const changed = [...stored].filter(
    ([key, event]) => byKey.has(key) && !byKey.get(key)!.some((candidate) => isDeepStrictEqual(candidate, event)),
  );
  assert.deepEqual(
    { missing: missing.slice(0, 5), extra: extra.slice(0, 5), changed: changed.slice(0, 3) },
    { missing: [], extra: [], changed: [] },
    `the facts of ${endpoint} room ${room} (${rows.length}) are those of the ${accepted.length} accepted bodies (${byKey.size} distinct keys)`,
  );
  const said = accepted.reduce((sum, answer) => sum + (answer.body?.stored ?? 0), 0);
  assert.equal(rows.length, said, `the accepted answers said ${said} facts were stored`);
  if (rows.length === 0) return;
  // The relay delivers them; the session's workflow, started by the first delivery, stores its row.
  const keys = [...stored.keys()].sort();
  let read: string[] = [];
  await eventually(
    async () => {
      read = (await sessionFactKeys(cluster.pool, sessionId)).sort();
      return (await unrelayedCount(cluster.pool)) === 0 && isDeepStrictEqual(read, keys) ? true : undefined;
    },
    timeoutMs,
    'the relay to deliver every fact',
  ).catch(() => undefined);
  assert.equal(await unrelayedCount(cluster.pool), 0, 'the relay delivered every fact');
  assert.deepEqual(read, keys, `session ${sessionId} reads every fact of its room`);
}

describe(`fault case 6: fuzzing both webhook endpoints (≥ ${FULL ? '50,000' : '10,000'} bodies, seed ${SEED})`, () => {
  let cluster: DevStack | undefined;
  const start = pastMinute(90);
  const seededZoom = `98${Date.now() % 1e8}`;
  const seededLiveKit = `seeded-${Date.now().toString(36)}`;
  const seeded: Rooms = {
    zoom: { meetingId: seededZoom, uuid: `${seededZoom}-instance==` },
    livekit: { roomName: seededLiveKit, roomSid: `RM_${seededLiveKit}` },
  };
  const fuzzRoom = (label: string): Rooms => ({
    zoom: { meetingId: `97${label.length}${Date.now() % 1e7}`, uuid: `fuzz-${label}==` },
    livekit: { roomName: `fuzz-${label}`, roomSid: `RM_fuzz_${label}` },
  });
  const sessionsOf = (room: Rooms) => [
    adHocSessionId({ provider: 'zoom', instanceId: room.zoom.uuid }),
    adHocSessionId({ provider: 'livekit', instanceId: room.livekit.roomSid }),
  ];

  before(async () => {
    cluster = await DevStack.start({ name: 'fuzz' });
    // Something to protect: a calculated class in each provider's registered room.
    for (const provider of PROVIDERS) {
      const scenario = generateClass({
        provider,
        people: 12,
        seed: 6_006,
        room: provider === 'zoom' ? seededZoom : seededLiveKit,
        start,
      });
      const sessionId = `seeded-${provider}-${seededLiveKit}`;
      await register(cluster, scenario, sessionId);
      const all = [...scenario.webhooks.map((webhook) => webhook.payload), scenario.end.payload];
      const sender = new ProviderSender({ abort: cluster.crashed, provider, url: cluster.apiUrl });
      assertAllDelivered(cluster, await sender.deliverAll(all.slice(0, -1)), `seeded ${provider} class`);
      assertAllDelivered(cluster, await sender.deliverAll(all.slice(-1)), `seeded ${provider} class: end`);
      await settle(
        cluster,
        sessionId,
        engineAttendance(expectedAttendance(scenario, all)),
        distinctKeys(eventsOf(provider, all)),
        120_000,
      );
    }
  });
  after(() => cluster?.stop());

  it(
    'answers every body as classified, stays up, and changes nothing but the facts of the room still-valid bodies name',
    { timeout: FULL ? 3_600_000 : 600_000 },
    async () => {
      const c = cluster!;
      c.beginCase();
      const fuzz = fuzzRoom('main');
      const fuzzSessions = sessionsOf(fuzz);
      const apiPid = c.api.pid;
      // The seeded classes' workflows record their last phase ('calculated') just after their attendance settles:
      // wait for it, so the snapshot holds nothing that moves on its own.
      await eventually(
        async () => {
          const { rows } = await c.pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM sessions WHERE status <> 'calculated' AND NOT (id = ANY($1::text[]))",
            [fuzzSessions],
          );
          return rows[0]?.n === 0 ? true : undefined;
        },
        60_000,
        'the seeded sessions to be calculated',
      );
      await eventually(
        async () => ((await unrelayedCount(c.pool)) === 0 ? true : undefined),
        60_000,
        'the seeded facts to be relayed',
      );
      const fuzzRooms = roomKeys([fuzz]);
      const before = await snapshot(c, fuzzSessions, fuzzRooms);
      const workflowsBefore = await workflowIds(c);

      let started = Date.now();
      const options = { perEndpoint: PER_ENDPOINT, seed: SEED, seeded, fuzz };
      const cases = shuffled(
        [...generateCases('zoom', options), ...generateCases('livekit', options)],
        seededRandom(SEED),
      );
      note(`case 6: generated ${cases.length} bodies in ${seconds(Date.now() - started)}`);
      assert.ok(
        cases.length >= (FULL ? 50_000 : 10_000),
        `at least ${FULL ? 50_000 : 10_000} bodies (got ${cases.length})`,
      );

      started = Date.now();
      const answers = await fire(c, cases);
      const fireMs = Date.now() - started;
      const byCategory = new Map<string, Record<string, number>>();
      for (const answer of answers) {
        const key = `${answer.fuzz.endpoint}/${answer.fuzz.category}`;
        const counts = byCategory.get(key) ?? {};
        counts[String(answer.status)] = (counts[String(answer.status)] ?? 0) + 1;
        byCategory.set(key, counts);
      }
      note(
        `case 6: ${answers.length} answers in ${seconds(fireMs)} (${Math.round((answers.length / fireMs) * 1000)}/s)`,
      );
      for (const [key, counts] of [...byCategory].sort()) note(`case 6:   ${key.padEnd(28)} ${JSON.stringify(counts)}`);

      const wrong = answers.flatMap((answer) => {
        const why = violation(answer);
        return why ? [describeCase(answer, why)] : [];
      });
      assert.equal(answers.length, cases.length);
      assert.deepEqual(
        wrong.slice(0, 15),
        [],
        `${wrong.length} of ${answers.length} answers broke their classification`,
      );

      // Still up, the same process, answering.
      assert.equal((await fetch(`${c.apiUrl}/healthz`)).status, 200, 'healthz after the fuzz run');
      assert.equal(c.api.pid, apiPid, 'the API process is the one that took the fuzz run');
      assertNoCrash(c);

      // Exactly the facts of the bodies that were accepted in the fuzz room...
      const accepted = answers.filter((answer) => answer.status === 200 && answer.body?.status === 'accepted');
      for (const [endpoint, sessionId, room] of [
        ['zoom', fuzzSessions[0]!, fuzz.zoom.meetingId],
        ['livekit', fuzzSessions[1]!, fuzz.livekit.roomName],
      ] as const) {
        const mine = accepted.filter((answer) => answer.fuzz.endpoint === endpoint);
        note(
          `case 6: ${endpoint}: ${mine.length} bodies accepted, ${mine.reduce((sum, answer) => sum + (answer.body?.stored ?? 0), 0)} facts stored, read by ${sessionId}`,
        );
        await assertFacts(c, endpoint, room, sessionId, mine);
      }
      // ...and nothing changed outside it (once its sessions have taken their facts).
      assert.deepEqual(await snapshot(c, fuzzSessions, fuzzRooms), before, 'tables unchanged outside the fuzz room');
      const { rows } = await c.pool.query<{ id: string }>('SELECT id FROM sessions WHERE NOT (id = ANY($1::text[]))', [
        fuzzSessions,
      ]);
      const newSessions = (
        await c.pool.query<{ id: string }>('SELECT id FROM sessions WHERE id = ANY($1::text[]) ORDER BY id', [
          fuzzSessions,
        ])
      ).rows.map((row) => row.id);
      const newWorkflows = [...(await workflowIds(c))].filter((id) => !workflowsBefore.has(id)).sort();
      assert.deepEqual(
        newWorkflows,
        newSessions.map((id) => `session-${id}`),
        'the only new workflows are those of the fuzz room sessions',
      );
      const dead = (await c.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM dead_letters')).rows[0]!.n;
      note(
        `case 6: ${rows.length} sessions untouched, ${newSessions.length} fuzz-room sessions, ${dead} dead letters kept`,
      );
      assert.ok(dead <= 10_000 + 64, `dead letters stay bounded (${dead})`);
    },
  );

  it(
    'refuses provider times no date can hold with 400, not 5xx, and changes nothing',
    { timeout: 120_000 },
    async () => {
      const c = cluster!;
      c.beginCase();
      const room = fuzzRoom('range');
      const before = await snapshot(c, []);
      const answers = await fire(c, outOfRangeCases(room), 2);
      const wrong = answers.flatMap((answer) => {
        const why = violation(answer);
        return why ? [describeCase(answer, why)] : [];
      });
      assert.equal((await fetch(`${c.apiUrl}/healthz`)).status, 200, 'healthz after');
      assertNoCrash(c);
      assert.deepEqual(wrong, [], 'times outside the Date range are malformed payloads');
      assert.deepEqual(await snapshot(c, []), before, 'nothing changed');
    },
  );

  for (const [kind, what] of [
    ['nul', 'NUL characters'],
    ['surrogate', 'lone UTF-16 surrogates'],
  ] as const) {
    it(
      `takes participant names with ${what} (valid JSON strings PostgreSQL cannot store) and stores them made storable, or refuses them with 400`,
      { timeout: 180_000 },
      async () => {
        const c = cluster!;
        c.beginCase();
        const room = fuzzRoom(`hostile-${kind}`);
        const answers = await fire(c, hostileTextCases(room, kind), 2);
        const wrong = answers.flatMap((answer) => {
          const why = violation(answer);
          return why ? [describeCase(answer, why)] : [];
        });
        note(
          `case 6: names with ${what}: ${answers.map((answer) => `${answer.fuzz.endpoint} ${answer.status}`).join(', ')}`,
        );
        assert.deepEqual(wrong, [], 'each answer is 200 accepted or 400');
        assert.equal((await fetch(`${c.apiUrl}/healthz`)).status, 200, 'healthz after');
        assertNoCrash(c);
        // Whatever was accepted is stored (made storable) and reaches its session: a fact that could never be
        // stored would be a lost one.
        const [zoomSession, livekitSession] = sessionsOf(room);
        for (const [endpoint, sessionId, roomId] of [
          ['zoom', zoomSession!, room.zoom.meetingId],
          ['livekit', livekitSession!, room.livekit.roomName],
        ] as const) {
          await assertFacts(
            c,
            endpoint,
            roomId,
            sessionId,
            answers.filter((answer) => answer.fuzz.endpoint === endpoint && answer.status === 200),
            30_000,
          );
        }
      },
    );
  }
});
