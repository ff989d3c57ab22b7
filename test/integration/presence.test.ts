import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Presence } from '../../src/domain/index.js';
import { PRESENCE_DEFAULTS } from '../../src/sessions/presence.js';
import { PROVIDER_SETTINGS, WebhookSender, pastMinute } from '../support/scenario.js';
import { livekitParticipantJoined, livekitParticipantLeft } from '../support/sign.js';
import { eventually, metric, relayed, request, startSystem, type TestSystem } from '../support/system.js';

const presenceQueries = (system: TestSystem) => metric(system, 'rollcall_presence_queries_total');

/**
 * GET /api/sessions/:id/presence answers from the API's snapshot of the workflow's presence query: a followed
 * session is queried once per refresh however many callers ask, the snapshot follows the room without callers
 * having to ask twice, and no answer is older than the configured bound (its `at` says how old it is).
 */
describe('presence snapshots', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem(PROVIDER_SETTINGS);
  });
  after(() => system.stop());

  it('answers 404 for a session with no workflow, and stops following it', async () => {
    // First in the file: no other session is followed yet, so the counter counts this one's queries only.
    const before = await presenceQueries(system);
    const answer = await request(system, 'GET', '/api/sessions/no-such-session/presence');
    assert.equal(answer.status, 404);
    await new Promise((resolve) => setTimeout(resolve, 3 * PRESENCE_DEFAULTS.refreshMs));
    assert.equal((await presenceQueries(system)) - before, 1, 'one query, no refreshes after it');
  });

  it('shares one query per refresh among all callers and follows the room between requests', async () => {
    const room = `presence-${Date.now()}`;
    const start = pastMinute(5);
    const registered = await request<{ id: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room,
      scheduledStart: new Date(start).toISOString(),
      scheduledEnd: new Date(start + 3_600_000).toISOString(),
    });
    assert.equal(registered.status, 201);
    const presenceOf = async () => {
      const answer = await request<Presence>(system, 'GET', `/api/sessions/${registered.body.id}/presence`);
      assert.equal(answer.status, 200);
      const age = Date.now() - answer.body.at;
      assert.ok(age <= PRESENCE_DEFAULTS.maxAgeMs + 1_000, `an answer ${age} ms old`);
      return answer.body.inRoom.map((person) => person.userId ?? person.personKey);
    };
    const livekit = new WebhookSender(system, 'livekit');
    const ana = { roomName: room, identity: 'ana', name: 'Ana', joinedAt: Date.now() - 60_000 };
    await livekit.accept(livekitParticipantJoined(ana));
    await eventually(async () => ((await presenceOf()).length === 1 ? true : undefined), 20_000);

    // Twenty callers a second for three seconds: about one query a second between them, not sixty.
    const before = await presenceQueries(system);
    const began = Date.now();
    for (let second = 0; second < 3; second++) {
      await Promise.all(Array.from({ length: 20 }, presenceOf));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const queries = (await presenceQueries(system)) - before;
    const refreshes = Math.ceil((Date.now() - began) / PRESENCE_DEFAULTS.refreshMs) + 1;
    assert.ok(queries <= refreshes, `${queries} presence queries for 60 callers in ${refreshes} refreshes`);

    // Ana leaves: the snapshot, refreshed in the background, shows it to the next caller, who waits for no query.
    await livekit.accept(livekitParticipantLeft({ ...ana, leftAt: Date.now() }));
    await relayed(system);
    await new Promise((resolve) => setTimeout(resolve, 2 * PRESENCE_DEFAULTS.refreshMs));
    const asked = Date.now();
    const answer = await request<Presence>(system, 'GET', `/api/sessions/${registered.body.id}/presence`);
    assert.deepEqual(answer.body.inRoom, [], 'the leave is in the snapshot');
    assert.ok(answer.body.at < asked, 'the answer is the snapshot taken before the caller asked');
  });
});
