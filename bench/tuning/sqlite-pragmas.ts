/**
 * A/B of the dev server's SQLite pragmas, the evidence behind the default in src/infra/temporal-server.ts.
 * Each trial is a fresh dev server on a fresh SQLite file and no worker: 300 signalWithStarts that start a
 * workflow each, then 1,500 signals spread over those workflows, 32 in flight. Variants are interleaved round
 * by round so a busy moment of the shared machine hits all of them; medians over the rounds.
 * Run: npx tsx bench/tuning/sqlite-pragmas.ts [rounds=3]   → bench/results/tuning/sqlite-pragmas.json
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../src/infra/ports.js';
import { startTemporalDevServer } from '../../src/infra/temporal-server.js';
import { drive } from '../support/load.js';
import { RESULTS_DIR } from '../support/results.js';
import { median } from '../support/stats.js';

const VARIANTS: Record<string, Record<string, string> | 'memory'> = {
  'SQLite defaults (DELETE journal, synchronous FULL)': { journal_mode: 'DELETE', synchronous: 'FULL' },
  'journal_mode=WAL': { journal_mode: 'WAL', synchronous: 'FULL' },
  'journal_mode=WAL, synchronous=NORMAL': { journal_mode: 'WAL', synchronous: 'NORMAL' },
  'journal_mode=WAL, synchronous=OFF': { journal_mode: 'WAL', synchronous: 'OFF' },
  'in memory (no file; the test suite)': 'memory',
};
const STARTS = 300;
const SIGNALS = 1_500;
const CONCURRENCY = 32;

async function trial(variant: Record<string, string> | 'memory'): Promise<{ startsPerS: number; signalsPerS: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'rollcall-pragmas-'));
  const temporal = await startTemporalDevServer({
    port: await freePort(),
    namespace: 'default',
    dbFile: variant === 'memory' ? undefined : join(dir, 'temporal.sqlite'),
    sqlitePragmas: variant === 'memory' ? undefined : variant,
    log: () => undefined,
  });
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  try {
    const signal = (workflowId: string, i: number) => client.workflow.signalWithStart('sessionWorkflow', { workflowId, taskQueue: 'nobody-polls', signal: 'events', signalArgs: [i] }).then(() => '200');
    const starts = await drive({ count: STARTS, concurrency: CONCURRENCY, send: (i) => signal(`w-${i}`, i) });
    const signals = await drive({ count: SIGNALS, concurrency: CONCURRENCY, send: (i) => signal(`w-${i % STARTS}`, i) });
    return { startsPerS: starts.throughput, signalsPerS: signals.throughput };
  } finally {
    await client.connection.close();
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rounds = Number(process.argv[2] ?? 3);
const trials: Record<string, Array<{ startsPerS: number; signalsPerS: number }>> = {};
for (let round = 1; round <= rounds; round++) {
  for (const [name, variant] of Object.entries(VARIANTS)) {
    const result = await trial(variant);
    (trials[name] ??= []).push(result);
    process.stderr.write(`round ${round}: ${name}: ${result.startsPerS} starts/s, ${result.signalsPerS} signals/s\n`);
  }
}
const summary = Object.entries(trials).map(([name, results]) => ({
  variant: name,
  startsPerS: median(results.map((r) => r.startsPerS)),
  signalsPerS: median(results.map((r) => r.signalsPerS)),
  trials: results,
}));
for (const row of summary) process.stderr.write(`median: ${row.variant}: ${row.startsPerS} starts/s, ${row.signalsPerS} signals/s\n`);
mkdirSync(`${RESULTS_DIR}tuning`, { recursive: true });
writeFileSync(`${RESULTS_DIR}tuning/sqlite-pragmas.json`, `${JSON.stringify({ measuredAt: new Date().toISOString(), rounds, starts: STARTS, signals: SIGNALS, concurrency: CONCURRENCY, summary }, null, 2)}\n`);
