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

  // A run that continued as new and the run it continued into: the carried input and the hand-over are
  // replayed too (recorded by test/integration/continue-as-new.test.ts).
  it('holds a continue-as-new chain: a run that continued as new and the run that took over from it', () => {
    const continued = fixtures.flatMap(
      ({ history }) => history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? [],
    );
    const takenOver = fixtures.flatMap(({ history }) => {
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      return started?.continuedExecutionRunId ? [started] : [];
    });
    assert.ok(continued.length > 0, 'no fixture ends in a continue-as-new');
    assert.ok(takenOver.length > 0, 'no fixture starts from a continue-as-new');
    // Linked: the run taken over continues a fixture's run, which names it as the run it continued as.
    const runIds = new Set(
      fixtures.flatMap(
        ({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId ?? [],
      ),
    );
    assert.ok(
      takenOver.some(
        (started) =>
          runIds.has(started.continuedExecutionRunId!) && continued.includes(started.originalExecutionRunId!),
      ),
      'the chain’s two runs are not linked',
    );
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
    await assert.rejects(
      Worker.runReplayHistory({ ...replayOptions(), workflowBundle: { codePath } }, first.history, first.name),
      (error: Error) => error.name === 'DeterminismViolationError',
    );
  });
});
