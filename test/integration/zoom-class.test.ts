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
import { replayAndKeep } from '../support/histories.js';
import { eventually, relayed, request, startSystem, type TestSystem } from '../support/system.js';

/**
 * A registered Zoom class of 10 students driven by signed webhooks. Window 40 min (2,400 s), grace 15 min.
 * Minute offsets from the scheduled start S; expected figures worked out by hand next to each student.
 */
describe('a registered Zoom class, end to end', () => {
  let system: TestSystem;
  const S = pastMinute(60);
  const at = (minutes: number) => S + minutes * MIN;
  const meetingId = `9${Date.now() % 1_000_000_000}`;
  const meeting = { meetingId, uuid: `uuid-${meetingId}==` };
  const student = (n: number) => ({ userId: `s${n}`, email: `S${n}@School.example`, name: `Student ${n}` });
  const roster = Array.from({ length: 10 }, (_, i) => ({
    userId: `s${i + 1}`,
    email: `s${i + 1}@school.example`,
    name: `Student ${i + 1}`,
  }));
  const zoomUser = (n: number, device = 'a') => ({
    ...meeting,
    userId: `${n}${device}`,
    userName: `Student ${n}`,
    email: student(n).email,
  });
  let sessionId: string;
  let zoom: WebhookSender;

  before(async () => {
    system = await startSystem(PROVIDER_SETTINGS);
    zoom = new WebhookSender(system, 'zoom');
    const registered = await request<{ id: string }>(system, 'POST', '/api/sessions', {
      provider: 'zoom',
      room: meetingId,
      title: 'Algebra 2',
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(at(40)).toISOString(),
      roster,
    });
    assert.equal(registered.status, 201);
    sessionId = registered.body.id;
  });
  after(() => system.stop());

  it('tracks presence mid-meeting and persists exact final attendance', async () => {
    // s6: its leave (35) arrives before its join (5).
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(6), leaveTime: at(35) }));
    await zoom.accept(zoomMeetingStarted({ ...meeting, startTime: at(-5) }));
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(3), joinTime: at(-5) })); // s3 joins before the start...
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(1), joinTime: at(0) }));
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(9, 'a'), joinTime: at(0) })); // s9 device A
    const s5join = zoomParticipantJoined({ ...zoomUser(5), joinTime: at(1) });
    await zoom.accept(s5join);
    await zoom.accept(s5join); // ...a duplicate delivery of the same notification
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(4), joinTime: at(2) })); // s4 never leaves
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(7), joinTime: at(3) }));
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(6), joinTime: at(5) }));
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(3), leaveTime: at(8) })); // ...and leaves early
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(1), leaveTime: at(10) })); // s1 rejoins
    const guest = { ...meeting, userId: 'g1', userName: 'Visitor' };
    await zoom.accept(zoomParticipantJoined({ ...guest, joinTime: at(10) }));
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(1), joinTime: at(12) }));
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(2), joinTime: at(18) })); // s2 late past grace
    await zoom.accept(zoomParticipantLeft({ ...guest, leaveTime: at(20) }));
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(9, 'b'), joinTime: at(20) })); // s9 device B overlaps A

    await relayed(system);
    const handle = system.client.workflow.getHandle(`session-${sessionId}`);
    const presence = await handle.query(presenceQuery, at(25));
    assert.deepEqual(
      presence.inRoom.map((p) => [p.userId, p.since, p.currentSeconds, p.totalSeconds, p.connections]),
      [
        ['s1', at(12), 13 * 60, 23 * 60, 1],
        ['s2', at(18), 7 * 60, 7 * 60, 1],
        ['s4', at(2), 23 * 60, 23 * 60, 1],
        ['s5', at(1), 24 * 60, 24 * 60, 1],
        ['s6', at(5), 20 * 60, 20 * 60, 1],
        ['s7', at(3), 22 * 60, 22 * 60, 1],
        ['s9', at(0), 25 * 60, 25 * 60, 2],
      ],
    );
    assert.equal(presence.counts.seen, 9); // 8 students and the guest so far

    await zoom.accept(zoomParticipantLeft({ ...zoomUser(9, 'a'), leaveTime: at(30) }));
    await zoom.accept(zoomParticipantJoined({ ...zoomUser(10), joinTime: at(30) }));
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(10), leaveTime: at(33) }));
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(5), leaveTime: at(35) }));
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(2), leaveTime: at(40) }));
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(9, 'b'), leaveTime: at(40) }));
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(1), leaveTime: at(41) })); // after the scheduled end

    // Through the API, at the real clock (long after these provider times), only s4 and s7 are still open.
    await relayed(system);
    const live = await request<{ inRoom: Array<{ userId: string }> }>(
      system,
      'GET',
      `/api/sessions/${sessionId}/presence`,
    );
    assert.deepEqual(
      live.body.inRoom.map((p) => p.userId),
      ['s4', 's7'],
    );

    await zoom.accept(zoomMeetingEnded({ ...meeting, endTime: at(41) })); // the teacher overran the schedule
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(7), leaveTime: at(36) })); // arrives after meeting.ended

    await waitForCalculations(system, sessionId, 1);
    const rows = await reports(system, sessionId);
    const byUser = Object.fromEntries(rows.map((row) => [row.user_id ?? row.person_key, row]));
    const summary = (id: string) => {
      const row = byUser[id]!;
      return [row.attended_seconds, Number(row.percentage), row.status, row.late, row.late_minutes];
    };
    assert.deepEqual(summary('s1'), [38 * 60, 95, 'present', false, 0]); // 0-10, 12-41 clipped at 40
    assert.deepEqual(summary('s2'), [22 * 60, 55, 'late', true, 18]); // 18-40: > 50 % but first join past grace
    assert.deepEqual(summary('s3'), [8 * 60, 20, 'partial', false, 0]); // -5-8: preparation time not counted
    assert.deepEqual(summary('s4'), [38 * 60, 95, 'present', false, 0]); // 2-41 closed at meeting end, clipped at 40
    assert.deepEqual(summary('s5'), [34 * 60, 85, 'present', false, 0]); // 1-35: the duplicate counted once
    assert.deepEqual(summary('s6'), [30 * 60, 75, 'present', false, 0]); // 5-35: exactly 75 %
    assert.deepEqual(summary('s7'), [33 * 60, 82.5, 'present', false, 0]); // 3-36: the late leave, not the meeting end
    assert.deepEqual(summary('s8'), [0, 0, 'absent', false, 0]); // on the roster, never came
    assert.deepEqual(summary('s9'), [40 * 60, 100, 'present', false, 0]); // 0-30 ∪ 20-40 counted once
    assert.deepEqual(summary('s10'), [3 * 60, 7.5, 'absent', true, 30]); // 30-33: under 10 %
    const guestRow = rows.find((row) => row.user_id === null)!;
    assert.deepEqual([guestRow.attended_seconds, guestRow.status], [10 * 60, 'partial']);
    assert.equal(rows.length, 11);
    assert.ok(rows.every((row) => row.auto_calculated));

    const cycles = await system.pool.query<{ person_key: string; closed_by: string; left_at: Date }>(
      "SELECT person_key, closed_by, left_at FROM attendance WHERE session_id = $1 AND person_key IN ('user:s4', 'user:s7')",
      [sessionId],
    );
    assert.deepEqual(cycles.rows.map((row) => [row.closed_by, row.left_at.getTime()]).sort(), [
      ['left', at(36)],
      ['meeting-ended', at(41)],
    ]);

    const { persisted, engine } = comparable(
      rows,
      zoom.expected({
        scheduledStart: S,
        scheduledEnd: at(40),
        roster,
        policy: { kind: 'percentage', graceMinutes: 15 },
      }),
    );
    assert.deepEqual(persisted, engine);
  });

  it('recalculates when a late event arrives after the final calculation, and a forced recalculation agrees', async () => {
    const handle = system.client.workflow.getHandle(`session-${sessionId}`);
    const before = await handle.query(summaryQuery);
    assert.equal(before.phase, 'calculated');
    // A Zoom retry brings s4's lost leave, long after the meeting: 2-30 instead of 2-39.
    await zoom.accept(zoomParticipantLeft({ ...zoomUser(4), leaveTime: at(30) }));
    await waitForCalculations(system, sessionId, before.calculations + 1);
    const afterLate = await reports(system, sessionId);
    const s4 = afterLate.find((row) => row.user_id === 's4')!;
    assert.deepEqual([s4.attended_seconds, Number(s4.percentage), s4.status], [28 * 60, 70, 'present']);

    const forced = await handle.executeUpdate(
      await import('../../src/workflows/messages.js').then((m) => m.recalculateUpdate),
    );
    assert.equal(forced.calculations, before.calculations + 2);
    const afterForced = await reports(system, sessionId);
    const strip = (rows: typeof afterForced) => rows.map(({ auto_calculated: _auto, ...rest }) => rest);
    assert.deepEqual(strip(afterForced), strip(afterLate));
    assert.ok(afterForced.every((row) => !row.auto_calculated));
    await replayAndKeep(system, `session-${sessionId}`, 'zoom-class');
  });

  it('is found through Temporal visibility by its search attributes, with its title in the memo', async () => {
    const query = `SessionId = '${sessionId}' AND Provider = 'zoom' AND Room = '${meetingId}' AND SessionStatus = 'calculated' AND ParticipantCount = 10`;
    const found = await eventually(
      async () => {
        for await (const execution of system.client.workflow.list({ query })) return execution;
        return undefined;
      },
      20_000,
      'the session in visibility',
    );
    assert.equal(found.workflowId, `session-${sessionId}`);
    assert.equal(found.searchAttributes.ParticipantCount?.[0], 10); // the nine students who came (s8 never did) and the guest
    assert.deepEqual(found.memo, { title: 'Algebra 2' });
  });
});
