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
import {
  livekitParticipantJoined,
  livekitParticipantLeft,
  livekitRoomFinished,
  livekitRoomStarted,
} from '../support/sign.js';
import { replayAndKeep } from '../support/histories.js';
import { eventually, relayed, request, startSystem, type TestSystem } from '../support/system.js';

/** A registered LiveKit class: window 30 min (1,800 s), grace 15 min; minute offsets from the scheduled start. */
describe('a registered LiveKit class, end to end', () => {
  let system: TestSystem;
  const S = pastMinute(45);
  const at = (minutes: number) => S + minutes * MIN;
  const roomName = `physics-${Date.now()}`;
  const room = { roomName, roomSid: `RM_${Date.now()}` };
  const roster = ['ana', 'ben', 'cy', 'dee'].map((userId) => ({ userId, name: userId.toUpperCase() }));

  before(async () => {
    system = await startSystem(PROVIDER_SETTINGS);
  });
  after(() => system.stop());

  it('pairs a reconnect whose old leave arrives after the new join, and treats connection_aborted as a leave', async () => {
    const registered = await request<{ id: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room: roomName,
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(at(30)).toISOString(),
      roster,
    });
    assert.equal(registered.status, 201);
    const sessionId = registered.body.id;
    const livekit = new WebhookSender(system, 'livekit');
    const person = (identity: string, sid: string, joinedAt: number) => ({
      ...room,
      identity,
      sid,
      name: identity,
      joinedAt,
    });

    await livekit.accept(livekitRoomStarted({ ...room, at: at(-2) }));
    await livekit.accept(livekitParticipantJoined(person('ana', 'PA_ana1', at(0))));
    await livekit.accept(livekitParticipantJoined(person('ben', 'PA_ben1', at(1))));
    await livekit.accept(livekitParticipantJoined(person('cy', 'PA_cy1', at(4))));
    // ana's network drops at 10; her client reconnects as a new participant at 10.5 before LiveKit's old leave is sent.
    await livekit.accept(livekitParticipantJoined(person('ana', 'PA_ana2', at(10.5))));
    await livekit.accept(livekitParticipantLeft({ ...person('ana', 'PA_ana1', at(0)), leftAt: at(10) }));
    // ben's connection fails outright.
    await livekit.accept(livekitParticipantLeft({ ...person('ben', 'PA_ben1', at(1)), leftAt: at(12), aborted: true }));

    // The 200 means the facts are stored; the relay then brings them to the workflow, which folds them in once it
    // has loaded the session's stored facts (its first activities, slow on a cold worker): wait for all 4 connections.
    await relayed(system);
    const handle = system.client.workflow.getHandle(`session-${sessionId}`);
    await eventually(
      async () => ((await handle.query(summaryQuery)).connections === 4 ? true : undefined),
      20_000,
      'the workflow to fold the relayed facts',
    );
    const presence = await handle.query(presenceQuery, at(15));
    assert.deepEqual(
      presence.inRoom.map((p) => [p.userId, p.since, p.totalSeconds]),
      [
        ['ana', at(10.5), 10 * 60 + 4.5 * 60],
        ['cy', at(4), 11 * 60],
      ],
    );

    await livekit.accept(livekitParticipantLeft({ ...person('cy', 'PA_cy1', at(4)), leftAt: at(20) }));
    await livekit.accept(livekitRoomFinished({ ...room, at: at(28) })); // ana's open cycle closes here
    await waitForCalculations(system, sessionId, 1);

    const rows = await reports(system, sessionId);
    assert.deepEqual(
      rows.map((row) => [row.user_id, row.attended_seconds, row.status, row.cycle_count]),
      [
        ['ana', (10 + 17.5) * 60, 'present', 2], // 0-10 and 10.5-28: 27.5 of 30 min
        ['ben', 11 * 60, 'partial', 1], // 1-12 (aborted): 36.66 %
        ['cy', 16 * 60, 'present', 1], // 4-20: 53.33 %, first join within grace
        ['dee', 0, 'absent', 0],
      ],
    );
    const { persisted, engine } = comparable(
      rows,
      livekit.expected({
        scheduledStart: S,
        scheduledEnd: at(30),
        roster,
        policy: { kind: 'percentage', graceMinutes: 15 },
      }),
    );
    assert.deepEqual(persisted, engine);
    await replayAndKeep(system, `session-${sessionId}`, 'livekit-class');
  });
});
