import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { storeFacts } from '../../src/db/facts.js';
import { getSession } from '../../src/db/sessions.js';
import type { AttendanceEvent } from '../../src/domain/index.js';
import { deliverFacts } from '../../src/sessions/workflow-client.js';
import { presenceQuery, summaryQuery } from '../../src/workflows/messages.js';
import { replayAndKeep } from '../support/histories.js';
import { MIN, reports, waitForCalculations } from '../support/scenario.js';
import { eventually, request, startSystem, type TestSystem } from '../support/system.js';

const PEOPLE = 160;

/**
 * A session whose workflow continues as new (CONTINUE_AS_NEW_EVENTS at its 500-event minimum): the state it
 * carries reaches the next run whole, and both runs of the chain replay on today's code. With
 * RECORD_HISTORIES=1 the two runs are kept as fixtures (session-chain-run1/run2), which replay.test.ts replays.
 */
describe('a session that continues as new', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem({ CONTINUE_AS_NEW_EVENTS: '500' });
  });
  after(() => system.stop());

  it('carries its state into the next run, which calculates from it, and every run replays', async () => {
    const S = Date.now() - 10 * MIN;
    const room = `chain-${Date.now()}`;
    const instance = `RM_${room}`;
    const registered = await request<{ id: string; workflowId: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room,
      title: 'Continue-as-new chain',
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(S + 60 * MIN).toISOString(),
    });
    assert.equal(registered.status, 201);
    const { id: sessionId, workflowId } = registered.body;
    const firstRun = (await system.client.workflow.getHandle(workflowId).describe()).runId;
    const spec = (await getSession(system.pool, sessionId))!;

    // As the relay does it, one signal per fact: each is stored first, then delivered.
    for (let i = 0; i < PEOPLE; i += 1) {
      const fact: AttendanceEvent = {
        kind: 'joined',
        key: `chain:${i}`,
        at: S + i * 1000,
        source: 'webhook',
        instance,
        connection: `PA_${i}`,
        person: { guestKey: `p${i}`, providerUserIds: [`p${i}`], name: `Person ${i}` },
      };
      await storeFacts(system.pool, { provider: 'livekit', roomId: room, instanceId: instance }, [fact], {
        relayed: true,
      });
      await deliverFacts(system.client, system.config, spec, [fact]);
    }

    const handle = system.client.workflow.getHandle(workflowId);
    const summary = await eventually(
      async () => {
        const now = await handle.query(summaryQuery);
        return now.connections === PEOPLE ? now : undefined;
      },
      30_000,
      'every join in the latest run',
    );
    assert.equal(summary.phase, 'live');
    const latestRun = (await handle.describe()).runId;
    assert.notEqual(latestRun, firstRun, 'the workflow continued as new');
    assert.equal(
      (await system.client.workflow.getHandle(workflowId, firstRun).describe()).status.name,
      'CONTINUED_AS_NEW',
    );
    const presence = await handle.query(presenceQuery, S + PEOPLE * 1000);
    assert.equal(presence.counts.inRoom, PEOPLE, 'the people of the first run are still in the room in the next');

    // The operator's end: the calculation in the continued run reads every fact.
    assert.equal(
      (await request(system, 'POST', `/api/sessions/${sessionId}/end`, { at: new Date(S + 9 * MIN).toISOString() }))
        .status,
      202,
    );
    await waitForCalculations(system, sessionId, 1);
    const rows = await reports(system, sessionId);
    assert.equal(rows.length, PEOPLE);
    assert.equal(rows.find((row) => row.person_key === 'guest:p0')?.attended_seconds, 9 * 60);

    await replayAndKeep(system, workflowId, 'session-chain-run1', firstRun);
    await replayAndKeep(system, workflowId, 'session-chain-run2', latestRun);
  });
});
