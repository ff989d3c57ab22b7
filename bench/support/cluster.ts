/**
 * A whole Rollcall on loopback for one scenario, as `npm start` runs it: embedded PostgreSQL in a temp dir, a
 * Temporal dev server keeping its history in a SQLite file in the same temp dir, and the production build of
 * the worker and the API as child processes — every port free-picked, everything stopped (and checked gone)
 * at the end.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config/index.js';
import { migrate } from '../../src/db/migrate.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { dataConverter } from '../../src/infra/payload-codec.js';
import { freePort } from '../../src/infra/ports.js';
import { ensureDatabase, startEmbeddedPostgres } from '../../src/infra/postgres.js';
import { startTemporalDevServer } from '../../src/infra/temporal-server.js';
import { createLogger } from '../../src/logger.js';
import { PROVIDER_SETTINGS } from '../../test/support/scenario.js';
import { productionBuild } from './build.js';
import { scrapeAll, type Scrapes } from './metrics.js';
import { commandOf, descendantsOf, NodeService } from '../../test/support/node-service.js';
import { cpuSeconds, rssMiB } from './processes.js';
import type { ScenarioContext, Target } from './scenario.js';

export interface ClusterOptions {
  name: string;
  /** Worker and API settings on top of the bench defaults (e.g. CALCULATION_DELAY, worker tuning). */
  env?: Record<string, string>;
  /** `--sqlite-pragma` values for the dev server; undefined = what `npm start` uses. */
  sqlitePragmas?: Record<string, string>;
  /** `--dynamic-config-value` settings for the dev server (experiments); none by default, as `npm start`. */
  dynamicConfig?: Record<string, string>;
  /** Keep the temp dir (logs, databases) after stop. */
  keep?: boolean;
  /** Write V8 CPU profiles of the worker and the API into <temp dir>/profiles (implies keep). */
  profile?: boolean;
  log: (line: string) => void;
}

/** Settings every bench cluster shares: the test suite's provider secrets, and log levels as production. */
const BENCH_ENV = {
  ...PROVIDER_SETTINGS,
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_TASK_QUEUE: 'rollcall-bench',
  CALCULATION_DELAY: '5s',
  LATE_EVENT_WINDOW: '10m',
  LOG_LEVEL: 'info',
};

export class BenchCluster {
  private constructor(
    readonly scratch: string,
    readonly config: Config,
    readonly client: Client,
    readonly pool: Pool,
    readonly worker: NodeService,
    readonly api: NodeService,
    readonly apiUrl: string,
    readonly metricsUrls: { worker: string; sdk: string },
    private readonly stops: Array<() => Promise<void>>,
    private readonly options: ClusterOptions,
  ) {}

  static async start(options: ClusterOptions): Promise<BenchCluster> {
    const scratch = mkdtempSync(join(tmpdir(), `rollcall-bench-${options.name}-`));
    // As root, embedded PostgreSQL runs as the `postgres` user, which must be able to enter this directory.
    chmodSync(scratch, 0o755);
    // Interrupted (Ctrl-C, a crash): the runner's exit hook kills the processes, this removes their data.
    if (options.profile) options.keep = true;
    process.once('exit', () => {
      if (!options.keep) rmSync(scratch, { recursive: true, force: true });
    });
    const stops: Array<() => Promise<void>> = [];
    const stopAll = async () => {
      for (const stop of stops.splice(0).reverse())
        await stop().catch((error: unknown) => options.log(`stop step failed: ${String(error)}`));
    };
    try {
      const [pgPort, temporalPort, apiPort, workerMetricsPort, sdkMetricsPort] = await Promise.all([
        freePort(),
        freePort(),
        freePort(),
        freePort(),
        freePort(),
      ]);
      const [postgres, temporal, build] = await Promise.all([
        startEmbeddedPostgres(join(scratch, 'postgres'), pgPort, options.log).then((pg) => (stops.push(pg.stop), pg)),
        startTemporalDevServer({
          dbFile: join(scratch, 'temporal.sqlite'),
          port: temporalPort,
          namespace: 'default',
          sqlitePragmas: options.sqlitePragmas,
          dynamicConfig: options.dynamicConfig,
          log: options.log,
        }).then((t) => (stops.push(t.stop), t)),
        productionBuild(options.log),
      ]);
      const databaseUrl = await ensureDatabase(postgres.serverUrl, 'rollcall');
      await migrate(databaseUrl, createLogger('migrate', 'warn'));
      const env: Record<string, string> = {
        ...BENCH_ENV,
        DATABASE_URL: databaseUrl,
        TEMPORAL_ADDRESS: temporal.address,
        PORT: String(apiPort),
        WORKER_METRICS_PORT: String(workerMetricsPort),
        SDK_METRICS_PORT: String(sdkMetricsPort),
        ...options.env,
      };
      const config = loadConfig(env);
      const childEnv = { ...process.env, ...env };
      // One directory per process: the worker's workflow thread writes a profile of its own beside the main thread's.
      const profile = (name: string) =>
        options.profile ? ['--cpu-prof', '--cpu-prof-dir', join(scratch, 'profiles', name)] : [];
      const apiUrl = `http://127.0.0.1:${apiPort}`;
      const child = (name: string, ready: (service: NodeService) => Promise<boolean>) =>
        new NodeService({
          name,
          args: [...profile(name), join(build, name, 'main.js')],
          env: () => childEnv,
          logFile: join(scratch, `${name}.log`),
          ready,
          say: options.log,
        });
      const worker = child('worker', (service) => Promise.resolve(service.log.includes('"msg":"worker running"')));
      const api = child('api', () =>
        fetch(`${apiUrl}/readyz`).then(
          (res) => res.ok,
          () => false,
        ),
      );
      stops.push(
        () => worker.stop(),
        () => api.stop(),
      );
      await Promise.all([worker.start(), api.start()]);
      const client = new Client({
        connection: await Connection.connect({ address: temporal.address }),
        namespace: 'default',
        dataConverter,
      });
      const pool = createPool(databaseUrl, 40);
      stops.push(async () => {
        await client.connection.close();
        await pool.end();
      });
      const metricsUrls = {
        worker: `http://127.0.0.1:${workerMetricsPort}/metrics`,
        sdk: `http://127.0.0.1:${sdkMetricsPort}/metrics`,
      };
      return new BenchCluster(scratch, config, client, pool, worker, api, apiUrl, metricsUrls, stops, options);
    } catch (error) {
      await stopAll();
      rmSync(scratch, { recursive: true, force: true });
      throw error;
    }
  }

  /** The API's, the worker's and the Temporal SDK's Prometheus samples now. */
  metrics(): Promise<Scrapes> {
    return scrapeAll({ api: `${this.apiUrl}/metrics`, ...this.metricsUrls });
  }

  /** Pids of the processes that make up the system under test, for RSS and CPU readings. */
  pids(): { worker?: number; api?: number; temporal: number[]; postgres: number[] } {
    const temporal: number[] = [];
    const postgres: number[] = [];
    for (const pid of descendantsOf(process.pid)) {
      const cmd = commandOf(pid);
      if (cmd.includes(this.scratch) && cmd.includes('start-dev')) temporal.push(pid);
      // The postmaster and its backends (`postgres: walwriter`, one per connection) are all descendants.
      else if (/(^|\/)postgres[\0 ]/.test(cmd) || cmd.startsWith('postgres:')) postgres.push(pid);
    }
    return { worker: this.worker.pid, api: this.api.pid, temporal, postgres };
  }

  /** CPU seconds used so far by each part of the system (the bench process itself included: the load generator). */
  cpu(): CpuReading {
    const { worker, api, temporal, postgres } = this.pids();
    const sum = (pids: number[]) => pids.reduce((total, pid) => total + (cpuSeconds(pid) ?? 0), 0);
    const own = process.cpuUsage();
    // A process that is gone reads NaN, so a window it did not live through shows no figure rather than a wrong one.
    return {
      at: Date.now(),
      worker: cpuSeconds(worker) ?? Number.NaN,
      api: cpuSeconds(api) ?? Number.NaN,
      temporal: sum(temporal),
      postgres: sum(postgres),
      bench: (own.user + own.system) / 1e6,
    };
  }

  /**
   * Waits until the system has worked off what the last load left behind (Temporal, the worker and the API
   * together below `cores` for a second), at most `maxMs`; returns how long that took. A step measured on
   * top of the previous step's backlog would be measuring that backlog.
   */
  async settle(maxMs = 30_000, cores = 0.25): Promise<number> {
    const started = Date.now();
    for (;;) {
      const before = this.cpu();
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const used = coresBetween(before, this.cpu());
      if (used.temporal + used.worker + used.api < cores || Date.now() - started >= maxMs) return Date.now() - started;
    }
  }

  rss(): { worker?: number; api?: number; temporal?: number } {
    const { worker, api, temporal } = this.pids();
    return { worker: rssMiB(worker), api: rssMiB(api), temporal: rssMiB(temporal[0]) };
  }

  /** Worker or API exits nobody asked for, with the end of that process's log. */
  crashes(): string[] {
    return [this.worker, this.api]
      .flatMap((child) => child.crashes())
      .map(
        (exit) =>
          `${exit.name} exited by itself at ${new Date(exit.at).toISOString()} (code ${exit.code}, signal ${exit.signal}); log ends:\n${exit.logTail.slice(-1_500)}`,
      );
  }

  /** Stops the API, the worker, the clients, Temporal and PostgreSQL; then kills and reports any leftover process. */
  async stop(): Promise<string[]> {
    // A crashed process's logs and data are what explains the numbers: keep them.
    if (this.crashes().length > 0 && !this.options.keep) {
      this.options.keep = true;
      this.options.log(`a process crashed: keeping ${this.scratch}`);
    }
    for (const stop of this.stops.splice(0).reverse())
      await stop().catch((error: unknown) => this.options.log(`stop step failed: ${String(error)}`));
    const leftovers = descendantsOf(process.pid)
      .map((pid) => ({ pid, cmd: commandOf(pid) }))
      // tsx's own esbuild service belongs to the bench process, not to the cluster.
      .filter(({ cmd }) => cmd.length > 0 && !cmd.includes('esbuild'));
    for (const { pid } of leftovers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (!this.options.keep) rmSync(this.scratch, { recursive: true, force: true });
    return leftovers.map(({ pid, cmd }) => `${pid} ${cmd}`);
  }
}

export interface CpuReading {
  at: number;
  worker: number;
  api: number;
  temporal: number;
  postgres: number;
  bench: number;
}

export type Part = 'worker' | 'api' | 'temporal' | 'postgres' | 'bench';
const PARTS: Part[] = ['worker', 'api', 'temporal', 'postgres', 'bench'];

/** CPU seconds each part used between two readings. */
export function cpuBetween(a: CpuReading, b: CpuReading): Record<Part, number> {
  return Object.fromEntries(PARTS.map((part) => [part, b[part] - a[part]])) as Record<Part, number>;
}

/** Cores each part kept busy between two readings (1.0 = one core flat out). */
export function coresBetween(a: CpuReading, b: CpuReading): Record<Part, number> {
  const wall = Math.max(1, b.at - a.at) / 1000;
  const used = cpuBetween(a, b);
  return Object.fromEntries(PARTS.map((part) => [part, Math.round((used[part] / wall) * 100) / 100])) as Record<
    Part,
    number
  >;
}

/**
 * A scenario's runs on one cluster started for them: `oneRun` for each of `context.runs`, then the cluster
 * stopped whatever happened, with any process left behind killed and reported. Returns the runs' figures and
 * the worker's and the API's crashes.
 */
export async function runOnCluster<R>(
  name: string,
  env: Record<string, string> | undefined,
  context: ScenarioContext,
  oneRun: (cluster: BenchCluster, run: number) => Promise<R>,
): Promise<{ runs: R[]; crashes: string[] }> {
  const { progress } = context;
  progress.update('starting PostgreSQL, Temporal, worker and API');
  const cluster = await BenchCluster.start({
    name,
    env,
    keep: context.keep,
    profile: context.profile,
    sqlitePragmas: context.sqlitePragmas,
    dynamicConfig: context.dynamicConfig,
    log: (line) => progress.log(line),
  });
  const runs: R[] = [];
  let crashes: string[] = [];
  try {
    for (let run = 1; run <= context.runs; run++) runs.push(await oneRun(cluster, run));
  } finally {
    crashes = cluster.crashes();
    const leftovers = await cluster.stop();
    if (leftovers.length) progress.log(`killed leftover processes: ${leftovers.join('; ')}`);
  }
  return { runs, crashes };
}

export function noCrashTarget(crashes: string[]): Target {
  return {
    name: 'worker and API ran to the end (no crash)',
    target: 'no crash',
    value: crashes.length === 0,
    met: crashes.length === 0,
  };
}
