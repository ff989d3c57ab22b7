import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sessionFactKeys } from '../../src/db/facts.js';
import { adHocSessionId } from '../../src/sessions/routing.js';
import { presenceQuery, summaryQuery } from '../../src/workflows/messages.js';
import {
  MIN,
  PROVIDER_SETTINGS,
  WebhookSender,
  pastMinute,
  reports,
  waitForCalculations,
} from '../support/scenario.js';
import { zoomMeetingEnded, zoomParticipantJoined, zoomParticipantLeft } from '../support/sign.js';
import { eventually, relayed, request, startSystem, type TestSystem } from '../support/system.js';

describe('routing webhooks of one room', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem({ ...PROVIDER_SETTINGS, CALCULATION_DELAY: '1s' });
  });
  after(() => system.stop());

  const register = (id: string, room: string, start: number, end: number) =>
    request(system, 'POST', '/api/sessions', {
      id,
      provider: 'zoom',
      room,
      scheduledStart: new Date(start).toISOString(),
      scheduledEnd: new Date(end).toISOString(),
    });
  const summaryOf = (sessionId: string) => system.client.workflow.getHandle(`session-${sessionId}`).query(summaryQuery);

  it('keeps back-to-back sessions of one room apart, and routes to a session as soon as it is registered', async () => {
    const room = `4${Date.now() % 1_000_000_000}`;
    // p2's meeting is over by now, while p1 has not reached its hard stop (S+45 plus the 1 h overrun).
    const S = pastMinute(100);
    const zoom = new WebhookSender(system, 'zoom');
    const meeting = { meetingId: room, uuid: `inst-${room}==` };
    const person = (userId: string) => ({ ...meeting, userId, userName: userId, email: `${userId}@school.example` });

    // Before any registration the room's first webhook makes the ad-hoc session of its instance (relayed after the
    // 200).
    const early = await zoom.accept(zoomParticipantJoined({ ...person('a0'), joinTime: S - 60 * MIN }));
    assert.deepEqual(early.body, { status: 'accepted', events: 1, stored: 1 });
    await zoom.accept(zoomParticipantLeft({ ...person('a0'), leaveTime: S - 40 * MIN }));
    await relayed(system);
    const adHoc = adHocSessionId({ provider: 'zoom', instanceId: meeting.uuid });
    await eventually(
      async () => ((await summaryOf(adHoc).catch(() => undefined))?.connections === 1 ? true : undefined),
      20_000,
      'the ad-hoc session',
    );
    // Signals that came in during a workflow task enter the history when that task completes: read it settled.
    const signalsTo = async (sessionId: string) => {
      const count = async () =>
        ((await system.client.workflow.getHandle(`session-${sessionId}`).fetchHistory()).events ?? []).filter(
          (event) => event.workflowExecutionSignaledEventAttributes,
        ).length;
      for (let last = await count(); ;) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const now = await count();
        if (now === last) return now;
        last = now;
      }
    };
    const adHocSignals = await signalsTo(adHoc);

    // Registered now, read by the relay's next round: no cache keeps sending the room's facts to the ad-hoc session.
    assert.equal((await register(`${room}-p1`, room, S, S + 45 * MIN)).status, 201);
    assert.equal((await register(`${room}-p2`, room, S + 50 * MIN, S + 95 * MIN)).status, 201);
    await zoom.accept(zoomParticipantJoined({ ...person('a1'), joinTime: S + 5 * MIN }));
    await zoom.accept(zoomParticipantLeft({ ...person('a1'), leaveTime: S + 40 * MIN }));
    await zoom.accept(zoomParticipantJoined({ ...person('b1'), joinTime: S + 55 * MIN }));
    await zoom.accept(zoomParticipantLeft({ ...person('b1'), leaveTime: S + 90 * MIN }));
    await relayed(system);
    const p1 = system.client.workflow.getHandle(`session-${room}-p1`);
    const p2 = system.client.workflow.getHandle(`session-${room}-p2`);
    // a1's join (S+5) lies only in p1's span (p2's opens at S+20); b1's (S+55) in both spans (p1's runs to S+105).
    await eventually(
      async () =>
        (await p1.query(summaryQuery)).connections === 3 && (await p2.query(summaryQuery)).connections === 3
          ? true
          : undefined,
      20_000,
      'both sessions to have the room’s connections',
    );
    // The relay sent the ad-hoc session nothing more. (The ad-hoc session reads every fact of its instance when it
    // loads the stored ones, so what it holds is not the measure of routing; the signals it was sent are.)
    assert.equal(
      await signalsTo(adHoc),
      adHocSignals,
      'nothing after the registration was relayed to the ad-hoc session',
    );
    const [a1] = (await p1.query(presenceQuery, S + 10 * MIN)).inRoom;
    const [b1] = (await p2.query(presenceQuery, S + 60 * MIN)).inRoom;
    assert.deepEqual([a1?.name, b1?.name], ['a1', 'b1']);

    // A fact can bear on both sessions; each one's attendance keeps to its own window.
    const keys = await sessionFactKeys(system.pool, `${room}-p1`);
    assert.deepEqual(await sessionFactKeys(system.pool, `${room}-p2`), keys);
    assert.equal(keys.length, 6);
    await zoom.accept(zoomMeetingEnded({ ...meeting, endTime: S + 96 * MIN }));
    await waitForCalculations(system, `${room}-p1`, 1);
    await waitForCalculations(system, `${room}-p2`, 1);
    const attendance = async (sessionId: string) =>
      (await reports(system, sessionId)).map((row) => [row.person_key, row.attended_seconds]);
    assert.deepEqual(await attendance(`${room}-p1`), [[a1!.personKey, 35 * 60]]);
    assert.deepEqual(await attendance(`${room}-p2`), [[b1!.personKey, 35 * 60]]);
  });

  // The old router cached a room's sessions so a burst read the database once; the relay reads them once per
  // round for all the facts it claimed, and sends each session one signal per round however many facts it holds.
  it('turns a burst of webhooks for one session into a few signals', async () => {
    const room = `5${Date.now() % 1_000_000_000}`;
    const S = pastMinute(30);
    assert.equal((await register(`${room}-burst`, room, S, S + 60 * MIN)).status, 201);
    const zoom = new WebhookSender(system, 'zoom');
    const meeting = { meetingId: room, uuid: `burst-${room}==` };
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        zoom.send(zoomParticipantJoined({ ...meeting, userId: `s${i}`, joinTime: S + i * 1000 })),
      ),
    );
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
    await relayed(system);
    const handle = system.client.workflow.getHandle(`session-${room}-burst`);
    await eventually(
      async () => ((await handle.query(summaryQuery)).connections === 50 ? true : undefined),
      20_000,
      'all 50 joins in the workflow',
    );
    let signals = 0;
    for (const event of (await handle.fetchHistory()).events ?? [])
      if (event.workflowExecutionSignaledEventAttributes) signals += 1;
    assert.ok(signals >= 1 && signals <= 10, `${signals} signals for 50 webhooks`);
  });
});
