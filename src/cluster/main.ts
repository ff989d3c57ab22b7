/**
 * `npm run cluster`: the production topology on one machine, without Docker. PostgreSQL (DATABASE_URL, else an
 * embedded server with separate roles and databases for Temporal and Rollcall), a real temporal-server on it
 * (PostgreSQL persistence, SQL visibility; the config file docker-compose.yml uses), the Temporal UI server,
 * the namespace and search attributes (handed over only once a start setting all of them succeeds), then
 * CLUSTER_WORKERS workers and CLUSTER_APIS API processes, the APIs behind one address (PORT). A process that
 * exits on its own is restarted, as compose's `restart: unless-stopped`. Ctrl-C stops everything.
 *
 * The addresses and the pids of the current processes are kept in DATA_DIR/cluster/cluster.json.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { assertSafeExposure, ConfigError, loadConfig } from '../config/index.js';
import { migrate } from '../db/migrate.js';
import { freePort, isListening, preferredOrFreePort } from '../infra/ports.js';
import { ManagedChild } from '../infra/processes.js';
import { runMain } from '../infra/run-main.js';
import { dataDirPayloadKey, payloadKeyFile } from '../infra/secrets.js';
import { waitForTemporal } from '../infra/temporal-server.js';
import { createLogger } from '../logger.js';
import { ensureBinaries, TEMPORAL_SERVER_VERSION } from './binaries.js';
import { externalPostgres, startClusterPostgres, type ClusterDatabases } from './postgres.js';
import { startProxy, type RunningProxy } from './proxy.js';
import {
  applySchema,
  serverArgs,
  serverEnv,
  SQL_MAX_CONNS,
  SQL_VIS_MAX_CONNS,
  TEMPORAL_SERVICES,
  setupNamespace,
} from './temporal.js';

const say = (line: string) => process.stdout.write(`${line}\n`);
const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Each Rollcall process's pg pool (src/db/pool.ts). */
const ROLLCALL_POOL_SIZE = 10;
/** PostgreSQL keeps these for superusers (superuser_reserved_connections), plus room for psql, migrations, the CLI. */
const RESERVED_CONNECTIONS = 3 + 7;

function count(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 16)
    throw new ConfigError(`Invalid configuration:\n  ${name}: expected a number 1-16, got "${text}"`);
  return value;
}

/** The worker and the API run from beside this file: from src under tsx (tests, development), else from its build. */
const fromSource = import.meta.url.endsWith('.ts');
const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const nodeArgs = (entry: 'worker' | 'api') => {
  const main = fileURLToPath(new URL(`../${entry}/main.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  return fromSource ? ['--import', 'tsx', main] : [main];
};

export interface ClusterState {
  supervisorPid: number;
  apiUrl: string;
  temporalAddress: string;
  namespace: string;
  uiUrl: string;
  databaseUrl: string;
  /** Set when the cluster made the payload key (PAYLOAD_ENCRYPTION_KEY unset). */
  payloadKeyFile?: string;
  logDir: string;
  processes: Array<{
    name: string;
    pid?: number;
    port?: number;
    /** The process's Prometheus endpoints. */
    metrics?: string[];
    starts: number;
    crashes: number;
    logFile: string;
  }>;
}

runMain('cluster', async () => {
  const started = Date.now();
  const config = loadConfig();
  // The proxy is the API's front door: the same refusal as the API's of an open API on a reachable interface.
  assertSafeExposure(config);
  const logger = createLogger('supervisor', config.logLevel);
  const workers = count('CLUSTER_WORKERS', 2);
  const apis = count('CLUSTER_APIS', 2);
  const dir = resolve(config.dataDir, 'cluster');
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    const stopping = Date.now();
    for (const stop of stops.reverse().splice(0))
      await stop().catch((error: unknown) => say(`stop failed: ${String(error)}`));
    say(`Stopped in ${elapsed(stopping)}.`);
  };
  try {
    // Builds (minutes, first run only) while PostgreSQL starts.
    const [binaries, db] = await Promise.all([
      ensureBinaries(say),
      (async (): Promise<ClusterDatabases> => {
        if (config.databaseUrl) return externalPostgres(config.databaseUrl);
        const port = await freePort();
        say(`Starting embedded PostgreSQL on 127.0.0.1:${port} (data in ${join(dir, 'postgres')})...`);
        return startClusterPostgres(dir, port, say);
      })(),
    ]);
    if (db.stop) stops.push(db.stop);

    const temporalPool = TEMPORAL_SERVICES * (SQL_MAX_CONNS + SQL_VIS_MAX_CONNS);
    const rollcallPools = (workers + apis) * ROLLCALL_POOL_SIZE;
    const budget = `Temporal ${TEMPORAL_SERVICES} services x (${SQL_MAX_CONNS} + ${SQL_VIS_MAX_CONNS}) = ${temporalPool}, Rollcall ${workers + apis} processes x ${ROLLCALL_POOL_SIZE} = ${rollcallPools}, max_connections ${db.maxConnections}`;
    if (temporalPool + rollcallPools + RESERVED_CONNECTIONS > db.maxConnections) {
      throw new ConfigError(
        `Invalid configuration:\n  DATABASE_URL: the server allows too few connections for this cluster (${budget}, ${RESERVED_CONNECTIONS} kept free)`,
      );
    }
    say(`PostgreSQL connections: ${budget}.`);

    const schemaStarted = Date.now();
    await applySchema(binaries, db);
    const applied = await migrate(db.rollcallUrl, logger);
    say(
      `Schemas up to date in ${elapsed(schemaStarted)} (Temporal; Rollcall${applied.length ? `: applied ${applied.join(', ')}` : ''}).`,
    );

    // Temporal's ports below 32768: it keeps them in a smallint column (and Linux hands out ephemeral ports above it).
    const [grpc, http, history, matching, worker, mFrontend, mHistory, mMatching, mWorker] = [
      (await isListening(7233)) ? (await lowFreePorts(1))[0]! : 7233,
      ...(await lowFreePorts(8)),
    ] as [number, number, number, number, number, number, number, number, number];
    // 0 = any free port.
    const [uiPort, apiPort] = [
      config.temporal.uiPort === 0 ? await freePort() : await preferredOrFreePort(config.temporal.uiPort),
      config.port === 0 ? await freePort() : config.port,
    ];
    const temporalAddress = `127.0.0.1:${grpc}`;
    const uiUrl = process.env.TEMPORAL_UI_URL ?? `http://localhost:${uiPort}`;
    // Workflow payloads are encrypted as under npm start: with PAYLOAD_ENCRYPTION_KEY unset, with the key made
    // once for this data dir (the same file). The UI shows them through the API's /codec.
    const payloadKey = config.payloadKeys ? undefined : dataDirPayloadKey(config.dataDir);
    if (payloadKey)
      say(
        `Workflow payloads are encrypted with the key in ${resolve(payloadKeyFile(config.dataDir))} (PAYLOAD_ENCRYPTION_KEY for the CLI).`,
      );
    const children: ManagedChild[] = [];
    const ports = new Map<ManagedChild, number>();
    const metricsUrls = new Map<ManagedChild, string[]>();
    /** Set once the proxy listens. */
    const front: { proxy?: RunningProxy } = {};
    const writeState = () => {
      const state: ClusterState = {
        supervisorPid: process.pid,
        apiUrl: front.proxy?.url ?? `http://localhost:${apiPort}`,
        temporalAddress,
        namespace: config.temporal.namespace,
        uiUrl,
        databaseUrl: db.rollcallUrl,
        payloadKeyFile: payloadKey ? resolve(payloadKeyFile(config.dataDir)) : undefined,
        logDir,
        processes: children.map((child) => ({
          name: child.name,
          pid: child.pid,
          port: ports.get(child),
          metrics: metricsUrls.get(child),
          starts: child.starts,
          crashes: child.crashes().length,
          logFile: child.logFile,
        })),
      };
      // Whole or not at all for a reader: written aside, then renamed over the old one.
      writeFileSync(join(dir, 'cluster.json.tmp'), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
      renameSync(join(dir, 'cluster.json.tmp'), join(dir, 'cluster.json'));
    };
    const child = (
      options: Omit<ConstructorParameters<typeof ManagedChild>[0], 'say' | 'onStart' | 'restart' | 'logFile'>,
      port?: number,
      metricsPorts: number[] = [],
    ) => {
      const created = new ManagedChild({
        ...options,
        logFile: join(logDir, `${options.name}.log`),
        restart: true,
        say,
        onStart: writeState,
      });
      children.push(created);
      if (port !== undefined) ports.set(created, port);
      if (metricsPorts.length)
        metricsUrls.set(
          created,
          metricsPorts.map((metricsPort) => `http://127.0.0.1:${metricsPort}/metrics`),
        );
      stops.push(() => created.stop());
      return created;
    };

    const serverStarted = Date.now();
    const server = child(
      {
        name: 'temporal-server',
        command: binaries.temporalServer,
        args: serverArgs(),
        env: serverEnv(
          db,
          {
            grpc,
            http,
            history,
            matching,
            worker,
            membership: { frontend: mFrontend, history: mHistory, matching: mMatching, worker: mWorker },
          },
          'warn',
        ),
        ready: () => waitForTemporal(temporalAddress, 1_000).then(() => true),
        nice: config.backgroundNice,
      },
      grpc,
    );
    await server.start(180_000);
    const setup = await setupNamespace(temporalAddress, config.temporal.namespace, 7, say);
    say(
      `Temporal server ready in ${elapsed(serverStarted)}; a start with every search attribute succeeded after ${setup.probes} attempt(s), ${(setup.probeMs / 1000).toFixed(1)} s.`,
    );

    const uiDir = join(dir, 'ui');
    mkdirSync(join(uiDir, 'config'), { recursive: true });
    // JSON is YAML. Loopback only: the UI has no login and can terminate workflows.
    writeFileSync(
      join(uiDir, 'config', 'cluster.yaml'),
      JSON.stringify({
        temporalGrpcAddress: temporalAddress,
        host: '127.0.0.1',
        port: uiPort,
        enableUi: true,
        defaultNamespace: config.temporal.namespace,
        notifyOnNewVersion: false,
        cors: { cookieInsecure: true, allowOrigins: [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`] },
        codec: { endpoint: `http://localhost:${apiPort}/codec` },
      }),
    );
    const ui = child(
      {
        name: 'temporal-ui',
        command: binaries.uiServer,
        args: ['--root', uiDir, '--config', 'config', '--env', 'cluster', 'start'],
        env: process.env,
        ready: () => fetch(`http://127.0.0.1:${uiPort}/healthz`).then((res) => res.ok),
        nice: config.backgroundNice,
      },
      uiPort,
    );

    const appEnv = {
      ...process.env,
      DATABASE_URL: db.rollcallUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      TEMPORAL_UI_URL: uiUrl,
      ...(payloadKey && { PAYLOAD_ENCRYPTION_KEY: payloadKey }),
    };
    const workerChildren: ManagedChild[] = [];
    for (let i = 1; i <= workers; i++) {
      const [metrics, sdkMetrics] = [await freePort(), await freePort()];
      const created = child(
        {
          name: `worker-${i}`,
          command: process.execPath,
          args: nodeArgs('worker'),
          cwd: PROJECT_ROOT,
          env: { ...appEnv, WORKER_METRICS_PORT: String(metrics), SDK_METRICS_PORT: String(sdkMetrics) },
          // Polling: Temporal lists a poller with the SDK's default identity, <pid>@<host>.
          ready: () => isPolling(temporalAddress, config.temporal.namespace, config.temporal.taskQueue, created.pid),
          // Background work: the API processes' acks come first (BACKGROUND_NICE).
          nice: config.backgroundNice,
        },
        metrics,
        [metrics, sdkMetrics],
      );
      workerChildren.push(created);
    }
    const apiChildren: ManagedChild[] = [];
    for (let i = 1; i <= apis; i++) {
      const port = await freePort();
      apiChildren.push(
        child(
          {
            name: `api-${i}`,
            command: process.execPath,
            args: nodeArgs('api'),
            cwd: PROJECT_ROOT,
            env: { ...appEnv, PORT: String(port), HOST: '127.0.0.1' },
            ready: () => fetch(`http://127.0.0.1:${port}/readyz`).then((res) => res.ok),
          },
          port,
          [port],
        ),
      );
    }
    const appsStarted = Date.now();
    await Promise.all([
      ui.start(),
      ...workerChildren.map((w) => w.start(180_000)),
      ...apiChildren.map((a) => a.start(180_000)),
    ]);
    say(`UI, ${workers} workers and ${apis} API processes ready in ${elapsed(appsStarted)}.`);

    const proxy = await startProxy(
      () => apiChildren.map((api) => ({ name: api.name, port: ports.get(api)! })),
      apiPort,
      config.host,
    );
    front.proxy = proxy;
    // Stopped first (stops run in reverse): no new requests while the APIs drain.
    stops.push(() => proxy.close());
    writeState();

    say('');
    say(`Rollcall cluster is running (ready in ${elapsed(started)}).`);
    say(
      `  API:          ${proxy.url}   (${apis} API processes behind it: ${apiChildren.map((api) => `:${ports.get(api)}`).join(', ')})`,
    );
    say(
      `  Temporal:     ${temporalAddress}   (temporal-server ${TEMPORAL_SERVER_VERSION} on PostgreSQL, namespace ${config.temporal.namespace})`,
    );
    say(`  Temporal UI:  ${uiUrl}`);
    say(
      `  Workers:      ${workers} (metrics ${workerChildren.map((w) => `http://localhost:${ports.get(w)}/metrics`).join(', ')})`,
    );
    say(
      `  PostgreSQL:   ${db.stop ? `embedded, ${db.temporal.host}:${db.temporal.port}` : 'DATABASE_URL'} (databases rollcall, temporal, temporal_visibility)`,
    );
    say(`  Logs:         ${logDir}`);
    say(`  State:        ${join(dir, 'cluster.json')}`);
    say('Press Ctrl-C to stop.');
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
});

/** `n` distinct ports in 10000-32767 that are free now. */
async function lowFreePorts(n: number): Promise<number[]> {
  const picked = new Set<number>();
  while (picked.size < n) {
    const port = 10_000 + Math.floor(Math.random() * 22_768);
    if (!picked.has(port) && (await canListen(port))) picked.add(port);
  }
  return [...picked];
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function isPolling(
  address: string,
  namespace: string,
  taskQueue: string,
  pid: number | undefined,
): Promise<boolean> {
  if (pid === undefined) return false;
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    const { pollers } = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1,
    });
    return (pollers ?? []).some((poller) => poller.identity?.startsWith(`${pid}@`));
  } finally {
    await connection.close();
  }
}
