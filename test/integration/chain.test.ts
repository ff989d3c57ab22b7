import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AttendanceEvent } from '../../src/domain/index.js';
import { eventsSignal, presenceQuery } from '../../src/workflows/messages.js';
import { eventually, request, startSystem, type TestSystem } from '../support/system.js';

/** The foundation end to end: API → workflow start → signal → query → a row written by an activity. */
describe('register, signal, query, persist', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem();
  });
  after(() => system.stop());

  it('registers a session whose workflow takes a signal, answers a query and logs the event', async () => {
    const start = Date.now() - 10 * 60_000;
    const registered = await request<{ id: string; workflowId: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room: 'chain-room',
      title: 'Chain test',
      scheduledStart: new Date(start).toISOString(),
      scheduledEnd: new Date(start + 60 * 60_000).toISOString(),
      roster: [{ userId: 'u-1', name: 'Ada', email: 'ada@example.com' }],
    });
    assert.equal(registered.status, 201);
    assert.equal(registered.body.workflowId, `session-${registered.body.id}`);

    const handle = system.client.workflow.getHandle(registered.body.workflowId);
    assert.equal((await handle.describe()).status.name, 'RUNNING');

    const joinedAt = start + 2 * 60_000;
    const joined: AttendanceEvent = {
      kind: 'joined',
      key: 'chain-join-1',
      at: joinedAt,
      source: 'webhook',
      connection: 'PA_chain1',
      person: { guestKey: 'u-1', providerUserIds: ['u-1'], name: 'Ada' },
    };
    await handle.signal(eventsSignal, [joined]);

    const presence = await handle.query(presenceQuery, joinedAt + 90_000);
    assert.deepEqual(
      presence.inRoom.map((person) => [person.userId, person.since, person.currentSeconds]),
      [['u-1', joinedAt, 90]],
    );
    const viaApi = await request<{ counts: { inRoom: number } }>(system, 'GET', `/api/sessions/${registered.body.id}/presence`);
    assert.equal(viaApi.status, 200);
    assert.equal(viaApi.body.counts.inRoom, 1);

    const row = await eventually(async () => {
      const { rows } = await system.pool.query<{ kind: string; connection: string; occurred_at: Date }>(
        'SELECT kind, connection, occurred_at FROM attendance_events WHERE session_id = $1',
        [registered.body.id],
      );
      return rows[0];
    }, 20_000, 'the event in attendance_events');
    assert.deepEqual(row, { kind: 'joined', connection: 'PA_chain1', occurred_at: new Date(joinedAt) });

    const status = await eventually(async () => {
      const { rows } = await system.pool.query<{ status: string }>('SELECT status FROM sessions WHERE id = $1', [registered.body.id]);
      return rows[0]?.status === 'live' ? rows[0].status : undefined;
    }, 20_000, 'session status live');
    assert.equal(status, 'live');
    await handle.terminate('test finished');
  });

  it('answers 404 for presence of an unknown session', async () => {
    const res = await request(system, 'GET', '/api/sessions/does-not-exist/presence');
    assert.equal(res.status, 404);
  });
});
