import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignalBatcher } from '../../src/api/signal-batcher.js';

interface Sent {
  key: string;
  events: number[];
  settle: (error?: Error) => void;
}

/** A batcher whose signals stay in flight until the test settles them, so it controls what coalesces. */
function harness(maxEvents = 100, minIntervalMs = 0) {
  const sent: Sent[] = [];
  const batcher = new SignalBatcher<string, number>(
    (key, events) =>
      new Promise<void>((resolve, reject) => {
        sent.push({ key, events: [...events], settle: (error) => (error ? reject(error) : resolve()) });
      }),
    { maxEvents, minIntervalMs },
  );
  const later = Date.now() + 60_000;
  const deliver = (key: string, events: number[], deadline = later) => {
    const outcome = { state: 'pending' as 'pending' | 'ok' | 'failed' };
    const promise = batcher.deliver(key, key, events, deadline).then(
      () => (outcome.state = 'ok'),
      () => (outcome.state = 'failed'),
    );
    return { outcome, promise };
  };
  return { sent, deliver };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('signal batcher (group commit per workflow)', () => {
  it('sends a lone delivery at once and resolves it with its signal', async () => {
    const { sent, deliver } = harness();
    const one = deliver('a', [1]);
    assert.deepEqual(sent.map((s) => s.events), [[1]]);
    await tick();
    assert.equal(one.outcome.state, 'pending', 'not before the signal is accepted');
    sent[0]!.settle();
    await one.promise;
    assert.equal(one.outcome.state, 'ok');
  });

  it('coalesces deliveries made while a signal is in flight into the next signal', async () => {
    const { sent, deliver } = harness();
    const first = deliver('a', [1]);
    const queued = [deliver('a', [2]), deliver('a', [3, 4]), deliver('a', [5])];
    assert.equal(sent.length, 1, 'nothing more is sent while the first signal is in flight');
    sent[0]!.settle();
    await first.promise;
    await tick();
    assert.deepEqual(sent.map((s) => s.events), [[1], [2, 3, 4, 5]]);
    assert.ok(queued.every((d) => d.outcome.state === 'pending'), 'queued deliveries wait for their own signal');
    sent[1]!.settle();
    await Promise.all(queued.map((d) => d.promise));
    assert.ok(queued.every((d) => d.outcome.state === 'ok'));
  });

  it('never puts more than maxEvents in one signal', async () => {
    const { sent, deliver } = harness(3);
    const all = [deliver('a', [1]), deliver('a', [2, 3]), deliver('a', [4]), deliver('a', [5, 6]), deliver('a', [7])];
    for (let i = 0; i < 4 && sent[i]; i++) {
      sent[i]!.settle();
      await tick();
    }
    await Promise.all(all.map((d) => d.promise));
    assert.deepEqual(sent.map((s) => s.events), [[1], [2, 3, 4], [5, 6, 7]]);
  });

  it('keeps workflows apart: one busy workflow does not hold up another', () => {
    const { sent, deliver } = harness();
    deliver('a', [1]);
    deliver('b', [2]);
    deliver('a', [3]);
    assert.deepEqual(sent.map((s) => [s.key, s.events]), [['a', [1]], ['b', [2]]]);
  });

  it('fails every delivery of a refused signal, and goes on with the next', async () => {
    const { sent, deliver } = harness();
    const first = deliver('a', [1]);
    const refused = [deliver('a', [2]), deliver('a', [3])];
    sent[0]!.settle();
    await first.promise;
    await tick();
    sent[1]!.settle(new Error('Temporal unavailable'));
    await Promise.all(refused.map((d) => d.promise));
    assert.deepEqual(refused.map((d) => d.outcome.state), ['failed', 'failed']);
    const next = deliver('a', [4]);
    assert.deepEqual(sent.at(-1)!.events, [4], 'the lane is free again');
    sent.at(-1)!.settle();
    await next.promise;
    assert.equal(next.outcome.state, 'ok');
  });

  it('holds a busy workflow to one signal per interval: a delivery right after a signal waits and shares the next', async () => {
    const { sent, deliver } = harness(100, 40);
    const first = deliver('a', [1]);
    sent[0]!.settle();
    await first.promise;
    const started = Date.now();
    const next = [deliver('a', [2]), deliver('a', [3])];
    await tick();
    assert.equal(sent.length, 1, 'nothing is sent within the interval');
    while (sent.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(Date.now() - started >= 30, 'the next signal waited for the interval');
    assert.deepEqual(sent[1]!.events, [2, 3]);
    sent[1]!.settle();
    await Promise.all(next.map((d) => d.promise));
    await new Promise((resolve) => setTimeout(resolve, 60));
    const quiet = deliver('a', [4]);
    assert.deepEqual(sent.at(-1)!.events, [4], 'after a quiet interval the next delivery goes at once');
    sent.at(-1)!.settle();
    await quiet.promise;
  });

  it('drops a queued batch whose callers have all given up, without sending it', async () => {
    const { sent, deliver } = harness();
    const first = deliver('a', [1]);
    const expired = deliver('a', [2], Date.now() - 1);
    sent[0]!.settle();
    await first.promise;
    await expired.promise;
    assert.equal(expired.outcome.state, 'failed');
    assert.deepEqual(sent.map((s) => s.events), [[1]]);
  });
});
