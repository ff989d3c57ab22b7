/**
 * Cluster mode (src/cluster/main.ts, what `npm run cluster` runs) started as one real process in a data dir
 * of its own — temporal-server on PostgreSQL, the UI server, 2 workers and 2 API processes behind one address —
 * and read from outside through its state file (DATA_DIR/cluster/cluster.json), as an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterState } from '../../../src/cluster/main.js';
import { descendantsOf } from '../../../src/infra/processes.js';
import { removeEmbeddedPostgresData } from '../../../src/infra/postgres.js';
import { productionBuild } from './build.js';
import { cleanUpOnExit, killLeftovers, postgresPids, PROJECT_ROOT } from './proc.js';

const STARTUP_MS = 600_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface ClusterStackOptions {
  /** Settings of the supervisor, handed on to every process it starts. */
  env: Record<string, string>;
  /** `source` (default): src/cluster/main.ts under tsx; `production`: the build `npm run cluster` runs. */
  build?: 'source' | 'production';
  /** Where the build's notices go (default: stderr). */
  log?: (line: string) => void;
}

export class ClusterStack {
  readonly output: string[] = [];
  exit?: { code: number | null; signal: NodeJS.Signals | null };

  private constructor(
    readonly child: ChildProcess,
    readonly dataDir: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 400) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('exit', (code, signal) => (this.exit = { code, signal }));
  }

  /** Starts the supervisor and returns once it says the cluster is running (every process ready), with how long that took. */
  static async start(options: ClusterStackOptions): Promise<{ cluster: ClusterStack; readyMs: number }> {
    cleanUpOnExit();
    const log = options.log ?? ((line: string) => process.stderr.write(`[cluster] ${line}\n`));
    const entry =
      options.build === 'production'
        ? [join(await productionBuild(log), 'cluster', 'main.js')]
        : ['--import', 'tsx', 'src/cluster/main.ts'];
    const dataDir = mkdtempSync(join(tmpdir(), 'rollcall-cluster-'));
    // As root, embedded PostgreSQL runs as the `postgres` user, which must be able to enter this directory.
    chmodSync(dataDir, 0o755);
    const started = Date.now();
    const child = spawn(process.execPath, entry, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATA_DIR: dataDir, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const cluster = new ClusterStack(child, dataDir);
    while (!cluster.text.includes('Rollcall cluster is running')) {
      if (cluster.exit)
        throw new Error(
          `the cluster exited during start-up (${JSON.stringify(cluster.exit)}):\n${cluster.text.slice(-4_000)}`,
        );
      if (Date.now() - started > STARTUP_MS) {
        await cluster.stop();
        throw new Error(`the cluster was not running within ${STARTUP_MS / 1000} s:\n${cluster.text.slice(-4_000)}`);
      }
      await sleep(250);
    }
    return { cluster, readyMs: Date.now() - started };
  }

  /** The supervisor's output so far (its last 400 writes). */
  get text(): string {
    return this.output.join('');
  }

  get state(): ClusterState {
    return JSON.parse(readFileSync(join(this.dataDir, 'cluster', 'cluster.json'), 'utf8')) as ClusterState;
  }

  processNamed(name: string): ClusterState['processes'][number] {
    const found = this.state.processes.find((process) => process.name === name);
    if (!found) throw new Error(`cluster.json lists no ${name}`);
    return found;
  }

  /** Pids of the cluster's processes by part, for memory and CPU readings. */
  pids(): { worker: number[]; api: number[]; temporal: number[]; postgres: number[] } {
    const named = (prefix: string) =>
      this.state.processes
        .filter((process) => process.name.startsWith(prefix))
        .flatMap((process) => (process.pid === undefined ? [] : [process.pid]));
    return {
      worker: named('worker-'),
      api: named('api-'),
      temporal: named('temporal-server'),
      postgres: this.child.pid === undefined ? [] : postgresPids(descendantsOf(this.child.pid)),
    };
  }

  /** The Prometheus endpoints of the API processes and the workers (each worker's own, then its SDK's). */
  metricsUrls(): { api: string[]; worker: string[]; sdk: string[] } {
    const of = (prefix: string) =>
      this.state.processes.filter((process) => process.name.startsWith(prefix)).map((process) => process.metrics ?? []);
    return {
      api: of('api-').flat(),
      worker: of('worker-').flatMap((urls) => urls.slice(0, 1)),
      sdk: of('worker-').flatMap((urls) => urls.slice(1)),
    };
  }

  /** The supervisor's output and the end of each process's log, for a failure message. */
  diagnostics(): string {
    const logs = this.state.processes.map((process) => {
      const text = existsSync(process.logFile) ? readFileSync(process.logFile, 'utf8') : '';
      return `---- ${process.name} (starts ${process.starts}, crashes ${process.crashes}), end of ${process.logFile}:\n${text.slice(-1_500)}`;
    });
    return [`---- supervisor:\n${this.text.slice(-3_000)}`, ...logs].join('\n');
  }

  /** SIGKILLs one of the cluster's processes and waits until the supervisor has it serving again; returns how long it was down. */
  async killAndAwaitRestart(name: string): Promise<number> {
    const before = this.processNamed(name);
    if (!before.pid || !alive(before.pid)) throw new Error(`${name} is not running before the kill`);
    const killed = Date.now();
    process.kill(before.pid, 'SIGKILL');
    for (;;) {
      const now = this.processNamed(name);
      if (now.pid && now.pid !== before.pid && now.starts === before.starts + 1) return Date.now() - killed;
      if (Date.now() - killed > 180_000)
        throw new Error(`${name} was not restarted within 180 s:\n${this.text.slice(-3_000)}`);
      await sleep(250);
    }
  }

  /** SIGTERM, as Ctrl-C (SIGKILL after 90 s); the exit code. */
  async stop(): Promise<number | null> {
    if (!this.exit) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 90_000);
      await exited;
      clearTimeout(timer);
    }
    return this.exit?.code ?? null;
  }

  /**
   * After stop: kills and returns whatever the cluster left running, and removes its data dir unless kept
   * (ROLLCALL_KEEP_CLUSTER=1, or `keep`).
   */
  remove(keep = process.env.ROLLCALL_KEEP_CLUSTER === '1'): string[] {
    const leftovers = killLeftovers();
    if (!keep) {
      removeEmbeddedPostgresData(join(this.dataDir, 'cluster', 'postgres'));
      rmSync(this.dataDir, { recursive: true, force: true });
    }
    return leftovers;
  }
}
