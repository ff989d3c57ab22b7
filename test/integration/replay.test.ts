import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { loadFixtureHistories, replayOptions } from '../support/histories.js';

const quiet = () => undefined;

/** The determinism guard: histories recorded from the integration scenarios replay on today's workflow code. */
describe('workflow replay', () => {
  const fixtures = loadFixtureHistories();

  it('has recorded histories to replay', () => {
    assert.ok(fixtures.length >= 3, `only ${fixtures.length} fixtures in test/fixtures/histories`);
  });

  for (const { name, history } of fixtures) {
    it(`replays ${name}`, async () => {
      await Worker.runReplayHistory(replayOptions(), history, name);
    });
  }

  it('catches a deliberately non-deterministic change', async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: resolve('test/fixtures/tampered-workflow/index.ts'),
      logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: quiet },
    });
    const codePath = join(mkdtempSync(join(tmpdir(), 'rollcall-tampered-')), 'bundle.js');
    writeFileSync(codePath, code);
    const [first] = fixtures;
    assert.ok(first);
    await assert.rejects(Worker.runReplayHistory({ ...replayOptions(), workflowBundle: { codePath } }, first.history, first.name), (error: Error) => error.name === 'DeterminismViolationError');
  });
});
