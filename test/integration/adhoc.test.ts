import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adHocSessionId } from '../../src/sessions/routing.js';
import {
  MIN,
  PROVIDER_SETTINGS,
  WebhookSender,
  pastMinute,
  reports,
  waitForCalculations,
} from '../support/scenario.js';
import { zoomMeetingEnded, zoomMeetingStarted, zoomParticipantJoined, zoomParticipantLeft } from '../support/sign.js';
import { replayAndKeep } from '../support/histories.js';
import { eventually, relayed, startSystem, type TestSystem } from '../support/system.js';

describe('a Zoom meeting with no registered session', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(PROVIDER_SETTINGS);
  });
  after(() => system.stop());

  it('becomes an ad-hoc session whose window is the actual meeting', async () => {
    const M = pastMinute(30);
    const at = (minutes: number) => M + minutes * MIN;
    const meeting = {
      meetingId: `7${Date.now() % 1_000_000_000}`,
      uuid: `/ad+hoc//${Date.now()}==`,
      topic: 'Office hours',
    };
    const zoom = new WebhookSender(system, 'zoom');
    const started = await zoom.accept(zoomMeetingStarted({ ...meeting, startTime: at(0) }));
    const sessionId = adHocSessionId({ provider: 'zoom', instanceId: meeting.uuid });
    // The answer no longer names a session: the webhook is acknowledged once its fact is stored.
    assert.deepEqual(started.body, { status: 'accepted', events: 1, stored: 1 });
    // The relay then starts the ad-hoc session of the instance and hands it the fact.
    await relayed(system);
    await eventually(
      async () => {
        const { rows } = await system.pool.query('SELECT 1 FROM sessions WHERE id = $1', [sessionId]);
        return rows.length === 1 ? true : undefined;
      },
      20_000,
      'the ad-hoc session of this instance to be registered',
    );
    await zoom.accept(zoomParticipantJoined({ ...meeting, userId: 'h1', email: 'host@example.com', joinTime: at(0) }));
    await zoom.accept(zoomParticipantJoined({ ...meeting, userId: 'v1', joinTime: at(5) }));
    await zoom.accept(zoomParticipantLeft({ ...meeting, userId: 'v1', leaveTime: at(8) }));
    await zoom.accept(zoomParticipantLeft({ ...meeting, userId: 'h1', leaveTime: at(20) }));
    await zoom.accept(zoomMeetingEnded({ ...meeting, endTime: at(20) }));
    await waitForCalculations(system, sessionId, 1);

    // The workflow records its 'calculated' phase just after the calculation itself.
    const session = await eventually(
      async () => {
        const { rows } = await system.pool.query<{
          ad_hoc: boolean;
          title: string;
          instance_id: string;
          status: string;
        }>('SELECT ad_hoc, title, instance_id, status FROM sessions WHERE id = $1', [sessionId]);
        return rows[0]?.status === 'calculated' ? rows[0] : undefined;
      },
      20_000,
      'the session row to say calculated',
    );
    assert.deepEqual(session, { ad_hoc: true, title: 'Office hours', instance_id: meeting.uuid, status: 'calculated' });
    // Window 0-20 (the meeting itself): the host 100 %, the visitor 3 of 20 min = 15 % → partial. Both are guests.
    const rows = await reports(system, sessionId);
    assert.deepEqual(
      rows.map((row) => [row.attended_seconds, Number(row.percentage), row.status]),
      [
        [20 * 60, 100, 'present'],
        [3 * 60, 15, 'partial'],
      ],
    );
    await replayAndKeep(system, `session-${sessionId}`, 'zoom-adhoc');
  });
});
