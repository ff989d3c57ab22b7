import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keepDeadLetter, listDeadLetters } from '../../src/db/dead-letters.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { testConfig } from '../support/system.js';

describe('dead letters', () => {
  let pool: Pool;
  before(() => {
    pool = createPool(testConfig().databaseUrl!);
  });
  after(() => pool.end());

  it('keeps only the newest ones, newest first', async () => {
    const tag = `bound-${Date.now()}`;
    for (let i = 1; i <= 5; i += 1) await keepDeadLetter(pool, 'zoom', `reason ${i}`, `${tag}-${i}`, 3);
    const kept = (await listDeadLetters(pool, 100)).filter((letter) => letter.body.startsWith(tag));
    assert.deepEqual(
      kept.map((letter) => letter.body),
      [`${tag}-5`, `${tag}-4`, `${tag}-3`],
    );
  });
});
