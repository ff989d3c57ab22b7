import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import proto from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import type { TestSystem } from './system.js';

/**
 * Fixtures are written with the proto classes' own toObject/fromObject: the SDK's historyToJSON uses a second
 * copy of protobufjs in this dependency tree and refuses these classes ("type must be a Type").
 */
const { History } = proto.temporal.api.history.v1;
const JSON_FORM = { longs: String, enums: String, bytes: String, defaults: false } as const;

/** Recorded workflow histories, replayed by every `npm test` against the current workflow code. */
export const HISTORY_FIXTURES = 'test/fixtures/histories';

export function replayOptions() {
  const codePath = process.env.ROLLCALL_TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('ROLLCALL_TEST_WORKFLOW_BUNDLE is not set: run through `npm test`');
  return { workflowBundle: { codePath } };
}

/**
 * Replays a just-finished workflow's history against the bundle (any non-determinism throws). With
 * RECORD_HISTORIES=1 it also keeps the history as a fixture, so later code is replayed against it.
 */
export async function replayAndKeep(system: TestSystem, workflowId: string, fixtureName: string): Promise<void> {
  const history = await system.client.workflow.getHandle(workflowId).fetchHistory();
  await Worker.runReplayHistory(replayOptions(), history, workflowId);
  if (process.env.RECORD_HISTORIES === '1') {
    mkdirSync(HISTORY_FIXTURES, { recursive: true });
    writeFileSync(join(HISTORY_FIXTURES, `${fixtureName}.json`), `${JSON.stringify(History.toObject(History.fromObject(history), JSON_FORM), null, 1)}\n`);
  }
}

export function loadFixtureHistories(): Array<{ name: string; history: proto.temporal.api.history.v1.History }> {
  return readdirSync(HISTORY_FIXTURES)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ name: file, history: History.fromObject(JSON.parse(readFileSync(join(HISTORY_FIXTURES, file), 'utf8')) as object) }));
}
