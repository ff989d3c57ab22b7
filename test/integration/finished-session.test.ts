import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MIN, PROVIDER_SETTINGS, WebhookSender, pastMinute, reports } from '../support/scenario.js';
import { livekitParticipantJoined, livekitParticipantLeft, livekitRoomFinished } from '../support/sign.js';
import { eventually, request, startSystem, type TestSystem } from '../support/system.js';

/** After its late-event window the session's workflow completes; the session must stay recalculable. */
describe('a session whose workflow has completed', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem({ ...PROVIDER_SETTINGS, CALCULATION_DELAY: '1s', LATE_EVENT_WINDOW: '1s' });
  });
  after(() => system.stop());

  it('recalculates on demand and on a very late event, each time in a new run from the stored log', async () => {
    const S = pastMinute(90);
    const at = (minutes: number) => S + minutes * MIN;
    const room = { roomName: `late-${Date.now()}`, roomSid: `RM_late${Date.now()}` };
    const registered = await request<{ id: string; workflowId: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room: room.roomName,
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(at(60)).toISOString(),
      roster: [{ userId: 'kim' }],
    });
    const livekit = new WebhookSender(system, 'livekit');
    const kim = { ...room, identity: 'kim', sid: 'PA_kim', joinedAt: at(0) };
    await livekit.accept(livekitParticipantJoined(kim));
    await livekit.accept(livekitRoomFinished({ ...room, at: at(60) }));
    const handle = system.client.workflow.getHandle(registered.body.workflowId);
    await eventually(
      async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined),
      30_000,
      'the workflow to complete',
    );
    assert.deepEqual(
      (await reports(system, registered.body.id)).map((row) => [row.attended_seconds, row.status]),
      [[60 * 60, 'present']],
    );

    const forced = await request<{ calculations: number; phase: string }>(
      system,
      'POST',
      `/api/sessions/${registered.body.id}/recalculate`,
    );
    assert.equal(forced.status, 200);
    assert.equal(forced.body.phase, 'calculated');
    assert.deepEqual(
      (await reports(system, registered.body.id)).map((row) => [row.attended_seconds, row.status]),
      [[60 * 60, 'present']],
    );

    // kim's real leave at 20 min arrives long after everything finished: the session is recalculated with it.
    await eventually(
      async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined),
      30_000,
      'the recalculation run to complete',
    );
    await livekit.accept(livekitParticipantLeft({ ...kim, leftAt: at(20) }));
    const recalculated = await eventually(
      async () => {
        const [row] = await reports(system, registered.body.id);
        return row?.attended_seconds === 20 * 60 ? row : undefined;
      },
      30_000,
      'the late leave to be counted',
    );
    assert.equal(recalculated.status, 'partial');
  });
});
