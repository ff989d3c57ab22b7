/**
 * A small cluster of REAL processes for fault injection: embedded PostgreSQL (own data dir), a Temporal dev
 * server with its SQLite file, and the worker and API as `node --import tsx src/.../main.ts` children, each on a
 * free port and each stoppable, killable and restartable in place (same port, same data). Unlike test/run.ts's
 * shared infrastructure, everything here belongs to one test file, which may kill any of it.
 *
 * No orphans: `stop()` ends everything in reverse order, and a synchronous exit hook SIGKILLs whatever this
 * process still has as descendants when the test process exits (a failure, a timeout, Ctrl-C).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { migrate } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { dataConverter } from '../../src/infra/payload-codec.js';
import { freePort } from '../../src/infra/ports.js';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from '../../src/infra/postgres.js';
import { startTemporalDevServer, type RunningTemporal } from '../../src/infra/temporal-server.js';
import { createLogger } from '../../src/logger.js';
import { descendantsOf, NodeService, type ExitRecord } from './node-service.js';
import { PROVIDER_SETTINGS } from './scenario.js';

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

// ---- orphan safety net ----------------------------------------------------------------------------

let exitHookInstalled = false;
/** Scratch dirs of clusters not stopped yet: removed on exit too (unless kept). */
const liveScratch = new Set<string>();

/** On exit, however it happens, SIGKILL every descendant still alive: a failed test never leaves processes behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const pid of descendantsOf(process.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (process.env.ROLLCALL_KEEP_CLUSTER !== '1')
      for (const dir of liveScratch) rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

// ---- infrastructure --------------------------------------------------------------------------------

const sayCluster = (line: string) => process.stderr.write(`[cluster] ${line}\n`);

/** A server the harness stops and restarts in place (same port, same data), each start and stop timed and logged. */
abstract class ManagedServer<R extends { stop(): Promise<void> }> {
  private running?: R;

  constructor(
    private readonly label: string,
    readonly port: number,
  ) {}

  protected abstract launch(): Promise<R>;

  get up(): boolean {
    return this.running !== undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const started = Date.now();
    this.running = await this.launch();
    sayCluster(`${this.label} up on ${this.port} in ${elapsed(started)}`);
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    const started = Date.now();
    await running.stop();
    sayCluster(`${this.label} on ${this.port} stopped in ${elapsed(started)}`);
  }
}

/** Embedded PostgreSQL in its own data dir. */
export class ManagedPostgres extends ManagedServer<RunningPostgres> {
  databaseUrl = '';

  constructor(
    readonly dataDir: string,
    port: number,
  ) {
    super('PostgreSQL', port);
  }

  protected async launch(): Promise<RunningPostgres> {
    const running = await startEmbeddedPostgres(this.dataDir, this.port, sayCluster);
    if (!this.databaseUrl) this.databaseUrl = await ensureDatabase(running.serverUrl, 'rollcall');
    return running;
  }
}

/** A Temporal dev server keeping its state in a SQLite file. */
export class ManagedTemporal extends ManagedServer<RunningTemporal> {
  readonly address: string;

  constructor(
    readonly dbFile: string,
    port: number,
  ) {
    super('Temporal', port);
    this.address = `127.0.0.1:${port}`;
  }

  protected launch(): Promise<RunningTemporal> {
    return startTemporalDevServer({ dbFile: this.dbFile, port: this.port, namespace: 'default', log: sayCluster });
  }
}

// ---- the cluster -------------------------------------------------------------------------------------

export interface ClusterOptions {
  /** Label for the scratch dir and logs. */
  name: string;
  /** Environment for the worker and the API on top of the cluster's own (e.g. CALCULATION_DELAY). */
  env?: Record<string, string>;
  /** Start the worker (default true); the fuzz run needs only the API. */
  worker?: boolean;
  /** Keep the scratch dir (databases) after stop; default: kept only when ROLLCALL_KEEP_CLUSTER=1. Logs are always kept. */
  keep?: boolean;
}

export class Cluster {
  /** A client of the cluster's Temporal; lazy, so it survives the server's restarts. */
  readonly client: Client;
  /** A pool on the cluster's database, for reading what the product persisted. */
  readonly pool: Pool;
  /** The current case: its start, and what aborts at its first crash. */
  private epoch = { since: Date.now(), controller: new AbortController() };

  private constructor(
    readonly options: ClusterOptions,
    readonly scratch: string,
    readonly postgres: ManagedPostgres,
    readonly temporal: ManagedTemporal,
    readonly worker: NodeService,
    readonly api: NodeService,
    readonly apiPort: number,
    /** worker.log and api.log, kept after stop (outside the scratch dir) for the post-mortem of a failed case. */
    readonly logDir: string,
    /** The worker's task queue (and the API's), one per cluster. */
    readonly taskQueue: string,
  ) {
    // The product's data converter: big payloads (carried state, presence) are gzipped.
    this.client = new Client({
      connection: Connection.lazy({ address: temporal.address, connectTimeout: 1_000 }),
      namespace: 'default',
      dataConverter,
    });
    this.pool = createPool(postgres.databaseUrl, 4);
    for (const service of [worker, api])
      service.onCrash = (exit) =>
        this.epoch.controller.abort(new Error(`${exit.name} crashed (code ${exit.code}, signal ${exit.signal})`));
  }

  /** Aborts at the first crash of the worker or the API in the current case, so a test stops feeding a dead system. */
  get crashed(): AbortSignal {
    return this.epoch.controller.signal;
  }

  /** Starts a new case: crashes before it were reported by the case they happened in, and no longer count. */
  beginCase(): void {
    this.epoch = { since: Date.now(), controller: new AbortController() };
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** Starts PostgreSQL and Temporal in parallel, migrates, then the worker and the API. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    installExitHook();
    const started = Date.now();
    const scratch = mkdtempSync(join(tmpdir(), `rollcall-${options.name}-`));
    liveScratch.add(scratch);
    // As root, embedded PostgreSQL runs as the `postgres` user, which must be able to enter this directory.
    chmodSync(scratch, 0o755);
    const [pgPort, temporalPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const logDir = join(
      tmpdir(),
      'rollcall-fault-logs',
      `${options.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    );
    mkdirSync(logDir, { recursive: true });
    const postgres = new ManagedPostgres(join(scratch, 'postgres'), pgPort);
    const temporal = new ManagedTemporal(join(scratch, 'temporal.sqlite'), temporalPort);
    const partial: Array<() => Promise<void>> = [];
    try {
      const results = await Promise.allSettled([postgres.start(), temporal.start()]);
      partial.push(
        () => temporal.stop(),
        () => postgres.stop(),
      );
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      await migrate(postgres.databaseUrl, createLogger('migrate', 'warn'));
      const taskQueue = `faults-${options.name}`;
      const env = (logLevel: string) => (): NodeJS.ProcessEnv => ({
        ...process.env,
        NODE_ENV: 'test',
        DATABASE_URL: postgres.databaseUrl,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: taskQueue,
        PORT: String(apiPort),
        LOG_LEVEL: logLevel,
        CALCULATION_DELAY: '3s',
        LATE_EVENT_WINDOW: '10m',
        SESSION_MAX_OVERRUN: '3h',
        // Fixed default ports would collide between clusters and restarts: metrics endpoints off.
        WORKER_METRICS_PORT: '0',
        SDK_METRICS_PORT: '0',
        ...PROVIDER_SETTINGS,
        ...options.env,
      });
      const worker = new NodeService({
        name: 'worker',
        args: ['--import', 'tsx', 'src/worker/main.ts'],
        env: env('info'),
        logFile: join(logDir, 'worker.log'),
        ready: workerReady,
      });
      const api = new NodeService({
        name: 'api',
        args: ['--import', 'tsx', 'src/api/main.ts'],
        env: env('warn'),
        logFile: join(logDir, 'api.log'),
        ready: () => apiReady(apiPort),
      });
      const cluster = new Cluster(options, scratch, postgres, temporal, worker, api, apiPort, logDir, taskQueue);
      partial.unshift(() => cluster.closeClients());
      await Promise.all([options.worker === false ? Promise.resolve() : worker.start(), api.start()]);
      process.stderr.write(`[cluster] ${options.name} ready in ${elapsed(started)} (scratch ${scratch})\n`);
      return cluster;
    } catch (error) {
      for (const stop of partial) await stop().catch(() => undefined);
      rmSync(scratch, { recursive: true, force: true });
      liveScratch.delete(scratch);
      throw error;
    }
  }

  /** Crashes (exits the harness did not cause) of the worker and the API in the current case. */
  crashes(): ExitRecord[] {
    return [...this.worker.crashes(), ...this.api.crashes()]
      .filter((exit) => exit.at >= this.epoch.since)
      .sort((a, b) => a.at - b.at);
  }

  /** The case's crashes as a readable report (exit, then the end of the crashed process's output); empty when none. */
  crashReport(): string {
    return this.crashes()
      .map(
        (exit) =>
          `${exit.name} (pid ${exit.pid}) exited with code ${exit.code}, signal ${exit.signal}; its last output:\n${exit.logTail
            .split('\n')
            .filter((line) => !/^\s*\d+: 0x/.test(line))
            .slice(-25)
            .join('\n')}`,
      )
      .join('\n\n');
  }

  private async closeClients(): Promise<void> {
    await this.client.connection.close().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /** Stops everything in reverse order of starting; safe to call twice, never throws. */
  async stop(): Promise<void> {
    const started = Date.now();
    for (const step of [
      () => this.api.stop(),
      () => this.worker.stop(),
      () => this.closeClients(),
      () => this.temporal.stop(),
      () => this.postgres.stop(),
    ]) {
      await step().catch((error: unknown) => process.stderr.write(`[cluster] stop step failed: ${String(error)}\n`));
    }
    // Whatever the cluster started and is still alive now is an orphan in the making: report it, kill it.
    // (tsx's own esbuild service is a descendant of the test process too, but not the cluster's.)
    const left = descendantsOf(process.pid).filter((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmdline.length > 0 && !cmdline.includes('esbuild');
      } catch {
        return false;
      }
    });
    for (const pid of left) {
      process.stderr.write(
        `[cluster] leftover process ${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}; killing it\n`,
      );
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    const keep = this.options.keep ?? process.env.ROLLCALL_KEEP_CLUSTER === '1';
    if (!keep) rmSync(this.scratch, { recursive: true, force: true });
    liveScratch.delete(this.scratch);
    process.stderr.write(
      `[cluster] ${this.options.name} stopped in ${elapsed(started)}${keep ? ` (kept ${this.scratch})` : ''}; logs in ${this.logDir}\n`,
    );
  }
}

/** The worker logs this line (info) once it polls its task queue. */
function workerReady(service: NodeService): Promise<boolean> {
  return Promise.resolve(service.log.includes('"msg":"worker running"'));
}

function apiReady(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/healthz`).then(
    (res) => res.ok,
    () => false,
  );
}
