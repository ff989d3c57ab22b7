import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listen } from '../../src/api/server.js';
import { storeFacts } from '../../src/db/facts.js';
import { createPool } from '../../src/db/pool.js';
import { insertSession } from '../../src/db/sessions.js';
import { PROVIDERS, type AttendanceEvent, type PersonRef } from '../../src/domain/index.js';
import { freePort } from '../../src/infra/ports.js';
import { createClient } from '../../src/infra/temporal-client.js';
import { createLogger } from '../../src/logger.js';
import { summaryQuery } from '../../src/workflows/messages.js';
import { factSpan } from '../../src/sessions/routing.js';
import type { SessionSpec } from '../../src/workflows/types.js';
import { eventually, relayed, request, startSystem, testConfig, type TestSystem } from '../support/system.js';

const MINUTE = 60_000;
const utc = (ms: number) => new Date(ms).toISOString();

interface Report {
  sessionId: string;
  calculatedAt: string | null;
  calculationSeq: number;
  window?: { start: string; end: string };
  people: Array<Record<string, unknown>>;
}
interface State {
  phase: string;
  calculations: number;
  meetingEndedAt: string | null;
  lastCounts?: Record<string, number>;
}

function session(id: string, start: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    provider: 'livekit',
    room: `room-${id}`,
    scheduledStart: utc(start),
    scheduledEnd: utc(start + 60 * MINUTE),
    ...extra,
  };
}

describe('HTTP API', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem();
  });
  after(() => system.stop());

  it('refuses invalid registrations with a 400 naming the field', async () => {
    const start = Date.now();
    const backwards = await request<{ error: string }>(
      system,
      'POST',
      '/api/sessions',
      session('bad-1', start, { scheduledEnd: utc(start - MINUTE) }),
    );
    assert.equal(backwards.status, 400);
    assert.match(backwards.body.error, /^scheduledEnd: must be after scheduledStart/);

    const provider = await request<{ error: string }>(
      system,
      'POST',
      '/api/sessions',
      session('bad-2', start, { provider: 'teams' }),
    );
    assert.equal(provider.status, 400);
    assert.match(provider.body.error, /^provider: /);

    const { rows } = await system.pool.query("SELECT id FROM sessions WHERE id IN ('bad-1', 'bad-2')");
    assert.deepEqual(rows, []);
  });

  for (const [id, extra] of [
    ['retry-1', {}],
    // The stored roster is jsonb, which keeps object keys in its own order, not the request's.
    ['retry-2', { roster: [{ userId: 'r-1', name: 'Rae' }], policy: { kind: 'minimum-duration', minutes: 20 } }],
  ] as const) {
    it(`answers a retried identical registration with 200 and the same id, a conflicting one with 409 (${id})`, async () => {
      const body = session(id, Date.now(), extra);
      const first = await request<{ id: string; workflowId: string }>(system, 'POST', '/api/sessions', body);
      assert.equal(first.status, 201);
      try {
        const again = await request(system, 'POST', '/api/sessions', body);
        assert.deepEqual(again, { status: 200, body: first.body });
        const conflicting = await request<{ error: string }>(system, 'POST', '/api/sessions', {
          ...body,
          room: 'another-room',
        });
        assert.equal(conflicting.status, 409);
        assert.equal(conflicting.body.error, `session ${id} already exists with different details`);
      } finally {
        await system.client.workflow.getHandle(first.body.workflowId).terminate('test finished');
      }
    });
  }

  it('upserts the directory in bulk, and an email conflict changes nothing', async () => {
    const users = [
      { id: 'dir-1', email: 'one@example.com', name: 'One' },
      { id: 'dir-2', email: 'two@example.com' },
    ];
    assert.deepEqual(await request(system, 'PUT', '/api/users', users), { status: 200, body: { upserted: 2 } });
    // An upsert replaces email and name: dir-2 gets a name, dir-1 loses its email.
    assert.deepEqual(
      await request(system, 'PUT', '/api/users', [
        { id: 'dir-1', name: 'Uno' },
        { id: 'dir-2', email: 'Two@Example.com', name: 'Two' },
      ]),
      {
        status: 200,
        body: { upserted: 2 },
      },
    );
    const directory = async () =>
      (await system.pool.query("SELECT id, email, name FROM users WHERE id LIKE 'dir-%' ORDER BY id")).rows as Array<
        Record<string, unknown>
      >;
    const expected = [
      { id: 'dir-1', email: null, name: 'Uno' },
      { id: 'dir-2', email: 'Two@Example.com', name: 'Two' },
    ];
    assert.deepEqual(await directory(), expected);

    // dir-3 is valid on its own, but the batch fails as a whole: dir-1 would take dir-2's email.
    const conflict = await request<{ error: string }>(system, 'PUT', '/api/users', [
      { id: 'dir-3', email: 'three@example.com' },
      { id: 'dir-1', email: 'TWO@example.com' },
    ]);
    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error, 'email TWO@example.com already belongs to user dir-2');
    assert.deepEqual(await directory(), expected);

    const duplicateIds = await request<{ error: string }>(system, 'PUT', '/api/users', [
      { id: 'dir-4' },
      { id: 'dir-4' },
    ]);
    assert.equal(duplicateIds.status, 400);
    assert.match(duplicateIds.body.error, /^1\.id: duplicate id dir-4/);
    const badEmail = await request<{ error: string }>(system, 'PUT', '/api/users', [
      { id: 'dir-5', email: 'not-an-email' },
    ]);
    assert.equal(badEmail.status, 400);
    assert.match(badEmail.body.error, /^0\.email: /);
    const tooMany = await request<{ error: string }>(
      system,
      'PUT',
      '/api/users',
      Array.from({ length: 10_001 }, (_, i) => ({ id: `bulk-${i}` })),
    );
    assert.equal(tooMany.status, 400);
    assert.deepEqual(await directory(), expected);
  });

  it('reports attendance calculated by the workflow as JSON and CSV, and recalculates to the same numbers', async () => {
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 70 * MINUTE;
    const end = start + 60 * MINUTE;
    const registered = await request<{ id: string; workflowId: string }>(
      system,
      'POST',
      '/api/sessions',
      session('att-1', start, {
        roster: [
          { userId: 'att-ada', email: 'ada@example.com', name: 'Ada', role: 'teacher' },
          { userId: 'att-bob', name: 'Bob' },
          { userId: 'att-cy', name: 'Cy' },
        ],
      }),
    );
    assert.equal(registered.status, 201);

    const person = (id: string, name: string): PersonRef => ({ guestKey: id, providerUserIds: [id], name });
    const ada = person('att-ada', 'Ada L.');
    const bob = person('att-bob', 'Bob');
    const zed = person('att-zed', 'Zed "Z", Jr.');
    const joined = (connection: string, who: PersonRef, at: number): AttendanceEvent => ({
      kind: 'joined',
      key: `j:${connection}`,
      at,
      source: 'webhook',
      instance,
      connection,
      person: who,
    });
    const left = (connection: string, who: PersonRef, at: number): AttendanceEvent => ({
      kind: 'left',
      key: `l:${connection}`,
      at,
      source: 'webhook',
      instance,
      connection,
      person: who,
    });
    // The room's facts, stored as a webhook stores them; the relay brings them to the session's workflow.
    const instance = 'RM_att-1';
    await storeFacts(system.pool, { provider: 'livekit', roomId: 'room-att-1', instanceId: instance }, [
      joined('A1', ada, start - 5 * MINUTE), // preparation time before the start does not count
      left('A1', ada, start + 20 * MINUTE),
      joined('A2', ada, start + 22 * MINUTE), // never leaves: closed by the meeting's end
      joined('A3', ada, start + 30 * MINUTE), // a second device inside A2: not counted twice
      left('A3', ada, start + 40 * MINUTE),
      joined('B1', bob, start + 20 * MINUTE),
      left('B1', bob, start + 55 * MINUTE),
      joined('Z1', zed, start + 48 * MINUTE),
      left('Z1', zed, start + 56 * MINUTE),
    ]);
    await relayed(system);
    const handle = system.client.workflow.getHandle(registered.body.workflowId);
    await eventually(
      async () => ((await handle.query(summaryQuery)).connections === 5 ? true : undefined),
      10_000,
      'every connection of the stored facts in the workflow',
    );

    const endedAt = end + 2 * MINUTE;
    const ended = await request<State>(system, 'POST', '/api/sessions/att-1/end', { at: utc(endedAt) });
    assert.equal(ended.status, 202);
    assert.equal(ended.body.phase, 'ended');
    assert.equal(ended.body.meetingEndedAt, utc(endedAt));

    const first = await eventually(
      async () => {
        const res = await request<Report>(system, 'GET', '/api/sessions/att-1/attendance');
        return res.body.calculatedAt === null ? undefined : res;
      },
      20_000,
      'the final calculation',
    );
    assert.equal(first.status, 200);
    // By hand, window [start, start + 60 min]: Ada 20 + 38 min; Bob 35 min from minute 20 (grace 15 min); Zed 8 min.
    const people = [
      {
        personKey: 'guest:att-zed',
        userId: null,
        email: null,
        name: 'Zed "Z", Jr.',
        role: null,
        guest: true,
        firstJoin: utc(start + 48 * MINUTE),
        lastLeave: utc(start + 56 * MINUTE),
        attendedSeconds: 480,
        percentage: 13.33,
        status: 'partial',
        late: true,
        lateMinutes: 48,
        cycles: [{ joinedAt: utc(start + 48 * MINUTE), leftAt: utc(start + 56 * MINUTE), closedBy: 'left' }],
      },
      {
        personKey: 'user:att-ada',
        userId: 'att-ada',
        email: 'ada@example.com',
        name: 'Ada',
        role: 'teacher',
        guest: false,
        firstJoin: utc(start - 5 * MINUTE),
        lastLeave: utc(endedAt),
        attendedSeconds: 3480,
        percentage: 96.66,
        status: 'present',
        late: false,
        lateMinutes: 0,
        cycles: [
          { joinedAt: utc(start - 5 * MINUTE), leftAt: utc(start + 20 * MINUTE), closedBy: 'left' },
          { joinedAt: utc(start + 22 * MINUTE), leftAt: utc(endedAt), closedBy: 'meeting-ended' },
          { joinedAt: utc(start + 30 * MINUTE), leftAt: utc(start + 40 * MINUTE), closedBy: 'left' },
        ],
      },
      {
        personKey: 'user:att-bob',
        userId: 'att-bob',
        email: null,
        name: 'Bob',
        role: 'student',
        guest: false,
        firstJoin: utc(start + 20 * MINUTE),
        lastLeave: utc(start + 55 * MINUTE),
        attendedSeconds: 2100,
        percentage: 58.33,
        status: 'late',
        late: true,
        lateMinutes: 20,
        cycles: [{ joinedAt: utc(start + 20 * MINUTE), leftAt: utc(start + 55 * MINUTE), closedBy: 'left' }],
      },
      {
        personKey: 'user:att-cy',
        userId: 'att-cy',
        email: null,
        name: 'Cy',
        role: 'student',
        guest: false,
        firstJoin: null,
        lastLeave: null,
        attendedSeconds: 0,
        percentage: 0,
        status: 'absent',
        late: false,
        lateMinutes: 0,
        cycles: [],
      },
    ];
    assert.deepEqual(first.body, {
      sessionId: 'att-1',
      calculatedAt: first.body.calculatedAt,
      calculationSeq: 1,
      window: { start: utc(start), end: utc(end) },
      people,
    });
    assert.match(first.body.calculatedAt!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const csv = [
      'personKey,userId,email,name,role,guest,firstJoin,lastLeave,attendedSeconds,percentage,status,late,lateMinutes,cycles',
      `guest:att-zed,,,"Zed ""Z"", Jr.",,true,${utc(start + 48 * MINUTE)},${utc(start + 56 * MINUTE)},480,13.33,partial,true,48,1`,
      `user:att-ada,att-ada,ada@example.com,Ada,teacher,false,${utc(start - 5 * MINUTE)},${utc(endedAt)},3480,96.66,present,false,0,3`,
      `user:att-bob,att-bob,,Bob,student,false,${utc(start + 20 * MINUTE)},${utc(start + 55 * MINUTE)},2100,58.33,late,true,20,1`,
      'user:att-cy,att-cy,,Cy,student,false,,,0,0,absent,false,0,0',
    ]
      .map((line) => `${line}\r\n`)
      .join('');
    for (const [path, headers] of [
      ['/api/sessions/att-1/attendance', { accept: 'text/csv' }],
      ['/api/sessions/att-1/attendance.csv', {}],
    ] as const) {
      const res = await fetch(`${system.api.url}${path}`, { headers });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8', path);
      assert.equal(await res.text(), csv, path);
    }

    const detail = await request<{ scheduledStart: string; status: string; state: State | null }>(
      system,
      'GET',
      '/api/sessions/att-1',
    );
    assert.equal(detail.status, 200);
    assert.equal(detail.body.scheduledStart, utc(start));
    assert.equal(detail.body.status, 'calculated');
    assert.equal(detail.body.state?.phase, 'calculated');
    assert.equal(detail.body.state.calculations, 1);

    const recalculated = await request<State>(system, 'POST', '/api/sessions/att-1/recalculate');
    assert.equal(recalculated.status, 200);
    assert.equal(recalculated.body.calculations, 2);
    assert.deepEqual(recalculated.body.lastCounts, {
      people: 4,
      present: 1,
      late: 1,
      partial: 1,
      absent: 1,
      guests: 1,
    });
    // The update resolves only once the result is persisted: no waiting needed.
    const second = await request<Report>(system, 'GET', '/api/sessions/att-1/attendance');
    assert.deepEqual(second.body.people, people);
    assert.equal(second.body.calculationSeq, 2, 'the recalculation is the newest saved');
    assert.ok(
      Date.parse(second.body.calculatedAt!) > Date.parse(first.body.calculatedAt!),
      'a new calculation was persisted',
    );

    await system.client.workflow.getHandle(registered.body.workflowId).terminate('test finished');
  });

  it('reads a session that is registered but not calculated, or has no workflow, from the database', async () => {
    const start = Date.now() + 60 * MINUTE;
    const registered = await request<{ workflowId: string }>(
      system,
      'POST',
      '/api/sessions',
      session('fresh-1', start),
    );
    const fresh = await request<Report>(system, 'GET', '/api/sessions/fresh-1/attendance');
    assert.deepEqual(fresh, {
      status: 200,
      body: {
        sessionId: 'fresh-1',
        calculatedAt: null,
        calculationSeq: 0,
        window: { start: utc(start), end: utc(start + 60 * MINUTE) },
        people: [],
      },
    });
    const freshCsv = await fetch(`${system.api.url}/api/sessions/fresh-1/attendance.csv`);
    assert.equal((await freshCsv.text()).split('\r\n').length, 2, 'a header row only');
    const state = await request<{ state: State | null }>(system, 'GET', '/api/sessions/fresh-1');
    assert.equal(state.body.state?.phase, 'scheduled');
    await system.client.workflow.getHandle(registered.body.workflowId).terminate('test finished');

    // A row whose workflow was never started: the row answers, with no state.
    await insertSession(
      system.pool,
      { id: 'orphan-1', provider: 'zoom', room: '123', adHoc: true, roster: [], policy: { kind: 'percentage' } },
      'session-orphan-1',
      undefined,
    );
    const orphan = await request<{ id: string; scheduledStart: string | null; state: State | null }>(
      system,
      'GET',
      '/api/sessions/orphan-1',
    );
    assert.deepEqual(
      [orphan.status, orphan.body.id, orphan.body.scheduledStart, orphan.body.state],
      [200, 'orphan-1', null, null],
    );
    const orphanReport = await request<Report>(system, 'GET', '/api/sessions/orphan-1/attendance');
    assert.deepEqual(orphanReport.body, { sessionId: 'orphan-1', calculatedAt: null, calculationSeq: 0, people: [] });
    // Recalculation still works: it starts the session's workflow to compute from the (empty) stored log.
    const recalculated = await request<{ calculations: number }>(system, 'POST', '/api/sessions/orphan-1/recalculate');
    assert.deepEqual([recalculated.status, recalculated.body.calculations], [200, 1]);
    const afterRecalculation = await request<Report>(system, 'GET', '/api/sessions/orphan-1/attendance');
    assert.notEqual(afterRecalculation.body.calculatedAt, null);
    await system.client.workflow.getHandle('session-orphan-1').terminate('test finished');
  });

  it('answers 404 for unknown sessions and 400 for a bad end time', async () => {
    for (const [method, path] of [
      ['GET', '/api/sessions/nope'],
      ['GET', '/api/sessions/nope/attendance'],
      ['GET', '/api/sessions/nope/attendance.csv'],
      ['POST', '/api/sessions/nope/end'],
      ['POST', '/api/sessions/nope/recalculate'],
    ] as const) {
      const res = await request<{ error: string }>(system, method, path);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.match(res.body.error, /nope/, `${method} ${path}`);
    }
    const badAt = await request<{ error: string }>(system, 'POST', '/api/sessions/nope/end', { at: 'yesterday' });
    assert.equal(badAt.status, 400);
    assert.match(badAt.body.error, /^at: expected an ISO-8601 date-time/);
  });

  it('serves an OpenAPI 3.1 document listing every route, with bodies from the validating schemas', async () => {
    const res = await request<{
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: {
        schemas: Record<
          string,
          { required?: string[]; properties: Record<string, { enum?: string[]; maxItems?: number }> }
        >;
      };
    }>(system, 'GET', '/openapi.json');
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    const operations = Object.entries(res.body.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(operations.sort(), [
      'GET /api/dead-letters',
      'GET /api/dead-letters/{id}',
      'GET /api/sessions/{id}',
      'GET /api/sessions/{id}/attendance',
      'GET /api/sessions/{id}/attendance.csv',
      'GET /api/sessions/{id}/presence',
      'GET /healthz',
      'GET /metrics',
      'GET /openapi.json',
      'GET /readyz',
      'POST /api/sessions',
      'POST /api/sessions/{id}/end',
      'POST /api/sessions/{id}/recalculate',
      'POST /api/sessions/{id}/viewer-link',
      'POST /api/zoom/report-sync',
      'POST /codec/decode',
      'POST /codec/encode',
      'POST /webhooks/livekit',
      'POST /webhooks/zoom',
      'PUT /api/users',
    ]);
    const register = res.body.components.schemas.RegisterSession!;
    assert.deepEqual(register.required?.sort(), ['provider', 'room', 'scheduledEnd', 'scheduledStart']);
    assert.deepEqual(register.properties.provider?.enum, [...PROVIDERS]);
    assert.equal((res.body.components.schemas.Users as unknown as { maxItems: number }).maxItems, 10_000);
  });
});

describe('API authentication and Temporal outages', () => {
  it('requires the bearer token on /api/* when API_TOKEN is set, but not for the OpenAPI document', async () => {
    const system = await startSystem({ API_TOKEN: 'secret' });
    try {
      assert.equal((await request(system, 'PUT', '/api/users', [])).status, 401);
      assert.equal((await request(system, 'PUT', '/api/users', [], { authorization: 'Bearer wrong!' })).status, 401);
      assert.deepEqual(await request(system, 'PUT', '/api/users', [], { authorization: 'Bearer secret' }), {
        status: 200,
        body: { upserted: 0 },
      });
      assert.equal((await request(system, 'GET', '/openapi.json')).status, 200);
    } finally {
      await system.stop();
    }
  });

  it('still reads a session from the database when Temporal is unreachable, and answers 503 to end it', async () => {
    const config = testConfig({ TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` });
    const pool = createPool(config.databaseUrl!);
    const api = await listen(
      { config, pool, temporal: createClient(config), logger: createLogger('test', 'silent') },
      0,
      '127.0.0.1',
    );
    const down = { api } as TestSystem;
    try {
      const spec: SessionSpec = {
        id: 'down-1',
        provider: 'livekit',
        room: 'down',
        adHoc: false,
        scheduledStart: 0,
        scheduledEnd: MINUTE,
        roster: [],
        policy: { kind: 'percentage' },
      };
      await insertSession(
        pool,
        spec,
        'session-down-1',
        factSpan(spec, config.timings.earlyJoinMs, config.timings.maxOverrunMs),
      );
      const started = Date.now();
      const detail = await request<{ id: string; scheduledEnd: string; state: unknown }>(
        down,
        'GET',
        '/api/sessions/down-1',
      );
      assert.deepEqual(
        [detail.status, detail.body.id, detail.body.scheduledEnd, detail.body.state],
        [200, 'down-1', utc(MINUTE), null],
      );
      assert.ok(Date.now() - started < 5_000, `answered after ${Date.now() - started} ms`);
      assert.equal((await request(down, 'GET', '/api/sessions/down-1/attendance')).status, 200);
      assert.equal((await request(down, 'POST', '/api/sessions/down-1/end')).status, 503);
    } finally {
      await api.close();
      await pool.end();
    }
  });
});
