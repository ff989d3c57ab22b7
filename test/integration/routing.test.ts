import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SessionRouter } from '../../src/api/routing.js';
import { MIN, PROVIDER_SETTINGS, WebhookSender, pastMinute } from '../support/scenario.js';
import { zoomParticipantJoined } from '../support/sign.js';
import { eventually, request, startSystem, type TestSystem } from '../support/system.js';

describe('routing webhooks of one room', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(PROVIDER_SETTINGS);
  });
  after(() => system.stop());

  const register = (id: string, room: string, start: number, end: number) =>
    request(system, 'POST', '/api/sessions', { id, provider: 'zoom', room, scheduledStart: new Date(start).toISOString(), scheduledEnd: new Date(end).toISOString() });

  it('keeps back-to-back sessions of one room apart, and routes to a session as soon as it is registered', async () => {
    const room = `4${Date.now() % 1_000_000_000}`;
    const S = pastMinute(120);
    const zoom = new WebhookSender(system, 'zoom');
    const meeting = { meetingId: room, uuid: `inst-${room}==` };

    // Before any registration the room's first webhook makes an ad-hoc session (and the router caches "none").
    const early = await zoom.accept(zoomParticipantJoined({ ...meeting, userId: 'a0', joinTime: S - 60 * MIN }));
    assert.match(early.body.sessionId ?? '', /^zoom-/);

    assert.equal((await register(`${room}-p1`, room, S, S + 45 * MIN)).status, 201);
    assert.equal((await register(`${room}-p2`, room, S + 50 * MIN, S + 95 * MIN)).status, 201);
    const first = await zoom.accept(zoomParticipantJoined({ ...meeting, userId: 'a1', joinTime: S + 5 * MIN }));
    const second = await zoom.accept(zoomParticipantJoined({ ...meeting, userId: 'b1', joinTime: S + 55 * MIN }));
    assert.deepEqual([first.body.sessionId, second.body.sessionId], [`${room}-p1`, `${room}-p2`]);

    const logged = await eventually(async () => {
      const { rows } = await system.pool.query<{ session_id: string; connection: string }>(
        "SELECT session_id, connection FROM attendance_events WHERE session_id LIKE $1 AND kind = 'joined' ORDER BY session_id",
        [`${room}-%`],
      );
      return rows.length === 2 ? rows : undefined;
    }, 20_000, 'both joins in the event log');
    assert.notEqual(logged[0]?.connection, logged[1]?.connection);
  });

  it('reads the database once per room for a burst of webhooks', async () => {
    let queries = 0;
    const counting = new Proxy(system.pool, {
      get(target, property, receiver) {
        if (property === 'query') queries += 1;
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const router = new SessionRouter(counting, system.config);
    const room = { provider: 'zoom' as const, roomId: `burst-${Date.now()}`, instanceId: 'i' };
    await Promise.all(Array.from({ length: 50 }, () => router.route(room, Date.now())));
    for (let i = 0; i < 50; i += 1) await router.route(room, Date.now());
    assert.equal(queries, 1);
  });
});
