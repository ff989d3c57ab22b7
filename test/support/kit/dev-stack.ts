/**
 * The dev stack as REAL processes, one per test file or benchmark: embedded PostgreSQL (own data dir), a
 * Temporal dev server with its SQLite file, and the worker and the API as node children — from source under
 * tsx, or the production build as `npm start` runs it — each on a free loopback port. PostgreSQL and
 * Temporal can be stopped and restarted in place (same port, same data), the worker and the API killed and
 * restarted. Unlike test/run.ts's shared infrastructure, everything here belongs to its owner, which may kill
 * any of it.
 *
 * No orphans: `stop()` ends everything in reverse order and kills what is left, and an exit hook SIGKILLs
 * whatever this process still has as descendants when it exits (a failure, a timeout, Ctrl-C).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { migrate } from '../../../src/db/migrate.js';
import { createPool, type Pool } from '../../../src/db/pool.js';
import { createDataConverter } from '../../../src/infra/payload-codec.js';
import { freePort } from '../../../src/infra/ports.js';
import { ensureDatabase, startEmbeddedPostgres, type RunningPostgres } from '../../../src/infra/postgres.js';
import { descendantsOf, ManagedChild, type ExitRecord } from '../../../src/infra/processes.js';
import { startTemporalDevServer, type RunningTemporal } from '../../../src/infra/temporal-server.js';
import { createLogger } from '../../../src/logger.js';
import { PROVIDER_SETTINGS } from '../scenario.js';
import { productionBuild } from './build.js';
import { cleanUpOnExit, commandOf, elapsed, killLeftovers, postgresPids, PROJECT_ROOT } from './proc.js';

/** Scratch dirs of stacks not stopped yet: removed on exit too (unless kept). */
const liveScratch = new Set<string>();

/** A server stopped and restarted in place (same port, same data), each start and stop timed and logged. */
abstract class ManagedServer<R extends { stop(): Promise<void> }> {
  private running?: R;

  constructor(
    private readonly label: string,
    readonly port: number,
    protected readonly say: (line: string) => void,
  ) {}

  protected abstract launch(): Promise<R>;

  get up(): boolean {
    return this.running !== undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const started = Date.now();
    this.running = await this.launch();
    this.say(`${this.label} up on ${this.port} in ${elapsed(started)}`);
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    this.running = undefined;
    const started = Date.now();
    await running.stop();
    this.say(`${this.label} on ${this.port} stopped in ${elapsed(started)}`);
  }
}

/** Embedded PostgreSQL in its own data dir, holding the `rollcall` database. */
export class ManagedPostgres extends ManagedServer<RunningPostgres> {
  databaseUrl = '';

  constructor(
    readonly dataDir: string,
    port: number,
    say: (line: string) => void,
  ) {
    super('PostgreSQL', port, say);
  }

  protected async launch(): Promise<RunningPostgres> {
    const running = await startEmbeddedPostgres(this.dataDir, this.port, this.say);
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
    say: (line: string) => void,
    private readonly tuning: Pick<DevStackOptions, 'sqlitePragmas' | 'dynamicConfig'> & { nice?: number } = {},
  ) {
    super('Temporal', port, say);
    this.address = `127.0.0.1:${port}`;
  }

  protected launch(): Promise<RunningTemporal> {
    return startTemporalDevServer({
      dbFile: this.dbFile,
      port: this.port,
      namespace: 'default',
      log: this.say,
      ...this.tuning,
    });
  }
}

export interface DevStackOptions {
  /** Label for the scratch dir, the logs and the task queue. */
  name: string;
  /** Environment of the worker and the API on top of the stack's own (e.g. CALCULATION_DELAY). */
  env?: Record<string, string>;
  /** Start the worker (default true); the fuzz run needs only the API. */
  worker?: boolean;
  /** `source` (default): src/*\/main.ts under tsx; `production`: the build `npm start` runs, with plain node. */
  build?: 'source' | 'production';
  /** The worker's two Prometheus endpoints on free ports (default off: their fixed defaults would collide). */
  metrics?: boolean;
  /** Connections of the stack's own pool (default 4). */
  poolSize?: number;
  /** `--sqlite-pragma` values for the dev server; undefined = what `npm start` uses. */
  sqlitePragmas?: Record<string, string>;
  /** `--dynamic-config-value` settings for the dev server (experiments); none by default, as `npm start`. */
  dynamicConfig?: Record<string, string>;
  /** V8 CPU profiles of the worker and the API into <scratch>/profiles (implies keep). */
  profile?: boolean;
  /** Keep the scratch dir (databases) after stop; default: only when ROLLCALL_KEEP_CLUSTER=1 or a process crashed. */
  keep?: boolean;
  /** Where start, stop and crash notices go (default: stderr, prefixed `[stack]`). */
  log?: (line: string) => void;
}

/** Where every stack's logs go; kept after stop for the post-mortem of a failed case or a surprising figure. */
export const LOG_ROOT = join(tmpdir(), 'rollcall-logs');

export class DevStack {
  /** A client of the stack's Temporal; lazy, so it survives the server's restarts. */
  readonly client: Client;
  /** A pool on the stack's database, for reading what the product persisted. */
  readonly pool: Pool;
  /** The current case: its start, and what aborts at its first crash. */
  private epoch = { since: Date.now(), controller: new AbortController() };
  private stopped = false;

  private constructor(
    readonly options: DevStackOptions,
    readonly scratch: string,
    readonly postgres: ManagedPostgres,
    readonly temporal: ManagedTemporal,
    readonly worker: ManagedChild,
    readonly api: ManagedChild,
    readonly apiPort: number,
    /** worker.log and api.log, kept after stop (outside the scratch dir). */
    readonly logDir: string,
    /** The settings the worker and the API run with. */
    readonly config: Config,
    /** The worker's and the Temporal SDK's Prometheus endpoints, when `metrics` is on. */
    readonly metricsUrls: { worker: string[]; sdk: string[] },
  ) {
    // The product's data converter: big payloads (carried state, presence) gzipped, and encrypted when a key is set.
    this.client = new Client({
      connection: Connection.lazy({ address: temporal.address, connectTimeout: 1_000 }),
      namespace: 'default',
      dataConverter: createDataConverter(config.payloadKeys),
    });
    this.pool = createPool(postgres.databaseUrl, options.poolSize ?? 4);
  }

  get taskQueue(): string {
    return this.config.temporal.taskQueue;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  /** Aborts at the first crash of the worker or the API in the current case, so a test stops feeding a dead system. */
  get crashed(): AbortSignal {
    return this.epoch.controller.signal;
  }

  /** Starts a new case: crashes before it were reported by the case they happened in, and no longer count. */
  beginCase(): void {
    this.epoch = { since: Date.now(), controller: new AbortController() };
  }

  /** Starts PostgreSQL, Temporal (and the production build, when asked) in parallel, migrates, then the worker and the API. */
  static async start(options: DevStackOptions): Promise<DevStack> {
    const say = options.log ?? ((line: string) => process.stderr.write(`[stack] ${line}\n`));
    cleanUpOnExit(() => {
      if (process.env.ROLLCALL_KEEP_CLUSTER !== '1')
        for (const dir of liveScratch) rmSync(dir, { recursive: true, force: true });
    });
    if (options.profile) options.keep = true;
    const started = Date.now();
    const scratch = mkdtempSync(join(tmpdir(), `rollcall-${options.name}-`));
    liveScratch.add(scratch);
    // As root, embedded PostgreSQL runs as the `postgres` user, which must be able to enter this directory.
    chmodSync(scratch, 0o755);
    const logDir = join(LOG_ROOT, `${options.name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(logDir, { recursive: true });
    const [pgPort, temporalPort, apiPort, workerMetricsPort, sdkMetricsPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const postgres = new ManagedPostgres(join(scratch, 'postgres'), pgPort, say);
    // As `npm start` runs them: Temporal and the worker at a lower CPU priority than the API (BACKGROUND_NICE).
    const nice = loadConfig({
      BACKGROUND_NICE: options.env?.BACKGROUND_NICE ?? process.env.BACKGROUND_NICE,
    }).backgroundNice;
    const temporal = new ManagedTemporal(join(scratch, 'temporal.sqlite'), temporalPort, say, { ...options, nice });
    const partial: Array<() => Promise<void>> = [];
    try {
      const results = await Promise.allSettled([
        postgres.start(),
        temporal.start(),
        options.build === 'production' ? productionBuild(say) : Promise.resolve(''),
      ]);
      partial.push(
        () => temporal.stop(),
        () => postgres.stop(),
      );
      const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failed) throw failed.reason;
      const build = (results[2] as PromiseFulfilledResult<string>).value;
      await migrate(postgres.databaseUrl, createLogger('migrate', 'warn'));
      const env: Record<string, string> = {
        NODE_ENV: 'test',
        DATABASE_URL: postgres.databaseUrl,
        TEMPORAL_ADDRESS: temporal.address,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: `rollcall-${options.name}`,
        PORT: String(apiPort),
        LOG_LEVEL: 'info',
        CALCULATION_DELAY: '3s',
        LATE_EVENT_WINDOW: '10m',
        SESSION_MAX_OVERRUN: '3h',
        WORKER_METRICS_PORT: options.metrics ? String(workerMetricsPort) : '0',
        SDK_METRICS_PORT: options.metrics ? String(sdkMetricsPort) : '0',
        ...PROVIDER_SETTINGS,
        ...options.env,
      };
      // One directory per process: the worker's workflow thread writes a profile of its own beside the main thread's.
      const profile = (name: string) =>
        options.profile ? ['--cpu-prof', '--cpu-prof-dir', join(scratch, 'profiles', name)] : [];
      const child = (name: 'worker' | 'api', ready: (child: ManagedChild) => Promise<boolean>) =>
        new ManagedChild({
          name,
          command: process.execPath,
          args: [
            ...profile(name),
            ...(build ? [join(build, name, 'main.js')] : ['--import', 'tsx', `src/${name}/main.ts`]),
          ],
          cwd: PROJECT_ROOT,
          env: () => ({ ...process.env, ...env }),
          logFile: join(logDir, `${name}.log`),
          ready,
          say,
          nice: name === 'worker' ? nice : 0,
        });
      // The worker logs this line (info) once it polls its task queue.
      const worker = child('worker', (service) => Promise.resolve(service.log.includes('"msg":"worker running"')));
      const api = child('api', () => fetch(`http://127.0.0.1:${apiPort}/readyz`).then((res) => res.ok));
      const metricsUrls = options.metrics
        ? {
            worker: [`http://127.0.0.1:${workerMetricsPort}/metrics`],
            sdk: [`http://127.0.0.1:${sdkMetricsPort}/metrics`],
          }
        : { worker: [], sdk: [] };
      const stack = new DevStack(
        options,
        scratch,
        postgres,
        temporal,
        worker,
        api,
        apiPort,
        logDir,
        loadConfig(env),
        metricsUrls,
      );
      partial.unshift(() => stack.closeClients());
      for (const service of [worker, api])
        service.options.onCrash = (exit) => stack.epoch.controller.abort(new Error(describeExit(exit)));
      partial.unshift(
        () => api.stop(),
        () => worker.stop(),
      );
      await Promise.all([options.worker === false ? Promise.resolve() : worker.start(), api.start()]);
      say(`${options.name} ready in ${elapsed(started)} (scratch ${scratch}, logs ${logDir})`);
      return stack;
    } catch (error) {
      for (const stop of partial) await stop().catch(() => undefined);
      rmSync(scratch, { recursive: true, force: true });
      liveScratch.delete(scratch);
      throw error;
    }
  }

  private say(line: string): void {
    (this.options.log ?? ((text: string) => process.stderr.write(`[stack] ${text}\n`)))(line);
  }

  /** Crashes (exits nobody asked for) of the worker and the API in the current case. */
  crashes(): ExitRecord[] {
    return [...this.worker.crashes(), ...this.api.crashes()]
      .filter((exit) => exit.at >= this.epoch.since)
      .sort((a, b) => a.at - b.at);
  }

  /** The case's crashes as a readable report (exit, then the end of the crashed process's output); empty when none. */
  crashReport(): string {
    return this.crashes().map(describeExit).join('\n\n');
  }

  /** Pids of the processes that make up the stack, for memory and CPU readings. */
  pids(): { worker: number[]; api: number[]; temporal: number[]; postgres: number[] } {
    const descendants = descendantsOf(process.pid);
    const one = (pid: number | undefined) => (pid === undefined ? [] : [pid]);
    return {
      worker: one(this.worker.pid),
      api: one(this.api.pid),
      temporal: descendants.filter((pid) => commandOf(pid).includes(this.temporal.dbFile)),
      postgres: postgresPids(descendants),
    };
  }

  private async closeClients(): Promise<void> {
    await this.client.connection.close().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }

  /**
   * Stops everything in reverse order of starting, then kills and returns whatever is left; safe to call twice,
   * never throws. The scratch dir stays when asked, or when a process crashed (its data explains the crash).
   */
  async stop(): Promise<string[]> {
    if (this.stopped) return [];
    this.stopped = true;
    const started = Date.now();
    for (const step of [
      () => this.api.stop(),
      () => this.worker.stop(),
      () => this.closeClients(),
      () => this.temporal.stop(),
      () => this.postgres.stop(),
    ]) {
      await step().catch((error: unknown) => this.say(`stop step failed: ${String(error)}`));
    }
    const leftovers = killLeftovers();
    for (const leftover of leftovers) this.say(`leftover process ${leftover}: killed`);
    const crashed = this.worker.crashes().length + this.api.crashes().length > 0;
    const keep = this.options.keep ?? (process.env.ROLLCALL_KEEP_CLUSTER === '1' || crashed);
    if (!keep) rmSync(this.scratch, { recursive: true, force: true });
    liveScratch.delete(this.scratch);
    this.say(
      `${this.options.name} stopped in ${elapsed(started)}${keep ? ` (kept ${this.scratch})` : ''}; logs in ${this.logDir}`,
    );
    return leftovers;
  }
}

/** An exit nobody asked for, with the end of the process's output (V8's stack frame dumps left out). */
export function describeExit(exit: ExitRecord): string {
  const tail = exit.logTail
    .split('\n')
    .filter((line) => !/^\s*\d+: 0x/.test(line))
    .slice(-25)
    .join('\n');
  return `${exit.name} (pid ${exit.pid}) exited by itself at ${new Date(exit.at).toISOString()} with code ${exit.code}, signal ${exit.signal}; its last output:\n${tail}`;
}
