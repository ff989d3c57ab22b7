/**
 * The system a scenario drives, started with the test kit (test/support/kit): the dev stack as `npm start`
 * runs it (PostgreSQL, a Temporal dev server on SQLite, one worker, one API), or the cluster topology as
 * `npm run cluster` runs it (temporal-server on PostgreSQL, 2 workers, 2 API processes behind one address) —
 * both from the production build, on free loopback ports, stopped (and checked gone) at the end. What a
 * scenario measures is read the same way on both: CPU and memory per part from /proc, and the processes'
 * own Prometheus endpoints.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createDataConverter } from '../../src/infra/payload-codec.js';
import { freePort } from '../../src/infra/ports.js';
import { ClusterStack } from '../../test/support/kit/cluster-stack.js';
import { describeExit, DevStack } from '../../test/support/kit/dev-stack.js';
import { cpuSeconds, rssMiB } from '../../test/support/kit/proc.js';
import { PROVIDER_SETTINGS } from '../../test/support/scenario.js';
import { scrapeAll, type Scrapes } from './metrics.js';
import type { ScenarioContext, Target } from './scenario.js';

/** Where a scenario runs: `dev` (what `npm start` runs) or `cluster` (what `npm run cluster` runs). */
export type TargetName = 'dev' | 'cluster';

/**
 * Settings every bench system shares, on top of the kit's: log levels as production, a short grace, and workflow
 * payloads encrypted as `npm start` and `npm run cluster` encrypt them (the cluster makes its own key).
 */
const BENCH_ENV = {
  TEMPORAL_TASK_QUEUE: 'rollcall-bench',
  CALCULATION_DELAY: '5s',
  LATE_EVENT_WINDOW: '10m',
  LOG_LEVEL: 'info',
  PAYLOAD_ENCRYPTION_KEY: `bench:${randomBytes(32).toString('base64')}`,
};

type Pids = { worker: number[]; api: number[]; temporal: number[]; postgres: number[] };

export interface BenchSystem {
  target: TargetName;
  /** Where webhooks and API calls go (in the cluster, the supervisor's address in front of the API processes). */
  apiUrl: string;
  config: Config;
  client: Client;
  pool: Pool;
  /** The API's, the workers' and the Temporal SDK's Prometheus samples now (summed over processes). */
  metrics(): Promise<Scrapes>;
  /** CPU seconds used so far by each part of the system (the bench process itself included: the load generator). */
  cpu(): CpuReading;
  /** Resident memory of the largest process of each part, MiB. */
  rss(): { worker?: number; api?: number; temporal?: number };
  /**
   * Waits until the system has worked off what the last load left behind (Temporal, the workers and the API
   * processes together below `cores` for a second), at most `maxMs`; returns how long that took. A step
   * measured on top of the previous step's backlog would be measuring that backlog.
   */
  settle(maxMs?: number, cores?: number): Promise<number>;
  /** Exits of workers and API processes nobody asked for, with the end of the process's log. */
  crashes(): string[];
  workerLogFiles(): string[];
  /** Stops everything; returns the processes left behind (killed). */
  stop(): Promise<string[]>;
}

export interface SystemOptions {
  name: string;
  target: TargetName;
  /** Worker and API settings on top of the bench defaults (e.g. CALCULATION_DELAY). */
  env?: Record<string, string>;
  keep?: boolean;
  profile?: boolean;
  sqlitePragmas?: Record<string, string>;
  dynamicConfig?: Record<string, string>;
  log: (line: string) => void;
}

export async function startSystem(options: SystemOptions): Promise<BenchSystem> {
  const env = { ...BENCH_ENV, ...options.env };
  return options.target === 'cluster' ? startClusterSystem(options, env) : startDevSystem(options, env);
}

async function startDevSystem(options: SystemOptions, env: Record<string, string>): Promise<BenchSystem> {
  const stack = await DevStack.start({
    name: `bench-${options.name}`,
    env,
    build: 'production',
    metrics: true,
    poolSize: 40,
    // Unset unless asked: the kit then keeps the data of a system whose process crashed.
    keep: options.keep || undefined,
    profile: options.profile,
    sqlitePragmas: options.sqlitePragmas,
    dynamicConfig: options.dynamicConfig,
    log: options.log,
  });
  return measured({
    target: 'dev',
    apiUrl: stack.apiUrl,
    config: stack.config,
    client: stack.client,
    pool: stack.pool,
    pids: () => stack.pids(),
    metricsUrls: () => ({ api: [`${stack.apiUrl}/metrics`], ...stack.metricsUrls }),
    crashes: () => stack.crashes().map(describeExit),
    workerLogFiles: () => [stack.worker.logFile],
    stop: () => stack.stop(),
  });
}

async function startClusterSystem(options: SystemOptions, env: Record<string, string>): Promise<BenchSystem> {
  if (options.profile || options.sqlitePragmas || options.dynamicConfig)
    throw new Error('--profile, --sqlite-pragma and --dynamic-config apply to the dev target only');
  const { cluster, readyMs } = await ClusterStack.start({
    env: { ...PROVIDER_SETTINGS, ...env, PORT: '0', TEMPORAL_UI_PORT: String(await freePort()) },
    build: 'production',
    log: options.log,
  });
  const state = cluster.state;
  options.log(`cluster ready in ${(readyMs / 1000).toFixed(1)} s: ${state.processes.map((p) => p.name).join(', ')}`);
  const payloadKey = state.payloadKeyFile ? readFileSync(state.payloadKeyFile, 'utf8').trim() : undefined;
  const config = loadConfig({
    ...env,
    DATABASE_URL: state.databaseUrl,
    TEMPORAL_ADDRESS: state.temporalAddress,
    ...(payloadKey && { PAYLOAD_ENCRYPTION_KEY: payloadKey }),
  });
  const client = new Client({
    connection: await Connection.connect({ address: state.temporalAddress }),
    namespace: state.namespace,
    dataConverter: createDataConverter(config.payloadKeys),
  });
  const pool = createPool(state.databaseUrl, 40);
  return measured({
    target: 'cluster',
    apiUrl: state.apiUrl,
    config,
    client,
    pool,
    pids: () => cluster.pids(),
    metricsUrls: () => cluster.metricsUrls(),
    // The supervisor restarts a crashed process; the crash still counts.
    crashes: () =>
      cluster.state.processes
        .filter((p) => p.crashes > 0)
        .map((p) => `${p.name} exited by itself ${p.crashes} time(s); log: ${p.logFile}`),
    workerLogFiles: () => cluster.state.processes.filter((p) => p.name.startsWith('worker-')).map((p) => p.logFile),
    stop: async () => {
      await client.connection.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
      const code = await cluster.stop();
      if (code !== 0) options.log(`the cluster exited with code ${code}:\n${cluster.text.slice(-2_000)}`);
      return cluster.remove(options.keep);
    },
  });
}

interface Parts {
  target: TargetName;
  apiUrl: string;
  config: Config;
  client: Client;
  pool: Pool;
  pids: () => Pids;
  metricsUrls: () => { api: string[]; worker: string[]; sdk: string[] };
  crashes: () => string[];
  workerLogFiles: () => string[];
  stop: () => Promise<string[]>;
}

function measured(parts: Parts): BenchSystem {
  const cpu = (): CpuReading => {
    const { worker, api, temporal, postgres } = parts.pids();
    // A part with no process alive reads NaN, so a window it did not live through shows no figure rather than a wrong one.
    const sum = (pids: number[], none: number) =>
      pids.length === 0 ? none : pids.reduce((total, pid) => total + (cpuSeconds(pid) ?? 0), 0);
    const own = process.cpuUsage();
    return {
      at: Date.now(),
      worker: sum(worker, Number.NaN),
      api: sum(api, Number.NaN),
      temporal: sum(temporal, 0),
      postgres: sum(postgres, 0),
      bench: (own.user + own.system) / 1e6,
    };
  };
  const largest = (pids: number[]) => {
    const sizes = pids.map(rssMiB).filter((size): size is number => size !== undefined);
    return sizes.length ? Math.max(...sizes) : undefined;
  };
  return {
    target: parts.target,
    apiUrl: parts.apiUrl,
    config: parts.config,
    client: parts.client,
    pool: parts.pool,
    metrics: () => scrapeAll(parts.metricsUrls()),
    cpu,
    rss: () => {
      const { worker, api, temporal } = parts.pids();
      return { worker: largest(worker), api: largest(api), temporal: largest(temporal) };
    },
    async settle(maxMs = 30_000, cores = 0.25) {
      const started = Date.now();
      for (;;) {
        const before = cpu();
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const used = coresBetween(before, cpu());
        if (used.temporal + used.worker + used.api < cores || Date.now() - started >= maxMs)
          return Date.now() - started;
      }
    },
    crashes: parts.crashes,
    workerLogFiles: parts.workerLogFiles,
    stop: parts.stop,
  };
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
 * A scenario's runs on one system started for them: `oneRun` for each of `context.runs`, then the system
 * stopped whatever happened, with any process left behind killed and reported. Returns the runs' figures and
 * the workers' and API processes' crashes.
 */
export async function runOnSystem<R>(
  name: string,
  env: Record<string, string> | undefined,
  context: ScenarioContext,
  oneRun: (system: BenchSystem, run: number) => Promise<R>,
): Promise<{ runs: R[]; crashes: string[] }> {
  const { progress } = context;
  progress.update(
    context.target === 'cluster'
      ? 'starting PostgreSQL, temporal-server, 2 workers and 2 API processes'
      : 'starting PostgreSQL, Temporal, worker and API',
  );
  const system = await startSystem({
    name,
    target: context.target,
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
    for (let run = 1; run <= context.runs; run++) runs.push(await oneRun(system, run));
  } finally {
    crashes = system.crashes();
    const leftovers = await system.stop();
    if (leftovers.length) progress.log(`killed leftover processes: ${leftovers.join('; ')}`);
  }
  return { runs, crashes };
}

export function noCrashTarget(crashes: string[]): Target {
  return {
    name: 'workers and API processes ran to the end (no crash)',
    target: 'no crash',
    value: crashes.length === 0,
    met: crashes.length === 0,
  };
}
