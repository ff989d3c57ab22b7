import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { freePort } from '../../src/infra/ports.js';
import { removeEmbeddedPostgresData } from '../../src/infra/postgres.js';

/**
 * A start-up that fails, of `npm test`'s harness (test/run.ts) or of `npm start` (src/dev/start.ts), prints one
 * message without a stack trace and leaves no process behind. Each is run as the leader of a new session, so
 * everything it starts (Temporal, PostgreSQL, their children) can be found afterwards by its session id.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STACK_FRAME = /^\s+at .+(\(|:\d+:\d+)/m;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Processes of the run's session still alive after it exited: `pid command`. */
  leftovers: string[];
}

function stat(pid: string): { sid: number; command: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces): state ppid pgrp session ...
    const [state, , , sid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // A zombie has ended; it only waits for init, which adopted it, to read its exit status.
    if (state === 'Z') return undefined;
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return { sid: Number(sid), command };
  } catch {
    return undefined;
  }
}

function sessionMembers(sid: number): string[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((pid) => {
      const found = stat(pid);
      return found?.sid === sid ? [`${pid} ${found.command}`] : [];
    });
}

/** The product's environment without what the outer test run set. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (
      /^(TEST_|ROLLCALL_TEST_)|^(DATABASE_URL|TEMPORAL_ADDRESS|LOG_LEVEL|NODE_TEST_CONTEXT|PORT|DATA_DIR)$/.test(name)
    )
      continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

class Run {
  readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private readonly exited: Promise<Outcome>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        // Give killed processes a moment to be reaped before looking for leftovers.
        setTimeout(() => {
          const pid = this.child.pid ?? -1;
          resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, leftovers: sessionMembers(pid) });
        }, 500);
      });
    });
  }

  /** Waits until a process of this run's session matches (e.g. the Temporal dev server it is starting). */
  async waitForProcess(pattern: RegExp, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`exited before ${pattern} ran:\n${this.stderr}`);
      if (sessionMembers(this.child.pid ?? -1).some((line) => pattern.test(line))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no process matching ${pattern} within ${timeoutMs / 1000} s:\n${this.stderr}`);
  }

  async outcome(timeoutMs = 90_000): Promise<Outcome> {
    const timer = setTimeout(() => {
      for (const line of sessionMembers(this.child.pid ?? -1)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    }, timeoutMs);
    try {
      const outcome = await this.exited;
      // Found, reported, and then not left running whatever the verdict.
      for (const line of outcome.leftovers) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A "PostgreSQL" that accepts connections and never answers, until told to hang up. */
async function silentDatabase(): Promise<{ url: string; hangUp: () => void; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const hangUp = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`,
    hangUp,
    close: () => {
      hangUp();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const harness = (env: Record<string, string>) => new Run(['test/run.ts', 'test/e2e/live-page.test.ts'], cleanEnv(env));
const TEMPORAL_RUNNING = /start-dev|go install/;

describe('a failed start-up', () => {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('of the test harness: PostgreSQL fails while Temporal is starting → one message, and Temporal is stopped', async () => {
    const database = await silentDatabase();
    cleanups.push(database.close);
    const run = harness({ DATABASE_URL: database.url });
    await run.waitForProcess(TEMPORAL_RUNNING);
    database.hangUp();
    const outcome = await run.outcome();
    assert.equal(outcome.code, 1, outcome.stderr);
    const failures = outcome.stderr.split('\n').filter((line) => line.includes('harness failed'));
    assert.equal(failures.length, 1, outcome.stderr);
    assert.match(failures[0] ?? '', /DATABASE_URL: cannot connect/);
    assert.doesNotMatch(outcome.stderr, STACK_FRAME);
    assert.deepEqual(outcome.leftovers, [], 'processes left behind');
  });

  it('of the test harness: stopped by SIGTERM while starting → nothing left behind', async () => {
    const database = await silentDatabase();
    cleanups.push(database.close);
    const run = harness({ DATABASE_URL: database.url });
    await run.waitForProcess(TEMPORAL_RUNNING);
    run.child.kill('SIGTERM');
    const outcome = await run.outcome();
    assert.notEqual(outcome.code, 0);
    assert.doesNotMatch(outcome.stderr, STACK_FRAME);
    assert.deepEqual(outcome.leftovers, [], 'processes left behind');
  });

  it('of npm start: embedded PostgreSQL up (as root too, under a 0700 directory), then Temporal unreachable → one message, PostgreSQL stopped', async () => {
    // mkdtemp makes it 0700: as root, the postgres user cannot enter it, and the start must cope.
    const dataDir = mkdtempSync(join(tmpdir(), 'rollcall-start-'));
    cleanups.push(() => {
      removeEmbeddedPostgresData(join(dataDir, 'postgres'));
      rmSync(dataDir, { recursive: true, force: true });
    });
    const closed = await freePort();
    const run = new Run(
      ['src/dev/start.ts'],
      cleanEnv({
        DATA_DIR: dataDir,
        TEMPORAL_ADDRESS: `127.0.0.1:${closed}`,
        PORT: String(await freePort()),
        WORKER_METRICS_PORT: '0',
        SDK_METRICS_PORT: '0',
      }),
    );
    const outcome = await run.outcome();
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(
      outcome.stdout,
      /Applied migrations|Database schema is up to date/,
      'PostgreSQL started and was migrated',
    );
    assert.equal(outcome.stderr.trim().split('\n')[0], 'rollcall: Invalid configuration:', outcome.stderr);
    assert.match(outcome.stderr, /TEMPORAL_ADDRESS: /);
    assert.doesNotMatch(outcome.stderr, STACK_FRAME);
    assert.deepEqual(outcome.leftovers, [], 'processes left behind');
  });

  it('of npm start: PostgreSQL itself cannot start → one message, no stack trace', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rollcall-start-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // DATA_DIR/postgres is a file: neither initdb nor the server can use it.
    writeFileSync(join(dataDir, 'postgres'), 'not a directory');
    const run = new Run(
      ['src/dev/start.ts'],
      cleanEnv({ DATA_DIR: dataDir, PORT: String(await freePort()), WORKER_METRICS_PORT: '0', SDK_METRICS_PORT: '0' }),
    );
    const outcome = await run.outcome();
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(outcome.stderr, /^rollcall: failed to start: /m);
    assert.equal(outcome.stderr.match(/rollcall: /g)?.length, 1, outcome.stderr);
    assert.doesNotMatch(outcome.stderr, STACK_FRAME);
    assert.deepEqual(outcome.leftovers, [], 'processes left behind');
  });
});
