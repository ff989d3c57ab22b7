import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { summaryQuery } from '../../src/workflows/messages.js';
import {
  MIN,
  PROVIDER_SETTINGS,
  WebhookSender,
  pastMinute,
  reports,
  waitForCalculations,
  type ReportRow,
} from '../support/scenario.js';
import {
  livekitParticipantJoined,
  livekitParticipantLeft,
  livekitRoomFinished,
  zoomMeetingEnded,
  zoomMeetingStarted,
  zoomParticipantJoined,
  zoomParticipantLeft,
} from '../support/sign.js';
import { relayed, request, startSystem, type TestSystem } from '../support/system.js';

/**
 * Facts belong to rooms, sessions are windows over them: one Zoom room (a teacher's personal meeting id) used
 * for back-to-back periods, and a LiveKit class with a lost join, an aborted connection and preparation time.
 * Times are minute offsets from S, the first period's scheduled start (10:00 below); expected seconds by hand.
 */
describe('sessions sharing a provider room', () => {
  let system: TestSystem;
  const S = pastMinute(150);
  const at = (minutes: number) => S + minutes * MIN;
  let zoom: WebhookSender;
  let livekit: WebhookSender;

  before(async () => {
    // A long overrun keeps these past sessions from reaching their hard stop while the test runs.
    system = await startSystem({ ...PROVIDER_SETTINGS, SESSION_MAX_OVERRUN: '4h' });
    zoom = new WebhookSender(system, 'zoom');
    livekit = new WebhookSender(system, 'livekit');
  });
  after(() => system.stop());

  const person = (userId: string) => ({ userId, email: `${userId}@school.example`, name: userId });
  async function register(
    id: string,
    provider: 'zoom' | 'livekit',
    room: string,
    start: number,
    end: number,
    roster: string[],
  ) {
    const res = await request(system, 'POST', '/api/sessions', {
      id,
      provider,
      room,
      scheduledStart: new Date(at(start)).toISOString(),
      scheduledEnd: new Date(at(end)).toISOString(),
      roster: roster.map(person),
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
  }
  const byUser = (rows: ReportRow[]) => Object.fromEntries(rows.map((row) => [row.user_id ?? row.person_key, row]));
  const summary = (system: TestSystem, id: string) =>
    system.client.workflow.getHandle(`session-${id}`).query(summaryQuery);

  it('back-to-back periods in one Zoom room, the meeting ended in the gap: each period gets its own end', async () => {
    const room = `8${Date.now() % 1_000_000_000}`;
    const first = { meetingId: room, uuid: `first-${room}==` };
    const second = { meetingId: room, uuid: `second-${room}==` };
    const id = (n: string) => `${n}-${room}`;
    await register(id('p1'), 'zoom', room, 0, 45, ['ana', 'ben']); // 10:00-10:45
    await register(id('p2'), 'zoom', room, 50, 95, ['ana', 'cy']); // 10:50-11:35
    const user = (meeting: object, name: string) => ({
      ...meeting,
      userId: `${name}-${(meeting as { uuid: string }).uuid}`,
      userName: name,
      email: `${name}@school.example`,
    });

    await zoom.accept(zoomMeetingStarted({ ...first, startTime: at(-2) }));
    await zoom.accept(zoomParticipantJoined({ ...user(first, 'ana'), joinTime: at(1) }));
    await zoom.accept(zoomParticipantJoined({ ...user(first, 'ben'), joinTime: at(0) }));
    await zoom.accept(zoomParticipantLeft({ ...user(first, 'ben'), leaveTime: at(47) })); // near the boundary
    // The teacher ends the meeting at 10:48 without anyone leaving first: ana's connection ends with it.
    await zoom.accept(zoomMeetingEnded({ ...first, endTime: at(48) }));
    // The next period in a new instance of the same room.
    await zoom.accept(zoomMeetingStarted({ ...second, startTime: at(49) }));
    await zoom.accept(zoomParticipantJoined({ ...user(second, 'ana'), joinTime: at(51) }));
    await zoom.accept(zoomParticipantJoined({ ...user(second, 'cy'), joinTime: at(50) }));

    await waitForCalculations(system, id('p1'), 1);
    const p1 = byUser(await reports(system, id('p1')));
    assert.deepEqual([p1.ana!.attended_seconds, p1.ana!.status], [44 * 60, 'present']); // 10:01-10:48, clipped at 10:45
    assert.equal(p1.ben!.attended_seconds, 45 * 60);
    assert.equal(p1.cy, undefined, 'cy never came to the first period and is not on its roster');
    // Her cycle of the first instance, closed by its end (the second instance's cycle lies after this window).
    const cycles = await system.pool.query<{ closed_by: string; left_at: Date }>(
      "SELECT closed_by, left_at FROM attendance WHERE session_id = $1 AND person_key = 'user:ana' AND joined_at = $2",
      [id('p1'), new Date(at(1))],
    );
    assert.deepEqual(
      cycles.rows.map((row) => [row.closed_by, row.left_at.getTime()]),
      [['meeting-ended', at(48)]],
    );

    // The 10:48 end precedes the second period's start: it does not end it.
    await relayed(system);
    const p2 = await summary(system, id('p2'));
    assert.equal(p2.phase, 'live');
    assert.equal(p2.meetingEndedAt, undefined);

    await zoom.accept(zoomParticipantLeft({ ...user(second, 'cy'), leaveTime: at(80) }));
    await zoom.accept(zoomMeetingEnded({ ...second, endTime: at(95) }));
    await waitForCalculations(system, id('p2'), 1);
    const p2rows = byUser(await reports(system, id('p2')));
    assert.equal(p2rows.ana!.attended_seconds, 44 * 60); // 10:51-11:35: nothing of the first instance
    assert.equal(p2rows.cy!.attended_seconds, 30 * 60);
    assert.equal(p2rows.ben, undefined, 'ben left before the second period and is not on its roster');
    assert.equal(Object.keys(p2rows).length, 2);
  });

  it('a meeting kept open across both periods: a double-period student counts in each for the part inside it', async () => {
    const room = `7${Date.now() % 1_000_000_000}`;
    const meeting = { meetingId: room, uuid: `open-${room}==` };
    const id = (n: string) => `${n}-${room}`;
    await register(id('p1'), 'zoom', room, 0, 45, ['dee', 'eve']);
    await register(id('p2'), 'zoom', room, 50, 95, ['dee']);
    const user = (name: string) => ({
      ...meeting,
      userId: `${name}-1`,
      userName: name,
      email: `${name}@school.example`,
    });

    await zoom.accept(zoomMeetingStarted({ ...meeting, startTime: at(-5) }));
    await zoom.accept(zoomParticipantJoined({ ...user('dee'), joinTime: at(1) })); // in the first period's span only
    await zoom.accept(zoomParticipantJoined({ ...user('eve'), joinTime: at(2) }));
    await zoom.accept(zoomParticipantLeft({ ...user('eve'), leaveTime: at(30) }));
    // The second period's session already sees dee in the room, connected since 10:01.
    await relayed(system);
    const p2presence = await request<{ inRoom: Array<{ userId: string; since: string | number }> }>(
      system,
      'GET',
      `/api/sessions/${id('p2')}/presence`,
    );
    assert.equal(p2presence.status, 200);
    assert.deepEqual(
      p2presence.body.inRoom.map((p) => p.userId),
      ['dee'],
    );

    await zoom.accept(zoomParticipantLeft({ ...user('dee'), leaveTime: at(90) })); // 11:30, in both spans
    await zoom.accept(zoomMeetingEnded({ ...meeting, endTime: at(100) }));
    await waitForCalculations(system, id('p1'), 1);
    await waitForCalculations(system, id('p2'), 1);
    const p1 = byUser(await reports(system, id('p1')));
    const p2 = byUser(await reports(system, id('p2')));
    assert.equal(p1.dee!.attended_seconds, 44 * 60); // 10:01-10:45
    assert.equal(p1.eve!.attended_seconds, 28 * 60);
    assert.equal(p2.dee!.attended_seconds, 40 * 60); // 10:50-11:30: one cycle, its join in the first period's span
    assert.equal(p2.dee!.late, false); // first join 10:01, long before the start
    assert.equal(p2.eve, undefined, 'eve had no time in the second window and is not on its roster');
  });

  it('LiveKit: a lost join still credits [joinedAt, leave); an aborted connection is never credited; preparation time makes no one late', async () => {
    const room = `lk-${Date.now()}`;
    const roomSid = `RM_${Date.now()}`;
    const id = `class-${room}`;
    await register(id, 'livekit', room, 0, 40, ['fay', 'gus', 'hal']);
    const base = { roomName: room, roomSid };
    // fay: her participant_joined was lost; the leave carries joinedAt 10:05.
    await livekit.accept(
      livekitParticipantLeft({ ...base, identity: 'fay', sid: 'PA_fay', joinedAt: at(5), leftAt: at(35) }),
    );
    // gus: a connection that never became ACTIVE and aborted; no join ever arrived.
    await livekit.accept(
      livekitParticipantLeft({
        ...base,
        identity: 'gus',
        sid: 'PA_gus',
        joinedAt: at(3),
        leftAt: at(4),
        aborted: true,
      }),
    );
    // hal: joined 9:50, left 9:55, back 10:20 (grace 15 min): not late, his first join is 9:50.
    await livekit.accept(livekitParticipantJoined({ ...base, identity: 'hal', sid: 'PA_hal1', joinedAt: at(-10) }));
    await livekit.accept(
      livekitParticipantLeft({ ...base, identity: 'hal', sid: 'PA_hal1', joinedAt: at(-10), leftAt: at(-5) }),
    );
    await livekit.accept(livekitParticipantJoined({ ...base, identity: 'hal', sid: 'PA_hal2', joinedAt: at(20) }));
    await livekit.accept(livekitRoomFinished({ ...base, at: at(40) }));

    await waitForCalculations(system, id, 1);
    const rows = byUser(await reports(system, id));
    assert.deepEqual([rows.fay!.attended_seconds, rows.fay!.status], [30 * 60, 'present']);
    assert.deepEqual([rows.gus!.attended_seconds, rows.gus!.status], [0, 'absent']);
    assert.deepEqual(
      [rows.hal!.attended_seconds, rows.hal!.late, rows.hal!.late_minutes, rows.hal!.status],
      [20 * 60, false, 0, 'partial'],
    );
  });

  it('Zoom breakout rooms: main → breakout → main is continuous presence', async () => {
    const room = `6${Date.now() % 1_000_000_000}`;
    const meeting = { meetingId: room, uuid: `bo-${room}==` };
    const id = `bo-${room}`;
    await register(id, 'zoom', room, 0, 40, ['ivy']);
    const ivy = { ...meeting, userId: '100', userName: 'ivy', email: 'ivy@school.example', participantUuid: 'P-IVY' };
    const breakout = (event: 'joined' | 'left', minute: number) => ({
      event: `meeting.participant_${event}_breakout_room`,
      event_ts: at(minute),
      payload: {
        account_id: 'AAAAAAAAAAAAAAAAAAAAAA',
        object: {
          id: room,
          uuid: meeting.uuid,
          breakout_room_uuid: 'BR-1',
          host_id: 'x1yCzABCDEfg23HiJKl4mN',
          topic: 'Algebra',
          type: 2,
          start_time: new Date(at(-1)).toISOString().replace('.000', ''),
          participant: {
            user_id: '200',
            parent_user_id: '100',
            user_name: 'ivy',
            participant_uuid: 'P-IVY',
            email: 'ivy@school.example',
            ...(event === 'joined'
              ? { join_time: new Date(at(minute)).toISOString().replace('.000', '') }
              : {
                  leave_time: new Date(at(minute)).toISOString().replace('.000', ''),
                  leave_reason: 'leave breakout room to join main meeting',
                }),
          },
        },
      },
    });
    await zoom.accept(zoomMeetingStarted({ ...meeting, startTime: at(-1) }));
    await zoom.accept(zoomParticipantJoined({ ...ivy, joinTime: at(0) }));
    await zoom.accept(
      zoomParticipantLeft({ ...ivy, leaveTime: at(10), leaveReason: 'left the meeting to join breakout room' }),
    );
    await zoom.accept(breakout('joined', 11)); // a minute between the rooms, as the move reported it
    await zoom.accept(breakout('left', 25));
    await zoom.accept(zoomParticipantJoined({ ...ivy, joinTime: at(26) }));
    await zoom.accept(zoomMeetingEnded({ ...meeting, endTime: at(40) }));
    await waitForCalculations(system, id, 1);
    const rows = byUser(await reports(system, id));
    assert.deepEqual([rows.ivy!.attended_seconds, rows.ivy!.status], [40 * 60, 'present']);
  });
});
