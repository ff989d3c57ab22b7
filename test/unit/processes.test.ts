import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManagedChild } from '../../src/infra/processes.js';

describe('a managed child process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-processes-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const sleeper = (name: string, nice?: number) =>
    new ManagedChild({
      name,
      command: 'sleep',
      args: ['30'],
      env: process.env,
      logFile: join(dir, `${name}.log`),
      ready: () => Promise.resolve(true),
      say: () => undefined,
      nice,
    });

  it('runs at the lower CPU priority it is given (background work behind the API), else at this one', async () => {
    const background = sleeper('background', 7);
    const foreground = sleeper('foreground');
    await Promise.all([background.start(), foreground.start()]);
    try {
      assert.equal(getPriority(background.pid), getPriority() + 7);
      assert.equal(getPriority(foreground.pid), getPriority());
    } finally {
      await Promise.all([background.stop(), foreground.stop()]);
    }
  });
});
