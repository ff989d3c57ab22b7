/**
 * `npm test`: provides real infrastructure once per run, then runs every test file with node's test runner.
 * - Temporal: TEMPORAL_ADDRESS when set, else a dev server (in memory, headless) on a free port.
 * - PostgreSQL: the server of DATABASE_URL when set, else an embedded one in a temp dir; either way a fresh
 *   database per run, migrated.
 * - Workflows bundled once and shared with every file through ROLLCALL_TEST_WORKFLOW_BUNDLE.
 * Arguments select test files or folders (default: test/unit, test/integration, test/e2e, test/faults and test/fuzz;
 * the last two start their own processes, see test/support/kit/dev-stack.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { migrate } from '../src/db/migrate.js';
import { freePort } from '../src/infra/ports.js';
import { databaseUrlFor, removeEmbeddedPostgresData, startEmbeddedPostgres } from '../src/infra/postgres.js';
import { descendantsOf, killDescendants, killDescendantsOnExit } from '../src/infra/processes.js';
import { describeError } from '../src/infra/run-main.js';
import { startTemporalDevServer } from '../src/infra/temporal-server.js';
import { createLogger } from '../src/logger.js';
import { bundleWorkflows } from '../src/worker/bundle.js';

const say = (line: string) => process.stderr.write(`[test] ${line}\n`);
const cleanups: Array<() => Promise<void>> = [];
let testRunner: ChildProcess | undefined;

function testFiles(targets: string[]): string[] {
  return targets.flatMap((target) => {
    if (!statSync(target).isDirectory()) return [target];
    return readdirSync(target, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => join(target, name))
      .sort();
  });
}

async function provideDatabase(scratch: string): Promise<string> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const dataDir = join(scratch, 'postgres');
    cleanups.push(() => Promise.resolve(removeEmbeddedPostgresData(dataDir)));
    const postgres = await startEmbeddedPostgres(dataDir, await freePort(), say);
    cleanups.push(postgres.stop);
    serverUrl = postgres.serverUrl;
  }
  const database = `rollcall_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect().catch((error: unknown) => {
    throw new Error(`DATABASE_URL: cannot connect (${describeError(error)})`);
  });
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  cleanups.push(async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    // The run's database and every per-file copy of it (test/support/database.ts).
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `${database}%`,
    ]);
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await client.end();
  });
  const url = databaseUrlFor(serverUrl, database);
  await migrate(url, createLogger('test', 'warn'));
  return url;
}

async function provideTemporal(): Promise<string> {
  if (process.env.TEMPORAL_ADDRESS) return process.env.TEMPORAL_ADDRESS;
  const temporal = await startTemporalDevServer({ port: await freePort(), namespace: 'default', log: say });
  cleanups.push(temporal.stop);
  return temporal.address;
}

async function main(): Promise<number> {
  // test/faults and test/fuzz at their CI sizes (npm run test:faults runs the full ones).
  // Arguments starting with `--` go to node's test runner (e.g. --test-name-pattern=…); the rest select files.
  const args = process.argv.slice(2);
  const runnerFlags = args.filter((arg) => arg.startsWith('--'));
  const targets = args.filter((arg) => !arg.startsWith('--'));
  const files = testFiles(
    targets.length > 0 ? targets : ['test/unit', 'test/integration', 'test/e2e', 'test/faults', 'test/fuzz'],
  );
  if (files.length === 0) throw new Error('no test files selected');
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Unit tests need no infrastructure, and fault and fuzz tests run their own (test/support/kit/dev-stack.ts):
  // start the shared one only when another test is selected.
  const ownInfrastructure = ['unit', 'faults', 'fuzz'].map((dir) => join('test', dir));
  if (files.some((file) => !ownInfrastructure.some((dir) => resolve(file).includes(dir)))) {
    const scratch = mkdtempSync(join(tmpdir(), 'rollcall-test-'));
    // As root, embedded PostgreSQL runs as the `postgres` user, which must be able to enter this directory.
    chmodSync(scratch, 0o755);
    cleanups.push(() => Promise.resolve(rmSync(scratch, { recursive: true, force: true })));
    const started = Date.now();
    // The first failure ends the run at once: what the others started so far is stopped or killed on the way out.
    const [databaseUrl, temporalAddress, bundle] = await Promise.all([
      provideDatabase(scratch),
      provideTemporal(),
      bundleWorkflows(),
    ]);
    const bundlePath = join(scratch, 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle);
    Object.assign(env, {
      TEST_DATABASE_URL: databaseUrl,
      TEST_TEMPORAL_ADDRESS: temporalAddress,
      ROLLCALL_TEST_WORKFLOW_BUNDLE: bundlePath,
    });
    say(`infrastructure ready in ${((Date.now() - started) / 1000).toFixed(1)} s (Temporal ${temporalAddress})`);
  }
  return new Promise((resolveExit) => {
    testRunner = spawn(
      process.execPath,
      ['--import', 'tsx', '--test', '--test-reporter=spec', ...runnerFlags, ...files],
      { env, stdio: 'inherit' },
    );
    testRunner.on('exit', (code) => resolveExit(code ?? 1));
  });
}

let finishing: Promise<never> | undefined;
/** Stops the test runner, runs the cleanups, kills whatever is still running (a server half-started), exits. */
function finish(exitCode: number): Promise<never> {
  finishing ??= (async () => {
    // The test files first (they may hold the servers' connections), then the servers are stopped in order.
    if (testRunner?.pid && testRunner.exitCode === null && testRunner.signalCode === null) {
      for (const pid of [...descendantsOf(testRunner.pid), testRunner.pid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => say(`cleanup failed: ${describeError(error)}`));
    killDescendants();
    process.exit(exitCode);
  })();
  return finishing;
}

// However this process ends, nothing it started outlives it.
killDescendantsOnExit();
process.on('uncaughtException', (error) => {
  say(`harness failed: ${describeError(error)}`);
  void finish(1);
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    say(`${signal}, stopping...`);
    void finish(130);
  });
}

try {
  await finish(await main());
} catch (error) {
  say(`harness failed: ${describeError(error)}`);
  await finish(1);
}
