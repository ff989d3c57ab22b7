import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storeFacts } from '../../src/db/facts.js';
import type { AttendanceEvent } from '../../src/domain/index.js';
import { presenceQuery } from '../../src/workflows/messages.js';
import { eventually, relayed, request, startSystem, type TestSystem } from '../support/system.js';

/**
 * The foundation end to end: API → workflow start → a fact stored (as a webhook stores it) → the relay's
 * signal → query → the session's facts read back from the database, and a row written by an activity.
 */
describe('register, signal, query, persist', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem();
  });
  after(() => system.stop());

  it('registers a session whose workflow takes the relayed fact, answers a query and reads the fact as its own', async () => {
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
      instance: 'RM_chain',
      connection: 'PA_chain1',
      person: { guestKey: 'u-1', providerUserIds: ['u-1'], name: 'Ada' },
    };
    assert.equal(
      await storeFacts(system.pool, { provider: 'livekit', roomId: 'chain-room', instanceId: 'RM_chain' }, [joined]),
      1,
    );
    await relayed(system);

    // Polled: a fact relayed while the new workflow still loads its stored facts shows once they are loaded.
    const presence = await eventually(
      async () => {
        const now = await handle.query(presenceQuery, joinedAt + 90_000);
        return now.inRoom.length > 0 ? now : undefined;
      },
      10_000,
      'the relayed join in the presence',
    );
    assert.deepEqual(
      presence.inRoom.map((person) => [person.userId, person.since, person.currentSeconds]),
      [['u-1', joinedAt, 90]],
    );
    const viaApi = await request<{ counts: { inRoom: number } }>(
      system,
      'GET',
      `/api/sessions/${registered.body.id}/presence`,
    );
    assert.equal(viaApi.status, 200);
    assert.equal(viaApi.body.counts.inRoom, 1);
    // A query has seen the signal, so the history holds it: the relay handed the workflow its fact in one signal.
    const signals = (await handle.fetchHistory()).events!.filter(
      (event) => event.workflowExecutionSignaledEventAttributes,
    );
    assert.deepEqual(
      signals.map((event) => event.workflowExecutionSignaledEventAttributes!.signalName),
      ['facts'],
      'the relay handed the workflow its fact in one signal',
    );

    // The fact of the room is one of the session's facts (what its calculations read).
    const { rows } = await system.pool.query<{
      event_key: string;
      kind: string;
      connection: string;
      occurred_at: Date;
    }>('SELECT event_key, kind, connection, occurred_at FROM session_facts($1)', [registered.body.id]);
    assert.deepEqual(rows, [
      { event_key: 'chain-join-1', kind: 'joined', connection: 'PA_chain1', occurred_at: new Date(joinedAt) },
    ]);

    const status = await eventually(
      async () => {
        const { rows } = await system.pool.query<{ status: string }>('SELECT status FROM sessions WHERE id = $1', [
          registered.body.id,
        ]);
        return rows[0]?.status === 'live' ? rows[0].status : undefined;
      },
      20_000,
      'session status live',
    );
    assert.equal(status, 'live');
    await handle.terminate('test finished');
  });

  it('answers 404 for presence of an unknown session', async () => {
    const res = await request(system, 'GET', '/api/sessions/does-not-exist/presence');
    assert.equal(res.status, 404);
  });
});
