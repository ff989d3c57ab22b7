import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { parsePayloadKeys, type PayloadKey } from '../../src/config/payload-keys.js';
import { createDataConverter } from '../../src/infra/payload-codec.js';
import { historyFromJson, historyToJson, type WorkflowHistory } from '../../src/worker/replay.js';
import { TEST_PAYLOAD_KEY, type TestSystem } from './system.js';

/** Recorded workflow histories, replayed by every `npm test` against the current workflow code. */
export const HISTORY_FIXTURES = 'test/fixtures/histories';

export function replayOptions() {
  const codePath = process.env.ROLLCALL_TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('ROLLCALL_TEST_WORKFLOW_BUNDLE is not set: run through `npm test`');
  // Test systems encrypt with TEST_PAYLOAD_KEY (fixtures recorded before encryption are plain: passed through).
  return {
    workflowBundle: { codePath },
    dataConverter: createDataConverter(parsePayloadKeys(TEST_PAYLOAD_KEY) as PayloadKey[]),
  };
}

/**
 * Replays a just-finished workflow's history (its latest run, or the run `runId`: one link of a continue-as-new
 * chain) against the bundle (any non-determinism throws). With RECORD_HISTORIES=1 it also keeps the history as
 * a fixture, so later code is replayed against it.
 */
export async function replayAndKeep(
  system: TestSystem,
  workflowId: string,
  fixtureName: string,
  runId?: string,
): Promise<void> {
  const history = await system.client.workflow.getHandle(workflowId, runId).fetchHistory();
  await Worker.runReplayHistory(replayOptions(), history, workflowId);
  if (process.env.RECORD_HISTORIES === '1') {
    mkdirSync(HISTORY_FIXTURES, { recursive: true });
    writeFileSync(join(HISTORY_FIXTURES, `${fixtureName}.json`), historyToJson(history));
  }
}

export function loadFixtureHistories(): Array<{ name: string; history: WorkflowHistory }> {
  return readdirSync(HISTORY_FIXTURES)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ name: file, history: historyFromJson(readFileSync(join(HISTORY_FIXTURES, file), 'utf8')) }));
}
