import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { currentRoomSid, listRoomParticipants } from '../../src/activities/livekit-room-service.js';
import type { ReconcileEvent } from '../../src/domain/index.js';
import { adHocSessionId } from '../../src/sessions/routing.js';
import { presenceQuery, summaryQuery } from '../../src/workflows/messages.js';
import { FakeLiveKit } from '../support/fake-livekit.js';
import {
  LIVEKIT_KEY,
  LIVEKIT_SECRET,
  MIN,
  PROVIDER_SETTINGS,
  WebhookSender,
  reports,
  waitForCalculations,
} from '../support/scenario.js';
import { livekitParticipantJoined, livekitRoomFinished, livekitRoomStarted } from '../support/sign.js';
import { eventually, request, startSystem, type TestSystem } from '../support/system.js';

describe('the local LiveKit RoomService fake', () => {
  it('answers livekit-server-sdk’s own client and ours alike, and refuses bad tokens', async () => {
    const fake = new FakeLiveKit(LIVEKIT_KEY, LIVEKIT_SECRET);
    const url = await fake.start();
    const server = { url: url.replace('http', 'ws'), apiKey: LIVEKIT_KEY, apiSecret: LIVEKIT_SECRET };
    try {
      fake.rooms.set('r1', {
        sid: 'RM_r1',
        createdAt: 1_763_721_000_000,
        participants: [
          { sid: 'PA_1', identity: 'ana', joinedAt: 1_763_721_005_312 },
          { sid: 'PA_2', identity: 'ben', joinedAt: 1_763_721_006_000, state: 'JOINING' },
        ],
      });
      const sdkClient = new RoomServiceClient(url, LIVEKIT_KEY, LIVEKIT_SECRET);
      const sdk = await sdkClient.listParticipants('r1');
      // JOINING is the enum's default: left out of the JSON, read back as 0 by the SDK.
      assert.deepEqual(
        sdk.map((p) => [p.sid, p.identity, Number(p.joinedAtMs), p.state]),
        [
          ['PA_1', 'ana', 1_763_721_005_312, 2],
          ['PA_2', 'ben', 1_763_721_006_000, 0],
        ],
      );
      const sdkRooms = await sdkClient.listRooms(['r1', 'gone']);
      assert.deepEqual(
        sdkRooms.map((r) => [r.sid, r.name, Number(r.creationTimeMs), r.numParticipants]),
        [['RM_r1', 'r1', 1_763_721_000_000, 2]],
      );
      assert.deepEqual(await sdkClient.listRooms(['gone']), []);

      // Ours lists only fully connected participants, and finds the room's current sid.
      const ours = await listRoomParticipants(server, 'r1');
      assert.deepEqual(ours, [
        {
          connection: 'PA_1',
          person: { guestKey: 'ana', providerUserIds: ['ana'], name: 'ana' },
          joinedAt: 1_763_721_005_312,
        },
      ]);
      assert.equal(await currentRoomSid(server, 'r1'), 'RM_r1');
      assert.equal(await currentRoomSid(server, 'gone'), undefined);
      assert.deepEqual(await listRoomParticipants(server, 'gone'), []);
      fake.rooms.set('r1', { sid: 'RM_r1b', participants: [] }); // the name reused by a new room
      assert.equal(await currentRoomSid(server, 'r1'), 'RM_r1b');

      const wrongSecret = { ...server, apiSecret: 'wrong-secret-wrong-secret-wrong-secret' };
      await assert.rejects(listRoomParticipants(wrongSecret, 'r1'), /401/);
      await assert.rejects(currentRoomSid(wrongSecret, 'r1'), /401/);
      // As LiveKit, ListRooms needs the roomList grant: a roomAdmin token (what ListParticipants needs) is refused.
      const adminOnly = new AccessToken(LIVEKIT_KEY, LIVEKIT_SECRET);
      adminOnly.addGrant({ roomAdmin: true, room: 'r1' });
      const refused = await fetch(`${url}/twirp/livekit.RoomService/ListRooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await adminOnly.toJwt()}` },
        body: JSON.stringify({ names: ['r1'] }),
      });
      assert.deepEqual([refused.status, ((await refused.json()) as { code: string }).code], [401, 'unauthenticated']);
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
    fake.rooms.set(room.roomName, { sid: room.roomSid, participants: [ana, ben, cy] });
    await livekit.accept(livekitRoomStarted({ ...room, at: now - 11 * MIN }));
    await livekit.accept(livekitParticipantJoined(ana));
    await livekit.accept(livekitParticipantJoined(ben));

    const handle = system.client.workflow.getHandle(registered.body.workflowId);
    const withCy = await eventually(
      async () => {
        const presence = await handle.query(presenceQuery, Date.now());
        return presence.inRoom.some((p) => p.userId === 'cy') ? presence : undefined;
      },
      15_000,
      'a reconcile to find cy',
    );
    assert.equal(withCy.inRoom.find((p) => p.userId === 'cy')?.since, cy.joinedAt);

    // ben leaves, but his participant_left is lost: only the provider knows.
    fake.rooms.set(room.roomName, { sid: room.roomSid, participants: [ana, cy] });
    const benGoneAfter = Date.now();
    await eventually(
      async () => {
        const presence = await handle.query(presenceQuery, Date.now());
        return presence.inRoom.some((p) => p.userId === 'ben') ? undefined : true;
      },
      15_000,
      'a reconcile to close ben',
    );

    // LiveKit times are whole seconds: the end is stamped after every snapshot taken so far. As LiveKit does, the
    // room is gone when room_finished is sent: a reconcile racing the end finds no room, and stores nothing.
    const endAt = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    fake.rooms.delete(room.roomName);
    await livekit.accept(livekitRoomFinished({ ...room, at: endAt }));
    await waitForCalculations(system, sessionId, 1);

    // ben's cycle ends at the last snapshot that still listed him, the last moment he was confirmed present.
    const snapshots = await system.pool.query<{ event: ReconcileEvent }>(
      "SELECT event FROM session_facts($1) WHERE kind = 'reconcile' ORDER BY occurred_at",
      [sessionId],
    );
    const lastWithBen = snapshots.rows
      .map((row) => row.event)
      .filter((event) => event.present.some((p) => p.connection === 'PA_ben'))
      .at(-1);
    assert.ok(lastWithBen && lastWithBen.at <= benGoneAfter);
    const cycles = await system.pool.query<{
      person_key: string;
      joined_at: Date;
      left_at: Date | null;
      closed_by: string;
    }>('SELECT person_key, joined_at, left_at, closed_by FROM attendance WHERE session_id = $1 ORDER BY person_key', [
      sessionId,
    ]);
    assert.deepEqual(
      cycles.rows.map((row) => [row.person_key, row.joined_at.getTime(), row.closed_by]),
      [
        ['user:ana', ana.joinedAt, 'meeting-ended'],
        ['user:ben', ben.joinedAt, 'reconcile'],
        ['user:cy', cy.joinedAt, 'meeting-ended'],
      ],
    );
    assert.equal(cycles.rows.find((row) => row.person_key === 'user:ben')?.left_at?.getTime(), lastWithBen.at);
    assert.ok(
      cycles.rows.every((row) => row.left_at !== null),
      'no cycle stays open after the session ends',
    );
    assert.ok(
      snapshots.rows.every((row) => row.event.at < endAt),
      'no snapshot is kept from after the meeting ended',
    );
    assert.equal((await reports(system, sessionId)).length, 3);
  });

  it('never credits a participant that LiveKit lists as still JOINING', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const room = { roomName: `joining-${now}`, roomSid: `RM_jn${now}` };
    const registered = await request<{ id: string; workflowId: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room: room.roomName,
      scheduledStart: new Date(now - 20 * MIN).toISOString(),
      scheduledEnd: new Date(now + 40 * MIN).toISOString(),
      roster: [{ userId: 'ana' }, { userId: 'dan' }],
    });
    const sessionId = registered.body.id;
    const livekit = new WebhookSender(system, 'livekit');
    const ana = { ...room, identity: 'ana', sid: 'PA_ana', joinedAt: now - 10 * MIN };
    // dan's client never finishes connecting: listed, JOINING, all along; no participant_joined is ever sent.
    const dan = { sid: 'PA_dan', identity: 'dan', joinedAt: now - 9 * MIN, state: 'JOINING' as const };
    fake.rooms.set(room.roomName, { sid: room.roomSid, participants: [ana, dan] });
    await livekit.accept(livekitRoomStarted({ ...room, at: now - 11 * MIN }));
    await livekit.accept(livekitParticipantJoined(ana));

    const snapshots = async () =>
      (
        await system.pool.query<{ event: ReconcileEvent }>(
          "SELECT event FROM session_facts($1) WHERE kind = 'reconcile' ORDER BY occurred_at",
          [sessionId],
        )
      ).rows.map((row) => row.event);
    const taken = await eventually(
      async () => {
        const all = await snapshots();
        return all.length >= 3 ? all : undefined;
      },
      15_000,
      'three reconcile snapshots',
    );
    // The reconcile ran and confirmed ana each time; dan was never taken for present.
    assert.ok(taken.every((snapshot) => snapshot.present.map((p) => p.connection).join() === 'PA_ana'));
    const handle = system.client.workflow.getHandle(registered.body.workflowId);
    assert.deepEqual(
      (await handle.query(presenceQuery, Date.now())).inRoom.map((p) => p.userId),
      ['ana'],
    );

    const endAt = Math.ceil(Date.now() / 1000) * 1000 + 1000;
    fake.rooms.delete(room.roomName);
    await livekit.accept(livekitRoomFinished({ ...room, at: endAt }));
    await waitForCalculations(system, sessionId, 1);
    assert.deepEqual(
      (await reports(system, sessionId)).map((row) => [
        row.user_id,
        row.attended_seconds > 0,
        row.status === 'absent',
        row.cycle_count,
      ]),
      [
        ['ana', true, false, 1],
        ['dan', false, true, 0],
      ],
    );
  });

  it('does not take a room name reused by a new room (a new sid) for the old ad-hoc session', async () => {
    const now = Math.floor(Date.now() / 1000) * 1000;
    const name = `reused-${now}`;
    const old = { roomName: name, roomSid: `RM_old${now}` };
    const ana = { ...old, identity: 'ana', sid: 'PA_ana_old', joinedAt: now - 5 * MIN };
    fake.rooms.set(name, { sid: old.roomSid, participants: [ana] });
    const livekit = new WebhookSender(system, 'livekit');
    // No session is registered for this room: its webhooks make the ad-hoc session of the room's instance.
    await livekit.accept(livekitRoomStarted({ ...old, at: now - 6 * MIN }));
    await livekit.accept(livekitParticipantJoined(ana));
    const sessionId = adHocSessionId({ provider: 'livekit', instanceId: old.roomSid });
    const handle = system.client.workflow.getHandle(`session-${sessionId}`);

    const snapshots = async () =>
      (
        await system.pool.query<{ event: ReconcileEvent }>(
          "SELECT event FROM session_facts($1) WHERE kind = 'reconcile' ORDER BY occurred_at",
          [sessionId],
        )
      ).rows.map((row) => row.event);
    await eventually(
      async () =>
        (await snapshots()).some((s) => s.present.some((p) => p.connection === 'PA_ana_old')) ? true : undefined,
      15_000,
      'a snapshot that confirms ana',
    );

    // The old room closes, its room_finished lost; a new room under the same name, with someone else in it.
    const replacedAt = Date.now();
    fake.rooms.set(name, {
      sid: `RM_new${now}`,
      participants: [{ sid: 'PA_bo', identity: 'bo', joinedAt: replacedAt }],
    });
    const presence = await eventually(
      async () => {
        const now = await handle.query(presenceQuery, Date.now());
        return now.inRoom.some((p) => p.personKey === 'guest:ana') ? undefined : now;
      },
      15_000,
      'a reconcile to close ana',
    );
    // The new room's people are not this session's: the snapshots after the change are of the old room, empty.
    assert.deepEqual(presence.inRoom, []);
    const later = (await snapshots()).filter((s) => s.at >= replacedAt);
    assert.ok(later.length > 0);
    assert.ok(later.every((s) => s.instance === old.roomSid && s.present.length === 0));
    const summary = await handle.query(summaryQuery);
    assert.equal(summary.connections, 1, 'bo never became a connection of the old session');
    // ana's cycle ends at the last snapshot that listed her, the last moment she was confirmed in the old room.
    const lastWithAna = (await snapshots()).filter((s) => s.present.some((p) => p.connection === 'PA_ana_old')).at(-1)!;
    assert.ok(lastWithAna.at < replacedAt);
    assert.deepEqual(
      (await handle.query(presenceQuery, lastWithAna.at - 1)).inRoom.map((p) => p.personKey),
      ['guest:ana'],
    );
    assert.deepEqual((await handle.query(presenceQuery, lastWithAna.at)).inRoom, []);
    await handle.terminate('test finished');
  });
});
