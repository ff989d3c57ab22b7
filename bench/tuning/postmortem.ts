/**
 * Post-mortem of one session's workflow from a kept scenario run (`--keep`, or any run where a process
 * crashed): per run of its continue-as-new chain, the history's size, its workflow task failures by cause,
 * the most signals buffered between two tasks, and how long the worker needs to replay it — what a cache miss
 * or a retried (non-sticky) task costs, against the SDK's 5 s isolate execution timeout.
 * Run: npx tsx bench/tuning/postmortem.ts <temp dir>/temporal.sqlite <workflow id> → bench/results/tuning/postmortem.json
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { dataConverter } from '../../src/infra/payload-codec.js';
import { freePort } from '../../src/infra/ports.js';
import { startTemporalDevServer } from '../../src/infra/temporal-server.js';
import { bundleWorkflows } from '../../src/worker/bundle.js';
import { fetchRunHistories } from '../../src/worker/replay.js';
import { runHealth } from '../support/histories.js';
import { RESULTS_DIR } from '../support/results.js';
import { round } from '../support/stats.js';

const [sqlite, workflowId] = process.argv.slice(2);
if (!sqlite || !workflowId) throw new Error('usage: npx tsx bench/tuning/postmortem.ts <temporal.sqlite> <workflow id>');

// A copy, so the kept run stays as it was (WAL and shared-memory files travel with it).
const dir = mkdtempSync(join(tmpdir(), 'rollcall-postmortem-'));
for (const suffix of ['', '-wal', '-shm']) if (existsSync(sqlite + suffix)) copyFileSync(sqlite + suffix, join(dir, `temporal.sqlite${suffix}`));
const temporal = await startTemporalDevServer({ dbFile: join(dir, 'temporal.sqlite'), port: await freePort(), namespace: 'default', log: () => undefined });
const client = new Client({ connection: await Connection.connect({ address: temporal.address }), dataConverter });
try {
  const workflowBundle = { code: await bundleWorkflows() };
  const histories = await fetchRunHistories(client, workflowId);
  // One replay worker for every history; the first run is replayed twice, the first time only to start the worker.
  const order = [histories[0]!, ...histories];
  const runs = [];
  let last = performance.now();
  let index = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle, dataConverter }, order.map((run) => ({ workflowId, history: run.history })))) {
    const now = performance.now();
    const run = order[index]!;
    if (index > 0) {
      const { signals, tasksCompleted, tasksFailed, failedBy, maxSignalsPerTask, continuedAsNew } = runHealth(run.history);
      const figures = { runId: run.runId, events: run.history.events?.length ?? 0, signals, tasksCompleted, tasksFailed, failedBy, maxSignalsPerTask, continuedAsNew: continuedAsNew > 0, replayMs: round(now - last), replayError: result.error ? String(result.error).slice(0, 200) : undefined };
      runs.push(figures);
      process.stderr.write(`${JSON.stringify(figures)}\n`);
    }
    last = now;
    index += 1;
  }
  mkdirSync(`${RESULTS_DIR}tuning`, { recursive: true });
  writeFileSync(`${RESULTS_DIR}tuning/postmortem.json`, `${JSON.stringify({ measuredAt: new Date().toISOString(), workflowId, runs }, null, 2)}\n`);
} finally {
  await client.connection.close();
  await temporal.stop();
  rmSync(dir, { recursive: true, force: true });
}

