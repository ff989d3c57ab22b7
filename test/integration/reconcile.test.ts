import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RoomServiceClient } from 'livekit-server-sdk';
import { listRoomParticipants } from '../../src/activities/livekit-room-service.js';
import type { ReconcileEvent } from '../../src/domain/index.js';
import { presenceQuery } from '../../src/workflows/messages.js';
import { FakeLiveKit } from '../support/fake-livekit.js';
import { LIVEKIT_KEY, LIVEKIT_SECRET, MIN, PROVIDER_SETTINGS, WebhookSender, reports, waitForCalculations } from '../support/scenario.js';
import { livekitParticipantJoined, livekitRoomFinished, livekitRoomStarted } from '../support/sign.js';
import { eventually, request, startSystem, type TestSystem } from '../support/system.js';

describe('the local LiveKit RoomService fake', () => {
  it('answers livekit-server-sdk’s own client and ours alike, and refuses bad tokens', async () => {
    const fake = new FakeLiveKit(LIVEKIT_KEY, LIVEKIT_SECRET);
    const url = await fake.start();
    try {
      fake.rooms.set('r1', [{ sid: 'PA_1', identity: 'ana', joinedAt: 1_763_721_005_312 }]);
      const sdk = await new RoomServiceClient(url, LIVEKIT_KEY, LIVEKIT_SECRET).listParticipants('r1');
      assert.deepEqual(sdk.map((p) => [p.sid, p.identity, Number(p.joinedAtMs)]), [['PA_1', 'ana', 1_763_721_005_312]]);
      const ours = await listRoomParticipants({ url: url.replace('http', 'ws'), apiKey: LIVEKIT_KEY, apiSecret: LIVEKIT_SECRET }, 'r1');
      assert.deepEqual(ours, [{ connection: 'PA_1', person: { guestKey: 'ana', providerUserIds: ['ana'], name: 'ana' }, joinedAt: 1_763_721_005_312 }]);
      assert.deepEqual(await listRoomParticipants({ url, apiKey: LIVEKIT_KEY, apiSecret: LIVEKIT_SECRET }, 'gone'), []);
      await assert.rejects(listRoomParticipants({ url, apiKey: LIVEKIT_KEY, apiSecret: 'wrong-secret-wrong-secret-wrong-secret' }, 'r1'), /401/);
    } finally {
      await fake.stop();
    }
  });
});

/** Reconcile every second against the fake: a missed join is found, a lost leave is closed at the last confirmation. */
describe('provider reconcile', () => {
  let system: TestSystem;
  const fake = new FakeLiveKit(LIVEKIT_KEY, LIVEKIT_SECRET);
  before(async () => {
    const url = await fake.start();
    system = await startSystem({ ...PROVIDER_SETTINGS, LIVEKIT_URL: url, RECONCILE_INTERVAL: '1s' });
  });
  after(async () => {
    await system.stop();
    await fake.stop();
  });

  it('opens missed joins and closes lost leaves from ListParticipants', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const room = { roomName: `reconcile-${now}`, roomSid: `RM_rc${now}` };
    const registered = await request<{ id: string; workflowId: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room: room.roomName,
      scheduledStart: new Date(now - 20 * MIN).toISOString(),
      scheduledEnd: new Date(now + 40 * MIN).toISOString(),
      roster: [{ userId: 'ana' }, { userId: 'ben' }, { userId: 'cy' }],
    });
    const sessionId = registered.body.id;
    const livekit = new WebhookSender(system, 'livekit');
    const ana = { ...room, identity: 'ana', sid: 'PA_ana', joinedAt: now - 10 * MIN };
    const ben = { ...room, identity: 'ben', sid: 'PA_ben', joinedAt: now - 8 * MIN };
    const cy = { sid: 'PA_cy', identity: 'cy', joinedAt: now - 5 * MIN }; // her participant_joined never arrives
    fake.rooms.set(room.roomName, [ana, ben, cy]);
    await livekit.accept(livekitRoomStarted({ ...room, at: now - 11 * MIN }));
    await livekit.accept(livekitParticipantJoined(ana));
    await livekit.accept(livekitParticipantJoined(ben));

    const handle = system.client.workflow.getHandle(registered.body.workflowId);
    const withCy = await eventually(async () => {
      const presence = await handle.query(presenceQuery, Date.now());
      return presence.inRoom.some((p) => p.userId === 'cy') ? presence : undefined;
    }, 15_000, 'a reconcile to find cy');
    assert.equal(withCy.inRoom.find((p) => p.userId === 'cy')?.since, cy.joinedAt);

    // ben leaves, but his participant_left is lost: only the provider knows.
    fake.rooms.set(room.roomName, [ana, cy]);
    const benGoneAfter = Date.now();
    await eventually(async () => {
      const presence = await handle.query(presenceQuery, Date.now());
      return presence.inRoom.some((p) => p.userId === 'ben') ? undefined : true;
    }, 15_000, 'a reconcile to close ben');

    // LiveKit times are whole seconds: the end is stamped after every snapshot taken so far.
    const endAt = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    await livekit.accept(livekitRoomFinished({ ...room, at: endAt }));
    await waitForCalculations(system, sessionId, 1);

    // ben's cycle ends at the last snapshot that still listed him, the last moment he was confirmed present.
    const snapshots = await system.pool.query<{ event: ReconcileEvent }>(
      "SELECT event FROM attendance_events WHERE session_id = $1 AND kind = 'reconcile' ORDER BY occurred_at",
      [sessionId],
    );
    const lastWithBen = snapshots.rows.map((row) => row.event).filter((event) => event.present.some((p) => p.connection === 'PA_ben')).at(-1);
    assert.ok(lastWithBen && lastWithBen.at <= benGoneAfter);
    const cycles = await system.pool.query<{ person_key: string; joined_at: Date; left_at: Date | null; closed_by: string }>(
      'SELECT person_key, joined_at, left_at, closed_by FROM attendance WHERE session_id = $1 ORDER BY person_key',
      [sessionId],
    );
    assert.deepEqual(
      cycles.rows.map((row) => [row.person_key, row.joined_at.getTime(), row.closed_by]),
      [
        ['user:ana', ana.joinedAt, 'meeting-ended'],
        ['user:ben', ben.joinedAt, 'reconcile'],
        ['user:cy', cy.joinedAt, 'meeting-ended'],
      ],
    );
    assert.equal(cycles.rows.find((row) => row.person_key === 'user:ben')?.left_at?.getTime(), lastWithBen.at);
    assert.ok(cycles.rows.every((row) => row.left_at !== null), 'no cycle stays open after the session ends');
    assert.ok(snapshots.rows.every((row) => row.event.at < endAt), 'no snapshot is kept from after the meeting ended');
    assert.equal((await reports(system, sessionId)).length, 3);
  });
});
