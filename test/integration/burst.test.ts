import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { presenceQuery, summaryQuery } from '../../src/workflows/messages.js';
import {
  MIN,
  PROVIDER_SETTINGS,
  WebhookSender,
  comparable,
  pastMinute,
  reports,
  waitForCalculations,
} from '../support/scenario.js';
import { zoomMeetingEnded, zoomMeetingStarted, zoomParticipantJoined, zoomParticipantLeft } from '../support/sign.js';
import { relayed, request, startSystem, type TestSystem } from '../support/system.js';

/**
 * A join storm: a whole class's webhooks arrive at once. Each gets its 200 once its fact is stored; the relay
 * then brings the stored facts to the session in batches, so the session gets far fewer signals than there
 * were webhooks (this replaces the gateway's group commit of signals, which no longer exists).
 */
describe('a burst of webhooks for one session', () => {
  let system: TestSystem;
  const S = pastMinute(60);
  const at = (minutes: number) => S + minutes * MIN;
  const meetingId = `8${Date.now() % 1_000_000_000}`;
  const meeting = { meetingId, uuid: `burst-${meetingId}==` };
  const PEOPLE = 150;
  const person = (n: number) => ({
    ...meeting,
    userId: `b${n}`,
    userName: `Student ${n}`,
    email: `b${n}@school.example`,
  });

  before(async () => {
    system = await startSystem(PROVIDER_SETTINGS);
  });
  after(() => system.stop());

  it('answers every webhook 200, relays them in fewer signals, and loses nothing', async () => {
    const registered = await request<{ id: string; workflowId: string }>(system, 'POST', '/api/sessions', {
      provider: 'zoom',
      room: meetingId,
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(at(40)).toISOString(),
      roster: [],
    });
    assert.equal(registered.status, 201);
    const sessionId = registered.body.id;
    const zoom = new WebhookSender(system, 'zoom');
    await zoom.accept(zoomMeetingStarted({ ...meeting, startTime: at(0) }));

    const joins = Array.from({ length: PEOPLE }, (_, n) =>
      zoomParticipantJoined({ ...person(n), joinTime: at(1 + (n % 20)) }),
    );
    const leaves = Array.from({ length: PEOPLE }, (_, n) =>
      zoomParticipantLeft({ ...person(n), leaveTime: at(25 + (n % 15)) }),
    );
    const answers = await Promise.all(joins.map((payload) => zoom.send(payload)));
    assert.deepEqual([...new Set(answers.map((answer) => answer.status))], [200]);

    // Every join answered 200 is stored; once the relay has delivered the stored facts, the workflow has them all.
    await relayed(system);
    const handle = system.client.workflow.getHandle(registered.body.workflowId);
    const presence = await handle.query(presenceQuery, at(22));
    assert.equal(presence.counts.inRoom, PEOPLE, 'every join that was answered 200 is in the room');

    assert.deepEqual(
      [...new Set((await Promise.all(leaves.map((payload) => zoom.send(payload)))).map((answer) => answer.status))],
      [200],
    );
    await zoom.accept(zoomMeetingEnded({ ...meeting, endTime: at(41) }));

    // Every fact delivered, and a query has seen them (so the history holds every signal that carried them).
    await relayed(system);
    assert.equal((await handle.query(summaryQuery)).connections, PEOPLE, 'every join and leave reached the workflow');
    const history = await handle.fetchHistory();
    const signals = history.events!.filter(
      (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'facts',
    ).length;
    const webhooks = 2 * PEOPLE + 2;
    // At least two: the joins were relayed before the leaves were sent.
    assert.ok(signals >= 2, `the facts arrived by signal, got ${signals}`);
    assert.ok(
      signals <= webhooks / 2,
      `${webhooks} webhooks should arrive in at most half as many signals, got ${signals}`,
    );

    await waitForCalculations(system, sessionId, 1);
    const rows = await reports(system, sessionId);
    assert.equal(rows.length, PEOPLE);
    const { persisted, engine } = comparable(
      rows,
      zoom.expected({
        scheduledStart: S,
        scheduledEnd: at(40),
        roster: [],
        policy: { kind: 'percentage', graceMinutes: 15 },
      }),
    );
    assert.deepEqual(persisted, engine);
  });
});
