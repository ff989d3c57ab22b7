import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pastMinute } from '../support/scenario.js';
import { metric, request, startSystem, type TestSystem } from '../support/system.js';

/** Opens the session's live stream and collects its events until `stop()`. */
function follow(system: TestSystem, sessionId: string) {
  const events: Array<{ event: string; at: number }> = [];
  const controller = new AbortController();
  const done = (async () => {
    const res = await fetch(`${system.api.url}/api/sessions/${sessionId}/live`, { signal: controller.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const name = /^event: (.+)$/m.exec(buffer.slice(0, end))?.[1];
        if (name) events.push({ event: name, at: Date.now() });
        buffer = buffer.slice(end + 2);
      }
    }
  })().catch(() => undefined);
  return {
    events,
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

const ticks = (system: TestSystem) => metric(system, 'rollcall_live_feed_ticks_total');

describe('the live page feed', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem();
  });
  after(() => system.stop());

  it('reads a session once per tick however many viewers follow it; a viewer who joins gets the latest at once', async () => {
    const start = pastMinute(5);
    const registered = await request<{ id: string }>(system, 'POST', '/api/sessions', {
      provider: 'livekit',
      room: `feed-${Date.now()}`,
      scheduledStart: new Date(start).toISOString(),
      scheduledEnd: new Date(start + 3_600_000).toISOString(),
    });
    assert.equal(registered.status, 201);
    const id = registered.body.id;

    const before = await ticks(system);
    const began = Date.now();
    const viewers = Array.from({ length: 8 }, () => follow(system, id));
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const late = follow(system, id);
    const joinedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const elapsedTicks = (Date.now() - began) / 1_000;
    const read = (await ticks(system)) - before;
    await Promise.all([...viewers, late].map((viewer) => viewer.stop()));

    // One read per second for the session, not one per viewer per second (that would be 8 × 4 here).
    assert.ok(
      read >= 2 && read <= Math.ceil(elapsedTicks) + 1,
      `${read} reads in ${elapsedTicks.toFixed(1)} s for 9 viewers`,
    );
    for (const viewer of viewers)
      assert.ok(
        viewer.events.some((e) => e.event === 'session'),
        'every viewer got the session',
      );
    // The late viewer had the session and timeline before the feed's next read.
    const first = late.events.find((e) => e.event === 'session');
    assert.ok(first && first.at - joinedAt < 250, `late viewer waited ${first ? first.at - joinedAt : 'forever'} ms`);
  });
});
