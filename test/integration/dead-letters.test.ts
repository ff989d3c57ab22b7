import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keepDeadLetter, listDeadLetters, LISTED_BODY_CHARS } from '../../src/db/dead-letters.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { request, startSystem, testConfig, type TestSystem } from '../support/system.js';

describe('dead letters', () => {
  let pool: Pool;
  before(() => {
    pool = createPool(testConfig().databaseUrl!);
  });
  after(() => pool.end());

  it('keeps only the newest ones, newest first', async () => {
    const tag = `bound-${Date.now()}`;
    for (let i = 1; i <= 5; i += 1) await keepDeadLetter(pool, 'zoom', `reason ${i}`, `${tag}-${i}`, 3);
    const kept = (await listDeadLetters(pool, { limit: 100 })).filter((letter) => letter.body.startsWith(tag));
    assert.deepEqual(
      kept.map((letter) => letter.body),
      [`${tag}-5`, `${tag}-4`, `${tag}-3`],
    );
  });

  it('keeps at most the byte budget of bodies, the new one included', async () => {
    const tag = `bytes-${Date.now()}`;
    const body = (i: number) => `${tag}-${i}-${'x'.repeat(1_000)}`;
    for (let i = 1; i <= 6; i += 1) await keepDeadLetter(pool, 'zoom', 'big', body(i), 10_000, 3_500);
    const kept = (await listDeadLetters(pool, { limit: 100 })).filter((letter) => letter.body.startsWith(tag));
    assert.deepEqual(
      kept.map((letter) => letter.body.split('-')[2]),
      ['6', '5', '4'],
    );
    const { rows } = await pool.query<{ bytes: number }>(
      'SELECT coalesce(sum(body_bytes), 0)::int AS bytes FROM dead_letters',
    );
    assert.ok(rows[0]!.bytes <= 3_500, `${rows[0]!.bytes} bytes kept`);
  });
});

describe('GET /api/dead-letters', () => {
  let system: TestSystem;
  before(async () => {
    system = await startSystem();
  });
  after(() => system?.stop());

  it('pages through them newest first and cuts long bodies, whose whole text is one read away', async () => {
    const tag = `page-${Date.now()}`;
    const long = `${tag}-long-${'y'.repeat(LISTED_BODY_CHARS * 2)}`;
    await keepDeadLetter(system.pool, 'livekit', 'long', long);
    for (let i = 1; i <= 4; i += 1) await keepDeadLetter(system.pool, 'zoom', 'short', `${tag}-${i}`);
    type Page = {
      deadLetters: Array<{ id: number; body: string; bodyBytes: number; truncated: boolean }>;
      next: string | null;
    };
    const first = await request<Page>(system, 'GET', '/api/dead-letters?limit=3');
    assert.deepEqual(
      first.body.deadLetters.map((letter) => letter.body),
      [`${tag}-4`, `${tag}-3`, `${tag}-2`],
    );
    assert.ok(first.body.next);
    const second = await request<Page>(system, 'GET', first.body.next);
    assert.equal(second.body.deadLetters[0]!.body, `${tag}-1`);
    const cut = second.body.deadLetters[1]!;
    assert.deepEqual(
      [cut.body.length, cut.truncated, cut.bodyBytes],
      [LISTED_BODY_CHARS, true, Buffer.byteLength(long)],
    );
    const whole = await request<{ body: string; truncated: boolean }>(system, 'GET', `/api/dead-letters/${cut.id}`);
    assert.deepEqual([whole.body.body, whole.body.truncated], [long, false]);
    assert.equal((await request(system, 'GET', '/api/dead-letters?limit=10001')).status, 400);
  });
});
